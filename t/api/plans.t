# The history list's statements use their filter's index on PostgreSQL
# (issue 13: "(? IS NULL OR col = ?)" alone defeats indexes, so each
# leading filter has a statement of its own, sms_msg_list_patient, _phone,
# _batch, _status, and the unfiltered sms_msg_list; SQLite's plans of the
# same statements are t/unit/test_store.c's check_history_plans).
#
# What is planned is the statement the module really sent, never a copy:
# this test runs its own httpd on a database of its own whose connections
# log every statement (DBDInitSQL "SET log_statement = 'all'": a setting of
# this server's sessions only, nothing else in the suite's PostgreSQL log
# changes). It makes each filtered history request, then takes from the
# server's log the text the module prepared under that statement's label
# (PREPARE with the parameter types apr_dbd declares) and the parameters
# that request executed it with. A copy of the SQL in the test, or SQL
# rebuilt from sms_store_sql.c, could agree with itself while the module
# sends something else; the log is what PostgreSQL received.
#
# Each plan is read on a clinic's proportions, as t/api/conversation.t
# does: 20,000 messages of other patients, numbers and batches (most
# delivered) inserted and analysed inside a transaction that is rolled
# back, with the planner's own choices (no enable_* switches). Each
# statement is planned three times. At its first execution, with the
# values. At the seventh: a connection plans with the values for five
# executions, then keeps the generic plan unless it costs more, which is
# what a long-lived connection of mod_dbd settles on. And with the generic
# plan forced: this is where "? IS NULL OR col = ?" alone fails on
# PostgreSQL (with the values the planner folds the NULL tests away, so
# the first and seventh plans of such a statement still find the index;
# its generic plan reads the whole table), and the filtered statements
# must find their index whatever the plan mode. Each time the filter's
# column must be an Index Cond of the filter's index and sms_message is
# never read by a Seq Scan; the unfiltered page walks the primary key (its
# forced generic plan is a Seq Scan and a sort, the seven "? IS NULL OR"
# conditions being guessed to keep one row; nothing can serve it, and
# PostgreSQL never picks it, as it costs more than the plans with values:
# the seventh plan checks that).
use strict;
use warnings;
use Apache::Test;
use Apache::TestUtil;
use lib 't/lib';
use SMSTest;
use JSON::PP;

# filter (query string), statement label, the indexes that serve it (one
# of them must take the column as its Index Cond), that column
my @cases = (
    ['', 'sms_msg_list', ['sms_message_pkey'], undef],
    ['patient_id=77', 'sms_msg_list_patient',
     ['sms_message_patient', 'sms_message_patient_updated'], 'patient_id'],
    ['phone=0412%20777%20000', 'sms_msg_list_phone', ['sms_message_to'], 'to_number'],
    ['batch_id=BATCH', 'sms_msg_list_batch', ['sms_message_batch'], 'batch_id'],
    ['status=failed', 'sms_msg_list_status', ['sms_message_due'], 'status'],
);

# per filter: the request, the log, three plans (two unfiltered); then
# the check that fails without an index, and this server's error log
plan tests => 5 * @cases - 1 + 2, sub {
    driver() eq 'pgsql'
        or skip_reason("PostgreSQL only: SQLite's history plans are"
                       . ' t/unit/test_store.c (check_history_plans)');
};

my $log = $ENV{SMS_PG_LOG} or die 'SMS_PG_LOG not set';
my $from = -s $log;    # only what this test's server logs from here on
my $server = own_server(name => 'plans', lines => <<'CONF');
DBDInitSQL "SET log_statement = 'all'"
CONF
my $ua = client(base => $server->{url}, basic => ['alice', 'alice-password']);

sub psql {
    my (@sql) = @_;
    open my $fh, '-|', 'psql', '-qtAX', '-v', 'ON_ERROR_STOP=1', '-d',
        $server->{params}, map { ('-c', $_) } @sql or die "psql: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh or die "psql failed on: @sql";
    return $out;
}

# The rows the filters find: 40 messages of patient 77 to 0412 777 000 in
# one batch, failed (a rare status: the rest of the table is mostly
# delivered).
my $batch = psql("INSERT INTO sms_batch (created_by, created_at, recipients)"
                 . " VALUES ('plans.t', 0, 40) RETURNING id");
$batch =~ s/\s+//g;
psql("INSERT INTO sms_message (to_number, patient_id, body, encoding, segments,"
     . " max_parts, status, batch_id, created_at, updated_at) SELECT '61412777000', '77',"
     . " 'plans ' || g, 'GSM-7', 1, 5, 'failed', $batch, g, g FROM generate_series(1, 40) g");

for my $case (@cases) {
    (my $q = $case->[0]) =~ s/BATCH/$batch/;
    my ($res, $list) = api($ua, GET => "/api/sms/messages/?$q");
    ok t_cmp($res->code . ' ' . scalar @{($list || {})->{messages} || []}, '200 40',
             "history_$case->[1]_answers_the_40");
}

# The log: each label's PREPARE text, and its last execution's parameters.
my (%prepare, %params);
open my $lf, '<', $log or die "$log: $!";
seek $lf, $from, 0;
my $last = '';
while (my $line = <$lf>) {
    if ($line =~ /\bLOG:  (statement|execute [^:]+): (PREPARE (sms_msg_list\w*) .*)$/) {
        my ($how, $text, $label) = ($1, $2, $3);
        $prepare{$label} = $text;
        $last = $how eq 'statement' ? '' : $label;    # its parameters follow
    }
    elsif ($line =~ /\bDETAIL:  parameters: (.*)$/ && $last) {
        $params{$last} = $1;
        $last = '';
    }
    else {
        $last = '' if $line =~ /\bLOG:  /;
    }
}
close $lf;

my $filler = "WITH b AS (INSERT INTO sms_batch (created_by, created_at, recipients)"
    . " SELECT 'filler', 0, 50 FROM generate_series(1, 200) RETURNING id),"
    . " bs AS (SELECT array_agg(id) AS a FROM b)"
    . " INSERT INTO sms_message (to_number, patient_id, body, encoding, segments,"
    . " max_parts, status, batch_id, created_at, updated_at)"
    . " SELECT (61400000000 + g % 5000)::text, 'filler-' || (g % 2000), 'x', 'GSM-7', 1, 1,"
    . " CASE WHEN g % 20 = 0 THEN 'sent' ELSE 'delivered' END,"
    . " CASE WHEN g % 2 = 0 THEN bs.a[1 + g % 200] END, 100 + g, 100 + g"
    . " FROM generate_series(1, 20000) g, bs";

# every node of a plan
sub nodes {
    my ($n) = @_;
    return ($n, map { nodes($_) } @{$n->{Plans} || []});
}

# The plans (JSON) of a logged statement with its logged parameters on the
# filled table: at its first execution, after five more (when the
# connection may have moved to the generic plan) and the generic plan
# forced; @pre runs first in the same transaction.
sub plans_of {
    my ($label, @pre) = @_;
    my $sql = $prepare{$label};
    my $args = join ', ', map { /^\$\d+ = (.*)$/s ? $1 : $_ }
        ($params{$label} // '') =~ /(\$\d+ = (?:NULL|'(?:[^']|'')*'))/g;
    return () unless defined $sql && length $args;
    my $out = eval {
        psql('BEGIN', @pre, $filler, 'ANALYZE sms_message', $sql,
             "EXPLAIN (FORMAT JSON) EXECUTE $label($args)",
             '\\o /dev/null', ("EXECUTE $label($args)") x 5, '\\o',
             "EXPLAIN (FORMAT JSON) EXECUTE $label($args)",
             'SET LOCAL plan_cache_mode = force_generic_plan',
             "EXPLAIN (FORMAT JSON) EXECUTE $label($args)", 'ROLLBACK');
    } // do { diag("plan of $label: $@"); '' };
    return $out =~ /(^\[.*?^\])/msg;    # three JSON arrays, one after the other
}

# a plan in one line: each node, its index and Index Cond
sub summary {
    my $plan = eval { JSON::PP->new->decode($_[0] // '') } or return 'none';
    return join ' > ', map {
        join ' ', grep { defined } $_->{'Node Type'}, $_->{'Index Name'}, $_->{'Index Cond'}
    } nodes($plan->[0]{Plan});
}

# 'index' when the plan takes one of the indexes with the column as its
# Index Cond (any of them for no column) and reads sms_message by no Seq Scan
sub verdict {
    my ($json, $indexes, $col) = @_;
    my $plan = eval { JSON::PP->new->decode($json // '') } or return 'no plan';
    my @n = nodes($plan->[0]{Plan});
    my %want = map { $_ => 1 } @$indexes;
    my $uses = grep {
        $want{$_->{'Index Name'} // ''}
            && (!$col || ($_->{'Index Cond'} // '') =~ /\b$col\b/)
    } @n;
    my $seq = grep {
        $_->{'Node Type'} eq 'Seq Scan' && ($_->{'Relation Name'} // '') eq 'sms_message'
    } @n;
    return $uses && !$seq ? 'index' : 'no';
}

for my $case (@cases) {
    my (undef, $label, $indexes, $col) = @$case;
    my @plans = plans_of($label);
    ok t_cmp(scalar @plans, 3, "${label}_planned_as_logged")
        or diag("$label: PREPARE " . ($prepare{$label} ? 'logged' : 'missing')
                . ', parameters ' . ($params{$label} // 'missing'));
    for my $mode (0 .. ($col ? 2 : 1)) {
        my $kind = ('first', 'seventh', 'generic')[$mode];
        ok t_cmp(verdict($plans[$mode], $indexes, $col), 'index',
                 "${label}_${kind}_plan_uses_" . join('_or_', @$indexes))
            or diag("$kind plan of $label: " . ($plans[$mode] // 'none'));
        diag("$kind plan of $label: " . summary($plans[$mode]));
    }
}

# the check can fail: without sms_message_to (dropped inside the
# transaction, so only there) the number is no Index Cond
my @plans = plans_of('sms_msg_list_phone', 'DROP INDEX sms_message_to');
ok t_cmp(join(' ', map { verdict($_, ['sms_message_to'], 'to_number') } @plans),
         'no no no', 'without_sms_message_to_the_check_fails');
ok t_cmp(scalar(grep { /\[(?:error|crit)\]/ } do {
    open my $e, '<', $server->{errlog} or die $!; <$e> }), 0, 'no_errors_in_this_servers_log');
