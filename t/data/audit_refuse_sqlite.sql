-- t/api/audit.t: the audit row of a send or bulk filed with patient 45
-- cannot be written, so the send itself must not be stored (a message and
-- its audit row commit together). Loaded by t/run-suite before httpd
-- starts (a schema change under a running server would fail its prepared
-- statements instead).
CREATE TRIGGER audit_refuse BEFORE INSERT ON sms_audit
WHEN NEW.patient_id = '45' AND NEW.action IN ('message.send', 'bulk.send')
BEGIN
    SELECT RAISE(ABORT, 'audit refused (t/data/audit_refuse_sqlite.sql)');
END;
