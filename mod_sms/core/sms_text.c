/*
 * sms_text.c - GSM 03.38 / UCS-2 counting and splitting.
 *
 * Rules (API.md "Text"): a text is GSM-7 when every character is in the
 * default alphabet or its extension table (extension characters cost two
 * septets: ESC + code), otherwise UCS-2 (UTF-16 code units; characters
 * outside the BMP cost two). One message holds 160 septets / 70 units;
 * concatenated messages hold 153 / 67 per segment, and a split never
 * separates an escape pair or a surrogate pair.
 */
#include <string.h>

#include <apr_strings.h>

#include "sms_text.h"

#define SMS_UTF8_BAD ((apr_uint32_t)0xFFFFFFFF)

/* Non-ASCII characters of the GSM 03.38 default alphabet, sorted. */
static const apr_uint32_t gsm_basic_high[] = {
    0x00A1, 0x00A3, 0x00A4, 0x00A5, 0x00A7, 0x00BF, 0x00C4, 0x00C5,
    0x00C6, 0x00C7, 0x00C9, 0x00D1, 0x00D6, 0x00D8, 0x00DC, 0x00DF,
    0x00E0, 0x00E4, 0x00E5, 0x00E6, 0x00E8, 0x00E9, 0x00EC, 0x00F1,
    0x00F2, 0x00F6, 0x00F8, 0x00F9, 0x00FC, 0x0393, 0x0394, 0x0398,
    0x039B, 0x039E, 0x03A0, 0x03A3, 0x03A6, 0x03A8, 0x03A9};

/* Look-alike characters replaced by SMSSmartEncoding; an empty
 * replacement deletes the character (invisible formatting marks). */
typedef struct {
    apr_uint32_t cp;
    const char *gsm;
} smart_map_t;

static const smart_map_t smart_map[] = {
    {0x00A0, " "},   {0x00AB, "\""}, {0x00AD, ""},   {0x00BB, "\""},
    {0x2000, " "},   {0x2001, " "},  {0x2002, " "},  {0x2003, " "},
    {0x2004, " "},   {0x2005, " "},  {0x2006, " "},  {0x2007, " "},
    {0x2008, " "},   {0x2009, " "},  {0x200A, " "},  {0x200B, ""},
    {0x200C, ""},    {0x200D, ""},   {0x2010, "-"},  {0x2011, "-"},
    {0x2012, "-"},   {0x2013, "-"},  {0x2014, "-"},  {0x2015, "-"},
    {0x2018, "'"},   {0x2019, "'"},  {0x201A, "'"},  {0x201B, "'"},
    {0x201C, "\""},  {0x201D, "\""}, {0x201E, "\""}, {0x201F, "\""},
    {0x2026, "..."}, {0x202F, " "},  {0x2032, "'"},  {0x2033, "\""},
    {0x205F, " "},   {0x2060, ""},   {0x2212, "-"},  {0x3000, " "},
    {0xFEFF, ""}};

const char *sms_text_encoding_name(sms_encoding_e enc)
{
    return enc == SMS_ENC_UCS2 ? "UCS-2" : "GSM-7";
}

/* Decode one code point at s[*i], strictly (no overlongs, no surrogates,
 * nothing above U+10FFFF); advances *i. SMS_UTF8_BAD on malformed input. */
static apr_uint32_t utf8_next(const unsigned char *s, apr_size_t len,
                              apr_size_t *i)
{
    apr_uint32_t c = s[*i], cp, min;
    int n, k;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        cp = c & 0x1F;
        min = 0x80;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        cp = c & 0x0F;
        min = 0x800;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        cp = c & 0x07;
        min = 0x10000;
    }
    else {
        return SMS_UTF8_BAD;
    }
    if (len - *i <= (apr_size_t)n) { /* truncated sequence */
        return SMS_UTF8_BAD;
    }
    for (k = 1; k <= n; k++) {
        unsigned char cc = s[*i + k];
        if ((cc & 0xC0) != 0x80) {
            return SMS_UTF8_BAD;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return SMS_UTF8_BAD;
    }
    *i += n + 1;
    return cp;
}

static int is_control(apr_uint32_t cp)
{
    return (cp < 0x20 && cp != 0x0A && cp != 0x0D) ||
           (cp >= 0x7F && cp <= 0x9F);
}

/* Septets a character costs in GSM-7: 1 basic, 2 extension, 0 none. */
static int gsm_cost(apr_uint32_t cp)
{
    int lo = 0,
        hi = (int)(sizeof(gsm_basic_high) / sizeof(*gsm_basic_high)) - 1;

    if (cp < 0x80) {
        if (cp == 0x0A || cp == 0x0D) {
            return 1;
        }
        if (cp < 0x20 || cp == 0x60 || cp == 0x7F) {
            return 0;
        }
        return strchr("[\\]^{|}~", (int)cp) ? 2 : 1;
    }
    if (cp == 0x20AC) {
        return 2;
    }
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (gsm_basic_high[mid] == cp) {
            return 1;
        }
        if (gsm_basic_high[mid] < cp) {
            lo = mid + 1;
        }
        else {
            hi = mid - 1;
        }
    }
    return 0;
}

static const smart_map_t *smart_lookup(apr_uint32_t cp)
{
    int lo = 0, hi = (int)(sizeof(smart_map) / sizeof(*smart_map)) - 1;

    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (smart_map[mid].cp == cp) {
            return &smart_map[mid];
        }
        if (smart_map[mid].cp < cp) {
            lo = mid + 1;
        }
        else {
            hi = mid - 1;
        }
    }
    return NULL;
}

const char *sms_text_utf8_safe(const char *s, apr_pool_t *p)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t len = strlen(s), i = 0, o = 0;
    char *out;

    out = apr_palloc(p, 3 * len + 1); /* U+FFFD is 3 bytes per byte */
    while (i < len) {
        apr_size_t at = i;
        if (utf8_next(u, len, &i) == SMS_UTF8_BAD) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i = at + 1;
            continue;
        }
        memcpy(out + o, s + at, i - at);
        o += i - at;
    }
    out[o] = '\0';
    return out;
}

apr_status_t sms_text_validate(const char **why, const char *s, apr_size_t len,
                               apr_pool_t *p)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0, chars = 0;

    while (i < len) {
        apr_size_t at = i;
        apr_uint32_t cp = utf8_next(u, len, &i);
        if (cp == SMS_UTF8_BAD) {
            *why = apr_psprintf(
                p, "text is not valid UTF-8 (byte %" APR_SIZE_T_FMT ")", at);
            return APR_EINVAL;
        }
        chars++;
        if (is_control(cp)) {
            *why = apr_psprintf(p,
                                "character %" APR_SIZE_T_FMT
                                " is the control character U+%04X; only "
                                "LF and CR are allowed",
                                chars, (unsigned)cp);
            return APR_EINVAL;
        }
    }
    return APR_SUCCESS;
}

/* Text with the smart replacements applied, or NULL when nothing would
 * change or the result would still need UCS-2. Input is valid UTF-8. */
static char *smart_encode(const char *s, apr_size_t len, apr_size_t *outlen,
                          apr_pool_t *p)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0, o = 0;
    int changed = 0;
    char *out;

    /* a replacement is at most 3 bytes ("...") for a source of >= 2 */
    out = apr_palloc(p, len * 2 + 1);
    while (i < len) {
        apr_size_t at = i;
        apr_uint32_t cp = utf8_next(u, len, &i);
        const smart_map_t *m;

        if (gsm_cost(cp)) {
            memcpy(out + o, s + at, i - at);
            o += i - at;
            continue;
        }
        m = smart_lookup(cp);
        if (!m) {
            return NULL; /* stays UCS-2: keep the original */
        }
        memcpy(out + o, m->gsm, strlen(m->gsm));
        o += strlen(m->gsm);
        changed = 1;
    }
    if (!changed) {
        return NULL;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static int text_is_gsm(const char *s, apr_size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t i = 0;

    while (i < len) {
        if (!gsm_cost(utf8_next(u, len, &i))) {
            return 0;
        }
    }
    return 1;
}

/* Cost of the character at s[*i] in the chosen encoding; advances *i. */
static int char_units(sms_encoding_e enc, const unsigned char *s,
                      apr_size_t len, apr_size_t *i)
{
    apr_uint32_t cp = utf8_next(s, len, i);

    if (enc == SMS_ENC_GSM7) {
        return gsm_cost(cp);
    }
    return cp >= 0x10000 ? 2 : 1;
}

static void split(sms_text_t *t, apr_pool_t *p)
{
    const unsigned char *u = (const unsigned char *)t->message;
    apr_size_t i = 0;
    int single =
        t->encoding == SMS_ENC_GSM7 ? SMS_GSM7_SINGLE : SMS_UCS2_SINGLE;
    int concat =
        t->encoding == SMS_ENC_GSM7 ? SMS_GSM7_CONCAT : SMS_UCS2_CONCAT;
    sms_text_part_t *part = NULL;

    t->parts = apr_array_make(p, 4, sizeof(sms_text_part_t));
    t->per_segment = t->units <= (apr_size_t)single ? single : concat;
    while (i < t->length) {
        apr_size_t at = i;
        int cost = char_units(t->encoding, u, t->length, &i);

        if (!part || part->units + cost > t->per_segment) {
            part = apr_array_push(t->parts);
            part->offset = at;
            part->length = 0;
            part->units = 0;
        }
        part->length += i - at;
        part->units += cost;
        t->characters++;
    }
    t->segments = t->parts->nelts;
    t->remaining = t->per_segment - (part ? part->units : 0);
}

apr_status_t sms_text_analyse(sms_text_t **out, const char **why, const char *s,
                              apr_size_t len, int smart, apr_pool_t *p)
{
    sms_text_t *t;
    const unsigned char *u;
    apr_size_t i = 0;
    apr_status_t rv;

    rv = sms_text_validate(why, s, len, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    t = apr_pcalloc(p, sizeof(*t));
    t->message = apr_pstrmemdup(p, s, len);
    t->length = len;
    t->encoding = text_is_gsm(s, len) ? SMS_ENC_GSM7 : SMS_ENC_UCS2;
    if (smart && t->encoding == SMS_ENC_UCS2) {
        apr_size_t newlen;
        char *enc = smart_encode(s, len, &newlen, p);
        if (enc) {
            t->message = enc;
            t->length = newlen;
            t->encoding = SMS_ENC_GSM7;
            t->smart_applied = 1;
        }
    }
    u = (const unsigned char *)t->message;
    while (i < t->length) {
        t->units += char_units(t->encoding, u, t->length, &i);
    }
    split(t, p);
    *out = t;
    return APR_SUCCESS;
}

const char *sms_text_part(const sms_text_t *t, int i, apr_pool_t *p)
{
    const sms_text_part_t *part = &APR_ARRAY_IDX(t->parts, i, sms_text_part_t);

    return apr_pstrmemdup(p, t->message + part->offset, part->length);
}

int sms_text_is_blank(const sms_text_t *t)
{
    apr_size_t i;

    for (i = 0; i < t->length; i++) {
        if (!strchr(" \r\n", t->message[i])) {
            return 0;
        }
    }
    return 1;
}
