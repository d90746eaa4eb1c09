# GET /api/sms/metrics (Prometheus text format 0.0.4, read by the
# prometheus_client parser) and mod_status's "mod_sms" section: after a
# scripted run of sends, receipts and replies, the figures equal the
# database's and the provider requests the run made; the route's failures.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use File::Temp ();
use lib 't/lib';
use SMSTest;

plan tests => 46;

my $S = 'suite-hook-secret';
my $bc = basic_client('broadcast');
my $hook = client(base => vhost_url('broadcast'));
my @statuses = qw(scheduled queued sending sent delivered expired failed unknown cancelled);

# Debian's python3 (a pyenv or venv python3 earlier in PATH lacks the package)
my $python = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
my $PARSE = <<'PY';
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        out.append([fam.name, fam.type, s.name, s.labels, s.value])
print(json.dumps(out))
PY

# The exposition through the real parser: {"name{k=v,...}" => value},
# and the family types; dies when the parser refuses it.
sub parse_metrics {
    my ($text) = @_;
    my $in = File::Temp->new;
    print $in $text;
    close $in;
    open my $fh, '-|', $python, '-c', $PARSE, $in->filename
        or die "python3: $!";
    my $out = do { local $/; <$fh> };
    close $fh or die "the prometheus_client parser refused the exposition";
    my (%v, %type);
    for my $s (@{$JSON->decode($out)}) {
        my ($family, $type, $name, $labels, $value) = @$s;
        my $l = join ',', map { "$_=$labels->{$_}" } sort keys %$labels;
        $v{$l ? "$name\{$l}" : $name} = $value;
        $type{$family} = $type;
    }
    return (\%v, \%type);
}

sub metrics {
    my ($ua) = @_;
    my $res = $ua->get($ua->{sms_base} . '/api/sms/metrics');
    die 'metrics: ' . $res->status_line unless $res->code == 200;
    return parse_metrics($res->content);
}

# mod_status's ?auto lines of mod_sms: {"SMSReceipts" => 3, ...}
sub auto_status {
    my ($base) = @_;
    my $res = client(base => $base)->get("$base/server-status?auto");
    return {map { /^(SMS\w+): (.*)$/ ? ($1 => $2) : () } split /\n/, $res->content};
}

my $db = sub { sql_value('broadcast.db', $_[0]) };
sub db_figures {
    my %f = map { $_ => 0 } @statuses;
    for (split /\n/, $db->('SELECT status, count(*) FROM sms_message GROUP BY status')) {
        my ($st, $n) = split /\|/;
        $f{$st} = $n;
    }
    $f{receipts} = $db->('SELECT count(*) FROM sms_dlr');
    $f{replies} = $db->('SELECT count(*) FROM sms_inbound');
    $f{optouts} = $db->('SELECT count(*) FROM sms_optout');
    return \%f;
}
sub figures_of {
    my ($m) = @_;
    my %f = map { $_ => $m->{"sms_messages{status=$_}"} } @statuses;
    $f{receipts} = $m->{sms_receipts_total};
    $f{replies} = $m->{sms_replies_total};
    $f{optouts} = $m->{sms_optouts};
    return \%f;
}
# equal figures (numbers compared as numbers)
sub same {
    my ($a, $b) = @_;
    my $n = sub { my $h = shift; +{map { $_ => 0 + ($h->{$_} // -1) } keys %$h} };
    return $JSON->encode($n->($a)) eq $JSON->encode($n->($b));
}
# A named yes/no check (Apache::Test's ok(A, B) compares A with B).
sub check { t_cmp($_[0] ? 'yes' : 'no', 'yes', $_[1]) }
# The metrics and the database at one moment: two equal reads of the
# metrics around one of the database (the background sender may move
# rows left by other tests in between).
sub settled {
    my ($m, $f, $t);
    wait_for(sub {
        ($m, $t) = metrics($bc);
        $f = db_figures();
        my ($again) = metrics($bc);
        same(figures_of($m), figures_of($again));
    }, 10);
    return ($m, $f, $t);
}
sub req { my ($m, $kind, $o) = @_; $m->{"sms_provider_requests_total{kind=$kind,outcome=$o}"} // 0 }
sub rcpt { $_[0]->{"sms_provider_recipients_total{outcome=$_[1]}"} // 0 }

fake_mode({mode => 'normal', credits => 4321});
# nothing of earlier tests still on its way to the provider
wait_for(sub { $db->("SELECT count(*) FROM sms_message WHERE status IN ('queued', 'sending')") == 0 }, 15);

# ---- the exposition before the run ----
my $res = $bc->get(vhost_url('broadcast') . '/api/sms/metrics');
ok t_cmp($res->code, 200, 'metrics_answers_200');
ok t_cmp($res->header('Content-Type'), qr{^text/plain; version=0\.0\.4}, 'metrics_content_type_is_prometheus_text');
ok t_cmp($res->header('Cache-Control'), 'no-store');
my ($m0, $types) = parse_metrics($res->content);
ok t_cmp(join(',', map { $types->{$_} // 'none' } qw(sms_messages sms_receipts sms_replies
         sms_outbox_depth sms_outbox_oldest_due_age_seconds sms_provider_requests
         sms_provider_request_duration_seconds)),
         'gauge,counter,counter,gauge,gauge,counter,histogram', 'metric_families_and_types');
ok t_cmp(scalar(grep { exists $m0->{"sms_messages{status=$_}"} } @statuses), scalar(@statuses),
         'every_status_has_a_series');
ok t_cmp($m0->{sms_events_pending}, 0, 'events_pending_is_0_without_SMSEventURL');
my $head = $bc->head(vhost_url('broadcast') . '/api/sms/metrics');
ok t_cmp($head->code . '/' . length($head->content), '200/0', 'head_answers_without_body');

# ---- a scripted run through the fake provider (sync sends) ----
my $t0 = time;
my @sent;
for my $n (1 .. 3) {
    my ($r, $m) = api($bc, POST => '/api/sms/send/', {to => "0412 700 00$n", message => "metrics $n"});
    push @sent, $m if $r->code == 201;
}
ok t_cmp(scalar(@sent), 3, 'three_sends_accepted');
my ($r, $d) = api($bc, POST => '/api/sms/send/', {to => '02 9876 7001', message => 'metrics landline'});
ok t_cmp($r->code, 502, 'landline_refused_by_the_provider');
fake_mode({mode => 'http500', count => 1});
($r, my $retried) = api($bc, POST => '/api/sms/send/', {to => '0412 700 009', message => 'metrics retry'});
ok t_cmp($r->code, 202, 'http500_queues_for_a_retry');
ok check(wait_for(sub { $db->("SELECT status FROM sms_message WHERE id = $retried->{id}") eq 'sent' }, 10),
         'retry_sent_by_the_background_sender');
# receipts (one a duplicate: stored once) and replies
for my $i (0, 1, 1) {
    ($r, $d) = api($hook, GET => "/api/sms/webhook/dlr/?to=$sent[$i]{to}&ref=$sent[$i]{id}"
                   . "&smsref=$sent[$i]{external_id}&status=Delivered&secret=$S");
}
ok t_cmp($d->{result}, 'duplicate');
for my $text ('thanks', 'see you then') {
    ($r, $d) = api($hook, GET => "/api/sms/webhook/inbound/?to=61400000000&from=61412700001"
                   . "&message=" . $text =~ s/ /+/gr . "&ref=$sent[0]{id}&secret=$S");
}
ok t_cmp($d->{result}, 'stored');
my ($br, $bal) = api($bc, GET => '/api/sms/balance/');
# 4321 less what the fake charged for the sends above
ok t_cmp($bal->{credits}, qr/^43\d\d$/, 'balance_answered');
my $calls = () = fake_calls('61412700009');

# ---- the figures equal the database's ----
my ($m1, $f1) = settled();
ok check(same(figures_of($m1), $f1), 'metrics_equal_the_database')
    or diag $JSON->encode(figures_of($m1)) . "\n" . $JSON->encode($f1);
ok t_cmp($m1->{sms_receipts_total} - $m0->{sms_receipts_total}, 2, 'receipts_counted_once_each');
ok t_cmp($m1->{sms_replies_total} - $m0->{sms_replies_total}, 2, 'replies_counted');
ok t_cmp($m1->{sms_outbox_depth},
         $db->("SELECT count(*) FROM sms_message WHERE status IN ('queued', 'scheduled', 'sending')"),
         'outbox_depth_equals_the_database');
ok t_cmp($m1->{sms_outbox_due}, 0, 'nothing_due');
ok t_cmp($m1->{sms_outbox_oldest_due_age_seconds}, 0, 'no_oldest_due_age');

# ---- the provider requests this httpd made ----
ok t_cmp(req($m1, 'send', 'answered') - req($m0, 'send', 'answered'), 5,
         'answered_requests: 3 sent, 1 BAD line, 1 retry');
ok t_cmp(req($m1, 'send', 'transient') - req($m0, 'send', 'transient'), 1, 'transient_request_http500');
ok t_cmp(req($m1, 'send', 'unknown') - req($m0, 'send', 'unknown'), 0, 'no_unknown_request');
ok t_cmp($calls, 2, 'the_fake_saw_the_retried_number_twice');
ok t_cmp(rcpt($m1, 'accepted') - rcpt($m0, 'accepted'), 4, 'recipients_accepted');
ok t_cmp(rcpt($m1, 'rejected') - rcpt($m0, 'rejected'), 1, 'recipients_rejected');
ok t_cmp(rcpt($m1, 'transient') - rcpt($m0, 'transient'), 1, 'recipients_transient');
ok t_cmp(req($m1, 'balance', 'answered') - req($m0, 'balance', 'answered'), 1, 'balance_request_counted');
ok t_cmp($m1->{sms_balance_credits}, $bal->{credits}, 'last_known_balance');
ok t_cmp(abs($m1->{sms_balance_updated_timestamp_seconds} - time) < 60, 1, 'balance_time');
# the histogram agrees with the counters
my $h = 'sms_provider_request_duration_seconds';
for my $kind (qw(send balance)) {
    my $sum = 0;
    $sum += req($m1, $kind, $_) for qw(answered transient unknown auth error);
    ok t_cmp($m1->{"${h}_count{kind=$kind}"}, $sum, "histogram_count_equals_requests_$kind");
}
ok t_cmp($m1->{"${h}_bucket{kind=send,le=+Inf}"}, $m1->{"${h}_count{kind=send}"}, 'inf_bucket_is_the_count');
my @les = sort { $a <=> $b } map { /le=([\d.]+)\}$/ ? $1 : () } grep { /^${h}_bucket\{kind=send,/ } keys %$m1;
ok t_cmp(scalar(grep { $m1->{"${h}_bucket{kind=send,le=$les[$_]}"} > $m1->{"${h}_bucket{kind=send,le=$les[$_ + 1]}"} }
                0 .. $#les - 1), 0, 'buckets_are_cumulative');
ok check($m1->{"${h}_sum{kind=send}"} > 0 && $m1->{"${h}_sum{kind=send}"} < (time - $t0 + 1) * 10,
         'latency_sum_is_plausible');

# ---- mod_status: the same figures ----
my $auto = auto_status(vhost_url('broadcast'));
my ($m2, $f2) = settled();
ok t_cmp($auto->{SMSStorage}, 'ok', 'status_storage_ok');
ok check(same({map { $_ => $auto->{'SMSMessages' . ucfirst $_} } @statuses},
              {map { $_ => $f2->{$_} } @statuses}), 'status_messages_equal_the_database')
    or diag $JSON->encode($auto);
ok t_cmp("$auto->{SMSReceipts}/$auto->{SMSReplies}/$auto->{SMSOptOuts}",
         "$f2->{receipts}/$f2->{replies}/$f2->{optouts}", 'status_receipts_replies_optouts');
ok t_cmp("$auto->{SMSProviderSendAnswered}/$auto->{SMSProviderSendTransient}/$auto->{SMSRecipientsAccepted}",
         req($m2, 'send', 'answered') . '/' . req($m2, 'send', 'transient') . '/' . rcpt($m2, 'accepted'),
         'status_provider_counters_equal_the_metrics');
ok t_cmp($auto->{SMSBalanceCredits}, $bal->{credits}, 'status_balance');
my $html = client()->get(base_url() . '/server-status');
ok t_cmp($html->content, qr{<h2>mod_sms</h2>.*<dt>messages delivered</dt>}s, 'status_html_section');

# ---- failures ----
($r, $d) = api($bc, POST => '/api/sms/metrics', {});
ok check(is_envelope($r, $d, 405, 'method_not_allowed') && $r->header('Allow') eq 'GET, HEAD, OPTIONS',
         'post_is_405_with_allow');
($r, $d) = api(client(base => vhost_url('noauth')), GET => '/api/sms/metrics');
ok check(is_envelope($r, $d, 401, 'unauthenticated'), 'no_user_is_401_even_without_require');
($r, $d) = api(client(), GET => '/api/sms/metrics');
ok check(is_envelope($r, $d, 401, 'unauthenticated'), 'main_server_without_login_is_401');
($r, $d) = api(client(base => vhost_url('noschema'), basic => ['alice', 'alice-password']), GET => '/api/sms/metrics');
ok check(is_envelope($r, $d, 503, 'storage_unavailable') && $r->header('Retry-After'), 'no_schema_is_503');
ok t_cmp(auto_status(vhost_url('noschema'))->{SMSStorage}, 'unavailable', 'status_says_storage_unavailable');
