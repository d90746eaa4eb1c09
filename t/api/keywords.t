# Opt-out and opt-in keywords of inbound replies through httpd (API.md
# section 7): matched after Unicode normalisation and trimming of spaces
# and punctuation; STOP/UNSUBSCRIBE also as the first word; CANCEL is a
# cancel intent, not an opt-out; the opt-out list and sends follow.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;
use URI::Escape qw(uri_escape_utf8);

# [reply, expected opt (out, in, undef), test name]
my @cases = (
    ["STOP.", 'out', 'stop_with_a_full_stop_opts_out'],
    ["\x{ff33}\x{ff34}\x{ff2f}\x{ff30}", 'out', 'full_width_stop_opts_out'],
    [" stop\x{a0}", 'out', 'stop_with_nbsp_opts_out'],
    ["STOP\x{200b}", 'out', 'stop_with_a_zero_width_space_opts_out'],
    ["\x{200e}Stop!\x{200f}", 'out', 'stop_with_bidi_marks_opts_out'],
    ["Stop please", 'out', 'stop_please_opts_out'],
    ["Unsubscribe me", 'out', 'unsubscribe_me_opts_out'],
    ["quit", 'out', 'quit_alone_opts_out'],
    ["CANCEL", undef, 'cancel_is_not_an_opt_out'],
    ["End of May works", undef, 'end_of_may_is_not_an_opt_out'],
    ["Please stop", undef, 'stop_not_first_is_not_an_opt_out'],
    ["\x{1f6d1}", undef, 'an_emoji_is_not_an_opt_out'],
    ["Start.", 'in', 'start_with_a_full_stop_opts_in'],
);

plan tests => @cases + 17;

my $S = 'suite-hook-secret';
my $hook = client();
my $ua = client();
login($ua, 'alice', 'alice-password');
my $n = 0;
for my $c (@cases) {
    my ($text, $want, $name) = @$c;
    my $from = sprintf '0412 710 %03d', ++$n;
    my ($res, $d) = api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from="
                        . uri_escape_utf8($from) . '&message=' . uri_escape_utf8($text));
    ok t_cmp($d->{opt}, $want, $name) or diag $res->content;
}

# the opt-out takes effect: a send to the number is refused, CANCEL's is not
my ($res, $e) = api($ua, POST => '/api/sms/send/', {to => '0412 710 001', message => 'after STOP.'});
ok is_envelope($res, $e, 422, 'opted_out', 'to');
($res, $e) = api($ua, POST => '/api/sms/send/', {to => '0412 710 009', message => 'after CANCEL'});
ok t_cmp($res->code, 201, 'cancel_reply_does_not_block_sends');
# the keyword recorded is the word itself, upper case
ok t_cmp(sql_value('sms.db', "SELECT keyword FROM sms_inbound WHERE from_number = '61412710002'"),
         'STOP', 'full_width_keyword_recorded_as_STOP');
ok t_cmp(sql_value('sms.db', "SELECT keyword FROM sms_inbound WHERE from_number = '61412710007'"),
         'UNSUBSCRIBE', 'first_word_keyword_recorded');
# START after STOP: the number may be sent to again
my ($r2, $d2) = api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=0412710001&message=START");
ok t_cmp($d2->{opt}, 'in', 'start_opts_back_in');
($res, $e) = api($ua, POST => '/api/sms/send/', {to => '0412 710 001', message => 'after START'});
ok t_cmp($res->code, 201, 'sends_again_after_start');

# STOP, START, STOP within minutes: the third is the same text as the first
# (a provider retry by its look, stored once) but it always takes effect
my $stop = "/api/sms/webhook/inbound/?secret=$S&from=0412710077&message=STOP";
my (undef, $s1) = api($hook, GET => $stop);
my (undef, $s2) = api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=0412710077&message=START");
my ($r3, $s3) = api($hook, GET => $stop);
ok t_cmp("$s1->{opt} $s2->{opt} $s3->{result} $s3->{opt}", 'out in duplicate out',
         'stop_start_stop_the_second_stop_is_not_swallowed');
ok t_cmp(sql_value('sms.db', "SELECT count(*) FROM sms_optout WHERE number = '61412710077'"), 1,
         'stop_start_stop_ends_opted_out');
($res, $e) = api($ua, POST => '/api/sms/send/', {to => '0412 710 077', message => 'after STOP START STOP'});
ok is_envelope($res, $e, 422, 'opted_out', 'to');

# ---- reply intents (API.md section 7): only for a reply to a message ----
my ($sr, $sent) = api($ua, POST => '/api/sms/patient/43/send/', {message => 'Reminder: Tuesday 10:30. Reply Y or N'});
my $reply = sub {
    my ($text, %o) = @_;
    my (undef, $d) = api($hook, GET => "/api/sms/webhook/inbound/?secret=$S&from=0412004343&message="
                         . uri_escape_utf8($text) . ($o{noref} ? '' : "&ref=$sent->{id}"));
    return $d;
};
ok t_cmp($reply->("Yes!")->{intent}, 'confirm', 'yes_to_a_reminder_confirms');
ok t_cmp($reply->("\x{ff2e}\x{ff2f}")->{intent}, 'cancel', 'full_width_no_cancels');
ok t_cmp($reply->("No can't make it")->{intent}, 'unclear', 'a_sentence_is_unclear');
ok t_cmp($reply->("Y", noref => 1)->{intent}, undef, 'a_reply_to_no_message_has_no_intent');
my (undef, $thread) = api($ua, GET => '/api/sms/patient/43/conversation/');
ok t_cmp(join(',', map { $_->{intent} // 'null' } grep { $_->{direction} eq 'in' } @{$thread->{messages}}),
         'confirm,cancel,unclear,null', 'intents_shown_in_the_conversation');

# ---- a site's own words: the suite's Basic host says SMSReplyConfirmWords
# Y JA and SMSReplyCancelWords NEIN (t/conf/vhosts.include) ----
my $basic = basic_client('basic');
my ($br, $bsent) = api($basic, POST => '/api/sms/patient/43/send/', {message => 'Termin Dienstag 10:30: JA oder NEIN?'});
ok t_cmp($br->code, 201, 'a_reminder_from_the_basic_host') or diag $br->content;
my $breply = sub {
    my ($text) = @_;
    my (undef, $d) = api($basic, GET => "/api/sms/webhook/inbound/?secret=$S&from=0412004343&message="
                         . uri_escape_utf8($text) . "&ref=$bsent->{id}");
    return $d->{intent} // 'null';
};
ok t_cmp(join(',', map { $breply->($_) } 'Ja!', 'y', 'NEIN.', 'Yes', 'No', 'Cancel'),
         'confirm,confirm,cancel,unclear,unclear,unclear', 'configured_reply_words_replace_the_defaults');
my (undef, $set) = api($basic, GET => '/api/sms/settings/');
ok t_cmp(join(' ', map { "$_:" . join(',', @{$set->{settings}{$_}{value}}) . ':'
                         . ($set->{settings}{$_}{default} ? 'default' : 'set') }
                  qw(SMSReplyConfirmWords SMSReplyCancelWords)),
         'SMSReplyConfirmWords:Y,JA:set SMSReplyCancelWords:NEIN:set', 'settings_show_the_reply_words');
