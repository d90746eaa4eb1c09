/*
 * sms_template.c - message templates: "{name}" placeholders filled from a
 * JSON object, "{{" and "}}" for literal braces.
 *
 * The body is read left to right: "{{" is a literal '{', "}}" a literal
 * '}', and any other '{' must open a placeholder name
 * ([A-Za-z_][A-Za-z0-9_]*, 1 to 64 characters) closed at once by '}'
 * (no spaces). So "{{{name}}}" renders "{value}". A whole body is checked
 * before anything is rendered, so a malformed body is always
 * invalid_template whatever the context holds. Values are not
 * re-read for placeholders, and the result is not checked as SMS text
 * here: the text engine does that.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_tables.h> /* sms_template.h uses apr_array_header_t */

#include "sms_template.h"

#define SMS_TEMPLATE_NAME_MAX 64
#define NAME_CHARS                                                             \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
/* room for the text of a number: %lld or %g */
#define NUMBER_MAX 64

/* One piece of a body: literal text or a placeholder name. */
typedef struct {
    const char *text; /* literal bytes, or the name (in the body) */
    apr_size_t len;
    int is_name;
} piece_t;

/* 1-based character position of byte offset off in s, for messages. */
static apr_size_t char_pos(const char *s, apr_size_t off)
{
    apr_size_t i, pos = 1;

    for (i = 0; i < off; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            pos++;
        }
    }
    return pos;
}

/* A 400 invalid_template on field "body"; fmt is printf-style. */
static apr_status_t syntax_error(sms_error_t **err, apr_pool_t *p,
                                 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static apr_status_t syntax_error(sms_error_t **err, apr_pool_t *p,
                                 const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    *err = sms_error_make(p, 400, "invalid_template", "body",
                          "template body: %s", msg);
    return APR_EINVAL;
}

/* Why the '{' at body[at] does not open a valid placeholder. */
static apr_status_t bad_open(sms_error_t **err, const char *body, apr_size_t at,
                             apr_pool_t *p)
{
    const char *s = body + at + 1;
    apr_size_t pos = char_pos(body, at), n;
    int c = (unsigned char)*s;

    if (!c) {
        return syntax_error(err, p,
                            "'{' at position %" APR_SIZE_T_FMT
                            " is not closed (write {{ for a literal '{')",
                            pos);
    }
    if (c == '}') {
        return syntax_error(err, p,
                            "empty placeholder {} at position %" APR_SIZE_T_FMT
                            " (write {{}} for literal "
                            "braces)",
                            pos);
    }
    if (c >= '0' && c <= '9') {
        return syntax_error(err, p,
                            "placeholder name at position %" APR_SIZE_T_FMT
                            " must start with a letter or "
                            "'_'",
                            pos);
    }
    n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789_");
    if (n > SMS_TEMPLATE_NAME_MAX) {
        return syntax_error(err, p,
                            "placeholder name at position %" APR_SIZE_T_FMT
                            " is longer than %d characters",
                            pos, SMS_TEMPLATE_NAME_MAX);
    }
    if (!s[n]) {
        return syntax_error(err, p,
                            "'{' at position %" APR_SIZE_T_FMT
                            " is not closed (write {{ for a literal '{')",
                            pos);
    }
    return syntax_error(err, p,
                        "placeholder at position %" APR_SIZE_T_FMT
                        " may hold only letters, digits and '_' between "
                        "'{' and '}' (write {{ for a literal '{')",
                        pos);
}

/* Check that body is well formed, or explain why not. Nothing is kept:
 * the pieces are walked again by next_piece. */
static apr_status_t check(sms_error_t **err, const char *body, apr_pool_t *p)
{
    apr_size_t i = 0;

    if (!body) {
        *err = sms_error_make(p, 400, "invalid_template", "body",
                              "template body is missing");
        return APR_EINVAL;
    }
    while (body[i]) {
        char c = body[i];
        apr_size_t n;

        if (c != '{' && c != '}') {
            i++;
            continue;
        }
        if (body[i + 1] == c) { /* "{{" or "}}": one literal brace */
            i += 2;
            continue;
        }
        if (c == '}') {
            return syntax_error(err, p,
                                "'}' at position %" APR_SIZE_T_FMT
                                " closes no placeholder (write }} for a "
                                "literal '}')",
                                char_pos(body, i));
        }
        n = strspn(body + i + 1, NAME_CHARS);
        if (n == 0 || n > SMS_TEMPLATE_NAME_MAX || body[i + 1 + n] != '}' ||
            (body[i + 1] >= '0' && body[i + 1] <= '9')) {
            return bad_open(err, body, i, p);
        }
        i += n + 2;
    }
    return APR_SUCCESS;
}

/* The piece of a well-formed body at *at: a run of literal text, the one
 * brace of "{{" or "}}", or a placeholder name (not NUL-terminated);
 * *at moves past it. 0 at the end of the body. */
static int next_piece(piece_t *pc, const char *body, apr_size_t *at)
{
    const char *s = body + *at;
    apr_size_t n;

    if (!*s) {
        return 0;
    }
    if (*s == '{' || *s == '}') {
        if (s[1] == *s) {
            pc->text = s;
            pc->len = 1;
            pc->is_name = 0;
            *at += 2;
            return 1;
        }
        n = strspn(s + 1, NAME_CHARS);
        pc->text = s + 1;
        pc->len = n;
        pc->is_name = 1;
        *at += n + 2;
        return 1;
    }
    n = strcspn(s, "{}");
    pc->text = s;
    pc->len = n;
    pc->is_name = 0;
    *at += n;
    return 1;
}

/* The JSON type of v in words, for messages. */
static const char *type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    default:
        return "a value of another type";
    }
}

/* %g of a real into out (NUMBER_MAX bytes), with '.' as the decimal
 * point whatever the C locale. */
static void format_real(char *out, double v)
{
    char buf[NUMBER_MAX];
    apr_size_t i, o = 0;
    int in_point = 0;

    snprintf(buf, sizeof(buf), "%g", v);
    for (i = 0; buf[i]; i++) {
        char c = buf[i];

        if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e') {
            out[o++] = c;
            in_point = 0;
        }
        else if (!in_point) {
            out[o++] = '.';
            in_point = 1;
        }
    }
    out[o] = '\0';
}

/* The text of value v for the placeholder name[0..n): a string's own
 * bytes, or a number written into num (NUMBER_MAX bytes); or a 400
 * naming "context.<name>". Nothing is allocated but the error. */
static apr_status_t value_text(const char **out, apr_size_t *len, char *num,
                               sms_error_t **err, json_t *v, const char *name,
                               apr_size_t n, apr_pool_t *p)
{
    const char *field;

    if (json_is_string(v)) {
        *out = json_string_value(v);
        *len = json_string_length(v);
        if (!memchr(*out, '\0', *len)) {
            return APR_SUCCESS;
        }
        field = apr_pstrcat(p, "context.", apr_pstrmemdup(p, name, n), NULL);
        *err = sms_error_make(p, 400, "invalid_message", field,
                              "'%s' contains a NUL character", field);
        return APR_EINVAL;
    }
    if (json_is_integer(v) || json_is_real(v)) {
        if (json_is_integer(v)) {
            /* not JSON_INTEGER_FORMAT: APR's own printf does not know it */
            snprintf(num, NUMBER_MAX, "%" APR_INT64_T_FMT,
                     (apr_int64_t)json_integer_value(v));
        }
        else {
            format_real(num, json_real_value(v));
        }
        *out = num;
        *len = strlen(num);
        return APR_SUCCESS;
    }
    field = apr_pstrcat(p, "context.", apr_pstrmemdup(p, name, n), NULL);
    *err = sms_error_make(p, 400, "invalid_json", field,
                          "'%s' must be a string or a number, not %s", field,
                          type_name(v));
    return APR_EINVAL;
}

apr_status_t sms_template_check(sms_error_t **err, const char *body,
                                apr_pool_t *p)
{
    return check(err, body, p);
}

/* The value of placeholder name[0..n): from the last layer that has it. */
static json_t *lookup(json_t *const *layers, int n, const char *name,
                      apr_size_t len)
{
    json_t *v;

    while (n-- > 0) {
        if (layers[n] && (v = json_object_getn(layers[n], name, len))) {
            return v;
        }
    }
    return NULL;
}

/* The text of piece pc: itself, or its placeholder's value (a number
 * written into num); a 400 when the value is missing or of a wrong type. */
static apr_status_t piece_text(const char **text, apr_size_t *len, char *num,
                               sms_error_t **err, const piece_t *pc,
                               json_t *const *layers, int n, apr_pool_t *p)
{
    json_t *v;

    if (!pc->is_name) {
        *text = pc->text;
        *len = pc->len;
        return APR_SUCCESS;
    }
    if (!(v = lookup(layers, n, pc->text, pc->len))) {
        const char *name = apr_pstrmemdup(p, pc->text, pc->len);
        *err = sms_error_make(p, 400, "unknown_placeholder",
                              apr_pstrcat(p, "context.", name, NULL),
                              "template placeholder {%s} has no value", name);
        return APR_EINVAL;
    }
    return value_text(text, len, num, err, v, pc->text, pc->len, p);
}

/* The length of the rendered body; a 400 as soon as it passes
 * SMS_TEMPLATE_OUTPUT_MAX (before it is built), or for a missing or wrong
 * value. */
static apr_status_t rendered_length(apr_size_t *total, sms_error_t **err,
                                    const char *body, json_t *const *layers,
                                    int n, apr_pool_t *p)
{
    char num[NUMBER_MAX];
    apr_size_t at = 0, len;
    const char *text;
    apr_status_t rv;
    piece_t pc;

    *total = 0;
    while (next_piece(&pc, body, &at)) {
        if ((rv = piece_text(&text, &len, num, err, &pc, layers, n, p)) !=
            APR_SUCCESS) {
            return rv;
        }
        /* stop as soon as the text is longer than any SMS can carry: the
         * work and memory stay bounded whatever the template and values */
        if ((*total += len) > SMS_TEMPLATE_OUTPUT_MAX) {
            *err = sms_error_make(p, 400, "message_too_long", "message",
                                  "the rendered message would be longer "
                                  "than any SMS can carry (over %d bytes)",
                                  SMS_TEMPLATE_OUTPUT_MAX);
            return APR_EINVAL;
        }
    }
    return APR_SUCCESS;
}

/* The body is read three times (its syntax, the length of its text, the
 * text) and never split into a list: what rendering allocates is the
 * text, at most SMS_TEMPLATE_OUTPUT_MAX bytes, whatever the number of
 * placeholders or the size of the values. */
apr_status_t sms_template_render_in(const char **out, sms_error_t **err,
                                    const char *body, json_t *const *layers,
                                    int n, apr_pool_t *p)
{
    char num[NUMBER_MAX], *buf;
    apr_size_t total, at = 0, o = 0, len;
    const char *text;
    apr_status_t rv;
    piece_t pc;
    int i;

    *out = NULL;
    if ((rv = check(err, body, p)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < n; i++) {
        if (layers[i] && !json_is_object(layers[i])) {
            *err = sms_error_make(p, 400, "invalid_json", "context",
                                  "'context' must be an object");
            return APR_EINVAL;
        }
    }
    if ((rv = rendered_length(&total, err, body, layers, n, p)) !=
        APR_SUCCESS) {
        return rv;
    }
    buf = apr_palloc(p, total + 1);
    while (next_piece(&pc, body, &at) &&
           piece_text(&text, &len, num, err, &pc, layers, n, p) ==
               APR_SUCCESS &&
           o + len <= total) {
        memcpy(buf + o, text, len);
        o += len;
    }
    buf[o] = '\0';
    *out = buf;
    return APR_SUCCESS;
}

apr_status_t sms_template_render(const char **out, sms_error_t **err,
                                 const char *body, json_t *vars, apr_pool_t *p)
{
    return sms_template_render_in(out, err, body, &vars, 1, p);
}

apr_array_header_t *sms_template_names(const char *body, apr_pool_t *p)
{
    apr_array_header_t *names;
    apr_hash_t *seen;
    sms_error_t *err;
    apr_size_t at = 0;
    piece_t pc;

    if (check(&err, body, p) != APR_SUCCESS) {
        return NULL;
    }
    names = apr_array_make(p, 4, sizeof(const char *));
    seen = apr_hash_make(p);
    while (next_piece(&pc, body, &at)) {
        if (pc.is_name && !apr_hash_get(seen, pc.text, pc.len)) {
            const char *name = apr_pstrmemdup(p, pc.text, pc.len);
            apr_hash_set(seen, name, pc.len, "");
            APR_ARRAY_PUSH(names, const char *) = name;
        }
    }
    return names;
}
