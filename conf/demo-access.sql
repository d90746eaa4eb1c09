-- Who may see which demo patient (SMSPatientAccessQuery reference; '*'
-- is every patient): the supervisor and the clinician see everyone,
-- reception Ann Lee (17) and Bob Ng (18) only. conf/demo.sh loads it once.
INSERT INTO sms_patient_access (username, patient_id) VALUES
    ('demo', '*'), ('clinician', '*'), ('reception', '17'), ('reception', '18');
