# The route table: 404 for unknown routes, 405 with Allow, OPTIONS, HEAD,
# optional trailing slash, and 401 on every protected route, table-driven.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

# Every route of this build: [method, path, protected, body].
my @routes = (
    ['GET',    '/api/sms/health/',       0, undef],
    ['POST',   '/api/sms/preview/',      1, {message => 'a'}],
    ['POST',   '/api/sms/send/',         1, {to => '0412000123', message => 'routes'}],
    ['POST',   '/api/sms/send-bulk/',    1, {recipients => ['0412000124'], message => 'routes'}],
    ['GET',    '/api/sms/messages/',     1, undef],
    ['GET',    '/api/sms/messages/1/',   1, undef],
    ['GET',    '/api/sms/batches/1/',    1, undef],
    ['GET',    '/api/sms/balance/',      1, undef],
    ['GET',    '/api/sms/templates/',    1, undef],
    ['POST',   '/api/sms/templates/',    1, {name => "routes $$", body => 'x'}],
    ['GET',    '/api/sms/templates/1/',  1, undef],
    ['PUT',    '/api/sms/templates/1/',  1, {name => "routes put $$", body => 'y'}],
    ['DELETE', '/api/sms/templates/1/',  1, undef],
    ['GET',    '/api/sms/csrf-token/',   1, undef],
    ['GET',    '/api/sms/me/',           1, undef],
    ['GET',    '/api/sms/patient/17/phones/', 1, undef],
    ['GET',    '/api/sms/patient/17/conversation/', 1, undef],
    ['POST',   '/api/sms/patient/17/send/', 1, {message => 'routes'}],
    ['GET',    '/api/sms/optouts/',      1, undef],
    ['POST',   '/api/sms/optouts/',      1, {number => '0412000125'}],
    ['DELETE', '/api/sms/optouts/0412000125/', 1, undef],
    ['GET',    '/api/sms/inbox/',        1, undef],
    ['GET',    '/api/sms/inbox/counts/', 1, undef],
    ['POST',   '/api/sms/inbox/1/read/', 1, undef],
    ['POST',   '/api/sms/inbox/1/unread/', 1, undef],
    ['GET',    '/api/sms/webhook/dlr/?secret=suite-hook-secret&smsref=1&status=Delivered', 2, undef],
    ['GET',    '/api/sms/webhook/inbound/?secret=suite-hook-secret&from=0412000126&message=hi', 2, undef],
);
# protected: 1 = needs a user (401), 2 = a provider callback (403 without
# the secret, never 401)
my @unknown = qw(/api/sms /api/sms/ /api/sms/nope /api/sms/preview/extra
                 /api/sms/bogus/preview /api/sms/healthz /api/sms/preview/x/y
                 /api/sms/Preview);

plan tests => 5 * @routes + 2 * @unknown + 13;

my $ua = client();
login($ua, 'alice', 'alice-password');
my $noauth = client(base => vhost_url('noauth'));

for my $r (@routes) {
    my ($method, $path, $protected, $body) = @$r;
    my ($res, $data) = api($ua, $method, $path, $body);
    ok t_cmp($res->code, qr/^(2\d\d|404|409)$/, "$method $path is routed when logged in")
        or diag $res->content;
    (my $bare = $path) =~ s{/(\?|$)}{$1};
    ($res, $data) = api($ua, $method, $bare, $body);
    ok t_cmp($res->code, qr/^(2\d\d|404|409)$/, "$method $bare is routed without the trailing slash")
        or diag $res->content;
    # answer_is_json_and_the_route_exists (a 404 here is a missing resource)
    ok(($res->code == 204 || ref $data eq 'ARRAY'
        || (ref $data eq 'HASH' && ($data->{error}{message} // '') !~ /no such API route/)));
    # anonymous, with and without httpd's Require in front
    for my $c (client(), $noauth) {
        ($res, $data) = api($c, $method, $path, $body);
        if ($protected == 2) {
            (my $nosecret = $path) =~ s/secret=[^&]*&?//;
            ($res, $data) = api($c, $method, $nosecret, $body);
            ok is_envelope($res, $data, 403, 'forbidden')
                or diag "$method $nosecret: " . $res->status_line;
        }
        elsif ($protected) {
            ok is_envelope($res, $data, 401, 'unauthenticated')
                or diag "$method $path: " . $res->status_line;
        }
        else {
            ok t_cmp($res->code, 200, "$method $path needs no login");
        }
    }
}

for my $path (@unknown) {
    for my $c ($ua, $noauth) {
        my ($res, $data) = api($c, GET => $path);
        ok is_envelope($res, $data, 404, 'not_found')
            or diag "$path: " . $res->status_line . ' ' . $res->content;
    }
}

my ($res, $data) = api($ua, PUT => '/api/sms/health/', {});
ok is_envelope($res, $data, 405, 'method_not_allowed');
ok t_cmp($res->header('Allow'), 'GET, HEAD, OPTIONS', 'allow_lists_get_head_options');
($res, $data) = api($ua, GET => '/api/sms/preview/');
ok is_envelope($res, $data, 405, 'method_not_allowed');
ok t_cmp($res->header('Allow'), 'POST, OPTIONS', 'allow_lists_post_options');
($res, $data) = api($ua, DELETE => '/api/sms/preview/');
ok is_envelope($res, $data, 405, 'method_not_allowed');
($res) = api($ua, OPTIONS => '/api/sms/preview/');
ok t_cmp($res->code, 204, 'options_answers_204');
ok t_cmp($res->header('Allow'), 'POST, OPTIONS', 'options_lists_methods');

# Errors are never cached and never sniffed.
($res, $data) = api($ua, GET => '/api/sms/nope');
ok t_cmp($res->header('Cache-Control'), 'no-store', 'responses_not_cached');
ok t_cmp($res->header('X-Content-Type-Options'), 'nosniff', 'responses_nosniff');
# Direct request to the error-document path is just an unknown route.
($res, $data) = api($ua, GET => '/sms-error/');
ok is_envelope($res, $data, 404, 'not_found');
# Encoded traversal never reaches a route.
($res, $data) = api($ua, GET => '/api/sms/%2e%2e/health/');
ok t_cmp($res->code, qr/^4/, 'encoded_traversal_is_a_4xx');
# An encoded slash reaches the module (AllowEncodedSlashes NoDecode, as the
# demo and the examples set it) and names no resource: the JSON envelope,
# never httpd's HTML page
($res, $data) = api($ua, GET => '/api/sms/messages/..%2f..%2fetc%2fpasswd');
ok is_envelope($res, $data, 404, 'not_found') or diag $res->content;
# A request line too long for httpd: refused before any <Location>, and
# still the envelope (the server-wide ErrorDocument 414 of the demo)
($res, $data) = api($ua, GET => '/api/sms/messages/' . ('a' x 9000) . '/');
ok is_envelope($res, $data, 414, 'uri_too_long') or diag $res->content;
