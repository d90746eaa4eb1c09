/*
 * sms_store_sql.c - every SQL statement of mod_sms, in one table.
 *
 * Statements are written once, in the portable subset both sqlite3 and
 * pgsql accept, with apr_dbd's %s/%d markers. They are prepared per
 * connection (sms_store_db.c, not through ap_dbd_prepare) so that a
 * database without our schema still yields a working connection: mod_dbd
 * would otherwise fail to construct it and the module could only say
 * "database down".
 */
#include "sms_store_private.h"

/* SQL is laid out by hand: one clause a line, as it reads. */
/* clang-format off */
const sms_statement_t sms_st_statements[] = {
    {"sms_queue_depth",
     "SELECT count(*) FROM sms_message"
     " WHERE status IN ('queued', 'scheduled', 'sending')", NULL},
    {"sms_msg_insert", MSG_INSERT " VALUES " MSG_ROW " RETURNING id", NULL},
    {"sms_msg_get", "SELECT " MSG_COLS " FROM sms_message WHERE id = " BIG(),
     NULL},
    {"sms_event_insert",
     "INSERT INTO sms_event (message_id, status, detail, created_at)"
     " VALUES (" BIG() ", %s, %s, " BIG() ")", NULL},
    /* the message view's reply (the list has it in its own statement) */
    {"sms_msg_reply",
     "SELECT id, intent, received_at FROM sms_inbound"
     " WHERE id = " REPLY_LATEST(BIG()), NULL},
    {"sms_event_list",
     "SELECT " EVENT_COLS " FROM sms_event"
     " WHERE message_id = " BIG() " ORDER BY id", NULL},
    /* history: one statement per leading filter, so the index of that
     * column serves it ("? IS NULL OR col = ?" alone defeats indexes);
     * every variant takes the same arguments */
    {"sms_msg_list", MSG_LIST(ANY, ANY, ANY, ANY), NULL},
    {"sms_msg_list_patient", MSG_LIST(ANY, EQ, ANY, ANY), NULL},
    {"sms_msg_list_phone", MSG_LIST(ANY, ANY, EQ, ANY), NULL},
    {"sms_msg_list_batch", MSG_LIST(ANY, ANY, ANY, EQ), NULL},
    {"sms_msg_list_status", MSG_LIST(EQ, ANY, ANY, ANY), NULL},
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
    {"sms_tpl_insert", TPL_INSERT " RETURNING id", NULL},
    {"sms_tpl_get",
     "SELECT " TPL_COLS " FROM sms_template WHERE id = " BIG(), NULL},
    {"sms_tpl_list",
     "SELECT " TPL_COLS " FROM sms_template ORDER BY name", NULL},
    {"sms_tpl_update", TPL_UPDATE, NULL},
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
    {"sms_dlr_insert", DLR_INSERT, NULL},
    {"sms_inbound_seen",
     "SELECT id FROM sms_inbound WHERE dedup_key = %s"
     " AND dedup_bucket IN (" BIG() ", " BIG() ")", NULL},
    {"sms_inbound_insert", INBOUND_INSERT " RETURNING id", NULL},
    {"sms_inbound_link",
     "INSERT INTO sms_inbound_patient (inbound_id, patient_id)"
     " VALUES (" BIG() ", %s)", NULL},
    {"sms_optout_check", "SELECT number FROM sms_optout WHERE number = %s",
     NULL},
    {"sms_optout_add", OPTOUT_INSERT, NULL},
    {"sms_optout_remove", "DELETE FROM sms_optout WHERE number = %s", NULL},
    {"sms_optout_list",
     "SELECT " OPTOUT_COLS " FROM sms_optout"
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
     "SELECT " INBOUND_I_COLS
     " FROM sms_inbound_patient ip JOIN sms_inbound i ON i.id = ip.inbound_id"
     " WHERE ip.patient_id = %s AND ip.inbound_id > " BIG()
     " ORDER BY ip.inbound_id", NULL},
    /* the inbox (sms_store_inbox.c): lists and counts on the partial
     * indexes of what is unread (schema 7) */
    {"sms_inbox_list_all", INBOX_LIST(""), NULL},
    {"sms_inbox_list_unread", INBOX_LIST("read_at IS NULL AND "), NULL},
    {"sms_inbox_list_unclear",
     INBOX_LIST("read_at IS NULL AND intent = 'unclear' AND "), NULL},
    {"sms_inbox_get",
     "SELECT " INBOX_COLS " FROM sms_inbound i" INBOX_JOINS
     " WHERE i.id = " BIG() " ORDER BY ip.patient_id", NULL},
    {"sms_inbox_read",
     "UPDATE sms_inbound SET read_at = " BIG() ", read_by = %s"
     " WHERE id = " BIG() " AND read_at IS NULL", NULL},
    {"sms_inbox_unread",
     "UPDATE sms_inbound SET read_at = NULL, read_by = NULL"
     " WHERE id = " BIG() " AND read_at IS NOT NULL", NULL},
    /* one-column projections, not rows: the badge counts; the unread
     * replies' intents and links (no descriptor) */
    {"sms_inbox_counts",
     "SELECT (SELECT count(*) FROM sms_inbound WHERE read_at IS NULL),"
     " (SELECT count(*) FROM sms_inbound WHERE read_at IS NULL"
     " AND intent = 'unclear')", NULL},
    {"sms_inbox_unread_links",
     "SELECT i.id, i.intent, ip.patient_id FROM sms_inbound i"
     " LEFT JOIN sms_inbound_patient ip ON ip.inbound_id = i.id"
     " WHERE i.read_at IS NULL ORDER BY i.id, ip.patient_id", NULL},
    /* a page of the thread, newest first: each side below its own id
     * bound, on the (patient_id, id) indexes */
    {"sms_thread_out_page",
     "SELECT " MSG_COLS " FROM sms_message WHERE patient_id = %s"
     " AND id < " BIG() " ORDER BY id DESC LIMIT " INT(), NULL},
    {"sms_thread_in_page",
     "SELECT " INBOUND_I_COLS
     " FROM sms_inbound_patient ip JOIN sms_inbound i ON i.id = ip.inbound_id"
     " WHERE ip.patient_id = %s AND ip.inbound_id < " BIG()
     " ORDER BY ip.inbound_id DESC LIMIT " INT(), NULL},
    /* metrics and mod_status (sms_store_metrics.c): one statement, so
     * one snapshot; (kind, status, figure) rows */
    {"sms_figures",
     "SELECT 'status', status, count(*) FROM sms_message GROUP BY status"
     " UNION ALL SELECT 'receipts', '', count(*) FROM sms_dlr"
     " UNION ALL SELECT 'replies', '', count(*) FROM sms_inbound"
     " UNION ALL SELECT 'optouts', '', count(*) FROM sms_optout"
     " UNION ALL SELECT 'due', '', count(*) FROM sms_message"
     " WHERE status IN ('queued', 'scheduled') AND next_attempt_at <= " BIG()
     " UNION ALL SELECT 'oldest_due', '', min(next_attempt_at)"
     " FROM sms_message WHERE status IN ('queued', 'scheduled')"
     " AND next_attempt_at <= " BIG()
     " UNION ALL SELECT 'events_pending', '', count(*) FROM sms_hostevent"
     " WHERE delivered_at IS NULL", NULL},
    {"sms_phone_e164_pending",
     "SELECT id, number FROM sms_patient_phone WHERE e164 IS NULL"
     " ORDER BY id LIMIT 100", NULL},
    {"sms_phone_e164_set",
     "UPDATE sms_patient_phone SET e164 = %s"
     " WHERE id = " BIG() " AND number = %s AND e164 IS NULL", NULL},
    {"sms_audit_insert", AUDIT_INSERT, NULL},
    {"sms_audit_list",
     "SELECT " AUDIT_COLS " FROM sms_audit WHERE " ANY("username", "=", "%s")
     " AND " ANY("patient_id", "=", "%s") " AND " ANY("action", "=", "%s")
     " AND " ANY("created_at", ">=", BIG())
     " AND " ANY("created_at", "<", BIG())
     " AND " ANY("id", "<", BIG())
     " ORDER BY id DESC LIMIT " INT(), NULL},
    /* the host application's events (sms_store_events.c) */
    {"sms_hev_insert", HEV_INSERT, NULL},
    {"sms_hev_claim",
     "UPDATE sms_hostevent SET lease_owner = %s, lease_until = " BIG()
     " WHERE id IN (" HEV_PICK ")",
     "UPDATE sms_hostevent SET lease_owner = %s, lease_until = " BIG()
     " WHERE id IN (" HEV_PICK " FOR UPDATE SKIP LOCKED)"},
    {"sms_hev_claimed",
     "SELECT " HEV_COLS " FROM sms_hostevent"
     " WHERE lease_owner = %s AND delivered_at IS NULL ORDER BY id", NULL},
    {"sms_hev_done",
     "UPDATE sms_hostevent SET delivered_at = " BIG() ","
     " attempts = attempts + 1, last_error = NULL, lease_owner = NULL,"
     " lease_until = NULL WHERE id = " BIG() " AND lease_owner = %s", NULL},
    {"sms_hev_retry",
     "UPDATE sms_hostevent SET next_attempt_at = " BIG() ","
     " attempts = attempts + 1, last_error = %s, lease_owner = NULL,"
     " lease_until = NULL WHERE id = " BIG() " AND lease_owner = %s", NULL},
    {"sms_hev_release",
     "UPDATE sms_hostevent SET lease_owner = NULL, lease_until = NULL"
     " WHERE lease_owner = %s AND delivered_at IS NULL", NULL},
    {"sms_hev_purge",
     "DELETE FROM sms_hostevent WHERE delivered_at < " BIG(), NULL},
    {"sms_balance_claim",
     "UPDATE sms_state SET updated_at = " BIG()
     " WHERE name = 'balance_checked' AND updated_at <= " BIG(), NULL},
};

const apr_size_t sms_st_nstatements =
    sizeof(sms_st_statements) / sizeof(*sms_st_statements);

/* The reference tables' patient queries; SMSPatient*Query replaces them. */
sms_patient_query_t sms_st_patient_queries[] = {
    {"sms_patient",
     "SELECT " PATIENT_COLS " FROM sms_patient WHERE id = %s", 1,
     "SMSPatientQuery", PATIENT_NCOLS, "(" PATIENT_COLS ")"},
    {"sms_patient_phones",
     "SELECT " PHONE_COLS " FROM sms_patient_phone"
     " WHERE patient_id = %s ORDER BY is_default DESC, id", 1,
     "SMSPatientPhonesQuery", PHONE_NCOLS, "(" PHONE_COLS ")"},
    /* equal E.164 numbers only, never a suffix (e164: schema 4, filled
     * by sms_store_patient_phones_e164); one column, a projection */
    {"sms_patient_by_phone",
     "SELECT DISTINCT patient_id FROM sms_patient_phone WHERE e164 = %s", 1,
     "SMSPatientByPhoneQuery", 1, "(patient_id)"},
    /* off (NULL) until SMSPatientAccessQuery names a query; markers: the
     * user, then the patient id; any row grants */
    {SMS_ACCESS_LABEL, NULL, 2, "SMSPatientAccessQuery", 0,
     "at least one column"},
};

/* SMSPatientAccessQuery reference: the reference table sms_patient_access,
 * where patient_id '*' grants every patient. */
const char sms_st_access_reference[] =
    "SELECT 1 FROM sms_patient_access WHERE username = %s"
    " AND (patient_id = %s OR patient_id = '*')";

const apr_size_t sms_st_npatient_queries =
    sizeof(sms_st_patient_queries) / sizeof(*sms_st_patient_queries);

/* The statements with MANY_ROWS rows: a head, MANY_ROWS rows separated
 * by commas, a tail. */
const sms_many_t sms_st_many[] = {
    {MANY_INSERT_LABEL, MSG_INSERT " VALUES ", MSG_ROW, ""},
    {MANY_OPTOUT_LABEL, "SELECT number FROM sms_optout WHERE number IN (",
     "%s", ")"},
    {MANY_TRANSITION_LABEL, TRANSITION_MANY_HEAD, TRANSITION_MANY_ROW,
     TRANSITION_MANY_TAIL},
    {MANY_EVENT_LABEL, EVENT_MANY_HEAD, EVENT_MANY_ROW, EVENT_MANY_TAIL},
    {MANY_HEV_FINAL_LABEL, HEV_FINAL_HEAD, BIG(), HEV_FINAL_TAIL},
};

const apr_size_t sms_st_nmany = sizeof(sms_st_many) / sizeof(*sms_st_many);
/* clang-format on */
