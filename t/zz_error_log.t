# Last of the suite: the server's error log holds no [error]/[crit]/
# [alert]/[emerg] line that a test did not cause on purpose, and no child
# died of a signal (AH00051/AH00052 are only [notice]) other than the
# SIGKILL api/zz_faults_restart.t sends.
use strict;
use warnings;
use Apache::Test;
use lib 't/lib';
use SMSTest;

# Lines the suite provokes deliberately, and which test provokes them.
my @expected = (
    qr/refusing to serve: the mod_sms schema is missing/,   # api/health.t
    qr/authentication failure for .*Password Mismatch/,     # api/login.t
    qr/AH01807|AH01617|AH01618/,                             # wrong passwords
    qr/AH01842|AH01817/,                # api/login.t: tampered session cookie
    qr/provider refuses our request: Username or password/,  # api/outbox.t
    qr/AH10244: invalid URI path \(\/api\/sms\/\.\.\//,        # api/corpus.t
    # api/zz_cluster.t stops PostgreSQL for a moment: mod_dbd cannot
    # connect, and a statement on a pooled connection finds it closed
    qr/AH00629: Can't connect to pgsql|AH00639: DBD \[pgsql\] Error|AH02655: Failed to acquire DBD/,
    qr/store: \w+ failed: (FATAL:  terminating connection|server closed the connection|no connection to the server)/,
    # api/zz_faults_storage.t (SQLite): another process holds the write
    # lock, then the file is read-only
    qr/store: \w+ failed: (?:database is locked|attempt to write a readonly database)$/,
    # api/audit.t: a trigger refuses the audit rows of patient 45's sends
    qr/store: sms_audit_insert failed: .*audit refused/,
);

plan tests => 2;

my @unexpected = grep { my $l = $_; !grep { $l =~ $_ } @expected }
    error_log_lines();
ok !@unexpected or diag "unexpected error-log lines:\n", @unexpected;

my $file = Apache::Test::vars('t_logs') . '/error_log';
open my $fh, '<', $file or die "$file: $!";
my @crashed = grep { /exit signal (?!Killed)/ } <$fh>;
ok !@crashed or diag "children that died of a signal:\n", @crashed;
