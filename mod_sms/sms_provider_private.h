/*
 * sms_provider_private.h - the SMS Broadcast transport (sms_broadcast.c)
 * as the provider vtable (sms_provider.c) calls it. Core-internal.
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
apr_status_t sms_broadcast_balance(long *credits, sms_error_t **err,
                                   void *ctx, apr_pool_t *p);

#endif /* SMS_PROVIDER_PRIVATE_H */
