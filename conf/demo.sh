#!/bin/sh
# The demo site of mod_sms: `make run` / `make start` / `make stop` call
#   conf/demo.sh run|start|stop
# with SMS_SRCDIR, SMS_MODULE, HTTPD, APXS and SMS_RUNDIR set by make.
# Honours SMS_PORT (8080), SMS_PROVIDER (sandbox|broadcast),
# SMS_BROADCAST_URL/USERNAME/PASSWORD, SMS_WEBHOOK_SECRET, and
# SMS_DBD_DRIVER/SMS_DBD_PARAMS (default: SQLite in $SMS_RUNDIR/state).
set -eu
cmd=${1:?usage: demo.sh run|start|stop}
: "${SMS_SRCDIR:?}" "${SMS_MODULE:?}" "${HTTPD:?}" "${APXS:?}" "${SMS_RUNDIR:?}"
export SMS_SRCDIR SMS_MODULE SMS_RUNDIR
export SMS_PORT=${SMS_PORT:-8080}
export SMS_MODDIR="$("$APXS" -q LIBEXECDIR)"
state=$SMS_RUNDIR/state
# SMS_CONF: another configuration that includes demo.conf (t/bench does)
conf=${SMS_CONF:-$SMS_SRCDIR/conf/demo.conf}

if [ "$cmd" = stop ]; then
    if [ ! -f "$SMS_RUNDIR/httpd.pid" ]; then
        moved=/var/tmp/mod_sms-demo-$(echo "$SMS_RUNDIR" | cksum | cut -d' ' -f1)
        [ -f "$moved/httpd.pid" ] && SMS_RUNDIR=$moved
    fi
    if [ -f "$SMS_RUNDIR/httpd.pid" ]; then
        pid=$(cat "$SMS_RUNDIR/httpd.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        echo "mod_sms demo stopped"
    else
        echo "mod_sms demo is not running (no $SMS_RUNDIR/httpd.pid)"
    fi
    exit 0
fi

# As root, children run as www-data (or nobody): they must reach the state
# (SQLite writes beside the database) and the pages, so a run folder that
# user cannot enter (a clone in /root, say) moves to /var/tmp.
if [ "$(id -u)" = 0 ]; then
    if id www-data >/dev/null 2>&1; then SMS_USER=www-data; else SMS_USER=nobody; fi
    SMS_GROUP=$(id -gn "$SMS_USER")
    mkdir -p "$SMS_RUNDIR"
    if ! runuser -u "$SMS_USER" -- test -x "$SMS_RUNDIR"; then
        SMS_RUNDIR=/var/tmp/mod_sms-demo-$(echo "$SMS_RUNDIR" | cksum | cut -d' ' -f1)
        echo "note: $SMS_USER cannot enter the run folder; using $SMS_RUNDIR"
        export SMS_RUNDIR
        state=$SMS_RUNDIR/state
    fi
else
    SMS_USER=$(id -un) SMS_GROUP=$(id -gn)
fi
export SMS_USER SMS_GROUP
mkdir -p "$state" "$SMS_RUNDIR/logs" "$SMS_RUNDIR/htdocs"
cp "$SMS_SRCDIR"/conf/htdocs/* "$SMS_RUNDIR/htdocs/"

random_key() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
[ -s "$state/sms.key" ] || random_key > "$state/sms.key"
[ -s "$state/webhook.secret" ] || random_key > "$state/webhook.secret"
[ -s "$state/site.passphrase" ] || random_key > "$state/site.passphrase"
# three users, one per role (conf/mod_sms-roles.conf.example): demo is
# the supervisor; the password is the user name
[ -s "$state/htpasswd" ] || htpasswd -bcB "$state/htpasswd" demo demo 2>/dev/null
for u in reception clinician; do
    grep -q "^$u:" "$state/htpasswd" || htpasswd -bB "$state/htpasswd" "$u" "$u" 2>/dev/null
done
mkdir -p "$SMS_RUNDIR/mod_sms"
printf 'reception: reception\nclinicians: clinician\nsupervisors: demo\n' \
    > "$SMS_RUNDIR/mod_sms/staff.groups"
export SMS_WEBHOOK_SECRET=${SMS_WEBHOOK_SECRET:-$(cat "$state/webhook.secret")}
export SMS_SITE_PASSPHRASE="$(cat "$state/site.passphrase")"

export SMS_DBD_DRIVER=${SMS_DBD_DRIVER:-sqlite3}
defines=
if [ "$SMS_DBD_DRIVER" = sqlite3 ]; then
    export SMS_DBD_PARAMS=${SMS_DBD_PARAMS:-$state/sms.db}
    defines="$defines -D SMS_SQLITE"
else
    : "${SMS_DBD_PARAMS:?set SMS_DBD_PARAMS for $SMS_DBD_DRIVER}"
fi
# the children's user owns the state folder before the database is made
[ "$(id -u)" = 0 ] && chown -R "$SMS_USER:$SMS_GROUP" "$state"
sh "$SMS_SRCDIR/sql/migrate.sh" --user "$SMS_USER" "$SMS_DBD_DRIVER" "$SMS_DBD_PARAMS"
# demo patients, once, into an empty reference table; who may see them
# (SMSPatientAccessQuery reference), once, into an empty access table
if [ "$SMS_DBD_DRIVER" = sqlite3 ]; then
    if [ "$(sqlite3 "$SMS_DBD_PARAMS" 'SELECT count(*) FROM sms_patient')" = 0 ]; then
        sqlite3 -bail "$SMS_DBD_PARAMS" < "$SMS_SRCDIR/conf/demo-patients.sql"
        sqlite3 -bail "$SMS_DBD_PARAMS" < "$SMS_SRCDIR/conf/demo-history.sql"
    fi
    if [ "$(sqlite3 "$SMS_DBD_PARAMS" 'SELECT count(*) FROM sms_patient_access')" = 0 ]; then
        sqlite3 -bail "$SMS_DBD_PARAMS" < "$SMS_SRCDIR/conf/demo-access.sql"
    fi
else
    if [ "$(psql -qtAX -d "$SMS_DBD_PARAMS" -c 'SELECT count(*) FROM sms_patient')" = 0 ]; then
        psql -q -v ON_ERROR_STOP=1 -d "$SMS_DBD_PARAMS" -f "$SMS_SRCDIR/conf/demo-patients.sql"
        psql -q -v ON_ERROR_STOP=1 -d "$SMS_DBD_PARAMS" -f "$SMS_SRCDIR/conf/demo-history.sql"
    fi
    if [ "$(psql -qtAX -d "$SMS_DBD_PARAMS" -c 'SELECT count(*) FROM sms_patient_access')" = 0 ]; then
        psql -q -v ON_ERROR_STOP=1 -d "$SMS_DBD_PARAMS" -f "$SMS_SRCDIR/conf/demo-access.sql"
    fi
fi

if [ "${SMS_PROVIDER:-sandbox}" = broadcast ]; then
    export SMS_BROADCAST_URL=${SMS_BROADCAST_URL:-https://api.smsbroadcast.com.au/api-adv.php}
    : "${SMS_BROADCAST_USERNAME:?SMS_PROVIDER=broadcast needs SMS_BROADCAST_USERNAME}"
    : "${SMS_BROADCAST_PASSWORD:?SMS_PROVIDER=broadcast needs SMS_BROADCAST_PASSWORD}"
    export SMS_BROADCAST_USERNAME SMS_BROADCAST_PASSWORD
    defines="$defines -D SMS_BROADCAST"
fi
if [ "$(id -u)" = 0 ]; then
    chown -R "$SMS_USER:$SMS_GROUP" "$state" "$SMS_RUNDIR/logs"
    chmod 755 "$SMS_RUNDIR"
fi

"$HTTPD" -t -f "$conf" $defines >/dev/null
cat <<MSG
mod_sms demo on http://127.0.0.1:$SMS_PORT/  (log in: demo / demo, the
  supervisor; reception / reception and clinician / clinician see less)
  provider ${SMS_PROVIDER:-sandbox}, storage $SMS_DBD_DRIVER, state in $SMS_RUNDIR
  webhooks: http://127.0.0.1:$SMS_PORT/api/sms/webhook/dlr/?secret=$SMS_WEBHOOK_SECRET
MSG
case "$cmd" in
run)
    exec "$HTTPD" -f "$conf" $defines -D SMS_FOREGROUND -D FOREGROUND ;;
start)
    "$HTTPD" -f "$conf" $defines -k start
    for _ in $(seq 50); do [ -s "$SMS_RUNDIR/httpd.pid" ] && break; sleep 0.1; done
    echo "started (pid $(cat "$SMS_RUNDIR/httpd.pid")); make stop to stop" ;;
*)
    echo "demo.sh: unknown command $cmd" >&2; exit 2 ;;
esac
