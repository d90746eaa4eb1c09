-- mod_sms schema, version 8: the event outbox of the host application
-- (SMSEventURL, API.md section 7). A row is written in the transaction of
-- the change it reports and delivered by the background sender, in id
-- order per subject (a message, a number), at least once.
BEGIN;
CREATE TABLE sms_hostevent (
    id              BIGSERIAL PRIMARY KEY,
    type            TEXT NOT NULL
                    CHECK (type IN ('message.final', 'inbound.received',
                                    'optout.changed', 'balance.low')),
    subject         TEXT NOT NULL,
    message_id      BIGINT,
    patient_id      TEXT,
    status          TEXT,
    number          TEXT,
    batch_id        BIGINT,
    detail          TEXT,
    data            TEXT,
    created_at      BIGINT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    delivered_at    BIGINT,
    last_error      TEXT
);
-- what waits, by subject (the first of each subject goes first) and by due
-- time; delivered rows leave both indexes
CREATE INDEX sms_hostevent_subject ON sms_hostevent (subject, id)
    WHERE delivered_at IS NULL;
CREATE INDEX sms_hostevent_due ON sms_hostevent (next_attempt_at, id)
    WHERE delivered_at IS NULL;
-- SMSLowBalance: when the provider's balance was last asked (shared by
-- every child and server: one asks at a time)
INSERT INTO sms_state (name, value, updated_at) VALUES ('balance_checked', NULL, 0);
INSERT INTO sms_schema (version, applied_at) VALUES (8, (EXTRACT(EPOCH FROM now()) * 1000000)::BIGINT);
COMMIT;
