-- mod_sms schema, version 7: the inbox (API.md section 7). A reply is
-- unread until a user marks it read: read_at (microseconds, UTC) and
-- read_by (the user) are set together and cleared together ("mark
-- unread"). Replies received before this version count as read (by
-- nobody: read_by NULL), so an upgrade does not fill the inbox with the
-- past.
-- Partial indexes keep the inbox's lists (newest first) and its badge
-- counts proportional to what is still unread, not to every reply ever
-- received; "all" is served by the primary key.
BEGIN;
ALTER TABLE sms_inbound ADD COLUMN read_at BIGINT;
UPDATE sms_inbound SET read_at = (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT;
ALTER TABLE sms_inbound ADD COLUMN read_by TEXT;
CREATE INDEX sms_inbound_unread ON sms_inbound (id) WHERE read_at IS NULL;
CREATE INDEX sms_inbound_unclear ON sms_inbound (id)
    WHERE read_at IS NULL AND intent = 'unclear';
INSERT INTO sms_schema (version, applied_at) VALUES (7, (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT);
COMMIT;
