/*
 * sms_route_messages.c - history: GET /messages/ (filters, signed
 * cursor), GET /messages/{id}/ with its events, each message with its
 * latest reply; GET /batches/{id}/.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_json.h"
#include "sms_status.h"
#include "sms_phone.h"
#include "sms_token.h"

#define LIST_DEFAULT 50
#define LIST_MAX 500
#define CURSOR_KIND "messages"
#define FILL_ROUNDS 4

/* The history filters of the query string; DECLINED, or the 400 sent. */
static int parse_filter(sms_filter_t *f, sms_req *rq)
{
    static const char *const allowed[] = {"status",   "patient_id", "phone",
                                          "batch_id", "since",      "until",
                                          "limit",    "cursor",     NULL};
    apr_pool_t *p = rq->r->pool;
    apr_table_t *args;
    int done;
    sms_error_t *err;
    const char *v;
    sms_status_e st;
    apr_int64_t n;

    if (sms_params(&args, &err, rq, allowed)) {
        return sms_reply_error(rq, err);
    }
    memset(f, 0, sizeof(*f));
    f->limit = LIST_DEFAULT;
    if ((f->status = apr_table_get(args, "status")) &&
        sms_status_parse(&st, f->status) != APR_SUCCESS) {
        return sms_bad_param(
            rq, "status",
            apr_pstrcat(p, "must be one of ", sms_status_list(p), NULL));
    }
    if ((f->patient_id = apr_table_get(args, "patient_id")) &&
        (!*f->patient_id || strlen(f->patient_id) > 64)) {
        return sms_bad_param(rq, "patient_id", "must be 1 to 64 characters");
    }
    if ((v = apr_table_get(args, "phone")) &&
        sms_phone_normalise(&f->phone, &err, v, rq->sc->country_code, "phone",
                            p)) {
        err->code = "invalid_phone";
        return sms_reply_error(rq, err);
    }
    if ((v = apr_table_get(args, "batch_id")) &&
        !(f->batch_id = sms_parse_id(v))) {
        return sms_bad_param(rq, "batch_id", "must be a positive integer");
    }
    if ((done = sms_time_param(&f->since, rq, args, "since")) != DECLINED ||
        (done = sms_time_param(&f->until, rq, args, "until")) != DECLINED) {
        return done;
    }
    if ((v = apr_table_get(args, "limit"))) {
        n = sms_parse_id(v);
        if (n < 1 || n > LIST_MAX) {
            return sms_bad_param(rq, "limit",
                                 "must be an integer from 1 to 500");
        }
        f->limit = (int)n;
    }
    if ((v = apr_table_get(args, "cursor")) &&
        (sms_cursor_open(&v, rq->sc->secret, rq->sc->secret_len, CURSOR_KIND, v,
                         p) != APR_SUCCESS ||
         !(f->before_id = sms_parse_id(v)))) {
        return sms_bad_param(rq, "cursor",
                             "is not a cursor this server issued "
                             "(use 'next' of a previous page)");
    }
    return DECLINED;
}

int sms_route_messages(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    sms_filter_t f;
    apr_array_header_t *msgs;
    const char *next = NULL;
    sms_jw_t w;
    sms_db_t *db;
    apr_hash_t *seen = apr_hash_make(p);
    apr_int64_t last_id = 0;
    int done = OK, i, want, round, more = 0, full, broke, shown = 0;

    if ((done = parse_filter(&f, rq)) != DECLINED) {
        return done;
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    if (f.patient_id &&
        (done = sms_check_patient(rq, db, f.patient_id)) != DECLINED) {
        return done;
    }
    /* messages of patients this user may not see are left out; a page
     * thinned by that is topped up from the next rows, a few times. The
     * page is written as text (no jansson tree per message: that was
     * most of this route's time) */
    sms_jw_init(&w, (apr_size_t)f.limit * 640, p);
    sms_jw_open(&w, '{');
    sms_jw_key(&w, "messages");
    sms_jw_open(&w, '[');
    want = f.limit;
    for (round = 0; round < FILL_ROUNDS; round++) {
        if (sms_store_list_messages(&msgs, db, &f, p) != APR_SUCCESS) {
            return sms_storage_failed(rq);
        }
        full = msgs->nelts == f.limit;
        for (i = 0, broke = 0; i < msgs->nelts && !broke; i++) {
            const sms_message_t *m = APR_ARRAY_IDX(msgs, i, sms_message_t *);
            int visible;

            if (sms_patient_visible(&visible, rq, db, seen, m->patient_id) !=
                APR_SUCCESS) {
                return sms_storage_failed(rq);
            }
            last_id = m->id;
            if (visible) {
                sms_history_write(&w, m, p);
                broke = ++shown == want;
            }
        }
        /* more rows: left in this answer, or a full answer */
        more = (broke && i < msgs->nelts) || full;
        if (broke || !full) {
            break;
        }
        f.before_id = last_id;
        f.limit = want - shown;
    }
    if (more && last_id) {
        next =
            sms_cursor_sign(rq->sc->secret, rq->sc->secret_len, CURSOR_KIND,
                            apr_psprintf(p, "%" APR_INT64_T_FMT, last_id), p);
    }
    /* a patient's history read: recorded, or not answered */
    if (f.patient_id &&
        sms_audit(rq, db, "messages.list", NULL, f.patient_id) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    sms_jw_close(&w, ']');
    sms_jw_key(&w, "next");
    sms_jw_str(&w, next);
    sms_jw_close(&w, '}');
    return sms_reply_text(rq, HTTP_OK, sms_jw_text(&w));
}

int sms_route_message(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    apr_int64_t id = sms_parse_id(rq->params[0]);
    apr_array_header_t *events;
    sms_message_t *m;
    json_t *j, *ev;
    sms_db_t *db;
    apr_status_t rv;
    int done = OK, i;

    if (!id) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "message ids are positive integers");
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    rv = sms_store_get_message(&m, db, id, p);
    if (rv == APR_ENOENT) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "there is no message %" APR_INT64_T_FMT, id);
    }
    if (rv != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (m->patient_id &&
        (done = sms_check_patient(rq, db, m->patient_id)) != DECLINED) {
        return done;
    }
    if (sms_store_events(&events, db, id, p) != APR_SUCCESS ||
        sms_store_get_reply(m, db, p) != APR_SUCCESS ||
        sms_audit(rq, db, "message.view",
                  apr_psprintf(p, "%" APR_INT64_T_FMT, id),
                  m->patient_id) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    j = sms_history_json(m, p);
    ev = json_array();
    /* the first event is the message's creation */
    json_array_append_new(ev, json_pack("{s:s, s:s, s:o}", "status",
                                        m->send_at ? "scheduled" : "queued",
                                        "detail", "accepted", "at",
                                        sms_render_time(m->created_at, p)));
    for (i = 0; i < events->nelts; i++) {
        const sms_event_t *e = &APR_ARRAY_IDX(events, i, sms_event_t);
        json_array_append_new(ev,
                              json_pack("{s:s, s:o, s:o}", "status", e->status,
                                        "detail", sms_render_str(e->detail),
                                        "at", sms_render_time(e->at, p)));
    }
    json_object_set_new(j, "events", ev);
    return sms_reply(rq, HTTP_OK, j);
}

int sms_route_batch(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    apr_int64_t id = sms_parse_id(rq->params[0]);
    apr_hash_t *counts;
    apr_hash_index_t *hi;
    apr_time_t created = 0;
    const char *created_by = NULL;
    json_t *by_status;
    sms_db_t *db;
    apr_status_t rv;
    int done = OK, total = 0;
    int st;

    if (!id) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "batch ids are positive integers");
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    rv = sms_store_batch_counts(&counts, &created, &created_by, db, id, p);
    if (rv == APR_ENOENT) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "there is no batch %" APR_INT64_T_FMT, id);
    }
    if (rv != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    by_status = json_object();
    for (st = 0; st < SMS_ST_COUNT; st++) {
        json_object_set_new(by_status, sms_status_name(st), json_integer(0));
    }
    for (hi = apr_hash_first(p, counts); hi; hi = apr_hash_next(hi)) {
        const void *k;
        void *v;
        apr_hash_this(hi, &k, NULL, &v);
        json_object_set_new(by_status, k, json_integer(*(int *)v));
        total += *(int *)v;
    }
    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:I, s:i, s:o, s:o, s:o}", "id",
                               (json_int_t)id, "total", total, "counts",
                               by_status, "created_at",
                               sms_render_time(created, p), "created_by",
                               sms_render_str(created_by)));
}
