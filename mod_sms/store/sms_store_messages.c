/*
 * sms_store_messages.c - outbox rows: insert (one and many), read,
 * list with filters, status transitions with their events, batches.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_hostevent.h"
#include "sms_store_private.h"

/* ---- messages ------------------------------------------------------------ */

/* The sms_message row's descriptors (SMS_MESSAGE_READ / _INSERT). */
#define SMS_ROW sms_message_t
static const sms_col_t read_cols[MSG_NCOLS] = {
    {SMS_COL_I64, offsetof(sms_message_t, id)}, SMS_MESSAGE_READ(SMS_COL_DESC)};
static const sms_col_t insert_cols[MSG_ROW_ARGS - 1] = {
    SMS_MESSAGE_INSERT(SMS_COL_DESC)};
#undef SMS_ROW
#define SMS_ROW sms_event_t
static const sms_col_t event_cols[] = {
    SMS_EVENT_ROW(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW

sms_message_t *sms_st_read_message(sms_db_t *db, apr_dbd_row_t *row,
                                   apr_pool_t *p)
{
    sms_message_t *m = apr_pcalloc(p, sizeof(*m));

    sms_st_read_cols(m, read_cols, MSG_NCOLS, 0, db, row, p);
    return m;
}

/* Every row of a message select, as sms_message_t *. */
apr_status_t sms_st_read_messages(apr_array_header_t **out, sms_db_t *db,
                                  apr_dbd_results_t *res, apr_pool_t *p)
{
    *out = sms_st_read_rows(db, res, read_cols, MSG_NCOLS,
                            sizeof(sms_message_t), 1, 16, p);
    return APR_SUCCESS;
}

void sms_st_insert_args(const char **args, const sms_message_t *m,
                        apr_pool_t *p)
{
    sms_st_col_args(args, m, insert_cols, MSG_ROW_ARGS - 1, p);
    args[MSG_ROW_ARGS - 1] = sms_st_i64(p, m->created_at); /* updated_at */
}

apr_status_t sms_store_insert_message(apr_int64_t *id, sms_db_t *db,
                                      const sms_message_t *m, apr_pool_t *p)
{
    const char *args[MSG_ROW_ARGS];

    sms_st_insert_args(args, m, p);
    return sms_st_returning_id(id, db, "sms_msg_insert", p, MSG_ROW_ARGS, args);
}

apr_status_t sms_store_insert_messages(sms_db_t *db,
                                       const apr_array_header_t *msgs,
                                       apr_pool_t *p)
{
    const char **args = apr_palloc(p, sizeof(*args) * MSG_ROW_ARGS * MANY_ROWS);
    apr_status_t rv = APR_SUCCESS;
    int i = 0, j;

    for (; rv == APR_SUCCESS && msgs->nelts - i >= MANY_ROWS; i += MANY_ROWS) {
        apr_pool_t *chunk;
        apr_pool_create(&chunk, p);
        for (j = 0; j < MANY_ROWS; j++) {
            sms_st_insert_args(args + j * MSG_ROW_ARGS,
                               APR_ARRAY_IDX(msgs, i + j, sms_message_t *),
                               chunk);
        }
        rv = sms_st_run(NULL, db, MANY_INSERT_LABEL, chunk,
                        MSG_ROW_ARGS * MANY_ROWS, args);
        apr_pool_destroy(chunk);
    }
    for (; rv == APR_SUCCESS && i < msgs->nelts; i++) {
        sms_message_t *m = APR_ARRAY_IDX(msgs, i, sms_message_t *);
        rv = sms_store_insert_message(&m->id, db, m, p);
    }
    return rv;
}

/* The first message of a select, or APR_ENOENT. */
apr_status_t sms_st_one_message(sms_message_t **m, sms_db_t *db,
                                const char *label, apr_pool_t *p, int nargs,
                                const char **args)
{
    apr_dbd_results_t *res;
    apr_array_header_t *list;
    apr_status_t rv = sms_st_query(&res, db, label, p, nargs, args);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    sms_st_read_messages(&list, db, res, p);
    if (!list->nelts) {
        return APR_ENOENT;
    }
    *m = APR_ARRAY_IDX(list, 0, sms_message_t *);
    return APR_SUCCESS;
}

apr_status_t sms_store_get_message(sms_message_t **m, sms_db_t *db,
                                   apr_int64_t id, apr_pool_t *p)
{
    return sms_st_one_message(m, db, "sms_msg_get", p, ARGS(sms_st_i64(p, id)));
}

apr_status_t sms_store_events(apr_array_header_t **events, sms_db_t *db,
                              apr_int64_t id, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv =
        sms_st_query(&res, db, "sms_event_list", p, ARGS(sms_st_i64(p, id)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *events = sms_st_read_rows(db, res, event_cols, SMS_NCOLS(event_cols),
                               sizeof(sms_event_t), 0, 4, p);
    return APR_SUCCESS;
}

/* m->reply from the columns id, intent, received_at at col of row; NULL
 * when the id is NULL (no reply). */
static void read_reply(sms_message_t *m, sms_db_t *db, apr_dbd_row_t *row,
                       int col, apr_pool_t *p)
{
    apr_int64_t id = sms_st_to64(sms_st_col(db, row, col));
    sms_reply_t *r;

    if (!id) {
        m->reply = NULL;
        return;
    }
    r = apr_pcalloc(p, sizeof(*r));
    r->id = id;
    r->intent = sms_st_dup_or_null(p, sms_st_col(db, row, col + 1));
    r->received_at = sms_st_to64(sms_st_col(db, row, col + 2));
    m->reply = r;
}

apr_status_t sms_store_list_messages(apr_array_header_t **msgs, sms_db_t *db,
                                     const sms_filter_t *f, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    const char *batch = sms_st_opt64(p, f->batch_id),
               *since = sms_st_opt64(p, f->since);
    const char *until = sms_st_opt64(p, f->until),
               *before = sms_st_opt64(p, f->before_id);
    /* the statement whose index serves the most selective filter given */
    const char *label = f->patient_id ? "sms_msg_list_patient"
                        : f->phone    ? "sms_msg_list_phone"
                        : f->batch_id ? "sms_msg_list_batch"
                        : f->status   ? "sms_msg_list_status"
                                      : "sms_msg_list";
    apr_status_t rv;

    apr_dbd_row_t *row = NULL;

    rv =
        sms_st_query(&res, db, label, p,
                     ARGS(f->status, f->status, f->patient_id, f->patient_id,
                          f->phone, f->phone, batch, batch, since, since, until,
                          until, before, before, sms_st_i64(p, f->limit)));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* each row: the message, then its latest reply (MSG_LIST) */
    *msgs = apr_array_make(p, f->limit, sizeof(sms_message_t *));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        sms_message_t *m = sms_st_read_message(db, row, p);
        read_reply(m, db, row, MSG_NCOLS, p);
        APR_ARRAY_PUSH(*msgs, sms_message_t *) = m;
    }
    return APR_SUCCESS;
}

apr_status_t sms_store_get_reply(sms_message_t *m, sms_db_t *db, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv =
        sms_st_query(&res, db, "sms_msg_reply", p, ARGS(sms_st_i64(p, m->id)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    m->reply = NULL;
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        read_reply(m, db, row, 0, p);
    }
    return APR_SUCCESS;
}

apr_status_t sms_st_insert_event(sms_db_t *db, apr_int64_t id,
                                 const char *status, const char *detail,
                                 apr_time_t at, apr_pool_t *p)
{
    return sms_st_run(
        NULL, db, "sms_event_insert", p,
        ARGS(sms_st_i64(p, id), status, detail, sms_st_i64(p, at)));
}

apr_status_t sms_store_transition(int *changed, sms_db_t *db,
                                  const sms_transition_t *t, apr_pool_t *p)
{
    int rows = 0;
    apr_status_t rv = sms_st_run(
        &rows, db, "sms_msg_transition", p,
        ARGS(t->to, t->external_id, t->error, t->provider_ref,
             sms_st_opt64(p, t->sent_at), sms_st_opt64(p, t->delivered_at),
             sms_st_opt64(p, t->next_attempt_at),
             sms_st_i64(p, t->attempts_add), t->lease_owner,
             sms_st_opt64(p, t->lease_until), sms_st_i64(p, t->now),
             sms_st_i64(p, t->id), t->from));

    *changed = rows > 0;
    if (rv == APR_SUCCESS && rows > 0) {
        rv = sms_st_insert_event(db, t->id, t->to, t->detail, t->now, p);
    }
    if (rv == APR_SUCCESS && rows > 0 && sms_status_is_final(t->to)) {
        rv = sms_store_hostevent_final(db, &t->id, 1, t->now, p);
    }
    return rv;
}

apr_status_t sms_store_transitions(int *changed, sms_db_t *db,
                                   const sms_transition_t *ts, int n,
                                   apr_pool_t *p)
{
    const char *args[TRANSITION_ARGS * MANY_ROWS];
    apr_int64_t final[MANY_ROWS]; /* the host's message.final events */
    apr_status_t rv = APR_SUCCESS;
    int i, j;

    for (i = 0; rv == APR_SUCCESS && i < n; i += MANY_ROWS) {
        int rows = n - i < MANY_ROWS ? n - i : MANY_ROWS, events = 0, nf = 0;
        apr_hash_t *done = apr_hash_make(p);
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;
        int locked;

        memset(args, 0, sizeof(args)); /* NULL rows pad the chunk */
        for (j = 0; j < rows; j++) {
            const sms_transition_t *t = &ts[i + j];
            const char **a = args + j * TRANSITION_ARGS;
            a[0] = t->to;
            a[1] = t->external_id;
            a[2] = t->error;
            a[3] = t->provider_ref;
            a[4] = sms_st_opt64(p, t->sent_at);
            a[5] = sms_st_opt64(p, t->delivered_at);
            a[6] = sms_st_opt64(p, t->next_attempt_at);
            a[7] = sms_st_i64(p, t->attempts_add);
            a[8] = t->lease_owner;
            a[9] = sms_st_opt64(p, t->lease_until);
            a[10] = sms_st_i64(p, t->now);
            a[11] = sms_st_i64(p, t->id);
            a[12] = t->from;
        }
        locked = sms_st_write_lock(db);
        rv = sms_st_query(&res, db, MANY_TRANSITION_LABEL, p,
                          TRANSITION_ARGS * MANY_ROWS, args);
        while (rv == APR_SUCCESS &&
               apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            const char *id = sms_st_col(db, row, 0);
            if (id) {
                id = apr_pstrdup(p, id);
                apr_hash_set(done, id, APR_HASH_KEY_STRING, id);
            }
        }
        sms_st_write_unlock(locked);
        /* the events of the rows that moved, in the same order */
        memset(args, 0, sizeof(args));
        for (j = 0; rv == APR_SUCCESS && j < rows; j++) {
            const sms_transition_t *t = &ts[i + j];
            const char *id = sms_st_i64(p, t->id), **a;
            changed[i + j] =
                apr_hash_get(done, id, APR_HASH_KEY_STRING) != NULL;
            if (!changed[i + j]) {
                continue;
            }
            a = args + events++ * EVENT_ARGS;
            a[0] = id;
            a[1] = t->to;
            a[2] = t->detail;
            a[3] = sms_st_i64(p, t->now);
            if (sms_status_is_final(t->to)) {
                final[nf++] = t->id;
            }
        }
        if (rv == APR_SUCCESS && events) {
            rv = sms_st_run(NULL, db, MANY_EVENT_LABEL, p,
                            EVENT_ARGS * MANY_ROWS, args);
        }
        if (rv == APR_SUCCESS && nf) {
            rv = sms_store_hostevent_final(db, final, nf, ts[i].now, p);
        }
    }
    return rv;
}

/* ---- batches ---------------------------------------------------------------
 */

apr_status_t sms_store_insert_batch(apr_int64_t *id, sms_db_t *db,
                                    const char *user, int recipients,
                                    int segments, apr_time_t now, apr_pool_t *p)
{
    return sms_st_returning_id(id, db, "sms_batch_insert", p,
                               ARGS(user, sms_st_i64(p, now),
                                    sms_st_i64(p, recipients),
                                    sms_st_i64(p, segments)));
}

apr_status_t sms_store_batch_counts(apr_hash_t **counts, apr_time_t *created,
                                    const char **created_by, sms_db_t *db,
                                    apr_int64_t id, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int found = 0;
    apr_status_t rv =
        sms_st_query(&res, db, "sms_batch_get", p, ARGS(sms_st_i64(p, id)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        found = 1;
        *created = sms_st_to64(sms_st_col(db, row, 0));
        *created_by = sms_st_dup_or_null(p, sms_st_col(db, row, 1));
    }
    if (!found) {
        return APR_ENOENT;
    }
    rv = sms_st_query(&res, db, "sms_batch_counts", p, ARGS(sms_st_i64(p, id)));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    row = NULL; /* pgsql keeps a row tied to the result it came from */
    *counts = apr_hash_make(p);
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        int *n = apr_palloc(p, sizeof(int));
        *n = (int)sms_st_to64(sms_st_col(db, row, 1));
        apr_hash_set(*counts, apr_pstrdup(p, sms_st_col(db, row, 0)),
                     APR_HASH_KEY_STRING, n);
    }
    return APR_SUCCESS;
}
