# Send windows (API.md section 7): SMSSendWindow 08:00-20:00 with
# SMSTimeZone Australia/Sydney. Bulk, scheduled and retried messages are
# handed to the provider only inside the window and wait as "scheduled"
# until it opens; an interactive send goes at once unless it says
# "respect_window": true. Bad values fail httpd -t naming the directive.
#
# The window needs a chosen "now": this test starts its own httpd (the
# fake SMS Broadcast behind it, a database of its own) with SMSTestClock,
# the test-only clock file, and moves that clock: the module takes the
# file's instant as now for its window decisions and the sender's due
# times (retry backoffs and leases stay on the real clock).
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

my $logs = Apache::Test::vars('t_logs');
my $httpd = $ENV{SMS_HTTPD} or die 'SMS_HTTPD not set';
my $system = $ENV{SMS_SYSTEM_CONF} or die 'SMS_SYSTEM_CONF not set';
my $clock = "$ENV{SMS_STATE}/window-clock";

# ---- directives: httpd -t refuses bad values, naming the directive ----
my @bad = (
    ["SMSSendWindow 8-20\nSMSTimeZone Australia/Sydney",
     qr/SMSSendWindow: expects local opening and closing times HH:MM-HH:MM on the 24-hour clock, such as 08:00-20:00 \(got '8-20'\)/],
    ["SMSSendWindow 08:00-25:00\nSMSTimeZone Australia/Sydney",
     qr/SMSSendWindow: expects local opening and closing times HH:MM-HH:MM/],
    ["SMSSendWindow 8am-8pm\nSMSTimeZone Australia/Sydney",
     qr/SMSSendWindow: expects local opening and closing times HH:MM-HH:MM/],
    ["SMSSendWindow 08:00-08:00\nSMSTimeZone Australia/Sydney",
     qr/SMSSendWindow: '08:00-08:00' opens and closes at the same time; leave the directive out to send at any time/],
    ['SMSTimeZone Mars/Olympus',
     qr{SMSTimeZone: 'Mars/Olympus' is not a time zone of the tz database; expects an IANA name such as Australia/Sydney}],
    ['SMSTimeZone australia/sydney',
     qr{SMSTimeZone: 'australia/sydney' is not a time zone of the tz database.*\(case matters\)}],
    ['SMSTimeZone GMT+10', qr{SMSTimeZone: 'GMT\+10' is not a time zone of the tz database}],
    ['SMSSendWindow 08:00-20:00', qr/SMSSendWindow needs SMSTimeZone, the clinic's IANA time zone such as Australia\/Sydney/],
    ["<Location /x>\nSMSSendWindow 08:00-20:00\n</Location>", qr/SMSSendWindow not allowed in <Location> context/],
    ["<Location /x>\nSMSTimeZone Australia/Sydney\n</Location>", qr/SMSTimeZone not allowed in <Location> context/],
);
my @good = ("SMSSendWindow 08:00-20:00\nSMSTimeZone Australia/Sydney",
            "SMSSendWindow 20:00-08:00\nSMSTimeZone Pacific/Auckland",
            'SMSSendWindow none', 'SMSTimeZone Australia/Adelaide');

plan tests => 2 * @bad + @good + 68;

my $n = 0;
sub httpd_t {
    my ($lines) = @_;
    my $file = "$logs/window-t-" . ++$n . '.conf';
    open my $fh, '>', $file or die "$file: $!";
    print $fh "Include \"$system\"\nServerName window.test\n"
        . "ErrorLog \"$logs/window_t_error_log\"\nDBDriver sqlite3\n"
        . "DBDParams \"$logs/window-t.db\"\n$lines\n";
    close $fh;
    my $out = `"$httpd" -t -f "$file" 2>&1`;
    return ($? >> 8, $out);
}
for my $b (@bad) {
    my ($lines, $want) = @$b;
    my ($rc, $out) = httpd_t($lines);
    ok t_cmp($rc, qr/^[1-9]/, "httpd -t refuses: $lines");
    ok t_cmp($out, $want, "message names the directive: $lines");
}
for my $g (@good) {
    my ($rc, $out) = httpd_t($g);
    ok t_cmp($rc, 0, "httpd -t accepts: $g") or diag $out;
}

# ---- a server with the window, its own database, the test clock ----
sub set_clock {
    my ($iso) = @_;
    open my $fh, '>', "$clock.tmp" or die "$clock.tmp: $!";
    print $fh "$iso\n";
    close $fh;
    rename "$clock.tmp", $clock or die "rename $clock: $!";
}

set_clock('2027-03-01T20:55:00Z');
my $server = own_server(name => 'window', lines => <<"CONF");
SMSSendMode sync
SMSProviderTimeout 2s
SMSRetryLimit 3
SMSRetryBackoff 300ms
SMSQueueInterval 100ms
SMSSendWindow 08:00-20:00
SMSTimeZone Australia/Sydney
SMSTestClock "$clock"
CONF
my $url = $server->{url};
my $ua = client(base => $url, basic => ['alice', 'alice-password']);

my $message = sub {
    my ($id) = @_;
    my (undef, $m) = api($ua, GET => "/api/sms/messages/$id/");
    return $m || {};
};
my $batch = sub {
    my ($id) = @_;
    my (undef, $l) = api($ua, GET => "/api/sms/messages/?batch_id=$id");
    return @{($l || {})->{messages} || []};
};
my $all_sent = sub {      # every message of the batch handed over
    my ($id) = @_;
    return wait_for(sub {
        my @m = $batch->($id);
        return @m && !grep { $_->{status} !~ /^(sent|delivered)$/ } @m;
    }, 10);
};
my $calls = sub { scalar fake_calls($_[0]) };
# ok() of Apache::Test compares two values: a condition and its name
sub holds { my ($cond, $name) = @_; ok t_cmp($cond ? 1 : 0, 1, $name) }
my $pause = sub { select undef, undef, undef, 1.0 };  # ten sender ticks
fake_mode({mode => 'normal'});

# ---- settings: the window and zone in effect ----
{
    my ($res, $s) = api($ua, GET => '/api/sms/settings/');
    my $set = $s->{settings} || {};
    ok t_cmp($set->{SMSSendWindow}{value}, '08:00-20:00', 'settings_show_the_window');
    ok t_cmp($set->{SMSSendWindow}{default} ? 1 : 0, 0);
    ok t_cmp($set->{SMSTimeZone}{value}, 'Australia/Sydney', 'settings_show_the_zone');
    ok t_cmp($set->{SMSTestClock}{value}, $clock, 'settings_show_the_test_clock');
    my (undef, $d) = api(basic_client('basic'), GET => '/api/sms/settings/');
    ok t_cmp(defined $d->{settings}{SMSSendWindow}{value} ? 'set' : 'null', 'null',
             'no_window_by_default');
    ok t_cmp($d->{settings}{SMSSendWindow}{default} ? 1 : 0, 1);
}

# ---- the README's example: a reminder bulk at 07:55 waits for 08:00 ----
# Tuesday 2 March 2027, 07:55 AEDT (UTC+11)
set_clock('2027-03-01T20:55:00Z');
my ($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {
    recipients => ['0413 900 001', '0413 900 002'],
    message => 'Reminder: your appointment is tomorrow at 10:30. Reply Y to confirm.'});
ok t_cmp($res->code, 202, 'bulk_outside_the_window_accepted');
ok t_cmp($b->{status}, 'scheduled', 'bulk_at_0755_is_scheduled');
ok t_cmp($b->{send_at}, '2027-03-01T21:00:00Z', 'bulk_goes_at_0800_sydney');
my @m = $batch->($b->{batch_id});
ok t_cmp(join(',', map { $_->{status} } @m), 'scheduled,scheduled', 'each_message_scheduled');
ok t_cmp(join(',', map { $_->{send_at} } @m), '2027-03-01T21:00:00Z,2027-03-01T21:00:00Z',
         'each_message_send_at_the_opening');
ok t_cmp($m[0]{next_attempt_at}, '2027-03-01T21:00:00Z', 'next_attempt_at_the_opening');
set_clock('2027-03-01T20:59:59Z');
$pause->();
ok t_cmp($calls->('61413900001') + $calls->('61413900002'), 0, 'nothing_sent_at_07_59_59');
set_clock('2027-03-01T21:00:00Z');
holds $all_sent->($b->{batch_id}), 'bulk_sent_at_0800';
ok t_cmp($calls->('61413900001'), 1, 'the_provider_got_it_once');

# ---- a message scheduled for 21:00 goes at 08:00 the next day ----
set_clock('2027-03-02T00:00:00Z');    # 11:00 AEDT
my $m;
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0413900003',
    message => 'Your results are ready', send_at => '2027-03-02T10:00:00Z'});
ok t_cmp($res->code, 202, 'scheduled_send_accepted');
ok t_cmp($m->{status}, 'scheduled');
ok t_cmp($m->{send_at}, '2027-03-02T21:00:00Z', 'scheduled_2100_moves_to_0800_next_day');
my $late = $m->{id};
# one scheduled inside the window (19:59), which the sender only meets
# after 20:00: held at hand-over, not sent
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0413900004',
    message => 'Your results are ready', send_at => '2027-03-02T08:59:00Z'});
ok t_cmp($m->{send_at}, '2027-03-02T08:59:00Z', 'scheduled_inside_the_window_keeps_its_time');
my $caught = $m->{id};
set_clock('2027-03-02T10:00:00Z');    # 21:00 AEDT
holds wait_for(sub { ($message->($caught)->{next_attempt_at} // '') eq '2027-03-02T21:00:00Z' }, 10),
    'due_outside_the_window_is_held_at_hand_over';
$m = $message->($caught);
ok t_cmp($m->{status}, 'scheduled', 'held_as_scheduled');
ok t_cmp(join(' | ', map { $_->{detail} // '' } @{$m->{events} || []}),
         qr/waits: outside the send window 08:00-20:00 \(Australia\/Sydney\); goes at 2027-03-02T21:00:00Z/,
         'the_hold_says_why_and_when');
ok t_cmp($m->{attempts}, 0, 'a_hold_is_no_attempt');
$pause->();
ok t_cmp($calls->('61413900003') + $calls->('61413900004'), 0, 'nothing_sent_at_2100');
ok t_cmp($message->($late)->{status}, 'scheduled');
set_clock('2027-03-02T21:00:00Z');    # 08:00 AEDT, Wednesday
holds wait_for(sub { $message->($late)->{status} =~ /^(sent|delivered)$/ }, 10),
    'scheduled_message_sent_at_0800';
holds wait_for(sub { $message->($caught)->{status} =~ /^(sent|delivered)$/ }, 10),
    'held_message_sent_at_0800';
ok t_cmp($calls->('61413900003'), 1);
ok t_cmp($message->($late)->{next_attempt_at}, undef, 'no_next_attempt_once_sent');

# ---- interactive sends at 22:00: at once, unless respect_window ----
set_clock('2027-03-02T11:00:00Z');    # 22:00 AEDT
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0413900006', message => 'Call us back'});
ok t_cmp($res->code, 201, 'interactive_send_goes_at_once');
ok t_cmp($m->{status}, 'sent');
ok t_cmp($calls->('61413900006'), 1);
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0413900007', message => 'Call us back',
                                                respect_window => JSON::PP::true()});
ok t_cmp($res->code, 202, 'respect_window_waits');
ok t_cmp($m->{status}, 'scheduled');
ok t_cmp($m->{send_at}, '2027-03-02T21:00:00Z', 'respect_window_goes_at_the_opening');
my $respectful = $m->{id};
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0413900008', message => 'Call us back',
                                                respect_window => JSON::PP::false()});
ok t_cmp($res->code, 201, 'respect_window_false_goes_at_once');
for my $v ('yes', 1, undef, [], {}) {
    my $label = defined $v ? $JSON->encode($v) : 'null';
    ($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0413900009', message => 'x',
                                                    respect_window => $v});
    holds is_envelope($res, $m, 400, 'invalid_json', 'respect_window'),
        "respect_window_$label\_is_400_invalid_json";
}
{
    my (undef, $l) = api($ua, GET => '/api/sms/messages/?phone=61413900009');
    ok t_cmp(scalar @{$l->{messages} || []}, 0, 'a_refused_request_stores_nothing');
}
($res, $m) = api($ua, POST => '/api/sms/patient/18/send/', {message => 'See you tomorrow',
                                                           respect_window => JSON::PP::true()});
ok t_cmp($res->code, 202, 'patient_send_with_respect_window_waits');
ok t_cmp($m->{status}, 'scheduled');
($res, $m) = api($ua, POST => '/api/sms/patient/18/send/', {message => 'See you', respect_window => 'no'});
holds is_envelope($res, $m, 400, 'invalid_json', 'respect_window'), 'patient_send_respect_window_type_checked';
($res, $m) = api($ua, POST => '/api/sms/send-bulk/', {recipients => ['0413900010'], message => 'x',
                                                     respect_window => JSON::PP::true()});
ok t_cmp($res->code, 400, 'bulk_always_keeps_to_the_window_no_option');

# ---- a retry outside the window waits for it ----
fake_mode({mode => 'http500', count => 1});
($res, $m) = api($ua, POST => '/api/sms/send/', {to => '0413900011', message => 'Retry me'});
ok t_cmp($res->code, 202, 'interactive_send_failing_transiently_is_queued');
ok t_cmp($m->{attempts}, 1, 'it_was_tried_at_once');
my $retry = $m->{id};
holds wait_for(sub { ($message->($retry)->{next_attempt_at} // '') eq '2027-03-02T21:00:00Z' }, 10),
    'the_retry_waits_for_0800';
$m = $message->($retry);
ok t_cmp($m->{status}, 'scheduled', 'retry_held_as_scheduled');
ok t_cmp($m->{error}, qr/500/, 'the_retry_keeps_its_reason');
ok t_cmp($calls->('61413900011'), 1, 'no_retry_at_night');
set_clock('2027-03-02T21:00:00Z');
holds wait_for(sub { $message->($retry)->{status} eq 'sent' }, 10), 'retried_at_0800';
ok t_cmp($message->($retry)->{attempts}, 2);
ok t_cmp($calls->('61413900011'), 2);
holds wait_for(sub { $message->($respectful)->{status} eq 'sent' }, 10),
    'respect_window_send_goes_at_0800';

# ---- daylight saving ends (Sunday 4 April 2027): 08:00 AEST ----
set_clock('2027-04-03T10:00:00Z');    # Saturday 21:00 AEDT
($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {recipients => ['0413900012'],
                                                     message => 'Sunday clinic reminder'});
ok t_cmp($b->{send_at}, '2027-04-03T22:00:00Z', 'dst_end_opening_is_0800_aest');
set_clock('2027-04-03T21:00:00Z');    # Sunday 07:00 AEST (08:00 on Saturday's clock)
$pause->();
ok t_cmp(($batch->($b->{batch_id}))[0]{status}, 'scheduled', 'not_sent_at_0700_aest');
ok t_cmp($calls->('61413900012'), 0);
set_clock('2027-04-03T22:00:00Z');
holds $all_sent->($b->{batch_id}), 'sent_at_0800_aest';

# ---- daylight saving starts (Sunday 3 October 2027): 08:00 AEDT ----
set_clock('2027-10-02T11:00:00Z');    # Saturday 21:00 AEST
($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {recipients => ['0413900013'],
                                                     message => 'Sunday clinic reminder'});
ok t_cmp($b->{send_at}, '2027-10-02T21:00:00Z', 'dst_start_opening_is_0800_aedt');
set_clock('2027-10-02T20:59:00Z');    # Sunday 07:59 AEDT
$pause->();
ok t_cmp($calls->('61413900013'), 0, 'not_sent_at_0759_aedt');
set_clock('2027-10-02T21:00:00Z');
holds $all_sent->($b->{batch_id}), 'sent_at_0800_aedt';

# inside the window a bulk is queued as usual
set_clock('2027-10-03T00:00:00Z');    # Sunday 11:00 AEDT
($res, $b) = api($ua, POST => '/api/sms/send-bulk/', {recipients => ['0413900014'], message => 'Now'});
ok t_cmp($b->{status}, 'queued', 'bulk_inside_the_window_is_queued');
ok t_cmp($b->{send_at}, undef);
holds $all_sent->($b->{batch_id}), 'bulk_inside_the_window_sent';
fake_mode({mode => 'normal'});

# nothing went wrong on the way
my @errors = do {
    open my $l, '<', $server->{errlog} or die "$server->{errlog}: $!";
    grep { /\[[a-z_]*:(error|crit|alert|emerg)\]/ && !/HTTP 500/ } <$l>;
};
ok t_cmp(scalar @errors, 0, 'no_errors_in_the_log') or diag @errors;
ok t_cmp(scalar(grep { /SMSTestClock is set/ } do { open my $l, '<', $server->{errlog}; <$l> }), qr/^[1-9]/,
         'the_test_clock_is_announced_at_start');
