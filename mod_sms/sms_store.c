/*
 * sms_store.c - every SQL statement of mod_sms.
 *
 * Statements are written once, in the portable subset both sqlite3 and
 * pgsql accept, with apr_dbd's %s/%d markers. They are prepared per
 * connection (not through ap_dbd_prepare) so that a database without our
 * schema still yields a working connection: mod_dbd would otherwise fail
 * to construct it and the module could only say "database down".
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "sms_store.h"

/* The label whose presence marks a connection as ready (prepared last). */
#define SMS_READY_LABEL "sms_ready"

typedef struct {
    const char *label;
    const char *sql;        /* both drivers, unless pgsql says otherwise */
    const char *pgsql;      /* PostgreSQL's own text, or NULL */
} sms_statement_t;

/* Columns of sms_message in the order read_message() expects. */
#define MSG_COLS "id, to_number, patient_id, phone_label, sender_id, body," \
    " encoding, segments, max_parts, status, error, external_id, batch_id," \
    " template_id, sent_by, created_at, send_at, sent_at, delivered_at," \
    " next_attempt_at, attempts, provider_ref"
#define MSG_NCOLS 22

/* Numbers travel as text parameters; CAST states their type for pgsql,
 * which cannot infer it for "x IS NULL" alone. */
#define BIG(n) "CAST(%s AS BIGINT)"
#define INT(n) "CAST(%s AS INTEGER)"
#define ANY(col, cmp, val) "(CAST(%s AS TEXT) IS NULL OR " col " " cmp " " val ")"

/* A new sms_message row: the columns and one row of markers
 * (insert_args() gives the values in this order). */
#define MSG_INSERT \
    "INSERT INTO sms_message (to_number, patient_id, phone_label," \
    " sender_id, body, encoding, segments, max_parts, status, batch_id," \
    " template_id, sent_by, created_at, send_at, next_attempt_at," \
    " lease_owner, lease_until, attempts, provider_ref, updated_at)"
#define MSG_ROW \
    "(%s, %s, %s, %s, %s, %s, " INT() ", " INT() ", %s, " BIG() ", " \
    BIG() ", %s, " BIG() ", " BIG() ", " BIG() ", %s, " BIG() ", " INT() \
    ", %s, " BIG() ")"
#define MSG_ROW_ARGS 20

/* A bulk send stores its messages MANY_ROWS to a statement, and looks up
 * opt-outs for MANY_ROWS numbers at a time: one round trip instead of
 * one per recipient (what bounds a PostgreSQL bulk). */
#define MANY_ROWS 50
#define MANY_INSERT_LABEL "sms_msg_insert_many"
#define MANY_OPTOUT_LABEL "sms_optout_many"
#define MANY_TRANSITION_LABEL "sms_msg_transition_many"
#define MANY_EVENT_LABEL "sms_event_insert_many"

/* sms_msg_transition for many rows: the rows come as VALUES (columnN is
 * the Nth value of a row, in both drivers); a row of NULLs matches no
 * message, which pads the last chunk. */
#define TRANSITION_ARGS 13
#define TRANSITION_MANY_HEAD \
    "UPDATE sms_message SET status = v.column1," \
    " external_id = COALESCE(v.column2, external_id), error = v.column3," \
    " provider_ref = COALESCE(v.column4, provider_ref)," \
    " sent_at = COALESCE(CAST(v.column5 AS BIGINT), sent_at)," \
    " delivered_at = COALESCE(CAST(v.column6 AS BIGINT), delivered_at)," \
    " next_attempt_at = CAST(v.column7 AS BIGINT)," \
    " attempts = attempts + CAST(v.column8 AS INTEGER)," \
    " lease_owner = v.column9, lease_until = CAST(v.column10 AS BIGINT)," \
    " updated_at = CAST(v.column11 AS BIGINT) FROM (VALUES "
#define TRANSITION_MANY_ROW "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
#define TRANSITION_MANY_TAIL \
    ") AS v WHERE sms_message.id = CAST(v.column12 AS BIGINT)" \
    " AND sms_message.status = v.column13 RETURNING id"
#define EVENT_ARGS 4
#define EVENT_MANY_HEAD \
    "INSERT INTO sms_event (message_id, status, detail, created_at)" \
    " SELECT CAST(v.column1 AS BIGINT), v.column2, v.column3," \
    " CAST(v.column4 AS BIGINT) FROM (VALUES "
#define EVENT_MANY_ROW "(%s, %s, %s, %s)"
#define EVENT_MANY_TAIL ") AS v WHERE v.column1 IS NOT NULL"

#define CLAIM_PICK \
    "SELECT id FROM sms_message WHERE status IN ('queued', 'scheduled')" \
    " AND next_attempt_at <= " BIG() \
    " AND (lease_until IS NULL OR lease_until < " BIG() ")" \
    " ORDER BY next_attempt_at, id LIMIT " INT()

static const sms_statement_t statements[] = {
    {"sms_queue_depth",
     "SELECT count(*) FROM sms_message"
     " WHERE status IN ('queued', 'scheduled', 'sending')", NULL},
    {"sms_msg_insert", MSG_INSERT " VALUES " MSG_ROW " RETURNING id", NULL},
    {"sms_msg_get", "SELECT " MSG_COLS " FROM sms_message WHERE id = " BIG(),
     NULL},
    {"sms_event_insert",
     "INSERT INTO sms_event (message_id, status, detail, created_at)"
     " VALUES (" BIG() ", %s, %s, " BIG() ")", NULL},
    {"sms_event_list",
     "SELECT status, detail, created_at FROM sms_event"
     " WHERE message_id = " BIG() " ORDER BY id", NULL},
    {"sms_msg_list",
     "SELECT " MSG_COLS " FROM sms_message WHERE "
     ANY("status", "=", "%s") " AND " ANY("patient_id", "=", "%s")
     " AND " ANY("to_number", "=", "%s")
     " AND " ANY("batch_id", "=", BIG())
     " AND " ANY("created_at", ">=", BIG())
     " AND " ANY("created_at", "<", BIG())
     " AND " ANY("id", "<", BIG())
     " ORDER BY id DESC LIMIT " INT(), NULL},
    {"sms_msg_transition",
     "UPDATE sms_message SET status = %s,"
     " external_id = COALESCE(%s, external_id), error = %s,"
     " provider_ref = COALESCE(%s, provider_ref),"
     " sent_at = COALESCE(" BIG() ", sent_at),"
     " delivered_at = COALESCE(" BIG() ", delivered_at),"
     " next_attempt_at = " BIG() ", attempts = attempts + " INT() ","
     " lease_owner = %s, lease_until = " BIG() ", updated_at = " BIG()
     " WHERE id = " BIG() " AND status = %s", NULL},
    {"sms_claim",
     "UPDATE sms_message SET lease_owner = %s, lease_until = " BIG()
     " WHERE id IN (" CLAIM_PICK ")",
     "UPDATE sms_message SET lease_owner = %s, lease_until = " BIG()
     " WHERE id IN (" CLAIM_PICK " FOR UPDATE SKIP LOCKED)"},
    {"sms_release",
     "UPDATE sms_message SET lease_owner = NULL, lease_until = NULL"
     " WHERE lease_owner = %s AND status IN ('queued', 'scheduled')", NULL},
    {"sms_claimed",
     "SELECT " MSG_COLS " FROM sms_message WHERE lease_owner = %s"
     " AND status IN ('queued', 'scheduled')"
     " ORDER BY sender_id, max_parts, body, id", NULL},
    {"sms_stale_sending",
     "SELECT " MSG_COLS " FROM sms_message WHERE status = 'sending'"
     " AND lease_until < " BIG(), NULL},
    {"sms_batch_insert",
     "INSERT INTO sms_batch (created_by, created_at, recipients, segments)"
     " VALUES (%s, " BIG() ", " INT() ", " INT() ") RETURNING id", NULL},
    {"sms_batch_get",
     "SELECT created_at, created_by FROM sms_batch WHERE id = " BIG(), NULL},
    {"sms_batch_counts",
     "SELECT status, count(*) FROM sms_message WHERE batch_id = " BIG()
     " GROUP BY status", NULL},
    {"sms_tpl_by_name", "SELECT id FROM sms_template WHERE name = %s", NULL},
    {"sms_tpl_insert",
     "INSERT INTO sms_template (name, body, created_by, created_at,"
     " updated_at) VALUES (%s, %s, %s, " BIG() ", " BIG() ") RETURNING id",
     NULL},
    {"sms_tpl_get",
     "SELECT id, name, body, created_by, created_at, updated_at"
     " FROM sms_template WHERE id = " BIG(), NULL},
    {"sms_tpl_list",
     "SELECT id, name, body, created_by, created_at, updated_at"
     " FROM sms_template ORDER BY name", NULL},
    {"sms_tpl_update",
     "UPDATE sms_template SET name = %s, body = %s, updated_at = " BIG()
     " WHERE id = " BIG(), NULL},
    {"sms_tpl_delete", "DELETE FROM sms_template WHERE id = " BIG(), NULL},
    {"sms_idem_get",
     "SELECT request_hash, status, response FROM sms_idempotency"
     " WHERE username = %s AND idem_key = %s AND created_at >= " BIG(), NULL},
    {"sms_idem_expire",
     "DELETE FROM sms_idempotency WHERE username = %s AND idem_key = %s"
     " AND created_at < " BIG(), NULL},
    {"sms_idem_insert",
     "INSERT INTO sms_idempotency (username, idem_key, request_hash,"
     " created_at) VALUES (%s, %s, %s, " BIG() ")", NULL},
    {"sms_idem_delete",
     "DELETE FROM sms_idempotency WHERE username = %s AND idem_key = %s",
     NULL},
    {"sms_idem_finish",
     "UPDATE sms_idempotency SET status = " INT() ", response = %s"
     " WHERE username = %s AND idem_key = %s", NULL},
    {"sms_state_get",
     "SELECT value, updated_at FROM sms_state WHERE name = %s", NULL},
    {"sms_state_update",
     "UPDATE sms_state SET value = %s, updated_at = " BIG()
     " WHERE name = %s", NULL},
    {"sms_state_insert",
     "INSERT INTO sms_state (name, value, updated_at)"
     " VALUES (%s, %s, " BIG() ")", NULL},
    {"sms_by_smsref",
     "SELECT " MSG_COLS " FROM sms_message WHERE external_id = %s"
     " ORDER BY id DESC LIMIT 1", NULL},
    {"sms_by_ref",
     "SELECT " MSG_COLS " FROM sms_message WHERE to_number = %s"
     " AND (id = " BIG() " OR provider_ref = %s) ORDER BY id DESC LIMIT 1",
     NULL},
    {"sms_dlr_seen", "SELECT id FROM sms_dlr WHERE dedup_key = %s", NULL},
    {"sms_dlr_insert",
     "INSERT INTO sms_dlr (message_id, smsref, ref, to_number, status,"
     " received_at, dedup_key) VALUES (" BIG() ", %s, %s, %s, %s, " BIG()
     ", %s)", NULL},
    {"sms_inbound_seen",
     "SELECT id FROM sms_inbound WHERE dedup_key = %s"
     " AND dedup_bucket IN (" BIG() ", " BIG() ")", NULL},
    {"sms_inbound_insert",
     "INSERT INTO sms_inbound (from_number, to_number, body, ref,"
     " message_id, keyword, received_at, dedup_key, dedup_bucket)"
     " VALUES (%s, %s, %s, %s, " BIG() ", %s, " BIG() ", %s, " BIG() ")"
     " RETURNING id", NULL},
    {"sms_inbound_link",
     "INSERT INTO sms_inbound_patient (inbound_id, patient_id)"
     " VALUES (" BIG() ", %s)", NULL},
    {"sms_optout_check", "SELECT number FROM sms_optout WHERE number = %s",
     NULL},
    {"sms_optout_add",
     "INSERT INTO sms_optout (number, source, created_by, created_at)"
     " VALUES (%s, %s, %s, " BIG() ")", NULL},
    {"sms_optout_remove", "DELETE FROM sms_optout WHERE number = %s", NULL},
    {"sms_optout_list",
     "SELECT number, source, created_by, created_at FROM sms_optout"
     " WHERE number > %s ORDER BY number LIMIT " INT(), NULL},
    {"sms_optout_pending",
     "SELECT " MSG_COLS " FROM sms_message WHERE status IN ('queued',"
     " 'scheduled') AND to_number IN (SELECT number FROM sms_optout)",
     NULL},
    {"sms_thread_version",
     "SELECT (SELECT max(updated_at) FROM sms_message WHERE patient_id = %s),"
     " (SELECT max(inbound_id) FROM sms_inbound_patient"
     " WHERE patient_id = %s)", NULL},
    {"sms_thread_out",
     "SELECT " MSG_COLS " FROM sms_message WHERE patient_id = %s"
     " AND updated_at > " BIG() " ORDER BY id", NULL},
    {"sms_thread_in",
     "SELECT i.id, i.from_number, i.body, i.message_id, i.received_at"
     " FROM sms_inbound_patient ip JOIN sms_inbound i ON i.id = ip.inbound_id"
     " WHERE ip.patient_id = %s AND ip.inbound_id > " BIG()
     " ORDER BY ip.inbound_id", NULL},
    {SMS_READY_LABEL, "SELECT 1", NULL}
};

/* The reference tables' patient queries; SMSPatient*Query replaces them. */
static struct {
    const char *label;
    const char *sql;
    int markers;
    const char *directive;
    int columns;
    const char *shape;
} patient_queries[] = {
    {"sms_patient",
     "SELECT id, first_name, last_name FROM sms_patient WHERE id = %s", 1,
     "SMSPatientQuery", 3, "(id, first_name, last_name)"},
    {"sms_patient_phones",
     "SELECT label, number, is_default FROM sms_patient_phone"
     " WHERE patient_id = %s ORDER BY is_default DESC, id", 1,
     "SMSPatientPhonesQuery", 3, "(label, number, is_default)"},
    /* digits equal, or a national number stored with its trunk 0 whose
     * rest ends the international one (0412... vs 61412...) */
    {"sms_patient_by_phone",
     "SELECT DISTINCT patient_id FROM sms_patient_phone WHERE digits = %s"
     " OR (digits LIKE '0%%' AND length(digits) > 6"
     " AND %s LIKE '%%' || substr(digits, 2))", 2,
     "SMSPatientByPhoneQuery", 1, "(patient_id)"},
};

static int count_markers(const char *sql)
{
    int n = 0;

    for (; (sql = strchr(sql, '%')) != NULL; sql += 2) {
        n += sql[1] == 's';
    }
    return n;
}

void sms_store_patient_queries(const char *patient, const char *phones,
                               const char *by_phone)
{
    const char *given[] = {patient, phones, by_phone};
    int i;

    for (i = 0; i < 3; i++) {
        if (given[i]) {
            patient_queries[i].sql = given[i];
            patient_queries[i].markers = count_markers(given[i]);
        }
    }
}

/* Column i of a row, NULL for SQL NULL (pgsql's get_entry answers "" for
 * NULL; the datum call tells them apart in both drivers). */
static const char *col(sms_db_t *db, apr_dbd_row_t *row, int i)
{
    char *v = NULL;

    if (apr_dbd_datum_get(db->driver, row, i, APR_DBD_TYPE_STRING, &v)
        == APR_ENOENT) {
        return NULL;
    }
    return apr_dbd_get_entry(db->driver, row, i);
}

static apr_dbd_prepared_t *stmt(sms_db_t *db, const char *label)
{
    return apr_hash_get(db->prepared, label, APR_HASH_KEY_STRING);
}

/* Run a one-row, one-column integer query; drains the result. */
static apr_status_t select_int(long *out, sms_db_t *db, const char *label,
                               apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc, got = 0;

    rc = apr_dbd_pvselect(db->driver, p, db->handle, &res, stmt(db, label),
                          0, NULL);
    if (rc) {
        sms_log(SMS_LOG_ERR, APR_EGENERAL, p, "store: %s failed: %s", label,
                apr_dbd_error(db->driver, db->handle, rc));
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *v = col(db, row, 0);
        if (!got && v) {
            *out = strtol(v, NULL, 10);
            got = 1;
        }
    }
    return got ? APR_SUCCESS : APR_ENOENT;
}

/* SQLite: apr-util's sqlite3 driver retries a statement that finds the
 * database locked by another process (a backup, the sqlite3 shell, the
 * other child) up to 16 times, each after a whole busy_timeout and a
 * 100 ms sleep, holding its process-wide mutex meanwhile: at the usual
 * busy_timeout of 5000 ms a held lock stalls every request of the child
 * for some 80 s, where it should answer 503 storage_unavailable. The
 * busy_timeout set by DBDInitSQL is split over those tries, so that it
 * bounds the whole wait again. PRAGMA takes no parameters: the values are
 * constant statements. */
#define SQLITE_DRIVER_TRIES 16
#define SQLITE_DRIVER_SLEEP_MS 100
static const struct {
    long ms;
    const char *sql;
} busy_steps[] = {
    {1000, "PRAGMA busy_timeout = 1000"}, {500, "PRAGMA busy_timeout = 500"},
    {300, "PRAGMA busy_timeout = 300"}, {200, "PRAGMA busy_timeout = 200"},
    {100, "PRAGMA busy_timeout = 100"}, {50, "PRAGMA busy_timeout = 50"},
    {20, "PRAGMA busy_timeout = 20"},
};

/* A statement needed once, before (or instead of) the labelled ones:
 * prepared without a label, then selected; non-zero is the driver's
 * error (a failed prepare included). */
static int select_once(apr_dbd_results_t **res, sms_db_t *db,
                       const char *sql, apr_pool_t *p)
{
    apr_dbd_prepared_t *st = NULL;
    int rc = apr_dbd_prepare(db->driver, p, db->handle, sql, NULL, &st);

    *res = NULL;
    return rc ? rc : apr_dbd_pvselect(db->driver, p, db->handle, res, st, 0,
                                      NULL);
}

static void sqlite_busy_split(sms_db_t *db, apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    long total = -1, each;
    apr_size_t i;

    if (select_once(&res, db, "PRAGMA busy_timeout", p)) {
        return;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *v = apr_dbd_get_entry(db->driver, row, 0);
        if (v && total < 0) {
            total = atol(v);
        }
    }
    if (total <= 0) {
        return;     /* no busy_timeout: SQLITE_BUSY at once, nothing to split */
    }
    each = total / SQLITE_DRIVER_TRIES - SQLITE_DRIVER_SLEEP_MS;
    for (i = 0; i < sizeof(busy_steps) / sizeof(*busy_steps) - 1; i++) {
        if (busy_steps[i].ms <= each) {
            break;
        }
    }
    if (busy_steps[i].ms >= total) {
        return;     /* already as short as it gets */
    }
    row = NULL;
    if (select_once(&res, db, busy_steps[i].sql, p) == 0) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        }
    }
}

/* Highest applied schema version, via a statement prepared only for this
 * check; a failed prepare means the sms_schema table does not exist. */
static apr_status_t schema_version(long *version, sms_db_t *db,
                                   apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    if (select_once(&res, db, "SELECT max(version) FROM sms_schema", p)) {
        return SMS_STORE_ENOSCHEMA;
    }
    *version = 0;
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *v = col(db, row, 0);
        if (v) {
            *version = strtol(v, NULL, 10);
        }
    }
    return APR_SUCCESS;
}

/* The statements with MANY_ROWS rows: a head, MANY_ROWS rows separated
 * by commas, a tail. */
static const struct {
    const char *label, *head, *row, *tail;
} many[] = {
    {MANY_INSERT_LABEL, MSG_INSERT " VALUES ", MSG_ROW, ""},
    {MANY_OPTOUT_LABEL, "SELECT number FROM sms_optout WHERE number IN (",
     "%s", ")"},
    {MANY_TRANSITION_LABEL, TRANSITION_MANY_HEAD, TRANSITION_MANY_ROW,
     TRANSITION_MANY_TAIL},
    {MANY_EVENT_LABEL, EVENT_MANY_HEAD, EVENT_MANY_ROW, EVENT_MANY_TAIL},
};

static const char *many_sql(apr_size_t which, apr_pool_t *p)
{
    apr_array_header_t *parts = apr_array_make(p, 2 * MANY_ROWS + 2,
                                               sizeof(const char *));
    int i;

    APR_ARRAY_PUSH(parts, const char *) = many[which].head;
    for (i = 0; i < MANY_ROWS; i++) {
        APR_ARRAY_PUSH(parts, const char *) = i ? ", " : "";
        APR_ARRAY_PUSH(parts, const char *) = many[which].row;
    }
    APR_ARRAY_PUSH(parts, const char *) = many[which].tail;
    return apr_array_pstrcat(p, parts, 0);
}

apr_status_t sms_store_ready(sms_db_t *db, const char **why, apr_pool_t *p)
{
    long version = 0;
    apr_size_t i;
    int pgsql;

    /* pgsql's sequential selects go through libpq's asynchronous calls,
     * which cost a delayed-ACK wait per statement on loopback; results
     * are small, so fetch them whole */
    db->random = !strcmp(apr_dbd_name(db->driver), "pgsql");
    db->serialize = !strcmp(apr_dbd_name(db->driver), "sqlite3");
    db->plain_tx = db->random;
    if (db->prepared && stmt(db, SMS_READY_LABEL)) {
        return APR_SUCCESS;
    }
    if (schema_version(&version, db, p) != APR_SUCCESS) {
        *why = "the mod_sms schema is missing (no sms_schema table): apply "
               "sql/<driver>/*.sql with sql/migrate.sh";
        return SMS_STORE_ENOSCHEMA;
    }
    if (version == 0) {     /* pgsql reports the missing table late */
        *why = "the mod_sms schema is missing (no sms_schema table): apply "
               "sql/<driver>/*.sql with sql/migrate.sh";
        return SMS_STORE_ENOSCHEMA;
    }
    if (version < SMS_SCHEMA_VERSION) {
        *why = apr_psprintf(p, "the mod_sms schema is at version %ld, this "
                            "build needs %d: run sql/migrate.sh", version,
                            SMS_SCHEMA_VERSION);
        return SMS_STORE_ENOSCHEMA;
    }
    if (!db->prepared) {
        db->prepared = apr_hash_make(db->pool);
    }
    if (db->serialize) {    /* once per connection: it is not ready yet */
        sqlite_busy_split(db, p);
    }
    pgsql = !strcmp(apr_dbd_name(db->driver), "pgsql");
    for (i = 0; i < sizeof(patient_queries) / sizeof(*patient_queries); i++) {
        apr_dbd_prepared_t *st = NULL;
        int rc = apr_dbd_prepare(db->driver, db->pool, db->handle,
                                 patient_queries[i].sql,
                                 patient_queries[i].label, &st);
        if (rc) {
            *why = apr_psprintf(p, "%s: cannot prepare the query: %s",
                                patient_queries[i].directive,
                                apr_dbd_error(db->driver, db->handle, rc));
            return APR_EGENERAL;
        }
        apr_hash_set(db->prepared, patient_queries[i].label,
                     APR_HASH_KEY_STRING, st);
    }
    for (i = 0; i < sizeof(many) / sizeof(*many); i++) {
        const char *label = many[i].label;
        apr_dbd_prepared_t *st = NULL;
        int rc = apr_dbd_prepare(db->driver, db->pool, db->handle,
                                 many_sql(i, p), label, &st);
        if (rc) {
            *why = apr_psprintf(p, "cannot prepare %s: %s", label,
                                apr_dbd_error(db->driver, db->handle, rc));
            return APR_EGENERAL;
        }
        apr_hash_set(db->prepared, label, APR_HASH_KEY_STRING, st);
    }
    for (i = 0; i < sizeof(statements) / sizeof(*statements); i++) {
        apr_dbd_prepared_t *st = NULL;
        const char *sql = pgsql && statements[i].pgsql ? statements[i].pgsql
                                                       : statements[i].sql;
        int rc = apr_dbd_prepare(db->driver, db->pool, db->handle, sql,
                                 statements[i].label, &st);
        if (rc) {
            *why = apr_psprintf(p, "cannot prepare %s: %s",
                                statements[i].label,
                                apr_dbd_error(db->driver, db->handle, rc));
            return APR_EGENERAL;
        }
        apr_hash_set(db->prepared, statements[i].label, APR_HASH_KEY_STRING,
                     st);
    }
    return APR_SUCCESS;
}

apr_status_t sms_store_queue_depth(int *depth, sms_db_t *db, apr_pool_t *p)
{
    long n = 0;
    apr_status_t rv = select_int(&n, db, "sms_queue_depth", p);

    *depth = (int)n;
    return rv;
}

/* ---- helpers --------------------------------------------------------- */

static const char *i64(apr_pool_t *p, apr_int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

/* A time or id parameter, NULL for 0 (SQL NULL). */
static const char *opt64(apr_pool_t *p, apr_int64_t v)
{
    return v ? i64(p, v) : NULL;
}

static apr_int64_t to64(const char *v)
{
    return v ? apr_atoi64(v) : 0;
}

static const char *dup_or_null(apr_pool_t *p, const char *v)
{
    return v ? apr_pstrdup(p, v) : NULL;
}

static apr_status_t db_error(sms_db_t *db, const char *label, int rc,
                             apr_pool_t *p)
{
    const char *msg = apr_dbd_error(db->driver, db->handle, rc);

    /* pgsql: mod_dbd's check resets a broken connection in place
     * (PQreset), and the new session has none of our statements: forget
     * them so that the next use of this connection prepares them again */
    if (msg && strstr(msg, "prepared statement") && strstr(msg, "does not exist")
        && db->prepared) {
        apr_hash_set(db->prepared, SMS_READY_LABEL, APR_HASH_KEY_STRING, NULL);
        sms_log(SMS_LOG_WARNING, APR_EGENERAL, p, "store: %s: the database "
                "connection was reset; statements will be prepared again",
                label);
        return APR_EGENERAL;
    }
    sms_log(db->quiet ? SMS_LOG_DEBUG : SMS_LOG_ERR, APR_EGENERAL, p,
            "store: %s failed: %s", label, msg);
    return APR_EGENERAL;
}

/* SQLite: one writer per process. apr-util's sqlite3 driver holds a
 * process-wide mutex while SQLite waits out busy_timeout, so a writer
 * waiting inside SQLite would stall the thread that holds the write lock
 * (and sleep 100 ms per SQLITE_BUSY): writers queue here instead, before
 * they reach the driver. Other processes still wait in busy_timeout. */
static apr_thread_mutex_t *write_mutex;

apr_status_t sms_store_child_init(apr_pool_t *pchild)
{
    return apr_thread_mutex_create(&write_mutex, APR_THREAD_MUTEX_DEFAULT,
                                   pchild);
}

/* Take the write lock for a statement outside a transaction; returns
 * whether it must be given back. */
static int write_lock(sms_db_t *db)
{
    if (!write_mutex || !db->serialize || db->trans) {
        return 0;
    }
    apr_thread_mutex_lock(write_mutex);
    return 1;
}

static void write_unlock(int locked)
{
    if (locked) {
        apr_thread_mutex_unlock(write_mutex);
    }
}

/* Run a prepared write with string arguments. */
static apr_status_t run(int *nrows, sms_db_t *db, const char *label,
                        apr_pool_t *p, int nargs, const char **args)
{
    int rows = 0, locked = write_lock(db);
    int rc = apr_dbd_pquery(db->driver, p, db->handle, &rows,
                            stmt(db, label), nargs, args);

    write_unlock(locked);

    if (rc) {
        return db_error(db, label, rc, p);
    }
    if (nrows) {
        *nrows = rows;
    }
    return APR_SUCCESS;
}

/* Run a prepared select with string arguments. */
static apr_status_t query(apr_dbd_results_t **res, sms_db_t *db,
                          const char *label, apr_pool_t *p, int nargs,
                          const char **args)
{
    int rc;

    *res = NULL;
    rc = apr_dbd_pselect(db->driver, p, db->handle, res, stmt(db, label),
                         db->random, nargs, args);
    return rc ? db_error(db, label, rc, p) : APR_SUCCESS;
}

#define ARGS(...) (sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), \
                  (const char *[]){__VA_ARGS__}

/* The one id an INSERT ... RETURNING id answers; drains the result. */
static apr_status_t returning_id(apr_int64_t *id, sms_db_t *db,
                                 const char *label, apr_pool_t *p, int nargs,
                                 const char **args)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int locked = write_lock(db);
    apr_status_t rv = query(&res, db, label, p, nargs, args);

    *id = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            if (!*id) {
                *id = to64(col(db, row, 0));
            }
        }
    }
    write_unlock(locked);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return *id ? APR_SUCCESS : APR_EGENERAL;
}

/* pgsql: apr-util's pgsql driver (1.6) dereferences a NULL transaction
 * when BEGIN gets an error answer, which is what a connection whose server
 * went away since its last use gets ("terminating connection due to
 * administrator command"): the child dies of SIGSEGV. There BEGIN, COMMIT
 * and ROLLBACK are plain statements; a failed statement inside aborts the
 * transaction on the server, and we only COMMIT when none failed. They
 * are the only statements not prepared: apr-util prepares with SQL
 * PREPARE, which takes no transaction control ("PREPARE x AS BEGIN" is a
 * syntax error). */
static apr_status_t plain_tx(sms_db_t *db, const char *sql, apr_pool_t *p)
{
    int rows = 0;
    int rc = apr_dbd_query(db->driver, db->handle, &rows, sql);

    return rc ? db_error(db, sql, rc, p) : APR_SUCCESS;
}

apr_status_t sms_store_begin(sms_db_t *db, apr_pool_t *p)
{
    int locked = write_lock(db), rc;

    if (db->plain_tx) {
        apr_status_t rv = plain_tx(db, "BEGIN", p);
        if (rv != APR_SUCCESS) {
            write_unlock(locked);
            return rv;
        }
        db->in_plain_tx = 1;
        db->locked = locked;
        return APR_SUCCESS;
    }
    rc = apr_dbd_transaction_start(db->driver, p, db->handle, &db->trans);
    if (rc) {
        db->trans = NULL;
        write_unlock(locked);
        return db_error(db, "begin", rc, p);
    }
    db->locked = locked;
    return APR_SUCCESS;
}

apr_status_t sms_store_end(sms_db_t *db, int ok, apr_pool_t *p)
{
    int rc;

    if (db->in_plain_tx) {
        apr_status_t rv = plain_tx(db, ok ? "COMMIT" : "ROLLBACK", p);
        db->in_plain_tx = 0;
        write_unlock(db->locked);
        db->locked = 0;
        return rv;
    }
    if (!db->trans) {
        return APR_SUCCESS;
    }
    if (!ok) {
        apr_dbd_transaction_mode_set(db->driver, db->trans,
                                     APR_DBD_TRANSACTION_ROLLBACK);
    }
    rc = apr_dbd_transaction_end(db->driver, p, db->trans);
    db->trans = NULL;
    write_unlock(db->locked);
    db->locked = 0;
    return rc ? db_error(db, ok ? "commit" : "rollback", rc, p) : APR_SUCCESS;
}

/* ---- messages ------------------------------------------------------------ */

static sms_message_t *read_message(sms_db_t *db, apr_dbd_row_t *row,
                                   apr_pool_t *p)
{
    sms_message_t *m = apr_pcalloc(p, sizeof(*m));
    const char *v[MSG_NCOLS];
    int i;

    for (i = 0; i < MSG_NCOLS; i++) {
        v[i] = dup_or_null(p, col(db, row, i));
    }
    m->id = to64(v[0]);
    m->to = v[1];
    m->patient_id = v[2];
    m->phone_label = v[3];
    m->sender_id = v[4];
    m->body = v[5];
    m->encoding = v[6];
    m->segments = (int)to64(v[7]);
    m->max_parts = (int)to64(v[8]);
    m->status = v[9];
    m->error = v[10];
    m->external_id = v[11];
    m->batch_id = to64(v[12]);
    m->template_id = to64(v[13]);
    m->sent_by = v[14];
    m->created_at = to64(v[15]);
    m->send_at = to64(v[16]);
    m->sent_at = to64(v[17]);
    m->delivered_at = to64(v[18]);
    m->next_attempt_at = to64(v[19]);
    m->attempts = (int)to64(v[20]);
    m->provider_ref = v[21];
    return m;
}

/* Every row of a message select, as sms_message_t *. */
static apr_status_t read_messages(apr_array_header_t **out, sms_db_t *db,
                                  apr_dbd_results_t *res, apr_pool_t *p)
{
    apr_dbd_row_t *row = NULL;

    *out = apr_array_make(p, 16, sizeof(sms_message_t *));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        APR_ARRAY_PUSH(*out, sms_message_t *) = read_message(db, row, p);
    }
    return APR_SUCCESS;
}

/* The MSG_ROW_ARGS values of m's new row, into args. */
static void insert_args(const char **args, const sms_message_t *m,
                        apr_pool_t *p)
{
    const char *v[MSG_ROW_ARGS] = {
        m->to, m->patient_id, m->phone_label, m->sender_id, m->body,
        m->encoding, i64(p, m->segments), i64(p, m->max_parts), m->status,
        opt64(p, m->batch_id), opt64(p, m->template_id), m->sent_by,
        i64(p, m->created_at), opt64(p, m->send_at),
        opt64(p, m->next_attempt_at), m->lease_owner,
        opt64(p, m->lease_until), i64(p, m->attempts), m->provider_ref,
        i64(p, m->created_at)};

    memcpy(args, v, sizeof(v));
}

apr_status_t sms_store_insert_message(apr_int64_t *id, sms_db_t *db,
                                      const sms_message_t *m, apr_pool_t *p)
{
    const char *args[MSG_ROW_ARGS];

    insert_args(args, m, p);
    return returning_id(id, db, "sms_msg_insert", p, MSG_ROW_ARGS, args);
}

apr_status_t sms_store_insert_messages(sms_db_t *db,
                                       const apr_array_header_t *msgs,
                                       apr_pool_t *p)
{
    const char **args = apr_palloc(p, sizeof(*args) * MSG_ROW_ARGS
                                          * MANY_ROWS);
    apr_status_t rv = APR_SUCCESS;
    int i = 0, j;

    for (; rv == APR_SUCCESS && msgs->nelts - i >= MANY_ROWS;
         i += MANY_ROWS) {
        apr_pool_t *chunk;
        apr_pool_create(&chunk, p);
        for (j = 0; j < MANY_ROWS; j++) {
            insert_args(args + j * MSG_ROW_ARGS,
                        APR_ARRAY_IDX(msgs, i + j, sms_message_t *), chunk);
        }
        rv = run(NULL, db, MANY_INSERT_LABEL, chunk,
                 MSG_ROW_ARGS * MANY_ROWS, args);
        apr_pool_destroy(chunk);
    }
    for (; rv == APR_SUCCESS && i < msgs->nelts; i++) {
        sms_message_t *m = APR_ARRAY_IDX(msgs, i, sms_message_t *);
        rv = sms_store_insert_message(&m->id, db, m, p);
    }
    return rv;
}

/* one_message() is defined with the callback statements below */
static apr_status_t one_message(sms_message_t **m, sms_db_t *db,
                                const char *label, apr_pool_t *p, int nargs,
                                const char **args);

apr_status_t sms_store_get_message(sms_message_t **m, sms_db_t *db,
                                   apr_int64_t id, apr_pool_t *p)
{
    return one_message(m, db, "sms_msg_get", p, ARGS(i64(p, id)));
}

apr_status_t sms_store_events(apr_array_header_t **events, sms_db_t *db,
                              apr_int64_t id, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = query(&res, db, "sms_event_list", p, ARGS(i64(p, id)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *events = apr_array_make(p, 4, sizeof(sms_event_t));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        sms_event_t *e = apr_array_push(*events);
        e->status = dup_or_null(p, col(db, row, 0));
        e->detail = dup_or_null(p, col(db, row, 1));
        e->at = to64(col(db, row, 2));
    }
    return APR_SUCCESS;
}

apr_status_t sms_store_list_messages(apr_array_header_t **msgs, sms_db_t *db,
                                     const sms_filter_t *f, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    const char *batch = opt64(p, f->batch_id), *since = opt64(p, f->since);
    const char *until = opt64(p, f->until), *before = opt64(p, f->before_id);
    apr_status_t rv;

    rv = query(&res, db, "sms_msg_list", p, ARGS(
        f->status, f->status, f->patient_id, f->patient_id, f->phone,
        f->phone, batch, batch, since, since, until, until, before, before,
        i64(p, f->limit)));
    return rv == APR_SUCCESS ? read_messages(msgs, db, res, p) : rv;
}

static apr_status_t insert_event(sms_db_t *db, apr_int64_t id,
                                 const char *status, const char *detail,
                                 apr_time_t at, apr_pool_t *p)
{
    return run(NULL, db, "sms_event_insert", p, ARGS(
        i64(p, id), status, detail, i64(p, at)));
}

apr_status_t sms_store_transition(int *changed, sms_db_t *db,
                                  const sms_transition_t *t, apr_pool_t *p)
{
    int rows = 0;
    apr_status_t rv = run(&rows, db, "sms_msg_transition", p, ARGS(
        t->to, t->external_id, t->error, t->provider_ref,
        opt64(p, t->sent_at), opt64(p, t->delivered_at),
        opt64(p, t->next_attempt_at), i64(p, t->attempts_add),
        t->lease_owner, opt64(p, t->lease_until), i64(p, t->now),
        i64(p, t->id), t->from));

    *changed = rows > 0;
    if (rv == APR_SUCCESS && rows > 0) {
        rv = insert_event(db, t->id, t->to, t->detail, t->now, p);
    }
    return rv;
}

apr_status_t sms_store_transitions(int *changed, sms_db_t *db,
                                   const sms_transition_t *ts, int n,
                                   apr_pool_t *p)
{
    const char *args[TRANSITION_ARGS * MANY_ROWS];
    apr_status_t rv = APR_SUCCESS;
    int i, j;

    for (i = 0; rv == APR_SUCCESS && i < n; i += MANY_ROWS) {
        int rows = n - i < MANY_ROWS ? n - i : MANY_ROWS, events = 0;
        apr_hash_t *done = apr_hash_make(p);
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;
        int locked;

        memset(args, 0, sizeof(args));  /* NULL rows pad the chunk */
        for (j = 0; j < rows; j++) {
            const sms_transition_t *t = &ts[i + j];
            const char **a = args + j * TRANSITION_ARGS;
            a[0] = t->to;
            a[1] = t->external_id;
            a[2] = t->error;
            a[3] = t->provider_ref;
            a[4] = opt64(p, t->sent_at);
            a[5] = opt64(p, t->delivered_at);
            a[6] = opt64(p, t->next_attempt_at);
            a[7] = i64(p, t->attempts_add);
            a[8] = t->lease_owner;
            a[9] = opt64(p, t->lease_until);
            a[10] = i64(p, t->now);
            a[11] = i64(p, t->id);
            a[12] = t->from;
        }
        locked = write_lock(db);
        rv = query(&res, db, MANY_TRANSITION_LABEL, p,
                   TRANSITION_ARGS * MANY_ROWS, args);
        while (rv == APR_SUCCESS
               && apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            const char *id = col(db, row, 0);
            if (id) {
                id = apr_pstrdup(p, id);
                apr_hash_set(done, id, APR_HASH_KEY_STRING, id);
            }
        }
        write_unlock(locked);
        /* the events of the rows that moved, in the same order */
        memset(args, 0, sizeof(args));
        for (j = 0; rv == APR_SUCCESS && j < rows; j++) {
            const sms_transition_t *t = &ts[i + j];
            const char *id = i64(p, t->id), **a;
            changed[i + j] = apr_hash_get(done, id, APR_HASH_KEY_STRING)
                             != NULL;
            if (!changed[i + j]) {
                continue;
            }
            a = args + events++ * EVENT_ARGS;
            a[0] = id;
            a[1] = t->to;
            a[2] = t->detail;
            a[3] = i64(p, t->now);
        }
        if (rv == APR_SUCCESS && events) {
            rv = run(NULL, db, MANY_EVENT_LABEL, p, EVENT_ARGS * MANY_ROWS,
                     args);
        }
    }
    return rv;
}

/* ---- the outbox ------------------------------------------------------------ */

apr_status_t sms_store_claim(int *n, sms_db_t *db, const char *owner,
                             apr_time_t now, apr_time_t lease_until,
                             int limit, apr_pool_t *p)
{
    return run(n, db, "sms_claim", p, ARGS(
        owner, i64(p, lease_until), i64(p, now), i64(p, now),
        i64(p, limit)));
}

apr_status_t sms_store_release(int *n, sms_db_t *db, const char *owner,
                               apr_pool_t *p)
{
    return run(n, db, "sms_release", p, ARGS(owner));
}

apr_status_t sms_store_claimed(apr_array_header_t **msgs, sms_db_t *db,
                               const char *owner, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = query(&res, db, "sms_claimed", p, ARGS(owner));

    return rv == APR_SUCCESS ? read_messages(msgs, db, res, p) : rv;
}

apr_status_t sms_store_stale_sending(apr_array_header_t **msgs,
                                     sms_db_t *db, apr_time_t now,
                                     apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = query(&res, db, "sms_stale_sending", p,
                            ARGS(i64(p, now)));

    return rv == APR_SUCCESS ? read_messages(msgs, db, res, p) : rv;
}

/* ---- batches --------------------------------------------------------------- */

apr_status_t sms_store_insert_batch(apr_int64_t *id, sms_db_t *db,
                                    const char *user, int recipients,
                                    int segments, apr_time_t now,
                                    apr_pool_t *p)
{
    return returning_id(id, db, "sms_batch_insert", p, ARGS(
        user, i64(p, now), i64(p, recipients), i64(p, segments)));
}

apr_status_t sms_store_batch_counts(apr_hash_t **counts, apr_time_t *created,
                                    const char **created_by, sms_db_t *db,
                                    apr_int64_t id, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int found = 0;
    apr_status_t rv = query(&res, db, "sms_batch_get", p, ARGS(i64(p, id)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        found = 1;
        *created = to64(col(db, row, 0));
        *created_by = dup_or_null(p, col(db, row, 1));
    }
    if (!found) {
        return APR_ENOENT;
    }
    rv = query(&res, db, "sms_batch_counts", p, ARGS(i64(p, id)));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    row = NULL;     /* pgsql keeps a row tied to the result it came from */
    *counts = apr_hash_make(p);
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        int *n = apr_palloc(p, sizeof(int));
        *n = (int)to64(col(db, row, 1));
        apr_hash_set(*counts,
                     apr_pstrdup(p, col(db, row, 0)),
                     APR_HASH_KEY_STRING, n);
    }
    return APR_SUCCESS;
}

/* ---- templates ------------------------------------------------------------ */

static apr_status_t read_templates(apr_array_header_t **out, sms_db_t *db,
                                   apr_dbd_results_t *res, apr_pool_t *p)
{
    apr_dbd_row_t *row = NULL;

    *out = apr_array_make(p, 8, sizeof(sms_template_row_t *));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        sms_template_row_t *t = apr_pcalloc(p, sizeof(*t));
        t->id = to64(col(db, row, 0));
        t->name = dup_or_null(p, col(db, row, 1));
        t->body = dup_or_null(p, col(db, row, 2));
        t->created_by = dup_or_null(p, col(db, row, 3));
        t->created_at = to64(col(db, row, 4));
        t->updated_at = to64(col(db, row, 5));
        APR_ARRAY_PUSH(*out, sms_template_row_t *) = t;
    }
    return APR_SUCCESS;
}

/* The id of the template called name, 0 when none. */
static apr_status_t template_by_name(apr_int64_t *id, sms_db_t *db,
                                     const char *name, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = query(&res, db, "sms_tpl_by_name", p, ARGS(name));

    *id = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            *id = to64(col(db, row, 0));
        }
    }
    return rv;
}

apr_status_t sms_store_template_insert(apr_int64_t *id, sms_db_t *db,
                                       const sms_template_row_t *t,
                                       apr_pool_t *p)
{
    apr_int64_t other;
    apr_status_t rv = template_by_name(&other, db, t->name, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (other) {
        return APR_EEXIST;
    }
    return returning_id(id, db, "sms_tpl_insert", p, ARGS(
        t->name, t->body, t->created_by, i64(p, t->created_at),
        i64(p, t->created_at)));
}

apr_status_t sms_store_template_get(sms_template_row_t **t, sms_db_t *db,
                                    apr_int64_t id, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_array_header_t *list;
    apr_status_t rv = query(&res, db, "sms_tpl_get", p, ARGS(i64(p, id)));

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
    apr_status_t rv = query(&res, db, "sms_tpl_list", p, 0, NULL);

    return rv == APR_SUCCESS ? read_templates(list, db, res, p) : rv;
}

apr_status_t sms_store_template_update(sms_db_t *db,
                                       const sms_template_row_t *t,
                                       apr_pool_t *p)
{
    apr_int64_t other;
    int rows = 0;
    apr_status_t rv = template_by_name(&other, db, t->name, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (other && other != t->id) {
        return APR_EEXIST;
    }
    rv = run(&rows, db, "sms_tpl_update", p, ARGS(
        t->name, t->body, i64(p, t->updated_at), i64(p, t->id)));
    return rv == APR_SUCCESS && !rows ? APR_ENOENT : rv;
}

apr_status_t sms_store_template_delete(sms_db_t *db, apr_int64_t id,
                                       apr_pool_t *p)
{
    int rows = 0;
    apr_status_t rv = run(&rows, db, "sms_tpl_delete", p, ARGS(i64(p, id)));

    return rv == APR_SUCCESS && !rows ? APR_ENOENT : rv;
}

/* ---- Idempotency-Key ------------------------------------------------------ */

apr_status_t sms_store_idem_get(const char **hash, int *status,
                                const char **response, sms_db_t *db,
                                const char *user, const char *key,
                                apr_time_t not_before, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int found = 0;
    apr_status_t rv = query(&res, db, "sms_idem_get", p, ARGS(
        user, key, i64(p, not_before)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        found = 1;
        *hash = dup_or_null(p, col(db, row, 0));
        *status = (int)to64(col(db, row, 1));
        *response = dup_or_null(p, col(db, row, 2));
    }
    return found ? APR_SUCCESS : APR_ENOENT;
}

apr_status_t sms_store_idem_start(sms_db_t *db, const char *user,
                                  const char *key, const char *hash,
                                  apr_time_t now, apr_time_t not_before,
                                  apr_pool_t *p)
{
    apr_status_t rv = run(NULL, db, "sms_idem_expire", p, ARGS(
        user, key, i64(p, not_before)));
    int rows = 0, rc, locked;

    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* a unique-key violation here means another request won the race */
    locked = write_lock(db);
    rc = apr_dbd_pquery(db->driver, p, db->handle, &rows,
                        stmt(db, "sms_idem_insert"), ARGS(
                            user, key, hash, i64(p, now)));
    write_unlock(locked);
    return rc ? APR_EEXIST : APR_SUCCESS;
}

apr_status_t sms_store_idem_delete(sms_db_t *db, const char *user,
                                   const char *key, apr_pool_t *p)
{
    return run(NULL, db, "sms_idem_delete", p, ARGS(user, key));
}

apr_status_t sms_store_idem_finish(sms_db_t *db, const char *user,
                                   const char *key, int status,
                                   const char *response, apr_pool_t *p)
{
    return run(NULL, db, "sms_idem_finish", p, ARGS(
        i64(p, status), response, user, key));
}

/* ---- shared state ------------------------------------------------------------ */

apr_status_t sms_store_state_get(const char **value, apr_time_t *at,
                                 sms_db_t *db, const char *name,
                                 apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = query(&res, db, "sms_state_get", p, ARGS(name));

    *value = NULL;
    *at = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            *value = dup_or_null(p, col(db, row, 0));
            *at = to64(col(db, row, 1));
        }
    }
    return rv;
}

apr_status_t sms_store_state_set(sms_db_t *db, const char *name,
                                 const char *value, apr_time_t now,
                                 apr_pool_t *p)
{
    int rows = 0;
    apr_status_t rv = run(&rows, db, "sms_state_update", p, ARGS(
        value, i64(p, now), name));

    if (rv == APR_SUCCESS && !rows) {
        rv = run(NULL, db, "sms_state_insert", p, ARGS(
            name, value, i64(p, now)));
    }
    return rv;
}

/* ---- provider callbacks ----------------------------------------------------- */

/* The first message of a select, or APR_ENOENT. */
static apr_status_t one_message(sms_message_t **m, sms_db_t *db,
                                const char *label, apr_pool_t *p, int nargs,
                                const char **args)
{
    apr_dbd_results_t *res;
    apr_array_header_t *list;
    apr_status_t rv = query(&res, db, label, p, nargs, args);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    read_messages(&list, db, res, p);
    if (!list->nelts) {
        return APR_ENOENT;
    }
    *m = APR_ARRAY_IDX(list, 0, sms_message_t *);
    return APR_SUCCESS;
}

apr_status_t sms_store_by_smsref(sms_message_t **m, sms_db_t *db,
                                 const char *smsref, apr_pool_t *p)
{
    return one_message(m, db, "sms_by_smsref", p, ARGS(smsref));
}

apr_status_t sms_store_by_ref(sms_message_t **m, sms_db_t *db,
                              const char *ref, const char *number,
                              apr_pool_t *p)
{
    const char *id = apr_isdigit(*ref) && strlen(ref) <= 18 ? ref : "0";

    return one_message(m, db, "sms_by_ref", p, ARGS(number, id, ref));
}

apr_status_t sms_store_add_event(sms_db_t *db, apr_int64_t id,
                                 const char *status, const char *detail,
                                 apr_time_t now, apr_pool_t *p)
{
    return insert_event(db, id, status, detail, now, p);
}

/* True when a select answers at least one row; drains it. */
static apr_status_t exists(int *found, sms_db_t *db, const char *label,
                           apr_pool_t *p, int nargs, const char **args)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = query(&res, db, label, p, nargs, args);

    *found = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            *found = 1;
        }
    }
    return rv;
}

apr_status_t sms_store_dlr_seen(int *seen, sms_db_t *db, const char *key,
                                apr_pool_t *p)
{
    return exists(seen, db, "sms_dlr_seen", p, ARGS(key));
}

apr_status_t sms_store_dlr_insert(sms_db_t *db, apr_int64_t message_id,
                                  const char *smsref, const char *ref,
                                  const char *to, const char *status,
                                  apr_time_t now, const char *key,
                                  apr_pool_t *p)
{
    int rows = 0;
    /* a failure here is the unique dedup key: the same report, racing */
    int locked = write_lock(db);
    int rc = apr_dbd_pquery(db->driver, p, db->handle, &rows,
                            stmt(db, "sms_dlr_insert"), ARGS(
                                opt64(p, message_id), smsref, ref, to,
                                status, i64(p, now), key));

    write_unlock(locked);
    return rc ? APR_EEXIST : APR_SUCCESS;
}

apr_status_t sms_store_inbound_seen(int *seen, sms_db_t *db, const char *key,
                                    apr_int64_t bucket, apr_pool_t *p)
{
    return exists(seen, db, "sms_inbound_seen", p, ARGS(
        key, i64(p, bucket), i64(p, bucket - 1)));
}

apr_status_t sms_store_inbound_insert(apr_int64_t *id, sms_db_t *db,
                                      const char *from, const char *to,
                                      const char *body, const char *ref,
                                      apr_int64_t message_id,
                                      const char *keyword, apr_time_t now,
                                      const char *key, apr_int64_t bucket,
                                      apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int locked = write_lock(db);
    int rc = apr_dbd_pselect(db->driver, p, db->handle, &res,
                             stmt(db, "sms_inbound_insert"), db->random, ARGS(
                                 from, to, body, ref, opt64(p, message_id),
                                 keyword, i64(p, now), key, i64(p, bucket)));

    *id = 0;
    if (!rc) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            if (!*id) {
                *id = to64(col(db, row, 0));
            }
        }
    }
    write_unlock(locked);
    if (rc) {
        return APR_EEXIST;      /* the (key, bucket) unique index */
    }
    return *id ? APR_SUCCESS : APR_EEXIST;
}

apr_status_t sms_store_inbound_link(sms_db_t *db, apr_int64_t inbound_id,
                                    const char *patient_id, apr_pool_t *p)
{
    return run(NULL, db, "sms_inbound_link", p, ARGS(i64(p, inbound_id),
                                                     patient_id));
}

/* ---- patients ------------------------------------------------------------------ */

apr_status_t sms_store_patients_by_phone(apr_array_header_t **ids,
                                         sms_db_t *db, const char *number,
                                         apr_pool_t *p)
{
    const char *args[8];
    int n = patient_queries[2].markers, i;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;

    for (i = 0; i < n && i < 8; i++) {
        args[i] = number;
    }
    rv = query(&res, db, "sms_patient_by_phone", p, i, args);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *ids = apr_array_make(p, 2, sizeof(char *));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *v = col(db, row, 0);
        if (v) {
            APR_ARRAY_PUSH(*ids, const char *) = apr_pstrdup(p, v);
        }
    }
    return APR_SUCCESS;
}

/* ---- opt-out ------------------------------------------------------------------- */

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

        for (j = 0; j < MANY_ROWS; j++) {   /* NULL matches nothing */
            args[j] = i + j < numbers->nelts
                      ? APR_ARRAY_IDX(numbers, i + j, const char *) : NULL;
        }
        rv = query(&res, db, MANY_OPTOUT_LABEL, p, MANY_ROWS, args);
        while (rv == APR_SUCCESS
               && apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            const char *n = col(db, row, 0);
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
    return exists(opted_out, db, "sms_optout_check", p, ARGS(number));
}

apr_status_t sms_store_optout_add(int *added, sms_db_t *db, const char *number,
                                  const char *source, const char *user,
                                  apr_time_t now, apr_pool_t *p)
{
    int found = 0;
    apr_status_t rv = sms_store_optout_check(&found, db, number, p);

    *added = 0;
    if (rv != APR_SUCCESS || found) {
        return rv;
    }
    rv = run(NULL, db, "sms_optout_add", p, ARGS(number, source, user,
                                                 i64(p, now)));
    *added = rv == APR_SUCCESS;
    return rv;
}

apr_status_t sms_store_optout_remove(int *removed, sms_db_t *db,
                                     const char *number, apr_pool_t *p)
{
    int rows = 0;
    apr_status_t rv = run(&rows, db, "sms_optout_remove", p, ARGS(number));

    *removed = rows > 0;
    return rv;
}

apr_status_t sms_store_optout_list(apr_array_header_t **list, sms_db_t *db,
                                   const char *after, int limit,
                                   apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = query(&res, db, "sms_optout_list", p, ARGS(
        after ? after : "", i64(p, limit)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *list = apr_array_make(p, 16, sizeof(sms_optout_t));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        sms_optout_t *o = apr_array_push(*list);
        o->number = dup_or_null(p, col(db, row, 0));
        o->source = dup_or_null(p, col(db, row, 1));
        o->created_by = dup_or_null(p, col(db, row, 2));
        o->created_at = to64(col(db, row, 3));
    }
    return APR_SUCCESS;
}

apr_status_t sms_store_optout_pending(apr_array_header_t **msgs, sms_db_t *db,
                                      apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = query(&res, db, "sms_optout_pending", p, 0, NULL);

    return rv == APR_SUCCESS ? read_messages(msgs, db, res, p) : rv;
}

/* ---- patients and conversations ---------------------------------------------- */

/* Run patient query i with the same value for each of its markers. */
static apr_status_t patient_query(apr_dbd_results_t **res, sms_db_t *db,
                                  int i, const char *value, int random,
                                  apr_pool_t *p)
{
    const char *args[8];
    int n, rc;

    for (n = 0; n < patient_queries[i].markers && n < 8; n++) {
        args[n] = value;
    }
    *res = NULL;
    rc = apr_dbd_pselect(db->driver, p, db->handle, res,
                         stmt(db, patient_queries[i].label), random, n, args);
    return rc ? db_error(db, patient_queries[i].label, rc, p) : APR_SUCCESS;
}

apr_status_t sms_store_patient(sms_patient_t **pt, sms_db_t *db,
                               const char *id, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = patient_query(&res, db, 0, id, 0, p);

    *pt = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        if (!*pt) {
            *pt = apr_pcalloc(p, sizeof(**pt));
            (*pt)->id = dup_or_null(p, col(db, row, 0));
            (*pt)->first_name = dup_or_null(p, col(db, row, 1));
            (*pt)->last_name = dup_or_null(p, col(db, row, 2));
        }
    }
    return *pt ? APR_SUCCESS : APR_ENOENT;
}

/* is_default as the host's tables may spell it: 1, t, true, yes. */
static int truthy(const char *v)
{
    return v && (*v == '1' || *v == 't' || *v == 'T' || *v == 'y'
                 || *v == 'Y');
}

apr_status_t sms_store_patient_phones(apr_array_header_t **phones,
                                      sms_db_t *db, const char *id,
                                      apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = patient_query(&res, db, 1, id, 0, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *phones = apr_array_make(p, 4, sizeof(sms_phone_row_t));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        sms_phone_row_t *ph = apr_array_push(*phones);
        ph->label = dup_or_null(p, col(db, row, 0));
        ph->number = dup_or_null(p, col(db, row, 1));
        ph->is_default = truthy(col(db, row, 2));
    }
    return APR_SUCCESS;
}

apr_status_t sms_store_check_patient_queries(const char **directive,
                                             const char **why, sms_db_t *db,
                                             apr_pool_t *p)
{
    int i;

    for (i = 0; i < (int)(sizeof(patient_queries) / sizeof(*patient_queries));
         i++) {
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        int cols;

        /* random access: pgsql knows the columns before any row */
        if (patient_query(&res, db, i, "", 1, p) != APR_SUCCESS) {
            *directive = patient_queries[i].directive;
            *why = apr_psprintf(p, "the query fails: %s",
                                apr_dbd_error(db->driver, db->handle, 1));
            return APR_EGENERAL;
        }
        cols = apr_dbd_num_cols(db->driver, res);
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0)
            ;
        (void)row;
        if (cols != patient_queries[i].columns) {
            *directive = patient_queries[i].directive;
            *why = apr_psprintf(p, "the query answers %d column(s); it must "
                                "answer %s", cols, patient_queries[i].shape);
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

apr_status_t sms_store_thread_version(apr_time_t *updated, apr_int64_t *inbound,
                                      sms_db_t *db, const char *patient_id,
                                      apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = query(&res, db, "sms_thread_version", p, ARGS(
        patient_id, patient_id));

    *updated = 0;
    *inbound = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            *updated = to64(col(db, row, 0));
            *inbound = to64(col(db, row, 1));
        }
    }
    return rv;
}

apr_status_t sms_store_thread_out(apr_array_header_t **msgs, sms_db_t *db,
                                  const char *patient_id, apr_time_t after,
                                  apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = query(&res, db, "sms_thread_out", p, ARGS(
        patient_id, i64(p, after)));

    return rv == APR_SUCCESS ? read_messages(msgs, db, res, p) : rv;
}

apr_status_t sms_store_thread_in(apr_array_header_t **ins, sms_db_t *db,
                                 const char *patient_id, apr_int64_t after,
                                 apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = query(&res, db, "sms_thread_in", p, ARGS(
        patient_id, i64(p, after)));

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *ins = apr_array_make(p, 8, sizeof(sms_inbound_t));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        sms_inbound_t *in = apr_array_push(*ins);
        in->id = to64(col(db, row, 0));
        in->from = dup_or_null(p, col(db, row, 1));
        in->body = dup_or_null(p, col(db, row, 2));
        in->message_id = to64(col(db, row, 3));
        in->received_at = to64(col(db, row, 4));
    }
    return APR_SUCCESS;
}
