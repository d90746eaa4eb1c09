/*
 * test_token.c - signed tokens (CSRF tokens, list cursors): round trip,
 * refusal of anything sign did not make, constant-time comparison.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "sms_token.h"
#include "tap.h"

#define KEY ((const unsigned char *)"0123456789abcdef")
#define KEYLEN 16

/* name formatted in the pool p of the calling function */
#define IS_STR(got, want, ...)                                                 \
    tap_is_str((got), (want), apr_psprintf(p, __VA_ARGS__))
#define IS_INT(got, want, ...)                                                 \
    tap_is_int((long long)(got), (long long)(want),                            \
               apr_psprintf(p, __VA_ARGS__))

static int verifies(const char *token, apr_pool_t *p)
{
    const char *payload;

    return sms_token_verify(&payload, KEY, KEYLEN, token, p) == APR_SUCCESS;
}

static void check_round_trip(apr_pool_t *p)
{
    static const char *const payloads[] = {
        "",      "csrf:alice:1700000000", "optouts:61412345678",
        "a.b.c", "\xc3\xa9\xe2\x82\xac",  NULL};
    int i;

    for (i = 0; payloads[i]; i++) {
        const char *token = sms_token_sign(KEY, KEYLEN, payloads[i], p);
        const char *got = NULL;

        tap_ok(sms_token_verify(&got, KEY, KEYLEN, token, p) == APR_SUCCESS,
               "round trip %d verifies", i);
        IS_STR(got, payloads[i], "round trip %d gives the payload", i);
        tap_ok(!strchr(token, '=') && !strchr(token, '+') &&
                   !strchr(token, '/'),
               "round trip %d token is base64url without padding", i);
    }
}

static void check_refusals(apr_pool_t *p)
{
    const char *token = sms_token_sign(KEY, KEYLEN, "csrf:alice:1", p);
    const char *dot = strchr(token, '.');
    const char *payload;
    char *t;

    tap_ok(!verifies("", p), "empty token refused");
    tap_ok(!verifies(".", p), "lone dot refused");
    tap_ok(!verifies("abc", p), "no dot refused");
    tap_ok(!verifies(apr_pstrcat(p, token, ".x", NULL), p),
           "second dot refused");
    tap_ok(!verifies(apr_pstrcat(p, token, "A", NULL), p),
           "longer signature refused");
    tap_ok(!verifies(apr_pstrndup(p, token, strlen(token) - 1), p),
           "shorter signature refused");
    tap_ok(sms_token_verify(&payload, (const unsigned char *)"other", 5, token,
                            p) != APR_SUCCESS,
           "other key refused");
    t = apr_pstrdup(p, token);
    t[0] = t[0] == 'Y' ? 'Z' : 'Y';
    tap_ok(!verifies(t, p), "changed payload refused");
    t = apr_pstrcat(p, apr_pstrmemdup(p, token, (apr_size_t)(dot - token)), ".",
                    dot + 1, NULL);
    tap_ok(verifies(t, p), "rebuilt token still verifies");
}

/* Regression (found by t/fuzz/fuzz_token): a 20-byte MAC is 27 base64url
 * characters whose last one carries 2 unused bits; any value of those
 * bits decoded to the same MAC, so four spellings of one token verified.
 * Only the one sign produces may. */
static void check_canonical_signature(apr_pool_t *p)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                              "vwxyz0123456789-_";
    const char *token = sms_token_sign(KEY, KEYLEN, "csrf:alice:1", p);
    apr_size_t n = strlen(token);
    int v = (int)(strchr(b64, token[n - 1]) - b64), low;

    IS_INT(strlen(strchr(token, '.') + 1), 27, "signature is 27 chars");
    tap_ok((v & 3) == 0, "signature's unused bits are zero");
    for (low = 1; low < 4; low++) {
        char *t = apr_pstrdup(p, token);

        t[n - 1] = b64[v | low];
        tap_ok(!verifies(t, p), "signature with unused bits %d refused", low);
    }
}

static void check_equal(void)
{
    tap_ok(sms_token_equal("abc", "abc", 3), "equal strings");
    tap_ok(!sms_token_equal("abc", "abd", 3), "different last byte");
    tap_ok(!sms_token_equal("xbc", "abc", 3), "different first byte");
    tap_ok(sms_token_equal("a", "b", 0), "empty ranges are equal");
}

/* One cursor helper for every list: the kind is part of what is signed. */
static void check_cursors(apr_pool_t *p)
{
    static const unsigned char key[] = "0123456789abcdef";
    const char *c = sms_cursor_sign(key, 16, "conv:17", "42:7", p);
    const char *pos = NULL;

    tap_ok(sms_cursor_open(&pos, key, 16, "conv:17", c, p) == APR_SUCCESS &&
               pos && strcmp(pos, "42:7") == 0,
           "cursor_round_trip");
    tap_ok(sms_cursor_open(&pos, key, 16, "conv:1", c, p) == APR_EINVAL,
           "cursor_of_another_patient_refused (conv:1 is a prefix of conv:17)");
    tap_ok(sms_cursor_open(&pos, key, 16, "messages", c, p) == APR_EINVAL,
           "cursor_of_another_list_refused");
    tap_ok(sms_cursor_open(&pos, (const unsigned char *)"fedcba9876543210", 16,
                           "conv:17", c, p) == APR_EINVAL,
           "cursor_under_another_key_refused");
    c = sms_token_sign(key, 16, "messages", p);
    tap_ok(sms_cursor_open(&pos, key, 16, "messages", c, p) == APR_EINVAL,
           "token_without_position_separator_refused");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    check_round_trip(p);
    check_refusals(p);
    check_canonical_signature(p);
    check_equal();
    check_cursors(p);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
