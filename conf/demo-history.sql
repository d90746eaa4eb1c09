-- Demo history for `make run` (loaded once, with demo-patients.sql, into an
-- empty demo database): a living thread for Ann Lee (patient 17) with a
-- reminder, her replies, a message to another of her numbers that failed
-- and why, and one message for Bob Ng. Portable SQL (SQLite and
-- PostgreSQL): no explicit ids, times in microseconds since the epoch.
INSERT INTO sms_message (to_number, patient_id, phone_label, sender_id, body,
    encoding, segments, max_parts, status, error, external_id, sent_by,
    created_at, sent_at, delivered_at, attempts, updated_at) VALUES
  ('61412345678', '17', 'Mobile', 'WalkEasy',
   'Hi Ann, this is WalkEasy Clinic: your appointment is on Tuesday 2 Dec at 10:30. Reply Y to confirm or N to cancel.',
   'GSM-7', 1, 5, 'delivered', NULL, 'demo-1', 'demo',
   1795602600000000, 1795602601000000, 1795602606000000, 1, 1795602606000000),
  ('61298765432', '17', 'Phone', 'WalkEasy',
   'Hi Ann, please call us on 02 9876 0000 about your referral.',
   'GSM-7', 1, 5, 'failed', 'Invalid Number (the provider refused it: a landline cannot take SMS)', NULL, 'demo',
   1795602900000000, NULL, NULL, 1, 1795602902000000),
  ('61412345678', '17', 'Mobile', 'WalkEasy',
   'Thanks Ann, see you on Tuesday. Bring your orthotics, please.',
   'GSM-7', 1, 5, 'delivered', NULL, 'demo-3', 'demo',
   1795606500000000, 1795606501000000, 1795606509000000, 1, 1795606509000000),
  ('61413000111', '18', 'Mobile', 'WalkEasy',
   'Hi Bob, your new insoles are ready for pick-up at WalkEasy.',
   'GSM-7', 1, 5, 'delivered', NULL, 'demo-4', 'demo',
   1795615200000000, 1795615201000000, 1795615205000000, 1, 1795615205000000);

INSERT INTO sms_event (message_id, status, detail, created_at)
SELECT id, 'queued', 'accepted', created_at FROM sms_message;
INSERT INTO sms_event (message_id, status, detail, created_at)
SELECT id, 'sent', 'smsref ' || external_id, sent_at FROM sms_message WHERE sent_at IS NOT NULL;
INSERT INTO sms_event (message_id, status, detail, created_at)
SELECT id, status, CASE status WHEN 'failed' THEN error ELSE 'delivery receipt' END, updated_at
FROM sms_message WHERE status IN ('delivered', 'failed');

-- the replies' intents as the webhook gives them (API.md section 7)
INSERT INTO sms_inbound (from_number, to_number, body, ref, message_id, keyword,
    received_at, dedup_key, dedup_bucket, intent)
SELECT '61412345678', 'WalkEasy', 'Y', CAST(id AS TEXT), id, NULL,
       1795603500000000, 'demo-inbound-1', 0, 'confirm'
FROM sms_message WHERE external_id = 'demo-1';
INSERT INTO sms_inbound (from_number, to_number, body, ref, message_id, keyword,
    received_at, dedup_key, dedup_bucket, intent)
SELECT '61412345678', 'WalkEasy', 'Will do. Can I park out the front?', CAST(id AS TEXT), id, NULL,
       1795607400000000, 'demo-inbound-2', 0, 'unclear'
FROM sms_message WHERE external_id = 'demo-3';
INSERT INTO sms_inbound_patient (inbound_id, patient_id)
SELECT id, '17' FROM sms_inbound WHERE dedup_key LIKE 'demo-inbound-%';
