-- mod_sms schema, version 6: what a reply means (API.md section 7):
-- 'confirm', 'cancel', 'unclear', or NULL for an opt-out/opt-in keyword
-- or a reply that answers no message.
BEGIN;
ALTER TABLE sms_inbound ADD COLUMN intent TEXT
    CHECK (intent IN ('confirm', 'cancel', 'unclear'));
INSERT INTO sms_schema (version, applied_at) VALUES (6, (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT);
COMMIT;
