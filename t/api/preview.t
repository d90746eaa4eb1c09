# POST /api/sms/preview/: every shared vector of t/data/text_vectors.json
# through httpd, and every way a request can be wrong.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;
use SMSFault qw(children_rss_kb);

my $cases = load_vectors();
plan tests => scalar(@$cases) + 37;

my $ua = client();
login($ua, 'alice', 'alice-password');
# SMSSmartEncoding is On (and SMSMaxParts 2) on the Basic-auth host.
my $smart_url = vhost_url('basic');
my $smart = client(base => $smart_url,
                   basic => ['alice', 'alice-password']);

for my $c (@$cases) {
    my $client = $c->{smart} ? $smart : $ua;
    my ($res, $data);
    if (exists $c->{hex}) {
        my $bytes = pack 'H*', $c->{hex};
        ($res, $data) = api($client, POST => '/api/sms/preview/',
            qq({"message": "$bytes", "max_parts": $c->{max_parts}}));
        ok is_envelope($res, $data, 400, 'invalid_message')
            or diag "$c->{name}: " . $res->status_line . ' ' . $res->content;
        next;
    }
    ($res, $data) = api($client, POST => '/api/sms/preview/',
                        {message => $c->{text}, max_parts => $c->{max_parts}});
    if ($c->{expect_error}) {
        ok is_envelope($res, $data, 400, $c->{expect_error}, 'message')
            or diag "$c->{name}: " . $res->status_line . ' ' . $res->content;
        next;
    }
    my $e = $c->{expect};
    my %want = (%$e, max_parts => $c->{max_parts},
                within_limit => $e->{within_limit} ? 1 : 0);
    my %got = map { $_ => $data->{$_} } keys %want;
    $got{within_limit} = $got{within_limit} ? 1 : 0 if $data;
    ok t_is_equal(\%got, \%want)
        or diag "$c->{name}: " . $res->status_line . ' '
              . substr($res->content, 0, 300);
}

# Defaults come from the server: SMSMaxParts 5 here, 2 on the other host.
my ($res, $data) = api($ua, POST => '/api/sms/preview', {message => 'x' x 500});
ok t_cmp($data->{max_parts}, 5, 'preview_defaults_to_SMSMaxParts');
ok t_cmp($data->{segments}, 4, 'preview_500_gsm_chars_is_4_segments');
ok $data->{within_limit};
($res, $data) = api($smart, POST => '/api/sms/preview', {message => 'x' x 500});
ok t_cmp($data->{max_parts}, 2, 'preview_max_parts_from_vhost');
ok !$data->{within_limit};
($res, $data) = api($ua, POST => '/api/sms/preview/', {message => "\x{2019}ok"});
ok t_cmp($data->{encoding}, 'UCS-2', 'smart_encoding_off_keeps_ucs2');
($res, $data) = api($smart, POST => '/api/sms/preview/', {message => "\x{2019}ok"});
ok t_cmp($data->{message}, "'ok", 'smart_encoding_on_rewrites_quote');

# Wrong requests: each a clear 4xx in the envelope.
my @bad = (
    [{}, 400, 'message_empty', 'message', 'missing_message_same_code_as_send'],
    [{message => undef}, 400, 'message_empty', 'message', 'null_message_same_code_as_send'],
    [{message => 42}, 400, 'invalid_json', 'message', 'number_message'],
    [{message => ['a']}, 400, 'invalid_json', 'message', 'array_message'],
    [{message => 'a', max_parts => 0}, 400, 'invalid_json', 'max_parts', 'max_parts_zero'],
    [{message => 'a', max_parts => 6}, 400, 'invalid_json', 'max_parts', 'max_parts_six'],
    [{message => 'a', max_parts => '2'}, 400, 'invalid_json', 'max_parts', 'max_parts_string'],
    [{message => 'a', max_parts => 2.5}, 400, 'invalid_json', 'max_parts', 'max_parts_real'],
    [{message => 'a', mesage => 'b'}, 400, 'invalid_json', 'mesage', 'unknown_field'],
    ['{"message": "a"', 400, 'invalid_json', undef, 'truncated_json'],
    ['["message"]', 400, 'invalid_json', undef, 'array_body'],
    ['', 400, 'invalid_json', undef, 'empty_body'],
    ['{"message": "a", "message": "b"}', 400, 'invalid_json', undef, 'duplicate_key'],
    ['{"message": "\ud83d"}', 400, 'invalid_json', undef, 'lone_surrogate_escape'],
    [qq({"message": "a\tb"}), 400, 'invalid_json', undef, 'raw_tab_in_string'],
    ['{"message": "a\u0009b"}', 400, 'invalid_message', 'message', 'escaped_tab'],
    ['{"message": "a\u0000b"}', 400, 'invalid_message', 'message', 'escaped_nul'],
);
for my $b (@bad) {
    my ($body, $status, $code, $field, $name) = @$b;
    ($res, $data) = api($ua, POST => '/api/sms/preview/', $body);
    ok is_envelope($res, $data, $status, $code, $field)
        or diag "$name: " . $res->status_line . ' ' . $res->content;
}

# Content-Type must be JSON (UTF-8).
for my $ct ('text/plain', 'application/x-www-form-urlencoded',
            'application/json; charset=iso-8859-1', 'application/jsonx') {
    ($res, $data) = api($ua, POST => '/api/sms/preview/', '{"message":"a"}',
                        'Content-Type' => $ct);
    ok is_envelope($res, $data, 415, 'unsupported_media_type')
        or diag "$ct: " . $res->status_line;
}
($res, $data) = api($ua, POST => '/api/sms/preview/', '{"message":"a"}',
                    'Content-Type' => 'application/json; charset=UTF-8');
ok t_cmp($res->code, 200, 'json_with_utf8_charset_accepted');

# Body cap: SMSMaxBodySize (1M default; 4K on the Basic host).
($res, $data) = api($ua, POST => '/api/sms/preview/',
                    {message => 'a' x (1024 * 1024 + 10)});
ok is_envelope($res, $data, 413, 'payload_too_large');
($res, $data) = api($smart, POST => '/api/sms/preview/', {message => 'a' x 5000});
ok is_envelope($res, $data, 413, 'payload_too_large');
($res, $data) = api($smart, POST => '/api/sms/preview/', {message => 'a' x 3000});
ok t_cmp($res->code, 200, 'body_under_the_cap_accepted');

# Anonymous: 401 JSON, both from httpd's Require (ErrorDocument into the
# module) and from the module's own guard (no Require in front).
($res, $data) = api(client(), POST => '/api/sms/preview/', {message => 'a'});
ok is_envelope($res, $data, 401, 'unauthenticated');
($res, $data) = api(client(base => vhost_url('noauth')), POST => '/api/sms/preview/',
                    {message => 'a'});
ok is_envelope($res, $data, 401, 'unauthenticated');

# ---- bounded memory: a template of 1,666 x {a} (5,000 bytes) rendered with
# a 20 KB value once grew a child by 315 MB and answered 67 MB; rendering
# now stops as soon as the text is longer than any SMS can carry
my (undef, $big) = api($ua, POST => '/api/sms/templates/',
                       {name => 'preview.t bomb', body => '{a}' x 1666});
my $rss_before = children_rss_kb();
for (1 .. 3) {
    ($res, $data) = api($ua, POST => '/api/sms/preview/',
                        {template_id => $big->{id}, context => {a => 'x' x 20000}});
}
ok is_envelope($res, $data, 400, 'message_too_long', 'message');
ok t_cmp(length($res->content) < 1000, 1, 'template_bomb_answer_is_small');
my $grown = children_rss_kb() - $rss_before;
ok t_cmp($grown < 16 * 1024, 1, "template_bomb_grows_the_children_under_16_MB (grew ${grown} kB)");

