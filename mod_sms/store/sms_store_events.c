/*
 * sms_store_events.c - the event outbox of the host application
 * (sms_hostevent.h): the rows written with the changes they report, and
 * their claims, deliveries and retries.
 */
#include <string.h>

#include <jansson.h>

#include "sms_hostevent.h"
#include "sms_store_private.h"

/* A type's own fields, as the JSON text stored with the event. */
static const char *data_text(json_t *data, apr_pool_t *p)
{
    char *s = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
    const char *out = s ? apr_pstrdup(p, s) : NULL;

    free(s);
    json_decref(data);
    return out;
}

/* A new event row: the event, its subject, when it is due. */
typedef struct {
    sms_hostevent_t e;
    const char *subject;
    apr_time_t next_attempt_at;
} hev_insert_t;

/* The sms_hostevent row's descriptors (SMS_HOSTEVENT_ROW / _INSERT). */
#define SMS_ROW sms_hostevent_t
static const sms_col_t row_cols[] = {
    SMS_HOSTEVENT_ROW(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW
#define SMS_ROW hev_insert_t
static const sms_col_t insert_cols[] = {
    SMS_HOSTEVENT_INSERT(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW

/* One event row, due at once. */
static apr_status_t insert(sms_db_t *db, const char *type, const char *subject,
                           const sms_hostevent_t *e, apr_time_t now,
                           apr_pool_t *p)
{
    const char *args[SMS_NCOLS(insert_cols)];
    hev_insert_t row;

    row.e = *e;
    row.e.type = type;
    row.e.created_at = now;
    row.subject = subject;
    row.next_attempt_at = now;
    sms_st_col_args(args, &row, insert_cols, SMS_NCOLS(insert_cols), p);
    return sms_st_run(NULL, db, "sms_hev_insert", p, SMS_NCOLS(insert_cols),
                      args);
}

apr_status_t sms_store_hostevent_final(sms_db_t *db, const apr_int64_t *ids,
                                       int n, apr_time_t now, apr_pool_t *p)
{
    const char *args[2 + MANY_ROWS];
    apr_status_t rv = APR_SUCCESS;
    int i, j;

    if (!db->hostevents) {
        return APR_SUCCESS;
    }
    args[0] = args[1] = sms_st_i64(p, now);
    for (i = 0; rv == APR_SUCCESS && i < n; i += MANY_ROWS) {
        for (j = 0; j < MANY_ROWS; j++) { /* NULL matches no message */
            args[2 + j] = i + j < n ? sms_st_i64(p, ids[i + j]) : NULL;
        }
        rv = sms_st_run(NULL, db, MANY_HEV_FINAL_LABEL, p, 2 + MANY_ROWS, args);
    }
    return rv;
}

apr_status_t sms_store_hostevent_inbound(sms_db_t *db, apr_int64_t inbound_id,
                                         const char *from, apr_int64_t reply_to,
                                         const apr_array_header_t *patients,
                                         const char *intent, const char *opt,
                                         apr_time_t now, apr_pool_t *p)
{
    sms_hostevent_t e;
    json_t *ids;
    int i;

    if (!db->hostevents) {
        return APR_SUCCESS;
    }
    ids = json_array();
    for (i = 0; patients && i < patients->nelts; i++) {
        json_array_append_new(
            ids, json_string(APR_ARRAY_IDX(patients, i, const char *)));
    }
    memset(&e, 0, sizeof(e));
    e.message_id = reply_to;
    e.number = from;
    e.patient_id = patients && patients->nelts == 1
                       ? APR_ARRAY_IDX(patients, 0, const char *)
                       : NULL;
    e.data = data_text(json_pack("{s:I, s:o, s:s?, s:s?}", "inbound_id",
                                 (json_int_t)inbound_id, "patient_ids", ids,
                                 "intent", intent, "opt", opt),
                       p);
    /* a reply goes after the events of the message it answers */
    return insert(
        db, "inbound.received",
        reply_to ? apr_psprintf(p, "message:%" APR_INT64_T_FMT, reply_to)
                 : apr_psprintf(p, "inbound:%" APR_INT64_T_FMT, inbound_id),
        &e, now, p);
}

apr_status_t sms_store_hostevent_optout(sms_db_t *db, const char *number,
                                        int opted_out, const char *source,
                                        const char *user, apr_time_t now,
                                        apr_pool_t *p)
{
    sms_hostevent_t e;

    if (!db->hostevents) {
        return APR_SUCCESS;
    }
    memset(&e, 0, sizeof(e));
    e.number = number;
    e.data = data_text(json_pack("{s:b, s:s, s:s?}", "opted_out", opted_out,
                                 "source", source, "by", user),
                       p);
    /* a number's STOP, START, STOP arrive in that order */
    return insert(db, "optout.changed", apr_pstrcat(p, "number:", number, NULL),
                  &e, now, p);
}

apr_status_t sms_store_hostevent_balance(sms_db_t *db, apr_int64_t credits,
                                         apr_int64_t threshold, apr_time_t now,
                                         apr_pool_t *p)
{
    sms_hostevent_t e;

    if (!db->hostevents) {
        return APR_SUCCESS;
    }
    memset(&e, 0, sizeof(e));
    e.data = data_text(json_pack("{s:I, s:I}", "credits", (json_int_t)credits,
                                 "threshold", (json_int_t)threshold),
                       p);
    return insert(db, "balance.low", "balance", &e, now, p);
}

apr_status_t sms_store_hostevent_claim(int *n, sms_db_t *db, const char *owner,
                                       apr_time_t now, apr_time_t lease_until,
                                       int limit, apr_pool_t *p)
{
    const char *at = sms_st_i64(p, now);

    *n = 0;
    return sms_st_run(
        n, db, "sms_hev_claim", p,
        ARGS(owner, sms_st_i64(p, lease_until), at, at, sms_st_i64(p, limit)));
}

apr_status_t sms_store_hostevent_claimed(apr_array_header_t **evs, sms_db_t *db,
                                         const char *owner, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = sms_st_query(&res, db, "sms_hev_claimed", p, ARGS(owner));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *evs = sms_st_read_rows(db, res, row_cols, SMS_NCOLS(row_cols),
                            sizeof(sms_hostevent_t), 0, 16, p);
    return APR_SUCCESS;
}

apr_status_t sms_store_hostevent_done(sms_db_t *db, apr_int64_t id,
                                      const char *owner, apr_time_t now,
                                      apr_pool_t *p)
{
    return sms_st_run(NULL, db, "sms_hev_done", p,
                      ARGS(sms_st_i64(p, now), sms_st_i64(p, id), owner));
}

apr_status_t sms_store_hostevent_retry(sms_db_t *db, apr_int64_t id,
                                       const char *owner, apr_time_t next_at,
                                       const char *error, apr_pool_t *p)
{
    return sms_st_run(
        NULL, db, "sms_hev_retry", p,
        ARGS(sms_st_i64(p, next_at), error, sms_st_i64(p, id), owner));
}

apr_status_t sms_store_hostevent_release(int *n, sms_db_t *db,
                                         const char *owner, apr_pool_t *p)
{
    *n = 0;
    return sms_st_run(n, db, "sms_hev_release", p, ARGS(owner));
}

apr_status_t sms_store_hostevent_purge(sms_db_t *db, apr_time_t before,
                                       apr_pool_t *p)
{
    return sms_st_run(NULL, db, "sms_hev_purge", p,
                      ARGS(sms_st_i64(p, before)));
}

apr_status_t sms_store_balance_claim(int *won, sms_db_t *db, apr_time_t now,
                                     apr_interval_time_t interval,
                                     apr_pool_t *p)
{
    int rows = 0;
    apr_status_t rv =
        sms_st_run(&rows, db, "sms_balance_claim", p,
                   ARGS(sms_st_i64(p, now), sms_st_i64(p, now - interval)));

    *won = rv == APR_SUCCESS && rows > 0;
    return rv;
}
