# STOP at hand-over (issue 13): a STOP that arrives after the sender has
# claimed a number's message, while the message waits for its turn under
# SMSRateLimit, still stops it: the sender checks the opt-out list in the
# transaction that starts each provider request, so the message is
# "cancelled" and never handed over (README: "never handed over").
#
# This test starts its own httpd (the fake SMS Broadcast behind it, a
# database of its own) with SMSSendMode queue and SMSRateLimit 1: a bulk
# of five goes out one a second, all five claimed at the first tick.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 9;

my $server = own_server(name => 'handover', lines => <<'CONF');
SMSSendMode queue
SMSRateLimit 1
SMSProviderTimeout 2s
SMSRetryLimit 3
SMSRetryBackoff 300ms
SMSQueueInterval 100ms
CONF
my $url = $server->{url};
sub db_value { own_sql($server, $_[0]) }
my $ua = client(base => $url, basic => ['alice', 'alice-password']);
my $hook = client(base => $url);
fake_mode({mode => 'normal'});

my @to = map { "6141396100$_" } 1 .. 5;
my ($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {
    recipients => [map { "0413 961 00$_" } 1 .. 5], message => 'handover.t reminder'});
ok t_cmp($res->code, 202, 'bulk_of_five_queued') or diag $res->content;
my $batch = $b->{batch_id} // 0;

# the first goes at once; the fifth waits about four seconds, claimed
ok t_cmp(wait_for(sub { scalar fake_calls($to[0]) }, 10) ? 1 : 0, 1,
         'the_first_recipient_is_handed_over');
my $claimed = db_value("SELECT status || ':' || COALESCE(lease_owner, '-')"
                       . " FROM sms_message WHERE to_number = '$to[4]'");
ok t_cmp($claimed, qr/^queued:[^-]/, 'the_fifth_is_claimed_and_waiting_for_its_turn');

# its number texts STOP while it waits
my ($r2, $d2) = api($hook, GET => "/api/sms/webhook/inbound/?secret=suite-hook-secret"
                    . "&from=$to[4]&message=STOP");
ok t_cmp(($d2 || {})->{opt} // '', 'out', 'stop_while_claimed_opts_out') or diag $r2->content;

my $done = wait_for(sub {
    my (undef, $l) = api($ua, GET => "/api/sms/messages/?batch_id=$batch");
    my @m = @{($l || {})->{messages} || []};
    return (@m == 5 && !grep { $_->{status} =~ /^(queued|sending)$/ } @m) ? \@m : undef;
}, 15);
my %by = map { $_->{to} => $_ } @{$done || []};
ok t_cmp(join(',', map { ($by{$_} || {})->{status} // '?' } @to[0 .. 3]),
         'sent,sent,sent,sent', 'the_other_four_are_sent');
ok t_cmp(($by{$to[4]} || {})->{status} // '?', 'cancelled',
         'the_claimed_message_of_the_stopped_number_is_cancelled');
ok t_cmp(($by{$to[4]} || {})->{error} // '', qr/opted out \(STOP\)/,
         'its_error_says_why');
ok t_cmp(scalar(fake_calls($to[4])), 0, 'the_stopped_number_is_never_handed_over');
ok t_cmp(db_value("SELECT attempts FROM sms_message WHERE to_number = '$to[4]'"), 0,
         'no_attempt_counted');
