/*
 * sms_store_optouts.c - the opt-out list.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_store_private.h"

/* ---- opt-out
 * ------------------------------------------------------------------- */

/* The sms_optout row's descriptor (SMS_OPTOUT_ROW). */
#define SMS_ROW sms_optout_t
static const sms_col_t optout_cols[] = {
    SMS_OPTOUT_ROW(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW

/* The numbers of sms_optout_many and sms_optout_check are one-column
 * projections (a set, a presence), read as such. */

apr_status_t sms_store_optout_many(apr_hash_t **opted_out, sms_db_t *db,
                                   const apr_array_header_t *numbers,
                                   apr_pool_t *p)
{
    const char *args[MANY_ROWS];
    apr_status_t rv = APR_SUCCESS;
    int i, j;

    *opted_out = apr_hash_make(p);
    for (i = 0; rv == APR_SUCCESS && i < numbers->nelts; i += MANY_ROWS) {
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;

        for (j = 0; j < MANY_ROWS; j++) { /* NULL matches nothing */
            args[j] = i + j < numbers->nelts
                          ? APR_ARRAY_IDX(numbers, i + j, const char *)
                          : NULL;
        }
        rv = sms_st_query(&res, db, MANY_OPTOUT_LABEL, p, MANY_ROWS, args);
        while (rv == APR_SUCCESS &&
               apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            const char *n = sms_st_col(db, row, 0);
            if (n) {
                n = apr_pstrdup(p, n);
                apr_hash_set(*opted_out, n, APR_HASH_KEY_STRING, n);
            }
        }
    }
    return rv;
}

apr_status_t sms_store_optout_check(int *opted_out, sms_db_t *db,
                                    const char *number, apr_pool_t *p)
{
    return sms_st_exists(opted_out, db, "sms_optout_check", p, ARGS(number));
}

apr_status_t sms_store_optout_add(int *added, sms_db_t *db, const char *number,
                                  const char *source, const char *user,
                                  apr_time_t now, apr_pool_t *p)
{
    const char *args[SMS_NCOLS(optout_cols)];
    sms_optout_t o;
    int found = 0;
    apr_status_t rv = sms_store_optout_check(&found, db, number, p);

    *added = 0;
    if (rv != APR_SUCCESS || found) {
        return rv;
    }
    o.number = number;
    o.source = source;
    o.created_by = user;
    o.created_at = now;
    sms_st_col_args(args, &o, optout_cols, SMS_NCOLS(optout_cols), p);
    rv =
        sms_st_run(NULL, db, "sms_optout_add", p, SMS_NCOLS(optout_cols), args);
    *added = rv == APR_SUCCESS;
    return rv;
}

apr_status_t sms_store_optout_remove(int *removed, sms_db_t *db,
                                     const char *number, apr_pool_t *p)
{
    int rows = 0;
    apr_status_t rv =
        sms_st_run(&rows, db, "sms_optout_remove", p, ARGS(number));

    *removed = rows > 0;
    return rv;
}

apr_status_t sms_store_optout_list(apr_array_header_t **list, sms_db_t *db,
                                   const char *after, int limit, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv =
        sms_st_query(&res, db, "sms_optout_list", p,
                     ARGS(after ? after : "", sms_st_i64(p, limit)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *list = sms_st_read_rows(db, res, optout_cols, SMS_NCOLS(optout_cols),
                             sizeof(sms_optout_t), 0, 16, p);
    return APR_SUCCESS;
}
