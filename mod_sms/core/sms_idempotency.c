/*
 * sms_idempotency.c - the Idempotency-Key rules.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_sha1.h>
#include <apr_strings.h>

#include "sms_idempotency.h"

apr_status_t sms_idem_check_key(sms_error_t **err, const char *key,
                                apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; key[i] && key[i] >= 0x21 && key[i] <= 0x7e; i++)
        ;
    if (key[i] || i == 0 || i > SMS_IDEM_KEY_MAX) {
        *err = sms_error_make(p, 400, "invalid_json", "Idempotency-Key",
                              "the Idempotency-Key header must be 1 to %d "
                              "visible ASCII characters",
                              SMS_IDEM_KEY_MAX);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

const char *sms_idem_hash(const char *route, json_t *body, apr_pool_t *p)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    char *hex = apr_palloc(p, 2 * APR_SHA1_DIGESTSIZE + 1);
    apr_sha1_ctx_t ctx;
    int i;

    apr_sha1_init(&ctx);
    apr_sha1_update(&ctx, route, (unsigned int)strlen(route));
    apr_sha1_update(&ctx, "\n", 1);
    if (text) {
        apr_sha1_update(&ctx, text, (unsigned int)strlen(text));
        free(text);
    }
    apr_sha1_final(digest, &ctx);
    for (i = 0; i < APR_SHA1_DIGESTSIZE; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return hex;
}

sms_idem_verdict_e sms_idem_decide(sms_error_t **err, const char *stored_hash,
                                   int stored_status, const char *hash,
                                   apr_pool_t *p)
{
    if (strcmp(stored_hash, hash)) {
        *err = sms_error_make(p, 409, "idempotency_conflict", "Idempotency-Key",
                              "this Idempotency-Key was "
                              "used for a different request");
        return SMS_IDEM_CONFLICT;
    }
    if (!stored_status) {
        *err = sms_error_make(p, 409, "idempotency_conflict", "Idempotency-Key",
                              "the first request with "
                              "this Idempotency-Key is still running");
        return SMS_IDEM_CONFLICT;
    }
    return SMS_IDEM_REPLAY;
}

int sms_idem_keeps(int status)
{
    return status > 0 && status < 500;
}
