# GET /me/ where a family's route meets exactly the sections /me/ meets
# and only the method decides (a "Require method" or <Limit> in the one
# section): each probe must be judged with its own method, not as the GET
# of /me/ was. This server mounts the API a second time at /staff-api,
# where "Require method" refuses every POST and PUT; /me/ under that prefix
# must say no to exactly the POST families, and its probes stay under its
# own prefix (under /api/sms, beside it, everything is allowed).
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 6;

my $server = own_server(name => 'memethods', provider => 'sandbox',
                        lines => <<"CONF");
<Location /staff-api>
    SetHandler sms-api
    AuthType Basic
    AuthName "mod_sms"
    AuthBasicProvider file
    AuthUserFile "$ENV{SMS_STATE}/htpasswd"
    <RequireAll>
        Require valid-user
        Require method GET HEAD OPTIONS DELETE
    </RequireAll>
</Location>
CONF
my $ua = client(base => $server->{url}, basic => ['alice', 'alice-password']);
my @post = qw(inbox_mark optouts_add patient_send preview send send_bulk
              templates_write);

my ($res, $d) = api($ua, GET => '/staff-api/me/');
ok t_cmp($res->code, 200, 'me_under_the_second_prefix');
ok t_cmp($d->{user}, 'alice');
my $can = $d->{can} || {};
ok t_cmp(join(' ', sort grep { !$can->{$_} } keys %$can), join(' ', @post),
         'the_post_families_are_refused_the_others_allowed');
# what /me/ says is what a real call meets
($res, $d) = api($ua, POST => '/staff-api/preview/', {message => 'Hi'});
ok t_cmp($res->code, qr/^40[13]$/, 'a_real_post_is_refused_there');

($res, $d) = api($ua, GET => '/api/sms/me/');
my @refused = grep { !$d->{can}{$_} } sort keys %{$d->{can} || {}};
ok t_cmp("@refused", '', 'under_api_sms_everything_is_allowed');
# the subrequests' refusals are not in the error log
open my $fh, '<', $server->{errlog} or die "$server->{errlog}: $!";
my @lines = grep { /authorization failure/ && !m{/staff-api/preview/"} } <$fh>;
ok t_cmp(join('', @lines), '', 'no_refusal_logged_for_the_probes');
