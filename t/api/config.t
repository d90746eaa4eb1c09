# Directive validation: httpd -t refuses every bad value with a message
# that names the directive, and accepts a complete valid configuration.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;
use IO::Socket::INET;

my $logs = Apache::Test::vars('t_logs');
my $httpd = $ENV{SMS_HTTPD} or die 'SMS_HTTPD not set';
my $system = $ENV{SMS_SYSTEM_CONF} or die 'SMS_SYSTEM_CONF not set';

# [config lines, expected message]
my @bad = (
    ['SMSProvider carrier-pigeon', qr/SMSProvider: expects 'broadcast' or 'sandbox'/],
    ['SMSBroadcastURL ftp://example.com/x', qr/SMSBroadcastURL: expects an absolute http/],
    ['SMSBroadcastURL not-a-url', qr/SMSBroadcastURL: expects an absolute http/],
    ['SMSLoginURL login.html', qr{SMSLoginURL: expects a local path such as /login.html or an absolute http}],
    ['SMSLoginURL ftp://example.com/login', qr{SMSLoginURL: expects a local path}],
    ['SMSBroadcastUsername ""', qr/SMSBroadcastUsername takes one argument/],
    ['SMSSenderID "Walk Easy"', qr/SMSSenderID: expects 1 to 11 letters/],
    ['SMSSenderID WalkEasyClinic', qr/SMSSenderID: expects 1 to 11 letters/],
    ['SMSSenderID Walk-Easy', qr/SMSSenderID: expects 1 to 11 letters/],
    ['SMSSenderID 1234567890123456', qr/SMSSenderID: expects 1 to 11 letters/],
    ['SMSDefaultCountryCode 0061', qr/SMSDefaultCountryCode: expects a country calling code/],
    ['SMSDefaultCountryCode abc', qr/SMSDefaultCountryCode: expects a country calling code/],
    ['SMSDefaultCountryCode 1234', qr/SMSDefaultCountryCode: expects a country calling code/],
    ['SMSAllowNumberTypes mobile landline', qr/SMSAllowNumberTypes: expects number types among fixed_line, mobile, .*voicemail, unknown \(got 'landline'\)/],
    ['SMSMaxParts 0', qr/SMSMaxParts: expects a whole number from 1 to 5/],
    ['SMSMaxParts 6', qr/SMSMaxParts: expects a whole number from 1 to 5/],
    ['SMSMaxParts two', qr/SMSMaxParts: expects a whole number from 1 to 5/],
    ['SMSSmartEncoding maybe', qr/SMSSmartEncoding must be On or Off/],
    ['SMSSendMode later', qr/SMSSendMode: expects 'sync' or 'queue'/],
    ['SMSRetryLimit -1', qr/SMSRetryLimit: expects a whole number from 0 to 100/],
    ['SMSRetryBackoff soon', qr/SMSRetryBackoff: expects a duration/],
    ['SMSRetryBackoff 0', qr/SMSRetryBackoff: expects a duration/],
    ['SMSBatchSize 1001', qr/SMSBatchSize: expects a whole number from 1 to 1000/],
    ['SMSRateLimit 1.5', qr/SMSRateLimit: expects a whole number/],
    ['SMSQueueInterval 2h', qr/SMSQueueInterval: expects a duration/],
    ['SMSSecret short', qr/SMSSecret: must be at least 16 bytes long.*got 5/],
    ['SMSWebhookSecret hook', qr/SMSWebhookSecret: must be at least 16 bytes long/],
    ['SMSWebhookSecret 0123456789abcde', qr/SMSWebhookSecret: must be at least 16 bytes long.*got 15/],
    ["SMSSecret 0123456789abcdef0\nSMSSecretFile /etc/hostname",
     qr/SMSSecretFile: the key is already set/],
    ['SMSSecretFile /nonexistent/key', qr/SMSSecretFile: cannot read/],
    ['SMSMaxBodySize 10', qr/SMSMaxBodySize: expects a size from 1K to 64M/],
    ['SMSMaxBodySize 1G', qr/SMSMaxBodySize: expects a size from 1K to 64M/],
    ['SMSOptOutKeywords STOP "OPT-OUT"', qr/SMSOptOutKeywords: expects words of letters and digits/],
    ['SMSReplyConfirmWords Y "YES!"', qr/SMSReplyConfirmWords: expects words of letters and digits/],
    ['SMSReplyCancelWords "N O"', qr/SMSReplyCancelWords: expects words of letters and digits/],
    ['SMSPatientQuery "SELECT id FROM patients"', qr/SMSPatientQuery: expects one SELECT statement with 1 to 4 %s markers/],
    ['SMSPatientPhonesQuery "DELETE FROM phones WHERE id = %s"', qr/SMSPatientPhonesQuery: expects one SELECT/],
    ['SMSPatientByPhoneQuery "SELECT id FROM p WHERE n = %d"', qr/SMSPatientByPhoneQuery: uses apr_dbd markers/],
    ['SMSPatientAccessQuery "SELECT 1 FROM care WHERE login = %s"', qr/SMSPatientAccessQuery: expects "reference" or one SELECT statement with two %s markers/],
    ['SMSPatientAccessQuery everyone', qr/SMSPatientAccessQuery: expects "reference"/],
    ['SMSProvider broadcast', qr/SMSProvider broadcast needs SMSBroadcastUsername and SMSBroadcastPassword/],
    # the host application's events (SMSEventURL) and SMSLowBalance
    ['SMSEventURL ftp://host.example/events', qr/SMSEventURL: expects an absolute https:\/\/ URL/],
    ['SMSEventURL not-a-url', qr/SMSEventURL: expects an absolute https:\/\/ URL/],
    ['SMSEventURL http://host.example/events', qr/SMSEventURL: expects an https:\/\/ URL \(http:\/\/ only to a loopback host/],
    ['SMSEventURL http://10.0.0.5/events', qr/SMSEventURL: expects an https:\/\/ URL/],
    # a name that starts with "127." is not a loopback address
    ['SMSEventURL http://127.evil.example/events', qr/SMSEventURL: expects an https:\/\/ URL/],
    ['SMSEventURL https://host.example/events', qr/SMSEventURL needs SMSEventSecret or SMSEventSecretFile/],
    ['SMSEventSecret short', qr/SMSEventSecret: must be at least 16 bytes long.*got 5/],
    ['SMSEventSecret 0123456789abcde', qr/SMSEventSecret: must be at least 16 bytes long.*got 15/],
    ['SMSEventSecretFile /nonexistent/key', qr/SMSEventSecretFile: cannot read/],
    ["SMSEventSecret 0123456789abcdef0\nSMSEventSecretFile /etc/hostname",
     qr/SMSEventSecretFile: the key is already set/],
    ['SMSEventTimeout 50ms', qr/SMSEventTimeout: expects a duration from 100ms to 60s/],
    ['SMSEventTimeout 2min', qr/SMSEventTimeout: expects a duration/],
    ['SMSLowBalance 0', qr/SMSLowBalance: expects a whole number from 1 to 1000000000/],
    ['SMSLowBalance lots', qr/SMSLowBalance: expects a whole number/],
    ['SMSLowBalance 100 500ms', qr/SMSLowBalance: expects a duration from 1000ms to 86400s/],
    ['SMSLowBalance 100 5min extra', qr/SMSLowBalance takes 1-2 arguments/],
    ["<Location /x>\nSMSMaxParts 3\n</Location>", qr/SMSMaxParts not allowed in <Location> context/],
    # one set of patient queries: the main server's (refused, not ignored)
    ["<VirtualHost 127.0.0.1:9>\nSMSPatientQuery \"SELECT id, first_name, last_name FROM p WHERE id = %s\"\n</VirtualHost>",
     qr/SMSPatientQuery: only the main server's query is used; set it outside <VirtualHost>/],
);

my $good = <<'CONF';
SMSProvider broadcast
SMSBroadcastUsername user
SMSBroadcastPassword "pass word"
SMSBroadcastURL http://127.0.0.1:9/api-adv.php
SMSSenderID WalkEasy
SMSDefaultCountryCode +64
SMSMaxParts 3
SMSSmartEncoding On
SMSSendMode queue
SMSRetryLimit 3
SMSRetryBackoff 500ms
SMSBatchSize 250
SMSRateLimit 20
SMSQueueInterval 2s
SMSWebhookSecret hook-secret-0123456789
SMSSecret 0123456789abcdef0123
SMSMaxBodySize 256K
SMSOptOutKeywords STOP stopall Halt
SMSPatientQuery "SELECT id, first_name, last_name FROM patients WHERE id = %s"
SMSPatientAccessQuery "SELECT 1 FROM care WHERE login = %s AND patient = %s"
SMSEventURL http://127.0.0.1:9/events
SMSEventSecret event-secret-0123456789
SMSEventTimeout 2s
SMSLowBalance 500 1min
<Location /api/sms>
    SetHandler sms-api
    SMSCSRF Off
</Location>
CONF

plan tests => 2 * @bad + 6;

my $n = 0;
sub httpd_t {
    my ($lines) = @_;
    my $file = "$logs/config-" . ++$n . '.conf';
    open my $fh, '>', $file or die "$file: $!";
    print $fh "Include \"$system\"\nServerName config.test\n"
        . "ErrorLog \"$logs/config_error_log\"\nDBDriver sqlite3\n"
        . "DBDParams \"$logs/config.db\"\n$lines\n";
    close $fh;
    my $out = `"$httpd" -t -f "$file" 2>&1`;
    return ($? >> 8, $out);
}

for my $b (@bad) {
    my ($lines, $want) = @$b;
    my ($rc, $out) = httpd_t($lines);
    ok t_cmp($rc, qr/^[1-9]/, "httpd -t refuses: $lines");
    ok t_cmp($out, $want, "message names the directive: $lines");
}

my ($rc, $out) = httpd_t($good);
ok t_cmp($rc, 0, 'httpd_t_accepts_every_directive_with_good_values');
ok t_cmp($out, qr/Syntax OK/, 'syntax_ok') or diag $out;
# Without mod_dbd the module says which module is missing.
(my $no_dbd = `cat "$system"`) =~ s/^LoadModule dbd_module.*$//m;
open my $fh, '>', "$logs/nodbd.conf" or die;
print $fh "$no_dbd\nServerName config.test\nErrorLog \"$logs/config_error_log\"\n";
close $fh;
$out = `"$httpd" -t -f "$logs/nodbd.conf" 2>&1`;
ok t_cmp($out, qr/mod_sms needs mod_dbd/, 'missing_mod_dbd_named');

# A real start with one more line: whether the error log comes to say
# what $want matches (the patient queries are checked when a child starts).
sub start_logs {
    my ($name, $line, $want) = @_;
    my $port = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Listen => 1)->sockport;
    my $conf = "$logs/$name.conf";
    my $log = "$logs/${name}_error_log";
    unlink $log;
    open my $fh, '>', $conf or die;
    print $fh "Include \"$system\"\nServerName $name.test\nListen 127.0.0.1:$port\n"
        . "PidFile \"$logs/$name.pid\"\nErrorLog \"$log\"\n"
        . "TypesConfig /dev/null\nDefaultRuntimeDir \"$logs\"\n"
        . "DBDriver $ENV{SMS_DBD_DRIVER}\nDBDParams \"$ENV{SMS_DB_SMS}\"\n"
        . "SMSSecret suite-secret-0123456789abcdef\nSMSWebhookSecret suite-hook-secret\n"
        . "$line\n";
    close $fh;
    system("\"$httpd\" -f \"$conf\" -k start");
    my $found = 0;
    for (1 .. 50) {
        if (open my $l, '<', $log) {
            local $/;
            my $text = <$l>;
            if ($text =~ $want) {
                $found = 1;
                last;
            }
        }
        select undef, undef, undef, 0.1;
    }
    system("\"$httpd\" -f \"$conf\" -k stop");
    return $found;
}

# A patient query with the wrong columns: the error log of a real start
# names the directive (checked when a child starts).
{
    my $found = start_logs('badquery',
        'SMSPatientQuery "SELECT id, first_name FROM sms_patient WHERE id = %s"',
        qr/SMSPatientQuery: the query answers 2 column\(s\); it must answer \(id, first_name, last_name\)/);
    ok t_cmp($found, 1, 'wrong_patient_query_columns_named_at_start');
    # an SMSPatientQuery naming a missing table, through -t, is still syntax
    my ($rc2) = httpd_t('SMSPatientQuery "SELECT a, b, c FROM nowhere WHERE id = %s"');
    ok t_cmp($rc2, 0, 'queries_are_checked_against_the_database_not_by_t');
}
# SMSPatientAccessQuery is checked the same way: one naming a table the
# database does not have is named at start
ok t_cmp(start_logs('badaccess',
                    'SMSPatientAccessQuery "SELECT 1 FROM no_such_care_team WHERE login = %s AND patient = %s"',
                    qr/SMSPatientAccessQuery: cannot prepare the query/),
         1, 'wrong_access_query_named_at_start');

