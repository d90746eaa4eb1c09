/*
 * sms_text.h - the one text engine: validation, smart encoding, GSM-7 /
 * UCS-2 choice, unit counting and segment splitting.
 *
 * httpd-free: APR only. Preview, validation and sending all call
 * sms_text_analyse(), so client-visible counts and what is sent never
 * disagree.
 */
#ifndef SMS_TEXT_H
#define SMS_TEXT_H

#include <apr_pools.h>
#include <apr_tables.h>

#define SMS_GSM7_SINGLE 160
#define SMS_GSM7_CONCAT 153
#define SMS_UCS2_SINGLE 70
#define SMS_UCS2_CONCAT 67
#define SMS_MAX_PARTS_LIMIT 5

typedef enum { SMS_ENC_GSM7 = 0, SMS_ENC_UCS2 = 1 } sms_encoding_e;

/* One segment of a split message: a byte range of sms_text_t.message. */
typedef struct sms_text_part_t {
    apr_size_t offset;
    apr_size_t length;
    int units;
} sms_text_part_t;

typedef struct sms_text_t {
    sms_encoding_e encoding;
    const char *message;       /* text after smart encoding, NUL-terminated */
    apr_size_t length;         /* bytes of message */
    apr_size_t characters;     /* Unicode code points */
    apr_size_t units;          /* GSM septets or UTF-16 code units */
    int segments;              /* 0 for an empty text */
    int per_segment;           /* 160/153 (GSM-7) or 70/67 (UCS-2) */
    int remaining;             /* units left in the last segment */
    int smart_applied;         /* smart encoding changed the text */
    apr_array_header_t *parts; /* of sms_text_part_t */
} sms_text_t;

/* Encoding name as the API spells it: "GSM-7" or "UCS-2". */
const char *sms_text_encoding_name(sms_encoding_e enc);

/* Check that [s, s+len) is valid UTF-8 with no control characters other
 * than LF and CR; on failure *why says where and what, in a sentence. */
apr_status_t sms_text_validate(const char **why, const char *s, apr_size_t len,
                               apr_pool_t *p);

/* A copy of s that is valid UTF-8: every byte that does not start a
 * well-formed sequence becomes U+FFFD. For echoing untrusted input. */
const char *sms_text_utf8_safe(const char *s, apr_pool_t *p);

/* Validate, optionally smart-encode, count and split a text. Returns
 * APR_EINVAL with *why set when the text is not acceptable message text. */
apr_status_t sms_text_analyse(sms_text_t **out, const char **why, const char *s,
                              apr_size_t len, int smart, apr_pool_t *p);

/* Copy of part i of an analysed text as a NUL-terminated string. */
const char *sms_text_part(const sms_text_t *t, int i, apr_pool_t *p);

/* True when the text is empty or only white space (space, LF, CR). */
int sms_text_is_blank(const sms_text_t *t);

#endif /* SMS_TEXT_H */
