# The inbox (API.md section 7) through httpd and the real login: replies
# newest first by state (unread, unclear, all) with their patients and the
# message replied to, signed cursors, read/unread marks (who, when, one
# audit row per change, idempotent), the badge counts (ETag/304), and
# need-to-know: dora may see Ina Inbox (51) only, so a reply of Ole (52) is
# absent from her list and counts and 404 to her marks; a reply from Ina's
# family phone (shared with Uma, 53) shows her Ina alone. Replies from
# unknown numbers are shown to every user, as the history shows messages
# filed with no patient.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;
use URI::Escape qw(uri_escape_utf8);

plan tests => 96;

my $S = 'suite-hook-secret';
my $hook = client();
my $alice = client();
login($alice, 'alice', 'alice-password');
my $dora = client();
login($dora, 'dora', 'dora-password');

my $reply = sub {
    my ($from, $text, $ref) = @_;
    my ($res, $d) = api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=$from&message="
                                      . uri_escape_utf8($text) . ($ref ? "&ref=$ref" : ''));
    die 'inbound webhook: ' . $res->status_line unless $res->code == 200;
    return $d;
};
my $counts = sub {
    my ($ua) = @_;
    my ($res, $d) = api($ua, GET => '/api/sms/inbox/counts');
    return $d;
};
my $list = sub {
    my ($ua, $query) = @_;
    my ($res, $d) = api($ua, GET => "/api/sms/inbox/?$query");
    return ($res, $d);
};
my $find = sub {
    my ($d, $id) = @_;
    return (grep { $_->{id} == $id } @{$d->{replies} || []})[0];
};
my $audit = sub {
    my ($where) = @_;
    sql_value('sms.db', "SELECT count(*) FROM sms_audit WHERE $where");
};

# ---- replies: Ina's family phone (Ina and Uma) confirms, Ole's is
# unclear, an unknown number's has no patient -----------------------------
my ($r, $d) = api($alice, POST => '/api/sms/patient/51/send/', {message => 'Hi Ina, see you Monday 9:00. Reply Y or N'});
ok t_cmp($r->code, 201, 'a_reminder_to_ina');
my $m51 = $d->{id};
($r, $d) = api($alice, POST => '/api/sms/patient/52/send/', {message => 'Hi Ole, see you Tuesday 10:00. Reply Y or N'});
my $m52 = $d->{id};

my $a0 = $counts->($alice);
my $d0 = $counts->($dora);
my $A = $reply->('0412005151', 'Yes', $m51);
ok t_cmp(join(',', sort @{$A->{patients}}), '51,53', 'the_family_phone_reply_is_linked_to_ina_and_uma');
ok t_cmp($A->{intent}, 'confirm');
my $B = $reply->('0412005252', 'Can I come at 3 instead?', $m52);
ok t_cmp($B->{intent}, 'unclear', 'oles_reply_is_unclear');
my $C = $reply->('0412005999', 'Who is this?');
ok t_cmp(scalar @{$C->{patients}}, 0, 'an_unknown_number_is_linked_to_nobody');
my ($A_id, $B_id, $C_id) = map { $_->{id} } $A, $B, $C;

# ---- alice sees everything ------------------------------------------------
my $a1 = $counts->($alice);
ok t_cmp($a1->{unread} - $a0->{unread}, 3, 'three_more_unread');
ok t_cmp($a1->{unclear} - $a0->{unclear}, 1, 'one_more_unclear');
($r, $d) = $list->($alice, 'state=unread&limit=500');
ok t_cmp($r->code, 200);
my @ids = map { $_->{id} } @{$d->{replies}};
ok t_cmp(join(',', @ids[0 .. 2]), "$C_id,$B_id,$A_id", 'newest_first');
ok t_cmp(join(',', @ids), join(',', sort { $b <=> $a } @ids), 'ids_descend');
my $ra = $find->($d, $A_id);
ok t_cmp(join('|', map { "$_->{id}:$_->{name}" } @{$ra->{patients}}), '51:Ina Inbox|53:Uma Inbox',
         'patients_with_their_names');
ok t_cmp($ra->{from}, '61412005151');
ok t_cmp($ra->{body}, 'Yes');
ok t_cmp($ra->{intent}, 'confirm');
ok t_cmp($ra->{reply_to}{id}, $m51, 'the_message_replied_to');
ok t_cmp($ra->{reply_to}{body}, qr/^Hi Ina, see you Monday/);
ok t_cmp($ra->{reply_to}{status}, qr/^(sent|delivered)$/);
ok !defined $ra->{read_at} && !defined $ra->{read_by} && exists $ra->{read_at};
ok t_cmp($ra->{received_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
my $rc = $find->($d, $C_id);
ok t_cmp(scalar @{$rc->{patients}}, 0, 'the_unknown_number_is_listed_without_patient');
ok !defined $rc->{reply_to} && !defined $rc->{intent};
($r, $d) = $list->($alice, 'state=unclear&limit=500');
ok $find->($d, $B_id) && !$find->($d, $A_id) && !$find->($d, $C_id);   # unclear_lists_the_unclear_one_only

# ---- dora may see Ina only ---------------------------------------------------
my $d1 = $counts->($dora);
ok t_cmp($d1->{unread} - $d0->{unread}, 2, 'dora_counts_inas_and_the_strangers');
ok t_cmp($d1->{unclear} - $d0->{unclear}, 0, 'dora_does_not_count_oles_unclear_reply');
($r, $d) = $list->($dora, 'state=all&limit=500');
ok !$find->($d, $B_id);   # oles_reply_is_absent_for_dora
$ra = $find->($d, $A_id);
ok t_cmp(join(',', map { $_->{id} } @{$ra->{patients} || []}), '51', 'dora_sees_ina_not_uma');
ok $find->($d, $C_id);   # the_strangers_reply_is_shown_to_dora
my $state_b = sql_value('sms.db', "SELECT coalesce(read_by, '-') FROM sms_inbound WHERE id = $B_id");
($r, $d) = api($dora, POST => "/api/sms/inbox/$B_id/read");
ok is_envelope($r, $d, 404, 'not_found');   # dora_cannot_mark_oles_reply
ok t_cmp(sql_value('sms.db', "SELECT coalesce(read_by, '-') FROM sms_inbound WHERE id = $B_id"), $state_b);
($r, $d) = $list->($dora, 'state=unclear&limit=500');
ok !$find->($d, $B_id);
# listing is a read of the patients shown: one row per patient, none for
# the patient dora may not see
my ($l51, $l53) = map { $audit->("action = 'inbox.list' AND username = 'dora' AND patient_id = '$_'") } 51, 53;
$list->($dora, 'state=all&limit=500');
ok t_cmp($audit->("action = 'inbox.list' AND username = 'dora' AND patient_id = '51'") - $l51, 1,
         'listing_leaves_one_row_per_patient_shown');
ok t_cmp($audit->("action = 'inbox.list' AND username = 'dora' AND patient_id = '53'") - $l53, 0,
         'no_row_for_a_patient_not_shown');
ok t_cmp($audit->("action = 'inbox.list' AND username = 'dora' AND patient_id IS NULL"), 0,
         'no_row_without_a_patient');
my $all_rows = $audit->('1 = 1');
$counts->($dora);
ok t_cmp($audit->('1 = 1'), $all_rows, 'counts_leave_no_audit_row');

# ---- marks -----------------------------------------------------------------------
my $rows = $audit->("object = '$A_id'");
($r, $d) = api($alice, POST => "/api/sms/inbox/$A_id/read");
ok t_cmp($r->code, 200, 'alice_marks_inas_reply_read');
ok t_cmp($d->{read_by}, 'alice');
ok t_cmp($d->{read_at}, qr/Z$/);
ok t_cmp($d->{id}, $A_id);
my $read_at = $d->{read_at};
ok t_cmp($audit->("action = 'inbox.read' AND object = '$A_id' AND patient_id = '51' AND username = 'alice'"), 1,
         'one_audit_row_for_the_mark');
($r, $d) = api($alice, POST => "/api/sms/inbox/$A_id/read/");
ok t_cmp($r->code, 200, 'marking_again_is_fine');
ok t_cmp($d->{read_at}, $read_at, 'the_first_read_stays');
ok t_cmp($audit->("object = '$A_id'") - $rows, 1, 'and_leaves_no_second_row');
ok t_cmp($counts->($alice)->{unread}, $a1->{unread} - 1, 'one_fewer_unread');
($r, $d) = $list->($alice, 'state=unread&limit=500');
ok !$find->($d, $A_id);   # a_read_reply_leaves_the_unread_list
($r, $d) = $list->($dora, 'state=all&limit=500');
ok t_cmp($find->($d, $A_id)->{read_by}, 'alice', 'dora_sees_who_read_it');
# the conversation shows the mark and marks nothing itself
($r, $d) = api($alice, GET => '/api/sms/patient/52/conversation/');
my ($in) = grep { $_->{direction} eq 'in' && $_->{id} == $B_id } @{$d->{messages}};
ok $in && exists $in->{read_at} && !defined $in->{read_at};   # the_conversation_carries_the_read_mark
ok t_cmp(sql_value('sms.db', "SELECT count(*) FROM sms_inbound WHERE id = $B_id AND read_at IS NULL"), 1,
         'the_conversation_marks_nothing_read');
# dora marks and unmarks Ina's reply
($r, $d) = api($dora, POST => "/api/sms/inbox/$A_id/unread");
ok t_cmp($r->code, 200, 'dora_marks_it_unread');
ok !defined $d->{read_at} && !defined $d->{read_by};
ok t_cmp($audit->("action = 'inbox.unread' AND object = '$A_id' AND username = 'dora' AND patient_id = '51'"), 1);
($r, $d) = api($dora, POST => "/api/sms/inbox/$A_id/unread");
ok t_cmp($r->code, 200);
ok t_cmp($audit->("object = '$A_id'") - $rows, 2, 'unread_again_leaves_no_row');
# an unclear reply read is no longer unclear: the badge is what is left
my $a2 = $counts->($alice);
api($alice, POST => "/api/sms/inbox/$B_id/read");
my $a3 = $counts->($alice);
ok t_cmp($a3->{unclear}, $a2->{unclear} - 1, 'a_read_unclear_reply_leaves_the_unclear_count');
ok t_cmp($a3->{unread}, $a2->{unread} - 1);
($r, $d) = $list->($alice, 'state=unclear&limit=500');
ok !$find->($d, $B_id);
($r, $d) = $list->($alice, 'state=all&limit=500');
ok t_cmp($find->($d, $B_id)->{intent}, 'unclear', 'all_still_shows_it');
# the stranger's reply: marked with no patient on the audit row
api($alice, POST => "/api/sms/inbox/$C_id/read");
ok t_cmp($audit->("action = 'inbox.read' AND object = '$C_id' AND patient_id IS NULL"), 1);

# ---- counts: ETag and 304 ----------------------------------------------------------
($r, $d) = api($alice, GET => '/api/sms/inbox/counts');
my $etag = $r->header('ETag');
ok t_cmp($etag, qr/^"\d+-\d+"$/, 'counts_have_an_etag');
ok t_cmp($r->header('Cache-Control'), qr/private/);
($r) = api($alice, GET => '/api/sms/inbox/counts', undef, 'If-None-Match' => $etag);
ok t_cmp($r->code, 304, 'unchanged_counts_are_304');
$reply->('0412005252', 'Or 4?', $m52);
($r, $d) = api($alice, GET => '/api/sms/inbox/counts', undef, 'If-None-Match' => $etag);
ok t_cmp($r->code, 200, 'a_new_reply_changes_the_counts');
ok t_cmp($r->header('ETag') ne $etag, 1);

# ---- paging: signed cursors of one state -------------------------------------------
($r, $d) = $list->($alice, 'state=all&limit=1');
ok t_cmp(scalar @{$d->{replies}}, 1, 'a_page_of_one');
my $first = $d->{replies}[0]{id};
my $next = $d->{next};
ok defined $next;   # with_a_next_cursor
($r, $d) = $list->($alice, "state=all&limit=1&cursor=$next");
ok t_cmp(scalar @{$d->{replies}}, 1);
ok $d->{replies}[0]{id} < $first;   # the_next_page_is_older
($r, $d) = $list->($alice, "state=unread&limit=1&cursor=$next");
ok is_envelope($r, $d, 400, 'invalid_parameter', 'cursor');   # a_cursor_pages_its_own_state_only
(my $tampered = $next) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
($r, $d) = $list->($alice, "state=all&cursor=$tampered");
ok is_envelope($r, $d, 400, 'invalid_parameter', 'cursor');   # a_tampered_cursor_is_refused
($r, $d) = $list->($alice, 'state=all&cursor=12345');
ok is_envelope($r, $d, 400, 'invalid_parameter', 'cursor');
# dora's pages skip what she may not see and still reach the end
my ($seen, $cur, $pages) = (0, '', 0);
while (1) {
    ($r, $d) = $list->($dora, 'state=all&limit=2' . ($cur ? "&cursor=$cur" : ''));
    last unless $r->code == 200;
    $seen += grep { $_->{id} == $B_id } @{$d->{replies}};
    last unless $d->{next} && ++$pages < 200;
    $cur = $d->{next};
}
ok t_cmp($r->code, 200, 'dora_pages_to_the_end');
ok t_cmp($seen, 0, 'without_oles_reply');

# ---- bad requests: the envelope, nothing changed -----------------------------
for my $q ('state=read', 'state=', 'limit=0', 'limit=501', 'limit=ten', 'colour=red') {
    ($r, $d) = $list->($alice, $q);
    my ($field) = $q =~ /^(state|limit)/;
    ok is_envelope($r, $d, 400, 'invalid_parameter', $field);   # GET /inbox/?$q is 400
}
my $before = sql_value('sms.db', "SELECT count(*) || ':' || count(read_at) FROM sms_inbound");
my $audit_before = $audit->('1 = 1');
($r, $d) = api($alice, POST => '/api/sms/inbox/abc/read');
ok is_envelope($r, $d, 404, 'not_found');   # a_non_numeric_id_is_404
($r, $d) = api($alice, POST => '/api/sms/inbox/0/unread');
ok is_envelope($r, $d, 404, 'not_found');
($r, $d) = api($alice, POST => '/api/sms/inbox/99999999/read');
ok is_envelope($r, $d, 404, 'not_found');   # an_unknown_id_is_404
($r, $d) = api($alice, GET => "/api/sms/inbox/$B_id/read");
ok is_envelope($r, $d, 405, 'method_not_allowed');   # GET_on_a_POST_route_is_405
ok t_cmp($r->header('Allow'), qr/POST/);
($r, $d) = api($alice, POST => '/api/sms/inbox/counts');
ok is_envelope($r, $d, 405, 'method_not_allowed');
($r, $d) = api($alice, POST => "/api/sms/inbox/$B_id/unread", undef, 'X-CSRFToken' => 'forged');
ok is_envelope($r, $d, 403, 'csrf_failed');   # a_forged_csrf_token_is_403
my $no_csrf = client();
login($no_csrf, 'alice', 'alice-password');
$no_csrf->default_headers->remove_header('X-CSRFToken');
($r, $d) = api($no_csrf, POST => "/api/sms/inbox/$B_id/unread");
ok is_envelope($r, $d, 403, 'csrf_failed', 'X-CSRFToken');   # a_missing_csrf_token_is_403
my $anon = client();
($r, $d) = api($anon, GET => '/api/sms/inbox/');
ok is_envelope($r, $d, 401, 'unauthenticated');   # no_user_is_401
($r, $d) = api($anon, GET => '/api/sms/inbox/counts');
ok is_envelope($r, $d, 401, 'unauthenticated');
($r, $d) = api($anon, POST => "/api/sms/inbox/$B_id/unread");
ok is_envelope($r, $d, 401, 'unauthenticated');
ok t_cmp(sql_value('sms.db', "SELECT count(*) || ':' || count(read_at) FROM sms_inbound"), $before,
         'the_refused_requests_changed_nothing');
ok t_cmp($audit->('1 = 1'), $audit_before, 'and_left_no_audit_row');

# ---- a reply whose patient links are gone (the number has left the
# patient) is shown as the message it answers: Ole's, not to dora ---------
my $dora_before = $counts->($dora);
sql_value('sms.db', "DELETE FROM sms_inbound_patient WHERE inbound_id = $B_id");
($r, $d) = $list->($dora, 'state=all&limit=500');
ok !$find->($d, $B_id);   # an_unlinked_reply_to_oles_message_is_absent_for_dora
ok t_cmp($counts->($dora)->{unread}, $dora_before->{unread}, 'nor_counted_for_dora');
($r, $d) = $list->($alice, 'state=all&limit=500');
ok $find->($d, $B_id);    # alice_who_may_see_ole_still_sees_it

# ---- a keyword reply is listed and read with its keyword (and its other
# columns in place) -------------------------------------------------------
my $K = $reply->('0412005998', 'STOP');
($r, $d) = $list->($alice, 'state=all&limit=500');
my $rk = $find->($d, $K->{id});
ok t_cmp($rk->{keyword}, 'STOP', 'a_keyword_reply_lists_its_keyword');
ok t_cmp("$rk->{from}|$rk->{body}", '61412005998|STOP');
($r, $d) = api($alice, POST => "/api/sms/inbox/$K->{id}/read");
ok t_cmp(($d->{reply} || $d)->{keyword}, 'STOP', 'and_marked_read_it_keeps_it');
