# Last of the suite: the server's error log holds no [error]/[crit]/
# [alert]/[emerg] line that a test did not cause on purpose.
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
);

plan tests => 1;

my @unexpected = grep { my $l = $_; !grep { $l =~ $_ } @expected }
    error_log_lines();
ok !@unexpected or diag "unexpected error-log lines:\n", @unexpected;
