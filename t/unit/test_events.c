/*
 * test_events.c - the host application's events on a real SQLite
 * database through apr_dbd (no httpd): written with the change they
 * report and only when SMSEventURL is set, claimed one per subject in id
 * order under a lease, delivered, retried, given back; the SMSLowBalance
 * claim shared by every child; the SMS-Signature and the JSON body.
 *
 * The database is a fresh file with sql/sqlite/NNN_*.sql applied by the
 * sqlite3 shell; skipped when that shell is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <jansson.h>

#include "sms_events.h"
#include "sms_hostevent.h"
#include "tap.h"

static const char *sql_dir;
static char db_path[256];

/* A new database file with every migration applied, in order. */
static int make_database(apr_pool_t *p)
{
    snprintf(db_path, sizeof(db_path), "/tmp/sms-test-events-%ld.db",
             (long)getpid());
    unlink(db_path);
    return system(
               apr_psprintf(p,
                            "for f in '%s'/sqlite/[0-9][0-9][0-9]_*.sql; do "
                            "sqlite3 '%s' < \"$f\" >/dev/null || exit 1; done",
                            sql_dir, db_path)) == 0;
}

static sms_db_t *open_db(apr_pool_t *p)
{
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    sms_db_t *db = apr_pcalloc(p, sizeof(*db));
    const char *why = NULL;

    if (apr_dbd_get_driver(p, "sqlite3", &driver) != APR_SUCCESS ||
        apr_dbd_open(driver, p, db_path, &handle) != APR_SUCCESS) {
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

/* A message moved to "sending", ready for a final transition. */
static apr_int64_t sending_message(sms_db_t *db, const char *to,
                                   const char *patient, apr_pool_t *p)
{
    sms_message_t m;
    apr_int64_t id = 0;

    memset(&m, 0, sizeof(m));
    m.to = to;
    m.patient_id = patient;
    m.body = "hello";
    m.encoding = "GSM-7";
    m.segments = 1;
    m.max_parts = 5;
    m.status = "sending";
    m.sent_by = "unit";
    m.created_at = m.next_attempt_at = apr_time_now();
    sms_store_insert_message(&id, db, &m, p);
    return id;
}

static int pending(sms_db_t *db, apr_pool_t *p)
{
    sms_store_figures_t f;

    return sms_store_figures(&f, db, apr_time_now(), p) == APR_SUCCESS
               ? (int)f.events_pending
               : -1;
}

static sms_transition_t final_move(apr_int64_t id, const char *to)
{
    sms_transition_t t;

    memset(&t, 0, sizeof(t));
    t.id = id;
    t.from = "sending";
    t.to = to;
    t.now = apr_time_now();
    t.detail = "unit";
    return t;
}

/* Events are written with the change, and only with SMSEventURL set. */
static void check_written(sms_db_t *db, apr_pool_t *p)
{
    apr_int64_t a = sending_message(db, "61412000001", "17", p);
    apr_int64_t b = sending_message(db, "61412000002", NULL, p);
    apr_int64_t c = sending_message(db, "61412000003", NULL, p);
    sms_transition_t t = final_move(a, "delivered"), many[2];
    apr_array_header_t *patients = apr_array_make(p, 2, sizeof(char *));
    int changed = 0, ch[2];

    db->hostevents = 0;
    sms_store_transition(&changed, db, &t, p);
    tap_ok(changed && pending(db, p) == 0, "no_events_without_SMSEventURL");
    db->hostevents = 1;
    t = final_move(b, "sent"); /* not final */
    sms_store_transition(&changed, db, &t, p);
    tap_is_int(pending(db, p), 0, "a_move_to_sent_is_no_event");
    t.from = "sent";
    t.to = "failed";
    t.error = "unit: refused";
    sms_store_transition(&changed, db, &t, p);
    tap_is_int(pending(db, p), 1, "a_final_move_writes_message_final");
    many[0] = final_move(c, "expired");
    many[1] = final_move(a, "failed"); /* a is final already: no move */
    sms_store_transitions(ch, db, many, 2, p);
    tap_ok(ch[0] && !ch[1] && pending(db, p) == 2,
           "many_moves_write_one_event_per_final_move");
    APR_ARRAY_PUSH(patients, const char *) = "17";
    APR_ARRAY_PUSH(patients, const char *) = "20";
    tap_is_int(sms_store_hostevent_inbound(db, 5, "61412000003", c, patients,
                                           "confirm", NULL, apr_time_now(), p),
               APR_SUCCESS, "inbound_event");
    sms_store_hostevent_optout(db, "61412000009", 1, "inbound", NULL,
                               apr_time_now(), p);
    sms_store_hostevent_optout(db, "61412000009", 0, "user", "alice",
                               apr_time_now(), p);
    tap_is_int(pending(db, p), 5, "inbound_and_optout_events_pending");
}

/* Claims: the oldest undelivered event of each subject only, under a
 * lease; the next one of a subject only once the earlier is delivered. */
static void check_claims(sms_db_t *db, apr_pool_t *p)
{
    apr_time_t now = apr_time_now(), lease = now + apr_time_from_sec(60);
    apr_array_header_t *evs;
    const sms_hostevent_t *e;
    int n = -1, i, seen_c = 0;

    sms_store_hostevent_claim(&n, db, "a", now, lease, 100, p);
    /* subjects: message b, message c (final, then the reply), number */
    tap_is_int(n, 3, "one_claim_per_subject");
    sms_store_hostevent_claimed(&evs, db, "a", p);
    for (i = 0; i < evs->nelts; i++) {
        e = &APR_ARRAY_IDX(evs, i, sms_hostevent_t);
        seen_c +=
            !strcmp(e->type, "inbound.received") ||
            (!strcmp(e->type, "optout.changed") && strstr(e->data, "user"));
    }
    tap_is_int(seen_c, 0, "later_events_of_a_subject_wait");
    sms_store_hostevent_claim(&n, db, "b", now, lease, 100, p);
    tap_is_int(n, 0, "leased_events_are_not_claimed_twice");
    for (i = 0; i < evs->nelts; i++) {
        e = &APR_ARRAY_IDX(evs, i, sms_hostevent_t);
        if (!strcmp(e->type, "message.final") && e->number &&
            !strcmp(e->number, "61412000003")) {
            sms_store_hostevent_done(db, e->id, "a", now, p);
        }
        else if (!strcmp(e->type, "optout.changed")) {
            sms_store_hostevent_retry(db, e->id, "a",
                                      now + apr_time_from_sec(30), "unit", p);
        }
    }
    sms_store_hostevent_release(&n, db, "a", p);
    tap_is_int(n, 1, "release_gives_back_the_untried");
    sms_store_hostevent_claim(&n, db, "b", now, lease, 100, p);
    sms_store_hostevent_claimed(&evs, db, "b", p);
    tap_is_int(n, 2, "after_delivery_the_next_of_the_subject");
    for (i = 0, seen_c = 0; i < evs->nelts; i++) {
        e = &APR_ARRAY_IDX(evs, i, sms_hostevent_t);
        seen_c += !strcmp(e->type, "inbound.received");
    }
    tap_is_int(seen_c, 1, "the_reply_follows_its_message");
    sms_store_hostevent_release(&n, db, "b", p);
    sms_store_hostevent_claim(&n, db, "c", now + apr_time_from_sec(31), lease,
                              100, p);
    sms_store_hostevent_claimed(&evs, db, "c", p);
    for (i = 0, seen_c = 0; i < evs->nelts; i++) {
        e = &APR_ARRAY_IDX(evs, i, sms_hostevent_t);
        seen_c += !strcmp(e->type, "optout.changed") && e->attempts == 1 &&
                  strstr(e->data, "inbound");
    }
    tap_is_int(seen_c, 1, "a_failed_event_comes_back_after_its_backoff");
    sms_store_hostevent_release(&n, db, "c", p);
}

static apr_status_t write_optout_event(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    (void)ctx;
    return sms_store_hostevent_optout(db, "61412000010", 1, "user", "unit",
                                      apr_time_now(), p);
}

/* A write (group commit) runs with its writer's choice of events, on
 * whichever connection runs it, and leaves that connection's own. */
static void check_write_carries_the_choice(sms_db_t *db, apr_pool_t *p)
{
    int before = pending(db, p);

    db->hostevents = 0;
    sms_store_write(db, write_optout_event, NULL, p);
    tap_is_int(pending(db, p), before, "a_write_without_SMSEventURL_no_event");
    db->hostevents = 1;
    sms_store_write(db, write_optout_event, NULL, p);
    tap_ok(pending(db, p) == before + 1 && db->hostevents == 1,
           "a_write_with_SMSEventURL_writes_its_event");
}

static void check_balance_claim(sms_db_t *db, apr_pool_t *p)
{
    apr_time_t now = apr_time_now();
    apr_interval_time_t every = apr_time_from_sec(300);
    int won = -1;

    sms_store_balance_claim(&won, db, now, every, p);
    tap_is_int(won, 1, "first_balance_check_wins");
    sms_store_balance_claim(&won, db, now + apr_time_from_sec(10), every, p);
    tap_is_int(won, 0, "no_second_check_within_the_interval");
    sms_store_balance_claim(&won, db, now + every, every, p);
    tap_is_int(won, 1, "a_check_once_the_interval_passed");
}

static void check_signature_and_body(apr_pool_t *p)
{
    sms_hostevent_t e;
    json_t *j;

    tap_is_str(sms_events_signature((const unsigned char *)"events-secret-"
                                                           "0123456789",
                                    24, 1796000000, "{\"a\":1}", p),
               "t=1796000000,v1=5bb77eb64ee25b15df5c74392c1c7656745e24d24d5fa28"
               "e8af061c1d105261e",
               "signature_is_hmac_sha256_of_t_dot_body");
    memset(&e, 0, sizeof(e));
    e.id = 12;
    e.type = "message.final";
    e.message_id = 42;
    e.patient_id = "17";
    e.status = "delivered";
    e.number = "61412345678";
    e.created_at = apr_time_from_sec(1796000000);
    j = json_loads(sms_events_body(&e, p), 0, NULL);
    tap_ok(j &&
               !strcmp(json_string_value(json_object_get(j, "id")),
                       "evt_12_1796000000000000") &&
               !strcmp(json_string_value(json_object_get(j, "created_at")),
                       "2026-11-30T00:53:20Z") &&
               json_integer_value(json_object_get(json_object_get(j, "data"),
                                                  "message_id")) == 42 &&
               json_is_null(
                   json_object_get(json_object_get(j, "data"), "batch_id")),
           "message_final_body");
    json_decref(j);
    e.type = "inbound.received";
    e.data = "{\"inbound_id\":5,\"intent\":\"confirm\"}";
    j = json_loads(sms_events_body(&e, p), 0, NULL);
    tap_ok(j &&
               json_integer_value(json_object_get(json_object_get(j, "data"),
                                                  "reply_to")) == 42 &&
               !strcmp(json_string_value(
                           json_object_get(json_object_get(j, "data"), "from")),
                       "61412345678"),
           "inbound_body_has_from_and_reply_to");
    json_decref(j);
}

int main(void)
{
    apr_pool_t *p;
    const char *data = getenv("SMS_TEST_DATA");
    sms_db_t *db;

    apr_initialize();
    apr_pool_create(&p, NULL);
    apr_dbd_init(p);
    check_signature_and_body(p);
    sql_dir = apr_psprintf(p, "%s/../../sql", data ? data : "t/data");
    if (system("command -v sqlite3 >/dev/null 2>&1") != 0) {
        tap_diag("the sqlite3 shell is needed for the store checks");
        return tap_done();
    }
    if (!make_database(p) || !(db = open_db(p))) {
        tap_ok(0, "a fresh SQLite database with the schema");
        return tap_done();
    }
    sms_store_child_init(p);
    check_written(db, p);
    check_claims(db, p);
    check_balance_claim(db, p);
    check_write_carries_the_choice(db, p);
    unlink(db_path);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
