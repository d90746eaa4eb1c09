/*
 * sms_store.h - every SQL statement of the module, in domain terms.
 *
 * httpd-free (apr_dbd only): the glue hands over a pooled connection from
 * mod_dbd. Statements are prepared once per connection under sms_* labels
 * into the connection's own statement table, after the schema version has
 * been checked; no SQL is ever built from strings.
 */
#ifndef SMS_STORE_H
#define SMS_STORE_H

#include <apr_dbd.h>
#include <apr_hash.h>

#include "sms_core.h"

/* Schema version this build needs (sql/<driver>/NNN_*.sql). */
#define SMS_SCHEMA_VERSION 1

/* The schema is missing, or older than SMS_SCHEMA_VERSION. */
#define SMS_STORE_ENOSCHEMA (APR_OS_START_USERERR + 1)

/* A database connection as mod_dbd lends it. */
typedef struct sms_db_t {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared;    /* label -> apr_dbd_prepared_t, per connection */
    apr_pool_t *pool;        /* the connection's pool */
} sms_db_t;

/* Make this connection ready: check the schema version and prepare every
 * statement (once per connection). SMS_STORE_ENOSCHEMA with *why when the
 * schema is missing or old; another error when the database fails. */
apr_status_t sms_store_ready(sms_db_t *db, const char **why, apr_pool_t *p);

/* Messages waiting for the provider (queued, scheduled, sending). */
apr_status_t sms_store_queue_depth(int *depth, sms_db_t *db, apr_pool_t *p);

#endif /* SMS_STORE_H */
