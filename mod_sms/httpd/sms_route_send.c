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
        "to", "message", "template_id", "context", "sender_id", "max_parts",
        "send_at", "patient_id", NULL};
    apr_pool_t *p = rq->r->pool;
    sms_target_t target;
    sms_error_t *err;
    const char *to_in;

    memset(&target, 0, sizeof(target));
    target.field = "to";
    if (sms_json_only(&err, rq->body, fields, p)
        || sms_json_string(&to_in, NULL, &err, rq->body, "to", 1, p)
        || sms_phone_normalise(&target.to, &err, to_in, rq->sc->country_code,
                               "to", p)) {
        return sms_reply_error(rq, err);
    }
    return sms_send_to(rq, db, &target);
}

int sms_route_send(sms_req *rq)
{
    return sms_with_idempotency(rq, send_one);
}

/* ---- POST /send-bulk/ ------------------------------------------------------------ */

static void reject(json_t *rejected, json_t *to, const sms_error_t *e)
{
    json_array_append_new(rejected, json_pack(
        "{s:O, s:{s:s, s:s, s:s?}}", "to", to ? to : json_null(), "error",
        "code", e->code, "message", e->message, "field", e->field));
}

static int send_bulk(sms_req *rq, sms_db_t *db)
{
    static const char *const fields[] = {
        "recipients", "message", "template_id", "context", "sender_id",
        "max_parts", "send_at", "patient_id", "dry_run", NULL};
    apr_pool_t *p = rq->r->pool;
    const sms_server_conf *sc = rq->sc;
    json_t *list = json_object_get(rq->body, "recipients");
    json_t *dry_run = json_object_get(rq->body, "dry_run");
    json_t *rejected = json_array(), *item;
    apr_array_header_t *msgs;
    apr_array_header_t *numbers;
    apr_hash_t *seen = apr_hash_make(p), *optouts;
    sms_error_t *err;
    sms_send_opts_t o;
    apr_time_t now = apr_time_now();
    apr_int64_t batch_id = 0;
    size_t i;
    int segments = 0, ok = 1;

    sms_json_pool(rejected, p);
    if (sms_json_only(&err, rq->body, fields, p)) {
        return sms_reply_error(rq, err);
    }
    if (!json_is_array(list) || json_array_size(list) == 0
        || json_array_size(list) > BULK_MAX) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_json", "recipients",
                        "'recipients' must be an array of 1 to %d numbers "
                        "or {\"to\": ..., \"context\": {...}} objects",
                        BULK_MAX);
    }
    if (dry_run && !json_is_boolean(dry_run)) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_json", "dry_run",
                        "'dry_run' must be true or false");
    }
    if (sms_send_parse_opts(&o, &err, rq, db)) {
        return sms_reply_error(rq, err);
    }
    if (!o.template_id) {
        /* one text for everybody: a bad one fails the whole request */
        sms_text_t *t;
        if (sms_send_final_text(&t, &err, &o, NULL, rq)) {
            return sms_reply_error(rq, err);
        }
    }
    /* the opt-outs among the recipients, many numbers per look-up */
    numbers = apr_array_make(p, (int)json_array_size(list),
                             sizeof(const char *));
    json_array_foreach(list, i, item) {
        json_t *to_json = json_is_object(item) ? json_object_get(item, "to")
                                               : item;
        const char *to;
        if (json_is_string(to_json)
            && !sms_phone_normalise(&to, &err, json_string_value(to_json),
                                    sc->country_code, "to", p)) {
            APR_ARRAY_PUSH(numbers, const char *) = to;
        }
    }
    if (sms_store_optout_many(&optouts, db, numbers, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    msgs = apr_array_make(p, (int)json_array_size(list),
                          sizeof(sms_message_t *));
    json_array_foreach(list, i, item) {
        json_t *to_json = item, *extra = NULL;
        const char *to;
        sms_phone_t *ph;
        sms_text_t *t;
        sms_message_t *m;

        if (json_is_object(item)) {
            to_json = json_object_get(item, "to");
            extra = json_object_get(item, "context");
            if (extra && !json_is_object(extra)) {
                reject(rejected, to_json, sms_error_make(
                    p, 400, "invalid_json", "context",
                    "a recipient's 'context' must be an object"));
                continue;
            }
            if (extra && !o.template_id) {
                reject(rejected, to_json, sms_error_make(
                    p, 400, "invalid_json", "context",
                    "'context' goes with 'template_id'"));
                continue;
            }
        }
        if (!json_is_string(to_json)
            || strlen(json_string_value(to_json))
               != json_string_length(to_json)) {    /* a NUL inside */
            reject(rejected, to_json, sms_error_make(
                p, 400, "invalid_phone", "to",
                "a recipient is a phone number string or an object with "
                "'to'"));
            continue;
        }
        if (sms_phone_parse(&ph, &err, json_string_value(to_json),
                            sc->country_code, "to", p)
            || sms_phone_check_sms(&err, ph, sc->allow_types, "to", p)
            || sms_send_final_text(&t, &err, &o, extra, rq)) {
            reject(rejected, to_json, err);
            continue;
        }
        to = ph->digits;
        if (apr_hash_get(optouts, to, APR_HASH_KEY_STRING)) {
            reject(rejected, to_json, sms_error_make(
                p, 422, "opted_out", "to", "this number has opted out "
                "(STOP)"));
            continue;
        }
        if (apr_hash_get(seen, to, APR_HASH_KEY_STRING)) {
            reject(rejected, to_json, sms_error_make(
                p, 400, "duplicate_recipient", "to", "this number is already "
                "a recipient of this batch: it is sent once"));
            continue;
        }
        apr_hash_set(seen, to, APR_HASH_KEY_STRING, to);
        m = sms_send_new_message(rq, &o, t, to, now);
        segments += m->segments;
        APR_ARRAY_PUSH(msgs, sms_message_t *) = m;
    }
    if (json_is_true(dry_run)) {    /* the same checks; nothing stored */
        return sms_reply(rq, HTTP_OK, json_pack(
            "{s:b, s:i, s:O, s:i, s:i}", "dry_run", 1, "accepted",
            msgs->nelts, "rejected", rejected, "segments_total", segments,
            "credits", segments));
    }
    if (!msgs->nelts) {     /* nobody to send to: nothing is stored */
        return sms_reply(rq, HTTP_ACCEPTED, json_pack(
            "{s:n, s:i, s:O, s:i, s:n}", "batch_id", "accepted", 0,
            "rejected", rejected, "segments_total", 0, "status"));
    }
    /* one transaction: the batch and every accepted message, or nothing */
    if (sms_store_begin(db, p) != APR_SUCCESS
        || sms_store_insert_batch(&batch_id, db, sms_user(rq), msgs->nelts,
                                  segments, now, p) != APR_SUCCESS) {
        ok = 0;
    }
    for (i = 0; ok && i < (size_t)msgs->nelts; i++) {
        APR_ARRAY_IDX(msgs, i, sms_message_t *)->batch_id = batch_id;
    }
    ok = ok && sms_store_insert_messages(db, msgs, p) == APR_SUCCESS;
    if (sms_store_end(db, ok, p) != APR_SUCCESS || !ok) {
        return sms_reply_error(rq, sms_error_storage(
            p, "the batch could not be stored; nothing was queued"));
    }
    return sms_reply(rq, HTTP_ACCEPTED, json_pack(
        "{s:I, s:i, s:O, s:i, s:s}", "batch_id", (json_int_t)batch_id,
        "accepted", msgs->nelts, "rejected", rejected, "segments_total",
        segments, "status", o.send_at ? "scheduled" : "queued"));
}

int sms_route_send_bulk(sms_req *rq)
{
    return sms_with_idempotency(rq, send_bulk);
}
