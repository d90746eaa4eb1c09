#!/bin/sh
# Apply the numbered migrations of sql/<driver>/ that a database lacks.
#   sql/migrate.sh sqlite3 /path/to/sms.db
#   sql/migrate.sh pgsql "host=127.0.0.1 port=5432 dbname=sms user=sms"
# Each NNN_*.sql file records its own version in sms_schema.
set -eu
driver=${1:?usage: migrate.sh sqlite3|pgsql PARAMS}
params=${2:?usage: migrate.sh sqlite3|pgsql PARAMS}
here=$(cd "$(dirname "$0")" && pwd)

case "$driver" in
sqlite3)
    command -v sqlite3 >/dev/null || { echo "migrate.sh: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
    current() { sqlite3 "$params" "SELECT coalesce(max(version), 0) FROM sms_schema" 2>/dev/null || echo 0; }
    apply() { sqlite3 -bail "$params" < "$1" >/dev/null; }
    dir=$here/sqlite ;;
pgsql)
    command -v psql >/dev/null || { echo "migrate.sh: needs psql (apt-get install postgresql-client)" >&2; exit 1; }
    current() { psql -qtA -d "$params" -c "SELECT coalesce(max(version), 0) FROM sms_schema" 2>/dev/null || echo 0; }
    apply() { psql -q -v ON_ERROR_STOP=1 -d "$params" -f "$1" >/dev/null; }
    dir=$here/pgsql ;;
*)
    echo "migrate.sh: unknown driver '$driver' (sqlite3 or pgsql)" >&2; exit 1 ;;
esac

have=$(current)
for f in "$dir"/[0-9][0-9][0-9]_*.sql; do
    n=$(basename "$f" | cut -c1-3 | sed 's/^0*//')
    if [ "${n:-0}" -gt "$have" ]; then
        apply "$f"
        echo "migrate.sh: applied $(basename "$f")"
    fi
done
