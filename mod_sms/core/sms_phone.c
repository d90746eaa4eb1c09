/*
 * sms_phone.c - normalise what people type as a phone number into the
 * international digits without '+' that the provider and the API use.
 *
 * Rules: spaces, '-', '.', '(' and ')' are separators and dropped; a '+'
 * before the first digit marks an international number; anything else
 * (letters, '#', non-ASCII such as Arabic-Indic digits) is refused. Then,
 * in this order: '+' -> the digits are international already; leading
 * 0011 (only for country code 61) or 00 -> international prefix, dropped;
 * a single leading 0 -> national trunk prefix, replaced by the country
 * code; digits that start with the country code and are at least 8 digits
 * longer than it -> international already; anything else is a national
 * number without its trunk prefix and gets the country code in front.
 * "(0)" right after the country code of an international number
 * ("+61 (0)412 345 678") is the trunk prefix people write out of habit
 * and is dropped. The result must be
 * SMS_PHONE_MIN_DIGITS..SMS_PHONE_MAX_DIGITS digits and not start with 0.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_phone.h"

#define SMS_PHONE_QUOTE_MAX 32      /* input characters quoted in errors */
#define NO_TRUNK ((apr_size_t)-1)   /* no "(0)" in the input */

/* Length of the well-formed UTF-8 sequence at s, or 0 when it is
 * malformed (stray, truncated, over-long, surrogate, above U+10FFFF). */
static int utf8_len(const unsigned char *s)
{
    unsigned char lo = 0x80, hi = 0xBF;
    int n, k;

    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2;
    }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3;
        lo = s[0] == 0xE0 ? 0xA0 : 0x80;
        hi = s[0] == 0xED ? 0x9F : 0xBF;
    }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4;
        lo = s[0] == 0xF0 ? 0x90 : 0x80;
        hi = s[0] == 0xF4 ? 0x8F : 0xBF;
    }
    else {
        return 0;
    }
    if (s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (k = 2; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return n;
}

/* The first SMS_PHONE_QUOTE_MAX characters of in, safe to put in a JSON
 * message: malformed UTF-8 and control characters become '?', and "..."
 * marks a cut. */
static const char *quote_input(const char *in, apr_pool_t *p)
{
    const unsigned char *s = (const unsigned char *)in;
    char *out = apr_palloc(p, SMS_PHONE_QUOTE_MAX * 4 + 4);
    apr_size_t i = 0, o = 0;
    int chars;

    for (chars = 0; s[i] && chars < SMS_PHONE_QUOTE_MAX; chars++) {
        int n = utf8_len(s + i);

        if (n == 0 || s[i] < 0x20 || s[i] == 0x7F) {
            out[o++] = '?';
            i++;
        }
        else {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        }
    }
    if (s[i]) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

/* A 400 invalid_phone for in, the reason being a printf-style fragment
 * that follows the quoted input ("contains a letter"). */
static apr_status_t phone_error(sms_error_t **err, const char *in,
                                const char *field, const char *reason,
                                apr_pool_t *p)
{
    *err = sms_error_make(p, 400, "invalid_phone", field,
                          "phone number '%s' %s", quote_input(in, p),
                          reason);
    return APR_EINVAL;
}

/* Why character c (at the start of a UTF-8 sequence) is not allowed. */
static const char *bad_char_reason(unsigned char c, apr_pool_t *p)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
        return "contains a letter";
    }
    if (c == '+') {
        return "has a '+' that is not at the start";
    }
    if (c < 0x20 || c == 0x7F) {
        return "contains a control character";
    }
    if (c >= 0x80) {
        return "contains a character that is not an ASCII digit";
    }
    return apr_psprintf(p, "contains '%c'", c);
}

/* Whether cc is a usable country code: 1 to 3 digits, not starting
 * with 0. */
static int country_code_ok(const char *cc)
{
    apr_size_t i;

    if (!cc || cc[0] < '1' || cc[0] > '9') {
        return 0;
    }
    for (i = 0; cc[i]; i++) {
        if (cc[i] < '0' || cc[i] > '9' || i >= 3) {
            return 0;
        }
    }
    return 1;
}

apr_status_t sms_phone_normalise(const char **out, sms_error_t **err,
                                 const char *in, const char *country_code,
                                 const char *field, apr_pool_t *p)
{
    const char *cc = country_code_ok(country_code) ? country_code : NULL;
    apr_size_t cclen = cc ? strlen(cc) : 0;
    apr_size_t i, n = 0, len, skip = 0, trunk_at = NO_TRUNK;
    int plus = 0;
    char *d;
    const char *intl, *national = NULL;

    *out = NULL;
    if (!in) {
        in = "";
    }
    len = strlen(in);
    d = apr_palloc(p, len + 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c >= '0' && c <= '9') {
            d[n++] = (char)c;
        }
        else if (c == '+' && !plus && !n) {
            plus = 1;
        }
        else if (c == '(' && in[i + 1] == '0' && in[i + 2] == ')') {
            trunk_at = n;           /* "(0)": remember where the 0 lands */
            d[n++] = '0';
            i += 2;
        }
        else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
            return phone_error(err, in, field, bad_char_reason(c, p), p);
        }
    }
    d[n] = '\0';
    if (!n) {
        return phone_error(err, in, field,
                           plus ? "has no digits" : "is empty", p);
    }

    /* international form: d without its prefix, or cc + national */
    if (plus || (cc && !strncmp(d, cc, cclen) && n >= cclen + 8)) {
        skip = 0;
    }
    else if (cc && !strcmp(cc, "61") && !strncmp(d, "0011", 4)) {
        skip = 4;
    }
    else if (!strncmp(d, "00", 2)) {
        skip = 2;
    }
    else if (!cc) {
        return phone_error(err, in, field,
                           "has no country code (start it with '+' and "
                           "the country code)", p);
    }
    else {
        national = d[0] == '0' ? d + 1 : d;     /* drop the trunk 0 */
    }

    if (national) {
        intl = apr_pstrcat(p, cc, national, NULL);
    }
    else if (trunk_at != NO_TRUNK && trunk_at > skip
             && trunk_at <= skip + 3) {
        /* drop the "(0)" written right after the country code */
        memmove(d + trunk_at, d + trunk_at + 1, n - trunk_at);
        intl = d + skip;
    }
    else {
        intl = d + skip;
    }

    n = strlen(intl);
    if (!n || intl[0] == '0') {
        return phone_error(err, in, field,
                           n ? "has no valid country code (it cannot "
                               "start with 0)"
                             : "has no digits after the international "
                               "prefix", p);
    }
    if (n < SMS_PHONE_MIN_DIGITS) {
        return phone_error(err, in, field,
                           apr_psprintf(p, "is too short (at least %d "
                                        "digits with the country code)",
                                        SMS_PHONE_MIN_DIGITS), p);
    }
    if (n > SMS_PHONE_MAX_DIGITS) {
        return phone_error(err, in, field,
                           apr_psprintf(p, "is too long (E.164 allows %d "
                                        "digits)", SMS_PHONE_MAX_DIGITS),
                           p);
    }
    *out = intl;
    return APR_SUCCESS;
}

const char *sms_phone_mask(const char *digits, apr_pool_t *p)
{
    apr_size_t len = digits ? strlen(digits) : 0;
    char *out = apr_pstrmemdup(p, digits ? digits : "", len);

    if (len <= 6) {
        memset(out, '*', len);
    }
    else {
        memset(out + 3, '*', len - 6);
    }
    return out;
}

const char *sms_phone_mask_text(const char *s, apr_pool_t *p)
{
    char *out = apr_pstrdup(p, s ? s : "");
    apr_size_t i = 0, j;

    while (out[i]) {
        int digits = 0, seen = 0;

        if (!apr_isdigit(out[i])) {
            i++;
            continue;
        }
        for (j = i; out[j] && (apr_isdigit(out[j])
                               || strchr(" -.()+", out[j])); j++) {
            digits += apr_isdigit(out[j]) ? 1 : 0;
        }
        for (; digits >= SMS_PHONE_MIN_DIGITS && i < j; i++) {
            if (apr_isdigit(out[i])) {
                seen++;
                if (seen > 3 && seen <= digits - 3) {
                    out[i] = '*';
                }
            }
        }
        i = j;
    }
    return out;
}
