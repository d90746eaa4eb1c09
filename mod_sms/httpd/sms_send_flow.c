/*
 * sms_send_flow.c - the one send path shared by /send/, /send-bulk/ and
 * /patient/{id}/send/: Idempotency-Key, option parsing and checks, the
 * opt-out guard, storing and the sync provider call.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_idempotency.h"
#include "sms_json.h"
#include "sms_phone.h"
#include "sms_rules.h"
#include "sms_text.h"
#include "sms_window.h"

/* ---- Idempotency-Key -------------------------------------------------------
 */

/* DECLINED to go on (*key set when the header came), or the handler's
 * return value after answering: the replayed first response, or 409. */
static int idem_begin(sms_req *rq, sms_db_t *db, const char **key)
{
    request_rec *r = rq->r;
    const char *k = apr_table_get(r->headers_in, "Idempotency-Key");
    const char *hash, *stored_hash, *response;
    apr_time_t now = apr_time_now();
    sms_error_t *err;
    int status;

    *key = NULL;
    if (!k) {
        return DECLINED;
    }
    if (sms_idem_check_key(&err, k, r->pool) != APR_SUCCESS) {
        return sms_reply_error(rq, err);
    }
    hash = sms_idem_hash(r->uri, rq->body, r->pool);
    if (sms_store_idem_get(&stored_hash, &status, &response, db, sms_user(rq),
                           k, now - SMS_IDEM_TTL, r->pool) == APR_SUCCESS) {
        if (sms_idem_decide(&err, stored_hash, status, hash, r->pool) !=
            SMS_IDEM_REPLAY) {
            return sms_reply_error(rq, err);
        }
        r->status = status;
        ap_set_content_type(r, "application/json");
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        apr_table_setn(r->headers_out, "Idempotent-Replayed", "true");
        ap_rputs(response, r);
        return OK;
    }
    if (sms_store_idem_start(db, sms_user(rq), k, hash, now, now - SMS_IDEM_TTL,
                             r->pool) != APR_SUCCESS) {
        /* another request took the key between our look and our claim */
        sms_idem_decide(&err, hash, 0, hash, r->pool);
        return sms_reply_error(rq, err);
    }
    *key = k;
    return DECLINED;
}

/* Keep the answer for replays, or forget the key (sms_idem_keeps). */
static int idem_end(sms_req *rq, sms_db_t *db, const char *key, int rc)
{
    if (!key) {
        return rc;
    }
    if (sms_idem_keeps(rq->reply_status)) {
        sms_store_idem_finish(db, sms_user(rq), key, rq->reply_status,
                              rq->reply_text, rq->r->pool);
    }
    else {
        sms_store_idem_delete(db, sms_user(rq), key, rq->r->pool);
    }
    return rc;
}

/* ---- validation -------------------------------------------------------------
 */

apr_status_t sms_template_body(const char **body, sms_error_t **err,
                               sms_db_t *db, apr_int64_t id, apr_pool_t *p)
{
    sms_template_row_t *t;
    apr_status_t rv = sms_store_template_get(&t, db, id, p);

    if (rv == APR_ENOENT) {
        *err = sms_error_make(p, 400, "unknown_template", "template_id",
                              "there is no template %" APR_INT64_T_FMT, id);
        return APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        *err = sms_error_storage(p, NULL);
        return rv;
    }
    *body = t->body;
    return APR_SUCCESS;
}

/* The body's text fields and send options (the core's rules), the
 * template's text when one is named: everything but the recipients. */
apr_status_t sms_send_parse_opts(sms_send_opts_t *o, sms_error_t **err,
                                 sms_req *rq, sms_db_t *db)
{
    apr_pool_t *p = rq->r->pool;
    sms_text_req_t tr;
    sms_send_req_opts_t so;

    memset(o, 0, sizeof(*o));
    if (sms_rules_text_request(&tr, err, rq->body, 0, p) ||
        sms_rules_send_options(&so, err, rq->body, rq->sc->sender_id,
                               rq->sc->sender_allowed, rq->sc->max_parts,
                               apr_time_now(), p)) {
        return APR_EINVAL;
    }
    o->text = tr.message;
    o->template_id = tr.template_id;
    o->context = tr.context;
    o->patient_id = tr.patient_id;
    o->sender_id = so.sender_id;
    o->max_parts = so.max_parts;
    o->send_at = so.send_at;
    if (sms_send_window_opt(&o->respect_window, err, rq->body, p)) {
        return APR_EINVAL;
    }
    return tr.template_id
               ? sms_template_body(&o->text, err, db, tr.template_id, p)
               : APR_SUCCESS;
}

/* The text for one recipient: rendered, validated, counted. */
apr_status_t sms_send_final_text(sms_text_t **t, sms_error_t **err,
                                 const sms_send_opts_t *o, json_t *extra,
                                 sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    const char *text = o->text;

    if (o->template_id &&
        sms_rules_render(&text, err, o->text, o->context, extra, p)) {
        return APR_EINVAL;
    }
    return sms_rules_final_text(t, err, text, strlen(text),
                                rq->sc->smart_encoding, o->max_parts, p);
}

/* A new outbox row for one recipient. */
sms_message_t *sms_send_new_message(sms_req *rq, const sms_send_opts_t *o,
                                    const sms_text_t *t, const char *to,
                                    apr_time_t now)
{
    sms_message_t *m = apr_pcalloc(rq->r->pool, sizeof(*m));

    m->to = to;
    m->patient_id = o->patient_id;
    m->sender_id = o->sender_id;
    m->body = t->message;
    m->encoding = sms_text_encoding_name(t->encoding);
    m->segments = t->segments;
    m->max_parts = o->max_parts;
    m->template_id = o->template_id;
    m->sent_by = sms_user(rq);
    m->created_at = now;
    m->send_at = o->send_at;
    m->next_attempt_at = o->send_at ? o->send_at : now;
    m->status = o->send_at ? "scheduled" : "queued";
    return m;
}

/* ---- POST /send/
 * -------------------------------------------------------------- */

/* A send's write (group commit): the message and its audit row commit
 * together, or neither. */
typedef struct {
    sms_req *rq;
    sms_message_t *m;
} message_write;

static apr_status_t write_message(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    message_write *w = ctx;
    apr_status_t rv = sms_store_insert_message(&w->m->id, db, w->m, p);

    return rv == APR_SUCCESS
               ? sms_audit(w->rq, db, "message.send",
                           apr_psprintf(p, "%" APR_INT64_T_FMT, w->m->id),
                           w->m->patient_id)
               : rv;
}

/* A send filed with a patient (not through the patient's own route): one
 * the user may see, and only to one of the patient's own numbers (API.md
 * section 5). DECLINED with *label set to go on, else the answer. */
static int patient_number_label(const char **label, sms_req *rq, sms_db_t *db,
                                const char *patient_id,
                                const sms_target_t *target)
{
    apr_array_header_t *phones;
    const sms_patient_phone_t *ph;
    int rc;

    if (!sms_find_patient(rq, db, patient_id, &phones, &rc)) {
        return rc;
    }
    if (!(ph = sms_patient_number(phones, target->to))) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_phone", target->field,
                        "this number is not one of patient %s's numbers",
                        patient_id);
    }
    *label = ph->label;
    return DECLINED;
}

/* Sync mode: the committed message (held as "sending" under this
 * request's lease) goes to the provider now; the answer. */
static int send_now(sms_req *rq, sms_db_t *db, sms_message_t *m)
{
    apr_pool_t *p = rq->r->pool;
    apr_array_header_t *one = apr_array_make(p, 1, sizeof(m));

    m->provider_ref = apr_psprintf(p, "%" APR_INT64_T_FMT, m->id);
    APR_ARRAY_PUSH(one, sms_message_t *) = m;
    sms_sender_send(db, rq->sc->pv, &rq->sc->sender, one, p);
    if (!strcmp(m->status, "failed")) {
        json_t *body = json_pack(
            "{s:{s:s, s:s, s:n}, s:o}", "error", "code", "provider_error",
            "message", m->error ? m->error : "the provider refused it", "field",
            "message", sms_message_json(m, p));
        return sms_reply(rq, HTTP_BAD_GATEWAY, body);
    }
    return sms_reply(rq,
                     !strcmp(m->status, "sent") ||
                             !strcmp(m->status, "delivered")
                         ? HTTP_CREATED
                         : HTTP_ACCEPTED,
                     sms_message_json(m, p));
}

/* ---- the number type
 * ------------------------------------------------------------ */

/* 400 not_sms_capable naming the target's field when its number (as the
 * caller parsed it: libphonenumber once per send) is of a type
 * SMSAllowNumberTypes leaves out; DECLINED otherwise. */
static int refuse_not_sms_capable(sms_req *rq, const sms_target_t *target)
{
    sms_error_t *err;

    return sms_phone_check_sms(&err, target->ph, rq->sc->allow_types,
                               target->field, rq->r->pool)
               ? sms_reply_error(rq, err)
               : DECLINED;
}

int sms_send_to(sms_req *rq, sms_db_t *db, const sms_target_t *target)
{
    apr_pool_t *p = rq->r->pool;
    const sms_server_conf *sc = rq->sc;
    sms_error_t *err;
    sms_send_opts_t o;
    sms_text_t *t;
    message_write w;
    apr_time_t now = apr_time_now();
    const char *phone_label = NULL;
    int sync, rc;

    if (sms_send_parse_opts(&o, &err, rq, db) ||
        sms_send_final_text(&t, &err, &o, target->vars, rq)) {
        return sms_reply_error(rq, err);
    }
    if (target->patient_id) {
        o.patient_id = target->patient_id;
    }
    else if (o.patient_id &&
             (rc = patient_number_label(&phone_label, rq, db, o.patient_id,
                                        target)) != DECLINED) {
        return rc;
    }
    if ((rc = refuse_not_sms_capable(rq, target)) != DECLINED ||
        (rc = sms_refuse_opted_out(rq, db, target->to, target->field)) !=
            DECLINED) {
        return rc;
    }
    w.rq = rq;
    w.m = sms_send_new_message(rq, &o, t, target->to, now);
    w.m->phone_label = target->phone_label ? target->phone_label : phone_label;
    sms_send_window_hold(&w.m, 1, o.send_at || o.respect_window, sc);
    /* sync: committed as "sending" under this request's lease, then sent */
    sync = sc->send_mode == SMS_SEND_SYNC && !w.m->send_at && sc->pv &&
           sc->rate_limit == 0;
    if (sync) {
        w.m->status = "sending";
        w.m->attempts = 1;
        w.m->lease_owner = sms_request_owner(rq->r);
        w.m->lease_until = now + sc->sender.lease;
    }
    if (sms_store_write(db, write_message, &w, p) != APR_SUCCESS) {
        return sms_reply_error(
            rq, sms_error_storage(p, "the message could not be stored"));
    }
    if (sync) {
        return send_now(rq, db, w.m);
    }
    if (!strcmp(w.m->status, "queued")) { /* the sender takes it now */
        sms_counters_queued(rq->r->server, 1);
    }
    return sms_reply(rq, HTTP_ACCEPTED, sms_message_json(w.m, p));
}

int sms_with_idempotency(sms_req *rq, int (*fn)(sms_req *, sms_db_t *))
{
    int done = OK, rc;
    const char *key;
    sms_db_t *db = sms_db(rq, &done);

    if (!db) {
        return done;
    }
    rc = idem_begin(rq, db, &key);
    if (rc != DECLINED) {
        return rc;
    }
    return idem_end(rq, db, key, fn(rq, db));
}

/* ---- the opt-out list
 * ------------------------------------------------------------ */

int sms_refuse_opted_out(sms_req *rq, sms_db_t *db, const char *number,
                         const char *field)
{
    int opted_out = 0;

    if (sms_store_optout_check(&opted_out, db, number, rq->r->pool) !=
        APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (opted_out) {
        return sms_fail(rq, 422, "opted_out", field,
                        "%s has opted out (STOP)"
                        " and must not be sent to; it opts back in by "
                        "texting START, or by DELETE /optouts/{number}",
                        number);
    }
    return DECLINED;
}

/* ---- SMSSendWindow (API.md section 7)
 * ------------------------------------------------------------ */

apr_status_t sms_send_window_opt(int *on, sms_error_t **err, json_t *body,
                                 apr_pool_t *p)
{
    json_t *v = body ? json_object_get(body, "respect_window") : NULL;

    if (v && !json_is_boolean(v)) {
        *err = sms_error_make(p, 400, "invalid_json", "respect_window",
                              "'respect_window' must be true or false");
        return APR_EINVAL;
    }
    *on = json_is_true(v);
    return APR_SUCCESS;
}

void sms_send_window_hold(sms_message_t **msgs, int n, int keeps,
                          const sms_server_conf *sc)
{
    apr_time_t at, opens;
    int i;

    if (!sc->window || !keeps || n < 1) {
        return;
    }
    at = msgs[0]->send_at ? msgs[0]->send_at : sms_clock_now(sc->test_clock);
    opens = sms_window_next(sc->window, at);
    for (i = 0; opens != at && i < n; i++) {
        msgs[i]->send_at = msgs[i]->next_attempt_at = opens;
        msgs[i]->status = "scheduled";
    }
}
