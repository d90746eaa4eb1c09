# Templates: CRUD, validation, {placeholder} rendering in preview.
use strict;
use warnings;
use utf8;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 35;

my $ua = client();
login($ua, 'alice', 'alice-password');

my ($res, $t) = api($ua, POST => '/api/sms/templates/',
                    {name => 'Reminder', body => 'Hi {first_name}, see you {date} at {time}. {{Reply STOP}}'});
ok t_cmp($res->code, 201, 'template_created');
ok t_cmp($res->header('Location'), qr{/api/sms/templates/$t->{id}/$}, 'location_header');
ok t_cmp(join(',', @{$t->{placeholders}}), 'first_name,date,time', 'placeholders_listed');
ok t_cmp($t->{created_by}, 'alice');

($res, my $got) = api($ua, GET => "/api/sms/templates/$t->{id}/");
ok t_cmp($got->{body}, $t->{body}, 'template_read_back');
($res, my $all) = api($ua, GET => '/api/sms/templates/');
ok t_cmp(scalar(grep { $_->{id} == $t->{id} } @{$all->{templates}}), 1, 'template_listed');

# preview renders it, {{ }} are literal braces
($res, my $p) = api($ua, POST => '/api/sms/preview/', {template_id => $t->{id},
    context => {first_name => 'Zoë', date => 'Tuesday', time => '10:30'}});
ok t_cmp($p->{message}, 'Hi Zoë, see you Tuesday at 10:30. {Reply STOP}', 'preview_renders_template');
ok t_cmp($p->{encoding}, 'UCS-2', 'rendered_text_is_counted');
($res, $p) = api($ua, POST => '/api/sms/preview/', {template_id => $t->{id},
    context => {first_name => 'Ann', date => 'Tuesday'}});
ok is_envelope($res, $p, 400, 'unknown_placeholder');
ok t_cmp($p->{error}{message}, qr/time/, 'unknown_placeholder_named');
($res, $p) = api($ua, POST => '/api/sms/preview/', {template_id => 999999});
ok is_envelope($res, $p, 400, 'unknown_template', 'template_id');
($res, $p) = api($ua, POST => '/api/sms/preview/', {template_id => $t->{id}, message => 'x'});
ok is_envelope($res, $p, 400, 'invalid_json', 'template_id');
($res, $p) = api($ua, POST => '/api/sms/preview/', {template_id => $t->{id}, context => [1]});
ok is_envelope($res, $p, 400, 'invalid_json', 'context');

# update and delete
($res, $got) = api($ua, PUT => "/api/sms/templates/$t->{id}/", {name => 'Reminder 2', body => 'Bye {first_name}'});
ok t_cmp($res->code, 200, 'template_updated');
ok t_cmp($got->{name}, 'Reminder 2');
($res, my $other) = api($ua, POST => '/api/sms/templates/', {name => 'Other', body => 'x'});
($res, $got) = api($ua, PUT => "/api/sms/templates/$other->{id}/", {name => 'Reminder 2', body => 'y'});
ok is_envelope($res, $got, 409, 'template_exists', 'name');
($res, $got) = api($ua, POST => '/api/sms/templates/', {name => 'Reminder 2', body => 'z'});
ok is_envelope($res, $got, 409, 'template_exists', 'name');

# a message sent from a template survives the template's deletion
my (undef, $sent) = api($ua, POST => '/api/sms/send/', {to => '0412000777',
    template_id => $t->{id}, context => {first_name => 'Ann'}});
ok t_cmp($sent->{template_id}, $t->{id});
($res) = api($ua, DELETE => "/api/sms/templates/$t->{id}/");
ok t_cmp($res->code, 204, 'template_deleted');
($res, $got) = api($ua, GET => "/api/sms/templates/$t->{id}/");
ok is_envelope($res, $got, 404, 'not_found');
($res, $got) = api($ua, DELETE => "/api/sms/templates/$t->{id}/");
ok is_envelope($res, $got, 404, 'not_found');
($res, $got) = api($ua, GET => "/api/sms/messages/$sent->{id}/");
ok t_cmp($got->{body}, 'Bye Ann', 'message_kept_after_template_deleted');

# validation
my @bad = (
    [{body => 'x'}, 'invalid_json', 'name'],
    [{name => 'n'}, 'invalid_json', 'body'],
    [{name => '', body => 'x'}, 'invalid_json', 'name'],
    [{name => "two\nlines", body => 'x'}, 'invalid_json', 'name'],
    [{name => 'n', body => ''}, 'message_empty', 'body'],
    [{name => 'n', body => 'x' x 5001}, 'message_too_long', 'body'],
    [{name => 'n', body => 'Hi {first name}'}, 'invalid_template', 'body'],
    [{name => 'n', body => 'Hi {name'}, 'invalid_template', 'body'],
    [{name => 'n', body => 'a } b'}, 'invalid_template', 'body'],
    [{name => 'n', body => "a\x{1}b"}, 'invalid_message', 'body'],
    [{name => 'n', body => 'x', extra => 1}, 'invalid_json', 'extra'],
);
for my $b (@bad) {
    ($res, $got) = api($ua, POST => '/api/sms/templates/', $b->[0]);
    ok is_envelope($res, $got, 400, $b->[1], $b->[2]) or diag $res->content;
}
($res, $got) = api($ua, GET => '/api/sms/templates/abc/');
ok is_envelope($res, $got, 404, 'not_found');
($res, $got) = api($ua, GET => '/api/sms/templates/?x=1');
ok is_envelope($res, $got, 400, 'invalid_parameter');
