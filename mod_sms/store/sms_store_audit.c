/*
 * sms_store_audit.c - the audit trail: rows appended (in the transaction
 * of the change they record) and listed with filters. Never updated or
 * deleted here.
 */
#include <apr_strings.h>

#include "sms_store_private.h"

/* The sms_audit row's descriptors (SMS_AUDIT_ROW / _INSERT). */
#define SMS_ROW sms_audit_t
static const sms_col_t row_cols[] = {SMS_AUDIT_ROW(SMS_COL_DESC, SMS_COL_DESC)};
static const sms_col_t insert_cols[] = {
    SMS_AUDIT_INSERT(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW

apr_status_t sms_store_audit_add(sms_db_t *db, const sms_audit_t *a,
                                 apr_pool_t *p)
{
    const char *args[SMS_NCOLS(insert_cols)];
    sms_audit_t row = *a;

    if (!row.user) {
        row.user = ""; /* username is NOT NULL */
    }
    sms_st_col_args(args, &row, insert_cols, SMS_NCOLS(insert_cols), p);
    return sms_st_run(NULL, db, "sms_audit_insert", p, SMS_NCOLS(insert_cols),
                      args);
}

apr_status_t sms_store_audit_list(apr_array_header_t **rows, sms_db_t *db,
                                  const sms_audit_filter_t *f, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    const char *since = sms_st_opt64(p, f->since);
    const char *until = sms_st_opt64(p, f->until);
    const char *before = sms_st_opt64(p, f->before_id);
    apr_status_t rv =
        sms_st_query(&res, db, "sms_audit_list", p,
                     ARGS(f->user, f->user, f->patient_id, f->patient_id,
                          f->action, f->action, since, since, until, until,
                          before, before, sms_st_i64(p, f->limit)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *rows = sms_st_read_rows(db, res, row_cols, SMS_NCOLS(row_cols),
                             sizeof(sms_audit_t), 0,
                             f->limit > 0 ? f->limit : 16, p);
    return APR_SUCCESS;
}
