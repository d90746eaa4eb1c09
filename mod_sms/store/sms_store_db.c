/*
 * sms_store_db.c - the store's connection handling: schema check,
 * statement preparation per pooled connection, the SQLite writer lock and
 * busy_timeout split, transactions, and the helpers every store file uses.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <apr_user.h>

#include "sms_phone.h"
#include "sms_store_private.h"

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
            sms_st_patient_queries[i].sql = given[i];
            sms_st_patient_queries[i].markers = count_markers(given[i]);
        }
    }
}

apr_status_t sms_store_access_query(const char *sql)
{
    const char *q =
        sql && !strcasecmp(sql, "reference") ? sms_st_access_reference : sql;

    if (q && count_markers(q) != 2) {
        return APR_EINVAL;
    }
    sms_st_patient_queries[SMS_ACCESS_QUERY].sql = q;
    return APR_SUCCESS;
}

int sms_store_access_enabled(void)
{
    return sms_st_patient_queries[SMS_ACCESS_QUERY].sql != NULL;
}

/* Column i of a row, NULL for SQL NULL (pgsql's get_entry answers "" for
 * NULL; the datum call tells them apart in both drivers). */
const char *sms_st_col(sms_db_t *db, apr_dbd_row_t *row, int i)
{
    char *v = NULL;

    if (apr_dbd_datum_get(db->driver, row, i, APR_DBD_TYPE_STRING, &v) ==
        APR_ENOENT) {
        return NULL;
    }
    return apr_dbd_get_entry(db->driver, row, i);
}

apr_dbd_prepared_t *sms_st_stmt(sms_db_t *db, const char *label)
{
    return apr_hash_get(db->prepared, label, APR_HASH_KEY_STRING);
}

/* Run a one-row, one-column integer query; drains the result. */
apr_status_t sms_st_select_int(long *out, sms_db_t *db, const char *label,
                               apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc, got = 0;

    rc = apr_dbd_pvselect(db->driver, p, db->handle, &res,
                          sms_st_stmt(db, label), 0, NULL);
    if (rc) {
        sms_log(SMS_LOG_ERR, APR_EGENERAL, p, "store: %s failed: %s", label,
                apr_dbd_error(db->driver, db->handle, rc));
        return APR_EGENERAL;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *v = sms_st_col(db, row, 0);
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
    {300, "PRAGMA busy_timeout = 300"},   {200, "PRAGMA busy_timeout = 200"},
    {100, "PRAGMA busy_timeout = 100"},   {50, "PRAGMA busy_timeout = 50"},
    {20, "PRAGMA busy_timeout = 20"},
};

/* A statement needed once, before (or instead of) the labelled ones:
 * prepared without a label, then selected; non-zero is the driver's
 * error (a failed prepare included). */
static int select_once(apr_dbd_results_t **res, sms_db_t *db, const char *sql,
                       apr_pool_t *p)
{
    apr_dbd_prepared_t *st = NULL;
    int rc = apr_dbd_prepare(db->driver, p, db->handle, sql, NULL, &st);

    *res = NULL;
    return rc ? rc
              : apr_dbd_pvselect(db->driver, p, db->handle, res, st, 0, NULL);
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
        return; /* no busy_timeout: SQLITE_BUSY at once, nothing to split */
    }
    each = total / SQLITE_DRIVER_TRIES - SQLITE_DRIVER_SLEEP_MS;
    for (i = 0; i < sizeof(busy_steps) / sizeof(*busy_steps) - 1; i++) {
        if (busy_steps[i].ms <= each) {
            break;
        }
    }
    if (busy_steps[i].ms >= total) {
        return; /* already as short as it gets */
    }
    row = NULL;
    if (select_once(&res, db, busy_steps[i].sql, p) == 0) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        }
    }
}

int sms_store_sqlite_multithread(void)
{
    return sqlite3_config(SQLITE_CONFIG_MULTITHREAD) == SQLITE_OK;
}

static apr_status_t close_held(void *data)
{
    sqlite3_close(data);
    return APR_SUCCESS;
}

void sms_store_sqlite_hold(const char *file, apr_pool_t *pchild)
{
    sqlite3 *db = NULL;
    int rc = SQLITE_BUSY, tries;

    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(db); /* absent or not ours: the module says so later */
        return;
    }
    /* a read opens the WAL index; while another child builds it, SQLite
     * answers SQLITE_BUSY at once, whatever the busy timeout: wait here,
     * up to five seconds, where nothing is refused */
    for (tries = 0; tries < 100 && rc == SQLITE_BUSY; tries++) {
        rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL,
                          NULL);
        if (rc == SQLITE_BUSY) {
            apr_sleep(apr_time_from_msec(50));
        }
    }
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    apr_pool_cleanup_register(pchild, db, close_held, apr_pool_cleanup_null);
}

/* "PATH, a directory owned by USER with mode 0755" when this process may
 * not use PATH as SQLite needs (NEED: access(2) bits), else NULL. */
static const char *denied(const char *path, int need, apr_pool_t *p)
{
    struct stat st;
    char *owner = NULL;

    if (access(path, need) == 0 || stat(path, &st) != 0) {
        return NULL;
    }
    if (apr_uid_name_get(&owner, st.st_uid, p) != APR_SUCCESS) {
        owner = apr_psprintf(p, "uid %ld", (long)st.st_uid);
    }
    return apr_psprintf(p, "%s, a %s owned by %s with mode %04o", path,
                        S_ISDIR(st.st_mode) ? "directory" : "file", owner,
                        (unsigned)(st.st_mode & 07777));
}

const char *sms_store_sqlite_denied(const char *file, apr_pool_t *p)
{
    const char *dir, *bad;
    char *user = NULL;
    apr_uid_t uid;
    apr_gid_t gid;

    dir = apr_pstrndup(
        p, file,
        (apr_size_t)(strrchr(file, '/') ? strrchr(file, '/') - file : 0));
    bad = denied(*dir ? dir : "/", W_OK | X_OK, p);
    bad = bad ? bad : denied(file, R_OK | W_OK, p);
    bad =
        bad ? bad : denied(apr_pstrcat(p, file, "-wal", NULL), R_OK | W_OK, p);
    bad =
        bad ? bad : denied(apr_pstrcat(p, file, "-shm", NULL), R_OK | W_OK, p);
    if (!bad) {
        return NULL;
    }
    if (apr_uid_current(&uid, &gid, p) != APR_SUCCESS ||
        apr_uid_name_get(&user, uid, p) != APR_SUCCESS) {
        user = "this process's user";
    }
    return apr_psprintf(p,
                        "cannot open the database (permission denied on "
                        "%s): httpd's children run as %s, and SQLite writes "
                        "the database and its -wal and -shm files in its "
                        "folder; run sql/migrate.sh as root, which gives "
                        "them to that user, or chown -R %s %s",
                        bad, user, user, *dir ? dir : "/");
}

/* Why the schema version could not be read, when it is not that the
 * sms_schema table is missing: for SQLite, the database file, its folder
 * (where SQLite makes its -wal and -shm files) or those files, when this
 * process's user may not write them; else the driver's message. */
static const char *no_access(sms_db_t *db, const char *msg, apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *file = NULL, *bad = NULL;

    if (!strcmp(apr_dbd_name(db->driver), "sqlite3") &&
        select_once(&res, db, "PRAGMA database_list", p) == 0) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            const char *name = sms_st_col(db, row, 1);
            const char *v = sms_st_col(db, row, 2);
            if (!file && name && !strcmp(name, "main") && v && *v) {
                file = apr_pstrdup(p, v);
            }
        }
    }
    bad = file ? sms_store_sqlite_denied(file, p) : NULL;
    return bad ? bad
               : apr_psprintf(p, "cannot open the database: %s",
                              msg ? msg : "the driver gives no reason");
}

/* Highest applied schema version, via a statement prepared only for this
 * check; a failed prepare means the sms_schema table does not exist, but
 * for SQLite only when it says so: any other failure there is a database
 * that cannot be opened or read (a file of another user, say). */
static apr_status_t schema_version(long *version, const char **why,
                                   sms_db_t *db, apr_pool_t *p)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc = select_once(&res, db, "SELECT max(version) FROM sms_schema", p);

    if (rc) {
        const char *msg = apr_dbd_error(db->driver, db->handle, rc);
        if (strcmp(apr_dbd_name(db->driver), "sqlite3") ||
            (msg && strstr(msg, "no such table"))) {
            return SMS_STORE_ENOSCHEMA;
        }
        *why = no_access(db, msg, p);
        return SMS_STORE_ENOACCESS;
    }
    *version = 0;
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *v = sms_st_col(db, row, 0);
        if (v) {
            *version = strtol(v, NULL, 10);
        }
    }
    return APR_SUCCESS;
}

const char *sms_st_many_sql(apr_size_t which, apr_pool_t *p)
{
    apr_array_header_t *parts =
        apr_array_make(p, 2 * MANY_ROWS + 2, sizeof(const char *));
    int i;

    APR_ARRAY_PUSH(parts, const char *) = sms_st_many[which].head;
    for (i = 0; i < MANY_ROWS; i++) {
        APR_ARRAY_PUSH(parts, const char *) = i ? ", " : "";
        APR_ARRAY_PUSH(parts, const char *) = sms_st_many[which].row;
    }
    APR_ARRAY_PUSH(parts, const char *) = sms_st_many[which].tail;
    return apr_array_pstrcat(p, parts, 0);
}

#define NO_SCHEMA                                                              \
    "the mod_sms schema is missing (no sms_schema table): "                    \
    "apply sql/<driver>/*.sql with sql/migrate.sh"

/* The schema is there and new enough; SMS_STORE_ENOSCHEMA (or
 * SMS_STORE_ENOACCESS) with *why otherwise. */
static apr_status_t check_version(sms_db_t *db, const char **why, apr_pool_t *p)
{
    long version = 0;
    apr_status_t rv = schema_version(&version, why, db, p);

    if (rv == SMS_STORE_ENOACCESS) {
        return rv;
    }
    if (rv != APR_SUCCESS || version == 0) {
        *why = NO_SCHEMA; /* version 0: pgsql reports the table late */
        return SMS_STORE_ENOSCHEMA;
    }
    if (version < SMS_SCHEMA_VERSION) {
        *why = apr_psprintf(p,
                            "the mod_sms schema is at version %ld, this "
                            "build needs %d: run sql/migrate.sh",
                            version, SMS_SCHEMA_VERSION);
        return SMS_STORE_ENOSCHEMA;
    }
    return APR_SUCCESS;
}

/* Prepare sql as label on this connection; what names it in *why. */
static apr_status_t prepare_one(sms_db_t *db, const char *label,
                                const char *sql, const char *what,
                                const char **why, apr_pool_t *p)
{
    apr_dbd_prepared_t *st = NULL;
    int rc = apr_dbd_prepare(db->driver, db->pool, db->handle, sql, label, &st);

    if (rc) {
        *why = apr_psprintf(p, "%s: %s", what,
                            apr_dbd_error(db->driver, db->handle, rc));
        return APR_EGENERAL;
    }
    apr_hash_set(db->prepared, label, APR_HASH_KEY_STRING, st);
    return APR_SUCCESS;
}

/* Beside the statements in a connection's table: its database's name. */
#define DATABASE_KEY "sms:database"

/* Which database a connection writes to, in the connection's pool: the
 * SQLite file, or the PostgreSQL database with its server's address and
 * port, the role and the schema search path (two virtual hosts on one
 * database with other roles or schemas are not grouped together); NULL
 * when the driver does not say (its writes are then not grouped). */
static const char *database_name(sms_db_t *db, int pgsql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *name = NULL;
    const char *sql =
        pgsql ? "SELECT current_database() || '@' ||"
                " COALESCE(host(inet_server_addr()), 'socket') || ':' ||"
                " COALESCE(CAST(inet_server_port() AS TEXT), '') || '/' ||"
                " current_user || '/' || CAST(current_schemas(true) AS TEXT)"
              : "PRAGMA database_list";

    if (select_once(&res, db, sql, db->pool) != 0) {
        return NULL;
    }
    while (apr_dbd_get_row(db->driver, db->pool, res, &row, -1) == 0) {
        const char *v = sms_st_col(db, row, pgsql ? 0 : 2);
        if (!name && v && *v &&
            (pgsql || !strcmp(sms_st_col(db, row, 1), "main"))) {
            name =
                apr_pstrcat(db->pool, pgsql ? "pgsql:" : "sqlite3:", v, NULL);
        }
    }
    return name;
}

apr_status_t sms_store_ready(sms_db_t *db, const char **why, apr_pool_t *p)
{
    apr_status_t rv = APR_SUCCESS;
    apr_size_t i;
    int pgsql = !strcmp(apr_dbd_name(db->driver), "pgsql");

    /* pgsql's sequential selects go through libpq's asynchronous calls,
     * which cost a delayed-ACK wait per statement on loopback; results
     * are small, so fetch them whole */
    db->random = pgsql;
    db->serialize = !strcmp(apr_dbd_name(db->driver), "sqlite3");
    db->plain_tx = pgsql;
    if (db->prepared && sms_st_stmt(db, SMS_READY_LABEL)) {
        db->database =
            apr_hash_get(db->prepared, DATABASE_KEY, APR_HASH_KEY_STRING);
        return APR_SUCCESS;
    }
    if ((rv = check_version(db, why, p)) != APR_SUCCESS) {
        return rv;
    }
    if (!db->prepared) {
        db->prepared = apr_hash_make(db->pool);
    }
    if (db->serialize) { /* once per connection: it is not ready yet */
        sqlite_busy_split(db, p);
    }
    db->database = database_name(db, pgsql);
    apr_hash_set(db->prepared, DATABASE_KEY, APR_HASH_KEY_STRING, db->database);
    for (i = 0; rv == APR_SUCCESS && i < sms_st_npatient_queries; i++) {
        const sms_patient_query_t *q = &sms_st_patient_queries[i];
        if (!q->sql) {
            continue; /* SMSPatientAccessQuery unset */
        }
        rv = prepare_one(
            db, q->label, q->sql,
            apr_pstrcat(p, q->directive, ": cannot prepare the query", NULL),
            why, p);
    }
    for (i = 0; rv == APR_SUCCESS && i < sms_st_nmany; i++) {
        rv = prepare_one(
            db, sms_st_many[i].label, sms_st_many_sql(i, p),
            apr_pstrcat(p, "cannot prepare ", sms_st_many[i].label, NULL), why,
            p);
    }
    for (i = 0; rv == APR_SUCCESS && i < sms_st_nstatements; i++) {
        const sms_statement_t *st = &sms_st_statements[i];
        rv = prepare_one(
            db, st->label, pgsql && st->pgsql ? st->pgsql : st->sql,
            apr_pstrcat(p, "cannot prepare ", st->label, NULL), why, p);
    }
    /* last: its presence says every statement is prepared */
    return rv == APR_SUCCESS
               ? prepare_one(db, SMS_READY_LABEL, "SELECT 1",
                             "cannot prepare " SMS_READY_LABEL, why, p)
               : rv;
}

apr_status_t sms_store_queue_depth(int *depth, sms_db_t *db, apr_pool_t *p)
{
    long n = 0;
    apr_status_t rv = sms_st_select_int(&n, db, "sms_queue_depth", p);

    *depth = (int)n;
    return rv;
}

/* ---- helpers --------------------------------------------------------- */

const char *sms_st_i64(apr_pool_t *p, apr_int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

/* A time or id parameter, NULL for 0 (SQL NULL). */
const char *sms_st_opt64(apr_pool_t *p, apr_int64_t v)
{
    return v ? sms_st_i64(p, v) : NULL;
}

apr_int64_t sms_st_to64(const char *v)
{
    return v ? apr_atoi64(v) : 0;
}

const char *sms_st_dup_or_null(apr_pool_t *p, const char *v)
{
    return v ? apr_pstrdup(p, v) : NULL;
}

/* is_default as the host's tables may spell it: 1, t, true, yes. */
static int truthy(const char *v)
{
    return v && (*v == '1' || *v == 't' || *v == 'T' || *v == 'y' || *v == 'Y');
}

void sms_st_read_cols(void *out, const sms_col_t *cols, int n, int first,
                      sms_db_t *db, apr_dbd_row_t *row, apr_pool_t *p)
{
    int i;

    for (i = 0; i < n; i++) {
        const char *v = sms_st_col(db, row, first + i);
        char *at = (char *)out + cols[i].offset;

        switch (cols[i].kind) {
        case SMS_COL_TEXT:
            *(const char **)at = sms_st_dup_or_null(p, v);
            break;
        case SMS_COL_INT:
            *(int *)at = (int)sms_st_to64(v);
            break;
        case SMS_COL_BOOL:
            *(int *)at = truthy(v);
            break;
        default:
            *(apr_int64_t *)at = sms_st_to64(v);
            break;
        }
    }
}

void sms_st_col_args(const char **args, const void *in, const sms_col_t *cols,
                     int n, apr_pool_t *p)
{
    int i;

    for (i = 0; i < n; i++) {
        const char *at = (const char *)in + cols[i].offset;

        switch (cols[i].kind) {
        case SMS_COL_TEXT:
            args[i] = *(const char *const *)at;
            break;
        case SMS_COL_INT:
        case SMS_COL_BOOL:
            args[i] = sms_st_i64(p, *(const int *)at);
            break;
        case SMS_COL_I64:
            args[i] = sms_st_i64(p, *(const apr_int64_t *)at);
            break;
        case SMS_COL_OPT:
            args[i] = sms_st_opt64(p, *(const apr_int64_t *)at);
            break;
        }
    }
}

apr_array_header_t *sms_st_read_rows(sms_db_t *db, apr_dbd_results_t *res,
                                     const sms_col_t *cols, int n,
                                     apr_size_t size, int byref, int nalloc,
                                     apr_pool_t *p)
{
    apr_array_header_t *out =
        apr_array_make(p, nalloc, byref ? sizeof(void *) : size);
    apr_dbd_row_t *row = NULL;

    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        void *it = byref ? apr_pcalloc(p, size) : apr_array_push(out);

        if (byref) {
            APR_ARRAY_PUSH(out, void *) = it;
        }
        sms_st_read_cols(it, cols, n, 0, db, row, p);
    }
    return out;
}

apr_status_t sms_st_db_error(sms_db_t *db, const char *label, int rc,
                             apr_pool_t *p)
{
    const char *msg = apr_dbd_error(db->driver, db->handle, rc);

    /* pgsql: mod_dbd's check resets a broken connection in place
     * (PQreset), and the new session has none of our statements: forget
     * them so that the next use of this connection prepares them again */
    if (msg && strstr(msg, "prepared statement") &&
        strstr(msg, "does not exist") && db->prepared) {
        apr_hash_set(db->prepared, SMS_READY_LABEL, APR_HASH_KEY_STRING, NULL);
        sms_log(SMS_LOG_WARNING, APR_EGENERAL, p,
                "store: %s: the database "
                "connection was reset; statements will be prepared again",
                label);
        return APR_EGENERAL;
    }
    /* PostgreSQL's details quote the row ("Key (number)=(61412345678)
     * already exists"): numbers are masked before anything is logged */
    sms_log(db->quiet ? SMS_LOG_DEBUG : SMS_LOG_ERR, APR_EGENERAL, p,
            "store: %s failed: %s", label,
            msg ? sms_phone_mask_text(msg, p) : "(no message)");
    return APR_EGENERAL;
}

/* SQLite: one writer per process. apr-util's sqlite3 driver holds a
 * process-wide mutex while SQLite waits out busy_timeout, so a writer
 * waiting inside SQLite would stall the thread that holds the write lock
 * (and sleep 100 ms per SQLITE_BUSY): writers queue here instead, before
 * they reach the driver. Other processes still wait in busy_timeout. */
static apr_thread_mutex_t *write_mutex;

apr_status_t sms_st_lock_init(apr_pool_t *pchild)
{
    return apr_thread_mutex_create(&write_mutex, APR_THREAD_MUTEX_DEFAULT,
                                   pchild);
}

/* Take the write lock for a statement outside a transaction; returns
 * whether it must be given back. */
int sms_st_write_lock(sms_db_t *db)
{
    if (!write_mutex || !db->serialize || db->trans) {
        return 0;
    }
    apr_thread_mutex_lock(write_mutex);
    return 1;
}

void sms_st_write_unlock(int locked)
{
    if (locked) {
        apr_thread_mutex_unlock(write_mutex);
    }
}

/* Run a prepared write with string arguments. */
apr_status_t sms_st_run(int *nrows, sms_db_t *db, const char *label,
                        apr_pool_t *p, int nargs, const char **args)
{
    int rows = 0, locked = sms_st_write_lock(db);
    int rc = apr_dbd_pquery(db->driver, p, db->handle, &rows,
                            sms_st_stmt(db, label), nargs, args);

    sms_st_write_unlock(locked);

    if (rc) {
        return sms_st_db_error(db, label, rc, p);
    }
    if (nrows) {
        *nrows = rows;
    }
    return APR_SUCCESS;
}

/* Run a prepared select with string arguments. */
apr_status_t sms_st_query(apr_dbd_results_t **res, sms_db_t *db,
                          const char *label, apr_pool_t *p, int nargs,
                          const char **args)
{
    int rc;

    *res = NULL;
    rc = apr_dbd_pselect(db->driver, p, db->handle, res, sms_st_stmt(db, label),
                         db->random, nargs, args);
    return rc ? sms_st_db_error(db, label, rc, p) : APR_SUCCESS;
}

#define ARGS(...)                                                              \
    (sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), (const char *[]) \
    {                                                                          \
        __VA_ARGS__                                                            \
    }

/* The one id an INSERT ... RETURNING id answers; drains the result. */
apr_status_t sms_st_returning_id(apr_int64_t *id, sms_db_t *db,
                                 const char *label, apr_pool_t *p, int nargs,
                                 const char **args)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    int locked = sms_st_write_lock(db);
    apr_status_t rv = sms_st_query(&res, db, label, p, nargs, args);

    *id = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            if (!*id) {
                *id = sms_st_to64(sms_st_col(db, row, 0));
            }
        }
    }
    sms_st_write_unlock(locked);
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
apr_status_t sms_st_plain(sms_db_t *db, const char *sql, apr_pool_t *p)
{
    int rows = 0;
    int rc = apr_dbd_query(db->driver, db->handle, &rows, sql);

    return rc ? sms_st_db_error(db, sql, rc, p) : APR_SUCCESS;
}

apr_status_t sms_store_begin(sms_db_t *db, apr_pool_t *p)
{
    int locked = sms_st_write_lock(db), rc;

    if (db->plain_tx) {
        apr_status_t rv = sms_st_plain(db, "BEGIN", p);
        if (rv != APR_SUCCESS) {
            sms_st_write_unlock(locked);
            return rv;
        }
        db->in_plain_tx = 1;
        db->locked = locked;
        return APR_SUCCESS;
    }
    rc = apr_dbd_transaction_start(db->driver, p, db->handle, &db->trans);
    if (rc) {
        db->trans = NULL;
        sms_st_write_unlock(locked);
        return sms_st_db_error(db, "begin", rc, p);
    }
    db->locked = locked;
    return APR_SUCCESS;
}

apr_status_t sms_store_end(sms_db_t *db, int ok, apr_pool_t *p)
{
    int rc;

    if (db->in_plain_tx) {
        apr_status_t rv = sms_st_plain(db, ok ? "COMMIT" : "ROLLBACK", p);
        db->in_plain_tx = 0;
        sms_st_write_unlock(db->locked);
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
    sms_st_write_unlock(db->locked);
    db->locked = 0;
    return rc ? sms_st_db_error(db, ok ? "commit" : "rollback", rc, p)
              : APR_SUCCESS;
}
