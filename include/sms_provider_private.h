/*
 * sms_provider_private.h - the transports (SMS Broadcast in sms_broadcast.c,
 * the sandbox in sms_sandbox.c) as the provider vtable (sms_provider.c)
 * calls them. Internal to provider/.
 */
#ifndef SMS_PROVIDER_PRIVATE_H
#define SMS_PROVIDER_PRIVATE_H

#include "sms_provider.h"

/* A transport for conf, living as long as pool; *ctx is opaque. */
apr_status_t sms_broadcast_open(void **ctx, const sms_provider_conf_t *conf,
                                apr_pool_t *pool);

/* One send request over libcurl; every recipient gets an outcome. */
void sms_broadcast_send(void *ctx, sms_send_req_t *req, apr_pool_t *p);

/* Credits left, or APR_EINVAL with *err (502). */
apr_status_t sms_broadcast_balance(long *credits, sms_error_t **err, void *ctx,
                                   apr_pool_t *p);

/* The sandbox (sms_sandbox.c): no state, no network, no credits. */
apr_status_t sms_sandbox_open(void **ctx, const sms_provider_conf_t *conf,
                              apr_pool_t *pool);
void sms_sandbox_send(void *ctx, sms_send_req_t *req, apr_pool_t *p);
apr_status_t sms_sandbox_balance(long *credits, sms_error_t **err, void *ctx,
                                 apr_pool_t *p);

#endif /* SMS_PROVIDER_PRIVATE_H */
