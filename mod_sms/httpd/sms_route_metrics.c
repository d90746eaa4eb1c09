/*
 * sms_route_metrics.c - GET /metrics/: the figures of sms_counters.c in
 * Prometheus's text exposition format (version 0.0.4). The database's
 * figures are the same on every server sharing it; the provider's are
 * this httpd's (every child's), counted since it started.
 */
#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct {
    apr_pool_t *p;
    apr_array_header_t *lines;
} text_t;

static void line(text_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void line(text_t *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    APR_ARRAY_PUSH(t->lines, const char *) = apr_pvsprintf(t->p, fmt, ap);
    va_end(ap);
}

static void family(text_t *t, const char *name, const char *type,
                   const char *help)
{
    line(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void database_figures(text_t *t, const sms_figures_t *f)
{
    const sms_store_figures_t *d = &f->db;
    int st;

    family(t, "sms_messages", "gauge",
           "Messages in the database by status "
           "(the same on every server sharing it).");
    for (st = 0; st < SMS_ST_COUNT; st++) {
        line(t, "sms_messages{status=\"%s\"} %" APR_INT64_T_FMT "\n",
             sms_status_name((sms_status_e)st), d->by_status[st]);
    }
    family(t, "sms_receipts_total", "counter",
           "Delivery receipts received and stored.");
    line(t, "sms_receipts_total %" APR_INT64_T_FMT "\n", d->receipts);
    family(t, "sms_replies_total", "counter",
           "Inbound messages (replies) received and stored.");
    line(t, "sms_replies_total %" APR_INT64_T_FMT "\n", d->replies);
    family(t, "sms_optouts", "gauge", "Numbers on the opt-out list.");
    line(t, "sms_optouts %" APR_INT64_T_FMT "\n", d->optouts);
    family(t, "sms_outbox_depth", "gauge",
           "Messages waiting for the "
           "provider: queued, scheduled or sending.");
    line(t, "sms_outbox_depth %" APR_INT64_T_FMT "\n",
         d->by_status[SMS_ST_QUEUED] + d->by_status[SMS_ST_SCHEDULED] +
             d->by_status[SMS_ST_SENDING]);
    family(t, "sms_outbox_due", "gauge",
           "Queued or scheduled messages that are due now.");
    line(t, "sms_outbox_due %" APR_INT64_T_FMT "\n", d->due);
    family(t, "sms_outbox_oldest_due_age_seconds", "gauge",
           "How long the "
           "oldest due message has been due (0 when none is).");
    line(t, "sms_outbox_oldest_due_age_seconds %.3f\n",
         d->oldest_due && f->now > d->oldest_due
             ? (double)(f->now - d->oldest_due) / APR_USEC_PER_SEC
             : 0.0);
    family(t, "sms_events_pending", "gauge",
           "Events for the host application (SMSEventURL) not delivered yet.");
    line(t, "sms_events_pending %" APR_INT64_T_FMT "\n", d->events_pending);
}

static void provider_figures(text_t *t, const sms_figures_t *f)
{
    const sms_counts_t *c = &f->pv;
    int k, i;

    family(t, "sms_provider_requests_total", "counter",
           "Provider requests "
           "of this httpd by kind and outcome (answered: the provider "
           "answered; transient, unknown, auth, error: see the README).");
    for (k = 0; k < SMS_CALL_KINDS; k++) {
        for (i = 0; i < SMS_CALL_OUTCOMES; i++) {
            line(t,
                 "sms_provider_requests_total{kind=\"%s\",outcome=\"%s\"}"
                 " %" APR_UINT64_T_FMT "\n",
                 sms_call_kind_names[k], sms_call_outcome_names[i],
                 c->requests[k][i]);
        }
    }
    family(t, "sms_provider_recipients_total", "counter",
           "Recipients of "
           "this httpd's send requests by outcome.");
    for (i = 1; i < SMS_RCPT_OUTCOMES; i++) {
        line(t,
             "sms_provider_recipients_total{outcome=\"%s\"} %" APR_UINT64_T_FMT
             "\n",
             sms_rcpt_outcome_names[i], c->recipients[i]);
    }
    family(t, "sms_provider_request_duration_seconds", "histogram",
           "Latency of this httpd's provider requests.");
    for (k = 0; k < SMS_CALL_KINDS; k++) {
        apr_uint64_t sum = 0;

        for (i = 0; i <= SMS_LATENCY_BUCKETS; i++) {
            sum += c->buckets[k][i];
            line(t,
                 "sms_provider_request_duration_seconds_bucket{kind=\"%s\","
                 "le=\"%s\"} %" APR_UINT64_T_FMT "\n",
                 sms_call_kind_names[k],
                 i < SMS_LATENCY_BUCKETS ? sms_latency_labels[i] : "+Inf", sum);
        }
        line(t,
             "sms_provider_request_duration_seconds_sum{kind=\"%s\"} %.6f\n"
             "sms_provider_request_duration_seconds_count{kind=\"%s\"} "
             "%" APR_UINT64_T_FMT "\n",
             sms_call_kind_names[k], (double)c->micros[k] / APR_USEC_PER_SEC,
             sms_call_kind_names[k], sum);
    }
    if (c->credits_at) {
        family(t, "sms_balance_credits", "gauge",
               "The provider's credits "
               "as it last answered this httpd's balance request.");
        line(t, "sms_balance_credits %" APR_INT64_T_FMT "\n",
             (apr_int64_t)c->credits);
        family(t, "sms_balance_updated_timestamp_seconds", "gauge",
               "When that balance was answered (Unix time).");
        line(t, "sms_balance_updated_timestamp_seconds %" APR_TIME_T_FMT "\n",
             apr_time_sec((apr_time_t)c->credits_at));
    }
}

int sms_route_metrics(sms_req *rq)
{
    request_rec *r = rq->r;
    int done = OK;
    sms_db_t *db = sms_db(rq, &done);
    sms_figures_t f;
    text_t t;

    if (!db) {
        return done;
    }
    if (sms_figures_read(&f, db, r->server, r->pool) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    t.p = r->pool;
    t.lines = apr_array_make(r->pool, 96, sizeof(const char *));
    database_figures(&t, &f);
    if (f.have_counts) {
        provider_figures(&t, &f);
    }
    ap_set_content_type(r, CONTENT_TYPE);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (!r->header_only) {
        ap_rputs(apr_array_pstrcat(r->pool, t.lines, '\0'), r);
    }
    return OK;
}
