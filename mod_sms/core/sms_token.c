/*
 * sms_token.c - HMAC-SHA1 (RFC 2104) signed tokens over apr-util's SHA-1.
 */
#include <string.h>

#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_sha1.h>
#include <apr_strings.h>

#include "sms_token.h"

#define BLOCK 64
#define MAX_TOKEN 1024

static void hmac_sha1(unsigned char out[APR_SHA1_DIGESTSIZE],
                      const unsigned char *key, apr_size_t keylen,
                      const char *msg, apr_size_t len)
{
    unsigned char k[BLOCK], pad[BLOCK], inner[APR_SHA1_DIGESTSIZE];
    apr_sha1_ctx_t ctx;
    int i;

    memset(k, 0, sizeof(k));
    if (keylen > BLOCK) {
        apr_sha1_init(&ctx);
        apr_sha1_update_binary(&ctx, key, (unsigned int)keylen);
        apr_sha1_final(k, &ctx);
    }
    else {
        memcpy(k, key, keylen);
    }
    for (i = 0; i < BLOCK; i++) {
        pad[i] = k[i] ^ 0x36;
    }
    apr_sha1_init(&ctx);
    apr_sha1_update_binary(&ctx, pad, BLOCK);
    apr_sha1_update_binary(&ctx, (const unsigned char *)msg, (unsigned int)len);
    apr_sha1_final(inner, &ctx);
    for (i = 0; i < BLOCK; i++) {
        pad[i] = k[i] ^ 0x5c;
    }
    apr_sha1_init(&ctx);
    apr_sha1_update_binary(&ctx, pad, BLOCK);
    apr_sha1_update_binary(&ctx, inner, APR_SHA1_DIGESTSIZE);
    apr_sha1_final(out, &ctx);
}

/* base64url without padding. */
static char *b64url(const unsigned char *data, apr_size_t len, apr_pool_t *p)
{
    char *out = apr_palloc(p, apr_base64_encode_len((int)len));
    int n = apr_base64_encode_binary(out, data, (int)len) - 1, i;

    while (n > 0 && out[n - 1] == '=') {
        n--;
    }
    out[n] = '\0';
    for (i = 0; i < n; i++) {
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    }
    return out;
}

/* Decode base64url (no padding); NULL when it is not that. */
static char *unb64url(const char *in, apr_size_t len, apr_size_t *outlen,
                      apr_pool_t *p)
{
    char *std = apr_palloc(p, len + 4), *out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        char c = in[i];
        if (!(apr_isalnum(c) || c == '-' || c == '_')) {
            return NULL;
        }
        std[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    while (i % 4) {
        std[i++] = '=';
    }
    std[i] = '\0';
    out = apr_palloc(p, apr_base64_decode_len(std) + 1);
    *outlen = (apr_size_t)apr_base64_decode_binary((unsigned char *)out, std);
    out[*outlen] = '\0';
    return out;
}

int sms_token_equal(const void *a, const void *b, apr_size_t len)
{
    const unsigned char *x = a, *y = b;
    unsigned char diff = 0;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        diff |= x[i] ^ y[i];
    }
    return diff == 0;
}

const char *sms_token_sign(const unsigned char *key, apr_size_t keylen,
                           const char *payload, apr_pool_t *p)
{
    unsigned char mac[APR_SHA1_DIGESTSIZE];
    const char *body =
        b64url((const unsigned char *)payload, strlen(payload), p);

    hmac_sha1(mac, key, keylen, body, strlen(body));
    return apr_pstrcat(p, body, ".", b64url(mac, sizeof(mac), p), NULL);
}

apr_status_t sms_token_verify(const char **payload, const unsigned char *key,
                              apr_size_t keylen, const char *token,
                              apr_pool_t *p)
{
    unsigned char mac[APR_SHA1_DIGESTSIZE];
    const char *dot = strchr(token, '.');
    apr_size_t n, len = strlen(token);
    char *given, *body;

    if (!dot || len > MAX_TOKEN || strchr(dot + 1, '.')) {
        return APR_EINVAL;
    }
    /* only the spelling sign produces: the last character of a 20-byte
     * MAC carries 2 unused bits that decoding would ignore */
    given = unb64url(dot + 1, strlen(dot + 1), &n, p);
    if (!given || n != sizeof(mac) ||
        strcmp(b64url((const unsigned char *)given, n, p), dot + 1)) {
        return APR_EINVAL;
    }
    hmac_sha1(mac, key, keylen, token, (apr_size_t)(dot - token));
    if (!sms_token_equal(mac, given, sizeof(mac))) {
        return APR_EINVAL;
    }
    body = unb64url(token, (apr_size_t)(dot - token), &n, p);
    if (!body || memchr(body, '\0', n)) {
        return APR_EINVAL;
    }
    *payload = body;
    return APR_SUCCESS;
}

const char *sms_cursor_sign(const unsigned char *key, apr_size_t keylen,
                            const char *kind, const char *position,
                            apr_pool_t *p)
{
    return sms_token_sign(key, keylen,
                          apr_pstrcat(p, kind, ":", position, NULL), p);
}

apr_status_t sms_cursor_open(const char **position, const unsigned char *key,
                             apr_size_t keylen, const char *kind,
                             const char *cursor, apr_pool_t *p)
{
    const char *payload;
    apr_size_t n = strlen(kind);

    if (sms_token_verify(&payload, key, keylen, cursor, p) != APR_SUCCESS ||
        strncmp(payload, kind, n) || payload[n] != ':') {
        return APR_EINVAL;
    }
    *position = payload + n + 1;
    return APR_SUCCESS;
}

int sms_token_equal_str(const char *given, const char *want)
{
    unsigned char a[APR_SHA1_DIGESTSIZE], b[APR_SHA1_DIGESTSIZE];
    apr_sha1_ctx_t c;

    /* digests of both: equal length whatever was given, so the time
     * tells nothing of the secret's length or where the two differ */
    apr_sha1_init(&c);
    apr_sha1_update_binary(&c, (const unsigned char *)given, strlen(given));
    apr_sha1_final(a, &c);
    apr_sha1_init(&c);
    apr_sha1_update_binary(&c, (const unsigned char *)want, strlen(want));
    apr_sha1_final(b, &c);
    return sms_token_equal(a, b, sizeof(a)) && strlen(given) == strlen(want);
}
