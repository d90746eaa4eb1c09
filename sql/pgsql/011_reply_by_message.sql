-- mod_sms schema, version 11: the replies to a message, found by the
-- message (the history shows each message's latest reply, API.md section
-- 7): max(id) of a message's replies is one step down this index.
BEGIN;
CREATE INDEX sms_inbound_message ON sms_inbound (message_id, id);
INSERT INTO sms_schema (version, applied_at) VALUES (11, (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT);
COMMIT;
