# The fault suite, server side: a graceful restart (apachectl -k graceful:
# SIGUSR1 to the parent) and a kill -9 of the child that runs the watchdog
# sender, each in the middle of a bulk drain on the queue host. A graceful
# restart loses nothing and leaves nothing unknown (the old child finishes
# the provider call it is in); after a kill -9 only the request in flight
# at the kill may end "unknown", once its lease runs out, and the rest is
# sent by the new child. Both drivers.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;
use SMSFault;

plan tests => 18;

my $queue = basic_client('queue');
my $N = 2000;
my $error_log = Apache::Test::vars('t_logs') . '/error_log';

sub log_size { -s $error_log }
sub log_since {
    my ($offset) = @_;
    open my $fh, '<', $error_log or die "$error_log: $!";
    seek $fh, $offset, 0;
    return <$fh>;
}

# A paced drain of $N recipients, waited for until $min are sent.
sub paced_bulk {
    my ($prefix, $name) = @_;
    pacing(200);
    my ($res, $b) = start_bulk($queue, $prefix, $N, "fault $name");
    ok t_cmp($res->code, 202, "${name}_bulk_accepted");
    my $id = $b->{batch_id} or die "$name: no batch: " . $res->content;
    wait_for(sub { (batch_counts('queue.db', $id)->{sent} // 0) >= 200 }, 60)
        or diag "$name: the drain did not start";
    return $id;
}

# ---- graceful restart in the middle of a drain ----
my $offset = log_size();
my $id = paced_bulk('7201', 'graceful');
my $before = batch_counts('queue.db', $id);
my @old = graceful_restart();
ok t_cmp(($before->{queued} // 0) > 0 ? 1 : 0, 1, 'graceful_restart_during_the_drain');
my $done = batch_drained('queue.db', $id, 120);
fake_mode({mode => 'normal'});
ok t_cmp($done ? 1 : 0, 1, 'graceful_drain_finishes');
my $r = outbox_report('queue.db', $id, '7201', accepted => $N);
diag report_line('graceful', $r);
ok t_cmp(scalar @{$r->{problems}}, 0, 'graceful_each_recipient_sent_once');
ok t_cmp($r->{sent}, $N, 'graceful_loses_nothing_and_leaves_nothing_unknown');
ok t_cmp(wait_for(sub { !grep { kill 0 => $_ } @old }, 60) ? 1 : 0, 1,
         'graceful_old_children_exit');
my @bad = grep { /exit signal|AH00051|AH00052|\[(?:crit|alert|emerg)\]/ } log_since($offset);
ok t_cmp(scalar @bad, 0, 'graceful_no_child_crashes') or diag @bad;
my @owners = split /\n/, sql_value('queue.db',
    "SELECT DISTINCT e.detail FROM sms_event e JOIN sms_message m ON m.id = e.message_id"
  . " WHERE m.batch_id = $id AND e.status = 'sending'");
my %pids = map { /:(\d+):wd/ ? ($1 => 1) : () } @owners;
diag 'graceful: sender pids ' . join(' ', sort keys %pids) . "; old children @old";
# the old child ends its run after the provider call in progress and gives
# its claims back: the new generation sends the rest
my %old = map { $_ => 1 } @old;
ok t_cmp((grep { !$old{$_} } keys %pids) ? 1 : 0, 1, 'graceful_new_generation_takes_over');

# ---- kill -9 of the child that runs the sender ----
$offset = log_size();
$id = paced_bulk('7202', 'kill9');
my $victim = sender_pid('queue.db', $id);
ok t_cmp(($victim && grep { $_ == $victim } httpd_children()) ? 1 : 0, 1,
         'kill9_victim_is_a_child_sending_this_batch') or diag "sender pid: " . ($victim // 'none');
$before = batch_counts('queue.db', $id);
my $killed = hires_time();
kill KILL => $victim;
ok t_cmp(($before->{queued} // 0) > 0 ? 1 : 0, 1, 'kill9_during_the_drain');
# the lease (2 x SMSProviderTimeout + 5 s) runs out before the rest moves
$done = batch_drained('queue.db', $id, 150);
fake_mode({mode => 'normal'});
ok t_cmp($done ? 1 : 0, 1, 'kill9_drain_finishes_in_a_new_child');
$r = outbox_report('queue.db', $id, '7202', accepted => $N,
                   in_flight => sub { $_[0]{time} > $killed - 1 && $_[0]{time} < $killed + 0.2 },
                   unposted_unknown => 1);
diag report_line('kill9', $r);
ok t_cmp(scalar @{$r->{problems}}, 0, 'kill9_sent_once_or_unknown_in_flight');
ok t_cmp($r->{unknown} <= 100 ? 1 : 0, 1, 'kill9_at_most_one_request_unknown');
ok t_cmp($r->{failed}, 0, 'kill9_nothing_failed');
ok t_cmp($r->{sent} + $r->{unknown}, $N, 'kill9_nothing_lost');
my $new = sender_pid('queue.db', $id);
ok t_cmp(($new && $new != $victim) ? 1 : 0, 1, 'kill9_another_child_took_over');
@bad = grep { /exit signal (?!Killed)|\[(?:crit|alert|emerg)\]/ } log_since($offset);
ok t_cmp(scalar @bad, 0, 'kill9_nothing_else_crashed') or diag @bad;
