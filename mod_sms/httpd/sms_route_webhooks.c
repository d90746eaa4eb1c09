/*
 * sms_route_webhooks.c - provider callbacks: delivery receipts
 * (/webhook/dlr/) and inbound replies (/webhook/inbound/), opt-out and
 * opt-in keywords.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_hostevent.h"
#include "sms_intent.h"
#include "sms_form.h"
#include "sms_json.h"
#include "sms_status.h"
#include "sms_keyword.h"
#include "sms_phone.h"
#include "sms_token.h"

#define INBOUND_BUCKET apr_time_from_sec(600)

/* ---- delivery receipts -------------------------------------------------- */

/* The message a receipt is about: by smsref, else by our ref and the
 * number; NULL when unknown or when the number is not the message's. */
static apr_status_t receipt_message(sms_message_t **m, sms_db_t *db,
                                    const sms_form_dlr_t *dlr, apr_pool_t *p)
{
    apr_status_t rv =
        dlr->smsref ? sms_store_by_smsref(m, db, dlr->smsref, p) : APR_ENOENT;

    if (rv == APR_ENOENT && dlr->ref && dlr->to) {
        rv = sms_store_by_ref(m, db, dlr->ref, dlr->to, p);
    }
    if (rv == APR_ENOENT ||
        (rv == APR_SUCCESS && dlr->to && strcmp((*m)->to, dlr->to))) {
        *m = NULL;
        return APR_SUCCESS;
    }
    return rv;
}

/* In the receipt's transaction: move m when the receipt may finish it,
 * else leave an event that it came; *result says which. */
static apr_status_t apply_receipt(const char **result, sms_db_t *db,
                                  sms_message_t *m, const sms_form_dlr_t *dlr,
                                  apr_time_t now, apr_pool_t *p)
{
    const char *detail = apr_psprintf(p, "receipt %s%s%s", dlr->status,
                                      dlr->smsref ? " smsref " : "",
                                      dlr->smsref ? dlr->smsref : "");
    sms_transition_t t;
    int changed = 0;

    *result = "recorded";
    if (dlr->mapped && sms_status_receipt_applies(m->status, m->attempts)) {
        memset(&t, 0, sizeof(t));
        t.id = m->id;
        t.from = m->status;
        t.to = dlr->mapped;
        t.delivered_at = !strcmp(dlr->mapped, "delivered") ? now : 0;
        t.error = strcmp(dlr->mapped, "delivered")
                      ? apr_pstrcat(p, "provider reports ", dlr->status, NULL)
                      : NULL;
        t.detail = detail;
        t.now = now;
        if (sms_store_transition(&changed, db, &t, p) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
        if (changed) {
            m->status = dlr->mapped;
            *result = "applied";
            return APR_SUCCESS;
        }
    }
    /* a distinct report that changes nothing still leaves a trace */
    return sms_store_add_event(db, m->id, m->status,
                               apr_pstrcat(p, detail, ": no change", NULL), now,
                               p);
}

/* A receipt's write (group commit): its row, then what it does to the
 * message. */
typedef struct {
    const sms_form_dlr_t *dlr;
    sms_message_t *m;
    const char *from_status; /* m's status when read */
    const char *key, *result;
    apr_time_t now;
    int duplicate;
} receipt_write;

static apr_status_t write_receipt(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    receipt_write *w = ctx;
    const sms_form_dlr_t *dlr = w->dlr;
    apr_status_t rv;

    w->result = "unknown_message";
    w->duplicate = 0;
    if (w->m) {
        w->m->status = w->from_status;
    }
    rv = sms_store_dlr_insert(db, w->m ? w->m->id : 0, dlr->smsref, dlr->ref,
                              dlr->to ? dlr->to : dlr->to_raw, dlr->status,
                              w->now, w->key, p);
    if (rv == APR_EEXIST) { /* the same report, a moment ago */
        w->duplicate = 1;
        return rv;
    }
    if (rv == APR_SUCCESS && w->m) {
        rv = apply_receipt(&w->result, db, w->m, dlr, w->now, p);
    }
    return rv;
}

int sms_route_dlr(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    receipt_write w = {NULL};
    sms_form_dlr_t dlr;
    sms_error_t *err;
    apr_status_t rv;
    sms_db_t *db;
    int done = OK, seen = 0;

    /* rq->args: checked by the router (sms_check_webhook) */
    if (sms_form_dlr(&dlr, &err, rq->args, rq->sc->country_code, p)) {
        return sms_reply_error(rq, err);
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    w.dlr = &dlr;
    w.now = apr_time_now();
    w.key = sms_form_dedup_key(
        4,
        (const char *[]){dlr.smsref, dlr.ref, dlr.to ? dlr.to : dlr.to_raw,
                         dlr.mapped ? dlr.mapped : dlr.status},
        p);
    if (sms_store_dlr_seen(&seen, db, w.key, p) != APR_SUCCESS ||
        (!seen && receipt_message(&w.m, db, &dlr, p) != APR_SUCCESS)) {
        return sms_storage_failed(rq);
    }
    if (!seen) {
        w.from_status = w.m ? w.m->status : NULL;
        rv = sms_store_write(db, write_receipt, &w, p);
        seen = rv == APR_EEXIST && w.duplicate;
        if (rv != APR_SUCCESS && !seen) {
            return sms_storage_failed(rq);
        }
    }
    if (seen) {
        return sms_reply(rq, HTTP_OK,
                         json_pack("{s:s}", "result", "duplicate"));
    }
    return sms_reply(
        rq, HTTP_OK,
        json_pack("{s:s, s:o, s:s?}", "result", w.result, "message_id",
                  w.m ? json_integer((json_int_t)w.m->id) : json_null(),
                  "status", w.m ? w.m->status : NULL));
}

/* ---- inbound replies
 * ---------------------------------------------------------- */

/* "STOP", "START" or NULL for a reply (API.md section 7: case,
 * full-width, NBSP, zero-width marks and punctuation do not matter;
 * STOP/UNSUBSCRIBE also as a first word); *word is the keyword. */
static const char *reply_opt(const char **word, sms_req *rq, const char *text)
{
    switch (
        sms_keyword_match(word, text, rq->sc->optout_keywords, rq->r->pool)) {
    case SMS_KEYWORD_OPTOUT:
        return "STOP";
    case SMS_KEYWORD_OPTIN:
        return "START";
    default:
        return NULL;
    }
}

/* A keyword takes effect on the opt-out list (in the caller's
 * transaction, if any). */
static apr_status_t apply_opt(sms_db_t *db, const char *opt, const char *from,
                              apr_time_t now, apr_pool_t *p)
{
    int changed = 0, out = !strcmp(opt, "STOP");
    apr_status_t rv =
        out ? sms_store_optout_add(&changed, db, from, "inbound", NULL, now, p)
            : sms_store_optout_remove(&changed, db, from, p);

    return rv == APR_SUCCESS && changed
               ? sms_store_hostevent_optout(db, from, out, "inbound", NULL, now,
                                            p)
               : rv;
}

/* A reply's write (group commit): the reply, its links to patients and
 * its keyword, all or nothing; APR_EEXIST when the same reply was stored
 * a moment ago. */
typedef struct {
    const sms_form_inbound_t *in;
    const sms_message_t *m;
    const apr_array_header_t *patients;
    const char *opt, *word, *intent, *key;
    apr_time_t now;
    apr_int64_t id;
} reply_write;

static apr_status_t write_reply(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    reply_write *w = ctx;
    const sms_form_inbound_t *in = w->in;
    apr_status_t rv;
    int i;

    rv = sms_store_inbound_insert(&w->id, db, in->from, in->to, in->text,
                                  in->ref, w->m ? w->m->id : 0,
                                  w->opt ? w->word : NULL, w->now, w->key,
                                  w->now / INBOUND_BUCKET, w->intent, p);
    for (i = 0; rv == APR_SUCCESS && i < w->patients->nelts; i++) {
        rv = sms_store_inbound_link(
            db, w->id, APR_ARRAY_IDX(w->patients, i, const char *), p);
    }
    if (rv == APR_SUCCESS) {
        rv = sms_store_hostevent_inbound(
            db, w->id, in->from, w->m ? w->m->id : 0, w->patients, w->intent,
            w->opt ? (!strcmp(w->opt, "STOP") ? "out" : "in") : NULL, w->now,
            p);
    }
    if (rv == APR_SUCCESS && w->opt) {
        rv = apply_opt(db, w->opt, in->from, w->now, p);
    }
    return rv;
}

/* A repeated reply's keyword and its event (w->key is the number). */
static apr_status_t write_opt(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    reply_write *w = ctx;

    return apply_opt(db, w->opt, w->key, w->now, p);
}

/* A repeated reply is stored once (provider retries), but a keyword in it
 * always takes effect: STOP, START, STOP within minutes ends opted out. */
static int duplicate_reply(sms_req *rq, sms_db_t *db, const char *opt,
                           const char *from, apr_time_t now)
{
    reply_write w = {NULL};

    w.opt = opt;
    w.key = from;
    w.now = now;
    if (opt && sms_store_write(db, write_opt, &w, rq->r->pool) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    return sms_reply(
        rq, HTTP_OK,
        json_pack("{s:s, s:s?}", "result", "duplicate", "opt",
                  opt ? (!strcmp(opt, "STOP") ? "out" : "in") : NULL));
}

int sms_route_inbound(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    const char *key, *word = NULL, *opt, *intent;
    apr_array_header_t *patients;
    sms_message_t *m = NULL;
    sms_form_inbound_t in;
    sms_error_t *err;
    apr_time_t now = apr_time_now();
    apr_int64_t id = 0;
    json_t *linked;
    sms_db_t *db;
    apr_status_t rv;
    int done = OK, seen = 0, i;

    /* rq->args: checked by the router (sms_check_webhook) */
    if (sms_form_inbound(&in, &err, rq->args, rq->sc->country_code, p)) {
        return sms_reply_error(rq, err);
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    opt = reply_opt(&word, rq, in.text);
    key = sms_form_dedup_key(
        4, (const char *[]){in.from, in.to, in.ref, in.text}, p);
    if (sms_store_inbound_seen(&seen, db, key, now / INBOUND_BUCKET, p) !=
        APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (seen) {
        return duplicate_reply(rq, db, opt, in.from, now);
    }
    rv = in.ref ? sms_store_by_ref(&m, db, in.ref, in.from, p) : APR_ENOENT;
    if ((rv != APR_SUCCESS && rv != APR_ENOENT) ||
        sms_store_patient_phones_e164(db, rq->sc->country_code, p) !=
            APR_SUCCESS ||
        sms_store_patients_by_phone(&patients, db, in.from, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    /* what the reply means: only for a reply to a message, not for a
     * keyword (API.md section 7) */
    intent = opt || !m ? NULL
                       : sms_intent_name(
                             sms_intent_classify(in.text, rq->sc->reply_confirm,
                                                 rq->sc->reply_cancel, p));
    {
        reply_write w = {&in, m, patients, opt, word, intent, key, now, 0};
        rv = sms_store_write(db, write_reply, &w, p);
        id = w.id;
    }
    if (rv == APR_EEXIST) {
        return duplicate_reply(rq, db, opt, in.from, now);
    }
    if (rv != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (opt) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, rq->r, "%s opted %s",
                      sms_phone_mask(in.from, p),
                      !strcmp(opt, "STOP") ? "out" : "back in");
    }
    linked = json_array();
    for (i = 0; i < patients->nelts; i++) {
        json_array_append_new(
            linked, json_string(APR_ARRAY_IDX(patients, i, const char *)));
    }
    return sms_reply(
        rq, HTTP_OK,
        json_pack("{s:s, s:I, s:s, s:o, s:o, s:s?, s:s?}", "result", "stored",
                  "id", (json_int_t)id, "from", in.from, "patients", linked,
                  "message_id",
                  m ? json_integer((json_int_t)m->id) : json_null(), "opt",
                  opt ? (!strcmp(opt, "STOP") ? "out" : "in") : NULL, "intent",
                  intent));
}
