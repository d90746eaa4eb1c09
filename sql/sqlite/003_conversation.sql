-- mod_sms schema, version 3: indexes that make a conversation poll one
-- indexed look-up (the newest change of a patient's thread).
BEGIN;
CREATE INDEX sms_message_patient_updated ON sms_message (patient_id, updated_at);
CREATE INDEX sms_inbound_patient_latest ON sms_inbound_patient (patient_id, inbound_id);
INSERT INTO sms_schema (version, applied_at) VALUES (3, CAST(strftime('%s', 'now') AS INTEGER) * 1000000);
COMMIT;
