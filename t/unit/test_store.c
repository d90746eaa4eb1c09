/*
 * test_store.c - the store and the sender on a real SQLite database
 * through apr_dbd (no httpd): the schema check, inserts in chunks, claims
 * and leases, status moves that only go forward, the sender's grouping and
 * exactly-once hand-over with the sandbox provider, opt-out holds and
 * Idempotency-Key records.
 *
 * The database is a fresh file with sql/sqlite/NNN_*.sql applied by the
 * sqlite3 shell (SMS_TEST_DATA/../../sql); skipped when that shell is
 * missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "sms_provider.h"
#include "sms_sender.h"
#include "sms_store.h"
#include "sms_store_private.h"
#include "tap.h"

static const char *sql_dir;
static char db_path[256];

/* A new database file with every migration applied, in order. */
static int make_database(apr_pool_t *p)
{
    const char *cmd;

    snprintf(db_path, sizeof(db_path), "/tmp/sms-test-store-%ld.db",
             (long)getpid());
    unlink(db_path);
    cmd = apr_psprintf(p,
                       "for f in '%s'/sqlite/[0-9][0-9][0-9]_*.sql; do "
                       "sqlite3 '%s' < \"$f\" >/dev/null || exit 1; done",
                       sql_dir, db_path);
    return system(cmd) == 0;
}

/* A connection made ready the way the glue makes mod_dbd's. */
static sms_db_t *open_db_at(const char *path, apr_pool_t *p);

static sms_db_t *open_db(apr_pool_t *p)
{
    return open_db_at(db_path, p);
}

static sms_db_t *open_db_at(const char *path, apr_pool_t *p)
{
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    sms_db_t *db = apr_pcalloc(p, sizeof(*db));
    const char *why = NULL;

    if (apr_dbd_get_driver(p, "sqlite3", &driver) != APR_SUCCESS ||
        apr_dbd_open(driver, p, path, &handle) != APR_SUCCESS) {
        return NULL;
    }
    db->driver = driver;
    db->handle = handle;
    db->pool = p;
    if (sms_store_ready(db, &why, p) != APR_SUCCESS) {
        tap_diag("store not ready: %s", why ? why : "?");
        return NULL;
    }
    return db;
}

static sms_message_t *message(apr_pool_t *p, const char *to, const char *body,
                              apr_time_t now)
{
    sms_message_t *m = apr_pcalloc(p, sizeof(*m));

    m->to = to;
    m->body = body;
    m->encoding = "GSM-7";
    m->segments = 1;
    m->max_parts = 5;
    m->status = "queued";
    m->sent_by = "unit";
    m->created_at = now;
    m->next_attempt_at = now;
    return m;
}

static int count_status(sms_db_t *db, const char *status, apr_pool_t *p)
{
    sms_filter_t f;
    apr_array_header_t *msgs;

    memset(&f, 0, sizeof(f));
    f.status = status;
    f.limit = 500;
    if (sms_store_list_messages(&msgs, db, &f, p) != APR_SUCCESS) {
        return -1;
    }
    return msgs->nelts;
}

static void check_schema_refused_when_missing(apr_pool_t *p)
{
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    sms_db_t db;
    const char *why = NULL, *empty;

    empty = apr_psprintf(p, "%s.empty", db_path);
    unlink(empty);
    memset(&db, 0, sizeof(db));
    if (apr_dbd_get_driver(p, "sqlite3", &driver) != APR_SUCCESS ||
        apr_dbd_open(driver, p, empty, &handle) != APR_SUCCESS) {
        tap_ok(0, "empty database opens");
        return;
    }
    db.driver = driver;
    db.handle = handle;
    db.pool = p;
    tap_is_int(sms_store_ready(&db, &why, p), SMS_STORE_ENOSCHEMA,
               "schema_missing_is_ENOSCHEMA_not_a_dead_database");
    tap_ok(why && strstr(why, "migrate.sh") != NULL,
           "schema_missing_says_how_to_fix_it");
    apr_dbd_close(driver, handle);
    unlink(empty);
}

/* 120 rows in one call: the 50-row statements and the rest one by one. */
static void check_insert_many(sms_db_t *db, apr_pool_t *p)
{
    apr_array_header_t *msgs = apr_array_make(p, 120, sizeof(sms_message_t *));
    apr_time_t now = apr_time_now();
    int i, depth = -1;

    for (i = 0; i < 120; i++) {
        APR_ARRAY_PUSH(msgs, sms_message_t *) =
            message(p, apr_psprintf(p, "614120%05d", i), "bulk text", now);
    }
    tap_is_int(sms_store_begin(db, p), APR_SUCCESS, "begin");
    tap_is_int(sms_store_insert_messages(db, msgs, p), APR_SUCCESS,
               "insert_120_in_chunks");
    tap_is_int(sms_store_end(db, 1, p), APR_SUCCESS, "commit");
    tap_is_int(count_status(db, "queued", p), 120, "all_120_stored_queued");
    sms_store_queue_depth(&depth, db, p);
    tap_is_int(depth, 120, "queue_depth_counts_them");
}

/* Every field of the row descriptor written and read back in place. */
static void check_row_round_trip(sms_db_t *db, apr_pool_t *p)
{
    apr_time_t now = apr_time_now();
    sms_message_t *m = message(p, "61412999777", "round trip", now), *got;

    m->patient_id = "17";
    m->phone_label = "Mobile";
    m->sender_id = "WalkEasy";
    m->encoding = "UCS-2";
    m->segments = 2;
    m->max_parts = 3;
    m->status = "scheduled";
    m->send_at = now + apr_time_from_sec(3600);
    m->next_attempt_at = m->send_at;
    m->attempts = 0;
    m->provider_ref = "ref-1";
    if (sms_store_insert_message(&m->id, db, m, p) != APR_SUCCESS ||
        sms_store_get_message(&got, db, m->id, p) != APR_SUCCESS) {
        tap_ok(0, "row_round_trip");
        return;
    }
    tap_ok(got->id == m->id && !strcmp(got->to, m->to) &&
               !strcmp(got->patient_id, "17") &&
               !strcmp(got->phone_label, "Mobile") &&
               !strcmp(got->sender_id, "WalkEasy") &&
               !strcmp(got->body, "round trip") &&
               !strcmp(got->encoding, "UCS-2") && got->segments == 2 &&
               got->max_parts == 3 && !strcmp(got->status, "scheduled") &&
               !got->error && !got->external_id && got->batch_id == 0 &&
               got->template_id == 0 && !strcmp(got->sent_by, "unit") &&
               got->created_at == now && got->send_at == m->send_at &&
               got->sent_at == 0 && got->delivered_at == 0 &&
               got->next_attempt_at == m->send_at && got->attempts == 0 &&
               !strcmp(got->provider_ref, "ref-1"),
           "row_descriptor_writes_and_reads_every_field_in_place");
    {
        sms_transition_t t;
        int changed = 0;
        memset(&t, 0, sizeof(t));
        t.id = m->id;
        t.from = "scheduled";
        t.to = "failed"; /* out of the way of the counts below */
        t.now = now;
        sms_store_transition(&changed, db, &t, p);
    }
}

/* Claims: at most limit, never a row another owner holds until its lease
 * runs out; release gives back what was not started. */
static void check_claims(sms_db_t *db, apr_pool_t *p)
{
    apr_time_t now = apr_time_now();
    apr_array_header_t *mine;
    int n = -1;

    tap_is_int(
        sms_store_claim(&n, db, "a", now, now + apr_time_from_sec(60), 30, p),
        APR_SUCCESS, "claim");
    tap_is_int(n, 30, "claim_takes_at_most_limit");
    sms_store_claimed(&mine, db, "a", p);
    tap_is_int(mine->nelts, 30, "claimed_lists_what_a_holds");
    sms_store_claim(&n, db, "b", now, now + apr_time_from_sec(60), 500, p);
    tap_is_int(n, 90, "b_gets_only_the_unleased_rest");
    sms_store_claim(&n, db, "c", now, now + apr_time_from_sec(60), 500, p);
    tap_is_int(n, 0, "nothing_left_while_leases_hold");
    sms_store_claim(&n, db, "c", now + apr_time_from_sec(61),
                    now + apr_time_from_sec(120), 500, p);
    tap_is_int(n, 120, "expired_leases_come_back");
    sms_store_release(&n, db, "c", p);
    tap_is_int(n, 120, "release_gives_back_unstarted_claims");
    sms_store_claimed(&mine, db, "c", p);
    tap_is_int(mine->nelts, 0, "released_rows_no_longer_held");
}

/* A transition applies only from the status it names; its event is kept. */
static void check_transitions(sms_db_t *db, apr_pool_t *p)
{
    apr_time_t now = apr_time_now();
    sms_message_t *m = message(p, "61412999001", "one", now), *got;
    sms_transition_t t;
    apr_array_header_t *events;
    int changed = -1;

    sms_store_insert_message(&m->id, db, m, p);
    memset(&t, 0, sizeof(t));
    t.id = m->id;
    t.from = "queued";
    t.to = "sending";
    t.now = now;
    t.detail = "unit: start";
    tap_is_int(sms_store_transition(&changed, db, &t, p), APR_SUCCESS,
               "transition");
    tap_is_int(changed, 1, "queued_to_sending_applies");
    t.from = "queued";
    t.to = "failed";
    sms_store_transition(&changed, db, &t, p);
    tap_is_int(changed, 0, "a_stale_from_status_changes_nothing");
    t.from = "sending";
    t.to = "delivered";
    t.delivered_at = now;
    t.detail = "unit: receipt";
    sms_store_transition(&changed, db, &t, p);
    sms_store_get_message(&got, db, m->id, p);
    tap_is_str(got->status, "delivered", "sending_to_delivered_applies");
    t.from = "sending";
    t.to = "sent";
    sms_store_transition(&changed, db, &t, p);
    sms_store_get_message(&got, db, m->id, p);
    tap_ok(changed == 0 && !strcmp(got->status, "delivered"),
           "a_late_sent_never_overwrites_delivered");
    sms_store_events(&events, db, m->id, p);
    tap_is_int(events->nelts, 2, "one_event_per_applied_move");
}

/* The sender with the sandbox: every due message handed over once, the
 * same number twice in one text goes in two provider requests, opted-out
 * numbers are cancelled and never handed over. */
static void check_sender(sms_db_t *db, apr_pool_t *p)
{
    apr_time_t now = apr_time_now();
    sms_provider_t *pv;
    sms_sender_conf_t c;
    sms_message_t *dup;
    int handed = -1, added = 0, left = -1;

    /* the 120 queued rows of check_insert_many, one repeated number, one
     * opted-out number */
    dup = message(p, "61412000007", "bulk text", now);
    sms_store_insert_message(&dup->id, db, dup, p);
    sms_store_insert_message(&dup->id, db,
                             message(p, "61412888888", "stop me", now), p);
    sms_store_optout_add(&added, db, "61412888888", "unit", "unit", now, p);
    tap_is_int(added, 1, "optout_added");
    if (sms_provider_create(&pv, "sandbox", NULL, p) != APR_SUCCESS) {
        tap_ok(0, "sandbox provider");
        return;
    }
    memset(&c, 0, sizeof(c));
    c.retry_limit = 1;
    c.retry_backoff = apr_time_from_msec(10);
    c.batch_size = 100;
    c.lease = apr_time_from_sec(30);
    c.owner = "unit-sender";
    tap_is_int(sms_sender_run(&handed, db, pv, &c,
                              apr_time_now() + apr_time_from_sec(20), p),
               APR_SUCCESS, "sender_run");
    tap_is_int(handed, 121, "every_due_message_handed_over_once");
    tap_is_int(count_status(db, "cancelled", p), 1,
               "opted_out_number_cancelled_not_sent");
    sms_store_queue_depth(&left, db, p);
    tap_is_int(left, 0, "outbox_drained");
    {
        sms_filter_t f;
        apr_array_header_t *twice;
        memset(&f, 0, sizeof(f));
        f.phone = "61412000007";
        f.limit = 10;
        sms_store_list_messages(&twice, db, &f, p);
        tap_ok(twice->nelts == 2 &&
                   strcmp(APR_ARRAY_IDX(twice, 0, sms_message_t *)->status,
                          "queued") &&
                   strcmp(APR_ARRAY_IDX(twice, 1, sms_message_t *)->status,
                          "queued"),
               "a_number_twice_in_one_text_is_sent_twice_not_dropped");
    }
    sms_sender_run(&handed, db, pv, &c, apr_time_now() + apr_time_from_sec(5),
                   p);
    tap_is_int(handed, 0, "a_second_run_sends_nothing_again");
}

/* A STOP while the sender waits for SMSRateLimit, after it claimed the
 * number's message: the message is cancelled, never handed over. */
static void *APR_THREAD_FUNC stop_later(apr_thread_t *th, void *data)
{
    apr_pool_t *p;
    sms_db_t *db;
    int added = 0;

    (void)data;
    apr_pool_create(&p, NULL);
    apr_sleep(apr_time_from_msec(1500));
    if ((db = open_db(p))) {
        sms_store_optout_add(&added, db, "61412777003", "inbound", NULL,
                             apr_time_now(), p);
    }
    apr_pool_destroy(p);
    apr_thread_exit(th, added ? APR_SUCCESS : APR_EGENERAL);
    return NULL;
}

static void check_stop_at_hand_over(sms_db_t *db, apr_pool_t *p)
{
    static sms_pace_t pace;
    apr_time_t now = apr_time_now();
    sms_provider_t *pv;
    sms_sender_conf_t c;
    apr_thread_t *th;
    apr_status_t trv = APR_EGENERAL;
    sms_filter_t f;
    apr_array_header_t *msgs;
    int i, handed = -1;

    for (i = 1; i <= 5; i++) {
        sms_message_t *m =
            message(p, apr_psprintf(p, "6141277700%d", i), "paced", now);
        sms_store_insert_message(&m->id, db, m, p);
    }
    sms_provider_create(&pv, "sandbox", NULL, p);
    memset(&c, 0, sizeof(c));
    c.retry_limit = 1;
    c.retry_backoff = apr_time_from_msec(10);
    c.batch_size = 100;
    c.rate_limit = 1; /* one a second: number 3 goes at ~2 s */
    c.lease = apr_time_from_sec(30);
    c.owner = "unit-paced";
    c.pace = &pace;
    apr_thread_create(&th, NULL, stop_later, NULL, p);
    sms_sender_run(&handed, db, pv, &c, apr_time_now() + apr_time_from_sec(20),
                   p);
    apr_thread_join(&trv, th);
    tap_is_int(trv, APR_SUCCESS, "stop_arrived_during_the_paced_drain");
    memset(&f, 0, sizeof(f));
    f.phone = "61412777003";
    f.limit = 5;
    sms_store_list_messages(&msgs, db, &f, p);
    tap_ok(msgs->nelts == 1 &&
               !strcmp(APR_ARRAY_IDX(msgs, 0, sms_message_t *)->status,
                       "cancelled"),
           "stop_after_the_claim_still_stops_the_message");
    tap_is_int(handed, 4, "the_other_four_handed_over");
}

/* Each history filter has a statement whose plan uses that column's
 * index: no full scan of sms_message for a patient, a number, a batch or
 * a status. */
static void check_history_plans(sms_db_t *db, apr_pool_t *p)
{
    static const struct {
        const char *label, *index;
    } want[] = {
        {"sms_msg_list_patient", "sms_message_patient"},
        {"sms_msg_list_phone", "sms_message_to"},
        {"sms_msg_list_batch", "sms_message_batch"},
        {"sms_msg_list_status", "sms_message_due"},
    };
    apr_size_t i, j;

    for (i = 0; i < sizeof(want) / sizeof(*want); i++) {
        const char *sql = NULL, *plan = "";
        apr_dbd_prepared_t *st = NULL;
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        const char *args[15] = {NULL};

        for (j = 0; j < sms_st_nstatements; j++) {
            if (!strcmp(sms_st_statements[j].label, want[i].label)) {
                sql = sms_st_statements[j].sql;
            }
        }
        if (!sql ||
            apr_dbd_prepare(db->driver, p, db->handle,
                            apr_pstrcat(p, "EXPLAIN QUERY PLAN ", sql, NULL),
                            NULL, &st) ||
            apr_dbd_pselect(db->driver, p, db->handle, &res, st, 0, 15, args)) {
            tap_ok(0, "plan of %s", want[i].label);
            continue;
        }
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            plan = apr_pstrcat(p, plan, apr_dbd_get_entry(db->driver, row, 3),
                               "; ", NULL);
        }
        if (!tap_ok(strstr(plan, want[i].index) != NULL &&
                        !strstr(plan, "SCAN sms_message;") &&
                        !strstr(plan, "SCAN TABLE sms_message;"),
                    "%s_uses_%s", want[i].label, want[i].index)) {
            tap_diag("plan: %s", plan);
        }
    }
}

/* The query plan of a statement of the table (SQLite's EXPLAIN QUERY
 * PLAN, details joined by "; "), or NULL. */
static const char *plan_of(sms_db_t *db, const char *label, apr_pool_t *p)
{
    const char *sql = NULL, *plan = "";
    apr_dbd_prepared_t *st = NULL;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *args[15] = {NULL};
    apr_size_t j;

    for (j = 0; j < sms_st_nstatements; j++) {
        if (!strcmp(sms_st_statements[j].label, label)) {
            sql = sms_st_statements[j].sql;
        }
    }
    if (!sql ||
        apr_dbd_prepare(db->driver, p, db->handle,
                        apr_pstrcat(p, "EXPLAIN QUERY PLAN ", sql, NULL), NULL,
                        &st) ||
        apr_dbd_pselect(db->driver, p, db->handle, &res, st, 0, 15, args)) {
        return NULL;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        plan = apr_pstrcat(p, plan, apr_dbd_get_entry(db->driver, row, 3), "; ",
                           NULL);
    }
    return plan;
}

/* The inbox's lists and counts run on the partial indexes of what is
 * unread (schema 7), "all" on the primary key: never a scan of every
 * reply. */
static void check_inbox_plans(sms_db_t *db, apr_pool_t *p)
{
    static const struct {
        const char *label, *index;
    } want[] = {
        {"sms_inbox_list_unread", "USING INDEX sms_inbound_unread (id<?)"},
        {"sms_inbox_list_unclear", "USING INDEX sms_inbound_unclear (id<?)"},
        {"sms_inbox_list_all", "USING INTEGER PRIMARY KEY (rowid<?)"},
        {"sms_inbox_counts", "sms_inbound USING INDEX sms_inbound_unread"},
        {"sms_inbox_counts", "sms_inbound USING INDEX sms_inbound_unclear"},
        {"sms_inbox_unread_links", "USING INDEX sms_inbound_unread"},
        {"sms_inbox_get", "USING INTEGER PRIMARY KEY (rowid=?)"},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(want) / sizeof(*want); i++) {
        const char *plan = plan_of(db, want[i].label, p);

        if (!tap_ok(plan && strstr(plan, want[i].index) &&
                        !strstr(plan, "SCAN sms_inbound;") &&
                        !strstr(plan, "SCAN sms_inbound_patient"),
                    "%s uses %s", want[i].label, want[i].index)) {
            tap_diag("plan: %s", plan ? plan : "(none)");
        }
    }
}

/* The history's latest reply of each message on the page, and the
 * message view's: one step down sms_inbound_message (schema 11), then the
 * reply by its primary key; never a scan of the replies. Every history
 * statement has it, and keeps its filter's index. */
static void check_reply_plans(sms_db_t *db, apr_pool_t *p)
{
    static const char *const labels[] = {
        "sms_msg_list",       "sms_msg_list_patient", "sms_msg_list_phone",
        "sms_msg_list_batch", "sms_msg_list_status",  "sms_msg_reply",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(labels) / sizeof(*labels); i++) {
        const char *plan = plan_of(db, labels[i], p);

        if (!tap_ok(plan &&
                        strstr(plan, "USING COVERING INDEX "
                                     "sms_inbound_message (message_id=?)") &&
                        strstr(plan, "USING INTEGER PRIMARY KEY (rowid=?)") &&
                        !strstr(plan, "SCAN sms_inbound") &&
                        !strstr(plan, "SCAN x") && !strstr(plan, "SCAN r"),
                    "%s finds the latest reply through sms_inbound_message",
                    labels[i])) {
            tap_diag("plan: %s", plan ? plan : "(none)");
        }
    }
}

/* A reply stored as the inbound webhook stores it, linked to patients
 * (NULL-terminated); its id. */
static apr_int64_t reply(sms_db_t *db, const char *from, const char *intent,
                         const char *const *patients, apr_pool_t *p)
{
    static int n;
    apr_int64_t id = 0;

    n++;
    sms_store_inbound_insert(&id, db, from, "WalkEasy", "reply", NULL, 0, NULL,
                             apr_time_now(), apr_psprintf(p, "inbox-%d", n), n,
                             intent, p);
    for (; patients && *patients; patients++) {
        sms_store_inbound_link(db, id, *patients, p);
    }
    return id;
}

/* Lists by state, newest first, paged by id; marks (first reader kept,
 * unread clears both); counts: unclear is what is unread and unclear. */
static void check_inbox(sms_db_t *db, apr_pool_t *p)
{
    static const char *const ann[] = {"17", NULL}, *const both[] = {"18", "17",
                                                                    NULL};
    apr_int64_t a, b, c, unread = -1, unclear = -1;
    apr_array_header_t *items;
    sms_inbox_item_t *it;
    int changed = -1;

    a = reply(db, "61412345678", "confirm", ann, p);
    b = reply(db, "61412345679", "unclear", both, p);
    c = reply(db, "61400000000", NULL, NULL, p);
    sms_store_inbox_list(&items, db, SMS_INBOX_UNREAD, 0, 10, p);
    tap_ok(items->nelts >= 3 &&
               APR_ARRAY_IDX(items, 0, sms_inbox_item_t *)->in.id == c &&
               APR_ARRAY_IDX(items, 1, sms_inbox_item_t *)->in.id == b &&
               APR_ARRAY_IDX(items, 2, sms_inbox_item_t *)->in.id == a,
           "inbox_unread_newest_first");
    it = APR_ARRAY_IDX(items, 1, sms_inbox_item_t *);
    tap_ok(it->patients->nelts == 2 &&
               !strcmp(APR_ARRAY_IDX(it->patients, 0, const char *), "17") &&
               !strcmp(APR_ARRAY_IDX(it->patients, 1, const char *), "18"),
           "a_reply_carries_every_linked_patient_once");
    it = APR_ARRAY_IDX(items, 0, sms_inbox_item_t *);
    tap_ok(it->patients->nelts == 0 && !it->reply_to && !it->in.read_at,
           "an_unlinked_reply_has_no_patient");
    sms_store_inbox_list(&items, db, SMS_INBOX_UNREAD, b, 10, p);
    tap_ok(items->nelts >= 1 &&
               APR_ARRAY_IDX(items, 0, sms_inbox_item_t *)->in.id == a,
           "inbox_pages_below_the_cursor");
    sms_store_inbox_list(&items, db, SMS_INBOX_UNCLEAR, 0, 10, p);
    tap_ok(items->nelts == 1 &&
               APR_ARRAY_IDX(items, 0, sms_inbox_item_t *)->in.id == b,
           "inbox_unclear_lists_the_unclear_reply");
    sms_store_inbox_counts(&unread, &unclear, db, p);
    tap_ok(unread == 3 && unclear == 1, "inbox_counts_3_unread_1_unclear");

    sms_store_inbox_mark(&changed, db, b, "ann", 1000, p);
    tap_is_int(changed, 1, "inbox_mark_read_changes");
    sms_store_inbox_mark(&changed, db, b, "bob", 2000, p);
    tap_is_int(changed, 0, "inbox_mark_read_again_changes_nothing");
    sms_store_inbox_get(&it, db, b, p);
    tap_ok(it && it->in.read_at == 1000 && it->in.read_by &&
               !strcmp(it->in.read_by, "ann"),
           "inbox_the_first_reader_stays");
    sms_store_inbox_counts(&unread, &unclear, db, p);
    tap_ok(unread == 2 && unclear == 0, "inbox_a_read_unclear_reply_is_done");
    sms_store_inbox_unread(&items, db, p);
    tap_ok(items->nelts == 2, "inbox_unread_links_of_two_replies");
    sms_store_inbox_mark(&changed, db, b, NULL, 0, p);
    sms_store_inbox_get(&it, db, b, p);
    tap_ok(changed == 1 && it && !it->in.read_at && !it->in.read_by,
           "inbox_mark_unread_clears_who_and_when");
    tap_is_int(sms_store_inbox_get(&it, db, 999999, p), APR_ENOENT,
               "inbox_unknown_reply_is_ENOENT");
    sms_store_inbox_list(&items, db, SMS_INBOX_ALL, 0, 2, p);
    tap_ok(items->nelts == 2, "inbox_limit_counts_replies_not_links");
}

/* A page of a conversation walks the (patient_id, id) indexes of both
 * sides from the cursor down: no scan, and no sort of the patient's
 * whole thread for ORDER BY ... DESC LIMIT. */
static void check_thread_page_plans(sms_db_t *db, apr_pool_t *p)
{
    static const struct {
        const char *label, *index;
    } want[] = {
        {"sms_thread_out_page", "sms_message_patient"},
        {"sms_thread_in_page", "sms_inbound_patient_latest"},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(want) / sizeof(*want); i++) {
        const char *plan = plan_of(db, want[i].label, p);

        if (!tap_ok(plan && strstr(plan, want[i].index) &&
                        !strstr(plan, "SCAN ") && !strstr(plan, "TEMP B-TREE"),
                    "%s_walks_%s", want[i].label, want[i].index)) {
            tap_diag("plan: %s", plan ? plan : "(none)");
        }
    }
}

static void check_idempotency(sms_db_t *db, apr_pool_t *p)
{
    apr_time_t now = apr_time_now(), day = apr_time_from_sec(86400);
    const char *hash = NULL, *resp = NULL;
    int status = -1;

    tap_is_int(sms_store_idem_start(db, "ann", "k1", "h1", now, now - day, p),
               APR_SUCCESS, "idempotency_key_claimed");
    tap_ok(sms_store_idem_start(db, "ann", "k1", "h1", now, now - day, p) !=
               APR_SUCCESS,
           "same_key_cannot_be_claimed_twice");
    tap_is_int(sms_store_idem_start(db, "bob", "k1", "h1", now, now - day, p),
               APR_SUCCESS, "keys_are_per_user");
    sms_store_idem_finish(db, "ann", "k1", 201, "{\"id\":1}", p);
    sms_store_idem_get(&hash, &status, &resp, db, "ann", "k1", now - day, p);
    tap_ok(hash && !strcmp(hash, "h1") && status == 201 && resp &&
               !strcmp(resp, "{\"id\":1}"),
           "first_answer_kept_for_replays");
}

/* Group commit: many threads, each on its own connection, write through
 * sms_store_write; every write that succeeds is committed, every write
 * that fails is undone alone (its group's other members stay), and the
 * writes of concurrent threads share transactions. */
#define GROUP_THREADS 12
#define GROUP_WRITES 10

typedef struct {
    sms_message_t *m;
    int fail; /* insert, then fail: the insert must be undone */
} group_write;

static apr_status_t write_one(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    group_write *w = ctx;
    apr_status_t rv = sms_store_insert_message(&w->m->id, db, w->m, p);

    apr_sleep(apr_time_from_msec(2)); /* a write takes a moment */
    return rv == APR_SUCCESS && w->fail ? APR_EGENERAL : rv;
}

static void *APR_THREAD_FUNC group_writer(apr_thread_t *th, void *data)
{
    long t = (long)data, i;
    apr_pool_t *p;
    sms_db_t *db;
    apr_status_t bad = APR_SUCCESS;

    apr_pool_create(&p, NULL);
    if (!(db = open_db(p))) {
        apr_thread_exit(th, APR_EGENERAL);
        return NULL;
    }
    for (i = 0; i < GROUP_WRITES; i++) {
        group_write w;
        int fail = (t * GROUP_WRITES + i) % 4 == 3;
        apr_status_t rv;

        w.m = message(p, "61412777100", fail ? "group-bad" : "group-ok",
                      apr_time_now());
        w.fail = fail;
        rv = sms_store_write(db, write_one, &w, p);
        if ((rv == APR_SUCCESS) == fail) {
            bad = APR_EGENERAL;
        }
    }
    apr_dbd_close(db->driver, db->handle);
    apr_pool_destroy(p);
    apr_thread_exit(th, bad);
    return NULL;
}

static int count_body(sms_db_t *db, const char *body, apr_pool_t *p)
{
    sms_filter_t f;
    apr_array_header_t *msgs;
    int i, n = 0;

    memset(&f, 0, sizeof(f));
    f.phone = "61412777100";
    f.limit = 1000;
    if (sms_store_list_messages(&msgs, db, &f, p) != APR_SUCCESS) {
        return -1;
    }
    for (i = 0; i < msgs->nelts; i++) {
        n += !strcmp(APR_ARRAY_IDX(msgs, i, sms_message_t *)->body, body);
    }
    return n;
}

static void check_group_commit(sms_db_t *db, apr_pool_t *p)
{
    apr_thread_t *th[GROUP_THREADS];
    apr_status_t trv;
    long groups0, writes0, groups, writes, t;
    int ok = 1, total = GROUP_THREADS * GROUP_WRITES;

    sms_store_group_stats(&groups0, &writes0);
    for (t = 0; t < GROUP_THREADS; t++) {
        apr_thread_create(&th[t], NULL, group_writer, (void *)t, p);
    }
    for (t = 0; t < GROUP_THREADS; t++) {
        apr_thread_join(&trv, th[t]);
        ok = ok && trv == APR_SUCCESS;
    }
    sms_store_group_stats(&groups, &writes);
    tap_ok(ok, "each_write_learns_its_own_outcome");
    tap_is_int(count_body(db, "group-ok", p), total - total / 4,
               "every_successful_write_is_committed");
    tap_is_int(count_body(db, "group-bad", p), 0,
               "a_failed_write_is_undone_alone");
    tap_is_int((int)(writes - writes0), total,
               "every_write_went_through_a_group");
    tap_ok(groups - groups0 < writes - writes0,
           "concurrent_writes_share_commits");
    tap_diag("%d writes in %ld commits", total, groups - groups0);
}

/* Writes to two databases at once (two virtual hosts with their own
 * DBDParams): group commit groups them per database, so each lands in its
 * own, never on the other's connection. */
typedef struct {
    const char *path, *body;
} two_db_writer;

static void *APR_THREAD_FUNC db_writer(apr_thread_t *th, void *data)
{
    two_db_writer *w = data;
    apr_pool_t *p;
    sms_db_t *db;
    apr_status_t bad = APR_SUCCESS;
    int i;

    apr_pool_create(&p, NULL);
    if (!(db = open_db_at(w->path, p))) {
        apr_thread_exit(th, APR_EGENERAL);
        return NULL;
    }
    for (i = 0; i < GROUP_WRITES; i++) {
        group_write gw;
        gw.m = message(p, "61412777100", w->body, apr_time_now());
        gw.fail = 0;
        if (sms_store_write(db, write_one, &gw, p) != APR_SUCCESS) {
            bad = APR_EGENERAL;
        }
    }
    apr_dbd_close(db->driver, db->handle);
    apr_pool_destroy(p);
    apr_thread_exit(th, bad);
    return NULL;
}

static void check_group_per_database(sms_db_t *db, apr_pool_t *p)
{
    const char *other = apr_psprintf(p, "%s.other", db_path);
    two_db_writer w[2] = {{db_path, "db-one"}, {other, "db-two"}};
    apr_thread_t *th[8];
    apr_status_t trv;
    sms_db_t *db2;
    int i, ok = 1;

    unlink(other);
    if (system(apr_psprintf(p, "cp '%s' '%s'", db_path, other)) != 0 ||
        !(db2 = open_db_at(other, p))) {
        tap_ok(0, "a second database");
        return;
    }
    tap_ok(db->database && db2->database && strcmp(db->database, db2->database),
           "two_databases_have_two_names");
    for (i = 0; i < 8; i++) {
        apr_thread_create(&th[i], NULL, db_writer, &w[i % 2], p);
    }
    for (i = 0; i < 8; i++) {
        apr_thread_join(&trv, th[i]);
        ok = ok && trv == APR_SUCCESS;
    }
    tap_ok(ok, "writes_to_two_databases_all_commit");
    tap_is_int(count_body(db, "db-one", p), 4 * GROUP_WRITES,
               "the_first_database_has_its_writes");
    tap_is_int(count_body(db, "db-two", p), 0,
               "and_none_of_the_other_database");
    tap_is_int(count_body(db2, "db-two", p), 4 * GROUP_WRITES,
               "the_second_database_has_its_writes");
    tap_is_int(count_body(db2, "db-one", p), 0,
               "and_none_of_the_first_database");
    apr_dbd_close(db2->driver, db2->handle);
    unlink(other);
    unlink(apr_pstrcat(p, other, "-wal", NULL));
    unlink(apr_pstrcat(p, other, "-shm", NULL));
}

int main(void)
{
    apr_pool_t *p;
    const char *data = getenv("SMS_TEST_DATA");
    sms_db_t *db;

    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_dbd_init(p);
    sql_dir = apr_psprintf(p, "%s/../../sql", data ? data : "t/data");
    if (system("command -v sqlite3 >/dev/null 2>&1") != 0) {
        printf("1..0 # SKIP the sqlite3 shell is needed to apply the schema\n");
        return 0;
    }
    if (!make_database(p) || !(db = open_db(p))) {
        tap_ok(0, "a fresh SQLite database with the schema");
        return tap_done();
    }
    sms_store_child_init(p);
    check_schema_refused_when_missing(p);
    check_row_round_trip(db, p);
    check_insert_many(db, p);
    check_claims(db, p);
    check_transitions(db, p);
    check_sender(db, p);
    check_stop_at_hand_over(db, p);
    check_idempotency(db, p);
    check_group_commit(db, p);
    check_group_per_database(db, p);
    check_history_plans(db, p);
    check_inbox_plans(db, p);
    check_reply_plans(db, p);
    check_thread_page_plans(db, p);
    check_inbox(db, p);
    unlink(db_path);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
