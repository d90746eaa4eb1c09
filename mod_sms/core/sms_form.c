/*
 * sms_form.c - provider callback parameters: urlencoded decoding and the
 * request-free checks of the delivery-receipt and inbound webhooks.
 *
 * Decoding follows httpd's ap_unescape_urlencoded() exactly ('+' first,
 * then %XX; a bad escape or %00 is an error), so the glue could move here
 * without any request seeing a difference.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_sha1.h>
#include <apr_strings.h>

#include "sms_form.h"
#include "sms_phone.h"
#include "sms_text.h"

#define DLR_STATUS_MAX 32
#define DLR_REF_MAX 64
#define CALLBACK_NUMBER_MAX 32
#define INBOUND_TEXT_MAX 8192

const char *const sms_form_dlr_names[] = {"to",     "ref",    "smsref",
                                          "status", "secret", NULL};
const char *const sms_form_inbound_names[] = {"to",  "from",   "message",
                                              "ref", "secret", NULL};

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
                                : apr_tolower((unsigned char)c) - 'a' + 10;
}

apr_status_t sms_form_unescape(char *s)
{
    char *x, *y;
    int bad = 0;

    for (x = s; *x; x++) {
        if (*x == '+') {
            *x = ' ';
        }
    }
    if (!strchr(s, '%')) {
        return APR_SUCCESS; /* nothing written: s may be read-only */
    }
    for (x = y = s; *y; x++, y++) {
        if (*y != '%') {
            *x = *y;
        }
        else if (!apr_isxdigit(y[1]) || !apr_isxdigit(y[2])) {
            *x = '%'; /* kept as it is, and an error */
            bad = 1;
        }
        else {
            *x = (char)(hex_value(y[1]) << 4 | hex_value(y[2]));
            bad |= *x == '\0';
            y += 2;
        }
    }
    *x = '\0';
    return bad ? APR_EINVAL : APR_SUCCESS;
}

apr_status_t sms_form_parse(apr_table_t *args, sms_error_t **err,
                            const char *encoded, apr_size_t len,
                            const char *const *allowed, apr_pool_t *p)
{
    char *rest, *pair, *last;

    if (memchr(encoded, '\0', len)) {
        *err = sms_error_make(p, 400, "invalid_parameter", NULL,
                              "the parameters are not well encoded");
        return APR_EINVAL;
    }
    rest = apr_pstrmemdup(p, encoded, len);
    for (pair = apr_strtok(rest, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        char *value = eq ? eq + 1 : pair + strlen(pair);
        const char *const *a;

        if (eq) {
            *eq = '\0';
        }
        if (sms_form_unescape(pair) || sms_form_unescape(value)) {
            *err = sms_error_make(p, 400, "invalid_parameter", NULL,
                                  "the parameters are not well encoded");
            return APR_EINVAL;
        }
        for (a = allowed; *a && strcmp(*a, pair); a++)
            ;
        if (!*a) {
            *err = sms_error_make(p, 400, "invalid_parameter", pair,
                                  "unknown parameter '%s'", pair);
            return APR_EINVAL;
        }
        if (apr_table_get(args, pair)) {
            *err = sms_error_make(p, 400, "invalid_parameter", pair,
                                  "parameter '%s' is given twice", pair);
            return APR_EINVAL;
        }
        apr_table_setn(args, pair, value);
    }
    return APR_SUCCESS;
}

/* A normalised number from a callback parameter, or the provider's
 * digits when libphonenumber does not know the number (a reply or a STOP
 * from a new range is recorded, not refused), or NULL. */
static const char *callback_number(const char *v, const char *country_code,
                                   apr_pool_t *p)
{
    const char *out = NULL;
    sms_error_t *err;

    if (!v || !*v) {
        return NULL;
    }
    if (sms_phone_normalise(&out, &err, v, country_code, NULL, p)) {
        return sms_phone_provider_digits(v, p);
    }
    return out;
}

/* Delivered/Expired/Failed -> our status; NULL for any other value. */
static const char *receipt_status(const char *v)
{
    if (!strcasecmp(v, "Delivered")) {
        return "delivered";
    }
    if (!strcasecmp(v, "Expired")) {
        return "expired";
    }
    if (!strcasecmp(v, "Failed")) {
        return "failed";
    }
    return NULL;
}

apr_status_t sms_form_dlr(sms_form_dlr_t *out, sms_error_t **err,
                          apr_table_t *args, const char *country_code,
                          apr_pool_t *p)
{
    const char *status = apr_table_get(args, "status");
    const char *smsref = apr_table_get(args, "smsref");
    const char *ref = apr_table_get(args, "ref");
    const char *to_raw = apr_table_get(args, "to");

    memset(out, 0, sizeof(*out));
    if (smsref && !*smsref) {
        smsref = NULL;
    }
    if (ref && !*ref) {
        ref = NULL;
    }
    if (!status || !*status || (!smsref && !ref)) {
        *err = sms_error_make(p, 400, "invalid_parameter",
                              !status || !*status ? "status" : "smsref",
                              "a delivery receipt needs 'status' and "
                              "'smsref' or 'ref' (and 'to')");
        return APR_EINVAL;
    }
    if (strlen(status) > DLR_STATUS_MAX ||
        (smsref && strlen(smsref) > DLR_REF_MAX) ||
        (ref && strlen(ref) > DLR_REF_MAX) ||
        (to_raw && strlen(to_raw) > CALLBACK_NUMBER_MAX)) {
        *err = sms_error_make(p, 400, "invalid_parameter", NULL,
                              "a receipt parameter is too long");
        return APR_EINVAL;
    }
    out->status = status;
    out->mapped = receipt_status(status);
    out->smsref = smsref;
    out->ref = ref;
    out->to_raw = to_raw;
    out->to = callback_number(to_raw, country_code, p);
    return APR_SUCCESS;
}

apr_status_t sms_form_inbound(sms_form_inbound_t *out, sms_error_t **err,
                              apr_table_t *args, const char *country_code,
                              apr_pool_t *p)
{
    const char *text = apr_table_get(args, "message");
    const char *ref = apr_table_get(args, "ref");
    const char *to = apr_table_get(args, "to");
    const char *from_raw = apr_table_get(args, "from"), *why;

    memset(out, 0, sizeof(*out));
    if (!from_raw || !text) {
        *err = sms_error_make(p, 400, "invalid_parameter",
                              text ? "from" : "message",
                              "an inbound "
                              "message needs 'from' and 'message'");
        return APR_EINVAL;
    }
    if (!(out->from = callback_number(from_raw, country_code, p))) {
        *err = sms_error_make(p, 400, "invalid_phone", "from",
                              "'from' is not a phone number");
        return APR_EINVAL;
    }
    if (sms_text_validate(&why, text, strlen(text), p)) {
        *err = sms_error_make(p, 400, "invalid_message", "message", "%s", why);
        return APR_EINVAL;
    }
    if (strlen(text) > INBOUND_TEXT_MAX || (ref && strlen(ref) > DLR_REF_MAX) ||
        (to && strlen(to) > CALLBACK_NUMBER_MAX)) {
        *err = sms_error_make(p, 400, "invalid_parameter", NULL,
                              "an inbound parameter is too long");
        return APR_EINVAL;
    }
    out->to = to;
    out->text = text;
    out->ref = ref && *ref ? ref : NULL;
    return APR_SUCCESS;
}

const char *sms_form_dedup_key(int n, const char *const *parts, apr_pool_t *p)
{
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    apr_sha1_ctx_t ctx;
    char *hex = apr_palloc(p, 2 * APR_SHA1_DIGESTSIZE + 1);
    int i;

    apr_sha1_init(&ctx);
    for (i = 0; i < n; i++) {
        const char *s = parts[i] ? parts[i] : "";
        apr_sha1_update(&ctx, s, (unsigned int)strlen(s));
        apr_sha1_update_binary(&ctx, (const unsigned char *)"", 1);
    }
    apr_sha1_final(digest, &ctx);
    for (i = 0; i < APR_SHA1_DIGESTSIZE; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return hex;
}
