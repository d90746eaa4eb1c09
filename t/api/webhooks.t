# Provider callbacks: delivery receipts and inbound replies (the URLs SMS
# Broadcast calls, PROVIDER.md), the secret, dedup, out-of-order reports,
# patient linking and STOP/START.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use List::Util qw(shuffle);
use POSIX qw(strftime);
use lib 't/lib';
use SMSTest;

plan tests => 62;

my $S = 'suite-hook-secret';
my $bc = basic_client('broadcast');
my $hook = client(base => vhost_url('broadcast'));
my $count = sub { sql_value('broadcast.db', "SELECT count(*) FROM $_[0]") };
my $events = sub { sql_value('broadcast.db',
    "SELECT count(*) FROM sms_event WHERE message_id = $_[0] AND detail LIKE 'receipt %'") };
fake_mode({mode => 'normal'});

# ---- the secret ----
my ($dlr_rows, $in_rows) = ($count->('sms_dlr'), $count->('sms_inbound'));
for my $q ('to=61412000001&smsref=1&status=Delivered',
           "to=61412000001&smsref=1&status=Delivered&secret=nope",
           "to=61412000001&smsref=1&status=Delivered&secret=${S}x") {
    my ($res, $d) = api($hook, GET => "/api/sms/webhook/dlr/?$q");
    ok is_envelope($res, $d, 403, 'forbidden');
}
my ($res, $d) = api($hook, GET => "/api/sms/webhook/inbound/?from=0412345678&message=hi");
ok is_envelope($res, $d, 403, 'forbidden');

# ---- missing or wrong parameters: 400, nothing stored ----
for my $q ("smsref=1&secret=$S", "status=Delivered&secret=$S",
           "status=Delivered&smsref=1&secret=$S&colour=red",
           "status=Delivered&smsref=1&smsref=2&secret=$S") {
    ($res, $d) = api($hook, GET => "/api/sms/webhook/dlr/?$q");
    ok is_envelope($res, $d, 400, 'invalid_parameter') or diag $res->content;
}
for my $q ("message=hi&secret=$S", "from=0412345678&secret=$S",
           "from=abc&message=hi&secret=$S") {
    ($res, $d) = api($hook, GET => "/api/sms/webhook/inbound/?$q");
    ok t_cmp($res->code, 400, "inbound_needs_from_and_message: $q");
}
ok t_cmp($count->('sms_dlr') . '/' . $count->('sms_inbound'), "$dlr_rows/$in_rows",
         'refused_callbacks_store_nothing');

# ---- a receipt as the provider sends it ----
my (undef, $m) = api($bc, POST => '/api/sms/send/', {to => '0412 600 001', message => 'dlr me'});
ok t_cmp($m->{status}, 'sent');
my $url = "/api/sms/webhook/dlr/?to=61412600001&ref=$m->{id}&smsref=$m->{external_id}&status=Delivered&secret=$S";
($res, $d) = api($hook, GET => $url);
ok t_cmp($d->{result}, 'applied', 'receipt_applied');
my (undef, $after) = api($bc, GET => "/api/sms/messages/$m->{id}/");
ok t_cmp($after->{status}, 'delivered', 'delivered_by_receipt');
ok t_cmp($after->{delivered_at}, qr/Z$/, 'delivered_at_set');
ok t_cmp($events->($m->{id}), 1, 'one_event_for_the_report');
($res, $d) = api($hook, GET => $url);
ok t_cmp($d->{result}, 'duplicate', 'repeated_receipt_is_a_duplicate');
ok t_cmp($events->($m->{id}), 1, 'duplicate_adds_no_event');
# a late Failed never moves a delivered message back
($res, $d) = api($hook, GET => "/api/sms/webhook/dlr/?to=61412600001&smsref=$m->{external_id}&status=Failed&secret=$S");
ok t_cmp($d->{result}, 'recorded', 'late_report_recorded');
(undef, $after) = api($bc, GET => "/api/sms/messages/$m->{id}/");
ok t_cmp($after->{status}, 'delivered', 'final_state_kept');
ok t_cmp($events->($m->{id}), 2, 'distinct_report_leaves_an_event');
# an unknown status value is kept as an event, no change
(undef, $m) = api($bc, POST => '/api/sms/send/', {to => '0412 600 002', message => 'dlr two'});
($res, $d) = api($hook, GET => "/api/sms/webhook/dlr/?to=61412600002&smsref=$m->{external_id}&status=Queued&secret=$S");
ok t_cmp($d->{status}, 'sent', 'unknown_status_value_changes_nothing');
# by ref alone (no smsref), POSTed as a form
my $r = $hook->post(vhost_url('broadcast') . '/api/sms/webhook/dlr/',
                    {to => '61412600002', ref => $m->{id}, status => 'Expired', secret => $S});
ok t_cmp(json_body($r)->{result}, 'applied', 'receipt_by_ref_as_post_form');
(undef, $after) = api($bc, GET => "/api/sms/messages/$m->{id}/");
ok t_cmp($after->{status}, 'expired');
# a receipt resolves an unknown outcome
fake_mode({mode => 'hang', count => 1});
(undef, $m) = api($bc, POST => '/api/sms/send/', {to => '0412 600 003', message => 'dlr three'});
ok t_cmp($m->{status}, 'unknown');
($res, $d) = api($hook, GET => "/api/sms/webhook/dlr/?to=61412600003&ref=$m->{id}&status=Delivered&secret=$S");
ok t_cmp($d->{status}, 'delivered', 'receipt_resolves_unknown');
# a receipt never finishes a message the provider was never given: a
# queued row with no attempt (held far in the future here) stays queued
fake_mode({mode => 'normal'});
(undef, $m) = api($bc, POST => '/api/sms/send/', {to => '0412 600 004', message => 'dlr four'});
sql_value('broadcast.db', "UPDATE sms_message SET status = 'queued', attempts = 0,"
          . " external_id = NULL, next_attempt_at = 9000000000000000 WHERE id = $m->{id}");
($res, $d) = api($hook, GET => "/api/sms/webhook/dlr/?to=61412600004&ref=$m->{id}&status=Delivered&secret=$S");
ok t_cmp($res->code, 200, 'receipt_for_unsent_message_answered');
(undef, $after) = api($bc, GET => "/api/sms/messages/$m->{id}/");
ok t_cmp($after->{status}, 'queued', 'receipt_never_finishes_a_message_never_handed_over');
sql_value('broadcast.db', "UPDATE sms_message SET status = 'cancelled' WHERE id = $m->{id}");
# unknown smsref: 200, kept for audit
($res, $d) = api($hook, GET => "/api/sms/webhook/dlr/?to=61412600009&smsref=99999999&status=Delivered&secret=$S");
ok t_cmp($res->code, 200);
ok t_cmp($d->{result}, 'unknown_message', 'unknown_smsref_recorded');
ok t_cmp(sql_value('broadcast.db', "SELECT count(*) FROM sms_dlr WHERE smsref = '99999999' AND message_id IS NULL"),
         1, 'unknown_receipt_kept');

# ---- 1,000 receipts, shuffled, with duplicates ----
fake_mode({mode => 'normal'});
my @numbers = map { sprintf '04126%05d', $_ } 1 .. 300;
my (undef, $batch) = api($bc, POST => '/api/sms/send-bulk/', {recipients => \@numbers, message => 'storm'});
wait_for(sub {
    my (undef, $b) = api($bc, GET => "/api/sms/batches/$batch->{batch_id}/");
    return $b->{counts}{sent} == 300;
}, 20);
my (undef, $list) = api($bc, GET => "/api/sms/messages/?batch_id=$batch->{batch_id}&limit=500");
my (@reports, %want, %distinct);
my @finals = qw(Delivered Expired Failed);
for my $i (0 .. $#{$list->{messages}}) {
    my $msg = $list->{messages}[$i];
    my $final = $finals[$i % 3];
    $want{$msg->{id}} = lc $final;
    my @mine = ("to=$msg->{to}&smsref=$msg->{external_id}&status=$final&secret=$S");
    push @mine, "to=$msg->{to}&smsref=$msg->{external_id}&status=Accepted&secret=$S" if $i % 4 == 0;
    $distinct{$msg->{id}} = @mine;
    push @reports, map { ($_) x (1 + ($i + length $_) % 3) } @mine;
}
push @reports, $reports[$_] for 0 .. (1000 - @reports - 1);
@reports = shuffle @reports;
my $fails = 0;
for my $q (@reports) {
    ($res) = api($hook, GET => "/api/sms/webhook/dlr/?$q");
    $fails++ unless $res->code == 200;
}
ok t_cmp(scalar(@reports) >= 1000 ? 1 : 0, 1, 'a_thousand_receipts');
ok t_cmp($fails, 0, 'every_receipt_answered_200');
(undef, $list) = api($bc, GET => "/api/sms/messages/?batch_id=$batch->{batch_id}&limit=500");
my $wrong = grep { $_->{status} ne $want{$_->{id}} } @{$list->{messages}};
ok t_cmp($wrong, 0, 'every_message_in_its_final_state');
my %got = map { split /\|/ } split /\n/, sql_value('broadcast.db',
    "SELECT message_id || '|' || count(*) FROM sms_event WHERE detail LIKE 'receipt %' "
    . "AND message_id IN (SELECT id FROM sms_message WHERE batch_id = $batch->{batch_id}) GROUP BY message_id");
my $off = grep { ($got{$_} // 0) != $distinct{$_} } keys %distinct;
ok t_cmp($off, 0, 'exactly_one_event_per_distinct_report');

# ---- inbound replies ----
my $in = "/api/sms/webhook/inbound/?to=61400000000&secret=$S";
($res, $d) = api($hook, GET => "$in&from=0412%20345%20678&message=Running%20late");
ok t_cmp($d->{result}, 'stored', 'inbound_stored');
ok t_cmp($d->{from}, '61412345678', 'inbound_from_normalised');
ok t_cmp(join(',', sort @{$d->{patients}}), '17,20', 'linked_to_every_patient_with_that_number');
for (1 .. 2) {
    ($res, $d) = api($hook, GET => "$in&from=0412%20345%20678&message=Running%20late");
    ok t_cmp($d->{result}, 'duplicate', 'provider_retry_is_a_duplicate');
}
ok t_cmp(sql_value('broadcast.db', "SELECT count(*) FROM sms_inbound WHERE body = 'Running late'"),
         1, 'stored_once');
# the national landline stored as (02) 9876 5432 matches too
($res, $d) = api($hook, GET => "$in&from=61298765432&message=from%20home");
ok t_cmp(join(',', @{$d->{patients}}), '17', 'national_number_in_the_table_matches');
($res, $d) = api($hook, GET => "$in&from=61499999999&message=who%20am%20i");
ok t_cmp(scalar(@{$d->{patients}}), 0, 'unknown_number_kept_unlinked');
(undef, $m) = api($bc, POST => '/api/sms/send/', {to => '0413 000 111', message => 'Can you come at 3?'});
$r = $hook->post(vhost_url('broadcast') . '/api/sms/webhook/inbound/',
                 {from => '61413000111', message => 'Yes + thanks', ref => $m->{id}, secret => $S});
$d = json_body($r);
ok t_cmp($d->{message_id}, $m->{id}, 'reply_linked_to_the_message_by_ref');
ok t_cmp(sql_value('broadcast.db', "SELECT body FROM sms_inbound WHERE id = $d->{id}"),
         'Yes + thanks', 'form_body_decoded');

# ---- STOP and START ----
($res, $d) = api($hook, GET => "$in&from=0412700100&message=%20Stop%20");
ok t_cmp($d->{opt}, 'out', 'stop_opts_out');
my ($sr, $se) = api($bc, POST => '/api/sms/send/', {to => '0412 700 100', message => 'after stop'});
ok is_envelope($sr, $se, 422, 'opted_out', 'to');
ok t_cmp(scalar(fake_calls('61412700100')), 0, 'provider_untouched_after_stop');
my (undef, $bb) = api($bc, POST => '/api/sms/send-bulk/', {recipients => ['0412700100', '0412700101'], message => 'bulk after stop'});
ok t_cmp($bb->{accepted}, 1);
ok t_cmp($bb->{rejected}[0]{error}{code}, 'opted_out', 'bulk_reports_opted_out');
# API.md section 7: STOP as the first word opts out too
($res, $d) = api($hook, GET => "$in&from=0412700100&message=STOP%20please");
ok t_cmp($d->{opt}, 'out', 'stop_please_opts_out_too');
my (undef, $ol) = api($bc, GET => '/api/sms/optouts/');
ok t_cmp(scalar(grep { $_->{number} eq '61412700100' && $_->{source} eq 'inbound' } @{$ol->{optouts}}), 1,
         'optout_list_shows_it');
($res, $d) = api($hook, GET => "$in&from=0412700100&message=start");
ok t_cmp($d->{opt}, 'in', 'start_opts_back_in');
($sr, $se) = api($bc, POST => '/api/sms/send/', {to => '0412 700 100', message => 'after start'});
ok t_cmp($sr->code, 201, 'sends_again_after_start');

# a message waiting in the queue is cancelled when its number opts out
my $queue = basic_client('queue');
my $qhook = client(base => vhost_url('queue'));
(undef, $m) = api($queue, POST => '/api/sms/send/', {to => '0412 700 200', message => 'later',
    send_at => strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + 2))});
api($qhook, GET => "/api/sms/webhook/inbound/?secret=$S&from=61412700200&message=STOP");
my $final = wait_for(sub {
    my (undef, $x) = api($queue, GET => "/api/sms/messages/$m->{id}/");
    return $x->{status} eq 'cancelled' ? $x : undef;
}, 10);
ok t_cmp($final && $final->{status}, 'cancelled', 'queued_message_cancelled_by_stop');
ok t_cmp(scalar(fake_calls('61412700200')), 0);

# the list, edited by a user
my ($ar, $ad) = api($bc, POST => '/api/sms/optouts/', {number => '+61 412 700 300'});
ok t_cmp($ar->code, 201, 'optout_added_by_user');
($ar, $ad) = api($bc, POST => '/api/sms/optouts/', {number => '0412700300'});
ok t_cmp($ar->code, 200, 'optout_add_twice_is_200');
($ar, $ad) = api($bc, POST => '/api/sms/optouts/', {number => 'x'});
ok is_envelope($ar, $ad, 400, 'invalid_phone', 'number');
($ar) = api($bc, DELETE => '/api/sms/optouts/0412700300/');
ok t_cmp($ar->code, 204, 'optout_removed');
($ar, $ad) = api($bc, DELETE => '/api/sms/optouts/0412700300/');
ok is_envelope($ar, $ad, 404, 'not_found');
