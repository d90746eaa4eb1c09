# GET /api/sms/health/: no authentication, a real mod_dbd round trip, and
# a clear 503 when the schema is missing; the details (queue depth,
# provider and its error) only for a user, who is known on this open route
# by the session cookie or Basic credentials.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 33;

# Without a user: status and storage only (no queue depth, no provider
# error text: issue 13).
my $anon = client();
my ($res, $data) = api($anon, GET => '/api/sms/health/');
ok t_cmp($res->code, 200, 'health_answers_without_login');
ok t_cmp($res->header('Content-Type'), qr{^application/json}, 'health_is_json');
ok t_cmp($data && $data->{storage}, 'ok', 'health_storage_ok');
ok t_cmp($data->{status}, 'ok', 'health_status_ok');
ok t_cmp(join(',', sort keys %$data), 'status,storage', 'anonymous_health_says_status_and_storage_only');

# A logged-in browser (form login, session cookie) and a script with Basic
# credentials get the details, though health is "Require all granted" and
# httpd runs no authentication there.
my $ua = client();
login($ua, 'alice', 'alice-password');
($res, $data) = api($ua, GET => '/api/sms/health/');
ok t_cmp($res->code, 200, 'health_with_a_session_200');
ok t_cmp($data->{queue_depth}, qr/^\d+$/, 'health_with_a_session_has_a_queue_depth');
ok t_cmp($data->{provider}, 'sandbox', 'health_with_a_session_names_the_provider');
ok t_cmp(exists $data->{provider_error} ? 1 : 0, 1, 'health_with_a_session_has_the_provider_error');
my $depth = $data->{queue_depth};
my $basic = basic_client('basic');
($res, $data) = api($basic, GET => '/api/sms/health/');
ok t_cmp($res->code, 200, 'health_with_basic_200');
ok t_cmp($data->{queue_depth}, qr/^\d+$/, 'health_with_basic_has_a_queue_depth');
ok t_cmp($data->{provider}, 'sandbox', 'health_with_basic_names_the_provider');
# wrong or missing credentials: the anonymous answer, never a 401 or a
# login challenge
for my $c (['basic_wrong_password', client(base => vhost_url('basic'), basic => ['alice', 'nope'])],
           ['basic_without_credentials', client(base => vhost_url('basic'))],
           ['forged_session_cookie', client()]) {
    my ($name, $cl) = @$c;
    $cl->default_header(Cookie => 'session=forged') if $name eq 'forged_session_cookie';
    ($res, $data) = api($cl, GET => '/api/sms/health/');
    ok t_cmp($res->code . ' ' . join(',', sort keys %{$data || {}}), '200 status,storage',
             "${name}_is_anonymous");
    ok t_cmp($res->header('WWW-Authenticate') // 'none', 'none', "${name}_no_challenge");
}
# a session that has ended (logged out) is anonymous too
my $gone = client();
login($gone, 'bob', 'bob-password');
($res, $data) = api($gone, GET => '/api/sms/health/');
ok t_cmp(exists $data->{queue_depth} ? 1 : 0, 1, 'health_with_bobs_session_has_details');
$gone->cookie_jar->clear;
($res, $data) = api($gone, GET => '/api/sms/health/');
ok t_cmp(join(',', sort keys %$data), 'status,storage', 'health_without_the_cookie_is_anonymous');

# The count comes from the database: add queued rows behind the module's
# back and watch the number change.
my $now = time * 1_000_000;
sql_value('sms.db', "INSERT INTO sms_message (to_number, body, encoding,"
    . " segments, max_parts, status, created_at, updated_at) VALUES"
    . " ('61400000001', 'x', 'GSM-7', 1, 5, 'queued', $now, $now),"
    . " ('61400000002', 'y', 'GSM-7', 1, 5, 'sent', $now, $now)");
($res, $data) = api($ua, GET => '/api/sms/health');
ok t_cmp($data->{queue_depth}, $depth + 1, 'health_counts_queued_messages_from_the_database');
($res, $data) = api($anon, GET => '/api/sms/health');
ok t_cmp(exists $data->{queue_depth} ? 1 : 0, 0, 'anonymous_health_still_without_the_count');
sql_value('sms.db', "DELETE FROM sms_message WHERE to_number IN ('61400000001', '61400000002')");
($res, $data) = api($ua, GET => '/api/sms/health/');
ok t_cmp($data->{queue_depth}, $depth, 'health_sees_the_rows_gone');

# A provider error: anonymous health says "degraded" and nothing of why.
sql_value('sms.db', "DELETE FROM sms_state WHERE name = 'provider_error'; INSERT INTO sms_state (name, value, updated_at)"
    . " VALUES ('provider_error', 'secret-ish provider text', $now)");
($res, $data) = api($anon, GET => '/api/sms/health/');
ok t_cmp(($data->{status} // '') . ' ' . ($res->content =~ /secret-ish/ ? 'text' : 'no text'),
         'degraded no text', 'anonymous_degraded_without_the_reason');
($res, $data) = api($ua, GET => '/api/sms/health/');
ok t_cmp($data->{provider_error} // '', 'secret-ish provider text', 'a_user_sees_the_reason');
sql_value('sms.db', "DELETE FROM sms_state WHERE name = 'provider_error'");

$res = $anon->head(base_url() . '/api/sms/health/');
ok t_cmp($res->code, 200, 'health_answers_head');
ok t_cmp($res->content, '', 'head_has_no_body');

# Database without the schema: 503 storage_unavailable with Retry-After,
# and one clear log line however many requests come.
my $noschema = client(base => vhost_url('noschema'));
for (1 .. 3) {
    ($res, $data) = api($noschema, GET => '/api/sms/health/');
}
ok is_envelope($res, $data, 503, 'storage_unavailable');
ok t_cmp($res->header('Retry-After'), qr/^\d+$/, 'storage_unavailable_has_retry_after');
($res, $data) = api($noschema, POST => '/api/sms/preview/', {message => 'hi'});
ok t_cmp($res->code, 401, 'noschema_still_guards_routes');
my @lines = grep { /refusing to serve: the mod_sms schema is missing/ }
    error_log_lines();
ok t_cmp(scalar(@lines), 1, 'missing_schema_logged_once_per_process');
ok t_cmp($lines[0] // '', qr/sql\/migrate\.sh/, 'log_line_says_how_to_fix');

# SQLite without its per-connection mutex: mod_dbd lends each connection
# to one thread at a time (the module sets it when it loads; sms:debug)
{
    my $file = Apache::Test::vars('t_logs') . '/error_log';
    open my $fh, '<', $file or die "$file: $!";
    my @mode = grep { /SQLite in [\w-]+ mode/ } <$fh>;
    ok t_cmp($mode[-1] // '', qr/SQLite in multi-thread mode/, 'sqlite_in_multithread_mode');
}
