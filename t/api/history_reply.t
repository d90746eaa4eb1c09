# The history shows each message's latest reply (API.md section 7, issue
# 17): GET /messages/ and /messages/{id}/ carry "reply" ({id, intent,
# received_at}, or null), the reply linked to the message by the inbound
# webhook's ref; a later reply replaces it. The reply is shown exactly
# where its message is: dora may see Ina Inbox (51) only, so Ole's (52)
# message and its reply never reach her. The audit is what it was: one
# messages.list row for a patient's history, one message.view per view.
# The replies are found by the message through sms_inbound_message
# (schema 11), never by reading sms_inbound.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;
use URI::Escape qw(uri_escape_utf8);

plan tests => 32;

my $S = 'suite-hook-secret';
my $hook = client();
my $alice = client();
login($alice, 'alice', 'alice-password');
my $dora = client();
login($dora, 'dora', 'dora-password');

my $reply = sub {
    my ($from, $text, $ref) = @_;
    my ($res, $d) = api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=$from&message="
                                      . uri_escape_utf8($text) . "&ref=$ref");
    die 'inbound webhook: ' . $res->status_line unless $res->code == 200;
    return $d;
};
my $page = sub {
    my ($ua, $query) = @_;
    my ($res, $d) = api($ua, GET => "/api/sms/messages/?$query");
    return ($res, {map { $_->{id} => $_ } @{$d->{messages} || []}});
};
my $audit = sub {
    my ($where) = @_;
    sql_value('sms.db', "SELECT count(*) FROM sms_audit WHERE $where");
};

# ---- a reminder to Ina and one to Ole; a second message to Ina that no
# one answers ------------------------------------------------------------
my ($r, $d) = api($alice, POST => '/api/sms/patient/51/send/', {message => 'Hi Ina, history reminder. Reply Y or N'});
ok t_cmp($r->code, 201, 'a_reminder_to_ina');
my $m51 = $d->{id};
($r, $d) = api($alice, POST => '/api/sms/patient/51/send/', {message => 'Hi Ina, a note that nobody answers'});
my $m51b = $d->{id};
($r, $d) = api($alice, POST => '/api/sms/patient/52/send/', {message => 'Hi Ole, history reminder. Reply Y or N'});
my $m52 = $d->{id};

my $Y = $reply->('0412005151', 'Y', $m51);
ok t_cmp($Y->{intent}, 'confirm', 'the_Y_reply_confirms');

# ---- the list and the view show it ----------------------------------------
my $lists0 = $audit->("action = 'messages.list' AND patient_id = '51'");
($r, my $by) = $page->($alice, 'patient_id=51&limit=500');
ok t_cmp($r->code, 200, 'history_200');
my $h = $by->{$m51};
ok t_cmp($h && ref $h->{reply}, 'HASH', 'the_reminder_has_a_reply');
ok t_cmp($h->{reply}{intent}, 'confirm', 'history_shows_intent_confirm');
ok t_cmp($h->{reply}{id}, $Y->{id}, 'the_reply_is_the_inbound_message');
ok t_cmp($h->{reply}{received_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/,
         'received_at_is_an_iso_time');
ok t_cmp($h->{body}, 'Hi Ina, history reminder. Reply Y or N', 'the_message_fields_are_unchanged');
ok t_cmp($h->{status}, qr/^(sent|delivered)$/);
ok t_cmp(exists $by->{$m51b}{reply} && !defined $by->{$m51b}{reply} ? 1 : 0, 1,
         'a_message_without_reply_has_null');
ok t_cmp($audit->("action = 'messages.list' AND patient_id = '51'"), $lists0 + 1,
         'one_list_audit_row_as_before');
ok t_cmp($audit->("action LIKE '%reply%' OR action LIKE '%inbound%'"), 0,
         'no_new_audit_action');

($r, $d) = api($alice, GET => "/api/sms/messages/$m51/");
ok t_cmp($d->{reply}{intent}, 'confirm', 'the_view_shows_intent_confirm');
ok t_cmp($d->{reply}{id}, $Y->{id});
ok t_cmp(ref $d->{events}, 'ARRAY', 'the_view_keeps_its_events');
($r, $d) = api($alice, GET => "/api/sms/messages/$m51b/");
ok t_cmp(exists $d->{reply} && !defined $d->{reply} ? 1 : 0, 1,
         'the_view_of_a_message_without_reply_has_null');

# ---- a later N replaces it as the latest ----------------------------------
my $N = $reply->('0412005151', 'N', $m51);
ok t_cmp($N->{intent}, 'cancel', 'the_N_reply_cancels');
($r, $by) = $page->($alice, 'patient_id=51&limit=500');
ok t_cmp($by->{$m51}{reply}{intent}, 'cancel', 'history_shows_the_latest_reply');
ok t_cmp($by->{$m51}{reply}{id}, $N->{id});
($r, $d) = api($alice, GET => "/api/sms/messages/$m51/");
ok t_cmp($d->{reply}{intent}, 'cancel', 'the_view_shows_the_latest_reply');
# the unfiltered history (another statement) says the same
($r, $by) = $page->($alice, 'limit=500');
ok t_cmp($by->{$m51}{reply}{id}, $N->{id}, 'the_unfiltered_history_too');

# ---- need to know: Ole's reply never reaches dora --------------------------
my $O = $reply->('0412005252', 'Yes', $m52);
($r, $by) = $page->($alice, 'phone=0412005252&limit=500');
ok t_cmp($by->{$m52}{reply}{id}, $O->{id}, 'alice_sees_oles_reply');
($r, $d) = api($dora, GET => '/api/sms/messages/?limit=500');
ok t_cmp($r->code, 200);
my @replies = map { $_->{reply} ? $_->{reply}{id} : () } @{$d->{messages}};
ok t_cmp(scalar(grep { $_->{id} == $m52 } @{$d->{messages}}), 0, 'dora_never_sees_oles_message');
ok t_cmp(scalar(grep { $_ == $O->{id} } @replies), 0, 'nor_its_reply');
ok t_cmp(scalar(grep { $_ == $N->{id} } @replies), 1, 'dora_sees_inas_reply');
($r, $d) = api($dora, GET => '/api/sms/messages/?phone=0412005252&limit=500');
ok t_cmp(scalar @{$d->{messages}}, 0, 'dora_filtering_by_oles_number_sees_nothing');
($r, $d) = api($dora, GET => "/api/sms/messages/$m52/");
ok t_cmp(is_envelope($r, $d, 404, 'unknown_patient'), 1, 'dora_cannot_view_oles_message');
ok t_cmp($r->content, qr/^(?!.*intent)/s, 'the_refusal_says_nothing_of_the_reply');
($r, $d) = api($dora, GET => '/api/sms/messages/?patient_id=52');
ok t_cmp(is_envelope($r, $d, 404, 'unknown_patient'), 1, 'dora_cannot_list_oles_history');

# ---- the plan: each message's latest reply through sms_inbound_message ----
# checked as conversation.t checks its page: on PostgreSQL with a
# clinic's proportions (20,000 other messages with a reply each,
# analysed, inside a transaction that is rolled back) and the planner's
# own choices; on SQLite as it plans.
my $q = "SELECT m.*, r.intent, r.received_at FROM (SELECT id, (SELECT max(x.id)"
      . " FROM sms_inbound x WHERE x.message_id = sms_message.id) AS reply_id"
      . " FROM sms_message WHERE id < 9223372036854775807 ORDER BY id DESC LIMIT 50) m"
      . " LEFT JOIN sms_inbound r ON r.id = m.reply_id ORDER BY m.id DESC";
my $plan;
if (driver() eq 'pgsql') {
    my $msgs = "INSERT INTO sms_message (to_number, patient_id, body, encoding, segments,"
        . " max_parts, status, created_at, updated_at) SELECT '61412000000', 'filler-' || (g % 2000),"
        . " 'x', 'GSM-7', 1, 1, 'cancelled', 0, 0 FROM generate_series(1, 20000) g";
    my $ins = "INSERT INTO sms_inbound (from_number, body, message_id, received_at,"
        . " dedup_key, dedup_bucket) SELECT '61412000000', 'Y', id, 0, 'filler-' || id, 0"
        . " FROM sms_message WHERE patient_id LIKE 'filler-%'";
    open my $fh, '-|', 'psql', '-qtAX', '-v', 'ON_ERROR_STOP=1', '-d', $ENV{SMS_DB_SMS},
        '-c', 'BEGIN', '-c', $msgs, '-c', $ins, '-c', 'ANALYZE sms_message',
        '-c', 'ANALYZE sms_inbound', '-c', "EXPLAIN $q", '-c', 'ROLLBACK' or die "psql: $!";
    local $/;
    $plan = <$fh> // '';
    close $fh or die 'psql failed on the plan of the page';
    ok t_cmp($plan, qr/Index Only Scan(?: Backward)? using sms_inbound_message on sms_inbound x/,
             'the_latest_reply_is_found_through_sms_inbound_message');
    ok t_cmp($plan, qr/^(?!.*Seq Scan on sms_inbound)/s, 'the_replies_are_never_read_whole');
}
else {
    $plan = sql_value('sms.db', "EXPLAIN QUERY PLAN $q");
    ok t_cmp($plan, qr/SEARCH x USING COVERING INDEX sms_inbound_message \(message_id=\?\)/,
             'the_latest_reply_is_found_through_sms_inbound_message');
    ok t_cmp($plan, qr/^(?!.*SCAN (?:x|r|sms_inbound)\b)/s, 'the_replies_are_never_read_whole');
}
