# Authentication by httpd's own modules: mod_auth_form + mod_session
# (encrypted cookie) on the main host, Basic on another.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 12;

my $ua = client();
my $res = login($ua, 'alice', 'wrong-password');
my ($r2, $data) = api($ua, POST => '/api/sms/preview/', {message => 'a'});
ok is_envelope($r2, $data, 401, 'unauthenticated');

$res = login($ua, 'alice', 'alice-password');
my $cookie = join "\n", $res->header('Set-Cookie');
ok t_cmp($cookie, qr/^session=/m, 'login_sets_the_session_cookie');
ok t_cmp($cookie, qr/HttpOnly/i, 'session_cookie_is_httponly');
ok t_cmp($cookie, qr/SameSite=Lax/i, 'session_cookie_is_samesite');
# session_cookie_does_not_hold_the_password_in_clear
ok $cookie !~ /alice-password/ && $cookie !~ /httpd_password/;
($r2, $data) = api($ua, POST => '/api/sms/preview/', {message => 'hello'});
ok t_cmp($r2->code, 200, 'logged_in_user_reaches_the_api');
ok t_cmp($data->{segments}, 1);

# A tampered cookie is no session.
my $evil = client();
$evil->default_header(Cookie => 'session=' . ('A' x 64));
($r2, $data) = api($evil, POST => '/api/sms/preview/', {message => 'a'});
ok is_envelope($r2, $data, 401, 'unauthenticated');

# Basic authentication as the alternative.
my $url = vhost_url('basic');
my ($netloc) = $url =~ m{//(.*)};
my $basic = client(base => $url,
                   basic => ['bob', 'bob-password']);
($r2, $data) = api($basic, POST => '/api/sms/preview/', {message => 'a'});
ok t_cmp($r2->code, 200, 'basic_auth_user_reaches_the_api');
my $wrong = client(base => $url,
                   basic => ['bob', 'nope']);
($r2, $data) = api($wrong, POST => '/api/sms/preview/', {message => 'a'});
ok t_cmp($r2->code, 401, 'basic_auth_wrong_password_is_401');
ok t_cmp($r2->header('WWW-Authenticate') // '', qr/^Basic/, 'basic_challenge_sent');
# httpd's 401 in the envelope (ErrorDocument, as the Basic example does)
ok is_envelope($r2, $data, 401, 'unauthenticated') or diag $r2->content;
