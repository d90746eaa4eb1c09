-- Demo patients for `make run` (loaded once into an empty demo database).
INSERT INTO sms_patient (id, first_name, last_name) VALUES
    ('17', 'Ann', 'Lee'), ('18', 'Bob', 'Ng'), ('19', 'Zoë', 'Nguyễn');
INSERT INTO sms_patient_phone (patient_id, label, number, is_default) VALUES
    ('17', 'Mobile', '+61 412 345 678', 1),
    ('17', 'Phone', '(02) 9876 5432', 0),
    ('17', 'Emergency contact', '0413 555 010', 0),
    ('18', 'Mobile', '0413 000 111', 1),
    ('18', 'Work', '(03) 9123 4567', 0),
    ('19', 'Mobile', '0414 222 333', 1);
