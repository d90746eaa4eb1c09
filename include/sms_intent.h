/*
 * sms_intent.h - what a reply to a message means (API.md section 7):
 * confirm, cancel or unclear, from the reply's words as people type them
 * (case, full-width letters, NBSP, zero-width marks and punctuation around
 * them do not matter: the words of sms_keyword_words). httpd-free.
 */
#ifndef SMS_INTENT_H
#define SMS_INTENT_H

#include <apr_tables.h>

#include "sms_core.h"

/* SMSReplyConfirmWords and SMSReplyCancelWords by default. */
#define SMS_INTENT_CONFIRM_DEFAULT "Y YES YEAH YEP YUP OK CONFIRM CONFIRMED"
#define SMS_INTENT_CANCEL_DEFAULT "N NO NOPE CANCEL"

typedef enum {
    SMS_INTENT_NONE = 0, /* a keyword, or a reply to no message */
    SMS_INTENT_CONFIRM,
    SMS_INTENT_CANCEL,
    SMS_INTENT_UNCLEAR
} sms_intent_e;

/* "confirm", "cancel", "unclear", or NULL for SMS_INTENT_NONE. */
const char *sms_intent_name(sms_intent_e intent);

/* The words of a space-separated list, upper case (for the defaults). */
apr_array_header_t *sms_intent_list(const char *words, apr_pool_t *p);

/* The intent of a reply: CONFIRM when its only word is one of confirm,
 * CANCEL when it is one of cancel (upper-case words), UNCLEAR otherwise
 * (more words, other words, an emoji alone). The caller gives NONE to a
 * keyword or to a reply that answers no message. */
sms_intent_e sms_intent_classify(const char *text,
                                 const apr_array_header_t *confirm,
                                 const apr_array_header_t *cancel,
                                 apr_pool_t *p);

#endif /* SMS_INTENT_H */
