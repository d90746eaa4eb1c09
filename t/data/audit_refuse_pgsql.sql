-- t/api/audit.t: the audit row of a send or bulk filed with patient 45
-- cannot be written, so the send itself must not be stored (a message and
-- its audit row commit together). Loaded by t/run-suite before httpd
-- starts.
CREATE FUNCTION audit_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit refused (t/data/audit_refuse_pgsql.sql)';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_refuse BEFORE INSERT ON sms_audit FOR EACH ROW
WHEN (NEW.patient_id = '45' AND NEW.action IN ('message.send', 'bulk.send'))
EXECUTE FUNCTION audit_refuse();
