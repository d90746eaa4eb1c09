/*
 * sms_store_callbacks.c - delivery receipts and inbound replies:
 * lookup by smsref/ref, deduplication, storing, linking to patients.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_store_private.h"

/* ---- provider callbacks -----------------------------------------------------
 */

/* A receipt and a reply as stored (SMS_DLR_INSERT, SMS_INBOUND_INSERT). */
typedef struct {
    apr_int64_t message_id;
    const char *smsref, *ref, *to, *status;
    apr_time_t received_at;
    const char *key;
} dlr_row_t;

typedef struct {
    const char *from, *to, *body, *ref;
    apr_int64_t message_id;
    const char *keyword;
    apr_time_t received_at;
    const char *key;
    apr_int64_t bucket;
    const char *intent;
} inbound_row_t;

#define SMS_ROW dlr_row_t
static const sms_col_t dlr_cols[] = {
    SMS_DLR_INSERT(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW
#define SMS_ROW inbound_row_t
static const sms_col_t inbound_cols[] = {
    SMS_INBOUND_INSERT(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW

/* The dedup checks (sms_dlr_seen, sms_inbound_seen) are presences, not
 * rows (sms_st_exists). */

apr_status_t sms_store_by_smsref(sms_message_t **m, sms_db_t *db,
                                 const char *smsref, apr_pool_t *p)
{
    return sms_st_one_message(m, db, "sms_by_smsref", p, ARGS(smsref));
}

apr_status_t sms_store_by_ref(sms_message_t **m, sms_db_t *db, const char *ref,
                              const char *number, apr_pool_t *p)
{
    const char *id = apr_isdigit(*ref) && strlen(ref) <= 18 ? ref : "0";

    return sms_st_one_message(m, db, "sms_by_ref", p, ARGS(number, id, ref));
}

apr_status_t sms_store_add_event(sms_db_t *db, apr_int64_t id,
                                 const char *status, const char *detail,
                                 apr_time_t now, apr_pool_t *p)
{
    return sms_st_insert_event(db, id, status, detail, now, p);
}

/* True when a select answers at least one row; drains it. */
apr_status_t sms_st_exists(int *found, sms_db_t *db, const char *label,
                           apr_pool_t *p, int nargs, const char **args)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = sms_st_query(&res, db, label, p, nargs, args);

    *found = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            *found = 1;
        }
    }
    return rv;
}

apr_status_t sms_store_dlr_seen(int *seen, sms_db_t *db, const char *key,
                                apr_pool_t *p)
{
    return sms_st_exists(seen, db, "sms_dlr_seen", p, ARGS(key));
}

apr_status_t sms_store_dlr_insert(sms_db_t *db, apr_int64_t message_id,
                                  const char *smsref, const char *ref,
                                  const char *to, const char *status,
                                  apr_time_t now, const char *key,
                                  apr_pool_t *p)
{
    const dlr_row_t d = {.message_id = message_id,
                         .smsref = smsref,
                         .ref = ref,
                         .to = to,
                         .status = status,
                         .received_at = now,
                         .key = key};
    const char *args[SMS_NCOLS(dlr_cols)];
    int rows = 0, locked, rc;

    sms_st_col_args(args, &d, dlr_cols, SMS_NCOLS(dlr_cols), p);
    /* a failure here is the unique dedup key: the same report, racing */
    locked = sms_st_write_lock(db);
    rc = apr_dbd_pquery(db->driver, p, db->handle, &rows,
                        sms_st_stmt(db, "sms_dlr_insert"), SMS_NCOLS(dlr_cols),
                        args);
    sms_st_write_unlock(locked);
    return rc ? APR_EEXIST : APR_SUCCESS;
}

apr_status_t sms_store_inbound_seen(int *seen, sms_db_t *db, const char *key,
                                    apr_int64_t bucket, apr_pool_t *p)
{
    return sms_st_exists(
        seen, db, "sms_inbound_seen", p,
        ARGS(key, sms_st_i64(p, bucket), sms_st_i64(p, bucket - 1)));
}

apr_status_t sms_store_inbound_insert(apr_int64_t *id, sms_db_t *db,
                                      const char *from, const char *to,
                                      const char *body, const char *ref,
                                      apr_int64_t message_id,
                                      const char *keyword, apr_time_t now,
                                      const char *key, apr_int64_t bucket,
                                      const char *intent, apr_pool_t *p)
{
    const inbound_row_t in = {.from = from,
                              .to = to,
                              .body = body,
                              .ref = ref,
                              .message_id = message_id,
                              .keyword = keyword,
                              .received_at = now,
                              .key = key,
                              .bucket = bucket,
                              .intent = intent};
    const char *args[SMS_NCOLS(inbound_cols)];
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int locked, rc;

    sms_st_col_args(args, &in, inbound_cols, SMS_NCOLS(inbound_cols), p);
    locked = sms_st_write_lock(db);
    rc = apr_dbd_pselect(db->driver, p, db->handle, &res,
                         sms_st_stmt(db, "sms_inbound_insert"), db->random,
                         SMS_NCOLS(inbound_cols), args);
    *id = 0;
    if (!rc) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            if (!*id) {
                *id = sms_st_to64(sms_st_col(db, row, 0));
            }
        }
    }
    sms_st_write_unlock(locked);
    if (rc) {
        return APR_EEXIST; /* the (key, bucket) unique index */
    }
    return *id ? APR_SUCCESS : APR_EEXIST;
}

apr_status_t sms_store_inbound_link(sms_db_t *db, apr_int64_t inbound_id,
                                    const char *patient_id, apr_pool_t *p)
{
    return sms_st_run(NULL, db, "sms_inbound_link", p,
                      ARGS(sms_st_i64(p, inbound_id), patient_id));
}
