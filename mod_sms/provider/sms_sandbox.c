/*
 * sms_sandbox.c - the "sandbox" provider: no network; every recipient is
 * accepted as "sandbox-<message id>" and the caller simulates receipts.
 */
#include <apr_strings.h>

#include "sms_provider_private.h"

/* The sandbox needs no state. */
apr_status_t sms_sandbox_open(void **ctx, const sms_provider_conf_t *conf,
                              apr_pool_t *pool)
{
    (void)conf;
    (void)pool;
    *ctx = NULL;
    return APR_SUCCESS;
}

/* Accept everyone, as "sandbox-<message id>". */
void sms_sandbox_send(void *ctx, sms_send_req_t *req, apr_pool_t *p)
{
    int i;

    (void)ctx;
    for (i = 0; i < req->recipients->nelts; i++) {
        sms_recipient_t *rc =
            &APR_ARRAY_IDX(req->recipients, i, sms_recipient_t);
        rc->outcome = SMS_OUT_ACCEPTED;
        rc->external_id =
            apr_psprintf(p, "sandbox-%" APR_INT64_T_FMT, rc->message_id);
        rc->detail = NULL;
    }
    sms_log(SMS_LOG_DEBUG, 0, p, "sandbox: %d recipient(s) accepted",
            req->recipients->nelts);
}

/* The sandbox has no credits to tell: the caller shows "sandbox". */
apr_status_t sms_sandbox_balance(long *credits, sms_error_t **err, void *ctx,
                                 apr_pool_t *p)
{
    (void)credits;
    (void)ctx;
    (void)p;
    *err = NULL;
    return APR_ENOTIMPL;
}
