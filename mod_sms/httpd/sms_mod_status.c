/*
 * sms_mod_status.c - a "mod_sms" section on mod_status's server-status
 * page, and "SMS..." lines in its ?auto form, through mod_status's
 * optional status_hook: the figures GET /metrics shows (sms_counters.c),
 * for the server that answers the request.
 */
#include <ctype.h>

#include <apr_strings.h>
#include <http_protocol.h>
#include <mod_status.h>

#include "sms_httpd.h"

typedef struct {
    const char *key;   /* ?auto: "SMS" + key */
    const char *label; /* the HTML page */
    const char *value;
} figure_t;

static void add(apr_array_header_t *a, const char *key, const char *label,
                const char *value)
{
    figure_t *x = apr_array_push(a);

    x->key = key;
    x->label = label;
    x->value = value;
}

static const char *num(apr_pool_t *p, apr_int64_t n)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, n);
}

/* "delivered" -> "Delivered" */
static const char *capital(apr_pool_t *p, const char *s)
{
    char *c = apr_pstrdup(p, s);

    c[0] = (char)toupper((unsigned char)c[0]);
    return c;
}

static void database_figures(apr_array_header_t *a, const sms_figures_t *f,
                             apr_pool_t *p)
{
    const sms_store_figures_t *d = &f->db;
    int st;

    for (st = 0; st < SMS_ST_COUNT; st++) {
        const char *name = sms_status_name((sms_status_e)st);
        add(a, apr_pstrcat(p, "Messages", capital(p, name), NULL),
            apr_pstrcat(p, "messages ", name, NULL), num(p, d->by_status[st]));
    }
    add(a, "Receipts", "delivery receipts received", num(p, d->receipts));
    add(a, "Replies", "replies received", num(p, d->replies));
    add(a, "OptOuts", "numbers opted out", num(p, d->optouts));
    add(a, "OutboxDepth", "outbox (queued, scheduled, sending)",
        num(p, d->by_status[SMS_ST_QUEUED] + d->by_status[SMS_ST_SCHEDULED] +
                   d->by_status[SMS_ST_SENDING]));
    add(a, "OutboxDue", "due now", num(p, d->due));
    add(a, "OutboxOldestDueSeconds", "oldest due for (seconds)",
        num(p, d->oldest_due && f->now > d->oldest_due
                   ? apr_time_sec(f->now - d->oldest_due)
                   : 0));
    add(a, "EventsPending", "host events not delivered yet",
        num(p, d->events_pending));
}

static void provider_figures(apr_array_header_t *a, const sms_figures_t *f,
                             apr_pool_t *p)
{
    const sms_counts_t *c = &f->pv;
    int k, i;

    for (k = 0; k < SMS_CALL_KINDS; k++) {
        const char *kind = sms_call_kind_names[k];
        apr_uint64_t n = 0;

        for (i = 0; i < SMS_CALL_OUTCOMES; i++) {
            const char *o = sms_call_outcome_names[i];
            n += c->requests[k][i];
            add(a,
                apr_pstrcat(p, "Provider", capital(p, kind), capital(p, o),
                            NULL),
                apr_pstrcat(p, "provider ", kind, " requests ", o, NULL),
                num(p, (apr_int64_t)c->requests[k][i]));
        }
        add(a, apr_pstrcat(p, "Provider", capital(p, kind), "MeanMs", NULL),
            apr_pstrcat(p, "provider ", kind, " request mean latency (ms)",
                        NULL),
            num(p, n ? (apr_int64_t)(c->micros[k] / n / 1000) : 0));
    }
    for (i = 1; i < SMS_RCPT_OUTCOMES; i++) {
        const char *o = sms_rcpt_outcome_names[i];
        add(a, apr_pstrcat(p, "Recipients", capital(p, o), NULL),
            apr_pstrcat(p, "recipients ", o, NULL),
            num(p, (apr_int64_t)c->recipients[i]));
    }
    if (c->credits_at) {
        add(a, "BalanceCredits", "balance (last answered)",
            num(p, (apr_int64_t)c->credits));
    }
}

static int status_hook(request_rec *r, int flags)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *acquire =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    ap_dbd_t *dbd = acquire ? acquire(r) : NULL;
    apr_array_header_t *a = apr_array_make(r->pool, 48, sizeof(figure_t));
    const char *why = NULL;
    sms_figures_t f;
    sms_db_t db, *dbp = NULL;
    int storage, i;

    if (dbd && sms_db_adopt(&db, dbd, &why, r->pool) == APR_SUCCESS) {
        dbp = &db;
    }
    storage = sms_figures_read(&f, dbp, r->server, r->pool) == APR_SUCCESS;
    add(a, "Storage", "storage", storage ? "ok" : "unavailable");
    if (storage) {
        database_figures(a, &f, r->pool);
    }
    if (f.have_counts) {
        provider_figures(a, &f, r->pool);
    }
    if (flags & AP_STATUS_SHORT) {
        for (i = 0; i < a->nelts; i++) {
            const figure_t *x = &APR_ARRAY_IDX(a, i, figure_t);
            ap_rvputs(r, "SMS", x->key, ": ", x->value, "\n", NULL);
        }
        return OK;
    }
    ap_rputs("<hr />\n<h2>mod_sms</h2>\n<dl>\n", r);
    for (i = 0; i < a->nelts; i++) {
        const figure_t *x = &APR_ARRAY_IDX(a, i, figure_t);
        ap_rvputs(r, "<dt>", x->label, "</dt><dd>", x->value, "</dd>\n", NULL);
    }
    ap_rputs("</dl>\n<p>Messages, receipts, replies and the outbox: the "
             "database (every server sharing it); provider requests: this "
             "server since httpd started. The same figures: "
             "GET /api/sms/metrics.</p>\n",
             r);
    return OK;
}

void sms_status_register(void)
{
    APR_OPTIONAL_HOOK(ap, status_hook, status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
