/*
 * sms_store_inbox.c - the inbox (API.md section 7): replies newest first
 * by state (all, unread, unclear), each with its patient links and the
 * message it answers; read/unread marks (who, when); the badge counts.
 * Lists and counts run on the partial indexes of what is unread (schema
 * 7), so they cost what is still unread, not every reply ever received.
 */
#include <apr_strings.h>

#include "sms_store_private.h"

/* The inbox row's descriptors (SMS_INBOX_ROW, then ip.patient_id, then
 * SMS_INBOX_REPLY_TO: INBOX_COLS). */
#define SMS_ROW sms_inbox_item_t
static const sms_col_t item_cols[] = {
    SMS_INBOX_ROW(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW
#define SMS_ROW sms_message_t
static const sms_col_t reply_cols[] = {
    SMS_INBOX_REPLY_TO(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW
#define LINK_COL SMS_NCOLS(item_cols) /* ip.patient_id */

/* One row of INBOX_COLS: a reply and one of its links. A row of the same
 * reply as *last adds its patient to it; otherwise a new item is pushed. */
static void read_row(apr_array_header_t *items, sms_inbox_item_t **last,
                     sms_db_t *db, apr_dbd_row_t *row, apr_pool_t *p)
{
    apr_int64_t id = sms_st_to64(sms_st_col(db, row, 0));
    const char *patient = sms_st_col(db, row, LINK_COL);
    sms_inbox_item_t *it = *last;

    if (!it || it->in.id != id) {
        sms_message_t *m = apr_pcalloc(p, sizeof(*m));

        it = apr_pcalloc(p, sizeof(*it));
        sms_st_read_cols(it, item_cols, SMS_NCOLS(item_cols), 0, db, row, p);
        it->patients = apr_array_make(p, 1, sizeof(const char *));
        /* the message replied to: m.status is NOT NULL when it exists */
        sms_st_read_cols(m, reply_cols, SMS_NCOLS(reply_cols), LINK_COL + 1, db,
                         row, p);
        if (it->in.message_id && m->status) {
            m->id = it->in.message_id;
            it->reply_to = m;
        }
        APR_ARRAY_PUSH(items, sms_inbox_item_t *) = it;
        *last = it;
    }
    if (patient) {
        APR_ARRAY_PUSH(it->patients, const char *) = apr_pstrdup(p, patient);
    }
}

static apr_status_t read_items(apr_array_header_t **items, sms_db_t *db,
                               apr_dbd_results_t *res, int size, apr_pool_t *p)
{
    apr_dbd_row_t *row = NULL;
    sms_inbox_item_t *last = NULL;

    *items = apr_array_make(p, size > 0 ? size : 8, sizeof(sms_inbox_item_t *));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        read_row(*items, &last, db, row, p);
    }
    return APR_SUCCESS;
}

apr_status_t sms_store_inbox_list(apr_array_header_t **items, sms_db_t *db,
                                  sms_inbox_state_e state,
                                  apr_int64_t before_id, int limit,
                                  apr_pool_t *p)
{
    static const char *const labels[] = {"sms_inbox_list_all",
                                         "sms_inbox_list_unread",
                                         "sms_inbox_list_unclear"};
    apr_dbd_results_t *res;
    apr_status_t rv;

    if (state < SMS_INBOX_ALL || state > SMS_INBOX_UNCLEAR) {
        return APR_EINVAL;
    }
    rv = sms_st_query(
        &res, db, labels[state], p,
        ARGS(sms_st_i64(p, before_id > 0 ? before_id : APR_INT64_MAX),
             sms_st_i64(p, limit)));
    return rv == APR_SUCCESS ? read_items(items, db, res, limit, p) : rv;
}

apr_status_t sms_store_inbox_get(sms_inbox_item_t **item, sms_db_t *db,
                                 apr_int64_t id, apr_pool_t *p)
{
    apr_array_header_t *items;
    apr_dbd_results_t *res;
    apr_status_t rv =
        sms_st_query(&res, db, "sms_inbox_get", p, ARGS(sms_st_i64(p, id)));

    *item = NULL;
    if (rv == APR_SUCCESS) {
        rv = read_items(&items, db, res, 1, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!items->nelts) {
        return APR_ENOENT;
    }
    *item = APR_ARRAY_IDX(items, 0, sms_inbox_item_t *);
    return APR_SUCCESS;
}

apr_status_t sms_store_inbox_mark(int *changed, sms_db_t *db, apr_int64_t id,
                                  const char *user, apr_time_t now,
                                  apr_pool_t *p)
{
    *changed = 0;
    return user ? sms_st_run(changed, db, "sms_inbox_read", p,
                             ARGS(sms_st_i64(p, now), user, sms_st_i64(p, id)))
                : sms_st_run(changed, db, "sms_inbox_unread", p,
                             ARGS(sms_st_i64(p, id)));
}

/* sms_inbox_counts and sms_inbox_unread_links are projections (two
 * counts; a reply's id, intent and one link), read as such. */
apr_status_t sms_store_inbox_counts(apr_int64_t *unread, apr_int64_t *unclear,
                                    sms_db_t *db, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = sms_st_query(&res, db, "sms_inbox_counts", p, 0, NULL);

    *unread = *unclear = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            *unread = sms_st_to64(sms_st_col(db, row, 0));
            *unclear = sms_st_to64(sms_st_col(db, row, 1));
        }
    }
    return rv;
}

apr_status_t sms_store_inbox_unread(apr_array_header_t **items, sms_db_t *db,
                                    apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    sms_inbox_item_t *it = NULL;
    apr_status_t rv =
        sms_st_query(&res, db, "sms_inbox_unread_links", p, 0, NULL);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *items = apr_array_make(p, 16, sizeof(sms_inbox_item_t *));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        apr_int64_t id = sms_st_to64(sms_st_col(db, row, 0));
        const char *patient = sms_st_col(db, row, 2);

        if (!it || it->in.id != id) {
            it = apr_pcalloc(p, sizeof(*it));
            it->in.id = id;
            it->in.intent = sms_st_dup_or_null(p, sms_st_col(db, row, 1));
            it->patients = apr_array_make(p, 1, sizeof(const char *));
            APR_ARRAY_PUSH(*items, sms_inbox_item_t *) = it;
        }
        if (patient) {
            APR_ARRAY_PUSH(it->patients, const char *) =
                apr_pstrdup(p, patient);
        }
    }
    return APR_SUCCESS;
}
