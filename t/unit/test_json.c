/*
 * test_json.c - request JSON decoding: every failure maps to the API's
 * error codes (invalid_json / invalid_message) with the right field.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "sms_json.h"
#include "tap.h"

/* name formatted in the pool p of the calling function */
#define IS_STR(got, want, ...)                                                 \
    tap_is_str((got), (want), apr_psprintf(p, __VA_ARGS__))
#define IS_INT(got, want, ...)                                                 \
    tap_is_int((long long)(got), (long long)(want),                            \
               apr_psprintf(p, __VA_ARGS__))

typedef struct {
    const char *name;
    const char *body;
    apr_size_t len;   /* 0: strlen(body) */
    const char *code; /* NULL: accepted */
} parse_case_t;

static const parse_case_t parse_cases[] = {
    {"object accepted", "{\"message\": \"hi\"}", 0, NULL},
    {"empty object accepted", "{}", 0, NULL},
    {"empty body", "", 0, "invalid_json"},
    {"array is not an object", "[1, 2]", 0, "invalid_json"},
    {"string is not an object", "\"hi\"", 0, "invalid_json"},
    {"number is not an object", "42", 0, "invalid_json"},
    {"null is not an object", "null", 0, "invalid_json"},
    {"truncated object", "{\"message\": \"hi\"", 0, "invalid_json"},
    {"trailing garbage", "{} x", 0, "invalid_json"},
    {"two objects", "{} {}", 0, "invalid_json"},
    {"single quotes", "{'message': 'hi'}", 0, "invalid_json"},
    {"trailing comma", "{\"a\": 1,}", 0, "invalid_json"},
    {"duplicate keys", "{\"a\": 1, \"a\": 2}", 0, "invalid_json"},
    {"lone surrogate escape", "{\"m\": \"\\ud800\"}", 0, "invalid_json"},
    {"raw invalid UTF-8", "{\"m\": \"\xff\"}", 0, "invalid_message"},
    {"raw overlong UTF-8", "{\"m\": \"\xc0\xaf\"}", 0, "invalid_message"},
    {"raw NUL byte", "{\"m\": \"a\0b\"}", 13, "invalid_json"},
    {"escaped NUL let through", "{\"m\": \"a\\u0000b\"}", 0, NULL},
    {"integer too large", "{\"n\": 99999999999999999999999}", 0,
     "invalid_json"},
    {"deep nesting", NULL, 0, "invalid_json"},
};

static void check_parse(apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(parse_cases) / sizeof(*parse_cases); i++) {
        const parse_case_t *c = &parse_cases[i];
        const char *body = c->body;
        apr_size_t len;
        json_t *obj = NULL;
        sms_error_t *err = NULL;
        apr_status_t rv;

        if (!body) { /* 5000 nested arrays inside an object */
            char *deep = apr_palloc(p, 10010);
            memset(deep, '[', 5000);
            memset(deep + 5000, ']', 5000);
            deep[0] = '{';
            deep[10000] = '\0';
            body = apr_pstrcat(p, "{\"a\":", deep + 1, "}", NULL);
        }
        len = c->len ? c->len : strlen(body);
        rv = sms_json_parse_object(&obj, &err, body, len, p);
        if (!c->code) {
            tap_ok(rv == APR_SUCCESS && json_is_object(obj), "parse: %s",
                   c->name);
        }
        else if (tap_ok(rv != APR_SUCCESS && err, "parse: %s rejected",
                        c->name)) {
            IS_STR(err->code, c->code, "parse: %s code", c->name);
            IS_INT(err->status, 400, "parse: %s status", c->name);
        }
    }
}

static json_t *parse(const char *body, apr_pool_t *p)
{
    json_t *obj = NULL;
    sms_error_t *err;

    sms_json_parse_object(&obj, &err, body, strlen(body), p);
    return obj;
}

static void check_fields(apr_pool_t *p)
{
    static const char *const allowed[] = {"message", "max_parts", NULL};
    json_t *obj = parse("{\"message\": \"hi\", \"mesage\": \"typo\"}", p);
    sms_error_t *err = NULL;
    const char *s;
    apr_size_t len;
    json_int_t n;
    int present;

    tap_ok(sms_json_only(&err, obj, allowed, p) != APR_SUCCESS,
           "unknown field refused");
    IS_STR(err ? err->field : NULL, "mesage", "unknown field named");

    obj = parse("{\"message\": 5, \"max_parts\": \"2\", \"n\": null}", p);
    tap_ok(sms_json_string(&s, &len, &err, obj, "message", 1, p) != APR_SUCCESS,
           "number is not a string");
    IS_STR(err->field, "message", "wrong type names the field");
    tap_ok(sms_json_integer(&n, &present, &err, obj, "max_parts", 1, 5, p) !=
               APR_SUCCESS,
           "string is not an integer");
    tap_ok(sms_json_string(&s, &len, &err, obj, "absent", 1, p) != APR_SUCCESS,
           "required string missing");
    tap_ok(sms_json_string(&s, &len, &err, obj, "n", 0, p) == APR_SUCCESS &&
               s == NULL,
           "optional null string is absent");

    obj = parse("{\"a\": 0, \"b\": 6, \"c\": 3, \"d\": 2.5, \"e\": true}", p);
    tap_ok(sms_json_integer(&n, &present, &err, obj, "a", 1, 5, p) !=
               APR_SUCCESS,
           "integer below range");
    tap_ok(sms_json_integer(&n, &present, &err, obj, "b", 1, 5, p) !=
               APR_SUCCESS,
           "integer above range");
    tap_ok(sms_json_integer(&n, &present, &err, obj, "c", 1, 5, p) ==
                   APR_SUCCESS &&
               present && n == 3,
           "integer in range");
    tap_ok(sms_json_integer(&n, &present, &err, obj, "d", 1, 5, p) !=
               APR_SUCCESS,
           "real is not an integer");
    tap_ok(sms_json_integer(&n, &present, &err, obj, "e", 1, 5, p) !=
               APR_SUCCESS,
           "boolean is not an integer");
    tap_ok(sms_json_integer(&n, &present, &err, obj, "zz", 1, 5, p) ==
                   APR_SUCCESS &&
               !present,
           "absent integer");

    obj = parse("{\"m\": \"a\\u0000b\"}", p);
    /* a NUL would cut the C string short: refused, as message text */
    tap_ok(sms_json_string(&s, &len, &err, obj, "m", 1, p) == APR_EINVAL &&
               !strcmp(err->code, "invalid_message") &&
               !strcmp(err->field, "m"),
           "a string holding a NUL is refused");
}

/* The text writer writes what jansson would (sms_json_dump's output):
 * every ASCII byte, UTF-8 of two to four bytes, and an object with an
 * array of objects, nulls and integers, byte for byte. */
static void check_writer(apr_pool_t *p)
{
    static const char *const samples[] = {"plain",
                                          "",
                                          "quote \" and \\ backslash",
                                          "tab\tnew\nline\rcr",
                                          "\b\f\x01\x1f\x7f",
                                          "slash / stays",
                                          "caf\xc3\xa9 \xe2\x80\x94 "
                                          "\xf0\x9f\x91\x8d",
                                          "\xe2\x80\xa8 line separator",
                                          NULL};
    char ascii[128];
    sms_jw_t w;
    json_t *j;
    int i, same = 1;

    for (i = 1; i < 128; i++) {
        ascii[i - 1] = (char)i;
    }
    ascii[127] = 0;
    for (i = 0; i == 0 || samples[i - 1]; i++) {
        const char *s = samples[i] ? samples[i] : ascii; /* ascii last */
        sms_jw_init(&w, 4, p);
        sms_jw_str(&w, s);
        j = json_string(s);
        if (strcmp(sms_jw_text(&w), sms_json_dump(j, p))) {
            tap_diag("writer %s, jansson %s", sms_jw_text(&w),
                     sms_json_dump(j, p));
            same = 0;
        }
        json_decref(j);
    }
    tap_ok(same, "the writer escapes strings as jansson does");
    /* bytes that are not UTF-8 (jansson refuses them) become U+FFFD, and
     * the text stays JSON that jansson reads */
    sms_jw_init(&w, 4, p);
    sms_jw_str(&w, "a\xff b\xc3 c\xed\xa0\x80 d\xe2\x82 e\xf5 \xc3\xa9");
    tap_is_str(sms_jw_text(&w),
               "\"a\xef\xbf\xbd b\xef\xbf\xbd c\xef\xbf\xbd\xef\xbf\xbd"
               "\xef\xbf\xbd d\xef\xbf\xbd\xef\xbf\xbd e\xef\xbf\xbd "
               "\xc3\xa9\"",
               "bytes that are not UTF-8 are written as U+FFFD");
    j = json_loads(sms_jw_text(&w), JSON_DECODE_ANY, NULL);
    tap_ok(j != NULL, "and the text is JSON jansson reads");
    json_decref(j);
    sms_jw_init(&w, 1, p);
    sms_jw_open(&w, '{');
    sms_jw_key(&w, "messages");
    sms_jw_open(&w, '[');
    for (i = 0; i < 3; i++) {
        sms_jw_open(&w, '{');
        sms_jw_key(&w, "id");
        sms_jw_int(&w, (apr_int64_t)i - 1);
        sms_jw_key(&w, "to");
        sms_jw_str(&w, i ? "614" : NULL);
        sms_jw_key(&w, "raw");
        sms_jw_raw(&w, "null");
        sms_jw_close(&w, '}');
    }
    sms_jw_close(&w, ']');
    sms_jw_key(&w, "next");
    sms_jw_str(&w, NULL);
    sms_jw_close(&w, '}');
    tap_is_str(sms_jw_text(&w),
               "{\"messages\":[{\"id\":-1,\"to\":null,\"raw\":null},"
               "{\"id\":0,\"to\":\"614\",\"raw\":null},"
               "{\"id\":1,\"to\":\"614\",\"raw\":null}],\"next\":null}",
               "objects, arrays and members are separated as JSON wants");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    check_parse(p);
    check_fields(p);
    check_writer(p);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
