/*
 * sms_store_templates.c - message templates.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_store_private.h"

/* ---- templates ------------------------------------------------------------
 */

/* The sms_template row's descriptors (SMS_TEMPLATE_ROW / _INSERT /
 * _UPDATE in sms_store_private.h). */
#define SMS_ROW sms_template_row_t
static const sms_col_t row_cols[] = {
    SMS_TEMPLATE_ROW(SMS_COL_DESC, SMS_COL_DESC)};
static const sms_col_t insert_cols[] = {
    SMS_TEMPLATE_INSERT(SMS_COL_DESC, SMS_COL_DESC)};
static const sms_col_t update_cols[] = {
    SMS_TEMPLATE_UPDATE(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW

static apr_status_t read_templates(apr_array_header_t **out, sms_db_t *db,
                                   apr_dbd_results_t *res, apr_pool_t *p)
{
    *out = sms_st_read_rows(db, res, row_cols, SMS_NCOLS(row_cols),
                            sizeof(sms_template_row_t), 1, 8, p);
    return APR_SUCCESS;
}

/* The id of sms_tpl_by_name is a one-column projection, read as such. */
/* The id of the template called name, 0 when none. */
static apr_status_t template_by_name(apr_int64_t *id, sms_db_t *db,
                                     const char *name, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = sms_st_query(&res, db, "sms_tpl_by_name", p, ARGS(name));

    *id = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            *id = sms_st_to64(sms_st_col(db, row, 0));
        }
    }
    return rv;
}

apr_status_t sms_store_template_insert(apr_int64_t *id, sms_db_t *db,
                                       const sms_template_row_t *t,
                                       apr_pool_t *p)
{
    const char *args[SMS_NCOLS(insert_cols)];
    apr_int64_t other;
    apr_status_t rv = template_by_name(&other, db, t->name, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (other) {
        return APR_EEXIST;
    }
    sms_st_col_args(args, t, insert_cols, SMS_NCOLS(insert_cols), p);
    return sms_st_returning_id(id, db, "sms_tpl_insert", p,
                               SMS_NCOLS(insert_cols), args);
}

apr_status_t sms_store_template_get(sms_template_row_t **t, sms_db_t *db,
                                    apr_int64_t id, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_array_header_t *list;
    apr_status_t rv =
        sms_st_query(&res, db, "sms_tpl_get", p, ARGS(sms_st_i64(p, id)));

    if (rv == APR_SUCCESS) {
        read_templates(&list, db, res, p);
        if (!list->nelts) {
            return APR_ENOENT;
        }
        *t = APR_ARRAY_IDX(list, 0, sms_template_row_t *);
    }
    return rv;
}

apr_status_t sms_store_template_list(apr_array_header_t **list, sms_db_t *db,
                                     apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = sms_st_query(&res, db, "sms_tpl_list", p, 0, NULL);

    return rv == APR_SUCCESS ? read_templates(list, db, res, p) : rv;
}

apr_status_t sms_store_template_update(sms_db_t *db,
                                       const sms_template_row_t *t,
                                       apr_pool_t *p)
{
    const char *args[SMS_NCOLS(update_cols) + 1];
    apr_int64_t other;
    int rows = 0;
    apr_status_t rv = template_by_name(&other, db, t->name, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (other && other != t->id) {
        return APR_EEXIST;
    }
    sms_st_col_args(args, t, update_cols, SMS_NCOLS(update_cols), p);
    args[SMS_NCOLS(update_cols)] = sms_st_i64(p, t->id); /* WHERE id */
    rv = sms_st_run(&rows, db, "sms_tpl_update", p, SMS_NCOLS(update_cols) + 1,
                    args);
    return rv == APR_SUCCESS && !rows ? APR_ENOENT : rv;
}

apr_status_t sms_store_template_delete(sms_db_t *db, apr_int64_t id,
                                       apr_pool_t *p)
{
    int rows = 0;
    apr_status_t rv =
        sms_st_run(&rows, db, "sms_tpl_delete", p, ARGS(sms_st_i64(p, id)));

    return rv == APR_SUCCESS && !rows ? APR_ENOENT : rv;
}
