# PostgreSQL's (and SQLite's) error text can quote the row it refused
# ("Key (number)=(61412345678) already exists"): the store masks phone
# numbers in it before anything reaches the error log (issue 13). A
# trigger of this test's own database refuses one opt-out with such a
# text; the route answers 503 in the envelope and the server's error log
# has the number only masked (614*****123).
#
# This test starts its own httpd (its own database and error log).
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;
use IO::Socket::INET;

plan tests => 5;

my $logs = Apache::Test::vars('t_logs');
my $httpd = $ENV{SMS_HTTPD} or die 'SMS_HTTPD not set';
my $system = $ENV{SMS_SYSTEM_CONF} or die 'SMS_SYSTEM_CONF not set';

my $params;
if (driver() eq 'pgsql') {
    my $db = "dberror_$$";
    system("$ENV{SMS_PG_BIN}/createdb", '-h', '127.0.0.1', '-p',
           $ENV{SMS_PG_PORT}, $db) == 0 or die "createdb $db failed";
    $params = "host=127.0.0.1 port=$ENV{SMS_PG_PORT} user="
        . scalar(getpwuid($<)) . " dbname=$db";
    system('sh', "$ENV{SMS_SRCDIR}/sql/migrate.sh", 'pgsql', $params) == 0
        or die 'migrate failed';
    system('psql', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $params, '-c', <<'SQL') == 0
CREATE FUNCTION dberror_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'duplicate key value violates unique constraint "sms_optout_pkey"'
        USING DETAIL = 'Key (number)=(61412999123) already exists.';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER dberror_refuse BEFORE INSERT ON sms_optout FOR EACH ROW
WHEN (NEW.number = '61412999123') EXECUTE FUNCTION dberror_refuse();
SQL
        or die 'trigger failed';
}
else {
    $params = "$ENV{SMS_STATE}/dberror.db";
    unlink $params;
    system('sh', "$ENV{SMS_SRCDIR}/sql/migrate.sh", 'sqlite3', $params) == 0
        or die 'migrate failed';
    system('sqlite3', '-bail', $params, <<'SQL') == 0 or die 'trigger failed';
CREATE TRIGGER dberror_refuse BEFORE INSERT ON sms_optout
WHEN NEW.number = '61412999123'
BEGIN
    SELECT RAISE(ABORT, 'UNIQUE constraint failed: Key (number)=(61412999123) already exists');
END;
SQL
}
# one value from this test's database
sub db_value {
    my ($sql) = @_;
    my @cmd = driver() eq 'pgsql'
        ? ('psql', '-qtAX', '-v', 'ON_ERROR_STOP=1', '-d', $params, '-c', $sql)
        : ('sqlite3', '-cmd', '.timeout 5000', $params, $sql);
    open my $fh, '-|', @cmd or die "@cmd: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh or die "$cmd[0] failed on: $sql";
    $out =~ s/\s+\z//;
    return $out;
}

my $port = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Listen => 1)->sockport;
my $conf = "$logs/dberror.conf";
open my $fh, '>', $conf or die "$conf: $!";
print $fh <<"CONF";
Include "$system"
ServerName dberror.test
Listen 127.0.0.1:$port
PidFile "$logs/dberror.pid"
ErrorLog "$logs/dberror_error_log"
TypesConfig /dev/null
DefaultRuntimeDir "$logs"
DBDriver @{[driver()]}
DBDParams "$params"
DBDInitSQL "$ENV{SMS_DB_INIT}"
SMSSecret suite-secret-0123456789abcdef
SMSWebhookSecret suite-hook-secret
SMSProvider broadcast
SMSBroadcastURL "$ENV{SMS_FAKE_URL}"
SMSBroadcastUsername suite-user
SMSBroadcastPassword suite-pass
SMSSendMode sync
SMSProviderTimeout 2s
SMSRetryLimit 3
SMSRetryBackoff 300ms
SMSQueueInterval 100ms
<Location /api/sms>
    SetHandler sms-api
    AuthType Basic
    AuthName "mod_sms"
    AuthBasicProvider file
    AuthUserFile "$ENV{SMS_STATE}/htpasswd"
    Require valid-user
    SMSCSRF Off
</Location>
<Location /api/sms/webhook>
    Require all granted
</Location>
CONF
close $fh;
system("\"$httpd\" -f \"$conf\" -k start") == 0 or die 'httpd did not start';
END { system("\"$httpd\" -f \"$conf\" -k stop") if $conf }
my $url = "http://127.0.0.1:$port";
wait_for(sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") }, 10);
my $ua = client(base => $url, basic => ['alice', 'alice-password']);

my ($res, $e) = api($ua, POST => '/api/sms/optouts/', {number => '0412 999 123'});
ok is_envelope($res, $e, 503, 'storage_unavailable') or diag $res->content;
ok t_cmp(db_value("SELECT count(*) FROM sms_optout"), 0, 'nothing_stored');
my $log = '';
wait_for(sub {
    open my $fh, '<', "$logs/dberror_error_log" or return;
    local $/;
    $log = <$fh> // '';
    return $log =~ /already exists/;
}, 5);
my @lines = grep { /already exists/ } split /\n/, $log;
ok t_cmp(scalar(@lines) > 0 ? 1 : 0, 1, 'the_database_error_is_logged') or diag $log;
ok t_cmp(join("\n", @lines), qr/Key \(number\)=\(614\*{5}123\)/, 'the_number_in_it_is_masked');
ok t_cmp(scalar(grep { /412999123/ } split /\n/, $log), 0, 'the_number_never_appears_whole');
