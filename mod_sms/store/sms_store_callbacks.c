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
    int rows = 0;
    /* a failure here is the unique dedup key: the same report, racing */
    int locked = sms_st_write_lock(db);
    int rc = apr_dbd_pquery(db->driver, p, db->handle, &rows,
                            sms_st_stmt(db, "sms_dlr_insert"),
                            ARGS(sms_st_opt64(p, message_id), smsref, ref, to,
                                 status, sms_st_i64(p, now), key));

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
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int locked = sms_st_write_lock(db);
    int rc = apr_dbd_pselect(
        db->driver, p, db->handle, &res, sms_st_stmt(db, "sms_inbound_insert"),
        db->random,
        ARGS(from, to, body, ref, sms_st_opt64(p, message_id), keyword,
             sms_st_i64(p, now), key, sms_st_i64(p, bucket), intent));

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
