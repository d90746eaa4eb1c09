# Phone numbers through httpd (API.md section 5): libphonenumber decides
# what is a number (pasted forms accepted, invalid numbers refused), every
# phone object has its type and sms_capable, and SMSAllowNumberTypes
# (default mobile fixed_line_or_mobile) decides what a send or a bulk
# recipient may be: anything else is 400 not_sms_capable naming the field.
# Replies are linked to a patient by equal E.164 numbers only, never by a
# suffix (schema 4: sms_patient_phone.e164, filled by the module).
use strict;
use warnings;
use utf8;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

my @pasted = (
    ["0412\x{a0}345\x{a0}678", 'send_accepts_nbsp_between_groups'],
    ["\x{202a}+61 412 345 678\x{202c}", 'send_accepts_bidi_marks_from_a_phone'],
    ["\x{feff}0412345678", 'send_accepts_a_bom_from_a_csv_cell'],
    ["0412 345 678\r", 'send_accepts_a_trailing_cr'],
    ["０４１２ ３４５ ６７８", 'send_accepts_full_width_digits'],
    ["٠٤١٢٣٤٥٦٧٨", 'send_accepts_arabic_indic_digits'],
    ["0412–345–678", 'send_accepts_en_dashes'],
    ['+61 (0)412 345 678', 'send_accepts_bracketed_trunk_zero'],
    ['+61 0412 345 678', 'send_drops_the_trunk_zero_after_the_country_code'],
    ['61 0412 345 678', 'send_drops_the_trunk_zero_after_61_without_plus'],
);
my @invalid = (
    ['0412 345', 'send_refuses_a_short_mobile'],
    ['9876 5432', 'send_refuses_a_landline_without_area_code'],
    ['61412345678.0', 'send_refuses_a_spreadsheet_number'],
    ['1111111111', 'send_refuses_ones'],
    ['(201) 555-0123', 'send_refuses_a_us_number_without_country_code'],
    ['00412345678', 'send_refuses_00_under_au'],
    ['0412 ABC 678', 'send_refuses_letters'],
);
my @not_sms = (
    ['(02) 9876 5432', 'fixed_line', 'send_refuses_an_australian_landline'],
    ['1800 123 456', 'toll_free', 'send_refuses_an_1800_number'],
    ['1300 123 456', 'shared_cost', 'send_refuses_a_1300_number'],
    ['13 00 00', 'shared_cost', 'send_refuses_a_13_number'],
    ['1900 123 456', 'premium_rate', 'send_refuses_a_1900_number'],
    ['+44 800 123 4567', 'toll_free', 'send_refuses_a_uk_freephone'],
    ['+1 (800) 225-5288', 'toll_free', 'send_refuses_a_us_toll_free'],
    ['+44 20 7946 0958', 'fixed_line', 'send_refuses_a_london_landline'],
    ['+61 (02) 9876 5432', 'fixed_line', 'send_reads_a_bracketed_trunk_zero_after_61_as_a_landline'],
);

plan tests => 2 * @pasted + @invalid + 2 * @not_sms + 42;

my $ua = client();
login($ua, 'alice', 'alice-password');
# a patient of this file's own (patients.t asserts patient 17's thread):
# a landline as the default number, then a mobile
sql_value('sms.db', "INSERT INTO sms_patient (id, first_name, last_name) VALUES ('32', 'Lin', 'Home')");
sql_value('sms.db', "INSERT INTO sms_patient_phone (patient_id, label, number, is_default) VALUES"
          . " ('32', 'Home', '(03) 9123 4567', 1), ('32', 'Mobile', '0412 666 777', 0)");

# ---- /send/: pasted forms, invalid numbers, types ----
for my $case (@pasted) {
    my ($to, $name) = @$case;
    my ($res, $m) = api($ua, POST => '/api/sms/send/', {to => $to, message => 'phones.t'});
    ok t_cmp($res->code, 201, $name);
    ok t_cmp($m->{to} // '', '61412345678', "$name: E.164 digits");
}
for my $case (@invalid) {
    my ($to, $name) = @$case;
    my ($res, $e) = api($ua, POST => '/api/sms/send/', {to => $to, message => 'phones.t'});
    ok is_envelope($res, $e, 400, 'invalid_phone', 'to') or diag($name, ': ', $res->content);
}
for my $case (@not_sms) {
    my ($to, $type, $name) = @$case;
    my ($res, $e) = api($ua, POST => '/api/sms/send/', {to => $to, message => 'phones.t'});
    ok is_envelope($res, $e, 400, 'not_sms_capable', 'to') or diag($name, ': ', $res->content);
    ok t_cmp(($e->{error}{message} // '') =~ /\b\Q$type\E number/ ? 1 : 0, 1,
             "$name: the message names the type $type");
}
my ($res, $m) = api($ua, POST => '/api/sms/send/', {to => '+1 201 555 0123', message => 'phones.t'});
ok t_cmp($res->code, 201, 'send_accepts_fixed_line_or_mobile (NANP)');
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '+86 132 9876 5432', message => 'phones.t'});
ok t_cmp($res->code, 201, 'send_accepts_a_foreign_mobile');

# a trunk 0 after another country code is dropped too (issue 13)
for my $case (['+44 07400 123456', '447400123456', 'send_drops_the_uk_trunk_zero_after_44'],
              ['+64 021 123 4567', '64211234567', 'send_drops_the_nz_trunk_zero_after_64']) {
    my ($to, $want, $name) = @$case;
    ($res, $m) = api($ua, POST => '/api/sms/send/', {to => $to, message => 'phones.t'});
    ok t_cmp($res->code, 201, $name);
    ok t_cmp($m->{to} // '', $want, "$name: E.164 digits");
}
# an opt-out stored from one form stops the others: the same E.164 digits
($res, $m) = api($ua, POST => '/api/sms/optouts/', {number => '0412 963 001'});
ok t_cmp($res->code, 201, 'optout_added') or diag $res->content;
for my $to ('+61 0412 963 001', '61 0412 963 001') {
    ($res, $m) = api($ua, POST => '/api/sms/send/', {to => $to, message => 'phones.t'});
    ok is_envelope($res, $m, 422, 'opted_out', 'to') or diag("$to: ", $res->content);
}

# ---- /send-bulk/: per-recipient rejects ----
my $recipients = ['0412 770 001', '(02) 9876 5432', '1800 123 456', '0412 345',
                  "0412\x{a0}770\x{a0}002", '+44 7911 123456'];
($res, my $b) = api($ua, POST => '/api/sms/send-bulk/',
                    {recipients => $recipients, message => 'phones.t bulk', dry_run => JSON::PP::true()});
ok t_cmp($res->code, 200, 'bulk_dry_run_200');
ok t_cmp($b->{accepted}, 3, 'bulk_dry_run_accepts_the_mobiles');
($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {recipients => $recipients, message => 'phones.t bulk'});
ok t_cmp($res->code, 202, 'bulk_with_landlines_is_202');
ok t_cmp($b->{accepted}, 3, 'bulk_accepts_three_mobiles');
my %rej = map { $_->{to} => $_->{error} } @{$b->{rejected} || []};
ok t_cmp($rej{'(02) 9876 5432'}{code} // '', 'not_sms_capable', 'bulk_rejects_a_landline');
ok t_cmp($rej{'(02) 9876 5432'}{field} // '', 'to', 'bulk_reject_names_the_field');
ok t_cmp($rej{'1800 123 456'}{code} // '', 'not_sms_capable', 'bulk_rejects_a_toll_free_number');
ok t_cmp($rej{'0412 345'}{code} // '', 'invalid_phone', 'bulk_rejects_an_invalid_number');

# ---- /patient/{id}/phones/: type and sms_capable ----
($res, my $ph) = api($ua, GET => '/api/sms/patient/32/phones/');
ok t_cmp($res->code, 200, 'phones_200');
my %by = map { $_->{label} => $_ } @{$ph || []};
ok t_cmp($by{Mobile}{type} // '', 'mobile', 'phones_mobile_type');
ok t_cmp(JSON::PP::is_bool($by{Mobile}{sms_capable}) && $by{Mobile}{sms_capable} ? 1 : 0, 1,
         'phones_mobile_sms_capable_true');
ok t_cmp($by{Home}{type} // '', 'fixed_line', 'phones_landline_type');
ok t_cmp(JSON::PP::is_bool($by{Home}{sms_capable}) && !$by{Home}{sms_capable} ? 1 : 0, 1,
         'phones_landline_sms_capable_false');

# ---- sending from the patient ----
($res, $m) = api($ua, POST => '/api/sms/patient/32/send/', {phone => '(03) 9123 4567', message => 'x'});
ok is_envelope($res, $m, 400, 'not_sms_capable', 'phone') or diag($res->content);
($res, $m) = api($ua, POST => '/api/sms/patient/32/send/', {message => 'phones.t default'});
ok t_cmp($m->{to} // '', '61412666777', 'patient_send_without_phone_skips_a_landline_default');

# ---- SMSAllowNumberTypes on the basic host: fixed_line too ----
my $basic = basic_client('basic');
($res, $m) = api($basic, POST => '/api/sms/send/', {to => '(02) 9876 5432', message => 'landline ok here'});
ok t_cmp($res->code, 201, 'allow_number_types_fixed_line_lets_a_landline_through');
($res, $m) = api($basic, POST => '/api/sms/send/', {to => '1800 123 456', message => 'x'});
ok is_envelope($res, $m, 400, 'not_sms_capable', 'to');
($res, $ph) = api($basic, GET => '/api/sms/patient/32/phones/');
%by = map { $_->{label} => $_ } @{$ph || []};
ok t_cmp($by{Home}{sms_capable} ? 1 : 0, 1, 'phones_follow_allow_number_types');

# ---- /settings/ ----
($res, my $s) = api($ua, GET => '/api/sms/settings/');
ok t_cmp(join(' ', @{$s->{settings}{SMSAllowNumberTypes}{value} || []}),
         'mobile fixed_line_or_mobile', 'settings_show_the_default_types');
ok t_cmp($s->{settings}{SMSAllowNumberTypes}{default} ? 1 : 0, 1, 'settings_say_default');
($res, $s) = api($basic, GET => '/api/sms/settings/');
ok t_cmp(join(' ', @{$s->{settings}{SMSAllowNumberTypes}{value} || []}),
         'fixed_line mobile fixed_line_or_mobile', 'settings_show_the_configured_types');

# ---- replies: linked by equal E.164 numbers only ----
my $S = 'suite-hook-secret';
my $hook = client();
my $inbound = sub {
    my ($from, $text) = @_;
    my ($r, $d) = api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=$from&message=$text");
    return $r->code;
};
my $thread = sub {
    my ($id) = @_;
    my (undef, $c) = api($ua, GET => "/api/sms/patient/$id/conversation/");
    return join '|', map { $_->{body} } grep { $_->{direction} eq 'in' } @{$c->{messages} || []};
};
# patient 17's landline is (02) 9876 5432: strangers whose numbers end in
# the same digits are not her (issue 13)
ok t_cmp($inbound->('%2B44298765432', 'phones-t-uk'), 200, 'reply_from_an_unknown_uk_number_is_stored');
ok t_cmp($inbound->('%2B1298765432', 'phones-t-nanp'), 200, 'reply_from_a_short_nanp_number_is_stored');
ok t_cmp($inbound->('8613298765432', 'phones-t-cn'), 200, 'reply_from_a_chinese_mobile_is_stored');
my $t17 = $thread->(17);
ok t_cmp(scalar(() = $t17 =~ /phones-t-/g), 0, 'replies_ending_in_her_digits_are_not_linked_to_patient_17')
    or diag $t17;
ok t_cmp(sql_value('sms.db', "SELECT count(*) FROM sms_inbound_patient ip JOIN sms_inbound i"
                   . " ON i.id = ip.inbound_id WHERE i.body LIKE 'phones-t-%'"), 0,
         'strangers_linked_to_nobody');
# patient 32's own numbers, written as the provider and people write them
ok t_cmp($inbound->('61391234567', 'phones-t-landline'), 200);
ok t_cmp($inbound->('%2B61%200412%20666%20777', 'phones-t-mobile'), 200);
ok t_cmp($thread->(32), 'phones-t-landline|phones-t-mobile', 'replies_from_her_own_numbers_are_linked');
# a number added later is linked; a renumbered one follows its new number
sql_value('sms.db', "INSERT INTO sms_patient (id, first_name, last_name) VALUES ('31', 'Pat', 'New')");
sql_value('sms.db', "INSERT INTO sms_patient_phone (patient_id, label, number, is_default)"
          . " VALUES ('31', 'Mobile', '0412 555 111', 1)");
$inbound->('61412555111', 'phones-t-new');
ok t_cmp($thread->(31), 'phones-t-new', 'a_new_number_is_linked');
sql_value('sms.db', "UPDATE sms_patient_phone SET number = '+61 412 555 222' WHERE patient_id = '31'");
$inbound->('61412555111', 'phones-t-old-number');
$inbound->('61412555222', 'phones-t-new-number');
ok t_cmp($thread->(31), 'phones-t-new|phones-t-new-number', 'a_renumbered_phone_links_by_its_new_number');
ok t_cmp(sql_value('sms.db', "SELECT e164 FROM sms_patient_phone WHERE patient_id = '31'"),
         '61412555222', 'e164_column_filled');
ok t_cmp(sql_value('sms.db', "SELECT e164 FROM sms_patient_phone WHERE patient_id = '17' ORDER BY id"),
         "61412345678\n61298765432", 'e164_of_the_reference_patients');
