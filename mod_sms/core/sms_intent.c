/*
 * sms_intent.c - reply intents: the reply's only word against the confirm
 * and cancel words.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_intent.h"
#include "sms_keyword.h"

const char *sms_intent_name(sms_intent_e intent)
{
    switch (intent) {
    case SMS_INTENT_CONFIRM:
        return "confirm";
    case SMS_INTENT_CANCEL:
        return "cancel";
    case SMS_INTENT_UNCLEAR:
        return "unclear";
    default:
        return NULL;
    }
}

apr_array_header_t *sms_intent_list(const char *words, apr_pool_t *p)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));
    char *copy = apr_pstrdup(p, words), *last, *w;

    for (w = apr_strtok(copy, " ", &last); w;
         w = apr_strtok(NULL, " ", &last)) {
        char *c;
        for (c = w; *c; c++) {
            *c = (char)apr_toupper((unsigned char)*c);
        }
        APR_ARRAY_PUSH(out, const char *) = w;
    }
    return out;
}

static int listed(const apr_array_header_t *list, const char *word)
{
    int i;

    for (i = 0; list && i < list->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(list, i, const char *), word)) {
            return 1;
        }
    }
    return 0;
}

sms_intent_e sms_intent_classify(const char *text,
                                 const apr_array_header_t *confirm,
                                 const apr_array_header_t *cancel,
                                 apr_pool_t *p)
{
    apr_array_header_t *words = sms_keyword_words(text, 2, p);
    const char *only;

    if (words->nelts != 1) {
        return SMS_INTENT_UNCLEAR; /* nothing readable, or more than one */
    }
    only = APR_ARRAY_IDX(words, 0, const char *);
    if (listed(confirm, only)) {
        return SMS_INTENT_CONFIRM;
    }
    return listed(cancel, only) ? SMS_INTENT_CANCEL : SMS_INTENT_UNCLEAR;
}
