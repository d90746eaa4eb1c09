/*
 * sms_store_idempotency.c - Idempotency-Key records.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_store_private.h"

/* ---- Idempotency-Key ------------------------------------------------------
 */

apr_status_t sms_store_idem_get(const char **hash, int *status,
                                const char **response, sms_db_t *db,
                                const char *user, const char *key,
                                apr_time_t not_before, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int found = 0;
    apr_status_t rv = sms_st_query(&res, db, "sms_idem_get", p,
                                   ARGS(user, key, sms_st_i64(p, not_before)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        found = 1;
        *hash = sms_st_dup_or_null(p, sms_st_col(db, row, 0));
        *status = (int)sms_st_to64(sms_st_col(db, row, 1));
        *response = sms_st_dup_or_null(p, sms_st_col(db, row, 2));
    }
    return found ? APR_SUCCESS : APR_ENOENT;
}

apr_status_t sms_store_idem_start(sms_db_t *db, const char *user,
                                  const char *key, const char *hash,
                                  apr_time_t now, apr_time_t not_before,
                                  apr_pool_t *p)
{
    apr_status_t rv = sms_st_run(NULL, db, "sms_idem_expire", p,
                                 ARGS(user, key, sms_st_i64(p, not_before)));
    int rows = 0, rc, locked;

    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* a unique-key violation here means another request won the race */
    locked = sms_st_write_lock(db);
    rc = apr_dbd_pquery(db->driver, p, db->handle, &rows,
                        sms_st_stmt(db, "sms_idem_insert"),
                        ARGS(user, key, hash, sms_st_i64(p, now)));
    sms_st_write_unlock(locked);
    return rc ? APR_EEXIST : APR_SUCCESS;
}

apr_status_t sms_store_idem_delete(sms_db_t *db, const char *user,
                                   const char *key, apr_pool_t *p)
{
    return sms_st_run(NULL, db, "sms_idem_delete", p, ARGS(user, key));
}

apr_status_t sms_store_idem_finish(sms_db_t *db, const char *user,
                                   const char *key, int status,
                                   const char *response, apr_pool_t *p)
{
    return sms_st_run(NULL, db, "sms_idem_finish", p,
                      ARGS(sms_st_i64(p, status), response, user, key));
}
