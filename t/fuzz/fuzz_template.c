/*
 * fuzz_template.c - the template renderer (sms_template_check, _names,
 * _render). Input: a body, then after the first NUL byte an optional JSON
 * context.
 *
 * Properties: check, names and render agree on what is malformed; the
 * names are valid, distinct identifiers; with every name given a string
 * value, render succeeds and equals an independent reference rendering
 * ("{{" -> "{", "}}" -> "}", "{name}" -> value); with the first name
 * missing it is unknown_placeholder naming context.<name>; a fuzzed
 * context either renders or fails with a 400 of the documented codes;
 * rendering takes memory of the order of SMS_TEMPLATE_OUTPUT_MAX, never
 * of the input: the body repeated to 128 KB, its placeholders given
 * empty or 64 KB values, rendered in a pool of its own, takes at most 4 x
 * SMS_TEMPLATE_OUTPUT_MAX (heap as AddressSanitizer counts it, and new
 * mappings: APR maps pool blocks with mmap).
 */
#include <jansson.h>
#include <sanitizer/allocator_interface.h>

#include <apr_allocator.h>

#include <apr_strings.h>

#include "fuzz.h"
#include "sms_template.h"

/* The value the reference rendering gives placeholder name. */
static const char *value_of(const char *name, apr_pool_t *p)
{
    return apr_pstrcat(p, "<", name, ">", NULL);
}

/* Reference rendering of a well-formed body: every name has value_of. */
static const char *reference(const char *body, apr_pool_t *p)
{
    apr_size_t n = strlen(body), i = 0;
    char *out = apr_palloc(p, 2 * n + 1), *o = out;

    while (i < n) {
        if ((body[i] == '{' || body[i] == '}') && body[i + 1] == body[i]) {
            *o++ = body[i];
            i += 2;
        }
        else if (body[i] == '{') {
            apr_size_t e = i + 1;
            const char *v;

            while (body[e] != '}') {
                e++;
            }
            v = value_of(apr_pstrmemdup(p, body + i + 1, e - i - 1), p);
            memcpy(o, v, strlen(v));
            o += strlen(v);
            i = e + 1;
        }
        else {
            *o++ = body[i++];
        }
    }
    *o = '\0';
    return out;
}

static int is_name(const char *s)
{
    apr_size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                             "qrstuvwxyz0123456789_");

    return n >= 1 && n <= 64 && !s[n] && !(s[0] >= '0' && s[0] <= '9');
}

/* Memory the process holds: the heap AddressSanitizer counts, and its
 * mappings (/proc/self/statm). */
static size_t mapped_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;

    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) {
            pages = 0;
        }
        fclose(f);
    }
    return (size_t)pages * 4096;
}

/* The property of bounded memory: body (well formed, names its
 * placeholders) repeated to 128 KB, rendered with each name given an
 * empty or a 64 KB value (by the bits of pick). */
static void check_memory(const char *body, apr_array_header_t *names,
                         unsigned pick, apr_pool_t *p)
{
    static json_t *big;
    size_t len = strlen(body), heap, mapped, cost;
    apr_allocator_t *a;
    apr_pool_t *rp;
    const char *out = NULL;
    sms_error_t *err;
    json_t *vars = json_object();
    char *many;
    size_t i, reps;

    if (!len) {
        json_decref(vars);
        return;
    }
    if (!big) {
        char *v = calloc(65537, 1);
        memset(v, 'v', 65536);
        big = json_string(v);
        free(v);
    }
    for (i = 0; i < (size_t)names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);

        if ((pick >> (i % 8)) & 1) {
            json_object_set(vars, name, big);
        }
        else {
            json_object_set_new(vars, name, json_string(""));
        }
    }
    reps = (131072 + len - 1) / len;
    many = apr_palloc(p, len * reps + 1);
    for (i = 0; i < reps; i++) {
        memcpy(many + i * len, body, len);
    }
    many[len * reps] = '\0';
    apr_allocator_create(&a);
    apr_pool_create_ex(&rp, NULL, NULL, a);
    apr_allocator_owner_set(a, rp);
    heap = __sanitizer_get_current_allocated_bytes();
    mapped = mapped_bytes();
    if (sms_template_render(&out, &err, many, vars, rp) == APR_SUCCESS) {
        FUZZ_CHECK(strlen(out) <= SMS_TEMPLATE_OUTPUT_MAX);
    }
    heap = __sanitizer_get_current_allocated_bytes() - heap;
    mapped = mapped_bytes() - mapped;
    cost = heap > mapped ? heap : mapped;
    if (cost > 4 * SMS_TEMPLATE_OUTPUT_MAX) {
        fprintf(stderr, "render of %zu bytes took %zu bytes\n", len * reps,
                cost);
    }
    FUZZ_CHECK(cost <= 4 * SMS_TEMPLATE_OUTPUT_MAX);
    apr_pool_destroy(rp);
    json_decref(vars);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_input_pool();
    const uint8_t *nul = memchr(data, '\0', size);
    char *body = fuzz_cstr(data, nul ? (size_t)(nul - data) : size);
    apr_array_header_t *names;
    sms_error_t *err = NULL;
    const char *out;
    json_t *vars, *fuzzed;
    apr_status_t rv;
    int i, j;

    names = sms_template_names(body, p);
    rv = sms_template_check(&err, body, p);
    FUZZ_CHECK((rv == APR_SUCCESS) == (names != NULL));
    vars = json_object();
    if (!names) {
        FUZZ_CHECK(err && err->status == 400
                   && !strcmp(err->code, "invalid_template")
                   && !strcmp(err->field, "body"));
        FUZZ_CHECK(sms_template_render(&out, &err, body, vars, p)
                   == APR_EINVAL);
        FUZZ_CHECK(out == NULL && !strcmp(err->code, "invalid_template"));
        goto fuzzed_context;
    }
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);

        FUZZ_CHECK(is_name(name));
        for (j = 0; j < i; j++) {
            FUZZ_CHECK(strcmp(name, APR_ARRAY_IDX(names, j, const char *)));
        }
        /* every name but the first: rendering without it must fail */
        if (i) {
            json_object_set_new(vars, name, json_string(value_of(name, p)));
        }
    }
    if (names->nelts) {
        const char *first = APR_ARRAY_IDX(names, 0, const char *);

        FUZZ_CHECK(sms_template_render(&out, &err, body, vars, p)
                   == APR_EINVAL);
        FUZZ_CHECK(!strcmp(err->code, "unknown_placeholder"));
        FUZZ_CHECK(!strcmp(err->field, apr_pstrcat(p, "context.", first,
                                                   NULL)));
        json_object_set_new(vars, first, json_string(value_of(first, p)));
    }
    FUZZ_CHECK(sms_template_render(&out, &err, body, vars, p)
               == APR_SUCCESS);
    FUZZ_CHECK(!strcmp(out, reference(body, p)));
    check_memory(body, names, size ? data[0] : 0, p);
    if (!names->nelts) {
        /* no placeholders: no context is needed at all */
        FUZZ_CHECK(sms_template_render(&out, &err, body, NULL, p)
                   == APR_SUCCESS);
        FUZZ_CHECK(!strcmp(out, reference(body, p)));
    }

fuzzed_context:
    json_decref(vars);
    if (nul) {
        fuzzed = json_loadb((const char *)nul + 1, size - (size_t)(nul - data)
                                                       - 1,
                            JSON_ALLOW_NUL, NULL);
        if (fuzzed) {
            rv = sms_template_render(&out, &err, body, fuzzed, p);
            if (rv == APR_SUCCESS) {
                FUZZ_CHECK(out != NULL && names != NULL);
            }
            else {
                FUZZ_CHECK(err->status == 400
                           && (!strcmp(err->code, "invalid_template")
                               || !strcmp(err->code, "invalid_json")
                               || !strcmp(err->code, "unknown_placeholder")
                               || !strcmp(err->code, "invalid_message")));
            }
            json_decref(fuzzed);
        }
    }
    free(body);
    return 0;
}
