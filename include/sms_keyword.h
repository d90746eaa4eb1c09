/*
 * sms_keyword.h - opt-out and opt-in keywords of an inbound reply
 * (API.md section 7), matched the way people type them on a phone:
 * case, full-width and other compatibility forms, NBSP and other spaces,
 * zero-width and bidi marks, and punctuation or symbols around the reply
 * do not matter. httpd-free.
 */
#ifndef SMS_KEYWORD_H
#define SMS_KEYWORD_H

#include <apr_tables.h>

#include "sms_core.h"

/* The default opt-out words (SMSOptOutKeywords). CANCEL is not one: it
 * answers an appointment ("cancel"), it does not unsubscribe. */
#define SMS_KEYWORDS_OPTOUT_DEFAULT                                            \
    "STOP STOPALL UNSUBSCRIBE OPTOUT REVOKE END QUIT"

/* Words that also opt out as the first word of a longer reply ("Stop
 * please"), when they are opt-out words. */
#define SMS_KEYWORDS_FIRST_WORD "STOP UNSUBSCRIBE"

/* The opt-in words, matched as the whole reply. */
#define SMS_KEYWORDS_OPTIN "START UNSTOP"

typedef enum {
    SMS_KEYWORD_NONE = 0,
    SMS_KEYWORD_OPTOUT,
    SMS_KEYWORD_OPTIN
} sms_keyword_e;

/* The words of text (runs of letters and digits, after Unicode NFKC case
 * folding, which also drops zero-width, bidi and other ignorable marks),
 * upper-cased, as const char *; empty when text has none or is not UTF-8.
 * At most max words are returned. */
apr_array_header_t *sms_keyword_words(const char *text, int max, apr_pool_t *p);

/* What text asks for: SMS_KEYWORD_OPTOUT when its only word is one of
 * optout (upper-case words; NULL: SMS_KEYWORDS_OPTOUT_DEFAULT), or when its
 * first word is one of them and of SMS_KEYWORDS_FIRST_WORD; OPTIN when its
 * only word is START or UNSTOP; NONE otherwise. *word (may be NULL) gets
 * the keyword matched, upper case, or NULL. */
sms_keyword_e sms_keyword_match(const char **word, const char *text,
                                const apr_array_header_t *optout,
                                apr_pool_t *p);

#endif /* SMS_KEYWORD_H */
