# Server-side sessions (mod_session_dbd on mod_sms's database, as the demo
# runs them) and CSRF tokens bound to the login session: after /logout the
# old session cookie and the old CSRF token both fail, also when the same
# browser logs in again; a token of another session of the same user is
# refused.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 14;

my $base = demo_start();
my $preview = sub {
    my ($ua, $token) = @_;
    return api($ua, POST => '/api/sms/preview/', {message => 'Hi'},
               'X-CSRFToken' => $token);
};
my $cookie_of = sub {
    my ($ua) = @_;
    my $c;
    $ua->cookie_jar->scan(sub { $c = $_[2] if $_[1] eq 'session' });
    return $c;
};

my $ua = client(base => $base);
my $res = login($ua, 'clinician', 'clinician');
my $token = $ua->default_header('X-CSRFToken');
my $old_cookie = $cookie_of->($ua);
ok t_cmp(($old_cookie // '') =~ /^[0-9a-f-]{36}$/ ? 1 : 0, 1,
         'the_session_cookie_is_only_a_key');
ok t_cmp(demo_sql("SELECT count(*) FROM sms_session WHERE session_key = '$old_cookie'"),
         1, 'the_session_lives_in_the_database');
my ($r, $d) = $preview->($ua, $token);
ok t_cmp($r->code, 200, 'token_of_this_session_passes');

# the same user in another browser: its own session, its own tokens
my $other = client(base => $base);
login($other, 'clinician', 'clinician');
my $other_token = $other->default_header('X-CSRFToken');
($r, $d) = $preview->($ua, $other_token);
ok is_envelope($r, $d, 403, 'csrf_failed', 'X-CSRFToken');
($r, $d) = $preview->($other, $token);
ok is_envelope($r, $d, 403, 'csrf_failed', 'X-CSRFToken');

# logout ends the session on the server
$r = $ua->get("$base/logout");
ok t_cmp($r->is_redirect ? 1 : 0, 1, 'logout_answers_with_a_redirect');
ok t_cmp(demo_sql("SELECT count(*) FROM sms_session WHERE session_key = '$old_cookie'"),
         0, 'logout_removes_the_session_key');
my $replay = client(base => $base);
$replay->default_header(Cookie => "session=$old_cookie");
($r, $d) = api($replay, GET => '/api/sms/patient/17/phones/');
ok is_envelope($r, $d, 401, 'unauthenticated');
($r, $d) = $preview->($replay, $token);
ok is_envelope($r, $d, 401, 'unauthenticated');

# the same browser logs in again at once: the old token is still refused
login($ua, 'clinician', 'clinician');
($r, $d) = $preview->($ua, $token);
ok is_envelope($r, $d, 403, 'csrf_failed', 'X-CSRFToken');
($r, $d) = $preview->($ua, $ua->default_header('X-CSRFToken'));
ok t_cmp($r->code, 200, 'a_new_token_of_the_new_session_passes');
# the other browser's session was not touched by this logout
($r, $d) = $preview->($other, $other_token);
ok t_cmp($r->code, 200, 'other_sessions_live_on');

# the session rows hold the user and the site hash, never the password
# (SMSSessionForgetPassword: mod_auth_form's "-pw" entry is "-")
my $rows = demo_sql("SELECT count(*) FROM sms_session WHERE value LIKE '%-user=clinician%'");
ok t_cmp($rows >= 2 ? 1 : 0, 1, 'the_sessions_are_stored_unencrypted');
ok t_cmp(demo_sql("SELECT count(*) FROM sms_session WHERE value LIKE '%-pw=%' "
                  . "AND value NOT LIKE '%-pw=-&%' AND value NOT LIKE '%-pw=-'"),
         0, 'no_session_row_holds_a_password');
