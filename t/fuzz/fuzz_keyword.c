/*
 * fuzz_keyword.c - opt-out/opt-in keywords of replies (sms_keyword_match):
 * the input is the reply as received.
 *
 * Properties: an opt-out or opt-in answer names its keyword, one of the
 * default lists, upper case; the answer is the same with spaces and
 * invisible marks around the reply (" \u00a0" before, "\u200b\r\n"
 * after) and with its ASCII letters in upper case; words are never empty
 * and have no spaces.
 */
#include <apr_lib.h>
#include <apr_strings.h>

#include "fuzz.h"
#include "sms_keyword.h"

/* Whether word is in the space-separated list. */
static int listed(const char *word, const char *list)
{
    const char *hit = strstr(list, word);
    apr_size_t n = strlen(word);

    while (hit) {
        if ((hit == list || hit[-1] == ' ') && (hit[n] == ' ' || !hit[n])) {
            return 1;
        }
        hit = strstr(hit + 1, word);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_input_pool();
    char *in = fuzz_cstr(data, size), *upper;
    const char *word, *again;
    apr_array_header_t *words;
    sms_keyword_e kw;
    size_t i;
    int k;

    kw = sms_keyword_match(&word, in, NULL, p);
    if (kw == SMS_KEYWORD_OPTOUT) {
        FUZZ_CHECK(word && listed(word, SMS_KEYWORDS_OPTOUT_DEFAULT));
    }
    else if (kw == SMS_KEYWORD_OPTIN) {
        FUZZ_CHECK(word && listed(word, SMS_KEYWORDS_OPTIN));
    }
    else {
        FUZZ_CHECK(kw == SMS_KEYWORD_NONE && word == NULL);
    }

    FUZZ_CHECK(sms_keyword_match(&again, apr_pstrcat(p, " \xc2\xa0", in,
                                                     "\xe2\x80\x8b\r\n",
                                                     NULL),
                                 NULL, p) == kw);
    upper = apr_pstrdup(p, in);
    for (i = 0; upper[i]; i++) {
        upper[i] = (char)apr_toupper((unsigned char)upper[i]);
    }
    FUZZ_CHECK(sms_keyword_match(&again, upper, NULL, p) == kw);

    words = sms_keyword_words(in, 8, p);
    FUZZ_CHECK(words->nelts <= 8);
    for (k = 0; k < words->nelts; k++) {
        const char *w = APR_ARRAY_IDX(words, k, const char *);
        FUZZ_CHECK(!strchr(w, ' '));
    }
    free(in);
    return 0;
}
