# Events to the host application (API.md section 7, SMSEventURL): a server
# of its own (own database, the fake SMS Broadcast of the suite) POSTs its
# events to t/fake-host/fake-host. Every event arrives (a receipt that
# makes a message final, a "Y" reply with intent confirm, opt-outs by
# keyword and by a user), signed with a fresh timestamp, in order per
# message, once in the happy path and again (same id) only after a
# failure, through phases where the host is down, slow, answers 500 or
# garbage. SMSLowBalance: health and one balance.low per dip. The
# README's Python receiver runs against a real signed event. On
# PostgreSQL a second server shares the database and delivers too.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use Digest::SHA qw(hmac_sha256_hex);
use File::Path qw(make_path);
use IO::Socket::INET;
use URI::Escape qw(uri_escape);
use lib 't/lib';
use SMSTest;

plan tests => 51;

my $logs = Apache::Test::vars('t_logs');
my $httpd = $ENV{SMS_HTTPD};
my $src = $ENV{SMS_SRCDIR};
my $dir = "$logs/events";
my $secret = 'events-secret-0123456789abcdef';
my $hook = 'suite-hook-secret';
my $pg = driver() eq 'pgsql';
make_path("$dir/host");

# A named condition, said when it fails.
sub check {
    my ($cond, $name) = @_;
    diag("failed: $name") unless $cond;
    return $cond ? 1 : 0;
}

sub free_port {
    return IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Listen => 1)->sockport;
}

# ---- the database: migrated, with the suite's patients ----
my $params;
if ($pg) {
    system("$ENV{SMS_PG_BIN}/createdb", '-h', '127.0.0.1', '-p', $ENV{SMS_PG_PORT},
           'events') == 0 or die 'createdb events failed';
    ($params = $ENV{SMS_DB_SMS}) =~ s/dbname=\S+/dbname=events/;
    system('sh', "$src/sql/migrate.sh", 'pgsql', $params) == 0 or die 'migrate';
    system('psql', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $params, '-f',
           "$src/t/data/patients.sql") == 0 or die 'patients';
}
else {
    make_path("$dir/db");
    $params = "$dir/db/events.db";
    system("sh '$src/sql/migrate.sh' sqlite3 '$params' >/dev/null") == 0 or die 'migrate';
    system("sqlite3 -bail '$params' < '$src/t/data/patients.sql'") == 0 or die 'patients';
}
$ENV{SMS_DB_EVENTS} = $params;
sub db { sql_value('events.db', $_[0]) }

# ---- the fake host ----
my $host_port = free_port();
my $host_log = "$dir/host.log";
sub host_start {
    system("python3 '$src/t/fake-host/fake-host' --port $host_port --log '$host_log'"
         . " --state-dir '$dir/host' --pidfile '$dir/host.pid' >'$dir/host.out' 2>>'$dir/host.err' &");
    wait_for(sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$host_port") }, 10)
        or die 'the fake host did not start';
}
sub host_stop {
    open my $fh, '<', "$dir/host.pid" or return;
    my $pid = <$fh>;
    kill 'TERM', $pid if $pid;
    wait_for(sub { !kill 0, $pid }, 5);
    unlink "$dir/host.pid";
}
sub host_mode { system('python3', "$src/t/fake-host/fake-host", '--state-dir', "$dir/host",
                       '--set-mode', $JSON->encode($_[0])) == 0 or die 'set-mode' }
sub arrivals {
    open my $fh, '<', $host_log or return ();
    return map { my $a = $JSON->decode($_); $a->{event} = eval { $JSON->decode($a->{body}) }; $a }
           grep { /\S/ } <$fh>;
}
host_start();

# ---- the servers (B: PostgreSQL only, the same database) ----
my %server;
sub server_start {
    my ($name) = @_;
    my $port = free_port();
    my $conf = "$dir/$name.conf";
    open my $fh, '>', $conf or die;
    print $fh <<"CONF";
Include "$ENV{SMS_SYSTEM_CONF}"
ServerName events-$name.test
Listen 127.0.0.1:$port
PidFile "$dir/$name.pid"
ErrorLog "$dir/${name}_error_log"
LogLevel warn
TypesConfig /dev/null
DefaultRuntimeDir "$dir"
DBDriver $ENV{SMS_DBD_DRIVER}
DBDParams "$params"
DBDInitSQL "$ENV{SMS_DB_INIT}"
SMSProvider broadcast
SMSBroadcastURL "$ENV{SMS_FAKE_URL}"
SMSBroadcastUsername suite-user
SMSBroadcastPassword suite-pass
SMSProviderTimeout 2s
SMSRetryLimit 0
SMSQueueInterval 100ms
SMSSecret suite-secret-0123456789abcdef
SMSWebhookSecret $hook
SMSEventURL http://127.0.0.1:$host_port/events
SMSEventSecret $secret
SMSEventTimeout 1s
SMSLowBalance 100 1s
<Location /api/sms>
    SetHandler sms-api
    AuthType Basic
    AuthName "mod_sms"
    AuthBasicProvider file
    AuthUserFile "$ENV{SMS_STATE}/htpasswd"
    Require valid-user
    SMSCSRF Off
</Location>
<Location /api/sms/health>
    Require all granted
</Location>
<Location /api/sms/webhook>
    Require all granted
</Location>
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
CONF
    close $fh;
    system(qq{"$httpd" -f "$conf" -k start}) == 0 or die "server $name did not start";
    wait_for(sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") }, 10);
    $server{$name} = {conf => $conf, url => "http://127.0.0.1:$port"};
}
sub servers_stop {
    system(qq{"$httpd" -f "$_->{conf}" -k stop}) for values %server;
    wait_for(sub { !grep { -e "$dir/$_.pid" } keys %server }, 10);
}
END {
    servers_stop();
    host_stop();
    fake_mode({mode => 'normal', credits => 100000}) if $ENV{SMS_FAKE_STATE};
}
fake_mode({mode => 'normal', credits => 100000});
server_start('a');
server_start('b') if $pg;
my $ua = client(base => $server{a}{url}, basic => ['alice', 'alice-password']);

# ---- what makes events ----
my $n = 0;
# A message sent (sync, the fake accepts it) and its receipt; returns its id.
sub final_by_receipt {
    my ($to, %opt) = @_;
    my ($res, $m) = api($ua, POST => '/api/sms/send/',
                        {to => $to, message => 'events ' . ++$n, %opt});
    die 'send: ' . $res->as_string unless $res->code == 201;
    my $r = $ua->get("$server{a}{url}/api/sms/webhook/dlr/?secret=$hook&to=$m->{to}"
                     . "&ref=$m->{id}&smsref=$m->{external_id}&status=Delivered");
    die 'dlr: ' . $r->as_string unless $r->code == 200;
    return $m->{id};
}
sub inbound {
    my ($from, $text, $ref) = @_;
    my $res = $ua->get("$server{a}{url}/api/sms/webhook/inbound/?secret=$hook&to=61400000000"
                       . "&from=$from&message=" . uri_escape($text) . ($ref ? "&ref=$ref" : ''));
    die 'inbound: ' . $res->as_string unless $res->code == 200;
    return json_body($res);
}
sub pending { db('SELECT count(*) FROM sms_hostevent WHERE delivered_at IS NULL') }
sub all_delivered { wait_for(sub { pending() == 0 }, $_[0] || 30) }
sub event_num { ($_[0] =~ /^evt_(\d+)_\d+$/)[0] }
sub signature_ok {
    my ($a) = @_;
    my ($t, $v1) = ($a->{headers}{'sms-signature'} // '') =~ /^t=(\d+),v1=([0-9a-f]{64})$/
        or return 0;
    return $v1 eq hmac_sha256_hex("$t.$a->{body}", $secret)
        && abs($t - $a->{time}) < 30;
}

# ---- happy path ----
my $m1 = final_by_receipt('0412345678', patient_id => '17');
my $in1 = inbound('61412345678', 'Y', $m1);
my $stop = inbound('61412888001', 'STOP');
api($ua, POST => '/api/sms/optouts/', {number => '0412888002'});
$ua->request(HTTP::Request->new(DELETE => "$server{a}{url}/api/sms/optouts/61412888002/"));
fake_mode({mode => 'http500', count => 1}); # no retries here: failed
api($ua, POST => '/api/sms/send/', {to => '0412888003', message => 'will fail'});
ok t_cmp(all_delivered(), 1, 'happy_path_every_event_delivered');
my @happy = grep { $_->{event} } arrivals();
my %by_type;
push @{$by_type{$_->{event}{type}}}, $_->{event} for @happy;
my ($final) = grep { $_->{data}{message_id} == $m1 } @{$by_type{'message.final'} || []};
ok t_cmp($final && "$final->{data}{status}/$final->{data}{patient_id}/$final->{data}{to}",
         'delivered/17/61412345678', 'receipt_makes_message_final_event');
my ($failed) = grep { $_->{data}{to} eq '61412888003' } @{$by_type{'message.final'} || []};
ok t_cmp($failed && $failed->{data}{status}, 'failed', 'sender_final_failed_event');
my ($reply) = grep { ($_->{data}{reply_to} // 0) == $m1 } @{$by_type{'inbound.received'} || []};
ok t_cmp($reply && "$reply->{data}{intent}/$reply->{data}{from}/" . join(',', sort @{$reply->{data}{patient_ids}}),
         'confirm/61412345678/17,20', 'inbound_Y_is_confirm_with_patients_and_reply_to');
ok t_cmp($reply && $reply->{data}{inbound_id}, $in1->{id}, 'inbound_event_names_the_reply');
my @opt = map { "$_->{data}{number}:" . ($_->{data}{opted_out} ? 'out' : 'in') . ":$_->{data}{source}" }
          @{$by_type{'optout.changed'} || []};
ok t_cmp(join(' ', @opt), '61412888001:out:inbound 61412888002:out:user 61412888002:in:user',
         'optout_changed_by_keyword_and_by_user');
ok t_cmp(scalar(grep { !signature_ok($_) } @happy), 0, 'every_signature_valid_and_fresh');
my %seen;
$seen{$_->{event}{id}}++ for @happy;
ok t_cmp(scalar(grep { $_ > 1 } values %seen), 0, 'happy_path_nothing_delivered_twice');
ok t_cmp(scalar(keys %seen), db('SELECT count(*) FROM sms_hostevent'), 'one_arrival_per_stored_event');
ok t_cmp(scalar(grep { !$_->{headers}{'content-type'} || $_->{headers}{'content-type'} ne 'application/json' } @happy),
         0, 'json_content_type');
ok t_cmp($happy[0]{event}{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'created_at_is_iso_utc');
ok t_cmp($happy[0]{headers}{'sms-event-id'}, $happy[0]{event}{id}, 'event_id_header');

# ---- settings, metrics, mod_status ----
my ($sres, $set) = api($ua, GET => '/api/sms/settings/');
ok t_cmp($set->{settings}{SMSEventURL}{value}, "http://127.0.0.1:$host_port/events", 'settings_show_the_url');
ok t_cmp($set->{settings}{SMSEventSecret}{value}, 'set', 'settings_say_the_secret_is_set');
ok t_cmp(index($sres->content, $secret), -1, 'settings_never_show_the_secret');

# ---- failures: down, slow, 500, garbage ----
sub metric {
    my ($name) = @_;
    my $res = $ua->get("$server{a}{url}/api/sms/metrics");
    return ($res->content =~ /^\Q$name\E (\S+)$/m)[0];
}
my %phase_of; # event num -> phase
my $phase_n = 0;
for my $phase (qw(down slow 500 garbage)) {
    my $before = db('SELECT coalesce(max(id), 0) FROM sms_hostevent');
    if ($phase eq 'down') { host_stop() }
    elsif ($phase eq 'slow') { host_mode({mode => 'slow', delay_ms => 2500}) }
    else { host_mode({mode => $phase}) }
    $phase_n++;
    my $m = final_by_receipt(sprintf('04129990%02d', $phase_n));
    inbound(sprintf('614129990%02d', $phase_n), 'Y', $m);
    inbound(sprintf('614129990%02d', $phase_n), 'STOP');
    # the sender has tried and failed at least once
    my $tried = wait_for(sub {
        db("SELECT count(*) FROM sms_hostevent WHERE id > $before AND attempts > 0"
         . " AND delivered_at IS NULL") > 0 }, 20);
    ok t_cmp($tried ? 1 : 0, 1, "${phase}_host_makes_delivery_fail");
    if ($phase eq 'down') {
        ok check(metric('sms_events_pending') >= 3, 'events_pending_while_down');
        my $auto = client()->get("$server{a}{url}/server-status?auto")->content;
        ok t_cmp(($auto =~ /^SMSEventsPending: (\d+)/m)[0] >= 3 ? 1 : 0, 1, 'mod_status_events_pending');
        host_start();
    }
    host_mode({mode => 'ok'});
    ok t_cmp(all_delivered(40), 1, "after_${phase}_every_event_arrives");
    $phase_of{$_} = $phase for split /\n/, db("SELECT id FROM sms_hostevent WHERE id > $before");
}
ok t_cmp(metric('sms_events_pending'), 0, 'events_pending_back_to_0');

# every event: exactly one arrival the host took ("ok"), the others only
# before it and only after a failure; in order per message
my @all = grep { $_->{event} } arrivals();
my (%ok, %failed_before, $late);
for my $a (@all) {
    my $id = event_num($a->{event}{id});
    if ($a->{mode} eq 'ok') { $ok{$id}++ }
    else { $failed_before{$id}++; $late++ if $ok{$id} }
}
my @ids = split /\n/, db('SELECT id FROM sms_hostevent ORDER BY id');
ok t_cmp(scalar(grep { ($ok{$_} // 0) != 1 } @ids), 0, 'every_event_taken_exactly_once');
ok t_cmp($late // 0, 0, 'no_failed_arrival_after_the_host_took_it');
ok check(scalar(grep { $failed_before{$_} } keys %phase_of) >= 4, 'failures_were_redelivered_with_the_same_id');
my @dups = grep { my $id = event_num($_->{event}{id}); !$phase_of{$id} } grep { $_->{mode} ne 'ok' } @all;
ok t_cmp(scalar(@dups), 0, 'duplicates_only_of_events_that_failed');
ok t_cmp(scalar(grep { !signature_ok($_) } @all), 0, 'every_arrival_signed_and_fresh');
# per subject, event k+1 never arrives before event k was taken
my %subject;
for (split /\n/, db("SELECT id || '|' || subject FROM sms_hostevent ORDER BY id")) {
    my ($id, $s) = split /\|/, $_, 2;
    push @{$subject{$s}}, $id;
}
my %first_at; my %taken_at;
for my $a (@all) {
    my $id = event_num($a->{event}{id});
    $first_at{$id} //= $a->{time};
    $taken_at{$id} = $a->{time} if $a->{mode} eq 'ok';
}
my ($pairs, $bad) = (0, 0);
for my $s (keys %subject) {
    my @e = @{$subject{$s}};
    for my $k (1 .. $#e) {
        $pairs++;
        $bad++ unless $taken_at{$e[$k - 1]} <= $first_at{$e[$k]};
    }
}
ok check($pairs >= 5, "subjects_with_several_events ($pairs)");
ok t_cmp($bad, 0, 'in_order_per_message_and_number');
my ($fin) = grep { $_->{event}{type} eq 'message.final' && $phase_of{event_num($_->{event}{id})} } @all;
ok t_cmp($fin && $fin->{event}{data}{status}, 'delivered', 'final_event_after_failures');

# ---- SMSLowBalance ----
# (low_balance is one of health's details: a user's)
sub health {
    my $r = client(basic => ['alice', 'alice-password'])->get("$server{a}{url}/api/sms/health/");
    json_body($r);
}
sub balance_events { grep { $_->{mode} eq 'ok' && $_->{event} && $_->{event}{type} eq 'balance.low' } arrivals() }
my $h = health();
ok t_cmp("$h->{status}/" . ($h->{low_balance} ? 1 : 0), 'ok/0', 'health_ok_above_the_threshold');
fake_mode({mode => 'normal', credits => 50});
$h = wait_for(sub { my $x = health(); $x->{low_balance} ? $x : undef }, 15);
ok t_cmp($h && "$h->{status}/$h->{low_balance}", 'degraded/1', 'health_degraded_under_SMSLowBalance');
my $anon = json_body(client()->get("$server{a}{url}/api/sms/health/"));
ok t_cmp("$anon->{status}/" . (exists $anon->{low_balance} ? 'detail' : 'none'), 'degraded/none',
         'anonymous_health_says_degraded_without_the_detail');
ok t_cmp(scalar(wait_for(sub { scalar(balance_events()) }, 15)), 1, 'balance_low_event_sent');
my ($b1) = balance_events();
ok t_cmp("$b1->{event}{data}{credits}/$b1->{event}{data}{threshold}", '50/100', 'balance_low_carries_credits');
my $asked0 = grep { ($_->{action} // '') eq 'balance' } fake_log();
sleep 3;
my $asked = (grep { ($_->{action} // '') eq 'balance' } fake_log()) - $asked0;
ok check($asked >= 1 && $asked <= 5, "balance_asked_at_most_once_per_interval ($asked in 3 s)");
all_delivered();
ok t_cmp(scalar(balance_events()), 1, 'one_balance_low_per_dip_not_per_check');
fake_mode({mode => 'normal', credits => 500});
$h = wait_for(sub { my $x = health(); !$x->{low_balance} ? $x : undef }, 15);
ok t_cmp($h && $h->{status}, 'ok', 'health_ok_again_above');
fake_mode({mode => 'normal', credits => 20});
ok t_cmp(scalar(wait_for(sub { balance_events() >= 2 ? scalar(balance_events()) : 0 }, 15)), 2,
         'balance_low_again_on_the_next_dip');
ok t_cmp((balance_events())[1]{event}{data}{credits}, 20, 'second_dip_credits');
fake_mode({mode => 'normal', credits => 100000});

# ---- the README's receiver, against a real signed event ----
my $readme = do { local (@ARGV, $/) = "$src/README.md"; <> };
my ($py) = $readme =~ /<!-- events receiver -->\s*```python\n(.*?)```/s;
ok check(defined $py, 'readme_has_the_receiver_example');
my $rport = free_port();
$py =~ s/b"the SMSEventSecret"/b"$secret"/;
$py =~ s/8000/$rport/;
open my $pf, '>', "$dir/receiver.py" or die;
print $pf $py;
close $pf;
my $rpid = fork // die "fork: $!";
if (!$rpid) {
    open STDOUT, '>', "$dir/receiver.out";
    open STDERR, '>', "$dir/receiver.err";
    exec 'python3', "$dir/receiver.py" or exit 1;
}
wait_for(sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$rport") }, 10);
my $real = (grep { $_->{mode} eq 'ok' } @all)[-1];
sub to_receiver {
    my ($sig, $body) = @_;
    my $req = HTTP::Request->new(POST => "http://127.0.0.1:$rport/events");
    $req->header('Content-Type' => 'application/json', 'SMS-Signature' => $sig);
    $req->content($body);
    return LWP::UserAgent->new(timeout => 10)->request($req)->code;
}
my $body = $real->{body};
my $now = time;
ok t_cmp(to_receiver($real->{headers}{'sms-signature'}, $body), 204, 'readme_receiver_takes_a_real_event');
ok t_cmp(to_receiver($real->{headers}{'sms-signature'}, $body . ' '), 401, 'readme_receiver_refuses_a_changed_body');
my $old = $now - 400;
ok t_cmp(to_receiver("t=$old,v1=" . hmac_sha256_hex("$old.$body", $secret), $body), 401,
         'readme_receiver_refuses_a_timestamp_older_than_5_minutes');
ok t_cmp(to_receiver("t=$now,v1=" . hmac_sha256_hex("$now.$body", $secret), $body), 204,
         'readme_receiver_takes_a_fresh_signature');
kill 'TERM', $rpid;
waitpid $rpid, 0;

# ---- the servers' error logs ----
servers_stop();
my @errors = map { my $f = "$dir/${_}_error_log"; open my $fh, '<', $f or die; grep { /\[(\w+:)?(error|crit|alert|emerg)\]/ } <$fh> }
             sort keys %server;
ok t_cmp(scalar(@errors), 0, 'no_errors_in_the_servers_logs') or diag join '', @errors;
my @numbers = map { my $f = "$dir/${_}_error_log"; open my $fh, '<', $f or die; grep { /614\d{8}/ } <$fh> }
              sort keys %server;
ok t_cmp(scalar(@numbers), 0, 'no_full_numbers_in_the_logs') or diag join '', @numbers;
