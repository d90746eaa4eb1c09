# GET /api/sms/health/: no authentication, a real mod_dbd round trip, and
# a clear 503 when the schema is missing.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 14;

my $anon = client();
my ($res, $data) = api($anon, GET => '/api/sms/health/');
ok t_cmp($res->code, 200, 'health_answers_without_login');
ok t_cmp($res->header('Content-Type'), qr{^application/json}, 'health_is_json');
ok t_cmp($data && $data->{storage}, 'ok', 'health_storage_ok');
ok t_cmp($data->{queue_depth}, qr/^\d+$/, 'health_has_a_queue_depth');
my $depth = $data->{queue_depth};
ok t_cmp($data->{provider}, 'sandbox', 'health_names_the_provider');

# The count comes from the database: add queued rows behind the module's
# back and watch the number change.
my $now = time * 1_000_000;
sql_value('sms.db', "INSERT INTO sms_message (to_number, body, encoding,"
    . " segments, max_parts, status, created_at, updated_at) VALUES"
    . " ('61400000001', 'x', 'GSM-7', 1, 5, 'queued', $now, $now),"
    . " ('61400000002', 'y', 'GSM-7', 1, 5, 'sent', $now, $now)");
($res, $data) = api($anon, GET => '/api/sms/health');
ok t_cmp($data->{queue_depth}, $depth + 1, 'health_counts_queued_messages_from_the_database');
sql_value('sms.db', "DELETE FROM sms_message WHERE to_number IN ('61400000001', '61400000002')");
($res, $data) = api($anon, GET => '/api/sms/health/');
ok t_cmp($data->{queue_depth}, $depth, 'health_sees_the_rows_gone');

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
