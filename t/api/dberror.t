# PostgreSQL's (and SQLite's) error text can quote the row it refused
# ("Key (number)=(61412345678) already exists"): the store masks phone
# numbers in it before anything reaches the error log (issue 13). A
# trigger of this test's own database refuses one opt-out with such a
# text; the route answers 503 in the envelope and the server's error log
# has the number only masked (614*****123).
#
# This test starts its own httpd (its own database and error log).
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;

plan tests => 5;

# a trigger that refuses one opt-out with a text quoting the number
my $PG_TRIGGER = <<'SQL';
CREATE FUNCTION dberror_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'duplicate key value violates unique constraint "sms_optout_pkey"'
        USING DETAIL = 'Key (number)=(61412999123) already exists.';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER dberror_refuse BEFORE INSERT ON sms_optout FOR EACH ROW
WHEN (NEW.number = '61412999123') EXECUTE FUNCTION dberror_refuse();
SQL
my $SQLITE_TRIGGER = <<'SQL';
CREATE TRIGGER dberror_refuse BEFORE INSERT ON sms_optout
WHEN NEW.number = '61412999123'
BEGIN
    SELECT RAISE(ABORT, 'UNIQUE constraint failed: Key (number)=(61412999123) already exists');
END;
SQL
my $server = own_server(name => 'dberror', setup => sub {
    my ($params) = @_;
    my @cmd = driver() eq 'pgsql'
        ? ('psql', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $params, '-c', $PG_TRIGGER)
        : ('sqlite3', '-bail', $params, $SQLITE_TRIGGER);
    system(@cmd) == 0 or die 'trigger failed';
}, lines => <<'CONF');
SMSSendMode sync
SMSProviderTimeout 2s
SMSRetryLimit 3
SMSRetryBackoff 300ms
SMSQueueInterval 100ms
CONF
my $url = $server->{url};
sub db_value { own_sql($server, $_[0]) }
my $ua = client(base => $url, basic => ['alice', 'alice-password']);

my ($res, $e) = api($ua, POST => '/api/sms/optouts/', {number => '0412 999 123'});
ok is_envelope($res, $e, 503, 'storage_unavailable') or diag $res->content;
ok t_cmp(db_value("SELECT count(*) FROM sms_optout"), 0, 'nothing_stored');
my $log = '';
wait_for(sub {
    open my $fh, '<', $server->{errlog} or return;
    local $/;
    $log = <$fh> // '';
    return $log =~ /already exists/;
}, 5);
my @lines = grep { /already exists/ } split /\n/, $log;
ok t_cmp(scalar(@lines) > 0 ? 1 : 0, 1, 'the_database_error_is_logged') or diag $log;
ok t_cmp(join("\n", @lines), qr/Key \(number\)=\(614\*{5}123\)/, 'the_number_in_it_is_masked');
ok t_cmp(scalar(grep { /412999123/ } split /\n/, $log), 0, 'the_number_never_appears_whole');
