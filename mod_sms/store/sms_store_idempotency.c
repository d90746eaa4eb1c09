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

/* The claim of a key: an expired record of it goes, then the new one;
 * APR_EEXIST when another request holds the key. */
typedef struct {
    const char *user, *key, *hash;
    apr_time_t now, not_before;
} idem_claim;

static apr_status_t write_claim(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    idem_claim *c = ctx;
    apr_status_t rv =
        sms_st_run(NULL, db, "sms_idem_expire", p,
                   ARGS(c->user, c->key, sms_st_i64(p, c->not_before)));
    int rows = 0, rc;

    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* a unique-key violation here means another request won the race */
    rc = apr_dbd_pquery(db->driver, p, db->handle, &rows,
                        sms_st_stmt(db, "sms_idem_insert"),
                        ARGS(c->user, c->key, c->hash, sms_st_i64(p, c->now)));
    return rc ? APR_EEXIST : APR_SUCCESS;
}

apr_status_t sms_store_idem_start(sms_db_t *db, const char *user,
                                  const char *key, const char *hash,
                                  apr_time_t now, apr_time_t not_before,
                                  apr_pool_t *p)
{
    idem_claim c = {user, key, hash, now, not_before};

    return sms_store_write(db, write_claim, &c, p);
}

/* The end of a keyed request: its answer kept, or the key forgotten. */
typedef struct {
    const char *user, *key, *status, *response;
} idem_end;

static apr_status_t write_end(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    idem_end *e = ctx;

    return e->status ? sms_st_run(NULL, db, "sms_idem_finish", p,
                                  ARGS(e->status, e->response, e->user, e->key))
                     : sms_st_run(NULL, db, "sms_idem_delete", p,
                                  ARGS(e->user, e->key));
}

apr_status_t sms_store_idem_delete(sms_db_t *db, const char *user,
                                   const char *key, apr_pool_t *p)
{
    idem_end e = {user, key, NULL, NULL};

    return sms_store_write(db, write_end, &e, p);
}

apr_status_t sms_store_idem_finish(sms_db_t *db, const char *user,
                                   const char *key, int status,
                                   const char *response, apr_pool_t *p)
{
    idem_end e = {user, key, sms_st_i64(p, status), response};

    return sms_store_write(db, write_end, &e, p);
}
