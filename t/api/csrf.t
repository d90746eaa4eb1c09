# CSRF tokens: unsafe methods of authenticated routes need X-CSRFToken,
# bound to the user and the login session, and expiring (SMSCSRF On, the
# default). Logout ending a token: t/api/roles.t (server-side sessions).
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use Digest::SHA qw(hmac_sha1);
use MIME::Base64 qw(encode_base64url decode_base64url);
use lib 't/lib';
use SMSTest;

plan tests => 16;

# a token as the module makes them: payload.HMAC-SHA1, base64url
sub forge {
    my ($payload, $key) = @_;
    my $body = encode_base64url($payload);
    return "$body." . encode_base64url(hmac_sha1($body, $key));
}
my $key = 'suite-secret-0123456789abcdef';

my $ua = client();
login($ua, 'alice', 'alice-password');
my $good = $ua->default_header('X-CSRFToken');
ok t_cmp(length($good // '') > 20 ? 1 : 0, 1, 'login_gets_a_token');
my ($res, $d) = api($ua, GET => '/api/sms/csrf-token/');
ok t_cmp($d->{expires_at}, qr/Z$/, 'token_says_when_it_expires');
# the payload is signed, not secret: csrf:<expiry>:<login nonce>:<user>
my ($payload) = split /\./, $good;
my (undef, undef, $nonce, $who) = split /:/, decode_base64url($payload), 4;
ok t_cmp($nonce // '', qr/^[0-9a-f]{32}$/, 'token_names_the_login_session');
ok t_cmp($who // '', 'alice');

my $body = {to => '0412345678', message => 'csrf'};
my $count = sub { sql_value('sms.db', 'SELECT count(*) FROM sms_message') };
my $before = $count->();
my @bad = (
    ['missing', undef],
    ['garbage', 'abc'],
    ['tampered', substr($good, 0, -2) . 'xx'],
    ['other user', forge('csrf:' . (time + 3600) . ":$nonce:bob", $key)],
    ['expired', forge('csrf:' . (time - 10) . ":$nonce:alice", $key)],
    ['other key', forge('csrf:' . (time + 3600) . ":$nonce:alice", 'another-key-0123456789')],
    ['other login session', forge('csrf:' . (time + 3600) . ':' . ('0' x 32) . ':alice', $key)],
    ['no login session', forge('csrf:' . (time + 3600) . ':-:alice', $key)],
);
for my $b (@bad) {
    $ua->default_header('X-CSRFToken' => $b->[1]);
    ($res, $d) = api($ua, POST => '/api/sms/send/', $body);
    ok is_envelope($res, $d, 403, 'csrf_failed') or diag "$b->[0]: " . $res->status_line;
}
ok t_cmp($count->(), $before, 'refused_posts_store_nothing');
$ua->default_header('X-CSRFToken' => forge('csrf:' . (time + 3600) . ":$nonce:alice", $key));
($res, $d) = api($ua, POST => '/api/sms/send/', $body);
ok t_cmp($res->code, 201, 'valid_token_for_this_user_passes');
# GET needs no token; Basic-auth scripts run with SMSCSRF Off
$ua->default_header('X-CSRFToken' => undef);
($res) = api($ua, GET => '/api/sms/messages/?limit=1');
ok t_cmp($res->code, 200, 'get_needs_no_token');
($res) = api(basic_client('basic'), POST => '/api/sms/preview/', {message => 'x'});
ok t_cmp($res->code, 200, 'csrf_off_location');
