/*
 * sms_counters.c - the figures GET /metrics and mod_status show: provider
 * requests counted in a shared-memory segment (one slot per server, every
 * child of this httpd adds to it), and the database's figures beside them.
 *
 * Why two places: messages, receipts, replies and the outbox are rows
 * already, the same for every child and every server sharing the
 * database, so they are counted there when asked (one statement). Provider
 * requests and their latency leave no row; counting them in the database
 * would add a write per request, and counting them in a child's memory
 * would make each scrape show whichever child answered it. So they live in
 * an anonymous segment made by the parent in post_config, which every
 * child inherits: one figure per httpd, updated with atomic adds.
 */
#include <string.h>

#include <apr_shm.h>
#include <apr_strings.h>
#include <http_core.h>

#include "sms_httpd.h"

/* 64-bit counters shared by processes: the compiler's atomics, which are
 * lock-free on every target httpd runs on (apr_atomic's 64-bit calls may
 * fall back to a mutex of the calling process). */
#define ADD(x, v) __atomic_fetch_add(&(x), (apr_uint64_t)(v), __ATOMIC_RELAXED)
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (apr_uint64_t)(v), __ATOMIC_RELAXED)

const char *const sms_call_kind_names[SMS_CALL_KINDS] = {"send", "balance"};
const char *const sms_call_outcome_names[SMS_CALL_OUTCOMES] = {
    "answered", "transient", "unknown", "auth", "error"};
const char *const sms_rcpt_outcome_names[SMS_RCPT_OUTCOMES] = {
    NULL, "accepted", "rejected", "transient", "unknown", "auth", "error"};
/* upper bounds of the latency buckets, in microseconds and as Prometheus
 * writes them */
const apr_interval_time_t sms_latency_bounds[SMS_LATENCY_BUCKETS] = {
    50000,   100000,  250000,   500000,   1000000,
    2500000, 5000000, 10000000, 30000000, 60000000};
const char *const sms_latency_labels[SMS_LATENCY_BUCKETS] = {
    "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60"};

/* The servers of this generation, in the order of their slots. */
static server_rec **servers;
static int nservers;
static sms_counts_t *slots; /* in the shared segment, or NULL */

int sms_counters_create(apr_pool_t *pconf, server_rec *s)
{
    apr_shm_t *shm = NULL;
    apr_size_t size;
    apr_status_t rv;
    server_rec *v;
    int i = 0;

    for (v = s, nservers = 0; v; v = v->next) {
        nservers++;
    }
    servers = apr_pcalloc(pconf, nservers * sizeof(*servers));
    for (v = s; v; v = v->next) {
        servers[i++] = v;
    }
    size = nservers * sizeof(sms_counts_t);
    slots = NULL;
    rv = apr_shm_create(&shm, size, NULL, pconf);
    if (rv == APR_ENOTIMPL) { /* no anonymous segments here: a file */
        const char *file = ap_runtime_dir_relative(pconf, "mod_sms-counters");
        apr_shm_remove(file, pconf);
        rv = apr_shm_create(&shm, size, file, pconf);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     "mod_sms: no shared "
                     "memory for the provider counters; /metrics and "
                     "server-status show the database's figures only");
        return OK;
    }
    slots = apr_shm_baseaddr_get(shm);
    memset(slots, 0, size);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "counters: %d slot(s), %" APR_SIZE_T_FMT
                 " bytes of shared memory",
                 nservers, size);
    return OK;
}

static sms_counts_t *slot_of(server_rec *s)
{
    int i;

    for (i = 0; slots && i < nservers; i++) {
        if (servers[i] == s) {
            return &slots[i];
        }
    }
    return NULL;
}

/* What one request came to: "answered" when the provider answered line by
 * line (accepted or refused), else the request-level outcome it shares
 * with every recipient. */
static int send_outcome(const sms_send_req_t *req)
{
    int i, first = SMS_OUT_UNKNOWN;

    for (i = 0; req->recipients && i < req->recipients->nelts; i++) {
        const sms_recipient_t *rc =
            &APR_ARRAY_IDX(req->recipients, i, sms_recipient_t);
        if (rc->outcome == SMS_OUT_ACCEPTED ||
            rc->outcome == SMS_OUT_REJECTED) {
            return SMS_CALL_ANSWERED;
        }
        if (i == 0) {
            first = rc->outcome;
        }
    }
    switch (first) {
    case SMS_OUT_TRANSIENT:
        return SMS_CALL_TRANSIENT;
    case SMS_OUT_AUTH:
        return SMS_CALL_AUTH;
    case SMS_OUT_REQUEST_ERROR:
        return SMS_CALL_ERROR;
    default:
        return SMS_CALL_UNKNOWN;
    }
}

static void observe(void *baton, const sms_call_t *call)
{
    sms_counts_t *c = baton;
    int outcome, b, i;

    if (call->kind == SMS_CALL_SEND) {
        outcome = send_outcome(call->req);
        for (i = 0; call->req->recipients && i < call->req->recipients->nelts;
             i++) {
            int o = APR_ARRAY_IDX(call->req->recipients, i, sms_recipient_t)
                        .outcome;
            if (o > 0 && o < SMS_RCPT_OUTCOMES) {
                ADD(c->recipients[o], 1);
            }
        }
    }
    else if (call->rv == APR_SUCCESS) {
        outcome = SMS_CALL_ANSWERED;
        STORE(c->credits, (apr_int64_t)call->credits);
        STORE(c->credits_at, apr_time_now());
    }
    else {
        outcome = call->err && call->err->code &&
                          !strcmp(call->err->code, "provider_auth")
                      ? SMS_CALL_AUTH
                      : SMS_CALL_ERROR;
    }
    for (b = 0; b < SMS_LATENCY_BUCKETS; b++) {
        if (call->took <= sms_latency_bounds[b]) {
            break;
        }
    }
    ADD(c->buckets[call->kind][b], 1);
    ADD(c->micros[call->kind], call->took > 0 ? call->took : 0);
    ADD(c->requests[call->kind][outcome], 1);
}

void sms_counters_attach(sms_provider_t *pv, server_rec *s)
{
    sms_counts_t *c = slot_of(s);

    if (pv && c) {
        sms_provider_observe(pv, observe, c);
    }
}

void sms_counters_queued(server_rec *s, int n)
{
    sms_counts_t *c = slot_of(s);

    if (c && n > 0) {
        ADD(c->queued, n);
    }
}

apr_uint64_t sms_counters_queued_total(server_rec *s)
{
    sms_counts_t *c = slot_of(s);

    return c ? LOAD(c->queued) : 0;
}

/* A copy of server s's slot; 0 when there are no counters. */
static int counters_read(sms_counts_t *out, server_rec *s)
{
    sms_counts_t *c = slot_of(s);
    int k, i;

    memset(out, 0, sizeof(*out));
    if (!c) {
        return 0;
    }
    for (k = 0; k < SMS_CALL_KINDS; k++) {
        for (i = 0; i < SMS_CALL_OUTCOMES; i++) {
            out->requests[k][i] = LOAD(c->requests[k][i]);
        }
        for (i = 0; i <= SMS_LATENCY_BUCKETS; i++) {
            out->buckets[k][i] = LOAD(c->buckets[k][i]);
        }
        out->micros[k] = LOAD(c->micros[k]);
    }
    for (i = 0; i < SMS_RCPT_OUTCOMES; i++) {
        out->recipients[i] = LOAD(c->recipients[i]);
    }
    out->credits = LOAD(c->credits);
    out->credits_at = LOAD(c->credits_at);
    return 1;
}

apr_status_t sms_figures_read(sms_figures_t *f, sms_db_t *db, server_rec *s,
                              apr_pool_t *p)
{
    memset(f, 0, sizeof(*f));
    f->now = apr_time_now();
    f->have_counts = counters_read(&f->pv, s);
    return db ? sms_store_figures(&f->db, db, f->now, p) : APR_EGENERAL;
}
