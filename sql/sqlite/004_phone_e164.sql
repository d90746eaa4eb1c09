-- mod_sms schema, version 4: a reply is linked to a patient only when its
-- number equals one of the patient's numbers as E.164 (API.md section 5),
-- never by a suffix. e164 is the number as mod_sms's libphonenumber parse
-- gives it (61412345678) under SMSDefaultCountryCode, '' when it is not a
-- valid number, NULL until mod_sms fills it (before it links a reply);
-- changing number empties it again. After changing SMSDefaultCountryCode:
-- UPDATE sms_patient_phone SET e164 = NULL.
BEGIN;
ALTER TABLE sms_patient_phone ADD COLUMN e164 TEXT;
CREATE INDEX sms_patient_phone_e164 ON sms_patient_phone (e164);
CREATE TRIGGER sms_patient_phone_renumber AFTER UPDATE OF number
    ON sms_patient_phone
BEGIN
    UPDATE sms_patient_phone SET e164 = NULL WHERE id = NEW.id;
END;
INSERT INTO sms_schema (version, applied_at) VALUES (4, CAST(strftime('%s', 'now') AS INTEGER) * 1000000);
COMMIT;
