/*
 * sms_store_audit.c - the audit trail: rows appended (in the transaction
 * of the change they record) and listed with filters. Never updated or
 * deleted here.
 */
#include <apr_strings.h>

#include "sms_store_private.h"

apr_status_t sms_store_audit_add(sms_db_t *db, const sms_audit_t *a,
                                 apr_pool_t *p)
{
    return sms_st_run(NULL, db, "sms_audit_insert", p,
                      ARGS(sms_st_i64(p, a->at), a->user ? a->user : "",
                           a->action, a->object, a->patient_id, a->client));
}

apr_status_t sms_store_audit_list(apr_array_header_t **rows, sms_db_t *db,
                                  const sms_audit_filter_t *f, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
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
    *rows =
        apr_array_make(p, f->limit > 0 ? f->limit : 16, sizeof(sms_audit_t));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        sms_audit_t *a = apr_array_push(*rows);
        a->id = sms_st_to64(sms_st_col(db, row, 0));
        a->at = sms_st_to64(sms_st_col(db, row, 1));
        a->user = sms_st_dup_or_null(p, sms_st_col(db, row, 2));
        a->action = sms_st_dup_or_null(p, sms_st_col(db, row, 3));
        a->object = sms_st_dup_or_null(p, sms_st_col(db, row, 4));
        a->patient_id = sms_st_dup_or_null(p, sms_st_col(db, row, 5));
        a->client = sms_st_dup_or_null(p, sms_st_col(db, row, 6));
    }
    return APR_SUCCESS;
}
