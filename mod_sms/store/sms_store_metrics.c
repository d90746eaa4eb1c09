/*
 * sms_store_metrics.c - the figures metrics and mod_status show: messages
 * by status, receipts, replies, opt-outs, the due outbox and its oldest
 * row, in one statement (sms_figures).
 */
#include <string.h>

#include "sms_store_private.h"

apr_status_t sms_store_figures(sms_store_figures_t *f, sms_db_t *db,
                               apr_time_t now, apr_pool_t *p)
{
    const char *at = sms_st_i64(p, now);
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;

    memset(f, 0, sizeof(*f));
    rv = sms_st_query(&res, db, "sms_figures", p, ARGS(at, at));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *kind = sms_st_col(db, row, 0);
        const char *status = sms_st_col(db, row, 1);
        apr_int64_t n = sms_st_to64(sms_st_col(db, row, 2));
        sms_status_e st;

        if (!kind) {
            continue;
        }
        if (!strcmp(kind, "status")) {
            /* the schema's CHECK allows only names sms_status knows */
            if (status && sms_status_parse(&st, status) == APR_SUCCESS) {
                f->by_status[st] = n;
            }
        }
        else if (!strcmp(kind, "receipts")) {
            f->receipts = n;
        }
        else if (!strcmp(kind, "replies")) {
            f->replies = n;
        }
        else if (!strcmp(kind, "optouts")) {
            f->optouts = n;
        }
        else if (!strcmp(kind, "due")) {
            f->due = n;
        }
        else if (!strcmp(kind, "oldest_due")) {
            f->oldest_due = n; /* NULL (nothing due) reads as 0 */
        }
        else if (!strcmp(kind, "events_pending")) {
            f->events_pending = n;
        }
    }
    return APR_SUCCESS;
}
