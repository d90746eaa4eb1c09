/*
 * sms_json.c - request JSON decoding with API-shaped errors.
 */
#include <string.h>

#include <apr_strings.h>

#include "sms_json.h"

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *sms_json_pool(json_t *j, apr_pool_t *p)
{
    if (j) {
        apr_pool_cleanup_register(p, j, json_cleanup, apr_pool_cleanup_null);
    }
    return j;
}

apr_status_t sms_json_parse_object(json_t **out, sms_error_t **err,
                                   const char *buf, apr_size_t len,
                                   apr_pool_t *p)
{
    json_error_t je;
    json_t *j;

    /* NULs are let through jansson so that the text check can name them
     * as invalid message characters rather than as broken JSON. */
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!j) {
        if (json_error_code(&je) == json_error_invalid_utf8) {
            *err = sms_error_make(p, 400, "invalid_message", NULL,
                                  "request text is not valid UTF-8 "
                                  "(byte %d)",
                                  je.position);
        }
        else {
            *err = sms_error_make(p, 400, "invalid_json", NULL,
                                  "request body is not valid JSON: %s "
                                  "(line %d, column %d)",
                                  je.text, je.line, je.column);
        }
        return APR_EINVAL;
    }
    sms_json_pool(j, p);
    if (!json_is_object(j)) {
        *err = sms_error_make(p, 400, "invalid_json", NULL,
                              "request body must be a JSON object");
        return APR_EINVAL;
    }
    *out = j;
    return APR_SUCCESS;
}

apr_status_t sms_json_only(sms_error_t **err, json_t *obj,
                           const char *const *allowed, apr_pool_t *p)
{
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        const char *const *a;
        for (a = allowed; *a && strcmp(*a, key); a++)
            ;
        if (!*a) {
            *err = sms_error_make(p, 400, "invalid_json", apr_pstrdup(p, key),
                                  "unknown field '%s'", key);
            return APR_EINVAL;
        }
    }
    return APR_SUCCESS;
}

apr_status_t sms_json_string(const char **out, apr_size_t *len,
                             sms_error_t **err, json_t *obj, const char *key,
                             int required, apr_pool_t *p)
{
    json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (len) {
        *len = 0;
    }
    if (!v || (json_is_null(v) && !required)) {
        if (required) {
            *err = sms_error_make(p, 400, "invalid_json", key,
                                  "'%s' is required", key);
            return APR_EINVAL;
        }
        return APR_SUCCESS;
    }
    if (!json_is_string(v)) {
        *err = sms_error_make(p, 400, "invalid_json", key,
                              "'%s' must be a string", key);
        return APR_EINVAL;
    }
    /* a NUL inside would cut the C string short: "0412345678\u0000x"
     * must not become a valid number, nor "a\u0000b" the text "a" */
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        *err = sms_error_make(p, 400, "invalid_message", key,
                              "'%s' contains a NUL character", key);
        return APR_EINVAL;
    }
    *out = json_string_value(v);
    if (len) {
        *len = json_string_length(v);
    }
    return APR_SUCCESS;
}

apr_status_t sms_json_integer(json_int_t *out, int *present, sms_error_t **err,
                              json_t *obj, const char *key, json_int_t min,
                              json_int_t max, apr_pool_t *p)
{
    json_t *v = json_object_get(obj, key);

    *present = 0;
    if (!v || json_is_null(v)) {
        return APR_SUCCESS;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min ||
        json_integer_value(v) > max) {
        *err = sms_error_make(p, 400, "invalid_json", key,
                              "'%s' must be an integer from %" APR_INT64_T_FMT
                              " to %" APR_INT64_T_FMT,
                              key, (apr_int64_t)min, (apr_int64_t)max);
        return APR_EINVAL;
    }
    *out = json_integer_value(v);
    *present = 1;
    return APR_SUCCESS;
}

char *sms_json_dump(json_t *j, apr_pool_t *p)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    char *copy;

    if (!s) {
        return NULL;
    }
    copy = apr_pstrdup(p, s);
    free(s);
    return copy;
}

/* ---- the JSON text writer ------------------------------------------------ */

static void put(sms_jw_t *w, const char *s, apr_size_t n)
{
    apr_array_header_t *b = w->buf;

    if (b->nelts + (int)n > b->nalloc) {
        /* grow at least twice: amortised O(1) per byte */
        int want = b->nalloc * 2 > b->nelts + (int)n ? b->nalloc * 2
                                                     : b->nelts + (int)n;
        char *bigger = apr_palloc(b->pool, (apr_size_t)want);
        memcpy(bigger, b->elts, (apr_size_t)b->nelts);
        b->elts = bigger;
        b->nalloc = want;
    }
    memcpy(b->elts + b->nelts, s, n);
    b->nelts += (int)n;
}

void sms_jw_init(sms_jw_t *w, apr_size_t hint, apr_pool_t *p)
{
    w->buf = apr_array_make(p, hint ? (int)hint : 256, 1);
    w->comma = 0;
}

void sms_jw_open(sms_jw_t *w, char c)
{
    if (w->comma) {
        put(w, ",", 1);
    }
    put(w, &c, 1);
    w->comma = 0;
}

void sms_jw_close(sms_jw_t *w, char c)
{
    put(w, &c, 1);
    w->comma = 1;
}

void sms_jw_key(sms_jw_t *w, const char *key)
{
    if (w->comma) {
        put(w, ",", 1);
    }
    w->comma = 0;
    sms_jw_str(w, key);
    put(w, ":", 1);
    w->comma = 0;
}

/* The length of the well-formed UTF-8 sequence at s (1 to 4), or 0 when
 * the bytes there are not one (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static int utf8_len(const unsigned char *s)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    int n, i;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    }
    else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

void sms_jw_str(sms_jw_t *w, const char *s)
{
    static const char hex[] = "0123456789ABCDEF"; /* as jansson */
    const char *run;

    if (w->comma) {
        put(w, ",", 1);
    }
    w->comma = 1;
    if (!s) {
        put(w, "null", 4);
        return;
    }
    put(w, "\"", 1);
    for (run = s; *s;) {
        unsigned char c = (unsigned char)*s;
        char esc[6] = {'\\', 'u', '0', '0', 0, 0};
        int n;
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            s++; /* printable ASCII, most of any text: no UTF-8 decoding */
            continue;
        }
        n = utf8_len((const unsigned char *)s);
        if (n > 1) {
            s += n; /* UTF-8 as it is (printable ASCII passed above) */
            continue;
        }
        put(w, run, (apr_size_t)(s - run));
        run = ++s;
        switch (n ? c : 0) {
        case 0: /* not UTF-8 (a provider's text, say): U+FFFD */
            put(w, "\xEF\xBF\xBD", 3);
            break;
        case '"':
            put(w, "\\\"", 2);
            break;
        case '\\':
            put(w, "\\\\", 2);
            break;
        case '\n':
            put(w, "\\n", 2);
            break;
        case '\r':
            put(w, "\\r", 2);
            break;
        case '\t':
            put(w, "\\t", 2);
            break;
        case '\b':
            put(w, "\\b", 2);
            break;
        case '\f':
            put(w, "\\f", 2);
            break;
        default:
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            put(w, esc, 6);
        }
    }
    put(w, run, (apr_size_t)(s - run));
    put(w, "\"", 1);
}

void sms_jw_int(sms_jw_t *w, apr_int64_t v)
{
    char num[24];
    int n = apr_snprintf(num, sizeof(num), "%" APR_INT64_T_FMT, v);

    if (w->comma) {
        put(w, ",", 1);
    }
    w->comma = 1;
    put(w, num, (apr_size_t)n);
}

void sms_jw_raw(sms_jw_t *w, const char *text)
{
    if (w->comma) {
        put(w, ",", 1);
    }
    w->comma = 1;
    put(w, text, strlen(text));
}

const char *sms_jw_text(sms_jw_t *w)
{
    put(w, "", 1);
    w->buf->nelts--; /* the NUL ends the text, more may follow */
    return w->buf->elts;
}
