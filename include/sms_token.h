/*
 * sms_token.h - signed opaque tokens (list cursors now, CSRF tokens
 * later): payload + HMAC-SHA1 under SMSSecret, base64url, compared in
 * constant time. httpd-free.
 */
#ifndef SMS_TOKEN_H
#define SMS_TOKEN_H

#include "sms_core.h"

/* "<base64url(payload)>.<base64url(mac)>" for payload under key. */
const char *sms_token_sign(const unsigned char *key, apr_size_t keylen,
                           const char *payload, apr_pool_t *p);

/* The payload of a token signed with key, or APR_EINVAL when the token is
 * malformed, longer than 1024 characters (payloads up to 700 bytes fit),
 * or its signature does not match or is not spelled as sign spells it. */
apr_status_t sms_token_verify(const char **payload, const unsigned char *key,
                              apr_size_t keylen, const char *token,
                              apr_pool_t *p);

/* Compare two byte strings in time that depends only on their length. */
int sms_token_equal(const void *a, const void *b, apr_size_t len);

#endif /* SMS_TOKEN_H */
