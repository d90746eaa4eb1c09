-- Reference patients the suite links inbound replies to (t/run-suite loads
-- them into every test database).
INSERT INTO sms_patient (id, first_name, last_name) VALUES
    ('17', 'Ann', 'Lee'), ('18', 'Bob', 'Ng'), ('20', 'Tom', 'Lee');
INSERT INTO sms_patient_phone (patient_id, label, number, is_default) VALUES
    ('17', 'Mobile', '+61412345678', 1),
    ('17', 'Home', '(02) 9876 5432', 0),
    ('18', 'Mobile', '0413 000 111', 1),
    ('20', 'Emergency contact', '+61 412 345 678', 1);
-- t/api/audit.t's own patients, so other tests' threads stay as they are.
INSERT INTO sms_patient (id, first_name, last_name) VALUES
    ('41', 'Ivy', 'Audit'), ('42', 'Jay', 'Audit');
INSERT INTO sms_patient_phone (patient_id, label, number, is_default) VALUES
    ('41', 'Mobile', '0412 004 141', 1),
    ('42', 'Mobile', '0412 004 242', 1);
-- send.t's and bulk.t's patient (a send filed with a patient goes only to
-- the patient's numbers), apart from the threads patients.t reads.
INSERT INTO sms_patient (id, first_name, last_name) VALUES ('43', 'Kim', 'Send');
INSERT INTO sms_patient_phone (patient_id, label, number, is_default) VALUES
    ('43', 'Mobile', '0412 004 343', 1);
-- history.t's patient (its first sends are filed with her).
INSERT INTO sms_patient (id, first_name, last_name) VALUES ('77', 'Hal', 'History');
INSERT INTO sms_patient_phone (patient_id, label, number, is_default) VALUES
    ('77', 'Mobile', '0412 777 000', 1);
-- inbox.t's patients: Uma shares Ina's number (a family phone), so a
-- reply from it is linked to both.
INSERT INTO sms_patient (id, first_name, last_name) VALUES
    ('51', 'Ina', 'Inbox'), ('52', 'Ole', 'Inbox'), ('53', 'Uma', 'Inbox');
INSERT INTO sms_patient_phone (patient_id, label, number, is_default) VALUES
    ('51', 'Mobile', '0412 005 151', 1),
    ('52', 'Mobile', '0412 005 252', 1),
    ('53', 'Mobile', '0412 005 151', 1);
-- Who may see which patient (SMSPatientAccessQuery reference): alice and
-- bob every patient, carol Jay Audit (42) only, dora Ina Inbox (51) only.
INSERT INTO sms_patient_access (username, patient_id) VALUES
    ('alice', '*'), ('bob', '*'), ('carol', '42'), ('dora', '51');
-- audit.t's patient (45) whose audit rows the database refuses (t/data/
-- audit_refuse_*.sql): a send filed with her must store nothing.
INSERT INTO sms_patient (id, first_name, last_name) VALUES ('45', 'Noa', 'Refused');
INSERT INTO sms_patient_phone (patient_id, label, number, is_default) VALUES
    ('45', 'Mobile', '0412 004 545', 1);
