# The durable outbox against the fake SMS Broadcast server: queue mode,
# retries after 5xx, ambiguous timeouts, refused credentials, garbage,
# Idempotency-Key, and a 2,500-recipient bulk.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 43;

my $queue = basic_client('queue');
my $sync = basic_client('broadcast');
my $status_of = sub {
    my ($client, $id) = @_;
    my (undef, $m) = api($client, GET => "/api/sms/messages/$id/");
    return $m;
};
my $settles = sub {     # wait until a message leaves queued/sending
    my ($client, $id, $seconds) = @_;
    return wait_for(sub {
        my $m = $status_of->($client, $id);
        return $m && $m->{status} !~ /^(queued|sending|scheduled)$/ ? $m : undef;
    }, $seconds || 10) || $status_of->($client, $id);
};
my $oks = sub {         # accepted send lines for a number at the fake
    my ($number) = @_;
    return scalar grep { $_->{answer} =~ /^OK:\s*\Q$number\E:/m } fake_calls($number);
};

# ---- queue mode: 202, then the background sender hands it over once ----
fake_mode({mode => 'normal'});
my ($res, $m) = api($queue, POST => '/api/sms/send/', {to => '0412100001', message => 'queued one'});
ok t_cmp($res->code, 202, 'queue_mode_answers_202');
ok t_cmp($m->{status}, 'queued');
$m = $settles->($queue, $m->{id});
ok t_cmp($m->{status}, 'sent', 'background_sender_sends_it');
ok t_cmp($oks->('61412100001'), 1, 'queued_message_reaches_the_provider_once');

# ---- 5xx twice, then healthy: retried with backoff, sent once ----
fake_mode({mode => 'http503', count => 2});
($res, $m) = api($queue, POST => '/api/sms/send/', {to => '0412100002', message => 'retry me'});
$m = $settles->($queue, $m->{id}, 15);
ok t_cmp($m->{status}, 'sent', 'sent_after_transient_failures');
ok t_cmp($m->{attempts}, 3, 'three_attempts_recorded');
ok t_cmp(scalar(fake_calls('61412100002')), 3, 'provider_saw_three_requests');
ok t_cmp($oks->('61412100002'), 1, 'accepted_exactly_once');
my $events = join ',', map { $_->{status} } @{$m->{events} || $status_of->($queue, $m->{id})->{events}};
ok t_cmp($events, 'queued,sending,queued,sending,queued,sending,sent', 'every_status_change_is_an_event');

# ---- 5xx for ever: gives up after SMSRetryLimit (3) retries ----
fake_mode({mode => 'http500', count => 10});
($res, $m) = api($queue, POST => '/api/sms/send/', {to => '0412100003', message => 'never'});
$m = $settles->($queue, $m->{id}, 20);
ok t_cmp($m->{status}, 'failed', 'gives_up_after_the_retry_limit');
ok t_cmp($m->{attempts}, 4);
ok t_cmp($m->{error}, qr/gave up after 4 attempts: HTTP 500/, 'failure_says_why');
fake_mode({mode => 'normal'});

# ---- hang: the request went out, the outcome is unknown, never resent ----
fake_mode({mode => 'hang', count => 1});
($res, $m) = api($sync, POST => '/api/sms/send/', {to => '0412100004', message => 'hang'});
ok t_cmp($res->code, 202, 'timeout_answers_202');
ok t_cmp($m->{status}, 'unknown', 'timeout_after_sending_is_unknown');
sleep 2;
ok t_cmp(scalar(fake_calls('61412100004')), 1, 'unknown_is_not_resent');
ok t_cmp($status_of->($sync, $m->{id})->{status}, 'unknown', 'unknown_stays_unknown');

# ---- reset mid-response and garbage: unknown too ----
fake_mode({mode => 'reset', count => 1});
($res, $m) = api($sync, POST => '/api/sms/send/', {to => '0412100005', message => 'reset'});
ok t_cmp($m->{status}, 'unknown', 'reset_after_sending_is_unknown');
fake_mode({mode => 'garbage', count => 1});
($res, $m) = api($sync, POST => '/api/sms/send/', {to => '0412100006', message => 'garbage'});
ok t_cmp($m->{status}, 'unknown', 'garbage_answer_is_unknown');

# ---- refused credentials: the message waits, health says why ----
fake_mode({mode => 'error_credentials', count => 3});
($res, $m) = api($sync, POST => '/api/sms/send/', {to => '0412100007', message => 'creds'});
ok t_cmp($res->code, 202, 'refused_credentials_queue_the_message');
ok t_cmp($m->{status}, 'queued');
ok t_cmp($m->{attempts}, 0, 'refused_credentials_do_not_burn_attempts');
# (why: to a user only; anonymous health says status and storage)
my ($hr, $health) = api($sync, GET => '/api/sms/health/');
ok t_cmp($health->{status}, 'degraded', 'health_degraded');
ok t_cmp($health->{provider_error}, qr/Username or password is incorrect/, 'health_says_why');
# the fake accepts again after three refusals: the message goes out once
$m = $settles->($sync, $m->{id}, 20);
ok t_cmp($m->{status}, 'sent', 'waiting_message_sent_when_credentials_work');
ok t_cmp($oks->('61412100007'), 1);
($hr, $health) = api($sync, GET => '/api/sms/health/');
ok t_cmp($health->{status}, 'ok', 'health_recovers');

# ---- Idempotency-Key ----
fake_mode({mode => 'normal'});
my $body = {to => '0412100008', message => 'only once'};
my ($r1, $m1) = api($sync, POST => '/api/sms/send/', $body, 'Idempotency-Key' => 'k-1');
my ($r2, $m2) = api($sync, POST => '/api/sms/send/', $body, 'Idempotency-Key' => 'k-1');
ok t_cmp($r2->code, $r1->code, 'same_key_same_status');
ok t_cmp($m2->{id}, $m1->{id}, 'same_key_same_message');
ok t_cmp($r2->header('Idempotent-Replayed'), 'true');
ok t_cmp(scalar(fake_calls('61412100008')), 1, 'same_key_one_provider_call');
my ($r3, $e3) = api($sync, POST => '/api/sms/send/', {%$body, message => 'changed'},
                    'Idempotency-Key' => 'k-1');
ok is_envelope($r3, $e3, 409, 'idempotency_conflict');
# another user may use the same key
my $bob = client(base => vhost_url('broadcast'), basic => ['bob', 'bob-password']);
my ($r4) = api($bob, POST => '/api/sms/send/', {to => '0412100009', message => 'bob'},
               'Idempotency-Key' => 'k-1');
ok t_cmp($r4->code, 201, 'keys_are_per_user');
my ($r5, $e5) = api($sync, POST => '/api/sms/send/', $body, 'Idempotency-Key' => "bad key");
ok is_envelope($r5, $e5, 400, 'invalid_json', 'Idempotency-Key');

# ---- bulk: 2,500 recipients, <= 25 provider calls, BAD lines only hurt
#      their own recipients, invalid numbers reported, not fatal ----
my $sends = sub { grep { ($_->{action} // '') eq 'send' } fake_log() };
my $before = () = $sends->();
my @recipients = map { sprintf '04%08d', 30000000 + $_ } 1 .. 2497;
push @recipients, '02 9876 0001', '02 9876 0002';   # landlines: the fake says BAD
push @recipients, 'not a number';
my ($br, $batch) = api($queue, POST => '/api/sms/send-bulk/',
                       {recipients => \@recipients, message => 'Clinic closed Friday'});
ok t_cmp($br->code, 202, 'bulk_is_202');
ok t_cmp($batch->{accepted}, 2499, 'bulk_accepts_valid_numbers');
ok t_cmp(scalar(@{$batch->{rejected}}), 1, 'bulk_reports_the_invalid_one');
ok t_cmp($batch->{rejected}[0]{error}{code}, 'invalid_phone');
ok t_cmp($batch->{segments_total}, 2499);
my $counts = wait_for(sub {
    my (undef, $b) = api($queue, GET => "/api/sms/batches/$batch->{batch_id}/");
    return $b && $b->{counts}{queued} == 0 && $b->{counts}{sending} == 0 ? $b : undef;
}, 30);
ok t_cmp($counts->{counts}{sent}, 2497, 'bulk_all_valid_sent');
ok t_cmp($counts->{counts}{failed}, 2, 'bulk_bad_lines_fail_only_their_recipients');
my @all_sends = $sends->();
my @bulk_calls = @all_sends[$before .. $#all_sends];
ok t_cmp(scalar(@bulk_calls) <= 25, 1, 'bulk_in_at_most_25_provider_calls')
    or diag scalar(@bulk_calls) . ' calls';
my %seen;
$seen{$_}++ for map { @{$_->{recipients}} } @bulk_calls;
ok t_cmp(scalar(grep { $_ != 1 } values %seen), 0, 'every_recipient_exactly_once');
ok t_cmp(scalar(keys %seen), 2499);
