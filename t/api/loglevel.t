# Per-module log levels (issue "Operations"): a server (and database) of
# its own with the README's `LogLevel warn sms:debug` logs mod_sms's debug
# lines (the provider request summaries) and no other module's, and
# ordinary requests
# (health, preview, sends, history, a conversation, templates, opt-outs,
# settings) add no mod_sms line at info or above: mod_sms logs nothing per
# ordinary request at the levels a site runs (a number opting out still
# gets its info line).
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 7;

my $server = own_server(name => 'loglevel', provider => 'sandbox',
                        lines => "LogLevel warn sms:debug");
my $base = $server->{url};
my $log = $server->{errlog};
my $src = $ENV{SMS_SRCDIR};
my $ua = client(base => $base, basic => ['alice', 'alice-password']);

sub lines {
    open my $l, '<', $log or return ();
    return <$l>;
}
my $at_info_or_above = qr/\[sms:(info|notice|warn|error|crit|alert|emerg)\]/;

# warm up every child (start-up lines of a child are not per request)
api($ua, GET => '/api/sms/health/') for 1 .. 10;
my $mark = () = lines();

my @sent;
for my $n (1 .. 5) {
    my ($r, $m) = api($ua, POST => '/api/sms/send/', {to => "0412 800 00$n", message => "loglevel $n"});
    push @sent, $m if $r->code =~ /^20[12]$/;
}
ok t_cmp(scalar @sent, 5, 'five_sends_through_the_sandbox');
for (1 .. 4) {
    api(client(base => $base), GET => '/api/sms/health/');
    api($ua, GET => '/api/sms/health/');
    api($ua, POST => '/api/sms/preview/', {message => 'Hi Ann'});
    api($ua, GET => '/api/sms/messages/?limit=5');
    api($ua, GET => "/api/sms/messages/$sent[0]{id}/");
    api($ua, GET => '/api/sms/patient/17/conversation/');
    api($ua, GET => '/api/sms/templates/');
    api($ua, GET => '/api/sms/optouts/');
    api($ua, GET => '/api/sms/settings/');
}
my ($r) = api($ua, POST => '/api/sms/patient/17/send/', {message => 'loglevel patient'});
ok t_cmp($r->code =~ /^20[12]$/ ? 1 : 0, 1, 'a_patient_send');
# the sandbox's simulated receipts and the background sender have had
# their turn
sleep 2;

my @all = lines();
my @new = @all[$mark .. $#all];
my @debug = grep { /\[sms:debug\]/ } @new;
ok t_cmp(scalar(grep { /provider/ } @debug) > 0 ? 'yes' : 'no', 'yes',
         'sms_debug_lines_are_logged')
    or diag @new[0 .. ($#new < 10 ? $#new : 10)];
my @others = grep { /\[(?!sms:)[\w-]+:(debug|info|trace\d)\]/ } @new;
ok t_cmp(scalar @others, 0, 'no_other_module_logs_below_warn') or diag @others[0 .. ($#others < 5 ? $#others : 5)];
my @loud = grep { $_ =~ $at_info_or_above } @new;
ok t_cmp(scalar @loud, 0, 'no_sms_line_at_info_or_above_for_ordinary_requests') or diag @loud;

# ...while what is worth a line still gets one: a number opting out (info)
$mark = @all;
$r = client(base => $base)->get("$base/api/sms/webhook/inbound/?secret=suite-hook-secret"
                                . '&to=61400000000&from=61412800009&message=STOP');
@all = lines();
@loud = grep { $_ =~ $at_info_or_above } @all[$mark .. $#all];
ok t_cmp(join('', @loud), qr/\[sms:info\].*614\*+009 opted out/, 'an_opt_out_is_logged_at_info');

# the README shows the directive this test runs
my $readme = do { local (@ARGV, $/) = "$src/README.md"; <> };
ok t_cmp($readme =~ /^```apache\nLogLevel warn sms:debug\n```/m ? 'shown' : 'not shown', 'shown',
         'the_readme_shows_LogLevel_warn_sms_debug');
