# After the whole suite: the server's logs (error logs and the access log)
# hold no message text, no password or secret, and phone numbers only
# masked the way the module masks them (first and last 3 digits kept:
# 61412345678 -> 614*****678).
#
# The test makes some traffic of its own first, so that it proves the
# paths that would leak even when run alone: a send, an inbound reply and
# a STOP in a webhook query string, a phone filter, an opt-out removal
# with the number in the path, a refused Basic login with a number in the
# query string.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use URI::Escape qw(uri_escape_utf8);
use lib 't/lib';
use SMSTest;

plan tests => 8;

my $S = 'suite-hook-secret';
my $tag = sprintf '%05d', $$ % 100000;
my ($n1, $n2, $n3) = map { '04129' . substr("$_$tag", 0, 5) } 1 .. 3;
my $body = "privacy check $tag: your results are ready";
my $reply = "privacy reply $tag: thanks, see you then";

# ---- traffic of our own ---------------------------------------------------------
my $ua = client();
login($ua, 'alice', 'alice-password');
my $hook = client();
my ($res) = api($ua, POST => '/api/sms/send/', {to => $n1, message => $body});
ok t_cmp($res->code, 201, 'privacy_send_stored') or diag $res->content;
api($hook, GET => "/api/sms/webhook/inbound/?from=$n2&message=" . uri_escape_utf8($reply)
    . "&secret=$S");
api($hook, GET => "/api/sms/webhook/inbound/?from=$n3&message=STOP&secret=$S");
api($ua, GET => "/api/sms/messages/?phone=$n1");
api($ua, GET => "/api/sms/messages/?phone=" . uri_escape_utf8("+61 " . substr($n1, 1)));
($res) = api($ua, DELETE => "/api/sms/optouts/$n3/");
ok t_cmp($res->code, 204, 'privacy_optout_removed_by_path');
api(client(base => vhost_url('basic'), basic => ['alice', 'wrong-password']),
    GET => "/api/sms/messages/?phone=$n1");
api(client(), GET => "/api/sms/messages/?phone=$n2");      # 401, ErrorDocument

# ---- what must never be logged ------------------------------------------------
my @secrets = ('alice-password', 'bob-password', 'wrong-password',
               'suite-pass',                      # SMSBroadcastPassword
               $S,                                # SMSWebhookSecret
               'suite-session-passphrase',        # SessionCryptoPassphrase
               'suite-secret-0123456789abcdef');  # SMSSecret

my (%numbers, %bodies);
for my $db ('sms.db', 'broadcast.db', 'queue.db') {
    my @n = split /\n/, sql_value($db, 'SELECT to_number FROM sms_message UNION '
        . 'SELECT from_number FROM sms_inbound UNION SELECT number FROM sms_optout');
    $numbers{$_} = 1 for grep { /^\d{8,15}$/ } @n;
    # every distinct text, hex-encoded (texts may span lines)
    my $hex = driver() eq 'pgsql' ? "encode(convert_to(body, 'UTF8'), 'hex')" : 'hex(body)';
    for my $table ('sms_message', 'sms_inbound', 'sms_template') {
        for my $h (split /\n/, sql_value($db, "SELECT DISTINCT $hex FROM $table "
                                         . 'WHERE length(body) >= 8')) {
            my $b = pack 'H*', $h;
            utf8::decode($b);
            $bodies{$b} = 1;
        }
    }
}
$numbers{'61' . substr($_, 1)} = 1 for $n1, $n2, $n3;
$bodies{$_} = 1 for $body, $reply;

# The forms a number or a text would take in a log line.
sub number_forms {
    my ($n) = @_;
    my @f = ($n);
    push @f, "0$1" if $n =~ /^61(\d{9})$/;      # national
    return @f;
}
sub body_forms {
    my ($b) = @_;
    my $enc = uri_escape_utf8($b);
    (my $plus = $enc) =~ s/%20/+/g;
    my @f = ($b, $enc, $plus);
    utf8::encode($_) for @f;
    return @f;
}
# Lines of $text that give away a secret, a body or a number, each with
# the first reason found. Linear in the size of the logs: strings are
# looked for in the whole text, numbers by the digit runs of each line.
my %number_form;
for my $n (keys %numbers) {
    $number_form{$_} = 1 for number_forms($n);
}
my %string_reason = ((map { ($_ => 'a message body') } map { body_forms($_) } keys %bodies),
                     (map { ($_ => "secret '$_'") } @secrets));
# one alternation: perl matches it as a trie, in one pass over the text
my $strings = join '|', map { quotemeta } sort { length $b <=> length $a } keys %string_reason;
$strings = qr/($strings)/;
sub leaks {
    my ($text) = @_;
    my %found;      # line start offset => reason
    while ($text =~ /$strings/g) {
        $found{rindex($text, "\n", $-[1]) + 1} //= $string_reason{$1};
    }
    while ($text =~ /(?<![\d*])(\d{8,15})(?!\d)/g) {
        my ($digits, $at) = ($1, $-[1]);
        my $why = $number_form{$digits} ? "number $digits"
                : $digits =~ /^(?:61|0)4\d{8}$/ ? 'a mobile number' : next;
        $found{rindex($text, "\n", $at) + 1} //= $why;
    }
    return map {
        my $end = index($text, "\n", $_);
        "$found{$_}: " . substr($text, $_, ($end < 0 ? length $text : $end) - $_)
    } sort { $a <=> $b } keys %found;
}

# the detector finds what it must, and lets the masked forms pass
my $m = '61' . substr($n1, 1);
my $masked = substr($m, 0, 3) . ('*' x (length($m) - 6)) . substr($m, -3);
my @planted = leaks(join "\n", "[sms:info] sending to $m", "GET /x?to=$n1",
                    "[sms:debug] text: $body",
                    "GET /api/sms/webhook/inbound/?message=" . uri_escape_utf8($reply),
                    "POST /login httpd_password=alice-password",
                    "[sms:info] $masked opted out",
                    'DELETE /api/sms/optouts/041****' . substr($n3, -3) . '/');
ok t_cmp(scalar(@planted), 5, 'the_detector_finds_planted_leaks_and_passes_masked_numbers')
    or diag join "\n", @planted;

# ---- the logs -------------------------------------------------------------------------
my $logs = Apache::Test::vars('t_logs');
opendir my $dh, $logs or die "$logs: $!";
my @files = sort grep { /(?:^|_)(?:error|access)_log$/ } readdir $dh;
closedir $dh;
my %text;
for my $f (@files) {
    open my $fh, '<:raw', "$logs/$f" or die "$logs/$f: $!";
    local $/;
    $text{$f} = <$fh> // '';
}
ok t_cmp((grep { $_ eq 'access_log' } @files) && (grep { $_ eq 'error_log' } @files) ? 1 : 0,
         1, 'both_logs_are_there');

# the masks this test relies on are really there: the STOP of $n3 in the
# error log, its removal by path in the access log
my $m3 = '61' . substr($n3, 1);
my $mask3 = substr($m3, 0, 3) . ('*' x (length($m3) - 6)) . substr($m3, -3);
ok t_cmp(scalar(() = $text{error_log} =~ /\Q$mask3\E opted out/g), 1,
         'error_log_masks_the_number_that_opted_out');
my $path3 = '/api/sms/optouts/' . substr($n3, 0, 3) . ('*' x (length($n3) - 6))
    . substr($n3, -3) . '/';
ok $text{access_log} =~ m{"DELETE \Q$path3\E HTTP/1\.1" 204 }
    or diag "no masked DELETE line for $path3";

# API requests are logged without their query string (never "/api/sms...?")
my @queries = grep { m{"\S+ /api/sms[^" ]*\?} } split /\n/, $text{access_log};
ok !@queries or diag "API query strings in the access log:\n", join("\n", @queries[0 .. ($#queries > 9 ? 9 : $#queries)]);

my @leaks = map { my $f = $_; map { "$f: $_" } leaks($text{$f}) } @files;
ok !@leaks or diag scalar(@leaks) . " leaks, the first ones:\n",
    join("\n", @leaks[0 .. ($#leaks > 19 ? 19 : $#leaks)]);
diag scalar(keys %numbers) . ' numbers, ' . scalar(keys %bodies) . ' bodies, '
    . scalar(@secrets) . ' secrets checked in ' . join(', ', @files);
