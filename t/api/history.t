# GET /messages/ (every filter, cursor paging), /messages/{id}/,
# /batches/{id}/, /balance/ - and their failures.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 41;

my $ua = client();
login($ua, 'alice', 'alice-password');
my $bob = client();
login($bob, 'bob', 'bob-password');

# a known set: 7 messages to one number, 3 with patient 77, one batch of 4
my @ids;
for my $i (1 .. 7) {
    my (undef, $m) = api($i % 2 ? $ua : $bob, POST => '/api/sms/send/', {
        to => '0412 777 000', message => "history $i",
        ($i <= 3 ? (patient_id => '77') : ())});
    push @ids, $m->{id};
}
my (undef, $batch) = api($ua, POST => '/api/sms/send-bulk/', {
    recipients => ['0412777001', '0412777002', {to => '0412777003'}, '0412777004'],
    message => 'history batch'});
# the background sender (sandbox) takes the batch within a second or two
wait_for(sub {
    my (undef, $b) = api($ua, GET => "/api/sms/batches/$batch->{batch_id}/");
    return $b && $b->{counts}{delivered} == 4;
}, 15);

my ($res, $list) = api($ua, GET => '/api/sms/messages/?phone=0412%20777%20000');
ok t_cmp($res->code, 200, 'messages_list_200');
ok t_cmp(scalar(@{$list->{messages}}), 7, 'filter_by_phone_normalises');
ok t_cmp($list->{messages}[0]{id}, $ids[-1], 'newest_first');
ok !defined $list->{next};

($res, $list) = api($ua, GET => '/api/sms/messages/?patient_id=77');
ok t_cmp(scalar(@{$list->{messages}}), 3, 'filter_by_patient');
($res, $list) = api($ua, GET => "/api/sms/messages/?batch_id=$batch->{batch_id}");
ok t_cmp(scalar(@{$list->{messages}}), 4, 'filter_by_batch');
($res, $list) = api($ua, GET => "/api/sms/messages/?batch_id=$batch->{batch_id}&status=delivered");
ok t_cmp(scalar(@{$list->{messages}}), 4, 'filter_by_status');
($res, $list) = api($ua, GET => "/api/sms/messages/?batch_id=$batch->{batch_id}&status=failed");
ok t_cmp(scalar(@{$list->{messages}}), 0, 'filter_by_status_none');
($res, $list) = api($ua, GET => '/api/sms/messages/?phone=0412777000&since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z');
ok t_cmp(scalar(@{$list->{messages}}), 7, 'since_until_window');
($res, $list) = api($ua, GET => '/api/sms/messages/?phone=0412777000&since=2999-01-01T00:00:00Z');
ok t_cmp(scalar(@{$list->{messages}}), 0, 'since_in_the_future_is_empty');

# paging: 3 + 3 + 1 with the opaque cursor, no overlap, no gap
my (@seen, $cursor, $pages);
do {
    my $q = '/api/sms/messages/?phone=0412777000&limit=3' . ($cursor ? "&cursor=$cursor" : '');
    ($res, $list) = api($ua, GET => $q);
    push @seen, map { $_->{id} } @{$list->{messages}};
    $cursor = $list->{next};
    $pages++;
} while ($cursor && $pages < 10);
ok t_cmp(join(',', @seen), join(',', reverse @ids), 'cursor_pages_cover_everything_once');
ok t_cmp($pages, 3, 'three_pages');

# a forged or damaged cursor is refused
my ($first) = api($ua, GET => '/api/sms/messages/?phone=0412777000&limit=3');
my $good = json_body($first)->{next};
(my $forged = $good) =~ s/^[^.]+/bWVzc2FnZXM6MQ/;     # "messages:1", old signature
for my $bad ($forged, 'abc', "$good.x", '') {
    ($res, $list) = api($ua, GET => "/api/sms/messages/?cursor=$bad");
    ok is_envelope($res, $list, 400, 'invalid_parameter', 'cursor');
}

for my $q ('status=lost', 'limit=0', 'limit=501', 'limit=x', 'batch_id=-1',
           'since=yesterday', 'until=2026-13-01T00:00:00Z', 'colour=red',
           'limit=5&limit=6') {
    ($res, $list) = api($ua, GET => "/api/sms/messages/?$q");
    ok is_envelope($res, $list, 400, 'invalid_parameter') or diag "$q: " . $res->content;
}
($res, $list) = api($ua, GET => '/api/sms/messages/?phone=abc');
ok is_envelope($res, $list, 400, 'invalid_phone', 'phone');

# one message
($res, my $m) = api($ua, GET => "/api/sms/messages/$ids[0]/");
ok t_cmp($m->{body}, 'history 1', 'message_detail');
ok t_cmp(ref $m->{events}, 'ARRAY');
for my $bad ('999999999', '0', 'abc', '-1', '1e3', '99999999999999999999') {
    ($res, $m) = api($ua, GET => "/api/sms/messages/$bad/");
    ok is_envelope($res, $m, 404, 'not_found') or diag "$bad: " . $res->status_line;
}

# batches
($res, my $b) = api($ua, GET => "/api/sms/batches/$batch->{batch_id}/");
ok t_cmp($b->{total}, 4, 'batch_total');
ok t_cmp($b->{counts}{delivered}, 4, 'batch_counts_per_status');
ok t_cmp($b->{created_by}, 'alice');
($res, $b) = api($ua, GET => '/api/sms/batches/999999/');
ok is_envelope($res, $b, 404, 'not_found');

# balance: sandbox, the fake, and the fake refusing our credentials
($res, $b) = api($ua, GET => '/api/sms/balance/');
ok t_cmp($b->{provider}, 'sandbox', 'sandbox_balance');
my $bc = basic_client('broadcast');
fake_mode({mode => 'normal', credits => 4321});
($res, $b) = api($bc, GET => '/api/sms/balance/');
ok t_cmp($b->{credits}, 4321, 'balance_from_the_provider');
fake_mode({mode => 'error_credentials', count => 1});
($res, $b) = api($bc, GET => '/api/sms/balance/');
ok is_envelope($res, $b, 502, 'provider_auth');
