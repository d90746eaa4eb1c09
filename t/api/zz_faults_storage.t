# The fault suite, storage side, SQLite only: the database file locked by
# another process (the sqlite3 shell holding BEGIN EXCLUSIVE) in the middle
# of a bulk drain, and the file made read-only. Requests that write answer
# 503 storage_unavailable with Retry-After within the busy_timeout, a bulk
# is stored whole or not at all, and the sender resumes afterwards: every
# recipient sent once, or "unknown" only for the provider call whose
# outcome could not be recorded while the lock was held.
#
# PostgreSQL: a lock file and file permissions are SQLite's own failure
# modes. Its counterpart runs instead: the database server stopped (fast
# shutdown: every connection cut) in the middle of a drain, then started
# again.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;
use SMSFault;

plan tests => driver() eq 'sqlite3' ? 21 : 12;

my $queue = basic_client('queue');
my $file = $ENV{SMS_DB_QUEUE};
my $log_start = error_log_size();
END {   # whichever driver's cases ran (a SIGSEGV here killed children once)
    my @crashes = child_crashes($log_start);
    ok t_cmp(scalar @crashes, 0, 'no_child_crashed') or diag @crashes;
}
my $rows = sub { sql_value('queue.db', 'SELECT count(*) FROM sms_message') . '/'
                 . sql_value('queue.db', 'SELECT count(*) FROM sms_batch') };

if (driver() eq 'pgsql') {
    pgsql_gone();
    exit 0;
}

# ---- locked by another process during a drain ----
pacing(250);
my ($res, $b) = start_bulk($queue, '7301', 1000, 'fault locked');
ok t_cmp($res->code, 202, 'locked_bulk_accepted');
my $id = $b->{batch_id};
wait_for(sub { (batch_counts('queue.db', $id)->{sent} // 0) >= 100 }, 60);
my $lock = sqlite_lock($file);
my $locked = hires_time();
my $stored = $rows->();
my $t0 = hires_time();
my ($r2, $e2) = start_bulk($queue, '7302', 50, 'fault locked 2');
my $took = hires_time() - $t0;
ok is_envelope($r2, $e2, 503, 'storage_unavailable') or diag $r2->status_line, ' ', $r2->content;
ok t_cmp($r2->header('Retry-After'), qr/^\d+$/, 'locked_503_has_retry_after');
ok t_cmp($took < 20 ? 1 : 0, 1, 'locked_answers_within_the_busy_timeout') or diag "took $took s";
my ($r3) = api($queue, GET => "/api/sms/batches/$id/");
ok t_cmp($r3->code, 200, 'locked_reads_go_on');
sleep 2;        # the sender meets the lock too
my $counts_locked = batch_counts('queue.db', $id);
ok t_cmp($rows->(), $stored, 'locked_nothing_half_written');
ok t_cmp(sqlite_unlock($lock) ? 1 : 0, 1, 'lock_released');
my $unlocked = hires_time();
my $done = batch_drained('queue.db', $id, 120);
fake_mode({mode => 'normal'});
ok t_cmp($done ? 1 : 0, 1, 'locked_sender_resumes_and_finishes');
my $r = outbox_report('queue.db', $id, '7301', accepted => 1000,
    in_flight => sub { $_[0]{time} > $locked - 1 && $_[0]{time} < $unlocked });
diag report_line('locked', $r);
ok t_cmp(scalar @{$r->{problems}}, 0, 'locked_sent_once_or_unknown_in_flight');
ok t_cmp($r->{unknown} <= 100 ? 1 : 0, 1, 'locked_at_most_one_request_unknown');
ok t_cmp($r->{sent} + $r->{unknown}, 1000, 'locked_nothing_lost');
ok t_cmp(($counts_locked->{queued} // 0) > 0 ? 1 : 0, 1, 'locked_while_the_drain_was_in_progress');
($r2, $b) = start_bulk($queue, '7302', 50, 'fault locked 2');
ok t_cmp($r2->code, 202, 'locked_the_refused_bulk_accepted_when_sent_again');
$done = batch_drained('queue.db', $b->{batch_id}, 60);
ok t_cmp($done && $done->{sent}, 50, 'locked_and_sent');

# ---- read-only file ----
# chmod does not reach descriptors already open: the connections httpd
# holds keep writing. An administrator's reload opens new ones, and those
# see the read-only file. The bulk is scheduled a few seconds ahead, so
# the old generation has nothing left to send when the new one starts.
fake_mode({mode => 'normal'});
my $due = time + 6;
my @at = gmtime($due);
my $send_at = sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $at[5] + 1900, $at[4] + 1, @at[3, 2, 1, 0];
($res, $b) = api($queue, POST => '/api/sms/send-bulk/',
                 {recipients => [bulk_numbers('7303', 500)], message => 'fault read-only',
                  send_at => $send_at});
ok t_cmp($res->code, 202, 'readonly_scheduled_bulk_accepted');
$id = $b->{batch_id};
chmod 0444, $file or die "chmod $file: $!";
graceful_restart();
$stored = $rows->();
($r2, $e2) = start_bulk($queue, '7304', 50, 'fault read-only 2');
ok is_envelope($r2, $e2, 503, 'storage_unavailable') or diag $r2->status_line, ' ', $r2->content;
ok t_cmp($r2->header('Retry-After'), qr/^\d+$/, 'readonly_503_has_retry_after');
sleep 1 while time < $due + 3;     # past send_at: the sender cannot claim
ok t_cmp($rows->(), $stored, 'readonly_nothing_written');
ok t_cmp(scalar(SMSFault::fake_sends('7303')), 0, 'readonly_nothing_sent_that_could_not_be_recorded');
# the fix an administrator makes: the database and its -wal and -shm files
# (SQLite creates those with the database file's mode: one made while the
# file was read-only stays read-only, and so does every write after it)
chmod 0644, grep { -e } $file, "$file-wal", "$file-shm";
graceful_restart();
$done = batch_drained('queue.db', $id, 60);
$r = outbox_report('queue.db', $id, '7303', accepted => 500);
diag report_line('readonly', $r);
ok t_cmp($done && $r->{sent} == 500 && !@{$r->{problems}} ? 1 : 0, 1,
         'readonly_sender_resumes_after_the_fix_each_sent_once');

# ---- PostgreSQL: the server stopped during a drain, then started ----
sub pgsql_gone {
    my $pg_ctl = "$ENV{SMS_PG_BIN}/pg_ctl";
    pacing(250);
    my ($res, $b) = start_bulk($queue, '7305', 1000, 'fault pg gone');
    ok t_cmp($res->code, 202, 'pg_gone_bulk_accepted');
    my $id = $b->{batch_id};
    wait_for(sub { (batch_counts('queue.db', $id)->{sent} // 0) >= 100 }, 60);
    my $before = batch_counts('queue.db', $id);
    my $stopped = hires_time();
    system(qq{"$pg_ctl" -D "$ENV{SMS_PG_DATA}" -m fast -w stop >/dev/null}) == 0
        or die 'pg_ctl stop';
    my ($r2, $e2) = start_bulk($queue, '7306', 50, 'fault pg gone 2');
    ok is_envelope($r2, $e2, 503, 'storage_unavailable') or diag $r2->status_line, ' ', $r2->content;
    ok t_cmp($r2->header('Retry-After'), qr/^\d+$/, 'pg_gone_503_has_retry_after');
    sleep 2;        # the sender meets the outage too
    system(qq{"$pg_ctl" -D "$ENV{SMS_PG_DATA}" -l "$ENV{SMS_PG_LOG}" -w -o "$ENV{SMS_PG_OPTS}" start >/dev/null}) == 0
        or die 'pg_ctl start';
    my $started = hires_time();
    ok t_cmp(sql_value('queue.db', "SELECT count(*) FROM sms_message WHERE to_number LIKE '6147306%'"),
             0, 'pg_gone_refused_bulk_stored_nothing');
    my $done = batch_drained('queue.db', $id, 120);
    fake_mode({mode => 'normal'});
    ok t_cmp($done ? 1 : 0, 1, 'pg_gone_sender_resumes_and_finishes');
    my $r = outbox_report('queue.db', $id, '7305', accepted => 1000,
        in_flight => sub { $_[0]{time} > $stopped - 1 && $_[0]{time} < $started });
    diag report_line('pg_gone', $r);
    ok t_cmp(scalar @{$r->{problems}}, 0, 'pg_gone_sent_once_or_unknown_in_flight');
    ok t_cmp($r->{unknown} <= 100 ? 1 : 0, 1, 'pg_gone_at_most_one_request_unknown');
    ok t_cmp($r->{sent} + $r->{unknown}, 1000, 'pg_gone_nothing_lost');
    ok t_cmp(($before->{queued} // 0) > 0 ? 1 : 0, 1, 'pg_gone_drain_was_in_progress');
    my $back = wait_for(sub { my ($x) = start_bulk($queue, '7306', 50, 'fault pg gone 2');
                              $x->code == 202 ? $x : undef }, 30);
    ok t_cmp($back ? $back->code : 0, 202, 'pg_gone_the_refused_bulk_accepted_when_sent_again');
    my $again = json_body($back) || {};
    $done = batch_drained('queue.db', $again->{batch_id} || 0, 60);
    ok t_cmp($done && $done->{sent}, 50, 'pg_gone_and_sent');
}
