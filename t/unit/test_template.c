/*
 * test_template.c - template checking, rendering and placeholder listing
 * against the shared vectors of t/data/template_vectors.json, plus the
 * error details the vectors do not cover, and the memory rendering takes
 * (bounded by the output limit, whatever the template and values).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include <apr_allocator.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <jansson.h>

#include "sms_template.h"
#include "tap.h"

/* name formatted in the pool p of the calling function */
#define IS_STR(got, want, ...)                                                 \
    tap_is_str((got), (want), apr_psprintf(p, __VA_ARGS__))
#define IS_INT(got, want, ...)                                                 \
    tap_is_int((long long)(got), (long long)(want),                            \
               apr_psprintf(p, __VA_ARGS__))

/* Whether haystack contains needle (NULL haystack: no). */
static int has(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

/* The names array as one string, "a,b,c", for comparison. */
static const char *join(const apr_array_header_t *names, apr_pool_t *p)
{
    return names ? apr_array_pstrcat(p, names, ',') : NULL;
}

/* The JSON array of strings want as one string, "a,b,c". */
static const char *join_json(json_t *want, apr_pool_t *p)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    size_t i;

    for (i = 0; i < json_array_size(want); i++) {
        APR_ARRAY_PUSH(a, const char *) =
            json_string_value(json_array_get(want, i));
    }
    return join(a, p);
}

/* One vector: rendered text, or the error code and field. */
static void check_case(json_t *c, apr_pool_t *p)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *body = json_string_value(json_object_get(c, "body"));
    json_t *vars = json_object_get(c, "context");
    const char *expect = json_string_value(json_object_get(c, "expect"));
    const char *code = json_string_value(json_object_get(c, "expect_error"));
    const char *field = json_string_value(json_object_get(c, "expect_field"));
    json_t *want_names = json_object_get(c, "expect_names");
    const char *out = "unset";
    sms_error_t *err = NULL, *cerr = NULL;
    apr_array_header_t *names;
    apr_status_t rv, crv;

    rv = sms_template_render(&out, &err, body, vars, p);
    crv = sms_template_check(&cerr, body, p);
    names = sms_template_names(body, p);
    if (code) {
        if (!tap_ok(rv == APR_EINVAL && err, "%s: rejected", name)) {
            tap_diag("  got '%s'", rv == APR_SUCCESS ? out : "(error)");
            return;
        }
        IS_STR(err->code, code, "%s: code", name);
        IS_INT(err->status, 400, "%s: status", name);
        if (field) {
            IS_STR(err->field, field, "%s: field", name);
        }
        tap_ok(out == NULL, "%s: no output on error", name);
        tap_ok(err->message && *err->message, "%s: message (%s)", name,
               err->message ? err->message : "(null)");
        if (!strcmp(code, "invalid_template")) {
            tap_ok(crv == APR_EINVAL && cerr &&
                       !strcmp(cerr->code, "invalid_template") &&
                       !strcmp(cerr->field, "body"),
                   "%s: check refuses the body", name);
            tap_ok(names == NULL, "%s: no names for a malformed body", name);
        }
        else {
            tap_ok(crv == APR_SUCCESS, "%s: body itself is well formed", name);
            tap_ok(names != NULL, "%s: names listed", name);
        }
        return;
    }
    if (!tap_ok(rv == APR_SUCCESS, "%s: rendered", name)) {
        tap_diag("  error: %s", err ? err->message : "(none)");
        return;
    }
    IS_STR(out, expect, "%s: text", name);
    tap_ok(crv == APR_SUCCESS, "%s: check accepts the body", name);
    tap_ok(names != NULL, "%s: names listed", name);
    if (want_names) {
        IS_STR(join(names, p), join_json(want_names, p), "%s: names", name);
    }
}

/* The shared vectors. */
static void check_vectors(apr_pool_t *pool)
{
    const char *dir = getenv("SMS_TEST_DATA");
    json_error_t je;
    json_t *doc, *cases;
    apr_pool_t *p;
    size_t i, n;

    doc = json_load_file(
        apr_pstrcat(pool, dir ? dir : "t/data", "/template_vectors.json", NULL),
        JSON_ALLOW_NUL, &je);
    if (!tap_ok(doc != NULL, "vectors load (%s)", doc ? "ok" : je.text)) {
        return;
    }
    cases = json_object_get(doc, "cases");
    n = json_array_size(cases);
    tap_ok(n >= 50, "at least 50 vectors (%zu)", n);
    for (i = 0; i < n; i++) {
        apr_pool_create(&p, pool);
        check_case(json_array_get(cases, i), p);
        apr_pool_destroy(p);
    }
    json_decref(doc);
}

/* sms_template_names: order of first use, each name once. */
static void check_names(apr_pool_t *p)
{
    apr_array_header_t *names;
    char *body;
    int i, o = 0;

    names = sms_template_names("{b}{a}{b} {{c}} {a} {d}", p);
    IS_STR(join(names, p), "b,a,d", "names: first-use order, once each");
    names = sms_template_names("no placeholders {{here}}", p);
    tap_ok(names && names->nelts == 0, "names: none is an empty array");
    names = sms_template_names("", p);
    tap_ok(names && names->nelts == 0, "names: empty body");
    tap_ok(sms_template_names("{a} {", p) == NULL, "names: malformed NULL");
    tap_ok(sms_template_names(NULL, p) == NULL, "names: NULL body");

    /* 20000 distinct names, then the same again: listed once each */
    body = apr_palloc(p, 2 * 20000 * 8 + 1);
    for (i = 0; i < 2 * 20000; i++) {
        o += apr_snprintf(body + o, 9, "{n%d}", i % 20000);
    }
    names = sms_template_names(body, p);
    IS_INT(names ? names->nelts : -1, 20000, "names: many, deduplicated");
    IS_STR(names ? APR_ARRAY_IDX(names, 19999, const char *) : NULL, "n19999",
           "names: many, last in order");
}

/* Error details: fields, messages, odd arguments. */
static void check_errors(apr_pool_t *p)
{
    json_t *vars =
        json_pack("{s:s, s:b, s:[]}", "first_name", "Ann", "flag", 1, "list");
    json_t *array = json_pack("[s]", "x");
    const char *out;
    sms_error_t *err = NULL;

    tap_ok(sms_template_render(&out, &err, "Hi {date}", vars, p) == APR_EINVAL,
           "unknown placeholder refused");
    IS_STR(err->code, "unknown_placeholder", "unknown: code");
    IS_STR(err->field, "context.date", "unknown: field");
    tap_ok(has(err->message, "{date}"), "unknown: message names it (%s)",
           err->message);

    sms_template_render(&out, &err, "{flag}", vars, p);
    IS_STR(err->field, "context.flag", "boolean: field");
    tap_ok(has(err->message, "context.flag"), "boolean: message names it (%s)",
           err->message);
    sms_template_render(&out, &err, "{list}", vars, p);
    IS_STR(err->code, "invalid_json", "array: code");

    sms_template_render(&out, &err, "Hi {first_name} {", vars, p);
    IS_STR(err->code, "invalid_template", "lone brace: code");
    tap_ok(has(err->message, "position 17"),
           "lone brace: message gives the position (%s)", err->message);
    sms_template_check(&err, "\xc3\xa9\xc3\xa9 }", p);
    tap_ok(has(err->message, "position 4"),
           "position counts characters, not bytes (%s)", err->message);
    sms_template_check(&err, "{ name }", p);
    tap_ok(has(err->message, "letters, digits and '_'"),
           "spaces in name explained (%s)", err->message);

    tap_ok(sms_template_check(&err, NULL, p) == APR_EINVAL &&
               !strcmp(err->code, "invalid_template"),
           "check: NULL body refused");
    tap_ok(sms_template_render(&out, &err, "{a}", array, p) == APR_EINVAL &&
               !strcmp(err->code, "invalid_json") &&
               !strcmp(err->field, "context"),
           "render: context that is not an object refused");
    tap_ok(sms_template_render(&out, &err, "plain", array, p) == APR_EINVAL,
           "render: non-object context refused even unused");
    tap_ok(sms_template_render(&out, &err, "Hi {first_name}", vars, p) ==
                   APR_SUCCESS &&
               !strcmp(out, "Hi Ann"),
           "render: plain success");
    json_decref(vars);
    json_decref(array);
}

/* Values looked up in layers (the later wins), nothing merged; the output
 * bounded before it is built. */
static void check_layers_and_limit(apr_pool_t *p)
{
    json_t *ctx = json_pack("{s:s, s:s}", "first_name", "Ann", "date", "Tue");
    json_t *patient = json_pack("{s:s}", "first_name", "Anne");
    json_t *layers[3] = {ctx, NULL, patient};
    json_t *big = json_object();
    const char *out = NULL;
    sms_error_t *err = NULL;
    char *value = apr_palloc(p, 20001), *bomb;
    int i;

    tap_ok(sms_template_render_in(&out, &err, "Hi {first_name}, {date}", layers,
                                  3, p) == APR_SUCCESS &&
               !strcmp(out, "Hi Anne, Tue"),
           "later_layer_wins_null_layers_skipped");
    memset(value, 'x', 20000);
    value[20000] = '\0';
    json_object_set_new(big, "a", json_string(value));
    bomb = apr_palloc(p, 3 * 1666 + 1);
    for (i = 0; i < 1666; i++) {
        memcpy(bomb + 3 * i, "{a}", 3);
    }
    bomb[3 * 1666] = '\0';
    out = NULL;
    tap_ok(sms_template_render(&out, &err, bomb, big, p) == APR_EINVAL &&
               out == NULL && !strcmp(err->code, "message_too_long"),
           "render_stops_past_the_longest_sms");
    json_decref(ctx);
    json_decref(patient);
    json_decref(big);
}

/* Memory the process holds: the C heap (glibc's count) and its mappings
 * (/proc/self/statm: Debian's APR maps each pool block with mmap). */
static apr_size_t heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}

static apr_size_t mapped_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;

    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) {
            pages = 0;
        }
        fclose(f);
    }
    return (apr_size_t)pages * 4096;
}

/* The memory a render of body with vars takes: in a pool of a new
 * allocator, so every block it gets is new (none reused from a free list);
 * the larger of the heap's and the mappings' growth. */
static apr_size_t render_cost(apr_status_t *rv, const char *body, json_t *vars)
{
    apr_allocator_t *a;
    apr_pool_t *p;
    const char *out;
    sms_error_t *err;
    apr_size_t heap, mapped, cost;

    apr_allocator_create(&a);
    apr_pool_create_ex(&p, NULL, NULL, a);
    apr_allocator_owner_set(a, p);
    heap = heap_bytes();
    mapped = mapped_bytes();
    *rv = sms_template_render(&out, &err, body, vars, p);
    heap = heap_bytes() - heap;
    mapped = mapped_bytes() - mapped;
    cost = heap > mapped ? heap : mapped;
    apr_pool_destroy(p);
    return cost;
}

/* body: piece repeated n times. */
static char *repeat(const char *piece, int n, apr_pool_t *p)
{
    apr_size_t len = strlen(piece);
    char *s = apr_palloc(p, len * (apr_size_t)n + 1);
    int i;

    for (i = 0; i < n; i++) {
        memcpy(s + len * (apr_size_t)i, piece, len);
    }
    s[len * (apr_size_t)n] = '\0';
    return s;
}

/* Rendering takes memory of the order of SMS_TEMPLATE_OUTPUT_MAX, never of
 * the template or the values: many placeholders, huge values, a huge
 * literal, numbers, in templates from 3 KB to 1.3 MB, rendered or refused,
 * each under 4 x SMS_TEMPLATE_OUTPUT_MAX of heap. */
static void check_memory_bound(apr_pool_t *p)
{
    const apr_size_t bound = 4 * SMS_TEMPLATE_OUTPUT_MAX;
    char *huge = apr_palloc(p, 1000001);
    json_t *vars;
    apr_status_t rv;
    int n;

    memset(huge, 'x', 1000000);
    huge[1000000] = '\0';
    vars = json_pack("{s:s, s:s, s:s, s:I, s:f}", "empty", "", "one", "y",
                     "huge", huge, "n", (json_int_t)7, "r", 0.5);
    for (n = 1000; n <= 100000; n *= 10) {
        /* bytes each piece renders to (-1: never renders), and the
         * refusal when it does not */
        static const struct {
            const char *piece;
            long bytes;
            const char *code;
        } cases[] = {
            {"{empty}", 0, NULL},
            {"{empty}{{", 1, "message_too_long"},
            {"{one}", 1, "message_too_long"},
            {"{huge}", 1000000, "message_too_long"},
            {"{n}", 1, "message_too_long"},
            {"{r}", 3, "message_too_long"},
            {"literal text ", 13, "message_too_long"},
            {"{nobody}", -1, "unknown_placeholder"},
        };
        apr_size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
            const char *body = repeat(cases[i].piece, n, p);
            apr_size_t cost = render_cost(&rv, body, vars);
            int renders = cases[i].bytes >= 0 &&
                          cases[i].bytes * n <= SMS_TEMPLATE_OUTPUT_MAX;

            if (!tap_ok(cost <= bound && (rv == APR_SUCCESS) == renders,
                        "render_of_%d_x_%s_takes_%" APR_SIZE_T_FMT
                        "_bytes_at_most_%" APR_SIZE_T_FMT,
                        n, cases[i].piece, cost, bound)) {
                tap_diag("rv %d, took %" APR_SIZE_T_FMT " bytes", rv, cost);
            }
        }
    }
    /* and one that fills the limit: the text itself is the cost (the
     * meter sees it, so the bounds above are measured, not assumed) */
    vars = (json_decref(vars), json_pack("{s:s}", "a", "abc"));
    {
        apr_size_t cost = render_cost(
            &rv, repeat("{a}", SMS_TEMPLATE_OUTPUT_MAX / 3, p), vars);
        tap_ok(rv == APR_SUCCESS && cost >= SMS_TEMPLATE_OUTPUT_MAX - 2 &&
                   cost <= bound,
               "a_render_at_the_limit_takes_its_text_%" APR_SIZE_T_FMT, cost);
    }
    json_decref(vars);
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    check_vectors(p);
    check_names(p);
    check_errors(p);
    check_layers_and_limit(p);
    check_memory_bound(p);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
