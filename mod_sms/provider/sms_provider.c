/*
 * sms_provider.c - the provider vtable: "broadcast" (SMS Broadcast over
 * libcurl, in sms_broadcast.c) and "sandbox" (sms_sandbox.c: no network,
 * every recipient accepted, delivery simulated by the caller).
 */
#include <string.h>

#include <apr_strings.h>

#include <curl/curl.h>

#include "sms_provider_private.h"

typedef struct {
    const char *name;
    int simulates_dlr;
    /* ctx for the provider's life in pool; conf may be NULL (sandbox) */
    apr_status_t (*open)(void **ctx, const sms_provider_conf_t *conf,
                         apr_pool_t *pool);
    /* one request; sets every recipient's outcome */
    void (*send_batch)(void *ctx, sms_send_req_t *req, apr_pool_t *p);
    apr_status_t (*balance)(long *credits, sms_error_t **err, void *ctx,
                            apr_pool_t *p);
} provider_vtable_t;

struct sms_provider_t {
    const provider_vtable_t *vt;
    void *ctx;
    sms_provider_observer_fn *observer;
    void *baton;
};

static const provider_vtable_t providers[] = {
    {"broadcast", 0, sms_broadcast_open, sms_broadcast_send,
     sms_broadcast_balance},
    {"sandbox", 1, sms_sandbox_open, sms_sandbox_send, sms_sandbox_balance}};

apr_status_t sms_provider_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? APR_SUCCESS
                                                             : APR_EGENERAL;
}

apr_status_t sms_provider_create(sms_provider_t **out, const char *name,
                                 const sms_provider_conf_t *conf,
                                 apr_pool_t *pool)
{
    apr_size_t i;

    *out = NULL;
    for (i = 0; name && i < sizeof(providers) / sizeof(*providers); i++) {
        if (!strcmp(providers[i].name, name)) {
            sms_provider_t *pv = apr_pcalloc(pool, sizeof(*pv));
            apr_status_t rv;

            pv->vt = &providers[i];
            if ((rv = pv->vt->open(&pv->ctx, conf, pool)) != APR_SUCCESS) {
                return rv;
            }
            *out = pv;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}

const char *sms_provider_name(const sms_provider_t *pv)
{
    return pv->vt->name;
}

int sms_provider_simulates_dlr(const sms_provider_t *pv)
{
    return pv->vt->simulates_dlr;
}

void sms_provider_send(sms_provider_t *pv, sms_send_req_t *req, apr_pool_t *p)
{
    apr_time_t start;
    int i;

    if (!req->recipients) {
        return;
    }
    for (i = 0; i < req->recipients->nelts; i++) {
        sms_recipient_t *rc =
            &APR_ARRAY_IDX(req->recipients, i, sms_recipient_t);
        rc->outcome = SMS_OUT_PENDING;
        rc->external_id = NULL;
        rc->detail = NULL;
    }
    if (!req->recipients->nelts) {
        return;
    }
    start = apr_time_now();
    pv->vt->send_batch(pv->ctx, req, p);
    /* the promise of the header, whatever a provider forgot */
    for (i = 0; i < req->recipients->nelts; i++) {
        sms_recipient_t *rc =
            &APR_ARRAY_IDX(req->recipients, i, sms_recipient_t);
        if (rc->outcome == SMS_OUT_PENDING) {
            rc->outcome = SMS_OUT_UNKNOWN;
            rc->detail = "the provider gave no outcome";
        }
    }
    if (pv->observer) {
        sms_call_t call;

        memset(&call, 0, sizeof(call));
        call.kind = SMS_CALL_SEND;
        call.took = apr_time_now() - start;
        call.req = req;
        pv->observer(pv->baton, &call);
    }
}

apr_status_t sms_provider_balance(long *credits, sms_error_t **err,
                                  sms_provider_t *pv, apr_pool_t *p)
{
    apr_time_t start = apr_time_now();
    apr_status_t rv = pv->vt->balance(credits, err, pv->ctx, p);

    if (pv->observer && rv != APR_ENOTIMPL) {
        sms_call_t call;

        memset(&call, 0, sizeof(call));
        call.kind = SMS_CALL_BALANCE;
        call.took = apr_time_now() - start;
        call.rv = rv;
        call.err = rv != APR_SUCCESS && err ? *err : NULL;
        call.credits = rv == APR_SUCCESS ? *credits : 0;
        pv->observer(pv->baton, &call);
    }
    return rv;
}

void sms_provider_observe(sms_provider_t *pv, sms_provider_observer_fn *fn,
                          void *baton)
{
    pv->observer = fn;
    pv->baton = baton;
}

void sms_http_rules(void *curl, long connect_ms, long total_ms)
{
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https,http");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS,
                     (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#endif
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, total_ms);
}
