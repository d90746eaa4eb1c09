-- Reference patients the suite links inbound replies to (t/run-suite loads
-- them into every test database).
INSERT INTO sms_patient (id, first_name, last_name) VALUES
    ('17', 'Ann', 'Lee'), ('18', 'Bob', 'Ng'), ('20', 'Tom', 'Lee');
INSERT INTO sms_patient_phone (patient_id, label, number, is_default) VALUES
    ('17', 'Mobile', '+61412345678', 1),
    ('17', 'Home', '(02) 9876 5432', 0),
    ('18', 'Mobile', '0413 000 111', 1),
    ('20', 'Emergency contact', '+61 412 345 678', 1);
