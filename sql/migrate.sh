#!/bin/sh
# Apply the numbered migrations of sql/<driver>/ that a database lacks.
#   migrate.sh [--user USER] sqlite3 /var/lib/mod_sms/sms.db
#   migrate.sh pgsql "host=127.0.0.1 port=5432 dbname=sms user=sms"
# Each NNN_*.sql file records its own version in sms_schema.
#
# SQLite: httpd's children open the database read-write and create its
# -wal and -shm files beside it, so the folder and the files must belong to
# the user they run as. That user is --user, or, as root, the User of
# `apache2ctl -t -D DUMP_RUN_CFG` (APACHE_CONFDIR is honoured; then
# APACHE_RUN_USER of its envvars); for anyone else, the user running this
# script (an httpd started without root cannot switch users). As root, the
# folder is created if missing, and the folder and files are given to that
# user when the folder holds nothing but this database; otherwise this
# script changes nothing there and says which chown to run.
set -eu
usage="usage: migrate.sh [--user USER] sqlite3|pgsql PARAMS"
run_user=
while [ $# -gt 0 ]; do
    case $1 in
    --user) run_user=${2:?$usage}; shift 2 ;;
    --user=*) run_user=${1#--user=}; shift ;;
    --) shift; break ;;
    -*) echo "migrate.sh: unknown option $1; $usage" >&2; exit 2 ;;
    *) break ;;
    esac
done
driver=${1:?$usage}
params=${2:?$usage}
here=$(cd "$(dirname "$0")" && pwd)
# installed (make install): the migrations beside this script; in a
# source tree: sql/sqlite, sql/pgsql
sqldir() { if [ -d "$here/$1" ]; then echo "$here/$1"; else echo "$here/sql/$1"; fi; }

# The user httpd's children run as (see above); empty when unknown.
children_user() {
    if [ -n "$run_user" ]; then echo "$run_user"; return; fi
    if [ "$(id -u)" != 0 ]; then id -un; return; fi
    u=
    if command -v apache2ctl >/dev/null 2>&1; then
        u=$(apache2ctl -t -D DUMP_RUN_CFG 2>/dev/null |
            sed -n 's/^User: name="\([^"]*\)".*/\1/p')
    fi
    if [ -z "$u" ]; then
        envvars=${APACHE_CONFDIR:-/etc/apache2}/envvars
        [ -f "$envvars" ] && u=$(. "$envvars" >/dev/null 2>&1; echo "${APACHE_RUN_USER:-}")
    fi
    echo "$u"
}

case "$driver" in
sqlite3)
    command -v sqlite3 >/dev/null || { echo "migrate.sh: needs sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
    applied() { sqlite3 "$params" "SELECT version FROM sms_schema" 2>/dev/null || true; }
    apply() { sqlite3 -bail "$params" < "$1" >/dev/null; }
    dir=$(sqldir sqlite) ;;
pgsql)
    command -v psql >/dev/null || { echo "migrate.sh: needs psql (apt-get install postgresql-client)" >&2; exit 1; }
    applied() { psql -qtA -d "$params" -c "SELECT version FROM sms_schema" 2>/dev/null || true; }
    apply() { psql -q -v ON_ERROR_STOP=1 -d "$params" -f "$1" >/dev/null; }
    dir=$(sqldir pgsql) ;;
*)
    echo "migrate.sh: unknown driver '$driver' (sqlite3 or pgsql)" >&2; exit 1 ;;
esac

if [ "$driver" = sqlite3 ]; then
    user=$(children_user)
    if [ -z "$user" ]; then
        echo "migrate.sh: cannot tell which user httpd's children run as" \
             "(no apache2ctl, no APACHE_RUN_USER): pass --user USER" >&2
        exit 1
    fi
    id "$user" >/dev/null 2>&1 || { echo "migrate.sh: no such user '$user'" >&2; exit 1; }
    group=$(id -gn "$user")
    case $params in /*) db=$params ;; *) db=$(pwd)/$params ;; esac
    dbdir=$(dirname "$db")
    if [ ! -d "$dbdir" ]; then
        mkdir -p "$dbdir"
        chmod 750 "$dbdir"
    fi
fi

# every migration the database has not recorded, in order: not only those
# above its highest version (a database that has 8 but not 7, made while 7
# was being written elsewhere, gets 7)
have=" $(applied | tr '\n' ' ') "
for f in "$dir"/[0-9][0-9][0-9]_*.sql; do
    n=$(basename "$f" | cut -c1-3 | sed 's/^0*//')
    case $have in
    *" ${n:-0} "*) ;;
    *) apply "$f"
       echo "migrate.sh: applied $(basename "$f")" ;;
    esac
done
[ "$driver" = sqlite3 ] || exit 0

# ---- SQLite: the folder and the files belong to the children's user -------
base=$(basename "$db")
files="$db"
for x in -wal -shm -journal; do [ -e "$db$x" ] && files="$files $db$x"; done
owner() { stat -c %U "$1"; }
# can the children's user create files in the folder (-wal, -shm)?
writable() {
    if [ "$user" = "$(id -un)" ]; then test -w "$1"
    elif [ "$(id -u)" = 0 ]; then runuser -u "$user" -- test -w "$1"
    else [ "$(owner "$1")" = "$user" ]; fi
}
# the folder holds nothing but this database: it is the database's own
others=$(ls -A "$dbdir" | grep -v -x -e "$base" -e "$base-wal" -e "$base-shm" \
         -e "$base-journal" || true)
if [ "$(id -u)" = 0 ]; then
    for f in $files; do
        [ "$(owner "$f")" = "$user" ] || chown "$user:$group" "$f"
    done
    if ! writable "$dbdir" && [ -z "$others" ]; then
        chown "$user:$group" "$dbdir"
        echo "migrate.sh: $dbdir now belongs to $user:$group (the user" \
             "httpd's children run as)"
    fi
fi
bad=
for f in $files; do [ "$(owner "$f")" = "$user" ] || bad="$bad $f"; done
writable "$dbdir" || bad="$dbdir$bad"
[ -z "$bad" ] && exit 0
if [ -n "$others" ]; then
    echo "migrate.sh: httpd's children run as $user and cannot write $dbdir," \
         "which holds other files: give the database a folder of its own, or" \
         "run as root: chown $user:$group $dbdir $files" >&2
else
    echo "migrate.sh: httpd's children run as $user, but $bad" \
         "belong to someone else; run as root: chown -R $user:$group $dbdir" >&2
fi
exit 1
