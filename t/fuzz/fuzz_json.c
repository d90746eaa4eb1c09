/*
 * fuzz_json.c - request JSON decoding (sms_json_parse_object and the
 * member readers the routes use).
 *
 * Properties: an accepted body is a JSON object whose compact dump parses
 * back to an equal value; a refused one is a 400 invalid_json or
 * invalid_message with a message and no field. Member readers return what the object holds: a string
 * with its exact length (one holding a NUL is refused), an integer
 * inside the asked bounds, and refuse any other type with a 400 naming
 * the member.
 */
#include <jansson.h>

#include "fuzz.h"
#include "sms_json.h"

/* Whether a JSON string holds a NUL byte. */
static int cut(json_t *v)
{
    return strlen(json_string_value(v)) != json_string_length(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"to", "message", "limit", "smart",
                                       "context", NULL};
    apr_pool_t *p = fuzz_input_pool();
    char *buf = malloc(size ? size : 1);
    sms_error_t *err = NULL;
    json_t *obj, *back;
    char *dump;
    int k;

    memcpy(buf, data, size);
    if (sms_json_parse_object(&obj, &err, buf, size, p) != APR_SUCCESS) {
        /* the message may quote the broken input (jansson's "near '...'"),
         * so it need not be UTF-8: sms_reply_error makes it so */
        FUZZ_CHECK(err && err->status == 400 && err->message
                   && *err->message && !err->field
                   && (!strcmp(err->code, "invalid_json")
                       || !strcmp(err->code, "invalid_message")));
        free(buf);
        return 0;
    }
    FUZZ_CHECK(json_is_object(obj));
    dump = sms_json_dump(obj, p);
    FUZZ_CHECK(dump != NULL);
    back = json_loads(dump, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
    FUZZ_CHECK(back && json_equal(obj, back));
    json_decref(back);

    for (k = 0; keys[k]; k++) {
        json_t *v = json_object_get(obj, keys[k]);
        const char *s;
        apr_size_t len;
        json_int_t n = 0;
        int present;
        apr_status_t rv;

        rv = sms_json_string(&s, &len, &err, obj, keys[k], 0, p);
        if (v && json_is_string(v) && cut(v)) {
            /* a NUL inside would cut the C string short: refused */
            FUZZ_CHECK(rv == APR_EINVAL && !strcmp(err->field, keys[k]));
        }
        else if (v && json_is_string(v)) {
            FUZZ_CHECK(rv == APR_SUCCESS && len == json_string_length(v)
                       && strlen(s) == len
                       && !memcmp(s, json_string_value(v), len));
        }
        else if (v && !json_is_null(v)) {
            FUZZ_CHECK(rv == APR_EINVAL && !strcmp(err->field, keys[k]));
        }
        else {
            FUZZ_CHECK(rv == APR_SUCCESS && s == NULL);
        }
        rv = sms_json_string(&s, &len, &err, obj, keys[k], 1, p);
        FUZZ_CHECK((rv == APR_SUCCESS) == (v && json_is_string(v) && !cut(v)));

        rv = sms_json_integer(&n, &present, &err, obj, keys[k], -5, 1000, p);
        if (rv == APR_SUCCESS) {
            FUZZ_CHECK(present ? json_is_integer(v) && n >= -5 && n <= 1000
                                   && n == json_integer_value(v)
                               : !v || json_is_null(v));
        }
        else {
            FUZZ_CHECK(err->status == 400 && !strcmp(err->field, keys[k]));
        }
    }
    {
        static const char *const only[] = {"to", "message", NULL};
        int extra = 0;
        const char *key;
        json_t *v;

        json_object_foreach(obj, key, v) {
            extra |= strcmp(key, "to") && strcmp(key, "message");
        }
        FUZZ_CHECK((sms_json_only(&err, obj, only, p) == APR_SUCCESS)
                   == !extra);
    }
    free(buf);
    return 0;
}
