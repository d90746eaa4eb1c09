package SMSTest;
# Helpers of the mod_sms Apache::Test suite: HTTP clients that log in the
# way a browser or script does, JSON requests, the shared vectors, the
# error log of the server under test.
use strict;
use warnings;

use Exporter 'import';
use HTTP::Cookies;
use HTTP::Request;
use IO::Socket::INET;
use JSON::PP;
use LWP::UserAgent;
use MIME::Base64 ();
use Apache::Test ();
use Apache::TestRequest ();

our @EXPORT = qw(base_url vhost_url client login api json_body
                 load_vectors error_log_lines is_envelope diag $JSON
                 basic_client fake_log fake_mode fake_calls wait_for sql_value driver
                 demo_start demo_sql demo_dir own_server own_sql);

our $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

# http://127.0.0.1:PORT of the main test server.
sub base_url {
    my $cfg = Apache::Test::config();
    return 'http://' . Apache::TestRequest::hostport($cfg);
}

# URL of one of the extra virtual hosts (noauth, basic, noschema).
sub vhost_url {
    my ($name) = @_;
    my $port = $ENV{'SMS_PORT_' . uc $name} or die "no port for vhost $name";
    return "http://127.0.0.1:$port";
}

# A fresh client with its own cookie jar (a browser session).
sub client {
    my (%opt) = @_;
    my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 30,
                                 max_redirect => 0);
    $ua->cookie_jar(HTTP::Cookies->new);
    $ua->{sms_base} = $opt{base} || base_url();
    # Basic credentials sent up front, as scripts and curl -u do
    $ua->default_header(Authorization => 'Basic '
        . MIME::Base64::encode_base64(join(':', @{$opt{basic}}), ''))
        if $opt{basic};
    return $ua;
}

# Log in through the real mod_auth_form login handler, then fetch a CSRF
# token and send it with every request, as the browser UI does. Returns the
# login response.
sub login {
    my ($ua, $user, $pass) = @_;
    my $res = $ua->post($ua->{sms_base} . '/login',
                        {httpd_username => $user, httpd_password => $pass});
    my $t = $ua->get($ua->{sms_base} . '/api/sms/csrf-token/');
    if ($t->code == 200) {
        $ua->default_header('X-CSRFToken' => json_body($t)->{csrf_token});
    }
    return $res;
}

# api($ua, METHOD, '/api/sms/preview/', $body, %headers): $body is a Perl
# structure (sent as JSON) or a plain string (sent as is). Returns the
# response and its decoded JSON (undef when the body is not JSON).
sub api {
    my ($ua, $method, $path, $body, %headers) = @_;
    my $req = HTTP::Request->new($method => $ua->{sms_base} . $path);
    if (defined $body) {
        $req->content(ref $body ? $JSON->encode($body) : $body);
        $req->header('Content-Type' => 'application/json')
            unless exists $headers{'Content-Type'};
    }
    $req->header($_ => $headers{$_}) for grep { defined $headers{$_} } keys %headers;
    my $res = $ua->request($req);
    return ($res, json_body($res));
}

sub json_body {
    my ($res) = @_;
    my $data = eval { $JSON->decode($res->content) };
    return $data;
}

# The error envelope with this code (and field, when given).
sub is_envelope {
    my ($res, $data, $status, $code, $field) = @_;
    return 0 unless $res->code == $status;
    return 0 unless ($res->header('Content-Type') || '') =~ m{^application/json};
    return 0 unless ref $data eq 'HASH' && ref $data->{error} eq 'HASH';
    my $e = $data->{error};
    return 0 unless ($e->{code} // '') eq $code && length($e->{message} // '');
    return 0 unless exists $e->{field};
    return 0 if defined $field && ($e->{field} // '') ne $field;
    return 1;
}

# A TAP comment (Apache::Test's Test.pm-style ok() has no diag of its own).
sub diag {
    my $text = join '', @_;
    print map { "# $_\n" } split /\n/, $text;
    return 1;
}

# A client of one of the Basic-auth hosts, logged in as alice.
sub basic_client {
    my ($vhost) = @_;
    return client(base => vhost_url($vhost), basic => ['alice', 'alice-password']);
}

# The requests the fake provider received, decoded (newest last).
sub fake_log {
    open my $fh, '<', $ENV{SMS_FAKE_LOG} or return ();
    return map { $JSON->decode($_) } grep { /\S/ } <$fh>;
}

# The send requests the fake received that name this number.
sub fake_calls {
    my ($number) = @_;
    return grep { ($_->{action} // '') eq 'send'
                  && grep { $_ eq $number } @{$_->{recipients} || []} } fake_log();
}

# Switch the fake's behaviour: fake_mode({mode => 'http500', count => 2}).
sub fake_mode {
    my ($mode) = @_;
    system($^X, $ENV{SMS_FAKE_BIN}, '--state-dir', $ENV{SMS_FAKE_STATE},
           '--set-mode', $JSON->encode($mode)) == 0 or die "set-mode failed";
}

# Poll until $check returns true or $seconds pass; returns the last value.
# Waits are scaled by SMS_TEST_TIMEOUT_SCALE (default 1): a slow build
# (make check-asan) waits longer; what is asserted stays the same.
sub wait_for {
    my ($check, $seconds) = @_;
    my $scale = $ENV{SMS_TEST_TIMEOUT_SCALE} || 1;
    my $until = time + ($seconds || 10) * $scale;
    my $v;
    while (1) {
        $v = $check->();
        return $v if $v || time > $until;
        select undef, undef, undef, 0.1;
    }
}

# The driver under test: sqlite3 or pgsql.
sub driver { $ENV{SMS_DBD_DRIVER} || 'sqlite3' }

# One value (rows joined by newlines) from a test database ('sms.db',
# 'broadcast.db', 'queue.db'), through the sqlite3 or psql client (sqlite3
# waits up to 5 s for the server's writers, as busy_timeout does there).
sub sql_value {
    my ($db, $sql) = @_;
    (my $name = $db) =~ s/\.db$//;
    my $params = $ENV{'SMS_DB_' . uc $name} or die "no database $db";
    return db_value($params, $sql);
}

# One value from the database of DBDParams $params (the driver under test).
sub db_value {
    my ($params, $sql) = @_;
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

# A server of the test's own (its own httpd -f, port, error log and
# database: migrated, with the test patients) for settings the suite's
# servers do not have. %a: name (files and database), lines (directives
# after the common ones: the database, the secrets, the fake SMS Broadcast
# as provider (provider => 'sandbox': the sandbox), /api/sms behind the suite's Basic users, no CSRF, webhooks
# and anonymous health open), setup (called with the database's DBDParams before the server
# starts: triggers and the like). Returns {url, params, conf, errlog};
# stopped at exit.
my @own_servers;
END { system(qq{"$ENV{SMS_HTTPD}" -f "$_" -k stop}) for @own_servers }
sub own_server {
    my (%a) = @_;
    my $name = $a{name};
    my $logs = Apache::Test::vars('t_logs');
    my $src = $ENV{SMS_SRCDIR};
    my $params;
    if (driver() eq 'pgsql') {
        my $db = "${name}_$$";
        system("$ENV{SMS_PG_BIN}/createdb", '-h', '127.0.0.1', '-p',
               $ENV{SMS_PG_PORT}, $db) == 0 or die "createdb $db failed";
        $params = "host=127.0.0.1 port=$ENV{SMS_PG_PORT} user="
            . scalar(getpwuid($<)) . " dbname=$db";
        system('sh', "$src/sql/migrate.sh", 'pgsql', $params) == 0
            or die 'migrate failed';
        system('psql', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $params, '-f',
               "$src/t/data/patients.sql") == 0 or die 'patients failed';
    }
    else {
        $params = "$ENV{SMS_STATE}/$name.db";
        unlink $params;
        system('sh', "$src/sql/migrate.sh", 'sqlite3', $params) == 0
            or die 'migrate failed';
        system("sqlite3 -bail '$params' < '$src/t/data/patients.sql'") == 0
            or die 'patients failed';
    }
    $a{setup}->($params) if $a{setup};
    my $port = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Listen => 1)->sockport;
    my $conf = "$logs/$name.conf";
    my $errlog = "$logs/${name}_error_log";
    unlink $errlog;
    my $provider = ($a{provider} // '') eq 'sandbox' ? 'SMSProvider sandbox'
        : "SMSProvider broadcast\nSMSBroadcastURL \"$ENV{SMS_FAKE_URL}\"\n"
          . "SMSBroadcastUsername suite-user\nSMSBroadcastPassword suite-pass";
    open my $fh, '>', $conf or die "$conf: $!";
    print $fh <<"CONF";
Include "$ENV{SMS_SYSTEM_CONF}"
ServerName $name.test
Listen 127.0.0.1:$port
PidFile "$logs/$name.pid"
ErrorLog "$errlog"
TypesConfig /dev/null
DefaultRuntimeDir "$logs"
DBDriver @{[driver()]}
DBDParams "$params"
DBDInitSQL "$ENV{SMS_DB_INIT}"
SMSSecret suite-secret-0123456789abcdef
SMSWebhookSecret suite-hook-secret
$provider
$a{lines}
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
<Location /api/sms/health>
    Require all granted
</Location>
CONF
    close $fh;
    system(qq{"$ENV{SMS_HTTPD}" -f "$conf" -k start}) == 0
        or die "httpd $name did not start";
    push @own_servers, $conf;
    wait_for(sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") }, 10);
    return {url => "http://127.0.0.1:$port", params => $params,
            conf => $conf, errlog => $errlog};
}

# One value (rows joined by newlines) from an own_server's database.
sub own_sql {
    my ($server, $sql) = @_;
    return db_value($server->{params}, $sql);
}

# The demo (conf/demo.sh start: conf/demo.conf with its three roles,
# server-side sessions and patient access) on a free port, with the built
# module, a run folder of its own and the driver under test (pgsql: a new
# database on the suite's server). Returns its base URL; stopped at exit.
my ($demo_run, %demo_env);
sub demo_start {
    require File::Temp;
    my $src = $ENV{SMS_SRCDIR} or die "no SMS_SRCDIR";
    $demo_run = File::Temp::tempdir("$ENV{SMS_STATE}/demo.XXXXXX");
    chmod 0755, $demo_run;
    my $port = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Listen => 1)->sockport;
    %demo_env = (SMS_SRCDIR => $src, SMS_MODULE => "$src/modules/mod_sms.so",
                 HTTPD => $ENV{SMS_HTTPD}, SMS_RUNDIR => "$demo_run/run",
                 APXS => Apache::Test::vars('apxs') || 'apxs',
                 SMS_PORT => $port, SMS_DBD_DRIVER => driver());
    if (driver() eq 'pgsql') {
        my $db = 'demo_' . $$;
        system("$ENV{SMS_PG_BIN}/createdb", '-h', '127.0.0.1', '-p',
               $ENV{SMS_PG_PORT}, $db) == 0 or die "createdb $db failed";
        $demo_env{SMS_DBD_PARAMS} = "host=127.0.0.1 port=$ENV{SMS_PG_PORT}"
            . " user=" . scalar(getpwuid($<)) . " dbname=$db";
    }
    else {
        $demo_env{SMS_DBD_PARAMS} = "$demo_run/run/state/sms.db";
    }
    local @ENV{keys %demo_env} = values %demo_env;
    my $out = `sh '$src/conf/demo.sh' start 2>&1`;
    die "the demo did not start:\n$out" if $?;
    my $url = "http://127.0.0.1:$port";
    wait_for(sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") }, 10);
    return $url;
}

END {
    if ($demo_run) {
        local @ENV{keys %demo_env} = values %demo_env;
        system("sh '$demo_env{SMS_SRCDIR}/conf/demo.sh' stop >/dev/null 2>&1");
    }
}

# The demo's run folder (state/, logs/).
sub demo_dir { return "$demo_run/run" }

# One value from the demo's database (as sql_value).
sub demo_sql {
    my ($sql) = @_;
    my $params = $demo_env{SMS_DBD_PARAMS};
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

# t/data/text_vectors.json, decoded.
sub load_vectors {
    my $file = Apache::Test::vars('t_dir') . '/data/text_vectors.json';
    open my $fh, '<:raw', $file or die "$file: $!";
    local $/;
    return $JSON->decode(<$fh>)->{cases};
}

# Error-log lines at error level or worse.
sub error_log_lines {
    my $file = Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $file or die "$file: $!";
    return grep { /\[(?:[\w.]+:)?(?:error|crit|alert|emerg)\]/ } <$fh>;
}

1;
