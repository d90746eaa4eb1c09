# POST /api/sms/send-bulk/: request validation (nothing stored on a bad
# request), per-recipient errors, templates with per-recipient context,
# scheduling, and SMSRateLimit.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use POSIX qw(strftime);
use lib 't/lib';
use SMSTest;
use SMSFault qw(children_rss_kb);

plan tests => 39;

my $ua = client();
login($ua, 'alice', 'alice-password');
my $count = sub { sql_value('sms.db', 'SELECT count(*) FROM sms_message') };
my $batches = sub { sql_value('sms.db', 'SELECT count(*) FROM sms_batch') };

my ($before, $before_b) = ($count->(), $batches->());
my @bad = (
    [{message => 'x'}, 'invalid_json', 'recipients'],
    [{recipients => [], message => 'x'}, 'invalid_json', 'recipients'],
    [{recipients => '0412345678', message => 'x'}, 'invalid_json', 'recipients'],
    [{recipients => [('0412345678') x 10001], message => 'x'}, 'invalid_json', 'recipients'],
    [{recipients => ['0412345678']}, 'message_empty', 'message'],
    [{recipients => ['0412345678'], message => 'x' x 800}, 'message_too_long', 'message'],
    [{recipients => ['0412345678'], message => 'x', sender_id => 'a b'}, 'invalid_sender_id', 'sender_id'],
    [{recipients => ['0412345678'], message => 'x', send_at => 'soon'}, 'invalid_json', 'send_at'],
    [{recipients => ['0412345678'], template_id => 999999}, 'unknown_template', 'template_id'],
    [{recipients => ['0412345678'], message => 'x', to => '0412345678'}, 'invalid_json', 'to'],
    # wrong JSON types are a malformed request, not recipients to report
    [{recipients => [undef], message => 'x'}, 'invalid_json', 'recipients[0]'],
    [{recipients => ['0412345678', 5], message => 'x'}, 'invalid_json', 'recipients[1]'],
    [{recipients => [{}], message => 'x'}, 'invalid_json', 'recipients[0]'],
    [{recipients => [{to => 412345678}], message => 'x'}, 'invalid_json', 'recipients[0]'],
    [{recipients => [{to => '0412345678', context => 'x'}], message => 'x'}, 'invalid_json', 'recipients[0]'],
    [{recipients => [{to => '0412345678', colour => 'red'}], message => 'x'}, 'invalid_json', 'recipients[0]'],
);
for my $b (@bad) {
    my ($res, $d) = api($ua, POST => '/api/sms/send-bulk/', $b->[0]);
    ok is_envelope($res, $d, 400, $b->[1], $b->[2]) or diag $res->content;
}
ok t_cmp($count->() . '/' . $batches->(), "$before/$before_b", 'bad_bulk_stores_nothing');

# per-recipient problems are reported, the rest is accepted
my (undef, $tpl) = api($ua, POST => '/api/sms/templates/',
                       {name => 'bulk.t', body => 'Hi {first_name}, {what}'});
my ($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {
    template_id => $tpl->{id}, context => {what => 'clinic closed Friday'},
    recipients => [
        {to => '0412 880 001', context => {first_name => 'Ann'}},
        {to => '0412 880 002', context => {first_name => 'Bob', what => 'see you Monday'}},
        {to => '0412 880 003'},                          # no first_name
        {to => '0412880001', context => {first_name => 'Ann'}},  # repeated
        {to => 'x412880004', context => {first_name => 'Cy'}},
    ]});
ok t_cmp($res->code, 202, 'bulk_with_bad_recipients_is_202');
ok t_cmp($b->{accepted}, 2, 'two_accepted');
my %codes = map { ($_->{to} // 'null') => $_->{error}{code} } @{$b->{rejected}};
ok t_cmp($codes{'0412 880 003'}, 'unknown_placeholder', 'missing_context_rejected');
ok t_cmp($codes{'0412880001'}, 'duplicate_recipient', 'repeated_number_rejected');
ok t_cmp($codes{'x412880004'}, 'invalid_phone', 'bad_number_rejected');
my (undef, $list) = api($ua, GET => "/api/sms/messages/?batch_id=$b->{batch_id}");
my %bodies = map { $_->{to} => $_->{body} } @{$list->{messages}};
ok t_cmp($bodies{61412880001}, 'Hi Ann, clinic closed Friday', 'shared_context');
ok t_cmp($bodies{61412880002}, 'Hi Bob, see you Monday', 'recipient_context_wins');
ok t_cmp(scalar(keys %bodies), 2, 'only_accepted_stored');

# scheduled: stays scheduled until send_at, then goes out once
my $queue = basic_client('queue');
fake_mode({mode => 'normal'});
my $at = strftime('%Y-%m-%dT%H:%M:%SZ', gmtime(time + 3));
($res, $b) = api($queue, POST => '/api/sms/send-bulk/', {
    recipients => ['0412 990 001', '0412 990 002'], message => 'scheduled bulk', send_at => $at});
ok t_cmp($b->{status}, 'scheduled', 'scheduled_bulk');
my (undef, $c) = api($queue, GET => "/api/sms/batches/$b->{batch_id}/");
ok t_cmp($c->{counts}{scheduled}, 2, 'waits_until_send_at');
ok t_cmp(scalar(fake_calls('61412990001')), 0, 'not_sent_early');
$c = wait_for(sub {
    my (undef, $x) = api($queue, GET => "/api/sms/batches/$b->{batch_id}/");
    return $x->{counts}{sent} == 2 ? $x : undef;
}, 15);
ok t_cmp($c && $c->{counts}{sent}, 2, 'sent_at_send_at');
my @calls = fake_calls('61412990001');
ok t_cmp(scalar(@calls), 1, 'scheduled_sent_once');
ok t_cmp($calls[0]{time} >= time - 60 && $calls[0]{fields}{to} =~ /61412990002/ ? 1 : 0, 1,
         'identical_texts_share_one_provider_call');

# SMSRateLimit (queue host: 2000 messages per second): 2,500 recipients
# cannot all leave in the first second
my @many = map { sprintf '04%08d', 50000000 + $_ } 1 .. 2500;
my $from = () = grep { ($_->{action} // '') eq 'send' } fake_log();
($res, $b) = api($queue, POST => '/api/sms/send-bulk/', {recipients => \@many, message => 'paced'});
diag "paced bulk: " . $res->status_line . " " . substr($res->content, 0, 200) unless $b && $b->{batch_id};
wait_for(sub {
    my (undef, $x) = api($queue, GET => "/api/sms/batches/$b->{batch_id}/");
    return $x->{counts}{sent} == 2500;
}, 30);
my @sends = grep { ($_->{action} // '') eq 'send' } fake_log();
my @paced = @sends[$from .. $#sends];
my $span = $paced[-1]{time} - $paced[0]{time};
ok t_cmp($span >= 0.9 ? 1 : 0, 1, 'rate_limit_spreads_the_batch') or diag "span $span s";
my $n = 0;
$n += @{$_->{recipients}} for grep { $_->{time} < $paced[0]{time} + 0.9 } @paced;
ok t_cmp($n <= 2000 ? 1 : 0, 1, 'at_most_the_limit_in_the_first_second') or diag "$n in the first second";

# a bulk filed with a patient sends only to that patient's numbers
($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {
    patient_id => '43', message => 'for Kim only',
    recipients => ['+61412004343', '0412 880 099']});
ok t_cmp($b->{accepted}, 1, 'bulk_with_patient_accepts_her_number');
ok t_cmp(join(',', map { $_->{error}{code} } @{$b->{rejected}}), 'invalid_phone',
         'bulk_with_patient_rejects_a_stranger');
($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {
    patient_id => 'nobody', message => 'x', recipients => ['0412345678']});
ok is_envelope($res, $b, 404, 'unknown_patient');


# ---- bounded memory (issue 13): a 65 KB bulk of 400 recipients, each with
# a context of its own, and a shared context of 5,000 keys once grew a
# child by 202 MB (the shared context copied for every recipient); each
# recipient's text is now rendered from the contexts in layers, not copies
my (undef, $mem_tpl) = api($ua, POST => '/api/sms/templates/',
                       {name => 'bulk.t memory', body => 'Hi {name}, {k1} {k4999}'});
my %shared = map { ("k$_" => "v$_") } 0 .. 4999;
my @rcpts = map { {to => sprintf('0413 962 %03d', $_), context => {name => "P$_"}} } 1 .. 400;
my $rss_before = children_rss_kb();
for (1 .. 3) {
    ($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {
        template_id => $mem_tpl->{id}, context => \%shared, recipients => \@rcpts,
        dry_run => JSON::PP::true()});
}
ok t_cmp($res->code . ' ' . ($b->{accepted} // '-'), '200 400', 'bulk_of_400_with_5000_keys_checked')
    or diag $res->content;
ok t_cmp($b->{segments_total}, 400, 'each_recipient_rendered');
my $grown = children_rss_kb() - $rss_before;
ok t_cmp($grown < 16 * 1024 ? 1 : 0, 1,
         "bulk_of_400_with_5000_keys_grows_the_children_under_16_MB (grew ${grown} kB)");
