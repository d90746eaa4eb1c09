# A corpus of malformed requests against every route of API.md: broken,
# huge and deeply nested JSON, wrong types, invalid UTF-8 (JSON, query
# strings, form bodies), numbers out of range, SQL and CR/LF injection in
# text fields and ids, path traversal, absurd paging values, duplicate
# parameters, oversized headers, wrong Content-Type and methods, missing
# or forged CSRF tokens, webhooks without their secret or with bad fields.
#
# Every case must answer its 4xx with the error envelope (or, for what
# httpd refuses before any module runs, a 4xx of httpd's own), never a
# 5xx; the server keeps answering with no crashed child, and not one row
# of the database changes.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use Digest::SHA qw(hmac_sha1 sha1_hex);
use IO::Socket::INET;
use HTTP::Response;
use MIME::Base64 qw(encode_base64url);
use lib 't/lib';
use SMSTest;

my $S = 'suite-hook-secret';                     # SMSWebhookSecret
my $KEY = 'suite-secret-0123456789abcdef';       # SMSSecret

# ---- clients ------------------------------------------------------------
my $ua = client();                  # alice, logged in, with her CSRF token
login($ua, 'alice', 'alice-password');
my $nocsrf = client();              # alice, logged in, no token
login($nocsrf, 'alice', 'alice-password');
$nocsrf->default_headers->remove_header('X-CSRFToken');
my $bob = client();
login($bob, 'bob', 'bob-password');
my $anon = client();                # nobody
my $hook = client();                # the provider: no session
my %ua = (user => $ua, nocsrf => $nocsrf, anon => $anon, hook => $hook);

# ---- set-up, before the fingerprint: one template of our own ------------
my $tname = 'corpus.t template';
my ($tr, $td) = api($ua, POST => '/api/sms/templates/',
                    {name => $tname, body => 'Hi {first_name}'});
my $tid = $tr->code == 201 ? $td->{id} : do {
    my (undef, $list) = api($ua, GET => '/api/sms/templates/');
    (map { $_->{id} } grep { $_->{name} eq $tname } @{$list->{templates} || []})[0];
};
die "corpus.t: no template to work with: " . $tr->status_line unless $tid;

# ---- the database: wait for the sender, then a fingerprint ---------------
# Every table a route writes: its row count and a digest of its rows. The
# background sender may still be finishing messages of earlier tests, so
# wait until nothing is due, and leave out the columns only it writes.
my %tables = (
    sms_batch => 'id, created_by, created_at, recipients, segments',
    sms_template => 'id, name, body, created_by, created_at, updated_at',
    sms_message => 'id, to_number, patient_id, phone_label, sender_id, body, '
        . 'encoding, segments, max_parts, batch_id, template_id, sent_by, '
        . 'created_at, send_at',
    sms_idempotency => 'username, idem_key, request_hash, status, response, created_at',
    sms_dlr => 'id, message_id, smsref, ref, to_number, status, received_at, dedup_key',
    sms_inbound => 'id, from_number, to_number, body, ref, message_id, keyword, '
        . 'received_at, dedup_key, dedup_bucket, read_at, read_by',
    sms_inbound_patient => 'inbound_id, patient_id',
    sms_optout => 'number, source, created_by, created_at',
    sms_patient => 'id, first_name, last_name',
    sms_patient_phone => 'id, patient_id, label, number, is_default',
);
my %order = (sms_idempotency => 'username, idem_key', sms_optout => 'number',
             sms_inbound_patient => 'inbound_id, patient_id');
wait_for(sub {
    sql_value('sms.db', "SELECT count(*) FROM sms_message WHERE status IN "
              . "('queued', 'sending')") == 0 }, 30);
my $max_event = sql_value('sms.db', 'SELECT coalesce(max(id), 0) FROM sms_event');
sub fingerprint {
    my %fp;
    for my $t (sort keys %tables) {
        my $rows = sql_value('sms.db', "SELECT $tables{$t} FROM $t ORDER BY "
                             . ($order{$t} || 'id'));
        $fp{$t} = sql_value('sms.db', "SELECT count(*) FROM $t") . ' rows, '
            . sha1_hex(do { utf8::encode(my $x = $rows); $x });
    }
    # events: the sender may add its own to messages of earlier tests,
    # but the rows that were there stay as they were, and no receipt or
    # event of a message created from now on appears
    $fp{sms_event} = sha1_hex(sql_value('sms.db', 'SELECT id, message_id, '
        . "status, detail, created_at FROM sms_event WHERE id <= $max_event "
        . 'ORDER BY id')) . ', new receipts: ' . sql_value('sms.db',
        "SELECT count(*) FROM sms_event WHERE id > $max_event AND "
        . "detail LIKE 'receipt %'");
    return \%fp;
}
my $before = fingerprint();

# ---- where the error log stands ---------------------------------------------
my $error_log = Apache::Test::vars('t_logs') . '/error_log';
my $log_start = -s $error_log || 0;

# ---- the corpus ---------------------------------------------------------------
# case(label, ua, METHOD, path, body, status, code, %opt):
#   body: a Perl structure (sent as JSON), a string (sent as is) or undef;
#   opt: ct (Content-Type, default application/json with a body; '' for
#   none), headers {...}, field (the envelope's field), message (a regexp
#   for the envelope's message), httpd => 1 (httpd refuses before any
#   module: a 4xx of its own, no envelope), raw => bytes (sent on a
#   socket as they are).
my @cases;
sub case {
    my ($label, $who, $method, $path, $body, $status, $code, %opt) = @_;
    push @cases, {label => $label, ua => $who, method => $method,
                  path => $path, body => $body, status => $status,
                  code => $code, %opt};
}

my @json_routes = (
    ['POST', '/api/sms/preview/'], ['POST', '/api/sms/send/'],
    ['POST', '/api/sms/send-bulk/'], ['POST', '/api/sms/templates/'],
    ['PUT', "/api/sms/templates/$tid/"], ['POST', '/api/sms/optouts/'],
    ['POST', '/api/sms/patient/17/send/'],
);
my @user_routes = (
    @json_routes,
    ['GET', '/api/sms/messages/'], ['GET', '/api/sms/messages/1/'],
    ['GET', '/api/sms/batches/1/'], ['GET', '/api/sms/balance/'],
    ['GET', '/api/sms/templates/'], ['GET', "/api/sms/templates/$tid/"],
    ['DELETE', "/api/sms/templates/$tid/"], ['GET', '/api/sms/optouts/'],
    ['DELETE', '/api/sms/optouts/0499000001/'],
    ['GET', '/api/sms/patient/17/phones/'],
    ['GET', '/api/sms/patient/17/conversation/'],
    ['GET', '/api/sms/csrf-token/'],
    ['GET', '/api/sms/inbox/'], ['GET', '/api/sms/inbox/counts/'],
    ['POST', '/api/sms/inbox/1/read/'], ['POST', '/api/sms/inbox/1/unread/'],
);

# -- no user: 401 on every authenticated route (the form login's 401 is the
#    module's envelope through ErrorDocument), and a forged session cookie
for my $r (@user_routes) {
    case("unauthenticated $r->[0] $r->[1]", 'anon', $r->[0], $r->[1],
         $r->[0] =~ /^(POST|PUT)$/ ? {message => 'x'} : undef,
         401, 'unauthenticated');
}
case('forged session cookie', 'anon', GET => '/api/sms/messages/', undef,
     401, 'unauthenticated', headers => {Cookie => 'session=' . ('A' x 200)});

# -- CSRF: every unsafe method of an authenticated route
my $forge = sub {
    my $body = encode_base64url($_[0]);
    return "$body." . encode_base64url(hmac_sha1($body, $_[1] // $KEY));
};
for my $r (grep { $_->[0] ne 'GET' } @user_routes) {
    case("no CSRF token $r->[0] $r->[1]", 'nocsrf', $r->[0], $r->[1],
         $r->[0] =~ /^(POST|PUT)$/ ? {message => 'x'} : undef,
         403, 'csrf_failed', field => 'X-CSRFToken');
}
my %bad_token = (
    'empty' => '', 'garbage' => 'abc', 'two dots' => 'a.b.c',
    'long' => 'A' x 5000 . '.AAAA',
    'bob\'s token' => $forge->('csrf:' . (time + 3600) . ':bob'),
    'another key' => $forge->('csrf:' . (time + 3600) . ':alice', 'k' x 29),
    'not a csrf payload' => $forge->('messages:1'),
    'invalid UTF-8 in the payload' => $forge->("csrf:9999999999:\xff"),
);
for my $k (sort keys %bad_token) {
    case("CSRF token: $k", 'nocsrf', POST => '/api/sms/send/',
         {to => '0412345678', message => 'csrf'}, 403, 'csrf_failed',
         headers => {'X-CSRFToken' => $bad_token{$k}});
}
case('CSRF token: expired', 'nocsrf', DELETE => "/api/sms/templates/$tid/",
     undef, 403, 'csrf_failed', message => qr/expired/,
     headers => {'X-CSRFToken' => $forge->('csrf:' . (time - 5) . ':alice')});

# -- wrong methods: 405 with Allow
for my $r (['PUT', '/api/sms/preview/'], ['GET', '/api/sms/send/'],
           ['DELETE', '/api/sms/send-bulk/'], ['DELETE', '/api/sms/messages/'],
           ['POST', '/api/sms/messages/1/'], ['PUT', '/api/sms/batches/1/'],
           ['POST', '/api/sms/balance/'], ['PATCH', '/api/sms/templates/'],
           ['POST', "/api/sms/templates/$tid/"], ['PUT', '/api/sms/optouts/'],
           ['GET', '/api/sms/optouts/0412345678/'],
           ['POST', '/api/sms/patient/17/phones/'],
           ['DELETE', '/api/sms/patient/17/conversation/'],
           ['GET', '/api/sms/patient/17/send/'],
           ['POST', '/api/sms/csrf-token/'], ['POST', '/api/sms/health/'],
           ['GET', '/api/sms/inbox/1/read/'], ['PUT', '/api/sms/inbox/1/unread/'],
           ['POST', '/api/sms/inbox/counts/'], ['DELETE', '/api/sms/inbox/'],
           ['PUT', '/api/sms/webhook/dlr/'], ['DELETE', '/api/sms/webhook/inbound/'],
           ['FROB', '/api/sms/send/'], ['PROPFIND', '/api/sms/messages/']) {
    case("wrong method $r->[0] $r->[1]", 'user', $r->[0], $r->[1], undef,
         405, 'method_not_allowed', allow => 1);
}

# -- wrong Content-Type on every JSON route: 415
my @bad_ct = ('text/plain', '', 'application/x-www-form-urlencoded',
              'application/json; charset=iso-8859-1', 'application/jsonp',
              'multipart/form-data; boundary=x', 'application/json; charset=utf-16');
for my $i (0 .. $#bad_ct) {
    for my $r (@json_routes) {
        # every type on preview and send, one type each on the others
        next unless $r->[1] =~ m{/(preview|send)/$} || $i == 0;
        case("Content-Type '$bad_ct[$i]' on $r->[0] $r->[1]", 'user', $r->[0],
             $r->[1], '{"message": "x"}', 415, 'unsupported_media_type',
             ct => $bad_ct[$i]);
    }
}

# -- broken JSON on every JSON route: 400 invalid_json
my %broken = (
    'empty body' => '', 'truncated' => '{"message": "hi', 'not an object' => '[]',
    'a string' => '"message"', 'null' => 'null', 'trailing garbage' => '{} x',
    'single quotes' => "{'message': 'hi'}", 'comment' => '{/* hi */}',
    'duplicate keys' => '{"message": "a", "message": "b"}',
    'byte order mark' => "\xef\xbb\xbf{}", 'NaN' => '{"max_parts": NaN}',
    'lone surrogate' => '{"message": "\ud800"}',
    'deep nesting' => '{"message": ' . ('[' x 100_000),
    'deep nesting, closed' => '{"message": ' . ('[' x 5000) . (']' x 5000) . '}',
    'deep objects' => ('{"a":' x 5000) . '1' . ('}' x 5000),
    'overflowing integer' => '{"max_parts": 99999999999999999999999999}',
    'overflowing real' => '{"max_parts": 1e400}',
);
for my $k (sort keys %broken) {
    for my $r (@json_routes) {
        next unless $r->[1] =~ m{/send/$} || $k =~ /^(empty|truncated|deep nesting$)/;
        case("JSON $k on $r->[0] $r->[1]", 'user', $r->[0], $r->[1],
             $broken{$k}, 400, 'invalid_json');
    }
}

# -- invalid UTF-8 inside JSON strings: 400 invalid_message
my %bad_utf8 = ('lone continuation byte' => "\x80", 'latin-1 e acute' => "caf\xe9",
                'overlong slash' => "\xc0\xaf", 'truncated sequence' => "\xe2\x82",
                'surrogate encoded' => "\xed\xa0\x80", 'beyond U+10FFFF' => "\xf4\x90\x80\x80",
                'invalid byte 0xff' => "\xff");
for my $k (sort keys %bad_utf8) {
    case("invalid UTF-8 ($k) in preview message", 'user', POST => '/api/sms/preview/',
         qq({"message": "a$bad_utf8{$k}b"}), 400, 'invalid_message');
}
case('invalid UTF-8 in a send field', 'user', POST => '/api/sms/send/',
     qq({"to": "0412345678", "message": "hi", "sender_id": "W\xffE"}), 400,
     'invalid_message');
case('invalid UTF-8 in a key', 'user', POST => '/api/sms/send/',
     qq({"to\xff": "0412345678", "message": "hi"}), 400, 'invalid_message');
case('invalid UTF-8 in a template name', 'user', POST => '/api/sms/templates/',
     qq({"name": "n\xc3", "body": "b"}), 400, 'invalid_message');
case('invalid UTF-8 in an opt-out number', 'user', POST => '/api/sms/optouts/',
     qq({"number": "0412\xff345678"}), 400, 'invalid_message');

# -- bodies over SMSMaxBodySize (1 MiB here): 413, told or not by
#    Content-Length
my $huge = '{"message": "' . ('x' x (1024 * 1024 + 10)) . '"}';
case('huge JSON body', 'user', POST => '/api/sms/send/', $huge, 413,
     'payload_too_large');
case('huge JSON body, chunked', 'user', POST => '/api/sms/preview/', undef, 413,
     'payload_too_large', raw => chunked('POST', '/api/sms/preview/',
         'application/json', $huge, 1));
case('huge form body to a webhook', 'hook', POST => "/api/sms/webhook/inbound/",
     'message=' . ('x' x (1024 * 1024 + 10)), 413, 'payload_too_large',
     ct => 'application/x-www-form-urlencoded');
# (httpd's input filter answers a broken chunk itself)
case('broken chunked encoding', 'user', POST => '/api/sms/preview/', undef, 400,
     undef, httpd => 1, raw => chunked('POST', '/api/sms/preview/',
         'application/json', '{"message": "x"}', 0, "zz\r\n"));

# -- wrong types and values, field by field
my $sqli = "0412345678' OR '1'='1";
my $sqli2 = "1; DROP TABLE sms_message; --";
my $crlf = "0412345678\r\nX-Injected: yes";
# [field, value, code]: the rest of the body is a valid send, so the one
# wrong field is what refuses it (never sent, never stored)
my @send = (
    (map { [to => $_, 'invalid_json'] } 42, 1.5, JSON::PP::true, [], {}),
    (map { [to => $_, 'invalid_phone'] } '', 'abc', $sqli, $sqli2, $crlf, '0' x 1000, '+',
        # Arabic-Indic digits are digits (API.md section 5), but too few
        "\x{0660}\x{0664}\x{0661}\x{0662}\x{0663}",
        '0412 345 678 ext 9'),
    [to => "0412345678\x{0}", 'invalid_message'],
    [to => "0412345678\x{0}9", 'invalid_message'],
    (map { [message => $_, 'invalid_json'] } 42, [], {}, JSON::PP::false),
    (map { [message => $_, 'invalid_message'] } "a\x{1}b", "a\x{7f}b", "a\x{0}b", "a\x{1b}[31mb"),
    [message => 'x' x 20000, 'message_too_long'],
    (map { [sender_id => $_, 'invalid_json'] } 7, [], {}),
    (map { [sender_id => $_, 'invalid_sender_id'] } '', 'Walk Easy', 'WalkEasyClinic', $sqli,
        "Walk\r\nEasy", "Wa\x{308}lk", '+', '0' x 40),
    [sender_id => "Walk\x{0}Easy", 'invalid_message'],
    (map { [send_at => $_, 'invalid_json'] } 1700000000, [], 'tomorrow', '2001-01-01T00:00:00Z',
        '9999-12-31T23:59:59Z', '2026-13-40T25:61:61Z', ('9' x 30) . '-01-01T00:00:00Z', $sqli,
        $crlf, ''),
    (map { [max_parts => $_, 'invalid_json'] } 0, -1, 6, 1.5, '2', 99999999999999999,
        JSON::PP::true, [], -9223372036854775807),
    (map { [template_id => $_, 'invalid_json'] } 0, -1, 1.5, "$tid", [], {}),
    [template_id => 9223372036854775807, 'unknown_template'],
    (map { [patient_id => $_, 'invalid_json'] } {}, [], 1.5, JSON::PP::true, '', 'p' x 65,
        "17\x{0}"),
    (map { [context => $_, 'invalid_json'] } 'x', [], 1),
);
for my $s (@send) {
    my ($f, $v, $code) = @$s;
    my %body = (to => '0412345678', message => 'hi', $f => $v);
    if ($f eq 'template_id' || $f eq 'context') {
        delete $body{message};
        $body{template_id} //= $tid if $f eq 'context';
    }
    case("send: $f = " . printable($v), 'user', POST => '/api/sms/send/', \%body, 400, $code,
         field => $f);
}
case('send: unknown field', 'user', POST => '/api/sms/send/',
     {to => '0412345678', message => 'hi', 'to ' => 'x'}, 400, 'invalid_json', field => 'to ');
case('send: message and template_id', 'user', POST => '/api/sms/send/',
     {to => '0412345678', message => 'hi', template_id => $tid}, 400, 'invalid_json', field => 'template_id');
case('send: Idempotency-Key of 256 characters', 'user', POST => '/api/sms/send/',
     {to => '0412345678', message => 'hi'}, 400, 'invalid_json', field => 'Idempotency-Key',
     headers => {'Idempotency-Key' => 'k' x 256});
case('send: Idempotency-Key with a space', 'user', POST => '/api/sms/send/',
     {to => '0412345678', message => 'hi'}, 400, 'invalid_json', field => 'Idempotency-Key',
     headers => {'Idempotency-Key' => 'a key'});
case('send: Idempotency-Key with 8-bit bytes', 'user', POST => '/api/sms/send/',
     {to => '0412345678', message => 'hi'}, 400, 'invalid_json', field => 'Idempotency-Key',
     headers => {'Idempotency-Key' => "k\xff\xfe"});

# bulk
for my $v ('x', {}, [], [(('0412345678') x 10_001)], undef) {
    case('send-bulk: recipients = ' . printable($v), 'user', POST => '/api/sms/send-bulk/',
         {message => 'hi', defined $v ? (recipients => $v) : ()}, 400, 'invalid_json',
         field => 'recipients');
}
case('send-bulk: a bad text fails the whole batch', 'user', POST => '/api/sms/send-bulk/',
     {recipients => ['0412345678'], message => "a\x{1}b"}, 400, 'invalid_message');
case('send-bulk: empty text', 'user', POST => '/api/sms/send-bulk/',
     {recipients => ['0412345678'], message => ' '}, 400, 'message_empty');
case('send-bulk: max_parts out of range', 'user', POST => '/api/sms/send-bulk/',
     {recipients => ['0412345678'], message => 'hi', max_parts => 100}, 400, 'invalid_json',
     field => 'max_parts');
case('send-bulk: unknown field', 'user', POST => '/api/sms/send-bulk/',
     {recipients => ['0412345678'], message => 'hi', to => '0412345678'}, 400, 'invalid_json',
     field => 'to');

# preview
for my $b ([{}, 'message_empty'], [{message => 1}, 'invalid_json'],
           [{message => 'x', template_id => $tid}, 'invalid_json'],
           [{template_id => 'abc'}, 'invalid_json'],
           [{template_id => 999_999_999}, 'unknown_template'],
           [{template_id => $tid, patient_id => $sqli}, 'unknown_patient'],
           [{template_id => $tid, patient_id => "17\r\nX-Injected: yes"}, 'unknown_patient'],
           [{template_id => $tid, patient_id => [17]}, 'invalid_json'],
           # patient_id as send checks it (issue 12: preview once took any length)
           [{template_id => $tid, patient_id => 'p' x 65}, 'invalid_json', 'patient_id'],
           [{template_id => $tid, patient_id => ''}, 'invalid_json', 'patient_id'],
           [{template_id => $tid, context => 'x'}, 'invalid_json'],
           [{template_id => $tid}, 'unknown_placeholder'],
           [{message => 'x', context => {a => 1}}, 'invalid_json'],
           [{message => 'x', max_parts => 0}, 'invalid_json'],
           [{message => 'x', max_parts => '5'}, 'invalid_json'],
           [{message => "a\x{1b}b"}, 'invalid_message'],
           [{message => 'x', colour => 'red'}, 'invalid_json']) {
    case('preview: ' . printable($b->[0]), 'user', POST => '/api/sms/preview/',
         $b->[0], 400, $b->[1], $b->[2] ? (field => $b->[2]) : ());
}

# templates
for my $b ([{name => 'n'}, 'invalid_json'], [{body => 'b'}, 'invalid_json'],
           [{name => 1, body => 'b'}, 'invalid_json'], [{name => 'n', body => []}, 'invalid_json'],
           [{name => '', body => 'b'}, 'invalid_json'], [{name => 'n' x 101, body => 'b'}, 'invalid_json'],
           [{name => "a\r\nX-Injected: yes", body => 'b'}, 'invalid_json'],
           [{name => "$sqli\n", body => 'b'}, 'invalid_json'],
           [{name => 'n', body => ''}, 'message_empty'],
           [{name => 'n', body => 'b' x 5001}, 'message_too_long'],
           [{name => 'n', body => "b\x{0}"}, 'invalid_message'],
           [{name => 'n', body => 'Hi {first_name'}, undef],
           [{name => 'n', body => 'b', id => 1}, 'invalid_json']) {
    for my $m (['POST', '/api/sms/templates/'], ['PUT', "/api/sms/templates/$tid/"]) {
        case("template $m->[0]: " . printable($b->[0]), 'user', $m->[0], $m->[1],
             $b->[0], 400, $b->[1]);
    }
}
case('templates: a query string', 'user', GET => '/api/sms/templates/?limit=1', undef,
     400, 'invalid_parameter');

# opt-outs
for my $v (undef, 42, [], '', 'x', $sqli, $crlf, '0' x 100) {
    case('optouts POST: number = ' . printable($v), 'user', POST => '/api/sms/optouts/',
         {defined $v ? (number => $v) : ()}, 400,
         !defined $v || ref $v || $v =~ /^\d+$/ && length $v < 5 ? 'invalid_json' : 'invalid_phone',
         field => 'number');
}
case('optouts POST: extra field', 'user', POST => '/api/sms/optouts/',
     {number => '0412345678', source => 'inbound'}, 400, 'invalid_json', field => 'source');

# patient send
for my $b ([{message => 'hi', phone => '0499999999'}, 400, 'invalid_phone'],
           [{message => 'hi', phone => $sqli}, 400, 'invalid_phone'],
           [{message => 'hi', phone => 61412345678}, 400, 'invalid_json'],
           [{message => 'hi', to => '0412345678'}, 400, 'invalid_json'],
           [{message => "a\x{1}"}, 400, 'invalid_message'],
           [{template_id => 999_999_999}, 400, 'unknown_template']) {
    case('patient send: ' . printable($b->[0]), 'user', POST => '/api/sms/patient/17/send/',
         $b->[0], $b->[1], $b->[2]);
}

# -- ids in paths: injection, traversal, overflow
my @bad_ids = ('0', '-1', 'abc', '1.5', '1e3', '0x10', '99999999999999999999',
               '9223372036854775808', '%201', '1%20OR%201=1', "1'--",
               '1;DROP%20TABLE%20sms_message', '%FF', '%C0%AE', '%E2%80%AE1',
               '%0D%0AX-Injected:%20yes', '%2e%2e%2e', '%252e%252e', '..%5c..%5cwin');
for my $id (@bad_ids) {
    case("message id $id", 'user', GET => "/api/sms/messages/$id/", undef, 404, 'not_found');
    case("batch id $id", 'user', GET => "/api/sms/batches/$id/", undef, 404, 'not_found');
    case("template id $id", 'user', GET => "/api/sms/templates/$id/", undef, 404, 'not_found');
}
for my $id (@bad_ids) {
    case("inbox read id $id", 'user', POST => "/api/sms/inbox/$id/read/", undef, 404,
         'not_found');
}
for my $id (@bad_ids[0, 2, 6, 9, 11, 13, 15]) {
    case("template DELETE id $id", 'user', DELETE => "/api/sms/templates/$id/", undef,
         404, 'not_found');
    case("template PUT id $id", 'user', PUT => "/api/sms/templates/$id/",
         {name => 'corpus put', body => 'b'}, 404, 'not_found');
}
for my $id ('%27%20OR%20%271%27=%271', '17%27--', '1;DROP%20TABLE%20sms_patient',
            'p' x 65, '%0D%0AX-Injected:%20yes', '..%5c17', '%252e%252e', '%E2%80%AE17') {
    for my $r ('phones', 'conversation') {
        case("patient id $id ($r)", 'user', GET => "/api/sms/patient/$id/$r/", undef,
             404, 'unknown_patient');
    }
    case("patient id $id (send)", 'user', POST => "/api/sms/patient/$id/send/",
         {message => 'hi'}, 404, 'unknown_patient');
}
for my $id ('%FF', '%C3', 'a%C0%AFb') {
    for my $r ('phones', 'conversation') {
        case("patient id with invalid UTF-8 $id ($r)", 'user', GET => "/api/sms/patient/$id/$r/",
             undef, 404, 'not_found');
    }
}
for my $n ('abc', '0412345678%27%20OR%20%271%27=%271', '%FF', '0' x 40,
           '0412345678%0D%0AX-Injected:%20yes', '%2e%2e%2e') {
    case("optout DELETE $n", 'user', DELETE => "/api/sms/optouts/$n/", undef,
         $n eq '%FF' ? 404 : 400, $n eq '%FF' ? 'not_found' : 'invalid_phone');
}
case('optout DELETE of a number not on the list', 'user',
     DELETE => '/api/sms/optouts/0499000001/', undef, 404, 'not_found');
# dot segments are resolved by httpd: what is left is no route of ours
case('path traversal %2e%2e to the API root', 'user', GET => '/api/sms/messages/%2e%2e/',
     undef, 404, 'not_found');
case('unknown route with invalid UTF-8', 'user', GET => '/api/sms/%FF/', undef, 404,
     'not_found');
case('unknown route with CR LF', 'user', GET => '/api/sms/x%0D%0AX-Injected:%20yes/', undef,
     404, 'not_found');
case('route below a route', 'user', GET => '/api/sms/messages/1/events/', undef, 404,
     'not_found');

# -- what httpd refuses before any module sees the request: its own 4xx
case('encoded slash in an id', 'user', GET => '/api/sms/messages/..%2F..%2Fetc%2Fpasswd/',
     undef, 404, undef, httpd => 1);
case('NUL in a path', 'user', GET => '/api/sms/patient/17%00/phones/', undef, 404,
     undef, httpd => 1);
case('dot segments above the root', 'user', GET => '/api/sms/../../../etc/passwd',
     undef, qr/^40[04]$/, undef, httpd => 1,
     raw => "GET /api/sms/../../../etc/passwd HTTP/1.1\r\nHost: localhost\r\n"
          . "Connection: close\r\n\r\n");
case('oversized header', 'user', GET => '/api/sms/messages/', undef, 400, undef,
     httpd => 1, headers => {'X-Big' => 'a' x 10_000});
case('too many headers', 'user', GET => '/api/sms/messages/', undef, 400, undef,
     httpd => 1, headers => {map { ("X-H$_" => $_) } 1 .. 120});
# refused before any <Location>: the suite's server-wide ErrorDocument 414
# (as the demo's) makes it the envelope, and the session survives it
case('oversized request line', 'user', GET => '/api/sms/messages/?cursor=' . ('a' x 9000),
     undef, 414, 'uri_too_long');
case('bad Content-Length', 'user', POST => '/api/sms/preview/', undef, 400, undef,
     httpd => 1, raw => "POST /api/sms/preview/ HTTP/1.1\r\nHost: localhost\r\n"
         . "Content-Type: application/json\r\nContent-Length: -5\r\nConnection: close\r\n\r\n");
case('raw 8-bit bytes in the request line', 'user', GET => '/api/sms/messages/', undef,
     400, 'invalid_parameter', raw => "GET /api/sms/messages/?status=\xff\xfe HTTP/1.1\r\n"
         . "Host: localhost\r\nConnection: close\r\n\r\n");

# -- the message list's query string
my %list = (
    status => ['bogus', 'DELIVERED', "delivered'%20OR%20'1'='1", '%FF', '', 'delivered%00'],
    limit => ['0', '-1', '501', '1e3', 'abc', '', '99999999999999999999', '%2B5', '%205', '5.0', '0x10'],
    cursor => ['garbage', 'a.b', 'A' x 2000, 'bWVzc2FnZXM6MQ.AAAAAAAAAAAAAAAAAAAAAAAAAAA',
               $forge->('optouts:61412345678'), $forge->('messages:abc'), $forge->('messages:-1')],
    since => ['yesterday', '2026-13-01T00:00:00Z', '99999-01-01T00:00:00Z', '-1', '1e99', '%FF',
              "2026-01-01T00:00:00Z'%20OR%201=1", '2026-01-01T00:00:00Z%0D%0AX-Injected:%20yes'],
    until => ['tomorrow', '2026-01-01T24:61:00Z', ''],
    batch_id => ['0', '-5', 'abc', '1.5', '99999999999999999999', '1%20OR%201=1'],
    phone => ['abc', "0412'%20OR%201=1--", '%FF', '1' x 100, '0412345678%0D%0AX-Injected:%20yes'],
    patient_id => ['p' x 65, '', '%FF', '%C0%AF'],
);
for my $p (sort keys %list) {
    for my $v (@{$list{$p}}) {
        my $code = $p eq 'phone' ? 'invalid_phone' : 'invalid_parameter';
        $code = 'invalid_parameter' if $p eq 'phone' && $v =~ /%(FF|00)/;
        case("messages ?$p=" . substr($v, 0, 40), 'user', GET => "/api/sms/messages/?$p=$v",
             undef, 400, $code, $v =~ /%00/ ? () : (field => $p));
    }
}
for my $q ('colour=red', 'limit=1&limit=2', 'status=sent&status=failed', 'status=%ZZ',
           'status=%', 'limit=%00', '%FF=1', '=1', 'phone=0412345678&phone=0412345679',
           'limit[]=5') {
    case("messages ?$q", 'user', GET => "/api/sms/messages/?$q", undef, 400, 'invalid_parameter');
}
for my $q ('limit=0', 'limit=1001', 'limit=-3', 'limit=x', 'cursor=garbage',
           "cursor=" . $forge->('messages:1'), 'colour=red', 'limit=1&limit=1') {
    case("optouts ?$q", 'user', GET => "/api/sms/optouts/?$q", undef, 400, 'invalid_parameter');
}
for my $q ('state=bogus', 'state=UNREAD', 'state=', 'state=%FF', "state=unread'%20OR%20'1'='1",
           'state=unread&state=all', 'limit=0', 'limit=501', 'limit=-1', 'limit=1e3',
           'limit=abc', 'limit=99999999999999999999', 'cursor=garbage', 'cursor=' . 'A' x 2000,
           'cursor=' . $forge->('messages:1'), 'cursor=' . $forge->('inbox:all:abc'),
           'state=unread&cursor=' . $forge->('inbox:all:5'), 'colour=red') {
    my ($field) = $q =~ /^(state|limit|cursor)=[^&]*$/;
    ($field) = $q =~ /&(cursor)=/ unless $field;
    case("inbox ?$q", 'user', GET => "/api/sms/inbox/?$q", undef, 400, 'invalid_parameter',
         $q =~ /state=unread&state|%FF/ ? () : (field => $field));
}
case('inbox counts ?state=unread', 'user', GET => '/api/sms/inbox/counts/?state=unread', undef,
     400, 'invalid_parameter');
for my $q ('since=garbage', 'since=' . $forge->('conv:18:0:0'), 'since=%FF', 'colour=red',
           'since=a&since=b') {
    case("conversation ?$q", 'user', GET => "/api/sms/patient/17/conversation/?$q", undef,
         400, 'invalid_parameter');
}

# -- webhooks
my $dlr = '/api/sms/webhook/dlr/';
my $in = '/api/sms/webhook/inbound/';
my $form = 'application/x-www-form-urlencoded';
for my $q ('', 'to=61412345678&smsref=1&status=Delivered', "smsref=1&status=Delivered&secret=x",
           "smsref=1&status=Delivered&secret=${S}x", "smsref=1&status=Delivered&secret=" . uc $S,
           "smsref=1&status=Delivered&secret=%20$S", "smsref=$sqli2&status=Delivered&secret=$sqli",
           "smsref=1&status=Delivered&secret=$S%0D%0AX-Injected:%20yes") {
    case("dlr GET without the secret: ?$q", 'hook', GET => "$dlr?$q", undef, 403, 'forbidden');
    case("dlr POST without the secret: $q", 'hook', POST => $dlr, $q, 403, 'forbidden', ct => $form);
}
for my $q ("from=0412345678&message=hi", "from=0412345678&message=hi&secret=nope") {
    case("inbound without the secret: ?$q", 'hook', GET => "$in?$q", undef, 403, 'forbidden');
}
for my $q ("status=Delivered&secret=$S", "smsref=1&secret=$S", "smsref=&ref=&status=Delivered&secret=$S",
           "smsref=1&status=&secret=$S", "smsref=1&status=Delivered&secret=$S&secret=$S",
           "smsref=1&status=Delivered&status=Failed&secret=$S", "smsref=1&status=Delivered&secret=$S&colour=red",
           "smsref=" . ('1' x 65) . "&status=Delivered&secret=$S",
           "ref=" . ('1' x 65) . "&to=61412345678&status=Delivered&secret=$S",
           "smsref=1&status=" . ('D' x 33) . "&secret=$S",
           "smsref=1&to=" . ('6' x 33) . "&status=Delivered&secret=$S",
           "smsref=$sqli2&secret=$S", "smsref=%FF&status=Delivered&secret=$S",
           "smsref=1&status=%FF&secret=$S", "ref=%C3%28&to=61412345678&status=Delivered&secret=$S",
           "smsref=1&to=%FF&status=Delivered&secret=$S", "smsref=1&status=Deliv%01ered&secret=$S",
           "smsref=%ZZ&status=Delivered&secret=$S", "smsref=1%00&status=Delivered&secret=$S") {
    case("dlr GET ?$q", 'hook', GET => "$dlr?$q", undef, 400, 'invalid_parameter');
}
case('dlr POST: secret in the query and the form', 'hook', POST => "$dlr?secret=$S",
     "smsref=1&status=Delivered&secret=$S", 400, 'invalid_parameter', ct => $form);
case('dlr POST: a parameter in the query and the form', 'hook', POST => "$dlr?smsref=1",
     "smsref=1&status=Delivered&secret=$S", 400, 'invalid_parameter', ct => $form);
case('dlr POST: JSON', 'hook', POST => "$dlr?secret=$S", '{"smsref": "1", "status": "Delivered"}',
     415, 'unsupported_media_type');
case('dlr POST: no Content-Type', 'hook', POST => "$dlr?secret=$S", "smsref=1&status=Delivered",
     415, 'unsupported_media_type', ct => '');
case('dlr POST: multipart', 'hook', POST => "$dlr?secret=$S",
     "--x\r\nContent-Disposition: form-data; name=\"smsref\"\r\n\r\n1\r\n--x--\r\n",
     415, 'unsupported_media_type', ct => 'multipart/form-data; boundary=x');
case('dlr POST: a NUL byte in the form', 'hook', POST => $dlr,
     "smsref=1\0&status=Delivered&secret=$S", 400, 'invalid_parameter', ct => $form);
case('dlr POST: invalid UTF-8 in the form', 'hook', POST => $dlr,
     "smsref=\xff\xfe&status=Delivered&secret=$S", 400, 'invalid_parameter', ct => $form);
for my $q ("message=hi&secret=$S", "from=0412345678&secret=$S", "from=&message=hi&secret=$S",
           "from=abc&message=hi&secret=$S", "from=$sqli&message=hi&secret=$S",
           "from=0412345678%0D%0AX-Injected:%20yes&message=hi&secret=$S",
           "from=0412345678&from=0412345679&message=hi&secret=$S",
           "from=0412345678&message=hi&message=ho&secret=$S",
           "from=0412345678&message=a%01b&secret=$S", "from=0412345678&message=a%FFb&secret=$S",
           "from=0412345678&message=%C0%AF&secret=$S", "from=0412345678&message=a%00b&secret=$S",
           "from=0412345678&message=hi&ref=" . ('9' x 65) . "&secret=$S",
           "from=0412345678&message=hi&to=" . ('6' x 33) . "&secret=$S",
           "from=0412345678&message=hi&to=%FF&secret=$S",
           "from=0412345678&message=hi&ref=%FF&secret=$S",
           "from=%FF&message=hi&secret=$S", "from=0412345678&message=hi&colour=red&secret=$S") {
    my $code = $q =~ /^from=(abc|0412345678'|0412345678%0D)/ || $q =~ /^from=&/ ? 'invalid_phone'
             : $q =~ /message=(a%01b|a%FFb|%C0%AF)/ ? 'invalid_message' : 'invalid_parameter';
    case("inbound GET ?$q", 'hook', GET => "$in?$q", undef, 400, $code);
    case("inbound POST $q", 'hook', POST => $in, $q, 400, $code, ct => $form)
        if $q =~ /%FF|%00|from=0412345678&from|%0D/;
}
case('inbound POST: a message over 8 KiB', 'hook', POST => $in,
     "from=0412345678&secret=$S&message=" . ('x' x 8193), 400, 'invalid_parameter', ct => $form);

# ---- run it ------------------------------------------------------------------
my @literal = (
    # injection strings are data where the contract takes any text: read
    # routes answer them literally and find nothing
    [GET => "/api/sms/messages/?patient_id=1%27%20OR%20%271%27=%271", sub { @{$_[0]{messages}} == 0 }],
    [GET => "/api/sms/messages/?patient_id=1;%20DROP%20TABLE%20sms_message;%20--", sub { @{$_[0]{messages}} == 0 }],
    [POST => '/api/sms/preview/', sub { $_[0]{message} eq $sqli2 }, {message => $sqli2}],
    [POST => '/api/sms/preview/', sub { $_[0]{message} eq "a\r\nX-Injected: yes" },
     {message => "a\r\nX-Injected: yes"}],
    # a bulk send reports bad recipients without failing: nothing stored
    [POST => '/api/sms/send-bulk/', sub { $_[0]{accepted} == 0 && @{$_[0]{rejected}} == 3
                                          && !defined $_[0]{batch_id} },
     {message => 'hi', recipients => ["0412345678\x{0}x", $sqli, {to => $crlf}]}, 202],
);

plan tests => @cases + @literal + 4;

sub printable {
    my ($v) = @_;
    my $s = ref $v ? $JSON->encode($v) : defined $v ? $v : 'absent';
    $s =~ s/([^\x20-\x7e])/sprintf('\\x{%x}', ord $1)/ge;
    return length $s > 60 ? substr($s, 0, 60) . '...' : $s;
}

# A request with a chunked body (optionally broken), as raw bytes.
sub chunked {
    my ($method, $path, $ct, $body, $chunks, $broken) = @_;
    my $out = "$method $path HTTP/1.1\r\nHost: localhost\r\nContent-Type: $ct\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n";
    return $out .= "\r\n" . ($broken // '') unless $chunks;
    $out .= "\r\n";
    for (my $i = 0; $i < length $body; $i += 65536) {
        my $c = substr($body, $i, 65536);
        $out .= sprintf("%x\r\n", length $c) . "$c\r\n";
    }
    return $out . "0\r\n\r\n";
}

# Send raw bytes on a socket; the response, parsed.
sub raw_request {
    my ($c, $bytes) = @_;
    my $port = (split /:/, Apache::TestRequest::hostport(Apache::Test::config()))[1];
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                     Timeout => 30) or die "connect: $!";
    if ($c->{ua} eq 'user') {
        my $cookies = '';
        $ua->cookie_jar->scan(sub { $cookies .= "$_[1]=$_[2]; " });
        my $token = $ua->default_header('X-CSRFToken');
        $bytes =~ s/\r\n/\r\nCookie: $cookies\r\nX-CSRFToken: $token\r\n/;
    }
    local $SIG{PIPE} = 'IGNORE';
    print $sock $bytes;
    shutdown $sock, 1;
    local $/;
    my $text = <$sock> // '';
    close $sock;
    my $res = HTTP::Response->parse($text);
    if (($res->header('Transfer-Encoding') // '') =~ /chunked/) {
        my ($body, $rest) = ('', $res->content);
        while ($rest =~ s/\A([0-9a-fA-F]+)\r\n//) {
            my $n = hex $1;
            last unless $n;
            $body .= substr($rest, 0, $n, '');
            $rest =~ s/\A\r\n//;
        }
        $res->content($body);
    }
    return $res;
}

my ($fails, $n5xx) = (0, 0);
for my $c (@cases) {
    my ($res, $data);
    if (defined $c->{raw}) {
        $res = raw_request($c, $c->{raw});
        $data = json_body($res);
    }
    else {
        my %h = %{$c->{headers} || {}};
        if (defined $c->{body}) {
            my $ct = exists $c->{ct} ? $c->{ct} : 'application/json';
            $h{'Content-Type'} = length $ct ? $ct : undef;
        }
        my $client = $ua{$c->{ua}};
        my $body = $c->{body};
        if (defined $body && !ref $body) {
            utf8::downgrade($body, 1) or utf8::encode($body);
        }
        if (defined $body && !length($h{'Content-Type'} // '')) {
            # no Content-Type at all: LWP would not add one, api() would
            my $req = HTTP::Request->new($c->{method} => $client->{sms_base} . $c->{path});
            $req->content($body);
            $req->header($_ => $h{$_}) for grep { defined $h{$_} } keys %h;
            $res = $client->request($req);
            $data = json_body($res);
        }
        else {
            ($res, $data) = api($client, $c->{method}, $c->{path}, $body, %h);
        }
    }
    my @why;
    my $status = $res->code;
    $n5xx++ if $status >= 500;
    push @why, "status $status" unless ref $c->{status} ? $status =~ $c->{status}
                                                     : $status == $c->{status};
    push @why, 'a 5xx' if $status >= 500;
    push @why, 'not a 4xx' unless $status >= 400 && $status < 500;
    if (!$c->{httpd}) {
        push @why, "not the envelope of $c->{code}" . ($c->{field} ? "/$c->{field}" : '')
            unless is_envelope($res, $data, $res->code, $c->{code} // ($data->{error}{code} // ''),
                               $c->{field});
        push @why, "code " . ($data->{error}{code} // 'none') . ", not $c->{code}"
            if defined $c->{code} && ref $data eq 'HASH' && ($data->{error}{code} // '') ne $c->{code};
        push @why, 'message does not match'
            if $c->{message} && ($data->{error}{message} // '') !~ $c->{message};
        push @why, 'no Allow header' if $c->{allow} && !$res->header('Allow');
    }
    push @why, 'an injected header came back' if $res->header('X-Injected');
    $fails++ if @why;
    ok !@why or diag "corpus case '$c->{label}': @why: " . $res->status_line . ' '
                     . substr($res->content // '', 0, 300);
}
for my $l (@literal) {
    my ($method, $path, $check, $body, $status) = @$l;
    my ($res, $data) = api($ua, $method, $path, $body);
    ok $res->code == ($status || 200) && ref $data eq 'HASH' && $check->($data)
        or diag "literal case $method $path: " . $res->status_line . ' '
                . substr($res->content, 0, 2000);
}
diag scalar(@cases) . " corpus cases, $fails failed, $n5xx answered 5xx";

# ---- afterwards --------------------------------------------------------------
# the server answers, no child crashed, nothing in the database changed
my ($hr, $hd) = api(client(), GET => '/api/sms/health/');
ok t_cmp($hr->code, 200, 'server_still_answers_after_the_corpus');
open my $fh, '<', $error_log or die "$error_log: $!";
seek $fh, $log_start, 0;
my @crashes = grep { /exit signal|Segmentation|AH00052|AH00060|child process \d+ still did not exit/ } <$fh>;
close $fh;
ok !@crashes or diag "crashed children:\n", @crashes;
my ($hr2) = api($ua, GET => '/api/sms/messages/?limit=1');
ok t_cmp($hr2->code, 200, 'session_still_served');
my $after = fingerprint();
my @changed = grep { $before->{$_} ne $after->{$_} } sort keys %$before;
ok !@changed or diag join "\n", map { "table $_ changed: $before->{$_} -> $after->{$_}" } @changed;
