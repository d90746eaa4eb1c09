/*
 * sms_events.c - the host application's events: POST, sign, retry
 * (sms_events.h), and the SMSLowBalance check.
 *
 * Delivery is at least once: an event is marked delivered only after the
 * host's 2xx, so a host that took it but answered late (a timeout) gets
 * it again, with the same id. Per subject (a message, a number) only the
 * oldest undelivered event is ever claimed, so a subject's events arrive
 * in order; claims carry a lease, and several children or servers never
 * hold the same event.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sms_events.h"
#include "sms_provider.h"

#define CLAIM_LIMIT 100
#define BACKOFF_BASE apr_time_from_sec(1)
#define BACKOFF_MAX apr_time_from_sec(300)
#define KEEP_DELIVERED apr_time_from_sec(7 * 86400)
#define PURGE_EVERY apr_time_from_sec(3600)
#define SAY_EVERY apr_time_from_sec(60)
#define CLAIM_EVERY apr_time_from_sec(10)

const char *sms_events_signature(const unsigned char *key, apr_size_t keylen,
                                 apr_int64_t t, const char *body, apr_pool_t *p)
{
    const char *ts = apr_psprintf(p, "%" APR_INT64_T_FMT, t);
    const char *signed_text = apr_pstrcat(p, ts, ".", body, NULL);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;
    char *hex;

    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)signed_text,
         strlen(signed_text), mac, &len);
    hex = apr_palloc(p, 2 * len + 1);
    for (i = 0; i < len; i++) {
        hex[2 * i] = "0123456789abcdef"[mac[i] >> 4];
        hex[2 * i + 1] = "0123456789abcdef"[mac[i] & 15];
    }
    hex[2 * len] = '\0';
    return apr_pstrcat(p, "t=", ts, ",v1=", hex, NULL);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *id_or_null(apr_int64_t id)
{
    return id ? json_integer((json_int_t)id) : json_null();
}

/* The type's fields: message.final from the columns, the others from the
 * JSON stored with them and the columns they share. */
static json_t *event_data(const sms_hostevent_t *e)
{
    json_t *d = e->data ? json_loads(e->data, 0, NULL) : NULL;

    if (!strcmp(e->type, "message.final") || !d) {
        json_decref(d);
        return json_pack(
            "{s:o, s:o, s:o, s:o, s:o, s:o}", "message_id",
            id_or_null(e->message_id), "patient_id", str_or_null(e->patient_id),
            "to", str_or_null(e->number), "status", str_or_null(e->status),
            "error", str_or_null(e->detail), "batch_id",
            id_or_null(e->batch_id));
    }
    if (!strcmp(e->type, "inbound.received")) {
        json_object_set_new(d, "from", str_or_null(e->number));
        json_object_set_new(d, "reply_to", id_or_null(e->message_id));
    }
    else if (!strcmp(e->type, "optout.changed")) {
        json_object_set_new(d, "number", str_or_null(e->number));
    }
    return d;
}

char *sms_events_body(const sms_hostevent_t *e, apr_pool_t *p)
{
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:o}", "id",
                  apr_psprintf(p, "evt_%" APR_INT64_T_FMT "_%" APR_INT64_T_FMT,
                               e->id, (apr_int64_t)e->created_at),
                  "type", e->type, "created_at",
                  sms_time_format(e->created_at, p), "data", event_data(e));
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    char *out = s ? apr_pstrdup(p, s) : NULL;

    free(s);
    json_decref(j);
    return out;
}

static size_t discard(char *data, size_t size, size_t n, void *baton)
{
    (void)data;
    (void)baton;
    return size * n;
}

static apr_status_t curl_cleanup(void *h)
{
    curl_easy_cleanup(h);
    return APR_SUCCESS;
}

/* POST body to the host; NULL when it answered 2xx, else why not. */
static const char *post(sms_events_conf_t *c, const sms_hostevent_t *e,
                        const char *body, apr_pool_t *p)
{
    struct curl_slist *h = NULL;
    CURL *curl = c->curl;
    long status = 0;
    CURLcode rc;

    if (!curl) {
        if (!(curl = curl_easy_init())) {
            return "cannot make a libcurl handle";
        }
        c->curl = curl;
        apr_pool_cleanup_register(c->pool, curl, curl_cleanup,
                                  apr_pool_cleanup_null);
    }
    curl_easy_reset(curl);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(
        h,
        apr_pstrcat(p, "SMS-Signature: ",
                    sms_events_signature(c->secret, c->secret_len,
                                         apr_time_sec(apr_time_now()), body, p),
                    NULL));
    h = curl_slist_append(h, apr_psprintf(p,
                                          "SMS-Event-Id: evt_%" APR_INT64_T_FMT
                                          "_%" APR_INT64_T_FMT,
                                          e->id, (apr_int64_t)e->created_at));
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, c->url);
    sms_http_rules(curl,
                   (long)apr_time_as_msec(c->timeout < apr_time_from_sec(10)
                                              ? c->timeout
                                              : apr_time_from_sec(10)),
                   (long)apr_time_as_msec(c->timeout));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "mod_sms events");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    rc = curl_easy_perform(curl);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        return apr_pstrdup(p, curl_easy_strerror(rc));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300
               ? NULL
               : apr_psprintf(p, "the host answered HTTP %ld", status);
}

/* The wait before try n + 1 of an event: 1 s doubling up to 5 min, the
 * second half of it random, so that many events do not come back at
 * once. */
static apr_interval_time_t backoff(int attempts)
{
    apr_interval_time_t d = BACKOFF_BASE;
    unsigned int r = 0;

    while (--attempts > 0 && d < BACKOFF_MAX) {
        d *= 2;
    }
    d = d < BACKOFF_MAX ? d : BACKOFF_MAX;
    apr_generate_random_bytes((unsigned char *)&r, sizeof(r));
    return d / 2 + (apr_interval_time_t)(r % (unsigned int)(d / 2 + 1));
}

static int stopping(const sms_events_conf_t *c)
{
    return c->stop && *c->stop;
}

/* Deliver the events c->owner holds, in id order, while the lease leaves
 * room for a whole POST; *failed when the host failed one (that one
 * waits its backoff; the rest are given back). */
static apr_status_t deliver_claimed(int *delivered, int *failed, sms_db_t *db,
                                    sms_events_conf_t *c,
                                    apr_time_t lease_until, apr_pool_t *p)
{
    apr_array_header_t *evs;
    apr_status_t rv = sms_store_hostevent_claimed(&evs, db, c->owner, p);
    int i, n = 0;

    for (i = 0; rv == APR_SUCCESS && i < evs->nelts && !*failed; i++) {
        const sms_hostevent_t *e = &APR_ARRAY_IDX(evs, i, sms_hostevent_t);
        const char *body = sms_events_body(e, p), *why;

        if (stopping(c) ||
            apr_time_now() + c->timeout + apr_time_from_sec(2) > lease_until) {
            break; /* another sender may take the rest after the lease */
        }
        why = body ? post(c, e, body, p) : "cannot render the event";
        if (!why) {
            rv = sms_store_hostevent_done(db, e->id, c->owner, apr_time_now(),
                                          p);
            n++;
            continue;
        }
        *failed = 1;
        rv = sms_store_hostevent_retry(
            db, e->id, c->owner, apr_time_now() + backoff(e->attempts + 1), why,
            p);
        if (apr_time_now() - c->failing_said >= SAY_EVERY) {
            sms_log(SMS_LOG_WARNING, 0, p,
                    "events: the host did not take event %" APR_INT64_T_FMT
                    " (%s, try %d): %s; events wait and are tried again",
                    e->id, e->type, e->attempts + 1, why);
            c->failing_said = apr_time_now();
        }
    }
    *delivered += n;
    return rv;
}

apr_status_t sms_events_run(int *delivered, sms_db_t *db, sms_events_conf_t *c,
                            apr_time_t deadline, apr_pool_t *p)
{
    apr_interval_time_t lease = 2 * c->timeout + apr_time_from_sec(10);
    apr_status_t rv = APR_SUCCESS;
    int failed = 0;

    *delivered = 0;
    if (!c->url) {
        return APR_SUCCESS;
    }
    if (apr_time_now() - c->purged_at >= PURGE_EVERY) {
        c->purged_at = apr_time_now();
        rv = sms_store_hostevent_purge(db, c->purged_at - KEEP_DELIVERED, p);
    }
    while (rv == APR_SUCCESS && !failed && apr_time_now() < deadline &&
           !stopping(c)) {
        apr_time_t until = apr_time_now() + lease;
        apr_pool_t *round;
        int n = 0, released = 0;

        apr_pool_create(&round, p);
        rv = sms_store_hostevent_claim(&n, db, c->owner, apr_time_now(), until,
                                       CLAIM_LIMIT, round);
        if (rv == APR_SUCCESS && n > 0) {
            rv = deliver_claimed(delivered, &failed, db, c, until, round);
            /* what was not tried goes back now, not when the lease ends */
            sms_store_hostevent_release(&released, db, c->owner, round);
        }
        apr_pool_destroy(round);
        if (n == 0) {
            break;
        }
    }
    if (*delivered && !failed) {
        c->failing_said = 0;
    }
    return rv;
}

apr_status_t sms_events_balance_check(sms_db_t *db, sms_provider_t *pv,
                                      sms_events_conf_t *c, apr_pool_t *p)
{
    const char *prev = NULL;
    sms_error_t *err = NULL;
    apr_time_t now = apr_time_now(), at = 0;
    long credits = 0;
    int won = 0;
    apr_status_t rv;

    if (c->low_balance <= 0 || !pv || now < c->balance_next) {
        return APR_SUCCESS;
    }
    /* the shared claim is a write: not at every tick */
    c->balance_next =
        now +
        (c->balance_interval < CLAIM_EVERY ? c->balance_interval : CLAIM_EVERY);
    rv = sms_store_balance_claim(&won, db, now, c->balance_interval, p);
    if (rv != APR_SUCCESS || !won) {
        return rv;
    }
    rv = sms_provider_balance(&credits, &err, pv, p);
    if (rv == APR_ENOTIMPL) {
        return APR_SUCCESS; /* the sandbox has no balance */
    }
    if (rv != APR_SUCCESS) {
        sms_log(SMS_LOG_WARNING, 0, p,
                "SMSLowBalance: the provider's balance could not be read: %s",
                err && err->message ? err->message : "no answer");
        return APR_SUCCESS;
    }
    rv = sms_store_begin(db, p);
    if (rv == APR_SUCCESS) {
        rv = sms_store_state_get(&prev, &at, db, SMS_STATE_BALANCE, p);
    }
    if (rv == APR_SUCCESS) {
        rv = sms_store_state_set(db, SMS_STATE_BALANCE,
                                 apr_psprintf(p, "%ld", credits), now, p);
    }
    /* once each time it goes under, not at every check */
    if (rv == APR_SUCCESS && credits < c->low_balance &&
        (!prev || apr_atoi64(prev) >= c->low_balance)) {
        sms_log(SMS_LOG_WARNING, 0, p,
                "the provider's balance (%ld) is under SMSLowBalance "
                "%" APR_INT64_T_FMT,
                credits, c->low_balance);
        rv = sms_store_hostevent_balance(db, credits, c->low_balance, now, p);
    }
    return sms_store_end(db, rv == APR_SUCCESS, p) == APR_SUCCESS
               ? rv
               : APR_EGENERAL;
}
