/*
 * sms_route_webhooks.c - provider callbacks: delivery receipts
 * (/webhook/dlr/) and inbound replies (/webhook/inbound/), opt-out and
 * opt-in keywords.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_form.h"
#include "sms_json.h"
#include "sms_status.h"
#include "sms_keyword.h"
#include "sms_phone.h"
#include "sms_token.h"

#define INBOUND_BUCKET apr_time_from_sec(600)

/* ---- delivery receipts -------------------------------------------------- */

int sms_route_dlr(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    const char *to_raw, *to, *ref, *smsref, *status, *mapped, *key, *detail;
    const char *result;
    sms_message_t *m = NULL;
    sms_form_dlr_t dlr;
    sms_error_t *err;
    apr_table_t *args;
    apr_time_t now = apr_time_now();
    apr_status_t rv;
    sms_db_t *db;
    int done = OK, seen = 0, ok;

    args = rq->args;    /* checked by the router (sms_check_webhook) */
    if (sms_form_dlr(&dlr, &err, args, rq->sc->country_code, p)) {
        return sms_reply_error(rq, err);
    }
    status = dlr.status;
    mapped = dlr.mapped;
    smsref = dlr.smsref;
    ref = dlr.ref;
    to_raw = dlr.to_raw;
    to = dlr.to;
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    key = sms_form_dedup_key(4, (const char *[]){smsref, ref,
                                                 to ? to : to_raw,
                                                 mapped ? mapped : status},
                             p);
    if (sms_store_dlr_seen(&seen, db, key, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (seen) {
        return sms_reply(rq, HTTP_OK, json_pack("{s:s}", "result",
                                                "duplicate"));
    }
    rv = smsref ? sms_store_by_smsref(&m, db, smsref, p) : APR_ENOENT;
    if (rv == APR_ENOENT && ref && to) {
        rv = sms_store_by_ref(&m, db, ref, to, p);
    }
    if (rv != APR_SUCCESS && rv != APR_ENOENT) {
        return sms_storage_failed(rq);
    }
    if (rv == APR_ENOENT || (m && to && strcmp(m->to, to))) {
        m = NULL;       /* unknown, or a number that is not the message's */
    }
    detail = apr_psprintf(p, "receipt %s%s%s", status,
                          smsref ? " smsref " : "", smsref ? smsref : "");
    ok = sms_store_begin(db, p) == APR_SUCCESS;
    rv = ok ? sms_store_dlr_insert(db, m ? m->id : 0, smsref, ref,
                                   to ? to : to_raw, status, now, key, p)
            : APR_EGENERAL;
    if (rv == APR_EEXIST) {     /* the same report, a moment ago */
        sms_store_end(db, 0, p);
        return sms_reply(rq, HTTP_OK, json_pack("{s:s}", "result",
                                                "duplicate"));
    }
    ok = rv == APR_SUCCESS;
    result = m ? "recorded" : "unknown_message";
    if (ok && m && mapped && sms_status_receipt_applies(m->status, m->attempts)) {
        sms_transition_t t;
        int changed = 0;
        memset(&t, 0, sizeof(t));
        t.id = m->id;
        t.from = m->status;
        t.to = mapped;
        t.delivered_at = !strcmp(mapped, "delivered") ? now : 0;
        t.error = strcmp(mapped, "delivered")
                  ? apr_pstrcat(p, "provider reports ", status, NULL) : NULL;
        t.detail = detail;
        t.now = now;
        ok = sms_store_transition(&changed, db, &t, p) == APR_SUCCESS;
        result = changed ? "applied" : "recorded";
        if (changed) {
            m->status = mapped;
        }
    }
    if (ok && m && strcmp(result, "applied")) {
        /* a distinct report that changes nothing still leaves a trace */
        ok = sms_store_add_event(db, m->id, m->status, apr_pstrcat(
                                     p, detail, ": no change", NULL),
                                 now, p) == APR_SUCCESS;
    }
    if (sms_store_end(db, ok, p) != APR_SUCCESS || !ok) {
        return sms_storage_failed(rq);
    }
    return sms_reply(rq, HTTP_OK, json_pack(
        "{s:s, s:o, s:s?}", "result", result, "message_id",
        m ? json_integer((json_int_t)m->id) : json_null(), "status",
        m ? m->status : NULL));
}

/* ---- inbound replies ---------------------------------------------------------- */

int sms_route_inbound(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    const char *from, *to, *text, *ref, *key, *word, *opt = NULL;
    apr_array_header_t *patients;
    sms_message_t *m = NULL;
    sms_form_inbound_t in;
    sms_error_t *err;
    apr_table_t *args;
    apr_time_t now = apr_time_now();
    apr_int64_t bucket = now / INBOUND_BUCKET, id = 0;
    json_t *linked;
    sms_db_t *db;
    apr_status_t rv;
    int done = OK, seen = 0, ok, i, changed = 0;

    args = rq->args;    /* checked by the router (sms_check_webhook) */
    if (sms_form_inbound(&in, &err, args, rq->sc->country_code, p)) {
        return sms_reply_error(rq, err);
    }
    from = in.from;
    to = in.to;
    text = in.text;
    ref = in.ref;
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    key = sms_form_dedup_key(4, (const char *[]){from, to, ref, text}, p);
    if (sms_store_inbound_seen(&seen, db, key, bucket, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (seen) {
        return sms_reply(rq, HTTP_OK, json_pack("{s:s}", "result",
                                                "duplicate"));
    }
    rv = ref ? sms_store_by_ref(&m, db, ref, from, p) : APR_ENOENT;
    if (rv != APR_SUCCESS && rv != APR_ENOENT) {
        return sms_storage_failed(rq);
    }
    if (sms_store_patient_phones_e164(db, rq->sc->country_code, p)
        != APR_SUCCESS
        || sms_store_patients_by_phone(&patients, db, from, p)
           != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    /* API.md section 7: case, full-width, NBSP, zero-width marks and
     * punctuation do not matter; STOP/UNSUBSCRIBE also as a first word */
    switch (sms_keyword_match(&word, text, rq->sc->optout_keywords, p)) {
    case SMS_KEYWORD_OPTOUT:
        opt = "STOP";
        break;
    case SMS_KEYWORD_OPTIN:
        opt = "START";
        break;
    default:
        break;
    }
    ok = sms_store_begin(db, p) == APR_SUCCESS;
    rv = ok ? sms_store_inbound_insert(&id, db, from, to, text, ref,
                                       m ? m->id : 0, opt ? word : NULL, now,
                                       key, bucket, p)
            : APR_EGENERAL;
    if (rv == APR_EEXIST) {
        sms_store_end(db, 0, p);
        return sms_reply(rq, HTTP_OK, json_pack("{s:s}", "result",
                                                "duplicate"));
    }
    ok = rv == APR_SUCCESS;
    for (i = 0; ok && i < patients->nelts; i++) {
        ok = sms_store_inbound_link(db, id, APR_ARRAY_IDX(patients, i,
                                                           const char *),
                                    p) == APR_SUCCESS;
    }
    if (ok && opt && !strcmp(opt, "STOP")) {
        ok = sms_store_optout_add(&changed, db, from, "inbound", NULL, now,
                                  p) == APR_SUCCESS;
    }
    else if (ok && opt) {
        ok = sms_store_optout_remove(&changed, db, from, p) == APR_SUCCESS;
    }
    if (sms_store_end(db, ok, p) != APR_SUCCESS || !ok) {
        return sms_storage_failed(rq);
    }
    if (opt) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, rq->r, "%s opted %s",
                      sms_phone_mask(from, p),
                      !strcmp(opt, "STOP") ? "out" : "back in");
    }
    linked = json_array();
    for (i = 0; i < patients->nelts; i++) {
        json_array_append_new(linked, json_string(
            APR_ARRAY_IDX(patients, i, const char *)));
    }
    return sms_reply(rq, HTTP_OK, json_pack(
        "{s:s, s:I, s:s, s:o, s:o, s:s?}", "result", "stored", "id",
        (json_int_t)id, "from", from, "patients", linked, "message_id",
        m ? json_integer((json_int_t)m->id) : json_null(), "opt",
        opt ? (!strcmp(opt, "STOP") ? "out" : "in") : NULL));
}
