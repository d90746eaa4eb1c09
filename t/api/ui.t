# The staff UI served by the module (GET /ui/, /ui/{file}), the effective
# configuration (GET /settings/) and the bulk dry run the UI's Check uses.
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 33;

my $ua = client();
login($ua, 'alice', 'alice-password');

# ui_app_page_has_csp_and_no_inline_script
my $res = $ua->get($ua->{sms_base} . '/api/sms/ui/');
ok t_cmp($res->code, 200, 'the app page is served');
ok t_cmp($res->header('Content-Type'), qr{^text/html}, 'as HTML');
my $csp = $res->header('Content-Security-Policy') // '';
ok t_cmp($csp, qr/script-src 'self'/, 'with a CSP allowing this origin\'s scripts');
ok $csp !~ /unsafe-inline|https?:/;
my $html = $res->content;
ok t_cmp($html, qr{<script type="module" src="sms\.js"></script>}, 'loading sms.js');
ok $html !~ /<script(?![^>]*\bsrc=)/i;      # no inline script
ok t_cmp($html, qr{<sms-app\b}, 'holding the staff app');

# ui_assets_have_etag_and_revalidate
my $js = $ua->get($ua->{sms_base} . '/api/sms/ui/sms.js');
ok t_cmp($js->code, 200, 'sms.js is served');
ok t_cmp($js->header('Content-Type'), qr{^text/javascript}, 'as JavaScript');
ok t_cmp($js->header('Cache-Control') // '', qr/no-cache/, 'revalidated on each use');
my $etag = $js->header('ETag') // '';
ok t_cmp($etag, qr/^"ui-\d+-\d+"$/, 'with an ETag from its content');
my $again = $ua->get($ua->{sms_base} . '/api/sms/ui/sms.js', 'If-None-Match' => $etag);
ok t_cmp($again->code, 304, 'unchanged: 304');
ok t_cmp(length $again->content, 0, '304 has no body');
my $head = $ua->head($ua->{sms_base} . '/api/sms/ui/sms.css');
ok t_cmp($head->code, 200, 'HEAD of the CSS');
ok t_cmp(length $head->content, 0, 'HEAD has no body');

# ui_every_imported_module_is_served (the embedded list is complete)
my %seen;
my @todo = ('sms.js');
my $missing = 0;
while (my $f = shift @todo) {
    next if $seen{$f}++;
    my $r = $ua->get($ua->{sms_base} . "/api/sms/ui/$f");
    if ($r->code != 200) {
        $missing++;
        diag("ui/$f: " . $r->code);
        next;
    }
    push @todo, $r->content =~ m{\bfrom\s+'\./([\w.-]+\.js)'}g;
}
ok t_cmp($missing, 0, 'every module sms.js imports is served');
ok t_cmp(scalar keys %seen, qr/^(1[0-9]|[2-9][0-9])$/, 'a dozen or more modules');

# ui_without_slash_redirects, unknown_file_is_404
$res = $ua->get($ua->{sms_base} . '/api/sms/ui');
ok t_cmp($res->code, 301, '/ui redirects');
ok t_cmp($res->header('Location') // '', qr{/api/sms/ui/$}, 'to /ui/');
my ($r404, $d404) = api($ua, 'GET', '/api/sms/ui/nope.js');
ok is_envelope($r404, $d404, 404, 'not_found');

# ui_needs_a_user: no SMSLoginURL here, so 401 (httpd's Require, then the
# module's own check on a vhost without Require)
my ($anon, $adata) = api(client(), 'GET', '/api/sms/ui/');
ok is_envelope($anon, $adata, 401, 'unauthenticated');
($anon, $adata) = api(client(base => vhost_url('noauth')), 'GET', '/api/sms/ui/sms.js');
ok is_envelope($anon, $adata, 401, 'unauthenticated');

# settings_show_every_directive_and_no_secret
my ($sres, $s) = api($ua, 'GET', '/api/sms/settings/');
ok t_cmp($sres->code, 200, 'settings answer');
my $set = $s->{settings} || {};
ok t_cmp($set->{SMSWebhookSecret}{value}, 'set', 'a secret shows as "set"');
ok t_cmp($set->{SMSSecret}{value}, 'set', 'SMSSecret too');
ok $sres->content !~ /suite-hook-secret|suite-secret-0123456789abcdef/;
ok t_cmp($set->{SMSMaxParts}{value}, qr/^\d+$/, 'values as configured');
# the module's version is configure.ac's (as in Server under ServerTokens Full)
my ($ac_version) = do { local (@ARGV, $/) = "$ENV{SMS_SRCDIR}/configure.ac"; <> }
    =~ /AC_INIT\(\[mod_sms\],\s*\[([^\]]+)\]/;
ok t_cmp($s->{version}, $ac_version // 'configure.ac has no version', 'settings_show_the_version');
my $bad = grep { ref $set->{$_} ne 'HASH' || !exists $set->{$_}{default} } keys %$set;
ok t_cmp($bad, 0, 'every directive says whether it is the default');
($anon, $adata) = api(client(), 'GET', '/api/sms/settings/');
ok is_envelope($anon, $adata, 401, 'unauthenticated');

# bulk_dry_run_checks_and_stores_nothing
my $before = json_body($ua->get($ua->{sms_base} . '/api/sms/messages/?limit=1'));
my ($dres, $dry) = api($ua, 'POST', '/api/sms/send-bulk/', {
    recipients => ['0412 000 301', '0412 000 302', 'not a number'],
    message => "dry run $$", dry_run => JSON::PP::true });
ok t_cmp($dres->code . " $dry->{accepted} " . scalar(@{$dry->{rejected} || []})
         . " $dry->{segments_total} $dry->{credits}", '200 2 1 2 2',
         'dry run: accepted, rejected, segments, credits');
my $after = json_body($ua->get($ua->{sms_base} . '/api/sms/messages/?limit=1'));
ok t_cmp(($after->{messages}[0] || {})->{id} // 0, ($before->{messages}[0] || {})->{id} // 0,
         'a dry run stores nothing');
my ($bres, $bdata) = api($ua, 'POST', '/api/sms/send-bulk/', {
    recipients => ['0412 000 303'], message => 'x', dry_run => 'yes' });
ok is_envelope($bres, $bdata, 400, 'invalid_json', 'dry_run');
