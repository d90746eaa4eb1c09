/*
 * sms_keyword.c - opt-out and opt-in keywords of an inbound reply.
 *
 * The reply is decoded from UTF-8, normalised with ICU's NFKC_Casefold
 * (full-width and other compatibility letters become plain ones, case is
 * folded, default-ignorable characters - zero-width space and joiners,
 * bidi marks, BOM, soft hyphen - disappear), then cut into words: runs of
 * letters and digits; everything else (spaces of any kind, punctuation,
 * symbols, emoji, line ends) separates them. A keyword is the whole reply
 * when the reply has exactly one word ("STOP.", " stop\u00a0", "ＳＴＯＰ",
 * "STOP\u200b", "*STOP*"); STOP and UNSUBSCRIBE also count as the first
 * of several words ("Stop please"), other keywords do not ("End of May
 * works", "quit smoking clinic").
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "sms_keyword.h"

#define KEYWORD_TEXT_MAX (1 << 20) /* longer text: no words at all */
#define KEYWORD_WORD_MAX 32        /* longer words are no keyword */

/* text (len bytes) as NFKC_Casefold UTF-16 in *out (*n units); 0 when it
 * is not UTF-8 or ICU fails. */
static int folded(UChar **out, int32_t *n, const char *text, int32_t len,
                  apr_pool_t *p)
{
    UErrorCode ec = U_ZERO_ERROR;
    const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&ec);
    UChar *u16;
    int32_t u16len = 0, cap;

    if (U_FAILURE(ec)) {
        return 0;
    }
    u16 = apr_palloc(p, (apr_size_t)(len + 1) * sizeof(UChar));
    u_strFromUTF8(u16, len + 1, &u16len, text, len, &ec);
    if (U_FAILURE(ec)) {
        return 0;
    }
    cap = u16len * 4 + 16; /* NFKC_Casefold rarely grows text */
    for (;;) {
        *out = apr_palloc(p, (apr_size_t)cap * sizeof(UChar));
        ec = U_ZERO_ERROR;
        *n = unorm2_normalize(nf, u16, u16len, *out, cap, &ec);
        if (ec != U_BUFFER_OVERFLOW_ERROR) {
            break;
        }
        cap = *n + 1;
    }
    return U_SUCCESS(ec);
}

apr_array_header_t *sms_keyword_words(const char *text, int max, apr_pool_t *p)
{
    apr_array_header_t *words = apr_array_make(p, 4, sizeof(char *));
    int32_t len, n = 0, i = 0;
    UChar *u = NULL;

    if (!text) {
        return words;
    }
    /* the whole reply: a cut could hide a second word (inbound texts are
     * at most 8 KB, sms_form.c) */
    len = (int32_t)strlen(text);
    if (len > KEYWORD_TEXT_MAX) {
        return words; /* no keyword is that long */
    }
    if (!folded(&u, &n, text, len, p)) {
        return words;
    }
    while (i < n && words->nelts < max) {
        char buf[KEYWORD_WORD_MAX * 4 + 1];
        int32_t o = 0, start;
        UChar32 c;
        int too_long = 0;

        U16_NEXT(u, i, n, c);
        if (!u_isalnum(c)) {
            continue;
        }
        /* one word: letters and digits (with their combining marks) */
        for (;;) {
            UErrorCode ec = U_ZERO_ERROR;
            UChar one[2];
            int32_t ulen = 0, blen = 0;

            one[ulen++] = U16_IS_SINGLE(c) ? (UChar)c : U16_LEAD(c);
            if (!U16_IS_SINGLE(c)) {
                one[ulen++] = U16_TRAIL(c);
            }
            if (o + 4 < (int32_t)sizeof(buf) - 1) {
                u_strToUTF8(buf + o, (int32_t)sizeof(buf) - 1 - o, &blen, one,
                            ulen, &ec);
                o += U_SUCCESS(ec) ? blen : 0;
            }
            else {
                too_long = 1;
            }
            if (i >= n) {
                break;
            }
            start = i;
            U16_NEXT(u, i, n, c);
            if (!u_isalnum(c) && !(U_GET_GC_MASK(c) & U_GC_M_MASK)) {
                i = start;
                break;
            }
        }
        buf[o] = '\0';
        if (too_long) {
            buf[0] = '\0'; /* no keyword is this long */
        }
        {
            char *w = apr_pstrdup(p, buf);
            char *q;
            for (q = w; *q; q++) {
                *q = (char)apr_toupper((unsigned char)*q);
            }
            APR_ARRAY_PUSH(words, const char *) = w;
        }
    }
    return words;
}

/* Whether word is one of the space-separated list. */
static int in_list(const char *word, const char *list)
{
    apr_size_t n = strlen(word);
    const char *s = list;

    while (*s) {
        apr_size_t k = strcspn(s, " ");
        if (k == n && !strncmp(s, word, n)) {
            return 1;
        }
        s += k;
        s += strspn(s, " ");
    }
    return 0;
}

/* Whether word is an opt-out word (the array, or the defaults). */
static int is_optout(const char *word, const apr_array_header_t *optout)
{
    int i;

    if (!optout) {
        return in_list(word, SMS_KEYWORDS_OPTOUT_DEFAULT);
    }
    for (i = 0; i < optout->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(optout, i, const char *), word)) {
            return 1;
        }
    }
    return 0;
}

sms_keyword_e sms_keyword_match(const char **word, const char *text,
                                const apr_array_header_t *optout, apr_pool_t *p)
{
    apr_array_header_t *words = sms_keyword_words(text, 2, p);
    const char *first;

    if (word) {
        *word = NULL;
    }
    if (words->nelts == 0) {
        return SMS_KEYWORD_NONE;
    }
    first = APR_ARRAY_IDX(words, 0, const char *);
    if (!*first) {
        return SMS_KEYWORD_NONE;
    }
    if (is_optout(first, optout) &&
        (words->nelts == 1 || in_list(first, SMS_KEYWORDS_FIRST_WORD))) {
        if (word) {
            *word = first;
        }
        return SMS_KEYWORD_OPTOUT;
    }
    if (words->nelts == 1 && in_list(first, SMS_KEYWORDS_OPTIN)) {
        if (word) {
            *word = first;
        }
        return SMS_KEYWORD_OPTIN;
    }
    return SMS_KEYWORD_NONE;
}
