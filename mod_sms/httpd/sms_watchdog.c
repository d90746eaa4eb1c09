/*
 * sms_watchdog.c - the provider of each child process and the
 * background sender: a mod_watchdog singleton that drains the outbox.
 */
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>
#include <apr_portable.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <mod_watchdog.h>

#include "sms_httpd.h"

#define SMS_WATCHDOG "mod_sms"
/* the host application's events: a thread of their own, so that a slow
 * or unreachable host never holds back the SMS outbox */
#define SMS_EVENTS_WATCHDOG "mod_sms-events"
#define RUN_BUDGET apr_time_from_sec(10)
/* how often the sender looks whether a request queued messages: a queued
 * send leaves within this, not within SMSQueueInterval (the look is two
 * loads from shared memory) */
#define WAKE_CHECK apr_time_from_msec(100)

static APR_OPTIONAL_FN_TYPE(ap_dbd_open) * dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) * dbd_close;
static char hostname[128];

/* A tick holds a pooled connection. When the child exits, mod_dbd's pool
 * (a subpool of the child pool) is destroyed before the watchdog thread
 * is joined, and a connection still out aborts the process: so the child
 * pool's pre-cleanup waits for a running tick and forbids new ones. The
 * flag is raised first: a running tick sees it after its provider call in
 * progress and ends there (a graceful restart does not wait for a whole
 * run, a stop does not kill the child in the middle of a later call). */
static apr_thread_mutex_t *tick_mutex, *events_mutex;
static volatile int stopping;

/* Servers whose sender's last run failed on the database (server_rec * ->
 * failing_t): while it keeps failing, each tick's store errors go to the
 * debug level and one warning a minute says so, not an error per tick.
 * Only the watchdog thread uses it. */
typedef struct {
    server_rec *s;
    apr_time_t since;
    apr_time_t said;
} failing_t;
static apr_hash_t *failing;
#define FAILING_REMINDER apr_time_from_sec(60)

static void note_run(server_rec *s, apr_status_t rv)
{
    failing_t *f = apr_hash_get(failing, &s, sizeof(s));
    apr_time_t now = apr_time_now();

    if (rv == APR_SUCCESS) {
        if (f && f->since) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s,
                         "sender: the "
                         "database answers again after %" APR_TIME_T_FMT " s",
                         apr_time_sec(now - f->since));
            f->since = 0;
        }
        return;
    }
    if (!f) { /* the key is the server_rec's address, kept in f */
        f = apr_pcalloc(apr_hash_pool_get(failing), sizeof(*f));
        f->s = s;
        apr_hash_set(failing, &f->s, sizeof(f->s), f);
    }
    if (!f->since) {
        f->since = f->said = now;
    }
    else if (now - f->said >= FAILING_REMINDER) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     "sender: the database "
                     "has failed for %" APR_TIME_T_FMT " s; queued messages "
                     "wait (errors at debug level meanwhile)",
                     apr_time_sec(now - f->since));
        f->said = now;
    }
}

static int is_failing(server_rec *s)
{
    failing_t *f = failing ? apr_hash_get(failing, &s, sizeof(s)) : NULL;

    return f && f->since;
}

static apr_status_t stop_ticks(void *data)
{
    (void)data;
    stopping = 1;
    if (tick_mutex) {
        apr_thread_mutex_lock(tick_mutex);
        apr_thread_mutex_unlock(tick_mutex);
    }
    if (events_mutex) {
        apr_thread_mutex_lock(events_mutex);
        apr_thread_mutex_unlock(events_mutex);
    }
    return APR_SUCCESS;
}

/* Is a run of server s's sender due: a request queued messages since the
 * last run (in any child of this httpd), or SMSQueueInterval has passed
 * (for the scheduled, the retried, and what other servers queued)? */
static int sender_due(server_rec *s, sms_server_conf *sc)
{
    apr_uint64_t queued = sms_counters_queued_total(s);
    apr_time_t now = apr_time_now();

    if (!sc->sender_ran) {
        /* the first run an interval after the child starts, as before
         * there were wake-ups: not while the other children open their
         * connections (and not before a request has checked the database
         * can be written: health's 503 for a folder the children cannot
         * write, t/install-debian) */
        sc->sender_ran = now;
        sc->sender_seen = queued;
        return 0;
    }
    if (queued == sc->sender_seen &&
        now - sc->sender_ran < sc->queue_interval - WAKE_CHECK / 2) {
        return 0;
    }
    sc->sender_seen = queued;
    sc->sender_ran = now;
    return 1;
}

/* One tick of the outbox for server s (its database, its provider). */
static apr_status_t sender_tick(int state, void *data, apr_pool_t *pool)
{
    server_rec *s = data;
    sms_server_conf *sc = ap_get_module_config(s->module_config, &sms_module);
    static apr_uint32_t schema_warned;
    ap_dbd_t *dbd;
    sms_db_t db;
    const char *why = NULL;
    int handed = 0;
    apr_status_t rv;

    if (state != AP_WATCHDOG_STATE_RUNNING || !sc->pv || !tick_mutex ||
        !sender_due(s, sc)) {
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(tick_mutex);
    if (stopping || !(dbd = dbd_open(pool, s))) {
        apr_thread_mutex_unlock(tick_mutex);
        return APR_SUCCESS; /* stopping, or mod_dbd has logged why */
    }
    rv = sms_db_adopt(&db, dbd, &why, pool);
    if (rv == APR_SUCCESS) {
        db.quiet = is_failing(s);
        db.hostevents = sc->event_url != NULL;
        rv = sms_sender_run(&handed, &db, sc->pv, &sc->sender,
                            apr_time_now() + RUN_BUDGET, pool);
        if (rv == APR_SUCCESS) { /* SMSLowBalance */
            rv = sms_events_balance_check(&db, sc->pv, &sc->events, pool);
        }
        if (failing) {
            note_run(s, rv);
        }
        if (handed) {
            ap_log_error(APLOG_MARK, APLOG_DEBUG, rv, s,
                         "sender: %d recipient(s) handed to the provider",
                         handed);
        }
    }
    else if (!schema_warned) {
        schema_warned = 1;
        /* our own codes mean nothing to APR: why says it all */
        ap_log_error(APLOG_MARK, APLOG_WARNING,
                     rv >= APR_OS_START_USERERR ? 0 : rv, s,
                     "sender idle for %s: %s", s->server_hostname, why);
    }
    dbd_close(s, dbd);
    apr_thread_mutex_unlock(tick_mutex);
    return APR_SUCCESS; /* anything else and we are never called again */
}

/* One tick of the host application's events for server s (SMSEventURL),
 * on the events' own watchdog thread. While the database fails, its
 * errors are logged once, then at debug (the sender says it fails). */
static apr_status_t events_tick(int state, void *data, apr_pool_t *pool)
{
    server_rec *s = data;
    sms_server_conf *sc = ap_get_module_config(s->module_config, &sms_module);
    ap_dbd_t *dbd;
    sms_db_t db;
    const char *why = NULL;
    int delivered = 0;
    apr_status_t rv;

    if (state != AP_WATCHDOG_STATE_RUNNING || !sc->event_url || !events_mutex) {
        return APR_SUCCESS;
    }
    apr_thread_mutex_lock(events_mutex);
    if (stopping || !(dbd = dbd_open(pool, s))) {
        apr_thread_mutex_unlock(events_mutex);
        return APR_SUCCESS;
    }
    if (sms_db_adopt(&db, dbd, &why, pool) == APR_SUCCESS) {
        db.quiet = sc->events.failing;
        db.hostevents = 1;
        rv = sms_events_run(&delivered, &db, &sc->events,
                            apr_time_now() + RUN_BUDGET, pool);
        sc->events.failing = rv != APR_SUCCESS;
        if (delivered) {
            ap_log_error(APLOG_MARK, APLOG_DEBUG, rv, s,
                         "events: %d delivered to the host application",
                         delivered);
        }
    }
    dbd_close(s, dbd);
    apr_thread_mutex_unlock(events_mutex);
    return APR_SUCCESS; /* anything else and we are never called again */
}

/* The events' watchdog, for the servers with SMSEventURL. */
static void events_register(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_callback =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    ap_watchdog_t *wd = NULL;
    server_rec *v;

    for (v = s; v; v = v->next) {
        sms_server_conf *sc =
            ap_get_module_config(v->module_config, &sms_module);
        if (!sc->event_url) {
            continue;
        }
        if (!wd && get_instance(&wd, SMS_EVENTS_WATCHDOG, 0, 1, pconf) !=
                       APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "mod_sms: cannot create the events' watchdog");
            return;
        }
        if (register_callback(wd, sc->queue_interval, v, events_tick) !=
            APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v,
                         "mod_sms: cannot register the events' sender");
        }
    }
}

void sms_sender_register(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) * get_instance;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) * register_callback;
    ap_watchdog_t *wd;
    apr_status_t rv;
    server_rec *v;

    dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    get_instance = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    register_callback = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (!get_instance || !register_callback || !dbd_open) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     "mod_sms: mod_watchdog is not loaded: queued messages "
                     "will not be sent");
        return;
    }
    rv = get_instance(&wd, SMS_WATCHDOG, 0, 1, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "mod_sms: cannot create the sender's watchdog");
        return;
    }
    for (v = s; v; v = v->next) {
        sms_server_conf *sc =
            ap_get_module_config(v->module_config, &sms_module);
        rv = register_callback(
            wd,
            sc->queue_interval < WAKE_CHECK ? sc->queue_interval : WAKE_CHECK,
            v, sender_tick);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, v,
                         "mod_sms: cannot register the sender");
        }
    }
    events_register(pconf, s);
}

void sms_sender_child_init(apr_pool_t *pchild, server_rec *s)
{
    server_rec *v;

    gethostname(hostname, sizeof(hostname) - 1);
    failing = apr_hash_make(pchild);
    if (apr_thread_mutex_create(&tick_mutex, APR_THREAD_MUTEX_DEFAULT,
                                pchild) == APR_SUCCESS &&
        apr_thread_mutex_create(&events_mutex, APR_THREAD_MUTEX_DEFAULT,
                                pchild) == APR_SUCCESS) {
        apr_pool_pre_cleanup_register(pchild, NULL, stop_ticks);
    }
    for (v = s; v; v = v->next) {
        sms_server_conf *sc =
            ap_get_module_config(v->module_config, &sms_module);
        sms_provider_conf_t pc;
        apr_status_t rv;

        pc.url = sc->broadcast_url;
        pc.username = sc->broadcast_user;
        pc.password = sc->broadcast_pass;
        pc.timeout = sc->provider_timeout;
        pc.connect_timeout = sc->provider_timeout < apr_time_from_sec(10)
                                 ? sc->provider_timeout
                                 : apr_time_from_sec(10);
        rv = sms_provider_create(
            &sc->pv,
            sc->provider == SMS_PROVIDER_BROADCAST ? "broadcast" : "sandbox",
            &pc, pchild);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, v,
                         "mod_sms: cannot set up the provider");
            sc->pv = NULL;
        }
        sms_counters_attach(sc->pv, v); /* GET /metrics, server-status */
        sc->sender.retry_limit = sc->retry_limit;
        sc->sender.retry_backoff = sc->retry_backoff;
        sc->sender.batch_size = sc->batch_size;
        sc->sender.rate_limit = sc->rate_limit;
        /* a claim or a call outlives the slowest provider answer and the
         * writes around it; after that another server may take it over */
        sc->sender.lease = 2 * sc->provider_timeout +
                           (sc->provider_timeout > apr_time_from_sec(5)
                                ? sc->provider_timeout
                                : apr_time_from_sec(5));
        sc->sender.pace = apr_pcalloc(pchild, sizeof(sms_pace_t));
        sc->sender.stop = &stopping;
        sc->sender.owner = apr_psprintf(pchild, "%s:%" APR_PID_T_FMT ":wd",
                                        hostname, getpid());
        sc->events.url = sc->event_url;
        sc->events.secret = sc->event_secret;
        sc->events.secret_len = sc->event_secret_len;
        sc->events.timeout = sc->event_timeout;
        sc->events.owner = sc->sender.owner;
        sc->events.stop = &stopping;
        sc->events.low_balance = sc->low_balance;
        sc->events.balance_interval = sc->balance_interval;
        sc->events.pool = pchild;
        ap_log_error(APLOG_MARK, APLOG_TRACE1, 0, v,
                     "sender for %s: %s, "
                     "batches of %d, rate limit %d/s, %d retries",
                     v->server_hostname, sms_provider_name(sc->pv),
                     sc->batch_size, sc->rate_limit, sc->retry_limit);
    }
}

const char *sms_request_owner(request_rec *r)
{
    return apr_psprintf(r->pool, "%s:%" APR_PID_T_FMT ":%lu", hostname,
                        getpid(), (unsigned long)apr_os_thread_current());
}
