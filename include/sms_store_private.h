/*
 * sms_store_private.h - what the files of store/ share: the statement
 * table and its column lists, and the helpers that run statements and read
 * rows. Internal to store/; the rest of mod_sms includes sms_store.h.
 */
#ifndef SMS_STORE_PRIVATE_H
#define SMS_STORE_PRIVATE_H

#include <stddef.h>

#include <apr_strings.h>

#include "sms_store.h"

/* The SQL building blocks are laid out by hand. */
/* clang-format off */
/* The label whose presence marks a connection as ready (prepared last). */
#define SMS_READY_LABEL "sms_ready"

/* The label of SMSPatientAccessQuery (sms_st_patient_queries[3]). */
#define SMS_ACCESS_LABEL "sms_patient_access"
#define SMS_ACCESS_QUERY 3


/* Typed markers: apr_dbd declares %lld as bigint and %d as integer to
 * PostgreSQL (PREPARE name (bigint, ...)), and SQLite gives the value the
 * column's affinity, so no statement casts its parameters. */
#define BIG(n) "%lld"
#define INT(n) "%d"
/* An optional filter: the value twice, NULL matches every row. */
#define ANY(col, cmp, val) "(" val " IS NULL OR " col " " cmp " " val ")"
/* The same two arguments, for the filter a statement is chosen by: a plain
 * comparison its index serves. */
#define EQ(col, cmp, val) "(" val " IS NOT NULL AND " col " " cmp " " val ")"
/* The history list; st, pt, ph, bt say how status, patient_id, to_number
 * and batch_id are compared (ANY or EQ). The page is chosen first, on the
 * filter's index; then each of its messages gains its latest reply: the
 * highest id of its replies (one step down sms_inbound_message, schema
 * 11), joined by primary key. Columns: MSG_COLS, then the reply's id,
 * intent and time (NULL when none). */
#define REPLY_LATEST(msg_id) \
    "(SELECT max(x.id) FROM sms_inbound x WHERE x.message_id = " msg_id ")"
#define MSG_LIST(st, pt, ph, bt) \
    "SELECT m.*, r.intent, r.received_at FROM (SELECT " MSG_COLS ", " \
    REPLY_LATEST("sms_message.id") " AS reply_id FROM sms_message" \
    " WHERE " st("status", "=", "%s") \
    " AND " pt("patient_id", "=", "%s") " AND " ph("to_number", "=", "%s") \
    " AND " bt("batch_id", "=", BIG()) \
    " AND " ANY("created_at", ">=", BIG()) \
    " AND " ANY("created_at", "<", BIG()) " AND " ANY("id", "<", BIG()) \
    " ORDER BY id DESC LIMIT " INT() ") m" \
    " LEFT JOIN sms_inbound r ON r.id = m.reply_id ORDER BY m.id DESC"

/* The inbox: a reply (SMS_INBOX_ROW), its patient links (one row each)
 * and the message it answers (SMS_INBOX_REPLY_TO); INBOX_LIST(where)
 * pages newest first through the replies where says, on that state's
 * partial index (schema 7). */
#define INBOX_COLS \
    SMS_INBOX_ROW(SMS_COL_I_NAME, SMS_COL_COMMA_I_NAME) ", ip.patient_id" \
    SMS_INBOX_REPLY_TO(SMS_COL_COMMA_M_NAME, SMS_COL_COMMA_M_NAME)
#define INBOX_JOINS \
    " LEFT JOIN sms_inbound_patient ip ON ip.inbound_id = i.id" \
    " LEFT JOIN sms_message m ON m.id = i.message_id"
#define INBOX_LIST(where) \
    "SELECT " INBOX_COLS " FROM (SELECT " \
    SMS_INBOX_ROW(SMS_COL_NAME, SMS_COL_COMMA_NAME) " FROM sms_inbound" \
    " WHERE " where "id < " BIG() " ORDER BY id DESC LIMIT " INT() ") i" \
    INBOX_JOINS " ORDER BY i.id DESC, ip.patient_id"

/* The sms_message row, described once (SQL column, field of sms_message_t,
 * kind): the SELECT list, the INSERT's columns and markers, the reader and
 * the argument array are all generated from these lists, so they cannot
 * disagree by position. Kinds: TEXT (a string or NULL), INT, I64 (a number
 * always given), OPT (a number, NULL for 0). */
#define SMS_MESSAGE_READ(X) \
    X(to_number, to, TEXT) X(patient_id, patient_id, TEXT) \
    X(phone_label, phone_label, TEXT) X(sender_id, sender_id, TEXT) \
    X(body, body, TEXT) X(encoding, encoding, TEXT) \
    X(segments, segments, INT) X(max_parts, max_parts, INT) \
    X(status, status, TEXT) X(error, error, TEXT) \
    X(external_id, external_id, TEXT) X(batch_id, batch_id, I64) \
    X(template_id, template_id, I64) X(sent_by, sent_by, TEXT) \
    X(created_at, created_at, I64) X(send_at, send_at, I64) \
    X(sent_at, sent_at, I64) X(delivered_at, delivered_at, I64) \
    X(next_attempt_at, next_attempt_at, I64) X(attempts, attempts, INT) \
    X(provider_ref, provider_ref, TEXT)
/* A new row's columns; updated_at (= created_at) closes the list. */
#define SMS_MESSAGE_INSERT(X) \
    X(to_number, to, TEXT) X(patient_id, patient_id, TEXT) \
    X(phone_label, phone_label, TEXT) X(sender_id, sender_id, TEXT) \
    X(body, body, TEXT) X(encoding, encoding, TEXT) \
    X(segments, segments, INT) X(max_parts, max_parts, INT) \
    X(status, status, TEXT) X(batch_id, batch_id, OPT) \
    X(template_id, template_id, OPT) X(sent_by, sent_by, TEXT) \
    X(created_at, created_at, I64) X(send_at, send_at, OPT) \
    X(next_attempt_at, next_attempt_at, OPT) \
    X(lease_owner, lease_owner, TEXT) X(lease_until, lease_until, OPT) \
    X(attempts, attempts, INT) X(provider_ref, provider_ref, TEXT)

/* What a column entry (col, field, kind) generates: its name (NAME the
 * first of a list, COMMA_NAME the others; I_ for the alias i.), its marker
 * (MARK, COMMA_MARK), "col = marker" (SET, COMMA_SET), a count (ONE), and
 * its descriptor (DESC, in a file that defines SMS_ROW as the struct). */
#define SMS_COL_NAME(col, field, kind) #col
#define SMS_COL_COMMA_NAME(col, field, kind) ", " #col
#define SMS_COL_NAME_COMMA(col, field, kind) #col ", "
#define SMS_COL_I_NAME(col, field, kind) "i." #col
#define SMS_COL_COMMA_I_NAME(col, field, kind) ", i." #col
#define SMS_COL_COMMA_M_NAME(col, field, kind) ", m." #col
#define SMS_COL_MARK_TEXT "%s"
#define SMS_COL_MARK_INT INT()
#define SMS_COL_MARK_I64 BIG()
#define SMS_COL_MARK_OPT BIG()
#define SMS_COL_MARK(col, field, kind) SMS_COL_MARK_##kind
#define SMS_COL_COMMA_MARK(col, field, kind) ", " SMS_COL_MARK_##kind
#define SMS_COL_MARK_COMMA(col, field, kind) SMS_COL_MARK_##kind ", "
#define SMS_COL_SET(col, field, kind) #col " = " SMS_COL_MARK_##kind
#define SMS_COL_COMMA_SET(col, field, kind) ", " SMS_COL_SET(col, field, kind)
#define SMS_COL_ONE(col, field, kind) +1
#define SMS_COL_DESC(col, field, kind) \
    {SMS_COL_##kind, offsetof(SMS_ROW, field)},

/* The other rows, described once the same way: ROW(F, X) gives the first
 * column to F and each other one to X, so that a list needs no leading
 * comma. The SELECT list, INSERT columns and markers, the argument array
 * and the reader of each are generated from its list. */

/* sms_template_row_t (sms_store_templates.c) */
#define SMS_TEMPLATE_ROW(F, X) \
    F(id, id, I64) X(name, name, TEXT) X(body, body, TEXT) \
    X(created_by, created_by, TEXT) X(created_at, created_at, I64) \
    X(updated_at, updated_at, I64)
/* A new template: updated_at is created_at. */
#define SMS_TEMPLATE_INSERT(F, X) \
    F(name, name, TEXT) X(body, body, TEXT) X(created_by, created_by, TEXT) \
    X(created_at, created_at, I64) X(updated_at, created_at, I64)
/* An edit: these columns, then the id the WHERE names. */
#define SMS_TEMPLATE_UPDATE(F, X) \
    F(name, name, TEXT) X(body, body, TEXT) X(updated_at, updated_at, I64)
#define TPL_COLS SMS_TEMPLATE_ROW(SMS_COL_NAME, SMS_COL_COMMA_NAME)
#define TPL_INSERT \
    "INSERT INTO sms_template (" \
    SMS_TEMPLATE_INSERT(SMS_COL_NAME, SMS_COL_COMMA_NAME) ") VALUES (" \
    SMS_TEMPLATE_INSERT(SMS_COL_MARK, SMS_COL_COMMA_MARK) ")"
#define TPL_UPDATE \
    "UPDATE sms_template SET " \
    SMS_TEMPLATE_UPDATE(SMS_COL_SET, SMS_COL_COMMA_SET) \
    " WHERE id = " BIG()

/* Columns of sms_message in the order sms_st_read_message() reads. */
#define MSG_COLS "id" SMS_MESSAGE_READ(SMS_COL_COMMA_NAME)
#define MSG_NCOLS (1 SMS_MESSAGE_READ(SMS_COL_ONE))

/* A new sms_message row: the columns and one row of markers
 * (sms_st_insert_args() gives the values in this order). */
#define MSG_INSERT \
    "INSERT INTO sms_message (" SMS_MESSAGE_INSERT(SMS_COL_NAME_COMMA) \
    "updated_at)"
#define MSG_ROW "(" SMS_MESSAGE_INSERT(SMS_COL_MARK_COMMA) BIG() ")"
#define MSG_ROW_ARGS (1 SMS_MESSAGE_INSERT(SMS_COL_ONE))

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
    " sent_at = COALESCE(v.column5, sent_at)," \
    " delivered_at = COALESCE(v.column6, delivered_at)," \
    " next_attempt_at = v.column7, attempts = attempts + v.column8," \
    " lease_owner = v.column9, lease_until = v.column10," \
    " updated_at = v.column11 FROM (VALUES "
#define TRANSITION_MANY_ROW "(%s, %s, %s, %s, " BIG() ", " BIG() ", " BIG() \
    ", " INT() ", %s, " BIG() ", " BIG() ", " BIG() ", %s)"
#define TRANSITION_MANY_TAIL \
    ") AS v WHERE sms_message.id = v.column12" \
    " AND sms_message.status = v.column13 RETURNING id"
#define EVENT_ARGS 4
#define EVENT_MANY_HEAD \
    "INSERT INTO sms_event (message_id, status, detail, created_at)" \
    " SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES "
#define EVENT_MANY_ROW "(" BIG() ", %s, %s, " BIG() ")"
#define EVENT_MANY_TAIL ") AS v WHERE v.column1 IS NOT NULL"

/* The host application's events: message.final for up to MANY_ROWS
 * messages just made final, from their rows (an INSERT ... SELECT of
 * sms_message's columns, not a row of ours: no descriptor); the pick of
 * due events,
 * the oldest undelivered one of each subject only. */
#define MANY_HEV_FINAL_LABEL "sms_hev_final_many"
#define HEV_FINAL_HEAD \
    "INSERT INTO sms_hostevent (type, subject, message_id, patient_id," \
    " status, number, batch_id, detail, created_at, next_attempt_at)" \
    " SELECT 'message.final', 'message:' || CAST(id AS TEXT), id," \
    " patient_id, status, to_number, batch_id, error, " BIG() ", " BIG() \
    " FROM sms_message WHERE id IN ("
#define HEV_FINAL_TAIL ") ORDER BY id"
#define HEV_PICK \
    "SELECT e.id FROM sms_hostevent e WHERE e.delivered_at IS NULL" \
    " AND e.next_attempt_at <= " BIG() \
    " AND (e.lease_until IS NULL OR e.lease_until < " BIG() ")" \
    " AND NOT EXISTS (SELECT 1 FROM sms_hostevent b" \
    " WHERE b.subject = e.subject AND b.delivered_at IS NULL AND b.id < e.id)" \
    " ORDER BY e.id LIMIT " INT()

#define CLAIM_PICK \
    "SELECT id FROM sms_message WHERE status IN ('queued', 'scheduled')" \
    " AND next_attempt_at <= " BIG() \
    " AND (lease_until IS NULL OR lease_until < " BIG() ")" \
    " ORDER BY next_attempt_at, id LIMIT " INT()

/* sms_optout_t (sms_store_optouts.c): the list reads and an opt-out
 * writes the same columns. */
#define SMS_OPTOUT_ROW(F, X) \
    F(number, number, TEXT) X(source, source, TEXT) \
    X(created_by, created_by, TEXT) X(created_at, created_at, I64)
#define OPTOUT_COLS SMS_OPTOUT_ROW(SMS_COL_NAME, SMS_COL_COMMA_NAME)
#define OPTOUT_INSERT \
    "INSERT INTO sms_optout (" OPTOUT_COLS ") VALUES (" \
    SMS_OPTOUT_ROW(SMS_COL_MARK, SMS_COL_COMMA_MARK) ")"

/* sms_audit_t (sms_store_audit.c): a new row's columns; the list reads
 * the id first. */
#define SMS_AUDIT_INSERT(F, X) \
    F(created_at, at, I64) X(username, user, TEXT) X(action, action, TEXT) \
    X(object, object, TEXT) X(patient_id, patient_id, TEXT) \
    X(client, client, TEXT)
#define SMS_AUDIT_ROW(F, X) F(id, id, I64) SMS_AUDIT_INSERT(X, X)
#define AUDIT_COLS SMS_AUDIT_ROW(SMS_COL_NAME, SMS_COL_COMMA_NAME)
#define AUDIT_INSERT \
    "INSERT INTO sms_audit (" \
    SMS_AUDIT_INSERT(SMS_COL_NAME, SMS_COL_COMMA_NAME) ") VALUES (" \
    SMS_AUDIT_INSERT(SMS_COL_MARK, SMS_COL_COMMA_MARK) ")"

/* sms_hostevent_t as the sender claims it (sms_store_events.c) */
#define SMS_HOSTEVENT_ROW(F, X) \
    F(id, id, I64) X(type, type, TEXT) X(message_id, message_id, I64) \
    X(patient_id, patient_id, TEXT) X(status, status, TEXT) \
    X(number, number, TEXT) X(batch_id, batch_id, I64) \
    X(detail, detail, TEXT) X(data, data, TEXT) \
    X(created_at, created_at, I64) X(attempts, attempts, INT)
/* A new event: fields of hev_insert_t (sms_store_events.c), the event e
 * with its subject and when it is due. */
#define SMS_HOSTEVENT_INSERT(F, X) \
    F(type, e.type, TEXT) X(subject, subject, TEXT) \
    X(message_id, e.message_id, OPT) X(patient_id, e.patient_id, TEXT) \
    X(status, e.status, TEXT) X(number, e.number, TEXT) \
    X(batch_id, e.batch_id, OPT) X(detail, e.detail, TEXT) \
    X(data, e.data, TEXT) X(created_at, e.created_at, I64) \
    X(next_attempt_at, next_attempt_at, I64)
#define HEV_COLS SMS_HOSTEVENT_ROW(SMS_COL_NAME, SMS_COL_COMMA_NAME)
#define HEV_INSERT \
    "INSERT INTO sms_hostevent (" \
    SMS_HOSTEVENT_INSERT(SMS_COL_NAME, SMS_COL_COMMA_NAME) ") VALUES (" \
    SMS_HOSTEVENT_INSERT(SMS_COL_MARK, SMS_COL_COMMA_MARK) ")"

/* sms_inbound_t, a reply (the thread: sms_store_patients.c); in is the
 * path to it in the struct read (empty, or in. for sms_inbox_item_t). */
#define SMS_INBOUND_ROW(F, X, in) \
    F(id, in id, I64) X(from_number, in from, TEXT) X(body, in body, TEXT) \
    X(message_id, in message_id, I64) X(received_at, in received_at, I64) \
    X(intent, in intent, TEXT) X(read_at, in read_at, I64) \
    X(read_by, in read_by, TEXT)
#define INBOUND_I_COLS SMS_INBOUND_ROW(SMS_COL_I_NAME, SMS_COL_COMMA_I_NAME, )
/* sms_inbox_item_t (sms_store_inbox.c): the reply and its keyword; then
 * the sms_message_t it answers (its id is the reply's message_id). */
#define SMS_INBOX_ROW(F, X) SMS_INBOUND_ROW(F, X, in.) X(keyword, keyword, TEXT)
#define SMS_INBOX_REPLY_TO(F, X) \
    F(body, body, TEXT) X(status, status, TEXT) \
    X(created_at, created_at, I64) X(patient_id, patient_id, TEXT)

/* sms_patient_t and sms_phone_row_t (sms_store_patients.c): what
 * SMSPatientQuery and SMSPatientPhonesQuery answer, by position; the
 * reference tables' queries, the column counts and the shapes the startup
 * check names are generated from these. */
#define SMS_PATIENT_ROW(F, X) \
    F(id, id, TEXT) X(first_name, first_name, TEXT) \
    X(last_name, last_name, TEXT)
#define SMS_PHONE_ROW(F, X) \
    F(label, label, TEXT) X(number, number, TEXT) \
    X(is_default, is_default, BOOL)
#define PATIENT_COLS SMS_PATIENT_ROW(SMS_COL_NAME, SMS_COL_COMMA_NAME)
#define PATIENT_NCOLS (0 SMS_PATIENT_ROW(SMS_COL_ONE, SMS_COL_ONE))
#define PHONE_COLS SMS_PHONE_ROW(SMS_COL_NAME, SMS_COL_COMMA_NAME)
#define PHONE_NCOLS (0 SMS_PHONE_ROW(SMS_COL_ONE, SMS_COL_ONE))

/* A delivery receipt and an inbound reply as stored: fields of dlr_row_t
 * and inbound_row_t (sms_store_callbacks.c). */
#define SMS_DLR_INSERT(F, X) \
    F(message_id, message_id, OPT) X(smsref, smsref, TEXT) \
    X(ref, ref, TEXT) X(to_number, to, TEXT) X(status, status, TEXT) \
    X(received_at, received_at, I64) X(dedup_key, key, TEXT)
#define SMS_INBOUND_INSERT(F, X) \
    F(from_number, from, TEXT) X(to_number, to, TEXT) X(body, body, TEXT) \
    X(ref, ref, TEXT) X(message_id, message_id, OPT) \
    X(keyword, keyword, TEXT) X(received_at, received_at, I64) \
    X(dedup_key, key, TEXT) X(dedup_bucket, bucket, I64) \
    X(intent, intent, TEXT)
#define DLR_INSERT \
    "INSERT INTO sms_dlr (" SMS_DLR_INSERT(SMS_COL_NAME, SMS_COL_COMMA_NAME) \
    ") VALUES (" SMS_DLR_INSERT(SMS_COL_MARK, SMS_COL_COMMA_MARK) ")"
#define INBOUND_INSERT \
    "INSERT INTO sms_inbound (" \
    SMS_INBOUND_INSERT(SMS_COL_NAME, SMS_COL_COMMA_NAME) ") VALUES (" \
    SMS_INBOUND_INSERT(SMS_COL_MARK, SMS_COL_COMMA_MARK) ")"

/* sms_event_t, a message's event as listed (sms_store_messages.c); it is
 * written with its message_id (sms_event_insert, EVENT_MANY_ROW). */
#define SMS_EVENT_ROW(F, X) \
    F(status, status, TEXT) X(detail, detail, TEXT) X(created_at, at, I64)
#define EVENT_COLS SMS_EVENT_ROW(SMS_COL_NAME, SMS_COL_COMMA_NAME)

/* clang-format on */

/* A column of a row descriptor: its kind (see SMS_MESSAGE_READ; BOOL, read
 * only: 1, t, true, y, yes as the host's tables may spell it) and where it
 * lives in the row's struct. */
typedef enum {
    SMS_COL_TEXT,
    SMS_COL_INT,
    SMS_COL_I64,
    SMS_COL_OPT,
    SMS_COL_BOOL
} sms_col_kind_e;
typedef struct {
    sms_col_kind_e kind;
    size_t offset;
} sms_col_t;

#define SMS_NCOLS(cols) ((int)(sizeof(cols) / sizeof(*(cols))))

typedef struct {
    const char *label;
    const char *sql;   /* both drivers, unless pgsql says otherwise */
    const char *pgsql; /* PostgreSQL's own text, or NULL */
} sms_statement_t;

/* A patient query: the reference tables' text until SMSPatient*Query
 * replaces it (sms_store_patient_queries); sql NULL: not used. columns 0:
 * any number of columns but none. */
typedef struct {
    const char *label;
    const char *sql;
    int markers;
    const char *directive;
    int columns;
    const char *shape;
} sms_patient_query_t;

/* A statement of MANY_ROWS rows: a head, the rows separated by commas, a
 * tail. */
typedef struct {
    const char *label, *head, *row, *tail;
} sms_many_t;

/* sms_store_sql.c */
extern const sms_statement_t sms_st_statements[];
extern const apr_size_t sms_st_nstatements;
extern sms_patient_query_t sms_st_patient_queries[];
extern const apr_size_t sms_st_npatient_queries;
extern const char sms_st_access_reference[];
extern const sms_many_t sms_st_many[];
extern const apr_size_t sms_st_nmany;

#define ARGS(...)                                                              \
    (sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), (const char *[]) \
    {                                                                          \
        __VA_ARGS__                                                            \
    }

/* sms_store_db.c: helpers for every store file */
/* Column i of a row, NULL for SQL NULL. */
const char *sms_st_col(sms_db_t *db, apr_dbd_row_t *row, int i);
/* The prepared statement of label on this connection. */
apr_dbd_prepared_t *sms_st_stmt(sms_db_t *db, const char *label);
/* The one integer a select answers. */
apr_status_t sms_st_select_int(long *out, sms_db_t *db, const char *label,
                               apr_pool_t *p);
/* The text of the MANY_ROWS statement number which. */
const char *sms_st_many_sql(apr_size_t which, apr_pool_t *p);
/* Numbers as text parameters; opt64 gives NULL for 0. */
const char *sms_st_i64(apr_pool_t *p, apr_int64_t v);
const char *sms_st_opt64(apr_pool_t *p, apr_int64_t v);
apr_int64_t sms_st_to64(const char *v);
const char *sms_st_dup_or_null(apr_pool_t *p, const char *v);
/* Row descriptors: read columns first.. of row into the struct at out by
 * cols; write the arguments of a struct's columns by cols (numbers as
 * text, OPT 0 as NULL); read every row of res into a new array of structs
 * of size bytes (byref: of pointers to them). */
void sms_st_read_cols(void *out, const sms_col_t *cols, int n, int first,
                      sms_db_t *db, apr_dbd_row_t *row, apr_pool_t *p);
void sms_st_col_args(const char **args, const void *in, const sms_col_t *cols,
                     int n, apr_pool_t *p);
apr_array_header_t *sms_st_read_rows(sms_db_t *db, apr_dbd_results_t *res,
                                     const sms_col_t *cols, int n,
                                     apr_size_t size, int byref, int nalloc,
                                     apr_pool_t *p);
/* Log a driver error for label; always APR_EGENERAL. */
apr_status_t sms_st_db_error(sms_db_t *db, const char *label, int rc,
                             apr_pool_t *p);
/* Transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT ...) as a plain
 * statement: the only statements not prepared, as apr-util prepares with
 * SQL PREPARE, which takes no transaction control (sms_store_db.c). */
apr_status_t sms_st_plain(sms_db_t *db, const char *sql, apr_pool_t *p);
/* The process's SQLite write lock (sms_store_child_init). */
apr_status_t sms_st_lock_init(apr_pool_t *pchild);
/* Run a prepared write with text arguments. */
apr_status_t sms_st_run(int *nrows, sms_db_t *db, const char *label,
                        apr_pool_t *p, int nargs, const char **args);
/* Run a prepared select with text arguments. */
apr_status_t sms_st_query(apr_dbd_results_t **res, sms_db_t *db,
                          const char *label, apr_pool_t *p, int nargs,
                          const char **args);
/* The one id an INSERT ... RETURNING id answers; drains the result. */
apr_status_t sms_st_returning_id(apr_int64_t *id, sms_db_t *db,
                                 const char *label, apr_pool_t *p, int nargs,
                                 const char **args);

/* SQLite's one writer per process: take the lock for a statement outside
 * a transaction; returns whether it must be given back. */
int sms_st_write_lock(sms_db_t *db);
void sms_st_write_unlock(int locked);

/* sms_store_callbacks.c: whether a select by label answers a row. */
apr_status_t sms_st_exists(int *found, sms_db_t *db, const char *label,
                           apr_pool_t *p, int nargs, const char **args);

/* sms_store_messages.c: the message row, read and written */
/* The one message a select by label answers, or *m NULL. */
apr_status_t sms_st_one_message(sms_message_t **m, sms_db_t *db,
                                const char *label, apr_pool_t *p, int nargs,
                                const char **args);
sms_message_t *sms_st_read_message(sms_db_t *db, apr_dbd_row_t *row,
                                   apr_pool_t *p);
apr_status_t sms_st_read_messages(apr_array_header_t **out, sms_db_t *db,
                                  apr_dbd_results_t *res, apr_pool_t *p);
void sms_st_insert_args(const char **args, const sms_message_t *m,
                        apr_pool_t *p);
apr_status_t sms_st_insert_event(sms_db_t *db, apr_int64_t id,
                                 const char *status, const char *detail,
                                 apr_time_t at, apr_pool_t *p);

#endif /* SMS_STORE_PRIVATE_H */
