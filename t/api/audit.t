# Need-to-know access (SMSPatientAccessQuery reference: carol may see
# patient 42 only) and the audit trail (sms_audit, GET /audit/): every
# write and every patient read leaves exactly one row, a failed write none;
# no message text or full numbers in it.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 81;

my $alice = client();
login($alice, 'alice', 'alice-password');
my $carol = client();
login($carol, 'carol', 'carol-password');
my $rows = sub {
    my ($where) = @_;
    sql_value('sms.db', 'SELECT count(*) FROM sms_audit' . ($where ? " WHERE $where" : ''));
};
my $messages = sub { sql_value('sms.db', 'SELECT count(*) FROM sms_message') };
# exactly one new row, matching $where, after $call
my $one_row = sub {
    my ($name, $where, $call) = @_;
    my ($all, $match) = ($rows->(), $rows->($where));
    my @out = $call->();
    ok t_cmp($rows->() - $all, 1, "$name leaves one audit row");
    ok t_cmp($rows->($where) - $match, 1, "$name: $where");
    return @out;
};
my $no_row = sub {
    my ($name, $call) = @_;
    my $all = $rows->();
    my @out = $call->();
    ok t_cmp($rows->() - $all, 0, "$name leaves no audit row");
    return @out;
};

# ---- writes and reads of alice, who may see everyone ------------------------
my ($r, $d) = $one_row->('patient send',
    "action = 'message.send' AND patient_id = '41' AND username = 'alice'",
    sub { api($alice, POST => '/api/sms/patient/41/send/', {message => 'Audit check 41'}) });
ok t_cmp($r->code, 201, 'alice_sends_to_patient_41');
my $m41 = $d->{id};
($r) = $one_row->('conversation view', "action = 'conversation.view' AND patient_id = '41'",
    sub { api($alice, GET => '/api/sms/patient/41/conversation/') });
my $etag = $r->header('ETag');
($r) = $no_row->('unchanged conversation poll (304)',
    sub { api($alice, GET => '/api/sms/patient/41/conversation/', undef, 'If-None-Match' => $etag) });
ok t_cmp($r->code, 304);
$one_row->('message view', "action = 'message.view' AND object = '$m41' AND patient_id = '41'",
    sub { api($alice, GET => "/api/sms/messages/$m41/") });
$one_row->('history of a patient', "action = 'messages.list' AND patient_id = '41'",
    sub { api($alice, GET => '/api/sms/messages/?patient_id=41') });
$no_row->('history of nobody in particular', sub { api($alice, GET => '/api/sms/messages/?limit=1') });

($r, $d) = $one_row->('template create', "action = 'template.create'",
    sub { api($alice, POST => '/api/sms/templates/', {name => 'Audit tpl', body => 'Hi {first_name}'}) });
my $tpl = $d->{id};
$no_row->('template create with a taken name', sub { api($alice, POST => '/api/sms/templates/', {name => 'Audit tpl', body => 'x'}) });
$no_row->('template create without a body', sub { api($alice, POST => '/api/sms/templates/', {name => 'Audit tpl 2'}) });
$one_row->('template update', "action = 'template.update' AND object = '$tpl'",
    sub { api($alice, PUT => "/api/sms/templates/$tpl/", {name => 'Audit tpl', body => 'Hello {first_name}'}) });
$one_row->('template delete', "action = 'template.delete' AND object = '$tpl'",
    sub { api($alice, DELETE => "/api/sms/templates/$tpl/") });
$no_row->('template delete of none', sub { api($alice, DELETE => "/api/sms/templates/$tpl/") });

$one_row->('opt-out add', "action = 'optout.add' AND object = '614*****901'",
    sub { api($alice, POST => '/api/sms/optouts/', {number => '0412 000 901'}) });
$no_row->('opt-out add of a number already there', sub { api($alice, POST => '/api/sms/optouts/', {number => '0412 000 901'}) });
($r, $d) = $no_row->('send to an opted-out number', sub { api($alice, POST => '/api/sms/send/', {to => '0412 000 901', message => 'x'}) });
ok is_envelope($r, $d, 422, 'opted_out');
$one_row->('opt-out remove', "action = 'optout.remove' AND object = '614*****901'",
    sub { api($alice, DELETE => '/api/sms/optouts/0412000901/') });
$no_row->('opt-out remove of a number not there', sub { api($alice, DELETE => '/api/sms/optouts/0412000901/') });

$no_row->('send with a bad number', sub { api($alice, POST => '/api/sms/send/', {to => 'nope', message => 'x'}) });
$no_row->('send without a CSRF token', sub { api($alice, POST => '/api/sms/send/', {to => '0412 000 902', message => 'x'}, 'X-CSRFToken' => 'x') });
($r, $d) = $one_row->('send with an Idempotency-Key', "action = 'message.send' AND patient_id IS NULL",
    sub { api($alice, POST => '/api/sms/send/', {to => '0412 000 902', message => 'Audit idem'}, 'Idempotency-Key' => "audit-$$") });
$no_row->('its replay', sub { api($alice, POST => '/api/sms/send/', {to => '0412 000 902', message => 'Audit idem'}, 'Idempotency-Key' => "audit-$$") });
($r, $d) = $one_row->('bulk send', "action = 'bulk.send'",
    sub { api($alice, POST => '/api/sms/send-bulk/', {recipients => ['0412 000 903', '0412 000 904'], message => 'Audit bulk'}) });
my $batch = $d->{batch_id};
ok t_cmp($rows->("action = 'bulk.send' AND object = '$batch'"), 1, 'bulk_row_names_the_batch');
$no_row->('bulk dry run', sub { api($alice, POST => '/api/sms/send-bulk/', {recipients => ['0412 000 905'], message => 'x', dry_run => JSON::PP::true()}) });

# ---- carol may not see patient 41: 404 unknown_patient everywhere -------------
my $before = $rows->() . '/' . $messages->();
for my $c (
    [GET => '/api/sms/patient/41/phones/'],
    [GET => '/api/sms/patient/41/conversation/'],
    [POST => '/api/sms/patient/41/send/', {message => 'x'}],
    [POST => '/api/sms/send/', {to => '0412 004 141', message => 'x', patient_id => '41'}],
    [GET => '/api/sms/messages/?patient_id=41'],
    [GET => "/api/sms/messages/$m41/"],
    [POST => '/api/sms/send-bulk/', {recipients => ['0412 004 141'], message => 'x', patient_id => '41'}],
) {
    ($r, $d) = api($carol, @$c);
    ok is_envelope($r, $d, 404, 'unknown_patient') or diag "@$c[0,1]: " . $r->status_line;
}
($r, $d) = api($carol, GET => '/api/sms/patient/41/conversation/', undef, 'If-None-Match' => $etag);
ok is_envelope($r, $d, 404, 'unknown_patient');
ok t_cmp($rows->() . '/' . $messages->(), $before, 'refused_calls_write_nothing');
# nor through a template preview: answered as a patient that does not exist
{
    my (undef, $tpl) = api($alice, POST => '/api/sms/templates/', {name => 'audit.t name', body => 'Hi {patient_name}'});
    ($r, $d) = api($carol, POST => '/api/sms/preview/', {template_id => $tpl->{id}, patient_id => '41'});
    ok is_envelope($r, $d, 400, 'unknown_patient', 'patient_id') or diag $r->content;
    ok t_cmp(($d->{message} // '') =~ /Ivy/ ? 'leaked' : 'hidden', 'hidden', 'preview_never_shows_a_hidden_patient');
    ($r, $d) = api($carol, POST => '/api/sms/preview/', {template_id => $tpl->{id}, patient_id => '42'});
    ok t_cmp($d->{message}, 'Hi Jay Audit', 'preview_with_her_own_patient');
}
# and patient 42 works for her
($r, $d) = api($carol, GET => '/api/sms/patient/42/phones/');
ok t_cmp($r->code, 200, 'carol_sees_her_patient');
($r, $d) = api($carol, POST => '/api/sms/patient/42/send/', {message => 'Audit check 42'});
ok t_cmp($r->code, 201);
my $m42 = $d->{id};
# patient 41 appears nowhere in what carol can list, page after page
my (%seen, $pages);
my $path = '/api/sms/messages/?limit=1';
while ($path && $pages++ < 300) {
    ($r, $d) = api($carol, GET => $path);
    last unless $r->code == 200;
    $seen{$_->{id}} = $_->{patient_id} // '' for @{$d->{messages}};
    $path = $d->{next} ? "/api/sms/messages/?limit=1&cursor=$d->{next}" : undef;
}
ok t_cmp((grep { $_ eq '41' } values %seen) ? 'seen' : 'none', 'none', 'no_message_of_41_in_her_history');
ok t_cmp(exists $seen{$m42} ? 1 : 0, 1, 'her_patients_messages_are_listed');
($r, $d) = api($alice, GET => '/api/sms/messages/?limit=500');
ok t_cmp((grep { $_->{id} == $m41 } @{$d->{messages}}) ? 1 : 0, 1, 'alice_lists_41');

# ---- GET /audit/: filters, pages, nothing sensitive --------------------------
# (other tests' template edits share the suite's database: every entry is
# a template.update, and this test's template has exactly one)
($r, $d) = api($alice, GET => '/api/sms/audit/?action=template.update&limit=500');
ok t_cmp(join(',', sort { $a cmp $b } keys %{{map { ($_->{action} => 1) } @{$d->{entries}}}}),
         'template.update', 'filter_by_action');
my @mine = grep { ($_->{object} // '') eq $tpl } @{$d->{entries}};
ok t_cmp(scalar @mine, 1, 'one_entry_for_this_template');
ok t_cmp(($mine[0] || {})->{user}, 'alice');
ok t_cmp(($mine[0] || {})->{at}, qr/^\d{4}-\d\d-\d\dT.*Z$/, 'times_are_iso');
($r, $d) = api($alice, GET => '/api/sms/audit/?user=carol');
ok t_cmp(join(',', sort map { $_->{action} } @{$d->{entries}}), 'message.send',
         'filter_by_user');
($r, $d) = api($alice, GET => '/api/sms/audit/?patient_id=41&limit=500');
ok t_cmp(scalar @{$d->{entries}}, $rows->("patient_id = '41'"), 'filter_by_patient');
($r, $d) = api($alice, GET => '/api/sms/audit/?until=2000-01-01T00:00:00Z');
ok t_cmp(scalar @{$d->{entries}}, 0, 'filter_until');
($r, $d) = api($alice, GET => '/api/sms/audit/?since=2000-01-01T00:00:00Z&limit=500');
ok t_cmp(scalar @{$d->{entries}}, $rows->(), 'filter_since');
# pages of 2, newest first, each row once
my (@ids, $next);
$path = '/api/sms/audit/?user=alice&limit=2';
for (1 .. 100) {
    ($r, $d) = api($alice, GET => $path);
    push @ids, map { $_->{id} } @{$d->{entries}};
    last unless $d->{next};
    $path = "/api/sms/audit/?user=alice&limit=2&cursor=$d->{next}";
}
ok t_cmp(scalar @ids, $rows->("username = 'alice'"), 'paging_reaches_every_row');
ok t_cmp(join(',', @ids), join(',', sort { $b <=> $a } @ids), 'newest_first_no_repeats');
my $all = $alice->get(base_url() . '/api/sms/audit/?limit=500')->content;
ok t_cmp($all =~ /Audit (check|idem|bulk)|Hello|first_name/ ? 'text' : 'none', 'none', 'no_message_text');
ok t_cmp($all =~ /\d{9,}/ ? 'number' : 'none', 'none', 'no_full_numbers');
for my $bad ('limit=0', 'limit=501', 'cursor=abc', 'since=yesterday', 'colour=red', 'user=') {
    ($r, $d) = api($alice, GET => "/api/sms/audit/?$bad");
    ok is_envelope($r, $d, 400, 'invalid_parameter') or diag "$bad: " . $r->status_line;
}
($r, $d) = api(client(base => vhost_url('noauth')), GET => '/api/sms/audit/');
ok is_envelope($r, $d, 401, 'unauthenticated');

# A send and its audit row commit together: the database refuses the
# audit rows of sends filed with patient 45 (t/data/audit_refuse_*.sql), so
# those sends answer 503 and store nothing, single or bulk; the same sends
# filed with patient 41 go.
my ($m0, $a0) = ($messages->(), $rows->());
($r, $d) = api($alice, POST => '/api/sms/send/', {to => '0412 004 545', message => 'x', patient_id => '45'});
ok is_envelope($r, $d, 503, 'storage_unavailable');
($r, $d) = api($alice, POST => '/api/sms/patient/45/send/', {message => 'x'});
ok is_envelope($r, $d, 503, 'storage_unavailable');
($r, $d) = api($alice, POST => '/api/sms/send-bulk/', {recipients => ['0412 004 545'], message => 'x', patient_id => '45'});
ok is_envelope($r, $d, 503, 'storage_unavailable');
ok t_cmp($messages->() - $m0, 0, 'no_message_without_its_audit_row');
ok t_cmp($rows->() - $a0, 0, 'no_audit_row_of_the_failed_sends');
($r, $d) = api($alice, POST => '/api/sms/send/', {to => '0412 004 141', message => 'x', patient_id => '41'});
ok t_cmp($r->code =~ /^20[12]$/ ? 1 : 0, 1, 'the_same_send_filed_with_another_patient_goes');
ok t_cmp($messages->() - $m0, 1, 'one_message_with_its_audit_row');
