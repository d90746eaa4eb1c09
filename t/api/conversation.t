# The conversation's pages (API.md section 4, issue 13): the newest 50 by
# default, oldest first inside the answer; `limit` 1..200; a signed
# `before` cursor walks to the oldest message without gaps or duplicates,
# across both directions merged by time; bad limits and cursors are 400 in
# the envelope; a user who may not see the patient gets 404.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 56;

my $ua = client();
login($ua, 'bob', 'bob-password');    # (alice's audit rows are audit.t's)
my $carol = client();    # may see patient 42 only
login($carol, 'carol', 'carol-password');

# Patient 61's thread: 120 messages, m001 (oldest) .. m120, inserted
# directly in time order: 60 sent, 60 received, two to a second, so that
# equal times meet (a sent and a received message at the same time: the
# sent one first, as the thread shows them).
my $P = '61';
my $t0 = 1_790_000_000 * 1_000_000;
my (@sql, @order, @dir);
for my $j (0 .. 59) {
    my $pair = (['out', 'out'], ['out', 'in'], ['in', 'in'], ['in', 'out'])[$j % 4];
    for my $k (0, 1) {
        my $n = sprintf 'm%03d', 2 * $j + $k + 1;
        # an 'in' then 'out' pair: the sent one a microsecond later
        my $t = $t0 + $j * 1_000_000 + ($j % 4 == 3 ? $k : 0);
        push @order, $n;
        push @dir, $pair->[$k];
        push @sql, $pair->[$k] eq 'out'
            ? "INSERT INTO sms_message (to_number, patient_id, body, encoding, segments,"
              . " max_parts, status, sent_by, created_at, updated_at) VALUES"
              . " ('61412006161', '$P', '$n', 'GSM-7', 1, 5, 'delivered', 'bob', $t, $t)"
            : "INSERT INTO sms_inbound (from_number, to_number, body, received_at,"
              . " dedup_key, dedup_bucket) VALUES ('61412006161', 'WalkEasy', '$n', $t,"
              . " 'conversation.t $n', 0)";
    }
}
# (a failure to seed says why, then every check fails)
eval { sql_value('sms.db', join('; ',
    "INSERT INTO sms_patient (id, first_name, last_name) VALUES ('$P', 'Pia', 'Paging')",
    "INSERT INTO sms_patient_phone (patient_id, label, number, is_default)"
    . " VALUES ('$P', 'Mobile', '0412 006 161', 1)",
    @sql,
    "INSERT INTO sms_inbound_patient (inbound_id, patient_id)"
    . " SELECT id, '$P' FROM sms_inbound WHERE from_number = '61412006161'")); 1 }
    or diag("seeding patient $P failed: $@");

my $url = "/api/sms/patient/$P/conversation/";
my $views = sub {
    sql_value('sms.db', "SELECT count(*) FROM sms_audit WHERE patient_id = '$P'"
                      . " AND action = 'conversation.view'");
};
my $bodies = sub { join ',', map { $_->{body} } @{$_[0]{messages}} };

# ---- the default page: the newest 50, oldest first --------------------------
my ($res, $c) = api($ua, GET => $url);
ok t_cmp($res->code, 200, 'conversation_200');
ok t_cmp(scalar @{$c->{messages}}, 50, 'default_page_is_50');
ok t_cmp($bodies->($c), join(',', @order[70 .. 119]), 'default_page_is_the_newest_50_oldest_first');
ok t_cmp(join(',', map { $_->{direction} } @{$c->{messages}}), join(',', @dir[70 .. 119]),
         'both_directions_merged_by_time');
ok t_cmp($c->{has_older} ? 1 : 0, 1, 'has_older_when_there_are_more');
ok t_cmp($c->{before}, qr/\S/, 'before_cursor_given');
ok t_cmp($c->{cursor}, qr/\S/, 'since_cursor_still_given');
ok t_cmp($c->{patient}{name}, 'Pia Paging');
my $first = $c;
my $etag = $res->header('ETag');

# ---- walking back with before: every message once, in order -----------------
for my $limit (50, 7, 1) {
    my (@seen, $pages, $last);
    my $q = $limit == 50 ? '' : "?limit=$limit";
    ($res, $c) = api($ua, GET => "$url$q");
    while (1) {
        $pages++;
        unshift @seen, map { $_->{body} } @{$c->{messages}};
        last unless $c->{has_older};
        last if $pages > 200;
        ($res, $c) = api($ua, GET => "$url?limit=$limit&before=$c->{before}");
        last unless $res->code == 200;
    }
    ok t_cmp(join(',', @seen), join(',', @order), "walk_with_limit_${limit}_sees_every_message_once_in_order");
    ok t_cmp($pages, int((119 + $limit) / $limit), "walk_with_limit_${limit}_pages");
    ok t_cmp(defined $c->{before} ? 'cursor' : 'null', 'null', "last_page_of_limit_${limit}_has_no_before");
}
($res, $c) = api($ua, GET => "$url?before=$first->{before}");
ok t_cmp($bodies->($c), join(',', @order[20 .. 69]), 'second_page_is_the_next_50');
($res, $c) = api($ua, GET => "$url?before=$c->{before}");
ok t_cmp($bodies->($c), join(',', @order[0 .. 19]), 'third_page_is_the_oldest_20');
ok t_cmp($c->{has_older} ? 1 : 0, 0, 'no_older_on_the_last_page');
($res, $c) = api($ua, GET => "$url?limit=200");
ok t_cmp(scalar @{$c->{messages}}, 120, 'limit_200_is_the_whole_thread');
ok t_cmp($c->{has_older} ? 1 : 0, 0, 'whole_thread_has_no_older');
ok t_cmp($bodies->($c), join(',', @order), 'whole_thread_in_order');

# ---- new messages do not shift the pages behind a cursor ----------------------
my $now = time * 1_000_000;
sql_value('sms.db', join('; ',
    "INSERT INTO sms_message (to_number, patient_id, body, encoding, segments,"
    . " max_parts, status, sent_by, created_at, updated_at) VALUES"
    . " ('61412006161', '$P', 'new out', 'GSM-7', 1, 5, 'delivered', 'bob', $now, $now)",
    "INSERT INTO sms_inbound (from_number, to_number, body, received_at, dedup_key,"
    . " dedup_bucket) VALUES ('61412006161', 'WalkEasy', 'new in', $now, 'conversation.t new', 0)",
    "INSERT INTO sms_inbound_patient (inbound_id, patient_id) SELECT max(id), '$P'"
    . " FROM sms_inbound WHERE from_number = '61412006161'"));
($res, $c) = api($ua, GET => "$url?before=$first->{before}");
ok t_cmp($bodies->($c), join(',', @order[20 .. 69]), 'older_page_unchanged_by_new_messages');
($res, $c) = api($ua, GET => $url);
ok t_cmp(join(',', map { $_->{body} } @{$c->{messages}}[-3 .. -1]), 'm120,new out,new in',
         'new_messages_on_the_newest_page');
# since polling as before: only what is new after the first page's cursor
($res, $c) = api($ua, GET => "$url?since=$first->{cursor}");
ok t_cmp($bodies->($c), 'new out,new in', 'since_after_a_page_returns_only_the_new');
ok t_cmp(exists $c->{has_older} ? 1 : 0, 0, 'a_since_answer_is_no_page');

# ---- ETag and 304 per page ----------------------------------------------------
($res) = api($ua, GET => $url, undef, 'If-None-Match' => $etag);
ok t_cmp($res->code, 200, 'new_messages_change_the_etag');
($res, $c) = api($ua, GET => "$url?before=$first->{before}");
my $page_etag = $res->header('ETag');
ok t_cmp($page_etag, qr/^"/, 'page_has_an_etag');
my $n = $views->();
($res) = api($ua, GET => "$url?before=$first->{before}", undef, 'If-None-Match' => $page_etag);
ok t_cmp($res->code, 304, 'unchanged_page_is_304');
($res) = api($ua, GET => "$url?before=$first->{before}&limit=10", undef,
             'If-None-Match' => $page_etag);
ok t_cmp($res->code, 200, 'another_limit_is_another_etag');
ok t_cmp($views->(), $n + 1, 'each_page_read_is_audited_and_a_304_is_no_read');

# ---- bad limits: 400 invalid_parameter naming limit ---------------------------
for my $bad ('0', '201', '-1', 'abc', '1.5', '', '1e2', '99999999999999999999') {
    ($res, $c) = api($ua, GET => "$url?limit=$bad");
    ok t_cmp(is_envelope($res, $c, 400, 'invalid_parameter', 'limit'), 1, "limit_${bad}_is_400");
}

# ---- bad cursors: 400 invalid_parameter naming before -------------------------
(my $tampered = $first->{before}) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
# another patient's (Tom Lee, 20) before cursor: two replies of his
sql_value('sms.db', join('; ', map {
    "INSERT INTO sms_inbound (from_number, to_number, body, received_at, dedup_key,"
    . " dedup_bucket) VALUES ('61412004445', 'WalkEasy', 'Tom $_', $now, 'conversation.t Tom $_', 0)"
} 1, 2) . "; INSERT INTO sms_inbound_patient (inbound_id, patient_id)"
        . " SELECT id, '20' FROM sms_inbound WHERE from_number = '61412004445'");
(undef, my $other) = api($ua, GET => '/api/sms/patient/20/conversation/?limit=1');
my %bad = (forged => 'forged.cursor', tampered => $tampered, since_cursor => $first->{cursor},
           another_patients => $other->{before} // 'none', empty => '');
for my $name (sort keys %bad) {
    ($res, $c) = api($ua, GET => "$url?before=$bad{$name}");
    ok t_cmp(is_envelope($res, $c, 400, 'invalid_parameter', 'before'), 1, "before_${name}_is_400");
}
($res, $c) = api($ua, GET => "$url?since=$first->{before}");
ok t_cmp(is_envelope($res, $c, 400, 'invalid_parameter', 'since'), 1, 'a_before_cursor_is_no_since_cursor');
($res, $c) = api($ua, GET => "$url?since=$first->{cursor}&before=$first->{before}");
ok t_cmp(is_envelope($res, $c, 400, 'invalid_parameter', 'before'), 1, 'since_and_before_together_is_400');
($res, $c) = api($ua, GET => "$url?since=$first->{cursor}&limit=10");
ok t_cmp(is_envelope($res, $c, 400, 'invalid_parameter', 'limit'), 1, 'since_and_limit_together_is_400');
($res, $c) = api($ua, GET => "$url?limit=10&limit=20");
ok t_cmp(is_envelope($res, $c, 400, 'invalid_parameter'), 1, 'limit_twice_is_400');

# ---- access: 404 for a user who may not see the patient -----------------------
$n = $views->();
($res, $c) = api($carol, GET => $url);
ok t_cmp(is_envelope($res, $c, 404, 'unknown_patient'), 1, 'no_access_is_404');
($res, $c) = api($carol, GET => "$url?before=$first->{before}");
ok t_cmp(is_envelope($res, $c, 404, 'unknown_patient'), 1, 'no_access_with_a_cursor_is_404');
ok t_cmp($res->header('ETag') // '', '', 'no_etag_for_a_user_without_access');
ok t_cmp($views->(), $n, 'refused_reads_are_not_views');
($res, $c) = api($ua, GET => '/api/sms/patient/nobody/conversation/?limit=5');
ok t_cmp(is_envelope($res, $c, 404, 'unknown_patient'), 1, 'unknown_patient_is_404');

# ---- the page statements use the indexes ---------------------------------------
# SQLite's planner has no statistics here: the page is a walk of
# sms_message_patient, no sort. PostgreSQL picks by statistics: in this
# small database, once autovacuum has analysed it, walking the primary key
# backwards and filtering is as cheap (her thread is a large share of the
# table), so a check with sequential scans off depended on when autovacuum
# ran. It is checked on a clinic's proportions instead, with its own
# choices: 20,000 messages of other patients, analysed, inside a
# transaction that is rolled back (nobody ever sees them); the page must be
# found through an index on the patient (a small sort of her rows is its
# choice to make), never by reading the table.
my $q = "SELECT id FROM sms_message WHERE patient_id = '$P' AND id < 9223372036854775807"
      . " ORDER BY id DESC LIMIT 51";
my $plan;
if (driver() eq 'pgsql') {
    my $filler = "INSERT INTO sms_message (to_number, patient_id, body, encoding, segments,"
        . " max_parts, status, created_at, updated_at) SELECT '61412000000', 'filler-' || (g % 2000),"
        . " 'x', 'GSM-7', 1, 1, 'cancelled', 0, 0 FROM generate_series(1, 20000) g";
    open my $fh, '-|', 'psql', '-qtAX', '-v', 'ON_ERROR_STOP=1', '-d', $ENV{SMS_DB_SMS},
        '-c', 'BEGIN', '-c', $filler, '-c', 'ANALYZE sms_message',
        '-c', "EXPLAIN $q", '-c', 'ROLLBACK' or die "psql: $!";
    local $/;
    $plan = <$fh> // '';
    close $fh or die 'psql failed on the plan of the page';
}
else {
    $plan = sql_value('sms.db', "EXPLAIN QUERY PLAN $q");
}
if (driver() eq 'pgsql') {
    ok t_cmp($plan, qr/Index Cond: \(+patient_id = /, 'page_found_through_a_patient_index');
    ok t_cmp($plan, qr/^(?!.*(?:Seq Scan|Filter: \(+patient_id))/s, 'page_never_reads_the_table');
}
else {
    ok t_cmp($plan, qr/sms_message_patient\b/, 'page_uses_the_message_index');
    ok t_cmp($plan, qr/^(?!.*(?:Sort|TEMP B-TREE))/s, 'page_needs_no_sort');
}
