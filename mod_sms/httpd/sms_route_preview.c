/*
 * sms_route_preview.c - POST /preview/: what a text (or a rendered
 * template) costs: encoding, counts, segments, parts.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_json.h"
#include "sms_template.h"
#include "sms_text.h"

/* Preview fields as API.md "Text" names them, plus the split parts. */
static json_t *preview_json(const sms_text_t *t, int max_parts,
                            apr_pool_t *p)
{
    json_t *parts = json_array();
    int i;

    for (i = 0; i < t->segments; i++) {
        json_array_append_new(parts, json_string(sms_text_part(t, i, p)));
    }
    return json_pack("{s:s, s:I, s:I, s:i, s:i, s:i, s:i, s:b, s:s%, s:o}",
                     "encoding", sms_text_encoding_name(t->encoding),
                     "characters", (json_int_t)t->characters,
                     "units", (json_int_t)t->units,
                     "segments", t->segments,
                     "per_segment", t->per_segment,
                     "remaining", t->remaining,
                     "max_parts", max_parts,
                     "within_limit", t->segments <= max_parts,
                     "message", t->message, t->length,
                     "parts", parts);
}

/* The text a preview counts: "message", or "template_id" rendered with
 * "context" (a placeholder without a value is an error, as in a send). */
static apr_status_t preview_text(const char **text, apr_size_t *len,
                                 sms_error_t **err, sms_req *rq, int *done)
{
    apr_pool_t *p = rq->r->pool;
    json_t *ctx = json_object_get(rq->body, "context"), *vars, *pv;
    sms_template_row_t *t;
    json_int_t id;
    int present;
    sms_db_t *db;
    apr_status_t rv;

    if (sms_json_string(text, len, err, rq->body, "message", 0, p)
        || sms_json_integer(&id, &present, err, rq->body, "template_id", 1,
                            APR_INT64_MAX, p)) {
        return APR_EINVAL;
    }
    if (!present) {
        if (!*text) {
            *err = sms_error_make(p, 400, "invalid_json", "message",
                                  "'message' is required");
            return APR_EINVAL;
        }
        if (ctx || json_object_get(rq->body, "patient_id")) {
            *err = sms_error_make(p, 400, "invalid_json",
                                  ctx ? "context" : "patient_id",
                                  "'%s' goes with 'template_id'",
                                  ctx ? "context" : "patient_id");
            return APR_EINVAL;
        }
        return APR_SUCCESS;
    }
    if (*text) {
        *err = sms_error_make(p, 400, "invalid_json", "template_id",
                              "give 'message' or 'template_id', not both");
        return APR_EINVAL;
    }
    if (ctx && !json_is_object(ctx) && !json_is_null(ctx)) {
        *err = sms_error_make(p, 400, "invalid_json", "context",
                              "'context' must be an object");
        return APR_EINVAL;
    }
    if (!(db = sms_db(rq, done))) {
        return APR_EGENERAL;
    }
    rv = sms_store_template_get(&t, db, id, p);
    if (rv != APR_SUCCESS) {
        *err = rv == APR_ENOENT
               ? sms_error_make(p, 400, "unknown_template", "template_id",
                                "there is no template %" APR_INT64_T_FMT,
                                (apr_int64_t)id)
               : sms_error_make(p, 503, "storage_unavailable", NULL,
                                "the database did not answer");
        return APR_EINVAL;
    }
    vars = json_object();
    sms_json_pool(vars, p);
    if (json_is_object(ctx)) {
        json_object_update(vars, ctx);
    }
    pv = json_object_get(rq->body, "patient_id");
    if (pv && !json_is_null(pv)) {
        const char *pid = json_is_string(pv) ? json_string_value(pv)
                          : json_is_integer(pv)
                          ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                         (apr_int64_t)json_integer_value(pv))
                          : NULL;
        sms_patient_t *pt;
        if (!pid) {
            *err = sms_error_make(p, 400, "invalid_json", "patient_id",
                                  "'patient_id' must be a string or an "
                                  "integer");
            return APR_EINVAL;
        }
        rv = sms_store_patient(&pt, db, pid, p);
        if (rv != APR_SUCCESS) {
            *err = rv == APR_ENOENT
                   ? sms_error_make(p, 400, "unknown_patient", "patient_id",
                                    "there is no patient '%s'", pid)
                   : sms_error_make(p, 503, "storage_unavailable", NULL,
                                    "the database did not answer");
            return APR_EINVAL;
        }
        json_object_update(vars, sms_patient_vars(pt, p));
    }
    if (sms_template_render(text, err, t->body, vars, p)) {
        return APR_EINVAL;
    }
    *len = strlen(*text);
    return APR_SUCCESS;
}

int sms_route_preview(sms_req *rq)
{
    static const char *const fields[] = {"message", "template_id", "context",
                                         "patient_id", "max_parts", NULL};
    apr_pool_t *p = rq->r->pool;
    sms_error_t *err;
    const char *text = NULL, *why;
    apr_size_t len = 0;
    json_int_t max_parts = rq->sc->max_parts;
    int present, done = OK;
    sms_text_t *t;

    if (sms_json_only(&err, rq->body, fields, p) != APR_SUCCESS
        || sms_json_integer(&max_parts, &present, &err, rq->body,
                            "max_parts", 1, SMS_MAX_PARTS_LIMIT, p)
           != APR_SUCCESS) {
        return sms_reply_error(rq, err);
    }
    switch (preview_text(&text, &len, &err, rq, &done)) {
    case APR_SUCCESS:
        break;
    case APR_EINVAL:
        return sms_reply_error(rq, err);
    default:
        return done;
    }
    if (sms_text_analyse(&t, &why, text, len, rq->sc->smart_encoding, p)
        != APR_SUCCESS) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_message", "message",
                        "%s", why);
    }
    return sms_reply(rq, HTTP_OK, preview_json(t, (int)max_parts, p));
}
