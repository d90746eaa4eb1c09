/*
 * test_text.c - the text engine against the shared vectors of
 * t/data/text_vectors.json (the same file the httpd preview tests read).
 */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <jansson.h>

#include "sms_text.h"
#include "tap.h"

/* name formatted in the pool p of the calling function */
#define IS_STR(got, want, ...)                                                 \
    tap_is_str((got), (want), apr_psprintf(p, __VA_ARGS__))
#define IS_INT(got, want, ...)                                                 \
    tap_is_int((long long)(got), (long long)(want),                            \
               apr_psprintf(p, __VA_ARGS__))

static int hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The case's input bytes: "text" (JSON string, may hold NUL) or "hex". */
static const char *case_bytes(json_t *c, apr_size_t *len, apr_pool_t *p)
{
    json_t *text = json_object_get(c, "text");
    const char *hex;
    char *out;
    apr_size_t i, n;

    if (text) {
        *len = json_string_length(text);
        return json_string_value(text);
    }
    hex = json_string_value(json_object_get(c, "hex"));
    n = strlen(hex) / 2;
    out = apr_palloc(p, n + 1);
    for (i = 0; i < n; i++) {
        out[i] = (char)(hexval(hex[2 * i]) * 16 + hexval(hex[2 * i + 1]));
    }
    *len = n;
    return out;
}

static int expect_int(json_t *expect, const char *key)
{
    return (int)json_integer_value(json_object_get(expect, key));
}

static void check_case(json_t *c, apr_pool_t *p)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    json_t *expect = json_object_get(c, "expect");
    json_t *want_error = json_object_get(c, "expect_error");
    int smart = json_is_true(json_object_get(c, "smart"));
    int max_parts = (int)json_integer_value(json_object_get(c, "max_parts"));
    const char *bytes, *why = NULL;
    apr_size_t len;
    sms_text_t *t = NULL;
    apr_status_t rv;
    json_t *parts;
    int i, parts_ok;

    bytes = case_bytes(c, &len, p);
    rv = sms_text_analyse(&t, &why, bytes, len, smart, p);
    if (want_error) {
        tap_ok(rv == APR_EINVAL && why && *why, "%s: rejected (%s)", name,
               why ? why : "accepted");
        return;
    }
    if (!tap_ok(rv == APR_SUCCESS, "%s: accepted", name)) {
        tap_diag("  why: %s", why);
        return;
    }
    IS_STR(sms_text_encoding_name(t->encoding),
           json_string_value(json_object_get(expect, "encoding")),
           "%s: encoding", name);
    IS_INT(t->characters, expect_int(expect, "characters"), "%s: characters",
           name);
    IS_INT(t->units, expect_int(expect, "units"), "%s: units", name);
    IS_INT(t->segments, expect_int(expect, "segments"), "%s: segments", name);
    IS_INT(t->per_segment, expect_int(expect, "per_segment"), "%s: per_segment",
           name);
    IS_INT(t->remaining, expect_int(expect, "remaining"), "%s: remaining",
           name);
    IS_INT(t->segments <= max_parts,
           json_is_true(json_object_get(expect, "within_limit")),
           "%s: within_limit", name);
    tap_ok(t->length ==
                   json_string_length(json_object_get(expect, "message")) &&
               !memcmp(t->message,
                       json_string_value(json_object_get(expect, "message")),
                       t->length),
           "%s: message after smart encoding", name);
    parts = json_object_get(expect, "parts");
    parts_ok = (int)json_array_size(parts) == t->segments;
    for (i = 0; parts_ok && i < t->segments; i++) {
        parts_ok = !strcmp(sms_text_part(t, i, p),
                           json_string_value(json_array_get(parts, i)));
    }
    tap_ok(parts_ok, "%s: parts", name);
}

int main(void)
{
    apr_pool_t *pool, *p;
    const char *dir = getenv("SMS_TEST_DATA");
    json_error_t je;
    json_t *doc, *cases;
    size_t i;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    doc = json_load_file(
        apr_pstrcat(pool, dir ? dir : "t/data", "/text_vectors.json", NULL),
        JSON_ALLOW_NUL, &je);
    if (!tap_ok(doc != NULL, "vectors load (%s)", doc ? "ok" : je.text)) {
        return tap_done();
    }
    cases = json_object_get(doc, "cases");
    tap_ok(json_array_size(cases) >= 200, "at least 200 vectors (%zu)",
           json_array_size(cases));
    for (i = 0; i < json_array_size(cases); i++) {
        apr_pool_create(&p, pool);
        check_case(json_array_get(cases, i), p);
        apr_pool_destroy(p);
    }
    json_decref(doc);
    /* untrusted bytes echoed in an error: always valid UTF-8 after */
    tap_ok(!strcmp(sms_text_utf8_safe("caf\xc3\xa9", pool), "caf\xc3\xa9"),
           "utf8_safe keeps valid text");
    tap_ok(!strcmp(sms_text_utf8_safe("a\xff"
                                      "b\xc3",
                                      pool),
                   "a\xef\xbf\xbd"
                   "b\xef\xbf\xbd"),
           "utf8_safe replaces bad bytes with U+FFFD");
    tap_ok(!strcmp(sms_text_utf8_safe("\xc0\xaf", pool),
                   "\xef\xbf\xbd\xef\xbf\xbd"),
           "utf8_safe: overlong");
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
