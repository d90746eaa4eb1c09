-- mod_sms schema, version 1 (SQLite). Times are microseconds since the
-- Unix epoch (UTC), so both drivers store and compare them the same way.
PRAGMA journal_mode = WAL;

BEGIN;

CREATE TABLE sms_schema (
    version     INTEGER PRIMARY KEY,
    applied_at  INTEGER NOT NULL
);

CREATE TABLE sms_batch (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_by  TEXT,
    created_at  INTEGER NOT NULL,
    recipients  INTEGER NOT NULL DEFAULT 0,
    segments    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sms_template (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    body        TEXT NOT NULL,
    created_by  TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE sms_message (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    to_number       TEXT NOT NULL,
    patient_id      TEXT,
    phone_label     TEXT,
    sender_id       TEXT,
    body            TEXT NOT NULL,
    encoding        TEXT NOT NULL CHECK (encoding IN ('GSM-7', 'UCS-2')),
    segments        INTEGER NOT NULL,
    max_parts       INTEGER NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('scheduled', 'queued',
                        'sending', 'sent', 'delivered', 'expired', 'failed',
                        'unknown', 'cancelled')),
    error           TEXT,
    external_id     TEXT,
    batch_id        INTEGER REFERENCES sms_batch (id),
    template_id     INTEGER REFERENCES sms_template (id) ON DELETE SET NULL,
    sent_by         TEXT,
    created_at      INTEGER NOT NULL,
    send_at         INTEGER,
    next_attempt_at INTEGER,
    lease_owner     TEXT,
    lease_until     INTEGER,
    sent_at         INTEGER,
    delivered_at    INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    provider_ref    TEXT,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX sms_message_due ON sms_message (status, next_attempt_at);
CREATE INDEX sms_message_patient ON sms_message (patient_id, id);
CREATE INDEX sms_message_to ON sms_message (to_number, id);
CREATE INDEX sms_message_batch ON sms_message (batch_id, status);
CREATE INDEX sms_message_external ON sms_message (external_id);
CREATE INDEX sms_message_ref ON sms_message (provider_ref, to_number);
CREATE INDEX sms_message_lease ON sms_message (lease_owner);
CREATE INDEX sms_message_created ON sms_message (created_at);

CREATE TABLE sms_event (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  INTEGER NOT NULL REFERENCES sms_message (id),
    status      TEXT NOT NULL,
    detail      TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX sms_event_message ON sms_event (message_id, id);

-- Idempotency-Key: the first response to (user, key), for 24 hours.
CREATE TABLE sms_idempotency (
    username     TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER,            -- NULL while the first request runs
    response     TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (username, idem_key)
);

-- Small shared facts, e.g. the provider refusing our credentials.
CREATE TABLE sms_state (
    name        TEXT PRIMARY KEY,
    value       TEXT,
    updated_at  INTEGER NOT NULL
);

INSERT INTO sms_schema (version, applied_at)
    VALUES (1, CAST(strftime('%s', 'now') AS INTEGER) * 1000000);

COMMIT;
