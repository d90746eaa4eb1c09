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

/* A list cursor: "<kind>:<position>" signed with key. kind names the list
 * (and, for a patient's thread, the patient: "conv:17"), so a cursor of
 * one list is refused by another. */
const char *sms_cursor_sign(const unsigned char *key, apr_size_t keylen,
                            const char *kind, const char *position,
                            apr_pool_t *p);

/* The position of a cursor of that kind signed with key, or APR_EINVAL. */
apr_status_t sms_cursor_open(const char **position, const unsigned char *key,
                             apr_size_t keylen, const char *kind,
                             const char *cursor, apr_pool_t *p);

/* Compare two byte strings in time that depends only on their length. */
int sms_token_equal(const void *a, const void *b, apr_size_t len);

/* Whether two NUL-terminated secrets are equal, compared through their
 * SHA-1 digests so the time depends on neither length. */
int sms_token_equal_str(const char *given, const char *want);

#endif /* SMS_TOKEN_H */
