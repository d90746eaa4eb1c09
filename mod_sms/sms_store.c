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

#include <apr_strings.h>

#include "sms_store.h"

/* The label whose presence marks a connection as ready (prepared last). */
#define SMS_READY_LABEL "sms_ready"

typedef struct {
    const char *label;
    const char *sql;
} sms_statement_t;

static const sms_statement_t statements[] = {
    {"sms_queue_depth",
     "SELECT count(*) FROM sms_message"
     " WHERE status IN ('queued', 'scheduled', 'sending')"},
    {SMS_READY_LABEL, "SELECT 1"}
};

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
        const char *v = apr_dbd_get_entry(db->driver, row, 0);
        if (!got && v) {
            *out = strtol(v, NULL, 10);
            got = 1;
        }
    }
    return got ? APR_SUCCESS : APR_ENOENT;
}

/* Highest applied schema version, via a statement prepared only for this
 * check; a failed prepare means the sms_schema table does not exist. */
static apr_status_t schema_version(long *version, sms_db_t *db,
                                   apr_pool_t *p)
{
    apr_dbd_prepared_t *st = NULL;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc;

    rc = apr_dbd_prepare(db->driver, p, db->handle,
                         "SELECT max(version) FROM sms_schema", NULL, &st);
    if (rc) {
        return SMS_STORE_ENOSCHEMA;
    }
    rc = apr_dbd_pvselect(db->driver, p, db->handle, &res, st, 0, NULL);
    if (rc) {
        return SMS_STORE_ENOSCHEMA;
    }
    *version = 0;
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *v = apr_dbd_get_entry(db->driver, row, 0);
        if (v) {
            *version = strtol(v, NULL, 10);
        }
    }
    return APR_SUCCESS;
}

apr_status_t sms_store_ready(sms_db_t *db, const char **why, apr_pool_t *p)
{
    long version = 0;
    apr_size_t i;

    if (db->prepared && stmt(db, SMS_READY_LABEL)) {
        return APR_SUCCESS;
    }
    if (schema_version(&version, db, p) != APR_SUCCESS) {
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
    for (i = 0; i < sizeof(statements) / sizeof(*statements); i++) {
        apr_dbd_prepared_t *st = NULL;
        int rc = apr_dbd_prepare(db->driver, db->pool, db->handle,
                                 statements[i].sql, statements[i].label, &st);
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
