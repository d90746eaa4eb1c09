/*
 * sms_route_preview.c - POST /preview/: what a text (or a rendered
 * template) costs: encoding, counts, segments, parts.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_json.h"
#include "sms_rules.h"
#include "sms_text.h"

/* Preview fields as API.md "Text" names them, plus the split parts. */
static json_t *preview_json(const sms_text_t *t, int max_parts, apr_pool_t *p)
{
    json_t *parts = json_array();
    int i;

    for (i = 0; i < t->segments; i++) {
        json_array_append_new(parts, json_string(sms_text_part(t, i, p)));
    }
    /* credits: segments x recipients, and a preview is for one */
    return json_pack("{s:s, s:I, s:I, s:i, s:i, s:i, s:i, s:b, s:s%, s:o, s:i}",
                     "encoding", sms_text_encoding_name(t->encoding),
                     "characters", (json_int_t)t->characters, "units",
                     (json_int_t)t->units, "segments", t->segments,
                     "per_segment", t->per_segment, "remaining", t->remaining,
                     "max_parts", max_parts, "within_limit",
                     t->segments <= max_parts, "message", t->message, t->length,
                     "parts", parts, "credits", t->segments);
}

/* The text a preview counts: "message", or "template_id" rendered with
 * "context" and the patient's values, by the rules a send follows. */
static apr_status_t preview_text(const char **text, sms_error_t **err,
                                 sms_req *rq, int *done)
{
    apr_pool_t *p = rq->r->pool;
    json_t *vars = NULL;
    sms_text_req_t tr;
    const char *body;
    sms_patient_t *pt;
    sms_db_t *db;
    apr_status_t rv;

    if (sms_rules_text_request(&tr, err, rq->body, SMS_RULES_PATIENT_FILLS_ONLY,
                               p)) {
        return APR_EINVAL;
    }
    if (!tr.template_id) {
        *text = tr.message;
        return APR_SUCCESS;
    }
    if (!(db = sms_db(rq, done))) {
        return APR_EGENERAL;
    }
    if (sms_template_body(&body, err, db, tr.template_id, p)) {
        return APR_EINVAL;
    }
    if (tr.patient_id) {
        int allowed = 0;
        /* a patient this user may not see (SMSPatientAccessQuery) is
         * answered as one that does not exist: no name leaks through */
        rv = sms_store_patient_access(&allowed, db, sms_user(rq), tr.patient_id,
                                      p);
        if (rv == APR_SUCCESS) {
            rv = allowed ? sms_store_patient(&pt, db, tr.patient_id, p)
                         : APR_ENOENT;
        }
        if (rv != APR_SUCCESS) {
            *err =
                rv == APR_ENOENT
                    ? sms_error_make(p, 400, "unknown_patient", "patient_id",
                                     "there is no patient '%s'", tr.patient_id)
                    : sms_error_storage(p, NULL);
            return APR_EINVAL;
        }
        vars = sms_patient_vars(pt, p);
    }
    return sms_rules_render(text, err, body, tr.context, vars, p);
}

int sms_route_preview(sms_req *rq)
{
    static const char *const fields[] = {"message",    "template_id", "context",
                                         "patient_id", "max_parts",   NULL};
    apr_pool_t *p = rq->r->pool;
    sms_error_t *err;
    const char *text = NULL;
    json_int_t max_parts = rq->sc->max_parts;
    int present, done = OK;
    sms_text_t *t;

    if (sms_json_only(&err, rq->body, fields, p) != APR_SUCCESS ||
        sms_json_integer(&max_parts, &present, &err, rq->body, "max_parts", 1,
                         SMS_MAX_PARTS_LIMIT, p) != APR_SUCCESS) {
        return sms_reply_error(rq, err);
    }
    switch (preview_text(&text, &err, rq, &done)) {
    case APR_SUCCESS:
        break;
    case APR_EINVAL:
        return sms_reply_error(rq, err);
    default:
        return done;
    }
    /* max_parts 0: a preview shows what a send would refuse */
    if (sms_rules_final_text(&t, &err, text, strlen(text),
                             rq->sc->smart_encoding, 0, p)) {
        return sms_reply_error(rq, err);
    }
    return sms_reply(rq, HTTP_OK, preview_json(t, (int)max_parts, p));
}
