/*
 * fuzz_token.c - signed tokens (CSRF tokens, list cursors): sms_token_sign
 * and sms_token_verify. Input: one byte for the key length, the key, two
 * bytes that say where and how to change the signed token, then the
 * payload; the whole input is also tried as a token.
 *
 * Properties: sign -> verify round-trips the payload (within the length
 * verify takes, 1024 characters); a token changed in
 * any way is refused; a token made up by the fuzzer is accepted only if
 * it is exactly what sign produces for the payload verify returns (so
 * verify never accepts a token sign did not make with the key); the same
 * token under another key is refused.
 */
#include <apr_strings.h>

#include "fuzz.h"
#include "sms_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_input_pool();
    const unsigned char *key;
    unsigned char *other;
    const char *token, *payload, *got;
    char *changed, *whole;
    apr_size_t keylen, at;
    uint8_t flip;

    if (size < 3) {
        return 0;
    }
    keylen = data[0] % 80;
    if (size < 3 + keylen) {
        return 0;
    }
    key = data + 1;
    at = data[1 + keylen];
    flip = data[2 + keylen];
    payload = fuzz_cstr(data + 3 + keylen, size - 3 - keylen);

    token = sms_token_sign(key, keylen, payload, p);
    if (strlen(token) > 1024) {
        /* longer than verify takes (sms_token.h) */
        FUZZ_CHECK(strlen(payload) > 700);
        FUZZ_CHECK(sms_token_verify(&got, key, keylen, token, p)
                   == APR_EINVAL);
        free((char *)payload);
        return 0;
    }
    FUZZ_CHECK(sms_token_verify(&got, key, keylen, token, p) == APR_SUCCESS);
    FUZZ_CHECK(!strcmp(got, payload));

    /* any change to the token is refused (or is no change at all) */
    changed = apr_pstrdup(p, token);
    at %= strlen(changed);
    changed[at] = (char)(changed[at] ^ flip);
    if (flip && changed[at]) {
        FUZZ_CHECK(sms_token_verify(&got, key, keylen, changed, p)
                   != APR_SUCCESS);
    }
    /* truncated or extended, likewise */
    FUZZ_CHECK(sms_token_verify(&got, key, keylen,
                                apr_pstrndup(p, token, strlen(token) - 1), p)
               != APR_SUCCESS);
    FUZZ_CHECK(sms_token_verify(&got, key, keylen,
                                apr_pstrcat(p, token, "A", NULL), p)
               != APR_SUCCESS);

    /* another key of the same length refuses it (HMAC pads short keys
     * with zeros, so only keys that differ inside keylen are others) */
    if (keylen) {
        other = apr_pmemdup(p, key, keylen);
        other[at % keylen] ^= 1;
        FUZZ_CHECK(sms_token_verify(&got, other, keylen, token, p)
                   != APR_SUCCESS);
    }

    /* the whole input as a token: accepted only when sign made it */
    whole = fuzz_cstr(data, size);
    if (sms_token_verify(&got, key, keylen, whole, p) == APR_SUCCESS) {
        FUZZ_CHECK(!strcmp(sms_token_sign(key, keylen, got, p), whole));
    }
    free(whole);
    free((char *)payload);
    return 0;
}
