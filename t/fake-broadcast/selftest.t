#!/usr/bin/perl
# Self-test of the fake SMS Broadcast server: starts it on a free loopback
# port, checks every protocol rule and every failure mode against what
# shared/PROVIDER.md and t/fake-broadcast/README.md promise, then stops it with
# SIGTERM.  Standalone TAP:  prove -v t/fake-broadcast/selftest.t
use v5.36;
use utf8;

use Encode qw(encode decode);
use File::Path ();
use File::Temp qw(tempdir);
use FindBin;
use HTTP::Request;
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use LWP::UserAgent;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(time sleep);
use URI::Escape qw(uri_escape_utf8);

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $FAKE    = "$FindBin::Bin/fake-broadcast";
my $VECTORS = "$FindBin::Bin/../data/text_vectors.json";
my $JSON    = JSON::PP->new->utf8->canonical;

# A password that needs URL-encoding and is easy to spot in a file.
my ($USER, $PASS) = ('clinic', 'Pw&=+% zq7-UNIQUE');

my $tmp     = tempdir('fake-broadcast-selftest.XXXXXX', TMPDIR => 1,
                      CLEANUP => 1);
my $state   = "$tmp/state";
my $logfile = "$tmp/requests.jsonl";
my $pidfile = "$tmp/fake.pid";

# ---------------------------------------------------------------------------
# Start the fake
# ---------------------------------------------------------------------------

my $errfile = "$tmp/fake.stderr";
# The server's stderr goes to a file, checked at the end for warnings.
open(my $saved_err, '>&', \*STDERR) or die "dup STDERR: $!";
open(STDERR, '>', $errfile) or die "$errfile: $!";
my $fake_pid = open(my $fake_out, '-|', $^X, $FAKE,
    '--port' => 0, '--log' => $logfile, '--state-dir' => $state,
    '--username' => $USER, '--password' => $PASS, '--pidfile' => $pidfile);
my $start_err = $!;
open(STDERR, '>&', $saved_err) or die "restore STDERR: $!";
$fake_pid or BAIL_OUT("cannot start $FAKE: $start_err");
my $first = eval {
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 15;
    my $l = <$fake_out>;
    alarm 0;
    $l;
};
my ($PORT) = ($first // '') =~ /\Aport=([0-9]+)\n\z/
    or do {
        kill TERM => $fake_pid;
        diag(slurp($errfile) // '');
        BAIL_OUT('no port=N line, got: ' . ($first // 'nothing'));
    };
pass("started, first line is port=$PORT");
my $URL = "http://127.0.0.1:$PORT/api-adv.php";

# The pidfile is written before the port line.
is(slurp($pidfile), "$fake_pid\n", 'pidfile holds the server pid');

# Whatever happens, do not leave the server behind: END covers a normal end
# or a die, the handlers a harness that goes away (SIGPIPE) or an interrupt.
END { kill TERM => $fake_pid if $fake_pid && kill 0 => $fake_pid }
my $TEST_PID = $$;
for my $sig (qw(INT TERM HUP PIPE)) {
    $SIG{$sig} = sub {
        # No exit(): Test::More's END would write TAP to the pipe that is gone.
        if ($$ == $TEST_PID) {
            kill TERM => $fake_pid if $fake_pid;
            File::Path::remove_tree($tmp);
        }
        POSIX::_exit(1);
    };
}

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

sub slurp($path) {
    open(my $fh, '<:raw', $path) or return undef;
    local $/;
    return scalar <$fh>;
}

my $UA = LWP::UserAgent->new(keep_alive => 4, timeout => 20);

sub form(%f) {
    join '&', map { uri_escape_utf8($_) . '=' . uri_escape_utf8($f{$_}) }
              sort keys %f;
}

# POST a form (a Perl hash) and return the response.
sub post_form($ua, %f) {
    my $req = HTTP::Request->new(POST => $URL,
        ['Content-Type' => 'application/x-www-form-urlencoded'], form(%f));
    return $ua->request($req);
}

sub api(%f)  { post_form($UA, username => $USER, password => $PASS, %f) }
sub body($res) { decode('UTF-8', $res->content) }
sub lines($res) { split /\n/, body($res) }

# Log entries appended since the previous call (read from where it stopped:
# the log grows to thousands of recipients, re-parsing it all is slow).
my $log_offset = 0;
sub new_entries() {
    my $raw = slurp($logfile) // '';
    my $chunk = substr($raw, $log_offset);
    $chunk =~ s/[^\n]*\z//;             # a line still being written: later
    $log_offset += length $chunk;
    return map { $JSON->decode($_) } split /\n/, $chunk;
}
sub all_entries() {
    my $raw = slurp($logfile) // '';
    return map { $JSON->decode($_) } grep { length } split /\n/, $raw;
}

sub last_entry() {
    my $raw = slurp($logfile) // '';
    $raw =~ s/\n\z// or return {};
    return $JSON->decode(substr($raw, rindex($raw, "\n") + 1));
}

sub set_mode($json) {
    system($^X, $FAKE, '--state-dir', $state, '--set-mode', $json) == 0
        or die "--set-mode $json failed: $?";
}
sub control() { $JSON->decode(slurp("$state/mode.json") // '{}') }

# Polls until $cond->() is true or $secs pass.
sub wait_for($secs, $cond) {
    my $end = time + $secs;
    while (time < $end) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return $cond->();
}

my $OK_RE = qr/\AOK: (\d+):(\d+)\z/;

# ---------------------------------------------------------------------------
# HTTP surface
# ---------------------------------------------------------------------------

subtest 'paths and methods' => sub {
    my $res = $UA->get("http://127.0.0.1:$PORT/api.php");
    is($res->code, 404, 'other path: 404');
    $res = $UA->get("http://127.0.0.1:$PORT/");
    is($res->code, 404, '/ : 404');
    $res = $UA->request(HTTP::Request->new(PUT => $URL, [], 'x'));
    is($res->code, 405, 'PUT: 405');
    is($res->header('Allow'), 'GET, POST', '405 says Allow: GET, POST');
    my @e = new_entries();
    is(scalar @e, 3, 'each request logged once');
    is($e[0]{path}, '/api.php', 'log has the path');
    is($e[0]{status}, 404, 'log has the status');
};

subtest 'credentials' => sub {
    my $bad = 'ERROR: Username or password is incorrect';
    for my $case (['wrong password', username => $USER, password => 'nope'],
                  ['wrong username', username => 'x', password => $PASS],
                  ['no password', username => $USER],
                  ['no username', password => $PASS],
                  ['password case', username => $USER, password => uc $PASS]) {
        my ($name, %cred) = @$case;
        my $res = post_form($UA, %cred, to => '0400111222', message => 'hi');
        is($res->code, 200, "$name: HTTP 200");
        is(body($res), "$bad\n", "$name: single ERROR line");
        $res = post_form($UA, %cred, action => 'balance');
        is(body($res), "$bad\n", "$name: balance refused too");
    }
    my $res = api(action => 'balance');
    is(body($res), "OK: 1000\n", 'balance: OK: 1000 by default');
    like($res->header('Content-Type'), qr{\Atext/plain}, 'text/plain');
    new_entries();
};

subtest 'GET and POST, fields, log record' => sub {
    my $res = $UA->get("$URL?" . form(username => $USER, password => $PASS,
                                      to => '0400111222', message => 'by GET'));
    like(body($res), qr/\AOK: 61400111222:\d+\n\z/, 'GET send accepted');
    my ($e) = new_entries();
    is($e->{method}, 'GET', 'log: method');
    is_deeply($e->{in_query}, [qw(message password to username)],
              'log: in_query names the fields that came in the URL');

    # Sent once encoded: recorded decoded once, exactly (a double-encoded
    # "%41" stays "%41", tests compare it).
    my $msg = "Olá Ann € 10:30 100% sure %41 a+b & c=d 😀\r\nbye "
            . "\"q\" back\\slash\ttab \x07 \x{1F} ж 𝄞 end";
    $res = api(to => '0400111222', message => $msg, from => 'Clinic',
               ref => 'msg-42', maxsplit => 3);
    like(body($res), qr/\AOK: 61400111222:\d+\n\z/, 'POST send accepted');
    ($e) = new_entries();
    is($e->{method}, 'POST', 'log: method');
    is($e->{path}, '/api-adv.php', 'log: path');
    is($e->{action}, 'send', 'log: action');
    is($e->{mode}, 'normal', 'log: mode');
    is($e->{status}, 200, 'log: status');
    ok($e->{time} > time - 60 && $e->{time} <= time, 'log: time is epoch');
    is($e->{fields}{message}, $msg, 'log: message recorded exactly');
    is($e->{fields}{password}, '***', 'log: password masked');
    is($e->{fields}{username}, $USER, 'log: username kept');
    is_deeply($e->{recipients}, ['0400111222'], 'log: recipients as sent');
    is($e->{answer}, body($res), 'log: answer is the full body');
    is_deeply($e->{in_query}, [], 'log: nothing in the URL');
    is(scalar @{$e->{accepted}}, 1, 'log: one accepted');
    my $raw = (split /\n/, slurp($logfile))[-1];
    like($raw, qr/"status":200[,}]/, 'log: status is a JSON number');
    like($raw, qr/"smsref":\d+[,}]/, 'log: smsref is a JSON number');
    like($raw, qr/"time":\d+\.\d+[,}]/, 'log: time is a JSON number');
    like($raw, qr/"recipients":\["0400111222"\]/, 'log: numbers to send are strings');

    # Body in a type PHP would not parse: nothing arrives, login fails.
    my $req = HTTP::Request->new(POST => $URL, ['Content-Type' => 'text/plain'],
        form(username => $USER, password => $PASS, to => '0400111222',
             message => 'x'));
    like(body($UA->request($req)), qr/\AERROR: Username or password/,
         'non-form POST body is not read');
    # Body fields win over URL fields, like PHP's $_REQUEST.
    $req = HTTP::Request->new(POST => "$URL?message=from-url",
        ['Content-Type' => 'application/x-www-form-urlencoded; charset=UTF-8'],
        form(username => $USER, password => $PASS, to => '0400111222',
             message => 'from-body'));
    like(body($UA->request($req)), qr/\AOK: 61400111222:\d+\n\z/,
         'mixed accepted');
    ($e) = (new_entries())[-1];
    is($e->{fields}{message}, 'from-body', 'body field overrides URL field');

    # Invalid UTF-8 is flagged, not fatal.
    $req = HTTP::Request->new(POST => $URL,
        ['Content-Type' => 'application/x-www-form-urlencoded'],
        form(username => $USER, password => $PASS, to => '0400111222')
        . '&message=caf%E9');
    like(body($UA->request($req)), qr/\AOK: /, 'latin-1 message still sent');
    ($e) = new_entries();
    is_deeply($e->{bad_utf8}, ['message'], 'log: bad_utf8 names the field');
    is($e->{fields}{message}, "caf\x{FFFD}", 'log: U+FFFD for the bad byte');
};

subtest 'recipients' => sub {
    my @cases = (
        ['0400111222',      'OK', '61400111222'],
        ['400111222',       'OK', '61400111222'],
        ['61400111222',     'OK', '61400111222'],
        ['447700900123',    'OK', '447700900123'],
        ['12025550123',     'OK', '12025550123'],
        ['33612345678',     'OK', '33612345678'],
        ['12345678',        'OK', '12345678'],
        ['123456789012345', 'OK', '123456789012345'],
        ['0400abc111',      'BAD'],
        ['+61400111222',    'BAD'],
        ['0400 111 222',    'BAD'],
        [' 0400111222',     'BAD'],
        ['040011122',       'BAD'],
        ['04001112223',     'BAD'],
        ['0212345678',      'BAD'],
        ['61212345678',     'BAD'],
        ['6140011122',      'BAD'],
        ['614001112223',    'BAD'],
        ['1234567',         'BAD'],
        ['1234567890123456', 'BAD'],
        ['',                'BAD'],
        ['0400111222',      'OK', '61400111222'],   # a repeat is sent again
    );
    my $to = join ',', map { $_->[0] } @cases;
    my $res = api(to => $to, message => 'Reminder');
    my @l = lines($res);
    is(scalar @l, scalar @cases, 'one line per recipient');
    my @refs;
    for my $i (0 .. $#cases) {
        my ($sent, $kind, $echo) = @{$cases[$i]};
        if ($kind eq 'OK') {
            my ($num, $ref) = ($l[$i] // '') =~ $OK_RE;
            is($num, $echo, "'$sent' accepted as $echo");
            push @refs, $ref;
        }
        else {
            is($l[$i], "BAD:$sent:Invalid Number", "'$sent' refused");
        }
    }
    my @sorted = sort { $a <=> $b } @refs;
    is_deeply(\@refs, \@sorted, 'smsrefs increase in answer order');
    is(scalar(keys %{{map { $_ => 1 } @refs}}), scalar @refs, 'smsrefs unique');
    my ($e) = new_entries();
    is_deeply($e->{recipients}, [map { $_->[0] } @cases],
              'log: recipients as submitted, empty entries too');
    is_deeply([map { $_->{smsref} } @{$e->{accepted}}], \@refs,
              'log: accepted smsrefs match the answer');

    set_mode('{"credits": 100000}');
    $res = api(to => join(',', ('0400111222') x 1000), message => 'bulk');
    @l = lines($res);
    is(scalar(grep { /$OK_RE/ } @l), 1000, '1000 recipients: 1000 OK lines');
    $res = api(to => join(',', ('0400111222') x 1001), message => 'bulk');
    @l = lines($res);
    is(scalar @l, 1, '1001 recipients: one line');
    like($l[0], qr/\AERROR: Too many recipients/, '... an ERROR line');
    my @e = new_entries();
    is(scalar @{$e[0]{accepted}}, 1000, 'log: 1000 accepted');
    is(scalar @{$e[1]{accepted}}, 0, 'log: none accepted from 1001');
    is(scalar @{$e[1]{recipients}}, 1001, 'log: 1001 recipients recorded');
};

subtest 'request-level validation' => sub {
    my %ok = (to => '0400111222', message => 'hi');
    my @err = (
        ['no to',               {message => 'hi'},            qr/destination/],
        ['empty to',            {to => '', message => 'hi'},  qr/destination/],
        ['no message',          {to => '0400111222'},         qr/message/i],
        ['empty message',       {%ok, message => ''},         qr/message/i],
        ['from 12 letters',     {%ok, from => 'ABCDEFGHIJKL'}, qr/sender/],
        ['from with a space',   {%ok, from => 'My Clinic'},   qr/sender/],
        ['from with a dot',     {%ok, from => 'Dr.Smith'},    qr/sender/],
        ['from with a plus',    {%ok, from => '+61400111222'}, qr/sender/],
        ['from 16 digits',      {%ok, from => '1' x 16},      qr/sender/],
        ['from non-ASCII',      {%ok, from => 'Clínic'},      qr/sender/],
        ['ref 21 chars',        {%ok, ref => 'r' x 21},       qr/ref/],
        ['maxsplit 0',          {%ok, maxsplit => '0'},       qr/maxsplit/],
        ['maxsplit 6',          {%ok, maxsplit => '6'},       qr/maxsplit/],
        ['maxsplit 2.5',        {%ok, maxsplit => '2.5'},     qr/maxsplit/],
        ['maxsplit x',          {%ok, maxsplit => 'x'},       qr/maxsplit/],
        ['maxsplit -1',         {%ok, maxsplit => '-1'},      qr/maxsplit/],
        ['delay -1',            {%ok, delay => '-1'},         qr/delay/],
        ['delay 1.5',           {%ok, delay => '1.5'},        qr/delay/],
        ['unknown action',      {%ok, action => 'status'},    qr/action/],
    );
    for my $c (@err) {
        my ($name, $f, $re) = @$c;
        my @l = lines(api(%$f));
        is(scalar @l, 1, "$name: one line");
        like($l[0], qr/\AERROR: \S.*$re/, "$name: ERROR with a reason");
    }
    my @good = (
        ['from empty',      {%ok, from => ''}],
        ['from 11 letters', {%ok, from => 'ABCDEFGHIJK'}],
        ['from mobile',     {%ok, from => '0400999888'}],
        ['from 15 digits',  {%ok, from => '1' x 15}],
        ['ref 20 chars',    {%ok, ref => 'r' x 20}],
        ['ref 20 unicode',  {%ok, ref => 'é' x 20}],
        ['maxsplit 1',      {%ok, maxsplit => '1'}],
        ['maxsplit 5',      {%ok, maxsplit => '5'}],
        ['delay 0',         {%ok, delay => '0'}],
        ['delay 30',        {%ok, delay => '30'}],
        ['action send',     {%ok, action => 'send'}],
    );
    for my $c (@good) {
        my ($name, $f) = @$c;
        like(body(api(%$f)), qr/\AOK: 61400111222:\d+\n\z/, "$name: accepted");
    }
    my @e = new_entries();
    is(scalar(grep { @{$_->{accepted}} } @e), scalar @good,
       'log: only the good ones accepted');
};

subtest 'message length' => sub {
    my $too = 'Message too long';
    my @cases = (
        # [name, message, maxsplit or undef, parts or 0 for too long]
        ['160 GSM',               'a' x 160, undef, 1],
        ['161 GSM',               'a' x 161, undef, 0],
        ['161 GSM maxsplit 2',    'a' x 161, 2, 2],
        ['306 GSM maxsplit 2',    'a' x 306, 2, 2],
        ['307 GSM maxsplit 2',    'a' x 307, 2, 0],
        ['765 GSM maxsplit 5',    'a' x 765, 5, 5],
        ['766 GSM maxsplit 5',    'a' x 766, 5, 0],
        ['80 euro = 160 units',   '€' x 80, undef, 1],
        ['81 braces = 162 units', '{' x 81, undef, 0],
        ['81 braces maxsplit 2',  '{' x 81, 2, 2],
        ['extension char never straddles parts (3 parts)',
            ('a' x 152) . '€' . ('a' x 152), 2, 0],
        ['... fits in 3',         ('a' x 152) . '€' . ('a' x 152), 3, 3],
        ['GSM Greek and accents', 'ΔΦΓΛΩΠΨΣΘΞ éèùìòÇØøÅåÆæßÉÄÖÑÜ§¿äöñüà' x 4,
            undef, 1],
        ['70 Cyrillic',           'ж' x 70, undef, 1],
        ['71 Cyrillic',           'ж' x 71, undef, 0],
        ['71 Cyrillic maxsplit 2', 'ж' x 71, 2, 2],
        ['134 Cyrillic maxsplit 2', 'ж' x 134, 2, 2],
        ['135 Cyrillic maxsplit 2', 'ж' x 135, 2, 0],
        ['35 emoji = 70 units',   '😀' x 35, undef, 1],
        ['36 emoji',              '😀' x 36, undef, 0],
        ['69 GSM + 1 UCS-2',      ('a' x 69) . 'ж', undef, 1],
        ['70 GSM + 1 UCS-2',      ('a' x 70) . 'ж', undef, 0],
        ['backtick is not GSM',   '`' x 71, undef, 0],
    );
    my $to = '0400111222,0400abc111,447700900123';
    for my $c (@cases) {
        my ($name, $msg, $split, $parts) = @$c;
        my @l = lines(api(to => $to, message => $msg,
                          defined $split ? (maxsplit => $split) : ()));
        is($l[1], 'BAD:0400abc111:Invalid Number', "$name: bad number first");
        if ($parts) {
            like($l[0], qr/\AOK: 61400111222:\d+\z/, "$name: accepted");
            like($l[2], qr/\AOK: 447700900123:\d+\z/, "$name: accepted (intl)");
            my ($e) = new_entries();
            is_deeply([map { $_->{parts} } @{$e->{accepted}}], [$parts, $parts],
                      "$name: $parts part(s)");
        }
        else {
            is($l[0], "BAD:0400111222:$too", "$name: too long, as submitted");
            is($l[2], "BAD:447700900123:$too", "$name: too long for every one");
            new_entries();
        }
    }

    # The shared text vectors (the C engine's oracle): the fake must count
    # every one of them alike.
    my $v = $JSON->decode(slurp($VECTORS) // die "no $VECTORS");
    my ($n, @wrong) = (0);
    for my $c (@{$v->{cases}}) {
        next if $c->{smart} || !$c->{expect} || !defined $c->{text}
             || $c->{text} eq '';
        my $segs = $c->{expect}{segments};
        my @try;
        push @try, [$segs, 1] if $segs <= 5;
        push @try, [$segs - 1, 0] if $segs >= 2 && $segs - 1 <= 5;
        push @try, [5, 0] if $segs > 6;
        for my $t (@try) {
            my ($split, $fits) = @$t;
            my ($l) = lines(api(to => '0400111222', message => $c->{text},
                                maxsplit => $split));
            my $got = ($l // '') =~ $OK_RE ? 1
                    : ($l // '') eq "BAD:0400111222:$too" ? 0 : -1;
            push @wrong, "$c->{name} (maxsplit $split: $l)" if $got != $fits;
            $n++;
        }
    }
    new_entries();
    cmp_ok($n, '>', 300, "checked $n vector requests");
    is_deeply(\@wrong, [], 'the fake counts parts like t/data/text_vectors.json');
};

subtest 'credits' => sub {
    set_mode('{"credits": 10}');
    is(body(api(action => 'balance')), "OK: 10\n", 'balance set by mode.json');
    my @l = lines(api(to => '0400111222,0400abc111,447700900123',
                      message => 'x' x 200, maxsplit => 2));
    is(scalar(grep { /$OK_RE/ } @l), 2, 'two accepted');
    is(body(api(action => 'balance')), "OK: 6\n",
       'each accepted recipient costs one credit per part');
    ok(!exists control()->{credits}, 'credits is a command, taken out of mode.json');
    like(slurp("$state/counters"), qr/^credits \+0*6$/m,
         'counters hold the balance');
    api(to => '0400111222', message => 'x' x 200, maxsplit => 1);   # refused
    is(body(api(action => 'balance')), "OK: 6\n", 'a BAD line costs nothing');

    # mode.json written by hand (write + rename) with credits: taken too.
    write_control_by_hand('{"credits": 3, "crlf": false}');
    is(body(api(action => 'balance')), "OK: 3\n", 'hand-written credits applied');
    is_deeply(control(), {crlf => JSON::PP::false}, '... and taken out');
    set_mode('{"credits": 2}');
    api(to => '0400111222', message => 'x' x 200, maxsplit => 2);
    api(to => '0400111222', message => 'x');
    is(body(api(action => 'balance')), "OK: -1\n",
       'credits never refuse a send (unconfirmed upstream), the balance goes negative');
    set_mode('{"credits": 100000}');
    new_entries();
};

# ---------------------------------------------------------------------------
# Answer formatting
# ---------------------------------------------------------------------------

subtest 'crlf and spacing' => sub {
    my $to = '0400111222,0400abc111';
    set_mode('{"crlf": true}');
    my $b = body(api(to => $to, message => 'hi'));
    like($b, qr/\AOK: 61400111222:\d+\r\nBAD:0400abc111:Invalid Number\r\n\z/,
         'crlf: CRLF line ends');
    set_mode('{"spacing": true}');
    $b = body(api(to => $to, message => 'hi'));
    like($b, qr/\AOK:  61400111222:  \d+ \nBAD:  0400abc111:  Invalid Number \n\z/,
         'spacing: spaces after every colon and before the line end');
    set_mode('{"spacing": true, "crlf": true}');
    $b = body(api(action => 'balance'));
    like($b, qr/\AOK:  \d+ \r\n\z/, 'both, on balance');
    $b = body(post_form($UA, username => 'x', password => 'y', action => 'balance'));
    is($b, "ERROR:  Username or password is incorrect \r\n", 'both, on ERROR');
    my ($e) = (new_entries())[-1];
    is($e->{answer}, $b, 'log: answer exactly as sent');
    my ($bal) = body(api(action => 'balance')) =~ /(-?\d+)/;
    set_mode('{}');
    is_deeply(control(), {}, '--set-mode replaces mode.json whole');
    is(body(api(action => 'balance')), "OK: $bal\n",
       '... and leaves the balance alone');
    new_entries();
};

# ---------------------------------------------------------------------------
# Failure modes
# ---------------------------------------------------------------------------

subtest 'http500 and http503 with a countdown' => sub {
    for my $code (500, 503) {
        set_mode(qq({"mode": "http$code", "count": 2}));
        my @codes = map { api(to => '0400111222', message => 'hi')->code } 1 .. 3;
        is_deeply(\@codes, [$code, $code, 200], "http$code: two, then normal");
        my $res = api(action => 'balance');
        is($res->code, 200, 'still normal');
        my $c = control();
        ok($c->{mode} eq 'normal' && !exists $c->{count},
           'mode.json back to normal, countdown gone');
        my @e = new_entries();
        is_deeply([map { $_->{mode} } @e],
                  ["http$code", "http$code", 'normal', 'normal'], 'log: modes');
        is(scalar @{$e[0]{accepted}}, 0, 'log: nothing accepted on a 5xx');
        like($e[0]{answer}, qr/<html>/, 'log: the HTML body');
    }
    set_mode('{"mode": "http503", "count": 1}');
    my $res = api(action => 'balance');
    is($res->code, 503, 'count 1: one 503');
    like($res->header('Content-Type'), qr{\Atext/html}, '5xx body is HTML');
    is(api(action => 'balance')->code, 200, '... then normal');

    set_mode('{"mode": "http500"}');
    is(api(action => 'balance')->code, 500, 'no count: applies ...');
    is(api(action => 'balance')->code, 500, '... until changed');
    set_mode('{"mode": "normal"}');
    is(api(action => 'balance')->code, 200, 'normal again');
    new_entries();
};

subtest 'concurrent connections share the countdown, smsrefs and credits' => sub {
    my ($kids, $each, $fail) = (10, 15, 40);
    set_mode(qq({"mode": "http500", "count": $fail, "credits": 100000}));
    # All children start together (they wait for the pipe to close), each on
    # its own keep-alive connection, to give a missing lock every chance.
    pipe(my $go_r, my $go_w) or die "pipe: $!";
    my @pids;
    for my $k (1 .. $kids) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            $SIG{$_} = 'DEFAULT' for qw(INT TERM HUP);
            $SIG{PIPE} = 'IGNORE';
            close $go_w;
            sysread($go_r, my $x, 1);
            my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 20);
            my ($n500, $n200) = (0, 0);
            for (1 .. $each) {
                my $c = post_form($ua, username => $USER, password => $PASS,
                                  to => '0400111222,0400111333',
                                  message => "concurrent $k")->code;
                $c == 500 ? $n500++ : $c == 200 ? $n200++ : POSIX::_exit(255);
            }
            POSIX::_exit($n500);              # 200s are the rest
        }
        push @pids, $pid;
    }
    close $go_r;
    close $go_w;                              # go
    my ($failed, $bad) = (0, 0);
    for (@pids) {
        waitpid($_, 0);
        $? >> 8 == 255 ? $bad++ : ($failed += $? >> 8);
    }
    is($bad, 0, 'every answer was a 500 or a 200');
    is($failed, $fail, "exactly count=$fail requests got the 500");
    my @e = new_entries();
    is(scalar @e, $kids * $each, 'log: one whole line per request');
    my @refs = map { $_->{smsref} } map { @{$_->{accepted}} } @e;
    my $sent = 2 * ($kids * $each - $fail);
    is(scalar @refs, $sent, "log: $sent recipients accepted");
    is(scalar(keys %{{map { $_ => 1 } @refs}}), $sent, 'log: all smsrefs unique');
    is(body(api(action => 'balance')), 'OK: ' . (100000 - $sent) . "\n",
       'every credit spent exactly once');
    new_entries();
};

subtest 'garbage, empty, error_credentials' => sub {
    my $bal = body(api(action => 'balance'));
    new_entries();
    set_mode('{"mode": "garbage", "count": 5}');
    for (1 .. 5) {
        my $res = api(to => '0400111222', message => 'hi');
        is($res->code, 200, 'garbage: 200');
        my @l = lines($res);
        ok(@l >= 1, 'garbage: some text');
        is(scalar(grep { /\A\s*(?:OK|BAD|ERROR)\b/i } @l), 0,
           'garbage: no protocol line');
    }
    set_mode('{"mode": "empty", "count": 1}');
    my $res = api(to => '0400111222', message => 'hi');
    is($res->code, 200, 'empty: 200');
    is($res->content, '', 'empty: empty body');
    is($res->header('Content-Length'), 0, 'empty: Content-Length 0');

    set_mode('{"mode": "error_credentials", "count": 1}');
    $res = api(to => '0400111222', message => 'hi');
    is(body($res), "ERROR: Username or password is incorrect\n",
       'error_credentials: ERROR with good credentials');
    my @e = new_entries();
    is_deeply([map { $_->{mode} } @e], [('garbage') x 5, 'empty', 'error_credentials'],
              'log: modes');
    is(scalar(map { @{$_->{accepted}} } @e), 0, 'nothing accepted in any');
    is(body(api(action => 'balance')), $bal, 'no credit spent');
    new_entries();
};

subtest 'reset' => sub {
    set_mode('{"mode": "reset", "count": 1}');
    my $res = api(to => '0400111222', message => 'hi');
    ok(!$res->is_success, 'reset: the request fails');
    is($res->header('Client-Warning'), 'Internal response',
       'reset: no HTTP answer came from the server');
    my ($e) = new_entries();
    is($e->{mode}, 'reset', 'log: mode reset');
    ok(!defined $e->{answer} && !defined $e->{status}, 'log: no answer');
    is(api(action => 'balance')->code, 200, 'then normal');

    # At the TCP level: a reset (RST), not an orderly close (FIN).
    set_mode('{"mode": "reset", "count": 1}');
    my $s = raw_request(form(username => $USER, password => $PASS,
                             action => 'balance'));
    ok(IO::Select->new($s)->can_read(5), 'reset: the socket wakes up');
    my $n = sysread($s, my $buf, 100);
    ok(!defined $n && $!{ECONNRESET}, 'reset: ECONNRESET, no data')
        or diag(defined $n ? "read $n bytes" : "error: $!");
    close $s;
    new_entries();
};

subtest 'reset_mid' => sub {
    my $bal = body(api(action => 'balance'));
    new_entries();
    set_mode('{"mode": "reset_mid", "count": 1}');
    my $s = raw_request(form(username => $USER, password => $PASS,
                             to => '0400111222,0400111333', message => 'cut'));
    my ($got, $err) = ('', undef);
    while (IO::Select->new($s)->can_read(5)) {
        my $n = sysread($s, my $buf, 65536);
        if (!defined $n) { $err = $!{ECONNRESET}; last }
        last unless $n;
        $got .= $buf;
    }
    close $s;
    like($got, qr{\AHTTP/1\.1 200 OK\r\n}, 'reset_mid: a 200 status line');
    my ($len) = $got =~ /^Content-Length: (\d+)\r$/mi;
    my ($head, $part) = split /\r\n\r\n/, $got, 2;
    ok(defined $len && length($part // '') < $len,
       'reset_mid: less body than Content-Length promised')
        or diag("got: $got");
    ok($err, 'reset_mid: the connection ends with a reset');
    my ($e) = new_entries();
    is($e->{mode}, 'reset_mid', 'log: mode reset_mid');
    is(scalar @{$e->{accepted}}, 2, 'log: both recipients were accepted');
    like($e->{answer}, qr/\AOK: 61400111222:\d+\nOK: 61400111333:\d+\n\z/,
         'log: the whole answer meant');
    is($e->{sent_bytes}, length($part // ''), 'log: sent_bytes');
    isnt(body(api(action => 'balance')), $bal, 'credits spent');
    new_entries();
};

subtest 'hang blocks nobody else' => sub {
    set_mode('{"mode": "hang", "count": 1}');
    my $s = raw_request(form(username => $USER, password => $PASS,
                             to => '0400111222', message => 'hang'));
    ok(wait_for(5, sub { (last_entry()->{mode} // '') eq 'hang' }),
       'hang: request received and logged');
    my $t0 = time;
    my $res = LWP::UserAgent->new(timeout => 10)
        ->post($URL, {username => $USER, password => $PASS, action => 'balance'});
    is($res->code, 200, 'another client is answered meanwhile');
    cmp_ok(time - $t0, '<', 2, '... at once');
    ok(!IO::Select->new($s)->can_read(1), 'hang: no answer after 1 s');
    close $s;

    # Through LWP: the client's own timeout is what ends it.
    set_mode('{"mode": "hang", "count": 1}');
    $t0 = time;
    $res = post_form(LWP::UserAgent->new(timeout => 1), username => $USER,
                     password => $PASS, action => 'balance');
    ok(!$res->is_success, 'hang: client times out');
    cmp_ok(time - $t0, '>=', 0.9, '... after its timeout');
    my @e = new_entries();
    is_deeply([map { $_->{mode} } @e], ['hang', 'normal', 'hang'], 'log: modes');
};

subtest 'slow' => sub {
    set_mode('{"mode": "slow", "delay_ms": 1200, "count": 1}');
    my $t0 = time;
    my $res = api(to => '0400111222', message => 'slow');
    my $dt = time - $t0;
    like(body($res), qr/\AOK: 61400111222:\d+\n\z/, 'slow: a correct answer');
    cmp_ok($dt, '>=', 1.15, 'slow: after delay_ms');
    cmp_ok($dt, '<', 5, 'slow: not much later');

    # A client that gives up: the SMS was sent all the same (the ambiguous case).
    set_mode('{"mode": "slow", "delay_ms": 2500, "count": 1}');
    $res = post_form(LWP::UserAgent->new(timeout => 1), username => $USER,
                     password => $PASS, to => '0400111222', message => 'lost');
    ok(!$res->is_success, 'slow: the impatient client times out');
    my @e = new_entries();
    is($e[1]{mode}, 'slow', 'log: mode slow');
    is(scalar @{$e[1]{accepted}}, 1, 'log: ... but the message was accepted');
    is($e[1]{delay_ms}, 2500, 'log: delay_ms');
    like($e[1]{answer}, qr/\AOK: 61400111222:/, 'log: with the answer it held back');
};

subtest 'keep-alive and Expect: 100-continue' => sub {
    my $ua = LWP::UserAgent->new(keep_alive => 1, timeout => 10);
    post_form($ua, username => $USER, password => $PASS, action => 'balance')
        for 1 .. 3;
    my @e = new_entries();
    is(scalar(keys %{{map { $_->{pid} => 1 } @e}}), 1,
       'keep-alive: three requests, one connection (one child)');
    my $ua0 = LWP::UserAgent->new(keep_alive => 0, timeout => 10);
    post_form($ua0, username => $USER, password => $PASS, action => 'balance')
        for 1 .. 2;
    @e = new_entries();
    is(scalar(keys %{{map { $_->{pid} => 1 } @e}}), 2,
       'Connection: close: a connection per request');

    # curl sends Expect: 100-continue for large bodies.
    my $body = form(username => $USER, password => $PASS,
                    to => join(',', ('0400111222') x 3), message => 'expect');
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$PORT", Timeout => 5)
        or die "connect: $!";
    print $s "POST /api-adv.php HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           . "Content-Type: application/x-www-form-urlencoded\r\n"
           . "Content-Length: " . length($body) . "\r\n"
           . "Expect: 100-continue\r\n\r\n";
    my $cont = read_until($s, qr/\r\n\r\n/);
    like($cont, qr{\AHTTP/1\.1 100 }, '100 Continue first');
    print $s $body;
    my $resp = read_until($s, qr/Invalid|(?:OK[^\n]*\n){3}/);
    like($resp, qr{\AHTTP/1\.1 200 .*\r\n\r\n(OK: 61400111222:\d+\n){3}\z}s,
         'then the per-line answer');
    close $s;
    new_entries();
};

subtest 'bad control file and --set-mode checks' => sub {
    my $before = control();
    # Expected complaints on stderr are kept out of the TAP output.
    my $refused = sub ($json) {
        my $err = `"$^X" "$FAKE" --state-dir "$state" --set-mode '$json' 2>&1`;
        return $? != 0 && $err =~ /--set-mode: \S/;
    };
    ok($refused->('{"mode": "explode"}'), '--set-mode refuses an unknown mode');
    ok($refused->('{"mode": "http500", "cuont": 1}'), '... an unknown key');
    ok($refused->('{"count": -1}'), '... a negative count');
    ok($refused->('nope'), '... and non-JSON');
    is_deeply(control(), $before, 'mode.json untouched');

    # A test that writes mode.json by hand and gets it wrong hears about it.
    write_control_by_hand('{"mode": "http5000"}');
    my $res = api(action => 'balance');
    is($res->code, 500, 'invalid mode.json: 500');
    like(body($res), qr/invalid mode\.json/, '... saying why');
    my ($e) = new_entries();
    is($e->{mode}, 'invalid-control', 'log: invalid-control');
    unlink "$state/mode.json";
    like(body(api(action => 'balance')), qr/\AOK: -?\d+\n\z/,
         'missing mode.json = normal');
    new_entries();
};

subtest 'log file and --print-log' => sub {
    my $raw = slurp($logfile);
    unlike($raw, qr/\Q$PASS\E|\Q${\ uri_escape_utf8($PASS)}\E/,
           'the password is nowhere in the log');
    my @all = all_entries();
    is(scalar(grep { !exists $_->{answer} || !exists $_->{mode} } @all), 0,
       'every line has answer and mode');
    my @refs = map { $_->{smsref} } map { @{$_->{accepted} // []} } @all;
    is(scalar(keys %{{map { $_ => 1 } @refs}}), scalar @refs,
       'no smsref was ever handed out twice');
    my $out = `"$^X" "$FAKE" --print-log "$logfile"`;
    is($?, 0, '--print-log exits 0');
    like($out, qr/^#1 .*GET \/api\.php/m, '--print-log: first request');
    like($out, qr/^    > OK: 61400111222:\d+$/m, '--print-log: answers');
    like($out, qr/^    password = \*\*\*$/m, '--print-log: masked password');
};

subtest 'SIGTERM stops everything' => sub {
    set_mode('{"mode": "hang"}');
    my $s = raw_request(form(username => $USER, password => $PASS,
                             action => 'balance'));
    ok(wait_for(5, sub { (last_entry()->{mode} // '') eq 'hang' }),
       'a child hangs');
    kill TERM => $fake_pid;
    my $status;
    # Within 3 s: the hanging child is told to stop, not waited for.
    my $gone = wait_for(3, sub {
        return 0 unless waitpid($fake_pid, WNOHANG) == $fake_pid;
        $status = $?;
        return 1;
    });
    ok($gone, 'server exits on SIGTERM');
    is($status, 0, '... with status 0');
    ok(!-e $pidfile, 'pidfile removed');
    ok(IO::Select->new($s)->can_read(5), 'hanging connection closed');
    my $n = sysread($s, my $buf, 100);
    ok(!$n, '... without an answer');
    ok(!IO::Socket::INET->new(PeerAddr => "127.0.0.1:$PORT", Timeout => 2),
       'port closed');
    $fake_pid = undef;

    # The one complaint expected is the broken mode.json; anything else
    # (a Perl warning, an internal error) is a bug of the fake.
    my @err = split /\n/, slurp($errfile) // '';
    is_deeply([grep { !/\Afake-broadcast: unknown mode "http5000"/ } @err], [],
              'nothing unexpected on the server stderr')
        or diag(join "\n", @err);
    is(scalar @err, 1, 'the bad mode.json was reported on stderr');
};

done_testing();

# A request written by hand on its own connection (kept open, not read).
sub raw_request($body) {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$PORT", Timeout => 5)
        or die "connect: $!";
    print $s "POST /api-adv.php HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           . "Content-Type: application/x-www-form-urlencoded\r\n"
           . "Content-Length: " . length($body) . "\r\n\r\n$body";
    return $s;
}

sub write_control_by_hand($json) {
    open(my $fh, '>', "$state/mode.json.new") or die "$state: $!";
    print $fh $json;
    close $fh;
    rename("$state/mode.json.new", "$state/mode.json") or die "rename: $!";
}

sub read_until($s, $re) {
    my $buf = '';
    my $sel = IO::Select->new($s);
    my $end = time + 5;
    while ($buf !~ $re && time < $end) {
        last unless $sel->can_read($end - time);
        my $n = sysread($s, $buf, 4096, length $buf);
        last unless $n;
    }
    return $buf;
}
