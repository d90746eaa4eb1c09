package SMSFault;
# Helpers of the fault suite (t/api/zz_faults_*.t): bulk drains with
# numbers of their own, the outbox invariant checked against the fake
# provider's request log and the database, and the faults themselves (the
# fake stopped and started again, the server's processes, SQLite locks).
use strict;
use warnings;

use Exporter 'import';
use IPC::Open2 ();
use POSIX ();
use Time::HiRes ();
use Apache::Test ();
use SMSTest;

our @EXPORT = qw(bulk_numbers start_bulk batch_counts batch_drained
                 outbox_report report_line pacing fake_stop fake_start
                 httpd_pid httpd_children children_rss_kb sender_pid graceful_restart
                 sqlite_lock sqlite_unlock hires_time error_log_size
                 child_crashes);

# The queue host's SMSProviderTimeout (t/conf/vhosts.include): an answer
# held back longer than this is a timeout, and its recipients "unknown".
our $PROVIDER_TIMEOUT_MS = 2000;

sub hires_time { Time::HiRes::time() }

# $n numbers of a case of their own: 04<prefix><nnnn> as posted, and the
# provider's 614<prefix><nnnn> form. $prefix is four digits.
sub bulk_numbers {
    my ($prefix, $n) = @_;
    return map { sprintf '04%s%04d', $prefix, $_ } 1 .. $n;
}

# POST /api/sms/send-bulk/ of $n numbers; returns (response, decoded body).
sub start_bulk {
    my ($ua, $prefix, $n, $text) = @_;
    return api($ua, POST => '/api/sms/send-bulk/',
               {recipients => [bulk_numbers($prefix, $n)],
                message => $text || "fault case $prefix"});
}

# Rows of a batch per status, straight from the database (the API may be
# what is failing).
sub batch_counts {
    my ($db, $batch) = @_;
    my %c = map { split /\|/ } split /\n/, sql_value($db,
        "SELECT status || '|' || count(*) FROM sms_message"
      . " WHERE batch_id = $batch GROUP BY status");
    return \%c;
}

# Waits until no message of the batch waits or is in flight; returns the
# counts then, or undef.
sub batch_drained {
    my ($db, $batch, $seconds) = @_;
    my $c;
    return wait_for(sub {
        $c = eval { batch_counts($db, $batch) } or return undef;
        return (grep { $c->{$_} } qw(queued scheduled sending)) ? undef : $c;
    }, $seconds || 60);
}

# A steady drain the faults can land in: each provider answer held back
# $ms (well under the timeout), for $count requests.
sub pacing {
    my ($ms, $count) = @_;
    fake_mode({mode => 'slow', delay_ms => $ms || 150, count => $count || 100000});
}

# Send requests of the fake log that name a number of this prefix.
sub fake_sends {
    my ($prefix) = @_;
    my $mark = "614$prefix";
    open my $fh, '<', $ENV{SMS_FAKE_LOG} or return ();
    my @e;
    while (my $line = <$fh>) {
        next unless index($line, $mark) >= 0;
        my $x = $SMSTest::JSON->decode($line);
        push @e, $x if ($x->{action} // '') eq 'send';
    }
    return @e;
}

# Was this provider request one whose outcome the module cannot know?
# (no answer, a cut or unreadable answer, or one held back past the
# timeout; the provider may have sent every SMS of it)
sub ambiguous_request {
    my ($e) = @_;
    my $m = $e->{mode} // '';
    return 1 if !defined $e->{status};
    return 1 if $m =~ /^(?:garbage|empty|reset|reset_mid|hang)$/;
    return 1 if $m eq 'slow' && ($e->{delay_ms} // 2000) >= $PROVIDER_TIMEOUT_MS;
    return 0;
}

# The outbox invariant of one batch (DESIGN.md "Delivery semantics"):
#   - every message accepted by the API is in the database, none waits;
#   - "sent": the provider accepted it exactly once, with that smsref;
#   - "unknown": it went out in a request whose outcome the module could
#     not know (in flight at the fault), at most once, never again after;
#   - "failed": never accepted by the provider, with a reason;
#   - no number is accepted twice, none accepted is recorded as anything
#     but sent or unknown.
# %opt: accepted (how many the API accepted), in_flight (extra predicate
# on a fake log entry: it was in flight when a process or the fake died),
# unposted_unknown (an "unknown" the fake never logged is allowed: the
# request died on the way, e.g. on a connection the fake's death cut).
# Returns {recipients, sent, unknown, failed, posts, ambiguous (numbers
# posted in ambiguous requests), problems => [...]}.
sub outbox_report {
    my ($db, $batch, $prefix, %opt) = @_;
    my %row;
    for (split /\n/, sql_value($db,
            "SELECT to_number || '|' || status || '|' || COALESCE(external_id, '')"
          . " || '|' || COALESCE(error, '') FROM sms_message WHERE batch_id = $batch")) {
        my ($to, $status, $ext, $err) = split /\|/, $_, 4;
        $row{$to} = {status => $status, external_id => $ext, error => $err};
    }
    my (%posts, %acc, %amb);
    my $in_flight = $opt{in_flight} || sub { 0 };
    my @sends = fake_sends($prefix);
    for my $e (@sends) {
        my $amb = ambiguous_request($e) || $in_flight->($e);
        for my $to (@{$e->{recipients} || []}) {
            push @{$posts{$to}}, $amb;
            $amb{$to} = 1 if $amb;
        }
        push @{$acc{$_->{to}}}, $_->{smsref} for @{$e->{accepted} || []};
    }
    my %r = (recipients => scalar(keys %row), sent => 0, unknown => 0,
             failed => 0, other => 0, requests => scalar(@sends),
             ambiguous => scalar(keys %amb), problems => []);
    my $problem = sub { push @{$r{problems}}, join '', @_ };
    $problem->("$r{recipients} rows, the API accepted $opt{accepted}")
        if defined $opt{accepted} && $r{recipients} != $opt{accepted};
    for my $to (sort keys %row) {
        my $s = $row{$to}{status};
        my @a = @{$acc{$to} || []};
        my @p = @{$posts{$to} || []};
        $problem->("$to accepted by the provider ", scalar(@a), " times")
            if @a > 1;
        if ($s eq 'sent') {
            $r{sent}++;
            $problem->("$to sent, but the provider accepted it ", scalar(@a),
                       " times") unless @a == 1;
            $problem->("$to sent with smsref '$row{$to}{external_id}', the"
                       . " provider gave '$a[0]'")
                if @a == 1 && $row{$to}{external_id} ne $a[0];
        }
        elsif ($s eq 'unknown') {
            $r{unknown}++;
            if (!@p) {
                $problem->("$to unknown, never posted to the provider")
                    unless $opt{unposted_unknown};
            }
            elsif (!$p[-1]) {
                $problem->("$to unknown, but its last provider request was"
                           . " answered");
            }
            $problem->("$to posted again after an ambiguous request")
                if grep { $p[$_] } 0 .. $#p - 1;
        }
        elsif ($s eq 'failed') {
            $r{failed}++;
            $problem->("$to failed without a reason") unless length $row{$to}{error};
            $problem->("$to failed, but the provider accepted it") if @a;
        }
        else {
            $r{other}++;
            $problem->("$to left $s");
        }
    }
    for my $to (sort keys %acc) {
        $problem->("$to accepted by the provider, not in the batch")
            unless $row{$to};
    }
    return \%r;
}

# One line of figures for the TAP output.
sub report_line {
    my ($name, $r) = @_;
    my $p = @{$r->{problems}};
    return sprintf "%s: %d recipients, %d sent once, %d unknown, %d failed,"
        . " %d provider requests, %d numbers in ambiguous requests, %d problem(s)%s",
        $name, @$r{qw(recipients sent unknown failed requests ambiguous)}, $p,
        $p ? ":\n  " . join("\n  ", @{$r->{problems}}[0 .. ($p > 10 ? 9 : $p - 1)]) : '';
}

# ---- the fake provider down and up again -------------------------------

sub fake_pidfile { "$ENV{SMS_STATE}/fake.pid" }

# Stops the fake (SIGTERM: its children, and the requests they serve, end
# too). Returns the time it was told to stop.
sub fake_stop {
    open my $fh, '<', fake_pidfile() or die "no fake pidfile: $!";
    chomp(my $pid = <$fh>);
    my $t = hires_time();
    kill TERM => $pid or die "cannot stop the fake ($pid): $!";
    wait_for(sub { !kill 0 => $pid }, 15) or die "the fake does not stop";
    return $t;
}

# Starts the fake again on the port the module is configured for, with the
# same log, state and pidfile (t/run-suite stops it by that pidfile).
sub fake_start {
    my ($port) = $ENV{SMS_FAKE_URL} =~ m{:(\d+)/} or die 'SMS_FAKE_URL';
    my $out = "$ENV{SMS_STATE}/fake-restart.out";
    unlink $out;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out;
        open STDERR, '>>', "$ENV{SMS_STATE}/fake-restart.err";
        # nothing of the harness's pipes: it waits for them to close
        POSIX::close($_) for 3 .. 1023;
        { exec $^X, $ENV{SMS_FAKE_BIN}, '--port', $port, '--log', $ENV{SMS_FAKE_LOG},
            '--state-dir', $ENV{SMS_FAKE_STATE}, '--username', 'suite-user',
            '--password', 'suite-pass', '--pidfile', fake_pidfile() }
        POSIX::_exit(127);
    }
    wait_for(sub {
        open my $fh, '<', $out or return 0;
        local $/;
        return (<$fh> // '') =~ /^port=\d+$/m;
    }, 15) or die "the fake did not start again";
    return hires_time();
}

# ---- the server's processes ---------------------------------------------

sub error_log_file { Apache::Test::vars('t_logs') . '/error_log' }

# Where the server's error log ends now.
sub error_log_size { -s error_log_file() || 0 }

# Lines since $offset that say a child died of a signal other than the
# SIGKILL a test sent (AH00051/AH00052 are only [notice]: t/zz_error_log.t
# does not see them), or anything at crit level or worse.
sub child_crashes {
    my ($offset) = @_;
    open my $fh, '<', error_log_file() or die error_log_file() . ": $!";
    seek $fh, $offset || 0, 0;
    return grep { /exit signal (?!Killed)|\[(?:[\w.]+:)?(?:crit|alert|emerg)\]/ } <$fh>;
}

sub httpd_pid {
    my $file = Apache::Test::vars('t_logs') . '/httpd.pid';
    open my $fh, '<', $file or die "$file: $!";
    chomp(my $pid = <$fh>);
    return $pid;
}

# Pids of the server's children (from /proc).
sub httpd_children {
    my $ppid = httpd_pid();
    my @kids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // next;
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        my ($pid, $rest) = $line =~ /^(\d+) \(.*\) (.*)$/ or next;
        my (undef, $pp) = split / /, $rest;
        push @kids, $pid if $pp == $ppid;
    }
    return sort { $a <=> $b } @kids;
}

# The resident memory of the server's children together, in kB (the
# bounded-memory checks of bulk.t and preview.t).
sub children_rss_kb {
    my $kb = 0;
    for my $pid (httpd_children()) {
        open my $fh, '<', "/proc/$pid/status" or next;
        while (<$fh>) { $kb += $1 if /^VmRSS:\s+(\d+)/ }
    }
    return $kb;
}

# The pid of the child whose watchdog sender last took a message of the
# batch ("attempt N by host:pid:wd" in its events).
sub sender_pid {
    my ($db, $batch) = @_;
    my $detail = sql_value($db,
        "SELECT e.detail FROM sms_event e JOIN sms_message m ON m.id = e.message_id"
      . " WHERE m.batch_id = $batch AND e.status = 'sending'"
      . " ORDER BY e.id DESC LIMIT 1");
    my ($pid) = $detail =~ /:(\d+):wd\b/;
    return $pid;
}

# apachectl -k graceful: SIGUSR1 to the parent. Waits until a child of the
# new generation runs; returns the children before the signal.
sub graceful_restart {
    my @old = httpd_children();
    kill USR1 => httpd_pid() or die "cannot signal the server: $!";
    my %old = map { $_ => 1 } @old;
    wait_for(sub { grep { !$old{$_} } httpd_children() }, 30)
        or die 'no new child after a graceful restart';
    return @old;
}

# ---- SQLite: another process holds the write lock ------------------------

# Opens the sqlite3 shell on $file and takes BEGIN EXCLUSIVE (in WAL mode:
# every writer waits, readers go on). Returns a handle for sqlite_unlock.
sub sqlite_lock {
    my ($file) = @_;
    my ($out, $in);
    my $pid = IPC::Open2::open2($out, $in, 'sqlite3', '-batch', $file);
    $in->autoflush(1);
    print $in ".timeout 10000\nBEGIN EXCLUSIVE;\n"
            . "SELECT 'locked';\n";
    my $line = <$out> // '';
    $line =~ /locked/ or die "sqlite3 did not take the lock: $line";
    return {pid => $pid, in => $in, out => $out};
}

sub sqlite_unlock {
    my ($h) = @_;
    my $in = $h->{in};
    print $in "ROLLBACK;\n.quit\n";
    close $in;
    close $h->{out};
    waitpid $h->{pid}, 0;
    return $? == 0;
}

1;
