-- mod_sms schema, version 2: provider callbacks (delivery receipts,
-- inbound replies), the opt-out list, and the reference patient tables
-- the SMSPatient*Query defaults read.
BEGIN;

-- Reference patients. A site with its own tables points the
-- SMSPatient*Query directives at them instead.
CREATE TABLE sms_patient (
    id          TEXT PRIMARY KEY,
    first_name  TEXT NOT NULL,
    last_name   TEXT NOT NULL
);

-- A patient's numbers as the clinic typed them; digits is the number
-- without formatting, for matching (0412 345 678 -> 0412345678,
-- +61 412 345 678 -> 61412345678).
CREATE TABLE sms_patient_phone (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id  TEXT NOT NULL REFERENCES sms_patient (id) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    number      TEXT NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    digits      TEXT GENERATED ALWAYS AS (
        replace(replace(replace(replace(replace(replace(number, '+', ''),
            ' ', ''), '-', ''), '(', ''), ')', ''), '.', '')) STORED
);
CREATE INDEX sms_patient_phone_patient ON sms_patient_phone (patient_id);
CREATE INDEX sms_patient_phone_digits ON sms_patient_phone (digits);

-- Delivery receipts as received; dedup_key makes a repeated report a no-op.
CREATE TABLE sms_dlr (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  INTEGER REFERENCES sms_message (id),
    smsref      TEXT,
    ref         TEXT,
    to_number   TEXT,
    status      TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    dedup_key   TEXT NOT NULL UNIQUE
);
CREATE INDEX sms_dlr_message ON sms_dlr (message_id);

-- Replies from patients. The provider may repeat a call: the same
-- (from, to, ref, text) within a ten-minute bucket is stored once.
CREATE TABLE sms_inbound (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    from_number TEXT NOT NULL,
    to_number   TEXT,
    body        TEXT NOT NULL,
    ref         TEXT,
    message_id  INTEGER REFERENCES sms_message (id),
    keyword     TEXT,
    received_at INTEGER NOT NULL,
    dedup_key   TEXT NOT NULL,
    dedup_bucket INTEGER NOT NULL,
    UNIQUE (dedup_key, dedup_bucket)
);
CREATE INDEX sms_inbound_from ON sms_inbound (from_number, id);

CREATE TABLE sms_inbound_patient (
    inbound_id  INTEGER NOT NULL REFERENCES sms_inbound (id) ON DELETE CASCADE,
    patient_id  TEXT NOT NULL,
    PRIMARY KEY (inbound_id, patient_id)
);
CREATE INDEX sms_inbound_patient_patient ON sms_inbound_patient (patient_id);

-- Numbers that must never be sent to (STOP), until they opt back in.
CREATE TABLE sms_optout (
    number      TEXT PRIMARY KEY,
    source      TEXT NOT NULL,       -- 'inbound' or 'user'
    created_by  TEXT,
    created_at  INTEGER NOT NULL
);

INSERT INTO sms_schema (version, applied_at) VALUES (2, CAST(strftime('%s', 'now') AS INTEGER) * 1000000);

COMMIT;
