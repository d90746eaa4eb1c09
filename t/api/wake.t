# A queued message leaves at once, not at the sender's next
# SMSQueueInterval: a request that commits queued messages tells the
# sender (through the shared counters every child sees), which looks for
# that every 100 ms. This server's interval is an hour, so only that
# wake-up can hand the messages to the fake SMS Broadcast within seconds;
# a scheduled message still waits for the interval.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 8;

my $server = own_server(name => 'wake', lines => <<'CONF');
SMSSendMode queue
SMSProviderTimeout 2s
SMSQueueInterval 1h
CONF
my $ua = client(base => $server->{url}, basic => ['alice', 'alice-password']);
fake_mode({mode => 'normal'});
sub status_of {
    my ($id) = @_;
    my (undef, $m) = api($ua, GET => "/api/sms/messages/$id/");
    return ($m || {})->{status} // '';
}
# the sender's first look (an interval after the child starts: an hour
# here) is far off: only a wake-up can send what follows
select undef, undef, undef, 0.5;

my ($res, $m) = api($ua, POST => '/api/sms/send/',
                    {to => '0413 900 101', message => 'Wake test, single'});
ok t_cmp($res->code, 202, 'queued_send_accepted');
ok t_cmp($m->{status}, 'queued', 'answered_as_queued');
ok t_cmp((wait_for(sub { status_of($m->{id}) =~ /^(sent|delivered)$/ }, 5) ? 'sent' : status_of($m->{id})),
         'sent', 'queued_send_handed_over_without_waiting_for_the_interval');

my ($bres, $b) = api($ua, POST => '/api/sms/send-bulk/', {
    recipients => ['0413 900 102', '0413 900 103', '0413 900 104'],
    message => 'Wake test, bulk'});
ok t_cmp($bres->code, 202, 'bulk_accepted');
my $all_sent = wait_for(sub {
    my (undef, $l) = api($ua, GET => "/api/sms/messages/?batch_id=$b->{batch_id}");
    my @m = @{($l || {})->{messages} || []};
    return @m == 3 && !grep { $_->{status} !~ /^(sent|delivered)$/ } @m;
}, 5);
ok t_cmp($all_sent ? 1 : 0, 1, 'bulk_handed_over_without_waiting_for_the_interval');

# a message scheduled two seconds ahead is not due when it is queued: it
# waits for the interval (the wake-up is for messages due now)
my $at = time + 2;
my @t = gmtime $at;
my $iso = sprintf '%04d-%02d-%02dT%02d:%02d:%02dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0];
my ($sres, $s) = api($ua, POST => '/api/sms/send/',
                     {to => '0413 900 105', message => 'Wake test, later', send_at => $iso});
ok t_cmp($sres->code, 202, 'scheduled_send_accepted');
ok t_cmp($s->{status}, 'scheduled', 'answered_as_scheduled');
select undef, undef, undef, 4;
ok t_cmp(status_of($s->{id}), 'scheduled', 'scheduled_message_waits_for_the_interval');
