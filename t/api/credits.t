# Credits (API.md section 7): preview and bulk answers say what a send
# costs, segments x recipients; per recipient when a template renders
# texts of different lengths. (SMSLowBalance: t/api/events.t.)
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 11;

my $ua = client();
login($ua, 'alice', 'alice-password');

# preview: one recipient
for my $case (['Hi Ann', 1], ['x' x 161, 2], ["\x{436}" x 71, 2], ['x' x 400, 3]) {
    my ($res, $d) = api($ua, POST => '/api/sms/preview/', {message => $case->[0]});
    ok t_cmp($d && "$d->{segments}/$d->{credits}", "$case->[1]/$case->[1]",
             'preview_credits_are_its_segments (' . length($case->[0]) . ' chars)');
}
# a preview over the limit still says what it would cost
my ($r0, $d0) = api($ua, POST => '/api/sms/preview/', {message => 'x' x 800});
ok t_cmp($d0 && "$d0->{within_limit}/$d0->{credits}", '0/6', 'preview_credits_past_the_limit');

# bulk: dry run and real, one text for all
my @to = map { sprintf '04129%05d', 70000 + $_ } 1 .. 3;
my ($dr, $dd) = api($ua, POST => '/api/sms/send-bulk/',
                    {recipients => [@to, 'nonsense'], message => 'y' x 200, dry_run => JSON::PP::true()});
ok t_cmp($dd && "$dd->{accepted}/$dd->{segments_total}/$dd->{credits}", '3/6/6',
         'dry_run_credits_are_segments_times_accepted_recipients');
my ($br, $bd) = api($ua, POST => '/api/sms/send-bulk/',
                    {recipients => [@to, 'nonsense'], message => 'y' x 200});
ok t_cmp($br->code, 202, 'bulk_accepted');
ok t_cmp($bd && "$bd->{segments_total}/$bd->{credits}", '6/6', 'bulk_answers_credits');
my $stored = sql_value('sms.db', "SELECT sum(segments) FROM sms_message WHERE batch_id = $bd->{batch_id}");
ok t_cmp($bd->{credits}, $stored, 'credits_match_the_stored_segments');

# per-recipient texts: a template whose context makes one text longer
my ($tr, $tpl) = api($ua, POST => '/api/sms/templates/',
                     {name => 'Credits ' . time, body => 'Hi {name}, see you soon'});
my ($pr, $pd) = api($ua, POST => '/api/sms/send-bulk/',
                    {template_id => $tpl->{id}, dry_run => JSON::PP::true(),
                     recipients => [{to => $to[0], context => {name => 'Ann'}},
                                    {to => $to[1], context => {name => 'B' x 160}}]});
ok t_cmp($pd && "$pd->{segments_total}/$pd->{credits}", '3/3', 'per_recipient_segments_added_up');

# nobody accepted: nothing to pay
my ($nr, $nd) = api($ua, POST => '/api/sms/send-bulk/',
                    {recipients => ['nonsense'], message => 'x'});
ok t_cmp($nd && "$nd->{accepted}/$nd->{credits}", '0/0', 'no_recipient_no_credits');
