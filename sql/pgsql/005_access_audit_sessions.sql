-- mod_sms schema, version 5: who may see which patient (the reference
-- table of SMSPatientAccessQuery reference), the audit trail (sms_audit:
-- appended by mod_sms, never updated or deleted by it), and server-side
-- sessions for mod_session_dbd on the module's own database.
BEGIN;

-- A user may see a patient when a row links them; patient_id '*' grants
-- every patient (a supervisor, say). A site with its own access rules
-- points SMSPatientAccessQuery at them instead.
CREATE TABLE sms_patient_access (
    username    TEXT NOT NULL,
    patient_id  TEXT NOT NULL,
    PRIMARY KEY (username, patient_id)
);

-- Who did what: every send, bulk, template change, opt-out change and
-- every read of a patient's messages. object is an id (message, batch,
-- template) or a masked number (opt-outs); never message text.
CREATE TABLE sms_audit (
    id          BIGSERIAL PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    username    TEXT NOT NULL,
    action      TEXT NOT NULL,
    object      TEXT,
    patient_id  TEXT,
    client      TEXT
);
CREATE INDEX sms_audit_user ON sms_audit (username, id);
CREATE INDEX sms_audit_patient ON sms_audit (patient_id, id);
CREATE INDEX sms_audit_action ON sms_audit (action, id);

-- mod_session_dbd's sessions (DBDPrepareSQL statements in conf/demo.conf
-- and README): logout deletes the row, so an old cookie names nothing.
CREATE TABLE sms_session (
    session_key TEXT PRIMARY KEY,
    value       TEXT,
    expiry      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sms_session_expiry ON sms_session (expiry);

INSERT INTO sms_schema (version, applied_at) VALUES (5, (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT);
COMMIT;
