# Several servers on one PostgreSQL (DESIGN.md "Delivery semantics"): a
# second httpd shares the queue database and sends too; a kill -9 in the
# middle of a drain loses nothing; PostgreSQL stopped and started again
# while serving. Runs last: it stops the database for a moment. PostgreSQL
# only (SQLite is single-server).
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use IO::Socket::INET;
use lib 't/lib';
use SMSTest;

plan tests => 17, sub { driver() eq 'pgsql' };

my $logs = Apache::Test::vars('t_logs');
my $httpd = $ENV{SMS_HTTPD};
my $conf = "$logs/cluster_b.conf";
my $queue = basic_client('queue');

# Server B: only the background sender, on the queue database.
sub start_b {
    my $port = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Listen => 1)->sockport;
    open my $fh, '>', $conf or die;
    print $fh <<"CONF";
Include "$ENV{SMS_SYSTEM_CONF}"
ServerName cluster-b.test
Listen 127.0.0.1:$port
PidFile "$logs/cluster_b.pid"
ErrorLog "$logs/cluster_b_error_log"
TypesConfig /dev/null
DefaultRuntimeDir "$logs"
DBDriver pgsql
DBDParams "$ENV{SMS_DB_QUEUE}"
SMSProvider broadcast
SMSBroadcastURL "$ENV{SMS_FAKE_URL}"
SMSBroadcastUsername suite-user
SMSBroadcastPassword suite-pass
SMSSendMode queue
SMSProviderTimeout 1s
SMSRetryBackoff 300ms
SMSQueueInterval 100ms
SMSSecret suite-secret-0123456789abcdef
SMSWebhookSecret suite-hook-secret
CONF
    close $fh;
    system(qq{"$httpd" -f "$conf" -k start}) == 0 or die 'server B did not start';
}
sub kill_b { system(qq{pkill -KILL -f "$conf"}); unlink "$logs/cluster_b.pid" }
END { kill_b() if driver() eq 'pgsql' && -e "$logs/cluster_b.pid" }   # never leave it running

sub batch_done {
    my ($id, $seconds) = @_;
    return wait_for(sub {
        my (undef, $b) = api($queue, GET => "/api/sms/batches/$id/");
        return $b && $b->{counts}{queued} + $b->{counts}{sending} == 0 ? $b : undef;
    }, $seconds);
}
# how often each number of a batch was accepted by the fake
sub accepted_counts {
    my ($prefix) = @_;
    my %n;
    for my $call (grep { ($_->{action} // '') eq 'send' } fake_log()) {
        $n{$_->{to}}++ for grep { $_->{to} =~ /^\Q$prefix\E/ } @{$call->{accepted} || []};
    }
    return \%n;
}

# ---- both servers drain one bulk, each recipient exactly once ----
fake_mode({mode => 'normal'});
start_b();
my @numbers = map { sprintf '041360%04d', $_ } 1 .. 5000;
my ($res, $b) = api($queue, POST => '/api/sms/send-bulk/', {recipients => \@numbers, message => 'cluster'});
ok t_cmp($b->{accepted}, 5000, 'bulk_of_5000_accepted');
my $done = batch_done($b->{batch_id}, 60);
ok t_cmp($done && $done->{counts}{sent}, 5000, 'all_sent');
my $acc = accepted_counts('6141360');
ok t_cmp(scalar(keys %$acc), 5000, 'every_recipient_reached_the_provider');
ok t_cmp(scalar(grep { $_ != 1 } values %$acc), 0, 'exactly_once_each');
my @owners = split /\n/, sql_value('queue.db',
    "SELECT DISTINCT substring(e.detail from ' by (.*)\$') FROM sms_event e JOIN sms_message m "
  . "ON m.id = e.message_id WHERE m.batch_id = $b->{batch_id} AND e.status = 'sending'");
ok t_cmp(scalar(@owners) >= 2 ? 1 : 0, 1, 'both_servers_took_part') or diag "owners: @owners";

# ---- kill -9 of server B in the middle of a drain ----
fake_mode({mode => 'slow', delay_ms => 150, count => 100000});
my @more = map { sprintf '041361%04d', $_ } 1 .. 3000;
($res, $b) = api($queue, POST => '/api/sms/send-bulk/', {recipients => \@more, message => 'cluster kill'});
ok t_cmp($b->{accepted}, 3000);
my $sending_events = "FROM sms_event e JOIN sms_message m ON m.id = e.message_id "
    . "WHERE m.batch_id = $b->{batch_id} AND e.status = 'sending'";
wait_for(sub { sql_value('queue.db', "SELECT count(*) $sending_events") > 300 }, 20);
my @before_kill = split /\n/, sql_value('queue.db',
    "SELECT DISTINCT substring(e.detail from ' by (.*)\$') $sending_events");
kill_b();
fake_mode({mode => 'normal'});
$done = batch_done($b->{batch_id}, 90);
ok t_cmp($done ? 1 : 0, 1, 'the_other_server_finishes_after_the_lease');
ok t_cmp(scalar(@before_kill) >= 2 ? 1 : 0, 1, 'server_b_was_sending_when_killed')
    or diag "owners before the kill: @before_kill";
my %c = %{$done->{counts} || {}};
ok t_cmp(($c{sent} // 0) + ($c{unknown} // 0), 3000, 'nothing_lost');
ok t_cmp(($c{unknown} // 0) <= 100 ? 1 : 0, 1, 'only_one_in_flight_request_is_unknown') or diag "unknown: $c{unknown}";
$acc = accepted_counts('6141361');
ok t_cmp(scalar(grep { $_ > 1 } values %$acc), 0, 'nothing_sent_twice');
my $sent_ok = sql_value('queue.db', "SELECT count(*) FROM sms_message WHERE batch_id = $b->{batch_id} AND status = 'sent'");
ok t_cmp(scalar(grep { $_ == 1 } values %$acc) >= $sent_ok ? 1 : 0, 1, 'every_sent_message_reached_the_provider');

# ---- PostgreSQL stopped while serving, then started again ----
my $pg_ctl = "$ENV{SMS_PG_BIN}/pg_ctl";
system(qq{"$pg_ctl" -D "$ENV{SMS_PG_DATA}" -m fast -w stop >/dev/null}) == 0 or die 'pg_ctl stop';
my ($r, $d) = api($queue, GET => '/api/sms/messages/?limit=1');
ok is_envelope($r, $d, 503, 'storage_unavailable');
ok t_cmp($r->header('Retry-After'), qr/^\d+$/, 'retry_after_while_the_database_is_down');
($r, $d) = api(client(base => vhost_url('queue')), GET => '/api/sms/health/');
ok t_cmp($r->code, 503, 'health_503_while_the_database_is_down');
system(qq{"$pg_ctl" -D "$ENV{SMS_PG_DATA}" -l "$ENV{SMS_PG_LOG}" -w -o "$ENV{SMS_PG_OPTS}" start >/dev/null}) == 0
    or die 'pg_ctl start';
my $back = wait_for(sub { my ($x) = api($queue, GET => '/api/sms/messages/?limit=1'); $x->code == 200 }, 30);
ok t_cmp($back ? 1 : 0, 1, 'serves_again_without_a_restart');
($r, $d) = api($queue, POST => '/api/sms/send/', {to => '0413629999', message => 'after the outage'});
ok t_cmp($r->code, 202, 'sends_again_after_the_outage');
