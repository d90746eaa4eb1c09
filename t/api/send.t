# POST /api/sms/send/: validation of every field, the sandbox, and the
# real libcurl path to the fake SMS Broadcast server in sync and queue mode.
use strict;
use warnings;
use utf8;
use POSIX qw(strftime);
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 61;

my $ua = client();
login($ua, 'alice', 'alice-password');
my $count = sub { sql_value('sms.db', 'SELECT count(*) FROM sms_message') };

# ---- the sandbox provider (main host, sync mode) ----
my ($res, $m) = api($ua, POST => '/api/sms/send/',
                    {to => '0412 345 678', message => 'Hi Ann, see you at 10:30'});
ok t_cmp($res->code, 201, 'send_sandbox_answers_201');
ok t_cmp($m->{to}, '61412345678', 'send_normalises_the_number');
ok t_cmp($m->{status}, 'delivered', 'sandbox_delivers');
ok t_cmp($m->{sent_by}, 'alice', 'send_records_sent_by');
ok t_cmp($m->{encoding}, 'GSM-7');
ok t_cmp($m->{segments}, 1);
ok t_cmp($m->{external_id}, qr/^sandbox-\d+$/, 'sandbox_smsref');
ok t_cmp($m->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'iso_times');
my ($r2, $detail) = api($ua, GET => "/api/sms/messages/$m->{id}/");
ok t_cmp(join(',', map { $_->{status} } @{$detail->{events}}),
         'queued,sent,delivered', 'message_detail_has_event_history');

# ---- every field wrong: 4xx with the right code, nothing stored ----
my $before = $count->();
my @bad = (
    [{message => 'hi'}, 400, 'invalid_json', 'to'],
    [{to => 42, message => 'hi'}, 400, 'invalid_json', 'to'],
    [{to => '0412 345 67a', message => 'hi'}, 400, 'invalid_phone', 'to'],
    [{to => '123', message => 'hi'}, 400, 'invalid_phone', 'to'],
    [{to => '+61 412 345 678 901 234', message => 'hi'}, 400, 'invalid_phone', 'to'],
    [{to => '0412345678'}, 400, 'message_empty', 'message'],
    [{to => '0412345678', message => ''}, 400, 'message_empty', 'message'],
    [{to => '0412345678', message => "  \n "}, 400, 'message_empty', 'message'],
    [{to => '0412345678', message => "a\x{7}b"}, 400, 'invalid_message', 'message'],
    [{to => '0412345678', message => 'x' x 161, max_parts => 1}, 400, 'message_too_long', 'message'],
    [{to => '0412345678', message => 'x' x 766}, 400, 'message_too_long', 'message'],
    [{to => '0412345678', message => 'hi', max_parts => 9}, 400, 'invalid_json', 'max_parts'],
    [{to => '0412345678', message => 'hi', sender_id => 'Walk Easy'}, 400, 'invalid_sender_id', 'sender_id'],
    [{to => '0412345678', message => 'hi', sender_id => 'WalkEasyClinic'}, 400, 'invalid_sender_id', 'sender_id'],
    [{to => '0412345678', message => 'hi', sender_id => 7}, 400, 'invalid_json', 'sender_id'],
    [{to => '0412345678', message => 'hi', send_at => 'tomorrow'}, 400, 'invalid_json', 'send_at'],
    [{to => '0412345678', message => 'hi', send_at => '2001-01-01T00:00:00Z'}, 400, 'invalid_json', 'send_at'],
    # no such day: refused, never rolled over to 2 March
    [{to => '0412345678', message => 'hi', send_at => '2027-02-30T09:00:00Z'}, 400, 'invalid_json', 'send_at'],
    [{to => '0412345678', message => 'hi', send_at => '2027-04-31T09:00:00Z'}, 400, 'invalid_json', 'send_at'],
    # a well-formed sender ID this site does not use (no SMSSenderIDs here)
    [{to => '0412345678', message => 'hi', sender_id => 'CBA'}, 400, 'invalid_sender_id', 'sender_id'],
    [{to => '0412345678', message => 'hi', patient_id => {}}, 400, 'invalid_json', 'patient_id'],
    [{to => '0412345678', message => 'hi', template_id => 1}, 400, 'invalid_json', 'template_id'],
    [{to => '0412345678', template_id => 999999}, 400, 'unknown_template', 'template_id'],
    [{to => '0412345678', message => 'hi', context => {a => 1}}, 400, 'invalid_json', 'context'],
    [{to => '0412345678', message => 'hi', colour => 'red'}, 400, 'invalid_json', 'colour'],
);
for my $b (@bad) {
    my ($body, $status, $code, $field) = @$b;
    my ($r, $d) = api($ua, POST => '/api/sms/send/', $body);
    ok is_envelope($r, $d, $status, $code, $field)
        or diag "$code/$field: " . $r->status_line . ' ' . $r->content;
}
ok t_cmp($count->(), $before, 'bad_sends_store_nothing');

# ---- patient_id: an existing patient, and only the patient's own numbers ----
{
    my ($r, $d) = api($ua, POST => '/api/sms/send/', {to => '0412 000 111', message => 'hi', patient_id => '43'});
    ok is_envelope($r, $d, 400, 'invalid_phone', 'to') or diag $r->content;
    ($r, $d) = api($ua, POST => '/api/sms/send/', {to => '0412345678', message => 'hi', patient_id => 'nobody'});
    ok is_envelope($r, $d, 404, 'unknown_patient') or diag $r->content;
    ok t_cmp($count->(), $before, 'a_stranger_number_is_never_filed_in_a_thread');
    ($r, $d) = api($ua, POST => '/api/sms/send/', {to => '+61 412 004 343', message => 'hi Kim', patient_id => '43'});
    ok t_cmp($r->code . ' ' . ($d->{phone_label} // '-'), '201 Mobile', 'patient_number_accepted_with_its_label');
    $before = $count->();
}

# ---- templates in a send ----
my ($tr, $tpl) = api($ua, POST => '/api/sms/templates/',
                     {name => 'send.t reminder', body => 'Hi {first_name}, see you {date}'});
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0412345678',
    template_id => $tpl->{id}, context => {first_name => 'Ann', date => 'Tuesday'}});
ok t_cmp($m->{body}, 'Hi Ann, see you Tuesday', 'send_renders_the_template');
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0412345678',
    template_id => $tpl->{id}, context => {first_name => 'Ann'}});
ok is_envelope($res, $m, 400, 'unknown_placeholder');

# ---- scheduled ----
my $later = time + 30 * 86400;
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0412345678',
    message => 'later', send_at => strftime('%Y-%m-%dT%H:%M:%S+10:00', gmtime($later + 36000))});
ok t_cmp($res->code, 202, 'scheduled_send_is_202') or diag $res->content;
ok t_cmp($m->{status}, 'scheduled');
ok t_cmp($m->{send_at}, strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $later), 'send_at_kept_in_utc');

# ---- SMS Broadcast through libcurl to the fake (sync mode) ----
my $bc = basic_client('broadcast');
fake_mode({mode => 'normal'});
($res, $m) = api($bc, POST => '/api/sms/send/',
                 {to => '0412 000 001', message => 'Café & 100% "fun" = €5 + tax'});
ok t_cmp($res->code, 201, 'broadcast_sync_send_is_201') or diag $res->content;
ok t_cmp($m->{status}, 'sent');
ok t_cmp($m->{external_id}, qr/^\d+$/, 'smsref_recorded');
my @calls = fake_calls('61412000001');
ok t_cmp(scalar(@calls), 1, 'provider_called_exactly_once');
my $f = $calls[0]{fields};
ok t_cmp($f->{message}, 'Café & 100% "fun" = €5 + tax', 'message_encoded_once');
ok t_cmp($f->{from}, 'WalkEasy', 'sender_id_sent');
ok t_cmp($f->{ref}, $m->{id}, 'ref_is_our_message_id');
ok t_cmp($f->{maxsplit}, 1, 'maxsplit_sent');
ok t_cmp($f->{username}, 'suite-user', 'credentials_in_the_body');
ok t_cmp($calls[0]{method}, 'POST', 'credentials_never_in_a_url');

# a long message pays for its parts
($res, $m) = api($bc, POST => '/api/sms/send/',
                 {to => '0412000002', message => 'y' x 400, sender_id => 'Clinic2'});
@calls = fake_calls('61412000002');
ok t_cmp($calls[0]{fields}{maxsplit}, 3, 'maxsplit_is_the_segment_count');
ok t_cmp($calls[0]{fields}{from}, 'Clinic2', 'per_request_sender_id');
# only SMSSenderIDs: neither a bank's name nor the patient's own number
for my $sid ('CBA', '61412000002') {
    my ($r, $d) = api($bc, POST => '/api/sms/send/', {to => '0412000002', message => 'x', sender_id => $sid});
    ok is_envelope($r, $d, 400, 'invalid_sender_id', 'sender_id') or diag $r->content;
}

# the provider refuses a number for good: 502 provider_error
($res, $m) = api($bc, POST => '/api/sms/send/', {to => '02 9876 5432', message => 'landline'});
ok t_cmp($res->code, 502, 'bad_line_is_502');
ok t_cmp($m->{error}{code}, 'provider_error');
ok t_cmp(sql_value('broadcast.db', "SELECT status || ':' || error FROM sms_message WHERE to_number = '61298765432'"),
         'failed:Invalid Number', 'bad_line_fails_the_message_with_the_reason');
