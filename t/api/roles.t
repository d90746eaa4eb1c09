# Roles the httpd way (conf/mod_sms-roles.conf.example, as the demo
# includes it): every route for every role of the demo, logged in through
# the real form. A refused call is httpd's 403 in the JSON envelope and
# changes nothing; an allowed one reaches its handler through the nested
# <Location> sections (never the router's "no such API route").
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

my $base = demo_start();
my $secret = do {
    open my $fh, '<', demo_dir() . '/state/webhook.secret' or die $!;
    local $/;
    <$fh>;
};

my %users = (reception => ['reception', 'reception'],
             clinician => ['clinician', 'clinician'],
             supervisor => ['demo', 'demo']);
my @all = qw(reception clinician supervisor);
my @clin = qw(clinician supervisor);
my @sup = qw(supervisor);
my @open = ('anyone');

# [method, path, body, roles allowed]
my $n = 0;
my @routes = (
    [GET => '/api/sms/health/', undef, \@open],
    [GET => '/api/sms/csrf-token/', undef, \@all],
    [GET => '/api/sms/me/', undef, \@all],
    [GET => '/api/sms/ui/', undef, \@all],
    [GET => '/api/sms/ui/sms.js', undef, \@all],
    [POST => '/api/sms/preview/', {message => 'Hi'}, \@all],
    [GET => '/api/sms/patient/17/phones/', undef, \@all],
    [GET => '/api/sms/patient/17/conversation/', undef, \@all],
    [POST => '/api/sms/patient/17/send/', {message => 'role check'}, \@all],
    [GET => '/api/sms/templates/', undef, \@all],
    [GET => '/api/sms/templates/999999/', undef, \@all],
    [GET => '/api/sms/optouts/', undef, \@all],
    [POST => '/api/sms/optouts/', sub { {number => '0412 000 ' . (900 + $n)} }, \@all],
    [GET => '/api/sms/inbox/', undef, \@all],
    [GET => '/api/sms/inbox/counts', undef, \@all],
    [POST => '/api/sms/inbox/999999/read', undef, \@all],
    [POST => '/api/sms/inbox/999999/unread', undef, \@all],
    [POST => '/api/sms/send/', {to => '0412 000 111', message => 'role check'}, \@clin],
    [GET => '/api/sms/messages/', undef, \@clin],
    [GET => '/api/sms/messages/1/', undef, \@clin],
    [GET => '/api/sms/batches/999999/', undef, \@clin],
    [POST => '/api/sms/send-bulk/', {recipients => ['0412 000 111'],
                                     message => 'role check', dry_run => JSON::PP::true()}, \@sup],
    [POST => '/api/sms/templates/', sub { {name => "Role check $n", body => 'Hi'} }, \@sup],
    [PUT => '/api/sms/templates/999999/', {name => 'x', body => 'y'}, \@sup],
    [DELETE => '/api/sms/templates/999999/', undef, \@sup],
    [DELETE => '/api/sms/optouts/0412000999/', undef, \@sup],
    [GET => '/api/sms/audit/', undef, \@sup],
    [GET => '/api/sms/settings/', undef, \@sup],
    [GET => '/api/sms/balance/', undef, \@sup],
    [GET => '/api/sms/metrics', undef, \@sup],
    [GET => "/api/sms/webhook/dlr/?secret=$secret", undef, \@open],
    [POST => "/api/sms/webhook/dlr/?secret=$secret", undef, \@open],
    [GET => "/api/sms/webhook/inbound/?secret=$secret", undef, \@open],
    [POST => "/api/sms/webhook/inbound/?secret=$secret", undef, \@open],
);

# every route of the route table (mod_sms/httpd/sms_router.c) is a row
# above: a new route without its roles fails here
my @missing;
{
    my $src = do { local (@ARGV, $/) = "$ENV{SMS_SRCDIR}/mod_sms/httpd/sms_router.c"; <> };
    my ($table) = $src =~ /sms_route_t routes\[\] = \{(.*?)\n\};/s;
    while ($table =~ /\{(GET|POST|PUT|DELETE), "([^"]+)"/g) {
        my ($method, $pattern) = ($1, $2);
        (my $re = $pattern) =~ s/\{[^}]+\}/[^\/]+/g;
        push @missing, "$method $pattern"
            unless grep { $_->[0] eq $method
                          && $_->[1] =~ m{^/api/sms/$re/?(\?.*)?$} } @routes;
    }
    push @missing, 'the route table was not found' unless $table;
}

my $tests = 0;
for my $role (@all) {
    for my $r (@routes) {
        my %ok = map { $_ => 1 } @{$r->[3]};
        $tests += ($ok{$role} || $ok{anyone}) ? 1 : 2;
    }
}
# GET /me/: each family's answer is httpd's, by the rows above: the
# route the module asks about for it (sms_route_me.c) is the row named here
my %family = (
    preview => 'POST /api/sms/preview/',
    send => 'POST /api/sms/send/',
    send_bulk => 'POST /api/sms/send-bulk/',
    messages => 'GET /api/sms/messages/',
    batches => 'GET /api/sms/batches/999999/',
    patients => 'GET /api/sms/patient/17/conversation/',
    patient_send => 'POST /api/sms/patient/17/send/',
    templates => 'GET /api/sms/templates/',
    templates_write => 'POST /api/sms/templates/',
    optouts => 'GET /api/sms/optouts/',
    optouts_add => 'POST /api/sms/optouts/',
    optouts_remove => 'DELETE /api/sms/optouts/0412000999/',
    inbox => 'GET /api/sms/inbox/',
    inbox_mark => 'POST /api/sms/inbox/999999/read',
    audit => 'GET /api/sms/audit/',
    settings => 'GET /api/sms/settings/',
    balance => 'GET /api/sms/balance/',
    metrics => 'GET /api/sms/metrics',
);
my %row = map { ("$_->[0] $_->[1]" => $_) } @routes;
die "no row for $_" for grep { !$row{$family{$_}} } sort keys %family;

plan tests => $tests + 5 + 3 * @all + 4;

ok t_cmp(join(', ', @missing), '', 'every_route_of_the_table_has_its_roles');

my $state = sub {
    demo_sql('SELECT (SELECT count(*) FROM sms_message) || \',\' ||'
             . ' (SELECT count(*) FROM sms_template) || \',\' ||'
             . ' (SELECT count(*) FROM sms_optout) || \',\' ||'
             . ' (SELECT count(*) FROM sms_audit)');
};

for my $role (@all) {
    my $ua = client(base => $base);
    my $res = login($ua, @{$users{$role}});
    for my $r (@routes) {
        my ($method, $path, $body, $allowed) = @$r;
        my %ok = map { $_ => 1 } @$allowed;
        $n++;
        $body = $body->() if ref $body eq 'CODE';
        my $name = "$role $method $path";
        if ($ok{$role} || $ok{anyone}) {
            my ($res, $d) = api($ua, $method => $path, $body);
            my $reached = $res->code != 401 && $res->code != 403
                && !($res->code == 404 && ($res->content =~ /no such API route/));
            ok $reached or diag "$name: allowed, got " . $res->status_line
                                . ' ' . substr($res->content, 0, 200);
        }
        else {
            my $before = $state->();
            my ($res, $d) = api($ua, $method => $path, $body);
            ok is_envelope($res, $d, 403, 'forbidden')
                or diag "$name: refused, got " . $res->status_line . ' '
                        . substr($res->content, 0, 200);
            ok t_cmp($state->(), $before, "$name changes nothing");
        }
    }
}

# /me/ says, for each role, what the rows above allowed and refused: the
# same set of families, and nothing written to the error log by asking
my $errlog = demo_dir() . '/logs/error_log';
my $logged = -s $errlog;
for my $role (@all) {
    my $ua = client(base => $base);
    login($ua, @{$users{$role}});
    my ($res, $d) = api($ua, GET => '/api/sms/me/');
    ok t_cmp($res->code, 200, "$role GET /me/");
    ok t_cmp($d->{user}, $users{$role}[0], "$role: /me/ names the user");
    my $says = join ' ', map {
        "$_=" . (!exists $d->{can}{$_} ? 'missing'
                 : ref $d->{can}{$_} ne 'JSON::PP::Boolean' ? 'not-boolean'
                 : $d->{can}{$_} ? 'yes' : 'no')
    } sort(keys %family), sort grep { !$family{$_} } keys %{$d->{can} || {}};
    my $table = join ' ', map {
        my %ok = map { $_ => 1 } @{$row{$family{$_}}[3]};
        "$_=" . ($ok{$role} ? 'yes' : 'no')
    } sort keys %family;
    ok t_cmp($says, $table, "$role: /me/ matches the role table");
}
my $added = do {
    open my $fh, '<', $errlog or die "$errlog: $!";
    seek $fh, $logged, 0;
    local $/;
    <$fh> // '';
};
ok t_cmp(join('', grep { /authorization failure|error\]/ } split /^/, $added), '',
         'asking /me/ logs no refusals');
# without a user: httpd's 401, in the envelope; another method: 405
my ($res, $d) = api(client(base => $base), GET => '/api/sms/me/');
ok is_envelope($res, $d, 401, 'unauthenticated');
my $rita = client(base => $base);
login($rita, 'reception', 'reception');
($res, $d) = api($rita, POST => '/api/sms/me/', {});
ok is_envelope($res, $d, 405, 'method_not_allowed');
ok t_cmp($res->header('Allow'), 'GET, HEAD, OPTIONS', 'me_allows_get');

# the supervisor's writes above left their audit rows; reception's and the
# clinician's refused ones none
my $ua = client(base => $base);
login($ua, 'demo', 'demo');
($res, $d) = api($ua, GET => '/api/sms/audit/?action=template.create');
ok t_cmp(scalar @{$d->{entries} || []}, 1, 'one_template_created_one_audit_row');
ok t_cmp($d->{entries}[0]{user}, 'demo');
# a role-less login is no login: the demo's users all have a role
my $nobody = client(base => $base);
login($nobody, 'nobody', 'nobody');
($res, $d) = api($nobody, GET => '/api/sms/patient/17/phones/');
ok is_envelope($res, $d, 401, 'unauthenticated');

# the README shows this very layout (its ```apache block under "### Roles"
# is the example file without comments)
my $src = $ENV{SMS_SRCDIR};
my $example = do { local (@ARGV, $/) = "$src/conf/mod_sms-roles.conf.example"; <> };
my $readme = do { local (@ARGV, $/) = "$src/README.md"; <> };
my ($shown) = $readme =~ /^### Roles\n.*?^```apache\n(.*?)^```/ms;
my $strip = sub { join "\n", grep { /\S/ && !/^\s*#/ } split /\n/, $_[0] // '' };
ok t_cmp($strip->($shown), $strip->($example), 'the_readme_shows_the_tested_layout');
