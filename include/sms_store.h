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
#include <apr_tables.h>
#include <apr_time.h>

#include "sms_core.h"
#include "sms_status.h"

/* Schema version this build needs (sql/<driver>/NNN_*.sql). */
#define SMS_SCHEMA_VERSION 11

/* The schema is missing, or older than SMS_SCHEMA_VERSION. */
#define SMS_STORE_ENOSCHEMA (APR_OS_START_USERERR + 1)

/* The database cannot be opened or read (permissions, say): not a schema
 * problem; *why says what failed and, when it can tell, which path. */
#define SMS_STORE_ENOACCESS (APR_OS_START_USERERR + 2)

/* A database connection as mod_dbd lends it. */
typedef struct sms_db_t {
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared; /* label -> apr_dbd_prepared_t, per connection */
    apr_pool_t *pool;     /* the connection's pool */
    apr_dbd_transaction_t *trans; /* open transaction, or NULL */
    int random;                   /* fetch select results whole (pgsql) */
    int serialize;                /* one writer per process (sqlite3) */
    int locked;           /* the open transaction holds the write lock */
    int plain_tx;         /* BEGIN/COMMIT as plain statements (pgsql) */
    int quiet;            /* statement errors at debug level: the caller
                           * has already said the database fails */
    int in_plain_tx;      /* such a transaction is open */
    const char *database; /* which database (set by sms_store_ready):
                           * group commit groups writes per database */
    int hostevents;       /* write the host application's events (SMSEventURL
                           * is set: sms_hostevent.h) */
} sms_db_t;

/* Once per child process: the lock that keeps SQLite writers of this
 * process from waiting inside the driver, and the queues of group commit
 * (sms_store_group.c). */
apr_status_t sms_store_child_init(apr_pool_t *pchild);

/* Make this connection ready: check the schema version and prepare every
 * statement (once per connection). SMS_STORE_ENOSCHEMA with *why when the
 * schema is missing or old; SMS_STORE_ENOACCESS with *why when the database
 * cannot be opened or read; another error when the database fails. */
apr_status_t sms_store_ready(sms_db_t *db, const char **why, apr_pool_t *p);

/* For a SQLite database FILE this process cannot use (its folder, the
 * file, its -wal or -shm not writable by this process's user): the log
 * line that says which path and what to run; NULL when access is fine. */
const char *sms_store_sqlite_denied(const char *file, apr_pool_t *p);

/* SQLite in multi-thread mode instead of serialized: each connection is
 * used by one thread at a time (mod_dbd lends it to one request or to the
 * sender), so SQLite's per-connection mutex, taken around each of the
 * thousand sqlite3_column_* calls apr_dbd makes for a history page, only
 * costs. Must run before SQLite initialises (when the module loads); 0
 * when SQLite was initialised already and stays serialized. */
int sms_store_sqlite_multithread(void);

/* Hold the SQLite database file open for the child's lifetime, opened
 * before mod_dbd opens its connections (child_init): the children of a
 * starting httpd no longer race to build the database's WAL index, where
 * SQLite refuses the losers' first read at once ("database is locked"
 * while mod_dbd prepares its statements), and the index then lives as
 * long as any child does. Does nothing when the file cannot be opened. */
void sms_store_sqlite_hold(const char *file, apr_pool_t *pchild);

/* Messages waiting for the provider (queued, scheduled, sending). */
apr_status_t sms_store_queue_depth(int *depth, sms_db_t *db, apr_pool_t *p);

/* --- transactions ------------------------------------------------------ */

/* Start a transaction; end it with sms_store_end (commit when ok, else
 * roll back). Every write transaction starts with a write. */
apr_status_t sms_store_begin(sms_db_t *db, apr_pool_t *p);
apr_status_t sms_store_end(sms_db_t *db, int ok, apr_pool_t *p);

/* A write: statements on db (no begin or end of its own) that either all
 * apply or, when it returns anything but APR_SUCCESS, are all undone. */
typedef apr_status_t (*sms_store_write_fn)(sms_db_t *db, void *ctx,
                                           apr_pool_t *p);

/* Run fn committed (group commit, sms_store_group.c): in a child, the
 * writes of concurrent requests share one transaction, each in a savepoint
 * of its own; returns once the commit that holds fn's work is done, with
 * fn's own status (APR_SUCCESS: committed), or the error that prevented
 * the commit. fn may run on another thread's connection with p, so it
 * must use only its arguments (db, ctx, p), never a connection of its
 * own; it may run twice when its group's commit fails (it is then run on
 * its own), so it sets its outputs rather than adding to them. */
apr_status_t sms_store_write(sms_db_t *db, sms_store_write_fn fn, void *ctx,
                             apr_pool_t *p);

/* Whether a transaction is open on db (a write runs inside one). */
int sms_store_in_transaction(const sms_db_t *db);

/* This process's group commit so far: commits made, writes they held. */
void sms_store_group_stats(long *groups, long *writes);

/* --- messages ------------------------------------------------------------ */

/* A message row; 0 / NULL where the column is NULL. */
typedef struct sms_message_t {
    apr_int64_t id;
    const char *to;
    const char *patient_id;
    const char *phone_label;
    const char *sender_id;
    const char *body;
    const char *encoding;
    int segments;
    int max_parts;
    const char *status;
    const char *error;
    const char *external_id;
    apr_int64_t batch_id;
    apr_int64_t template_id;
    const char *sent_by;
    apr_time_t created_at;
    apr_time_t send_at;
    apr_time_t sent_at;
    apr_time_t delivered_at;
    apr_time_t next_attempt_at;
    int attempts;
    const char *provider_ref;
    const char *lease_owner; /* insert only: claim it at once (sync) */
    apr_time_t lease_until;  /* insert only */
    /* the history only (sms_store_list_messages, sms_store_get_reply): the
     * latest reply linked to the message, NULL when none */
    const struct sms_reply_t *reply;
} sms_message_t;

/* The latest reply to a message (sms_inbound.message_id): its id, intent
 * (confirm, cancel, unclear or NULL) and when it came. */
typedef struct sms_reply_t {
    apr_int64_t id;
    const char *intent;
    apr_time_t received_at;
} sms_reply_t;

typedef struct sms_event_t {
    const char *status;
    const char *detail;
    apr_time_t at;
} sms_event_t;

/* Insert every message of msgs (sms_message_t *) in as few statements as
 * the driver allows; the ids are not read back. */
apr_status_t sms_store_insert_messages(sms_db_t *db,
                                       const apr_array_header_t *msgs,
                                       apr_pool_t *p);

/* Insert m (status, times and lease as given); *id is the new id. */
apr_status_t sms_store_insert_message(apr_int64_t *id, sms_db_t *db,
                                      const sms_message_t *m, apr_pool_t *p);

/* One message, or APR_ENOENT. */
apr_status_t sms_store_get_message(sms_message_t **m, sms_db_t *db,
                                   apr_int64_t id, apr_pool_t *p);

/* m->reply: the latest reply linked to message m, or NULL (one statement). */
apr_status_t sms_store_get_reply(sms_message_t *m, sms_db_t *db, apr_pool_t *p);

/* The status history of a message, oldest first (array of sms_event_t). */
apr_status_t sms_store_events(apr_array_header_t **events, sms_db_t *db,
                              apr_int64_t id, apr_pool_t *p);

/* History filters; NULL / 0 means "any". */
typedef struct sms_filter_t {
    const char *status;
    const char *patient_id;
    const char *phone;
    apr_int64_t batch_id;
    apr_time_t since;
    apr_time_t until;
    apr_int64_t before_id; /* paging: ids below this one */
    int limit;
} sms_filter_t;

/* Messages matching f, newest first (array of sms_message_t *), each with
 * its latest reply (m->reply) from the same statement. */
apr_status_t sms_store_list_messages(apr_array_header_t **msgs, sms_db_t *db,
                                     const sms_filter_t *f, apr_pool_t *p);

/* A status change, applied only when the message is still in "from":
 * statuses only move forward, and two writers never both win. */
typedef struct sms_transition_t {
    apr_int64_t id;
    const char *from;
    const char *to;
    const char *external_id;    /* NULL keeps the current value */
    const char *error;          /* replaces (NULL clears) */
    const char *provider_ref;   /* NULL keeps */
    apr_time_t sent_at;         /* 0 keeps */
    apr_time_t delivered_at;    /* 0 keeps */
    apr_time_t next_attempt_at; /* replaces (0 clears) */
    int attempts_add;
    const char *lease_owner; /* replaces (NULL clears) */
    apr_time_t lease_until;  /* replaces (0 clears) */
    const char *detail;      /* event detail */
    apr_time_t now;
} sms_transition_t;

/* The n transitions of ts, each as sms_store_transition applies one, in
 * a few statements (many rows each); changed[i] says whether ts[i]
 * applied. Events are written for the ones that did. */
apr_status_t sms_store_transitions(int *changed, sms_db_t *db,
                                   const sms_transition_t *ts, int n,
                                   apr_pool_t *p);

/* Apply t and record its event; *changed 0 when the message was no longer
 * in t->from (nothing written). */
apr_status_t sms_store_transition(int *changed, sms_db_t *db,
                                  const sms_transition_t *t, apr_pool_t *p);

/* --- the outbox ----------------------------------------------------------- */

/* Lease up to limit due queued/scheduled messages to owner until
 * lease_until (FOR UPDATE SKIP LOCKED on pgsql); *n how many. */
apr_status_t sms_store_claim(int *n, sms_db_t *db, const char *owner,
                             apr_time_t now, apr_time_t lease_until, int limit,
                             apr_pool_t *p);

/* Give back the claims of owner on messages it has not started sending
 * (a sender that stops), so that another sender takes them at once
 * rather than after the lease; *n how many. */
apr_status_t sms_store_release(int *n, sms_db_t *db, const char *owner,
                               apr_pool_t *p);

/* The messages owner holds and has not sent yet, grouped by identical
 * text and sender (array of sms_message_t *). */
apr_status_t sms_store_claimed(apr_array_header_t **msgs, sms_db_t *db,
                               const char *owner, apr_pool_t *p);

/* Messages left "sending" by a sender whose lease ran out (it stopped
 * mid-call): array of sms_message_t *. */
apr_status_t sms_store_stale_sending(apr_array_header_t **msgs, sms_db_t *db,
                                     apr_time_t now, apr_pool_t *p);

/* --- batches ----------------------------------------------------------------
 */

apr_status_t sms_store_insert_batch(apr_int64_t *id, sms_db_t *db,
                                    const char *user, int recipients,
                                    int segments, apr_time_t now,
                                    apr_pool_t *p);

/* Status -> count for a batch (hash of const char * -> int *), or
 * APR_ENOENT when there is no such batch. */
apr_status_t sms_store_batch_counts(apr_hash_t **counts, apr_time_t *created,
                                    const char **created_by, sms_db_t *db,
                                    apr_int64_t id, apr_pool_t *p);

/* --- templates ------------------------------------------------------------ */

typedef struct sms_template_row_t {
    apr_int64_t id;
    const char *name;
    const char *body;
    const char *created_by;
    apr_time_t created_at;
    apr_time_t updated_at;
} sms_template_row_t;

/* Insert; APR_EEXIST when the name is taken. */
apr_status_t sms_store_template_insert(apr_int64_t *id, sms_db_t *db,
                                       const sms_template_row_t *t,
                                       apr_pool_t *p);
/* One template, or APR_ENOENT. */
apr_status_t sms_store_template_get(sms_template_row_t **t, sms_db_t *db,
                                    apr_int64_t id, apr_pool_t *p);
/* All templates by name (array of sms_template_row_t *). */
apr_status_t sms_store_template_list(apr_array_header_t **list, sms_db_t *db,
                                     apr_pool_t *p);
/* Update name and body; APR_ENOENT, APR_EEXIST (name taken). */
apr_status_t sms_store_template_update(sms_db_t *db,
                                       const sms_template_row_t *t,
                                       apr_pool_t *p);
/* Delete; APR_ENOENT when there is none. */
apr_status_t sms_store_template_delete(sms_db_t *db, apr_int64_t id,
                                       apr_pool_t *p);

/* --- Idempotency-Key ------------------------------------------------------ */

/* The record of (user, key) newer than not_before: *hash, and *status 0
 * while the first request is still running. APR_ENOENT when none. */
apr_status_t sms_store_idem_get(const char **hash, int *status,
                                const char **response, sms_db_t *db,
                                const char *user, const char *key,
                                apr_time_t not_before, apr_pool_t *p);
/* Claim (user, key) for a request with this hash (replacing an expired
 * record); APR_EEXIST when another request holds it. */
apr_status_t sms_store_idem_start(sms_db_t *db, const char *user,
                                  const char *key, const char *hash,
                                  apr_time_t now, apr_time_t not_before,
                                  apr_pool_t *p);
/* Forget (user, key): the first request failed before anything was
 * stored, so a retry with the same key may run. */
apr_status_t sms_store_idem_delete(sms_db_t *db, const char *user,
                                   const char *key, apr_pool_t *p);
/* Keep the response given to the first request. */
apr_status_t sms_store_idem_finish(sms_db_t *db, const char *user,
                                   const char *key, int status,
                                   const char *response, apr_pool_t *p);

/* --- provider callbacks ------------------------------------------------------
 */

/* The message the provider calls smsref, or APR_ENOENT. */
apr_status_t sms_store_by_smsref(sms_message_t **m, sms_db_t *db,
                                 const char *smsref, apr_pool_t *p);
/* The message of a provider ref (our id, or the first id of a batched
 * request) sent to number, or APR_ENOENT. */
apr_status_t sms_store_by_ref(sms_message_t **m, sms_db_t *db, const char *ref,
                              const char *number, apr_pool_t *p);
/* Record an event without a status change. */
apr_status_t sms_store_add_event(sms_db_t *db, apr_int64_t id,
                                 const char *status, const char *detail,
                                 apr_time_t now, apr_pool_t *p);
/* True when a receipt with this dedup key was stored before. */
apr_status_t sms_store_dlr_seen(int *seen, sms_db_t *db, const char *key,
                                apr_pool_t *p);
/* Store a receipt (message_id 0: unknown message); APR_EEXIST when its
 * dedup key is taken (a repeated report). */
apr_status_t sms_store_dlr_insert(sms_db_t *db, apr_int64_t message_id,
                                  const char *smsref, const char *ref,
                                  const char *to, const char *status,
                                  apr_time_t now, const char *key,
                                  apr_pool_t *p);

/* True when an inbound message with this key is in bucket or the one
 * before. */
apr_status_t sms_store_inbound_seen(int *seen, sms_db_t *db, const char *key,
                                    apr_int64_t bucket, apr_pool_t *p);
/* Store an inbound message; APR_EEXIST when (key, bucket) is taken. */
apr_status_t sms_store_inbound_insert(apr_int64_t *id, sms_db_t *db,
                                      const char *from, const char *to,
                                      const char *body, const char *ref,
                                      apr_int64_t message_id,
                                      const char *keyword, apr_time_t now,
                                      const char *key, apr_int64_t bucket,
                                      const char *intent, apr_pool_t *p);
/* Link an inbound message to a patient. */
apr_status_t sms_store_inbound_link(sms_db_t *db, apr_int64_t inbound_id,
                                    const char *patient_id, apr_pool_t *p);

/* --- patients (SMSPatient*Query) --------------------------------------------
 */

/* Use these queries instead of the reference tables' (NULL keeps the
 * default); each %s marker receives the same value. Before any
 * connection is made ready. */
void sms_store_patient_queries(const char *patient, const char *phones,
                               const char *by_phone);
/* SMSPatientAccessQuery: one SELECT whose two %s markers take the user,
 * then the patient id; a row grants access. "reference" is the reference
 * table's query (sms_patient_access, '*' for every patient); NULL turns
 * the check off. APR_EINVAL when the query has not exactly two markers.
 * Before any connection is made ready. */
apr_status_t sms_store_access_query(const char *sql);
/* Whether an access query is in use. */
int sms_store_access_enabled(void);
/* Whether user may see the patient (always, with no access query). */
apr_status_t sms_store_patient_access(int *allowed, sms_db_t *db,
                                      const char *user, const char *patient_id,
                                      apr_pool_t *p);

typedef struct sms_patient_t {
    const char *id;
    const char *first_name;
    const char *last_name;
} sms_patient_t;

typedef struct sms_phone_row_t {
    const char *label;
    const char *number; /* as the patient tables hold it */
    int is_default;
} sms_phone_row_t;

/* One patient (SMSPatientQuery), or APR_ENOENT. */
apr_status_t sms_store_patient(sms_patient_t **pt, sms_db_t *db, const char *id,
                               apr_pool_t *p);
/* A patient's numbers (SMSPatientPhonesQuery), as sms_phone_row_t. */
apr_status_t sms_store_patient_phones(apr_array_header_t **phones, sms_db_t *db,
                                      const char *id, apr_pool_t *p);
/* Check that the three patient queries answer the columns the module
 * reads; on failure *directive names the directive and *why says how. */
apr_status_t sms_store_check_patient_queries(const char **directive,
                                             const char **why, sms_db_t *db,
                                             apr_pool_t *p);

/* An inbound message of a conversation. */
typedef struct sms_inbound_t {
    apr_int64_t id;
    const char *from;
    const char *body;
    apr_int64_t message_id;
    apr_time_t received_at;
    const char *intent; /* confirm, cancel, unclear, or NULL */
    apr_time_t read_at; /* the inbox: 0 while unread */
    const char *read_by;
} sms_inbound_t;

/* The newest change of a patient's thread: the last updated_at of the
 * messages sent for the patient, and the last inbound id linked to it. */
apr_status_t sms_store_thread_version(apr_time_t *updated, apr_int64_t *inbound,
                                      sms_db_t *db, const char *patient_id,
                                      apr_pool_t *p);
/* Messages sent for the patient changed after `after` (0: all), by id. */
apr_status_t sms_store_thread_out(apr_array_header_t **msgs, sms_db_t *db,
                                  const char *patient_id, apr_time_t after,
                                  apr_pool_t *p);
/* Inbound messages linked to the patient with ids above after, by id
 * (array of sms_inbound_t). */
apr_status_t sms_store_thread_in(apr_array_header_t **ins, sms_db_t *db,
                                 const char *patient_id, apr_int64_t after,
                                 apr_pool_t *p);
/* A page of the thread, newest first: at most limit messages sent for
 * the patient with ids below before (0: no bound), by id descending. */
apr_status_t sms_store_thread_out_page(apr_array_header_t **msgs, sms_db_t *db,
                                       const char *patient_id,
                                       apr_int64_t before, int limit,
                                       apr_pool_t *p);
/* The same for the inbound messages linked to the patient (array of
 * sms_inbound_t), by id descending. */
apr_status_t sms_store_thread_in_page(apr_array_header_t **ins, sms_db_t *db,
                                      const char *patient_id,
                                      apr_int64_t before, int limit,
                                      apr_pool_t *p);

/* --- the inbox (sms_store_inbox.c) ---------------------------------------- */

/* Which replies the inbox lists: every one, the unread ones, or the unread
 * ones whose intent is unclear (what staff still have to act on: a read
 * unclear reply has been seen and leaves the "unclear" list and count). */
typedef enum {
    SMS_INBOX_ALL = 0,
    SMS_INBOX_UNREAD,
    SMS_INBOX_UNCLEAR
} sms_inbox_state_e;

/* A reply as the inbox shows it. */
typedef struct sms_inbox_item_t {
    sms_inbound_t in;
    const char *keyword;          /* STOP, START, ... or NULL */
    apr_array_header_t *patients; /* linked patient ids (const char *) */
    /* the message replied to (id, body, status, created_at, patient_id
     * only), or NULL */
    sms_message_t *reply_to;
} sms_inbox_item_t;

/* Replies in state, newest first, with ids below before_id (0: from the
 * newest); up to limit (array of sms_inbox_item_t *). */
apr_status_t sms_store_inbox_list(apr_array_header_t **items, sms_db_t *db,
                                  sms_inbox_state_e state,
                                  apr_int64_t before_id, int limit,
                                  apr_pool_t *p);
/* One reply, or APR_ENOENT. */
apr_status_t sms_store_inbox_get(sms_inbox_item_t **item, sms_db_t *db,
                                 apr_int64_t id, apr_pool_t *p);
/* Mark a reply read by user at now (user NULL: unread again); *changed 0
 * when it already was (nothing written: the first reader stays). */
apr_status_t sms_store_inbox_mark(int *changed, sms_db_t *db, apr_int64_t id,
                                  const char *user, apr_time_t now,
                                  apr_pool_t *p);
/* How many replies are unread, and unread with intent unclear. */
apr_status_t sms_store_inbox_counts(apr_int64_t *unread, apr_int64_t *unclear,
                                    sms_db_t *db, apr_pool_t *p);
/* The unread replies as (id, intent, patient id) links, by id: one
 * sms_inbox_item_t * per reply with in.id, in.intent and patients only,
 * for counting what one user may see. */
apr_status_t sms_store_inbox_unread(apr_array_header_t **items, sms_db_t *db,
                                    apr_pool_t *p);

/* Ids of the patients one of whose numbers is number (normalised). */
apr_status_t sms_store_patients_by_phone(apr_array_header_t **ids, sms_db_t *db,
                                         const char *number, apr_pool_t *p);

/* Fill the e164 column of the reference table's numbers that have none
 * yet (new or renumbered rows): the number parsed under country_code, ''
 * when it is not a valid number. The default SMSPatientByPhoneQuery
 * compares it for equality. */
apr_status_t sms_store_patient_phones_e164(sms_db_t *db,
                                           const char *country_code,
                                           apr_pool_t *p);

/* --- opt-out ----------------------------------------------------------------
 */

/* The numbers of numbers (const char *, normalised) that opted out, as a
 * set keyed by number; looked up many at a time. */
apr_status_t sms_store_optout_many(apr_hash_t **opted_out, sms_db_t *db,
                                   const apr_array_header_t *numbers,
                                   apr_pool_t *p);

apr_status_t sms_store_optout_check(int *opted_out, sms_db_t *db,
                                    const char *number, apr_pool_t *p);
/* Add; *added 0 when the number was already on the list. */
apr_status_t sms_store_optout_add(int *added, sms_db_t *db, const char *number,
                                  const char *source, const char *user,
                                  apr_time_t now, apr_pool_t *p);
/* Remove; *removed 0 when it was not on the list. */
apr_status_t sms_store_optout_remove(int *removed, sms_db_t *db,
                                     const char *number, apr_pool_t *p);

typedef struct sms_optout_t {
    const char *number;
    const char *source;
    const char *created_by;
    apr_time_t created_at;
} sms_optout_t;

/* Opted-out numbers after `after` (NULL: from the start), by number. */
apr_status_t sms_store_optout_list(apr_array_header_t **list, sms_db_t *db,
                                   const char *after, int limit, apr_pool_t *p);
/* Queued or scheduled messages to opted-out numbers. */
apr_status_t sms_store_optout_pending(apr_array_header_t **msgs, sms_db_t *db,
                                      apr_pool_t *p);

/* --- the audit trail ------------------------------------------------------ */

/* One audit row: who did what to which object, of which patient, from
 * where. Never message text or a full number. */
typedef struct sms_audit_t {
    apr_int64_t id;
    apr_time_t at;
    const char *user;
    const char *action;     /* "message.send", "template.update", ... */
    const char *object;     /* an id, a masked number, or NULL */
    const char *patient_id; /* or NULL */
    const char *client;     /* the client's address */
} sms_audit_t;

/* Append a row (inside the caller's transaction, when one is open). */
apr_status_t sms_store_audit_add(sms_db_t *db, const sms_audit_t *a,
                                 apr_pool_t *p);

/* Audit filters; NULL / 0 means "any". */
typedef struct sms_audit_filter_t {
    const char *user;
    const char *patient_id;
    const char *action;
    apr_time_t since;
    apr_time_t until;
    apr_int64_t before_id; /* paging: ids below this one */
    int limit;
} sms_audit_filter_t;

/* Audit rows matching f, newest first (array of sms_audit_t). */
apr_status_t sms_store_audit_list(apr_array_header_t **rows, sms_db_t *db,
                                  const sms_audit_filter_t *f, apr_pool_t *p);

/* --- shared state ------------------------------------------------------------
 */

/* Value of a named fact (NULL when unset). */
apr_status_t sms_store_state_get(const char **value, apr_time_t *at,
                                 sms_db_t *db, const char *name, apr_pool_t *p);
/* Set (or, with NULL, clear) a named fact. */
apr_status_t sms_store_state_set(sms_db_t *db, const char *name,
                                 const char *value, apr_time_t now,
                                 apr_pool_t *p);

/* --- figures (metrics, mod_status) ---------------------------------------- */

/* What the database says about the whole installation, read in one
 * statement (one snapshot): every server sharing the database sees the
 * same figures. */
typedef struct sms_store_figures_t {
    apr_int64_t by_status[SMS_ST_COUNT]; /* messages, by sms_status_e */
    apr_int64_t receipts;       /* delivery receipts received (sms_dlr) */
    apr_int64_t replies;        /* inbound messages received (sms_inbound) */
    apr_int64_t optouts;        /* numbers on the opt-out list */
    apr_int64_t due;            /* queued or scheduled, due by now */
    apr_time_t oldest_due;      /* next_attempt_at of the oldest due; 0: none */
    apr_int64_t events_pending; /* host events not delivered yet */
} sms_store_figures_t;

/* The figures as of now. */
apr_status_t sms_store_figures(sms_store_figures_t *f, sms_db_t *db,
                               apr_time_t now, apr_pool_t *p);

#endif /* SMS_STORE_H */
