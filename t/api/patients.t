# Patients: numbers, the conversation thread (cursor, ETag/304), sending
# from the patient, and templates filled from the patient.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 41;

my $S = 'suite-hook-secret';
my $ua = client();
login($ua, 'alice', 'alice-password');
my $hook = client();

# ---- phones ----
my ($res, $ph) = api($ua, GET => '/api/sms/patient/17/phones/');
ok t_cmp($res->code, 200, 'phones_200');
ok t_cmp(join(',', map { "$_->{label}=$_->{number}" } @$ph),
         'Mobile=61412345678,Home=61298765432', 'phones_normalised_default_first');
ok t_cmp($ph->[0]{is_default} ? 1 : 0, 1);
($res, $ph) = api($ua, GET => '/api/sms/patient/nobody/phones/');
ok is_envelope($res, $ph, 404, 'unknown_patient');
($res, $ph) = api($ua, GET => '/api/sms/patient/' . ('x' x 100) . '/phones/');
ok is_envelope($res, $ph, 404, 'unknown_patient');

# ---- sending from the patient ----
($res, my $m) = api($ua, POST => '/api/sms/patient/17/send/', {message => 'Hi from the clinic'});
ok t_cmp($res->code, 201, 'patient_send_to_the_default_number');
ok t_cmp($m->{to}, '61412345678');
ok t_cmp($m->{patient_id}, '17', 'patient_id_recorded');
ok t_cmp($m->{phone_label}, 'Mobile', 'phone_label_recorded');
# a landline is not sms_capable by default (SMSAllowNumberTypes): the
# basic host allows fixed_line
($res, $m) = api(basic_client('basic'), POST => '/api/sms/patient/17/send/', {phone => '(02) 9876 5432', message => 'Landline'});
ok t_cmp($m->{phone_label}, 'Home', 'patient_send_to_another_number');
($res, $m) = api($ua, POST => '/api/sms/patient/17/send/', {phone => '0413000111', message => 'x'});
ok is_envelope($res, $m, 400, 'invalid_phone', 'phone');
($res, $m) = api($ua, POST => '/api/sms/patient/17/send/', {phone => 'abc', message => 'x'});
ok is_envelope($res, $m, 400, 'invalid_phone', 'phone');
($res, $m) = api($ua, POST => '/api/sms/patient/nobody/send/', {message => 'x'});
ok is_envelope($res, $m, 404, 'unknown_patient');
($res, $m) = api($ua, POST => '/api/sms/patient/17/send/', {to => '0413000111', message => 'x'});
ok is_envelope($res, $m, 400, 'invalid_json', 'to');
my (undef, $tpl) = api($ua, POST => '/api/sms/templates/',
                       {name => 'patients.t', body => 'Dear {patient_name} ({first_name} {last_name}), {what}'});
($res, $m) = api($ua, POST => '/api/sms/patient/17/send/',
                 {template_id => $tpl->{id}, context => {what => 'see you soon', first_name => 'X'}});
ok t_cmp($m->{body}, 'Dear Ann Lee (Ann Lee), see you soon', 'template_filled_from_the_patient');
($res, my $pv) = api($ua, POST => '/api/sms/preview/',
                     {template_id => $tpl->{id}, patient_id => '20', context => {what => 'hi'}});
ok t_cmp($pv->{message}, 'Dear Tom Lee (Tom Lee), hi', 'preview_with_patient');
($res, $pv) = api($ua, POST => '/api/sms/preview/', {template_id => $tpl->{id}, patient_id => 'nobody'});
ok is_envelope($res, $pv, 400, 'unknown_patient', 'patient_id');

# ---- the conversation ----
# a reply from the mobile typed differently, one from the landline, one
# from somebody else
api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=0412%20345%20678&message=On%20my%20way");
api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=61298765432&message=Landline%20here");
api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=0413000111&message=Bob%20speaking");
api($ua, POST => '/api/sms/patient/18/send/', {message => 'For Bob only'});
($res, my $c) = api($ua, GET => '/api/sms/patient/17/conversation/');
ok t_cmp($res->code, 200, 'conversation_200');
ok t_cmp($c->{patient}{name}, 'Ann Lee');
my @dirs = map { "$_->{direction}:$_->{body}" } @{$c->{messages}};
ok t_cmp(join('|', @dirs), 'out:Hi from the clinic|out:Landline|out:Dear Ann Lee (Ann Lee), see you soon|in:On my way|in:Landline here',
         'thread_in_order_across_numbers_and_nobody_elses');
ok t_cmp(join(',', map { $_->{phone_label} // '-' } @{$c->{messages}}),
         'Mobile,Home,Mobile,Mobile,Home', 'phone_labels_on_both_directions');
ok t_cmp($c->{messages}[0]{status}, 'delivered', 'status_shown');
my $etag = $res->header('ETag');
ok t_cmp($etag, qr/^"/, 'etag_sent');

# an unchanged poll: 304
($res) = api($ua, GET => '/api/sms/patient/17/conversation/', undef, 'If-None-Match' => $etag);
ok t_cmp($res->code, 304, 'unchanged_poll_is_304');
ok t_cmp($res->content, '', '304_has_no_body');
# If-None-Match is a list of entity tags, compared whole
($res) = api($ua, GET => '/api/sms/patient/17/conversation/', undef,
             'If-None-Match' => qq{"other", W/$etag});
ok t_cmp($res->code, 304, 'etag_found_in_a_list_is_304');
($res) = api($ua, GET => '/api/sms/patient/17/conversation/', undef,
             'If-None-Match' => "nonsense$etag");
ok t_cmp($res->code, 200, 'a_header_that_only_contains_ours_is_not_a_match');
($res) = api($ua, GET => '/api/sms/patient/17/conversation/', undef, 'If-None-Match' => '*');
ok t_cmp($res->code, 200, 'star_does_not_freeze_a_poll');
# with the cursor: nothing new
($res, my $n) = api($ua, GET => "/api/sms/patient/17/conversation/?since=$c->{cursor}");
ok t_cmp(scalar(@{$n->{messages}}), 0, 'since_with_nothing_new');
my $etag2 = $res->header('ETag');
($res) = api($ua, GET => "/api/sms/patient/17/conversation/?since=$c->{cursor}", undef, 'If-None-Match' => $etag2);
ok t_cmp($res->code, 304, 'since_poll_unchanged_is_304');
# something new arrives: only that comes back
api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=61412345678&message=One%20more%20thing");
($res, $n) = api($ua, GET => "/api/sms/patient/17/conversation/?since=$c->{cursor}", undef, 'If-None-Match' => $etag2);
ok t_cmp($res->code, 200, 'changed_poll_is_200');
ok t_cmp(join('|', map { $_->{body} } @{$n->{messages}}), 'One more thing', 'since_returns_only_the_new');
# a status change is news too (made behind the module's back)
my $cur = $n->{cursor};
($res, $n) = api($ua, GET => "/api/sms/patient/17/conversation/?since=$cur");
ok t_cmp(scalar(@{$n->{messages}}), 0);
sql_value('sms.db', "UPDATE sms_message SET updated_at = updated_at + 1000000, status = 'failed' "
                  . "WHERE id = (SELECT max(id) FROM sms_message WHERE patient_id = '17')");
($res, $n) = api($ua, GET => "/api/sms/patient/17/conversation/?since=$cur");
ok t_cmp(join(',', map { "$_->{direction}:$_->{status}" } @{$n->{messages}}), 'out:failed',
         'changed_status_returned_by_since');

# cursors belong to their patient and this server
($res, $n) = api($ua, GET => "/api/sms/patient/18/conversation/?since=$c->{cursor}");
ok is_envelope($res, $n, 400, 'invalid_parameter', 'since');
($res, $n) = api($ua, GET => '/api/sms/patient/17/conversation/?since=forged.cursor');
ok is_envelope($res, $n, 400, 'invalid_parameter', 'since');
($res, $n) = api($ua, GET => '/api/sms/patient/17/conversation/?colour=red');
ok is_envelope($res, $n, 400, 'invalid_parameter');
($res, $n) = api($ua, GET => '/api/sms/patient/nobody/conversation/');
ok is_envelope($res, $n, 404, 'unknown_patient');
($res, $n) = api($ua, GET => '/api/sms/patient/18/conversation/');
ok t_cmp(join('|', map { "$_->{direction}:$_->{body}" } @{$n->{messages}}), 'in:Bob speaking|out:For Bob only',
         'bobs_thread_is_bobs_in_time_order');

# the poll is one indexed look-up: the plan for the statement. SQLite's
# planner takes the (patient_id, updated_at) and (patient_id, inbound_id)
# indexes. PostgreSQL's picks by table statistics, so it is checked there
# with sequential scans off, and either index by patient will do: when its
# statistics say a patient has one row or none (as after a suite's worth of
# other patients' rows), it rightly takes the one-column index by patient
# as readily as the two-column one.
my $q = "SELECT (SELECT max(updated_at) FROM sms_message WHERE patient_id = '17'),"
      . " (SELECT max(inbound_id) FROM sms_inbound_patient WHERE patient_id = '17')";
my $pg = driver() eq 'pgsql';
my $plan = $pg
    ? sql_value('sms.db', "SET enable_seqscan = off; EXPLAIN $q")
    : sql_value('sms.db', "EXPLAIN QUERY PLAN $q");
ok t_cmp($plan, $pg ? qr/Index (?:Only )?Scan (?:Backward )?(?:using|on) sms_message_patient(?:_updated)? /
                    : qr/sms_message_patient_updated/, 'poll_uses_the_message_index');
ok t_cmp($plan, $pg ? qr/Index (?:Only )?Scan (?:Backward )?(?:using|on) sms_inbound_patient_(?:latest|patient) /
                    : qr/sms_inbound_patient_latest/, 'poll_uses_the_inbound_index');
