/*
 * sms_phone.h - phone numbers: normalise what people type into the
 * international digits the provider and the API use (61412345678).
 * httpd-free.
 */
#ifndef SMS_PHONE_H
#define SMS_PHONE_H

#include "sms_core.h"

#define SMS_PHONE_MIN_DIGITS 8     /* shortest international number taken */
#define SMS_PHONE_MAX_DIGITS 15    /* E.164 */

/* Normalise in to international digits without '+', using country_code
 * (digits, e.g. "61") for national numbers. Accepts spaces, '-', '.',
 * '(' ')', a leading '+' or international prefix 00 (0011 for 61). On
 * failure returns APR_EINVAL with *err a 400 invalid_phone naming field. */
apr_status_t sms_phone_normalise(const char **out, sms_error_t **err,
                                 const char *in, const char *country_code,
                                 const char *field, apr_pool_t *p);

/* Mask a normalised number for logs: first and last 3 digits kept,
 * 61412345678 -> 614*****678. */
const char *sms_phone_mask(const char *digits, apr_pool_t *p);

/* Mask every phone number in free text (a request path, a log line):
 * each run of digits and the separators people type (space - . ( ) +)
 * that holds at least SMS_PHONE_MIN_DIGITS digits keeps its first and
 * last 3 digits, "optouts/0412 345 678" -> "optouts/041* *** 678". */
const char *sms_phone_mask_text(const char *s, apr_pool_t *p);

#endif /* SMS_PHONE_H */
