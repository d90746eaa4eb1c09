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

/* One piece of a parsed body: literal text or a placeholder name. */
typedef struct {
    const char *text; /* literal bytes, or the name (NUL-terminated) */
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

/* Append literal bytes s[0..len) to pieces (nothing when empty). */
static void add_text(apr_array_header_t *pieces, const char *s, apr_size_t len)
{
    piece_t *pc;

    if (len) {
        pc = apr_array_push(pieces);
        pc->text = s;
        pc->len = len;
        pc->is_name = 0;
    }
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

/* Split body into literal and placeholder pieces, or explain why it is
 * malformed. */
static apr_status_t parse(apr_array_header_t **out, sms_error_t **err,
                          const char *body, apr_pool_t *p)
{
    apr_array_header_t *pieces = apr_array_make(p, 8, sizeof(piece_t));
    apr_size_t i = 0, start = 0;

    if (!body) {
        *err = sms_error_make(p, 400, "invalid_template", "body",
                              "template body is missing");
        return APR_EINVAL;
    }
    while (body[i]) {
        char c = body[i];
        apr_size_t n;
        piece_t *pc;

        if (c != '{' && c != '}') {
            i++;
            continue;
        }
        if (body[i + 1] == c) { /* "{{" or "}}": keep one brace */
            add_text(pieces, body + start, i + 1 - start);
            i += 2;
            start = i;
            continue;
        }
        if (c == '}') {
            return syntax_error(err, p,
                                "'}' at position %" APR_SIZE_T_FMT
                                " closes no placeholder (write }} for a "
                                "literal '}')",
                                char_pos(body, i));
        }
        n = strspn(body + i + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "abcdefghijklmnopqrstuvwxyz0123456789_");
        if (n == 0 || n > SMS_TEMPLATE_NAME_MAX || body[i + 1 + n] != '}' ||
            (body[i + 1] >= '0' && body[i + 1] <= '9')) {
            return bad_open(err, body, i, p);
        }
        add_text(pieces, body + start, i - start);
        pc = apr_array_push(pieces);
        pc->text = apr_pstrmemdup(p, body + i + 1, n);
        pc->len = n;
        pc->is_name = 1;
        i += n + 2;
        start = i;
    }
    add_text(pieces, body + start, i - start);
    *out = pieces;
    return APR_SUCCESS;
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

/* %g of a real, with '.' as the decimal point whatever the C locale. */
static const char *format_real(double v, apr_pool_t *p)
{
    char buf[64], *out = apr_palloc(p, sizeof(buf));
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
    return out;
}

/* The text of value v for placeholder name, or a 400 naming
 * "context.<name>". */
static apr_status_t value_text(const char **out, apr_size_t *len,
                               sms_error_t **err, json_t *v, const char *name,
                               apr_pool_t *p)
{
    const char *field = apr_pstrcat(p, "context.", name, NULL);

    if (json_is_string(v)) {
        *out = json_string_value(v);
        *len = json_string_length(v);
        if (memchr(*out, '\0', *len)) {
            *err = sms_error_make(p, 400, "invalid_message", field,
                                  "'%s' contains a NUL character", field);
            return APR_EINVAL;
        }
    }
    else if (json_is_integer(v)) {
        /* APR's formatter does not know JSON_INTEGER_FORMAT ("lld") */
        *out = apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(v));
        *len = strlen(*out);
    }
    else if (json_is_real(v)) {
        *out = format_real(json_real_value(v), p);
        *len = strlen(*out);
    }
    else {
        *err = sms_error_make(p, 400, "invalid_json", field,
                              "'%s' must be a string or a number, not %s",
                              field, type_name(v));
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t sms_template_check(sms_error_t **err, const char *body,
                                apr_pool_t *p)
{
    apr_array_header_t *pieces;

    return parse(&pieces, err, body, p);
}

/* The value of placeholder name: from the last layer that has it. */
static json_t *lookup(json_t *const *layers, int n, const char *name)
{
    json_t *v;

    while (n-- > 0) {
        if (layers[n] && (v = json_object_get(layers[n], name))) {
            return v;
        }
    }
    return NULL;
}

apr_status_t sms_template_render_in(const char **out, sms_error_t **err,
                                    const char *body, json_t *const *layers,
                                    int n, apr_pool_t *p)
{
    apr_array_header_t *pieces;
    apr_size_t total = 0, o = 0;
    apr_status_t rv;
    piece_t *pc;
    char *buf;
    int i;

    *out = NULL;
    if ((rv = parse(&pieces, err, body, p)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < n; i++) {
        if (layers[i] && !json_is_object(layers[i])) {
            *err = sms_error_make(p, 400, "invalid_json", "context",
                                  "'context' must be an object");
            return APR_EINVAL;
        }
    }
    pc = (piece_t *)pieces->elts;
    for (i = 0; i < pieces->nelts; i++) {
        json_t *v;

        if (pc[i].is_name) {
            if (!(v = lookup(layers, n, pc[i].text))) {
                *err =
                    sms_error_make(p, 400, "unknown_placeholder",
                                   apr_pstrcat(p, "context.", pc[i].text, NULL),
                                   "template placeholder {%s} has no "
                                   "value",
                                   pc[i].text);
                return APR_EINVAL;
            }
            rv = value_text(&pc[i].text, &pc[i].len, err, v, pc[i].text, p);
            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
        /* stop as soon as the text is longer than any SMS can carry: the
         * work and memory stay bounded whatever the template and values */
        if ((total += pc[i].len) > SMS_TEMPLATE_OUTPUT_MAX) {
            *err = sms_error_make(p, 400, "message_too_long", "message",
                                  "the rendered message would be longer "
                                  "than any SMS can carry (over %d bytes)",
                                  SMS_TEMPLATE_OUTPUT_MAX);
            return APR_EINVAL;
        }
    }
    buf = apr_palloc(p, total + 1);
    for (i = 0; i < pieces->nelts; i++) {
        memcpy(buf + o, pc[i].text, pc[i].len);
        o += pc[i].len;
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
    apr_array_header_t *pieces, *names;
    apr_hash_t *seen;
    sms_error_t *err;
    piece_t *pc;
    int i;

    if (parse(&pieces, &err, body, p) != APR_SUCCESS) {
        return NULL;
    }
    names = apr_array_make(p, 4, sizeof(const char *));
    seen = apr_hash_make(p);
    pc = (piece_t *)pieces->elts;
    for (i = 0; i < pieces->nelts; i++) {
        if (pc[i].is_name &&
            !apr_hash_get(seen, pc[i].text, APR_HASH_KEY_STRING)) {
            apr_hash_set(seen, pc[i].text, APR_HASH_KEY_STRING, "");
            APR_ARRAY_PUSH(names, const char *) = pc[i].text;
        }
    }
    return names;
}
