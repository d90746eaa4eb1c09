/*
 * sms_store_outbox.c - what the background sender needs: claims with
 * leases, release, stale "sending" rows, queue depth, opt-out holds, and
 * the small key/value state it keeps.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_store_private.h"

/* ---- the outbox ------------------------------------------------------------
 */

apr_status_t sms_store_claim(int *n, sms_db_t *db, const char *owner,
                             apr_time_t now, apr_time_t lease_until, int limit,
                             apr_pool_t *p)
{
    return sms_st_run(n, db, "sms_claim", p,
                      ARGS(owner, sms_st_i64(p, lease_until),
                           sms_st_i64(p, now), sms_st_i64(p, now),
                           sms_st_i64(p, limit)));
}

apr_status_t sms_store_release(int *n, sms_db_t *db, const char *owner,
                               apr_pool_t *p)
{
    return sms_st_run(n, db, "sms_release", p, ARGS(owner));
}

apr_status_t sms_store_claimed(apr_array_header_t **msgs, sms_db_t *db,
                               const char *owner, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = sms_st_query(&res, db, "sms_claimed", p, ARGS(owner));

    return rv == APR_SUCCESS ? sms_st_read_messages(msgs, db, res, p) : rv;
}

apr_status_t sms_store_stale_sending(apr_array_header_t **msgs, sms_db_t *db,
                                     apr_time_t now, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = sms_st_query(&res, db, "sms_stale_sending", p,
                                   ARGS(sms_st_i64(p, now)));

    return rv == APR_SUCCESS ? sms_st_read_messages(msgs, db, res, p) : rv;
}

/* ---- shared state
 * ------------------------------------------------------------ */

apr_status_t sms_store_state_get(const char **value, apr_time_t *at,
                                 sms_db_t *db, const char *name, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = sms_st_query(&res, db, "sms_state_get", p, ARGS(name));

    *value = NULL;
    *at = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            *value = sms_st_dup_or_null(p, sms_st_col(db, row, 0));
            *at = sms_st_to64(sms_st_col(db, row, 1));
        }
    }
    return rv;
}

apr_status_t sms_store_state_set(sms_db_t *db, const char *name,
                                 const char *value, apr_time_t now,
                                 apr_pool_t *p)
{
    int rows = 0;
    apr_status_t rv = sms_st_run(&rows, db, "sms_state_update", p,
                                 ARGS(value, sms_st_i64(p, now), name));

    if (rv == APR_SUCCESS && !rows) {
        rv = sms_st_run(NULL, db, "sms_state_insert", p,
                        ARGS(name, value, sms_st_i64(p, now)));
    }
    return rv;
}

apr_status_t sms_store_optout_pending(apr_array_header_t **msgs, sms_db_t *db,
                                      apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = sms_st_query(&res, db, "sms_optout_pending", p, 0, NULL);

    return rv == APR_SUCCESS ? sms_st_read_messages(msgs, db, res, p) : rv;
}
