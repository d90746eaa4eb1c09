/*
 * sms_route_send.c - POST /send/ and POST /send-bulk/.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_json.h"
#include "sms_phone.h"

#define BULK_MAX 10000

static int send_one(sms_req *rq, sms_db_t *db)
{
    static const char *const fields[] = {
        "to",        "message", "template_id", "context",        "sender_id",
        "max_parts", "send_at", "patient_id",  "respect_window", NULL};
    apr_pool_t *p = rq->r->pool;
    sms_target_t target;
    sms_phone_t *ph;
    sms_error_t *err;
    const char *to_in;

    memset(&target, 0, sizeof(target));
    target.field = "to";
    if (sms_json_only(&err, rq->body, fields, p) ||
        sms_json_string(&to_in, NULL, &err, rq->body, "to", 1, p) ||
        sms_phone_parse(&ph, &err, to_in, rq->sc->country_code, "to", p)) {
        return sms_reply_error(rq, err);
    }
    target.to = ph->digits;
    target.ph = ph;
    return sms_send_to(rq, db, &target);
}

int sms_route_send(sms_req *rq)
{
    return sms_with_idempotency(rq, send_one);
}

/* ---- POST /send-bulk/
 * ------------------------------------------------------------ */

static void reject(json_t *rejected, json_t *to, const sms_error_t *e)
{
    json_array_append_new(rejected, json_pack("{s:O, s:{s:s, s:s, s:s?}}", "to",
                                              to ? to : json_null(), "error",
                                              "code", e->code, "message",
                                              e->message, "field", e->field));
}

/* Every recipient is a number (a string) or {"to": string, "context":
 * object}: anything else is a malformed request (400 invalid_json naming
 * it), not a recipient to report. */
static apr_status_t recipient_types(sms_error_t **err, json_t *list,
                                    apr_pool_t *p)
{
    static const char *const fields[] = {"to", "context", NULL};
    json_t *item, *ctx;
    size_t i;

    json_array_foreach(list, i, item)
    {
        const char *at = apr_psprintf(p, "recipients[%d]", (int)i);
        if (json_is_string(item)) {
            continue;
        }
        if (!json_is_object(item) ||
            sms_json_only(err, item, fields, p) != APR_SUCCESS ||
            !json_is_string(json_object_get(item, "to")) ||
            ((ctx = json_object_get(item, "context")) && !json_is_null(ctx) &&
             !json_is_object(ctx))) {
            *err = sms_error_make(p, 400, "invalid_json", at,
                                  "'%s' must be "
                                  "a phone number or {\"to\": \"...\", "
                                  "\"context\": {...}}",
                                  at);
            return APR_EINVAL;
        }
    }
    return APR_SUCCESS;
}

/* One recipient, parsed once: its number, or why it is refused. */
typedef struct {
    json_t *to_json;
    json_t *context;
    sms_phone_t *ph;
    sms_error_t *err;
} bulk_rcpt_t;

/* Every recipient's number parsed (libphonenumber, once each), and the
 * opt-outs among them looked up many at a time. */
static apr_status_t parse_recipients(bulk_rcpt_t **out, apr_hash_t **optouts,
                                     json_t *list, sms_req *rq, sms_db_t *db)
{
    apr_pool_t *p = rq->r->pool;
    size_t n = json_array_size(list), i;
    bulk_rcpt_t *rc = apr_pcalloc(p, n * sizeof(*rc));
    apr_array_header_t *numbers =
        apr_array_make(p, (int)n, sizeof(const char *));
    json_t *item;

    json_array_foreach(list, i, item)
    {
        rc[i].to_json =
            json_is_object(item) ? json_object_get(item, "to") : item;
        rc[i].context =
            json_is_object(item) ? json_object_get(item, "context") : NULL;
        if (json_is_null(rc[i].context)) {
            rc[i].context = NULL;
        }
        if (strlen(json_string_value(rc[i].to_json)) !=
            json_string_length(rc[i].to_json)) { /* a NUL inside */
            rc[i].err = sms_error_make(p, 400, "invalid_phone", "to",
                                       "a phone number has no NUL character");
        }
        else if (sms_phone_parse(
                     &rc[i].ph, &rc[i].err, json_string_value(rc[i].to_json),
                     rq->sc->country_code, "to", p) == APR_SUCCESS) {
            APR_ARRAY_PUSH(numbers, const char *) = rc[i].ph->digits;
        }
    }
    *out = rc;
    return sms_store_optout_many(optouts, db, numbers, p);
}

/* The recipients that may be sent to, as new messages; the others in
 * rejected with the reason. */
static apr_array_header_t *accept_recipients(int *segments, json_t *rejected,
                                             const bulk_rcpt_t *rc, size_t n,
                                             apr_hash_t *optouts,
                                             const apr_array_header_t *phones,
                                             const sms_send_opts_t *o,
                                             sms_req *rq, apr_time_t now)
{
    apr_pool_t *p = rq->r->pool;
    apr_array_header_t *msgs =
        apr_array_make(p, (int)n, sizeof(sms_message_t *));
    apr_hash_t *seen = apr_hash_make(p);
    sms_error_t *err;
    sms_text_t *t;
    size_t i;

    *segments = 0;
    for (i = 0; i < n; i++) {
        const char *to = rc[i].ph ? rc[i].ph->digits : NULL;
        sms_message_t *m;

        err = rc[i].err;
        if (!err && rc[i].context && !o->template_id) {
            err = sms_error_make(p, 400, "invalid_json", "context",
                                 "'context' goes with 'template_id'");
        }
        if (!err && phones && !sms_patient_number(phones, to)) {
            err = sms_error_make(p, 400, "invalid_phone", "to",
                                 "this number "
                                 "is not one of patient %s's numbers",
                                 o->patient_id);
        }
        if (!err && apr_hash_get(optouts, to, APR_HASH_KEY_STRING)) {
            err = sms_error_make(p, 422, "opted_out", "to",
                                 "this number has "
                                 "opted out (STOP)");
        }
        if (!err && apr_hash_get(seen, to, APR_HASH_KEY_STRING)) {
            err = sms_error_make(p, 400, "duplicate_recipient", "to",
                                 "this "
                                 "number is already a recipient of this "
                                 "batch: it is sent once");
        }
        if (err ||
            sms_phone_check_sms(&err, rc[i].ph, rq->sc->allow_types, "to", p) ||
            sms_send_final_text(&t, &err, o, rc[i].context, rq)) {
            reject(rejected, rc[i].to_json, err);
            continue;
        }
        apr_hash_set(seen, to, APR_HASH_KEY_STRING, to);
        m = sms_send_new_message(rq, o, t, to, now);
        *segments += m->segments;
        APR_ARRAY_PUSH(msgs, sms_message_t *) = m;
    }
    return msgs;
}

/* A bulk's write (group commit): the batch, its messages and its audit
 * row. */
typedef struct {
    sms_req *rq;
    apr_array_header_t *msgs;
    int segments;
    apr_time_t now;
    const char *patient_id;
    apr_int64_t batch_id;
} batch_write;

static apr_status_t write_batch(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    batch_write *w = ctx;
    apr_status_t rv =
        sms_store_insert_batch(&w->batch_id, db, sms_user(w->rq),
                               w->msgs->nelts, w->segments, w->now, p);
    int i;

    for (i = 0; rv == APR_SUCCESS && i < w->msgs->nelts; i++) {
        APR_ARRAY_IDX(w->msgs, i, sms_message_t *)->batch_id = w->batch_id;
    }
    rv = rv == APR_SUCCESS ? sms_store_insert_messages(db, w->msgs, p) : rv;
    return rv == APR_SUCCESS
               ? sms_audit(w->rq, db, "bulk.send",
                           apr_psprintf(p, "%" APR_INT64_T_FMT, w->batch_id),
                           w->patient_id)
               : rv;
}

/* The shape of a bulk request: known fields, 1 to BULK_MAX recipients,
 * dry_run a boolean; DECLINED to go on, else the answer. */
static int bulk_shape(sms_req *rq)
{
    static const char *const fields[] = {
        "recipients", "message", "template_id", "context", "sender_id",
        "max_parts",  "send_at", "patient_id",  "dry_run", NULL};
    json_t *list = json_object_get(rq->body, "recipients");
    json_t *dry_run = json_object_get(rq->body, "dry_run");
    sms_error_t *err;

    if (sms_json_only(&err, rq->body, fields, rq->r->pool)) {
        return sms_reply_error(rq, err);
    }
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > BULK_MAX) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_json", "recipients",
                        "'recipients' must be an array of 1 to %d numbers "
                        "or {\"to\": ..., \"context\": {...}} objects",
                        BULK_MAX);
    }
    if (dry_run && !json_is_boolean(dry_run)) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_json", "dry_run",
                        "'dry_run' must be true or false");
    }
    return DECLINED;
}

/* The accepted messages stored as one batch (or nothing), and the
 * answer. */
static int store_batch(sms_req *rq, sms_db_t *db, batch_write *w,
                       json_t *rejected)
{
    apr_pool_t *p = rq->r->pool;
    const sms_message_t *first;

    if (!w->msgs->nelts) { /* nobody to send to: nothing is stored */
        return sms_reply(rq, HTTP_ACCEPTED,
                         json_pack("{s:n, s:i, s:O, s:i, s:i, s:n}", "batch_id",
                                   "accepted", 0, "rejected", rejected,
                                   "segments_total", 0, "credits", 0,
                                   "status"));
    }
    if (sms_store_write(db, write_batch, w, p) != APR_SUCCESS) {
        return sms_reply_error(
            rq, sms_error_storage(
                    p, "the batch could not be stored; nothing was queued"));
    }
    first = APR_ARRAY_IDX(w->msgs, 0, sms_message_t *);
    if (!strcmp(first->status, "queued")) { /* the sender takes them now */
        sms_counters_queued(rq->r->server, w->msgs->nelts);
    }
    return sms_reply(rq, HTTP_ACCEPTED,
                     json_pack("{s:I, s:i, s:O, s:i, s:i, s:s, s:o}",
                               "batch_id", (json_int_t)w->batch_id, "accepted",
                               w->msgs->nelts, "rejected", rejected,
                               "segments_total", w->segments, "credits",
                               w->segments, "status", first->status, "send_at",
                               sms_render_time(first->send_at, p)));
}

static int send_bulk(sms_req *rq, sms_db_t *db)
{
    apr_pool_t *p = rq->r->pool;
    json_t *list = json_object_get(rq->body, "recipients");
    json_t *rejected = json_array();
    apr_array_header_t *msgs, *phones = NULL;
    apr_hash_t *optouts;
    bulk_rcpt_t *rc;
    sms_error_t *err;
    sms_send_opts_t o;
    sms_text_t *t;
    apr_time_t now = apr_time_now();
    batch_write w;
    int segments = 0, done;

    sms_json_pool(rejected, p);
    if ((done = bulk_shape(rq)) != DECLINED) {
        return done;
    }
    if (recipient_types(&err, list, p) ||
        sms_send_parse_opts(&o, &err, rq, db)
        /* one text for everybody: a bad one fails the whole request */
        || (!o.template_id && sms_send_final_text(&t, &err, &o, NULL, rq))) {
        return sms_reply_error(rq, err);
    }
    /* a bulk filed with a patient: one the user may see, and only the
     * patient's own numbers (API.md section 5) */
    if (o.patient_id &&
        !sms_find_patient(rq, db, o.patient_id, &phones, &done)) {
        return done;
    }
    if (parse_recipients(&rc, &optouts, list, rq, db) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    msgs =
        accept_recipients(&segments, rejected, rc, json_array_size(list),
                          optouts, o.patient_id ? phones : NULL, &o, rq, now);
    /* outside SMSSendWindow they wait as "scheduled" for its opening */
    sms_send_window_hold((sms_message_t **)msgs->elts, msgs->nelts, 1, rq->sc);
    if (json_is_true(json_object_get(rq->body, "dry_run"))) {
        /* the same checks; nothing stored */
        return sms_reply(rq, HTTP_OK,
                         json_pack("{s:b, s:i, s:O, s:i, s:i}", "dry_run", 1,
                                   "accepted", msgs->nelts, "rejected",
                                   rejected, "segments_total", segments,
                                   "credits", segments));
    }
    /* one transaction: the batch and every accepted message, or nothing */
    w.rq = rq;
    w.msgs = msgs;
    w.segments = segments;
    w.now = now;
    w.patient_id = o.patient_id;
    w.batch_id = 0;
    return store_batch(rq, db, &w, rejected);
}

int sms_route_send_bulk(sms_req *rq)
{
    return sms_with_idempotency(rq, send_bulk);
}
