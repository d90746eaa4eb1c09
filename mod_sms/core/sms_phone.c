/*
 * sms_phone.c - phone numbers: what people type, screened here, then
 * parsed, validated and typed by Google's libphonenumber (through
 * sms_phone_lpn.cc) into E.164 digits without '+'.
 *
 * The screen (our rules, before libphonenumber sees the text): the input
 * must be UTF-8; decimal digits of any script become ASCII digits;
 * Unicode spaces (NBSP, thin, ideographic ...) are spaces; dashes (en, em,
 * non-breaking hyphen, minus sign, full-width hyphen) are '-'; invisible
 * format characters (bidi marks, zero-width space and joiners, BOM, soft
 * hyphen) are dropped; line ends (CR, LF) may only close the text
 * (spaces and invisible characters may follow them);
 * '.', '(' and ')' and their full-width forms are separators; a '+' (or
 * full-width '+') may come once, before the first digit. Anything else -
 * letters (libphonenumber would read "1-800-FLOWERS" as digits), '#',
 * '*', ',', ';', '/', tabs, emoji - is refused, and so is an extension.
 * libphonenumber then takes the region of SMSDefaultCountryCode (61 ->
 * AU) for national numbers, strips that region's international prefix
 * (0011 for AU, 00 for most others) and trunk prefix (also after the
 * country code: "+61 (0)412 ..." and "+61 0412 ..."), and the number
 * must be valid by its metadata (right length and a range in use).
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <unicode/uchar.h>

#include "sms_phone.h"
#include "sms_phone_private.h"

#define SMS_PHONE_QUOTE_MAX 32  /* input characters quoted in errors */
#define SMS_PHONE_MAX_INPUT 256 /* bytes: longer input is refused */
#define SMS_PHONE_MAX_PREFIX 5  /* digits of an IDD and a "(0)" */

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
                          "phone number '%s' %s", quote_input(in, p), reason);
    return APR_EINVAL;
}

/* Why code point cp is not accepted. */
static const char *bad_char_reason(UChar32 cp, apr_pool_t *p)
{
    if (cp < 0x80 && apr_isalpha(cp)) {
        return "contains a letter";
    }
    if (cp == '+') {
        return "has a '+' that is not at the start";
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
        return "contains a control character";
    }
    if (cp < 0x80) {
        return apr_psprintf(p, "contains '%c'", (char)cp);
    }
    if (u_isalpha(cp)) {
        return "contains a letter";
    }
    return apr_psprintf(p,
                        "contains U+%04X, which is not a digit or a "
                        "separator",
                        (unsigned)cp);
}

/* The code point of the n-byte UTF-8 sequence at s. */
static UChar32 utf8_decode(const unsigned char *s, int n)
{
    UChar32 cp = n == 1 ? s[0] : s[0] & (0x7F >> n);
    int k;

    for (k = 1; k < n; k++) {
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    return cp;
}

/* Screen in into ASCII that libphonenumber reads: digits, ' ', '-', '.',
 * '(', ')' and one leading '+' (see the rules at the top). *plus tells
 * whether a '+' came, *digits how many digits. NULL after setting
 * *reason. */
static char *screen(const char *in, int *plus, apr_size_t *digits,
                    const char **reason, apr_pool_t *p)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t len = strlen(in), i = 0, o = 0;
    char *out = apr_palloc(p, len + 1);
    int ended = 0; /* a CR or LF came */

    *plus = 0;
    *digits = 0;
    while (s[i]) {
        int n = utf8_len(s + i), type;
        UChar32 cp;
        char c = 0;
        int line_end;

        if (n == 0) {
            *reason = "is not valid UTF-8 text";
            return NULL;
        }
        cp = utf8_decode(s + i, n);
        type = u_charType(cp);
        if (cp >= 0xFF01 && cp <= 0xFF5E) { /* full-width ASCII */
            cp -= 0xFEE0;
        }
        line_end = cp == '\r' || cp == '\n';
        if (ended && !line_end && cp != ' ' && type != U_SPACE_SEPARATOR &&
            type != U_FORMAT_CHAR) {
            *reason = "has a line break inside it"; /* text after it */
            return NULL;
        }
        if (line_end) {
            ended = 1;
            i += n;
            continue;
        }
        if (ended) {
            i += n; /* spaces, marks after the end */
            continue;
        }
        if (cp >= '0' && cp <= '9') {
            c = (char)cp;
        }
        else if (type == U_DECIMAL_DIGIT_NUMBER && u_charDigitValue(cp) >= 0) {
            c = (char)('0' + u_charDigitValue(cp));
        }
        else if (cp == '+') {
            if (*plus || *digits) {
                *reason = bad_char_reason(cp, p);
                return NULL;
            }
            *plus = 1;
            c = '+';
        }
        else if (cp == ' ' || type == U_SPACE_SEPARATOR) {
            c = ' ';
        }
        else if (cp == '-' || cp == 0x2212 || type == U_DASH_PUNCTUATION) {
            c = '-';
        }
        else if (cp == '.' || cp == '(' || cp == ')') {
            c = (char)cp;
        }
        else if (type == U_FORMAT_CHAR) {
            i += n; /* invisible: bidi, ZWSP, BOM */
            continue;
        }
        else {
            *reason = bad_char_reason(cp, p);
            return NULL;
        }
        if (c >= '0' && c <= '9') {
            ++*digits;
        }
        out[o++] = c;
        i += n;
    }
    out[o] = '\0';
    return out;
}

/* The country calling code cc as a number (1 to 3 digits, not starting
 * with 0), or 0 when it is not one. */
static int country_code_of(const char *cc)
{
    int i, v = 0;

    if (!cc || cc[0] < '1' || cc[0] > '9') {
        return 0;
    }
    for (i = 0; cc[i]; i++) {
        if (cc[i] < '0' || cc[i] > '9' || i >= 3) {
            return 0;
        }
        v = v * 10 + (cc[i] - '0');
    }
    return v;
}

/* The message fragment for a number libphonenumber did not take. */
static const char *refusal(sms_lpn_result_e res, const sms_lpn_number_t *n,
                           int plus, int default_cc, apr_pool_t *p)
{
    const char *where = apr_psprintf(p, "%s (+%d)", n->region, n->country_code);

    switch (res) {
    case SMS_LPN_NO_COUNTRY:
        if (!plus && default_cc == 0) {
            return "has no country code (start it with '+' and the "
                   "country code)";
        }
        return "has a country code that does not exist";
    case SMS_LPN_NOT_A_NUMBER:
        return "is not a phone number";
    case SMS_LPN_TOO_SHORT:
        return n->country_code
                   ? apr_psprintf(p, "is too short for a number in %s", where)
                   : "is too short";
    case SMS_LPN_TOO_LONG:
        if (!n->country_code || strlen(n->digits) > SMS_PHONE_MAX_DIGITS) {
            return apr_psprintf(p, "is too long (E.164 allows %d digits)",
                                SMS_PHONE_MAX_DIGITS);
        }
        return apr_psprintf(p, "is too long for a number in %s", where);
    case SMS_LPN_BAD_LENGTH:
        return apr_psprintf(p,
                            "has a number of digits no number in %s "
                            "has",
                            where);
    case SMS_LPN_LOCAL_ONLY:
        return apr_psprintf(p,
                            "is a local number without its area code "
                            "(%s)",
                            where);
    case SMS_LPN_INVALID:
        return apr_psprintf(p, "is not a valid number in %s", where);
    case SMS_LPN_EXTENSION:
        return "has an extension, which a text message cannot reach";
    default:
        return "could not be checked (the phone number library failed)";
    }
}

apr_status_t sms_phone_init(void)
{
    return sms_lpn_init() == 0 ? APR_SUCCESS : APR_EGENERAL;
}

apr_status_t sms_phone_parse(sms_phone_t **out, sms_error_t **err,
                             const char *in, const char *country_code,
                             const char *field, apr_pool_t *p)
{
    int default_cc = country_code_of(country_code), plus;
    const char *ascii, *reason = NULL;
    apr_size_t digits;
    sms_lpn_number_t n;
    sms_lpn_result_e res;
    sms_phone_t *ph;

    *out = NULL;
    if (!in) {
        in = "";
    }
    if (strlen(in) > SMS_PHONE_MAX_INPUT) {
        return phone_error(err, in, field,
                           apr_psprintf(p,
                                        "is too long "
                                        "(E.164 allows %d digits)",
                                        SMS_PHONE_MAX_DIGITS),
                           p);
    }
    if (!(ascii = screen(in, &plus, &digits, &reason, p))) {
        return phone_error(err, in, field, reason, p);
    }
    if (!digits) {
        return phone_error(err, in, field, plus ? "has no digits" : "is empty",
                           p);
    }
    if (digits > SMS_PHONE_MAX_DIGITS + SMS_PHONE_MAX_PREFIX) {
        return phone_error(err, in, field,
                           apr_psprintf(p,
                                        "is too long "
                                        "(E.164 allows %d digits)",
                                        SMS_PHONE_MAX_DIGITS),
                           p);
    }
    res = sms_lpn_parse(&n, ascii, default_cc);
    if (res != SMS_LPN_VALID) {
        if (res == SMS_LPN_FAILED) {
            sms_log(SMS_LOG_ERR, APR_EGENERAL, p,
                    "libphonenumber failed "
                    "on a number (metadata not loaded?)");
        }
        return phone_error(err, in, field,
                           refusal(res, &n, plus, default_cc, p), p);
    }
    ph = apr_pcalloc(p, sizeof(*ph));
    ph->digits = apr_pstrdup(p, n.digits);
    ph->region = apr_pstrdup(p, n.region);
    ph->country_code = n.country_code;
    ph->type = n.type >= 0 && n.type < SMS_PHONE_N_TYPES
                   ? (sms_phone_type_e)n.type
                   : SMS_PHONE_UNKNOWN;
    ph->sms_capable =
        sms_phone_type_allowed(ph->type, SMS_PHONE_TYPES_SMS_DEFAULT);
    *out = ph;
    return APR_SUCCESS;
}

apr_status_t sms_phone_normalise(const char **out, sms_error_t **err,
                                 const char *in, const char *country_code,
                                 const char *field, apr_pool_t *p)
{
    sms_phone_t *ph;
    apr_status_t rv = sms_phone_parse(&ph, err, in, country_code, field, p);

    *out = rv == APR_SUCCESS ? ph->digits : NULL;
    return rv;
}

const char *sms_phone_provider_digits(const char *in, apr_pool_t *p)
{
    apr_size_t n;

    if (!in) {
        return NULL;
    }
    if (*in == '+') {
        in++;
    }
    n = strspn(in, "0123456789");
    if (in[n] || n < 3 || n > SMS_PHONE_MAX_DIGITS || in[0] == '0') {
        return NULL;
    }
    return apr_pstrmemdup(p, in, n);
}

static const char *const type_names[SMS_PHONE_N_TYPES] = {
    "fixed_line", "mobile",       "fixed_line_or_mobile",
    "toll_free",  "premium_rate", "shared_cost",
    "voip",       "personal",     "pager",
    "uan",        "voicemail",    "unknown"};

const char *sms_phone_type_name(sms_phone_type_e type)
{
    return type >= 0 && type < SMS_PHONE_N_TYPES ? type_names[type] : "unknown";
}

apr_status_t sms_phone_type_parse(sms_phone_type_e *type, const char *name)
{
    int i;

    for (i = 0; name && i < SMS_PHONE_N_TYPES; i++) {
        if (!strcmp(name, type_names[i])) {
            *type = (sms_phone_type_e)i;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}

int sms_phone_type_allowed(sms_phone_type_e type, unsigned allowed)
{
    return type >= 0 && type < SMS_PHONE_N_TYPES &&
           (allowed & SMS_PHONE_TYPE_BIT(type)) != 0;
}

apr_status_t sms_phone_check_sms(sms_error_t **err, const sms_phone_t *ph,
                                 unsigned allowed, const char *field,
                                 apr_pool_t *p)
{
    if (sms_phone_type_allowed(ph->type, allowed)) {
        return APR_SUCCESS;
    }
    *err = sms_error_make(p, 400, "not_sms_capable", field,
                          "%s is a %s number, which this server does not "
                          "send text messages to (SMSAllowNumberTypes)",
                          ph->digits, sms_phone_type_name(ph->type));
    return APR_EINVAL;
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
        for (j = i; out[j] && (apr_isdigit(out[j]) || strchr(" -.()+", out[j]));
             j++) {
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
