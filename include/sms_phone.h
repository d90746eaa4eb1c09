/*
 * sms_phone.h - phone numbers: what people type, parsed and validated by
 * Google's libphonenumber into the E.164 digits the provider and the API
 * use (61412345678), with the number's type (mobile, landline, toll-free
 * ...) and whether it can take an SMS. httpd-free.
 */
#ifndef SMS_PHONE_H
#define SMS_PHONE_H

#include "sms_core.h"

#define SMS_PHONE_MIN_DIGITS 8  /* shortest number masked in free text */
#define SMS_PHONE_MAX_DIGITS 15 /* E.164 */

/* libphonenumber's number types, in the API's words (API.md section 5). */
typedef enum {
    SMS_PHONE_FIXED_LINE = 0,
    SMS_PHONE_MOBILE,
    SMS_PHONE_FIXED_LINE_OR_MOBILE, /* the region's plans cannot tell */
    SMS_PHONE_TOLL_FREE,
    SMS_PHONE_PREMIUM_RATE,
    SMS_PHONE_SHARED_COST,
    SMS_PHONE_VOIP,
    SMS_PHONE_PERSONAL,
    SMS_PHONE_PAGER,
    SMS_PHONE_UAN,
    SMS_PHONE_VOICEMAIL,
    SMS_PHONE_UNKNOWN,
    SMS_PHONE_N_TYPES
} sms_phone_type_e;

/* A set of types: one bit per sms_phone_type_e. */
#define SMS_PHONE_TYPE_BIT(t) (1u << (t))
/* The types an SMS is sent to unless SMSAllowNumberTypes says otherwise. */
#define SMS_PHONE_TYPES_SMS_DEFAULT                                            \
    (SMS_PHONE_TYPE_BIT(SMS_PHONE_MOBILE) |                                    \
     SMS_PHONE_TYPE_BIT(SMS_PHONE_FIXED_LINE_OR_MOBILE))

/* A valid number. */
typedef struct sms_phone_t {
    const char *digits; /* E.164 without '+': "61412345678" */
    const char *region; /* its region, "AU" ("001": non-geographic) */
    int country_code;   /* 61 */
    sms_phone_type_e type;
    int sms_capable; /* type is in SMS_PHONE_TYPES_SMS_DEFAULT */
} sms_phone_t;

/* Load libphonenumber's metadata; call once before threads start (httpd's
 * post_config). Later calls do nothing. APR_EGENERAL when it fails. */
apr_status_t sms_phone_init(void);

/* Parse and validate in as typed, country_code (digits, e.g. "61"; NULL,
 * "" or an unknown code: only international numbers) giving the region of
 * national numbers. Pasted forms are accepted: Unicode spaces and dashes,
 * bidi and zero-width marks, a BOM, trailing CR/LF, any Unicode decimal
 * digits, full-width '+' and brackets, "+61 (0)4...". Letters, '#', '*',
 * other symbols, extensions and numbers libphonenumber finds invalid are
 * refused: APR_EINVAL with *err a 400 invalid_phone naming field. */
apr_status_t sms_phone_parse(sms_phone_t **out, sms_error_t **err,
                             const char *in, const char *country_code,
                             const char *field, apr_pool_t *p);

/* sms_phone_parse, giving only the E.164 digits without '+'. */
apr_status_t sms_phone_normalise(const char **out, sms_error_t **err,
                                 const char *in, const char *country_code,
                                 const char *field, apr_pool_t *p);

/* A number as the provider reports it (inbound "from", receipt "to")
 * when sms_phone_parse refuses it (a range libphonenumber's metadata does
 * not know yet, a short code): in's digits when in is 3 to 15 ASCII
 * digits, after at most one '+', not starting with 0; else NULL. Such a
 * number is recorded, never sent to, and links to no patient. */
const char *sms_phone_provider_digits(const char *in, apr_pool_t *p);

/* The API's name of a type ("fixed_line_or_mobile"). */
const char *sms_phone_type_name(sms_phone_type_e type);

/* The type named name (as sms_phone_type_name gives); APR_EINVAL when no
 * type has that name. */
apr_status_t sms_phone_type_parse(sms_phone_type_e *type, const char *name);

/* Whether a number of type may be sent an SMS under the set allowed
 * (SMS_PHONE_TYPE_BIT bits). */
int sms_phone_type_allowed(sms_phone_type_e type, unsigned allowed);

/* APR_SUCCESS when ph's type is in allowed; else APR_EINVAL with *err a
 * 400 not_sms_capable naming field and the type. */
apr_status_t sms_phone_check_sms(sms_error_t **err, const sms_phone_t *ph,
                                 unsigned allowed, const char *field,
                                 apr_pool_t *p);

/* Mask a normalised number for logs: first and last 3 digits kept,
 * 61412345678 -> 614*****678. */
const char *sms_phone_mask(const char *digits, apr_pool_t *p);

/* Mask every phone number in free text (a request path, a log line):
 * each run of digits and the separators people type (space - . ( ) +)
 * that holds at least SMS_PHONE_MIN_DIGITS digits keeps its first and
 * last 3 digits, "optouts/0412 345 678" -> "optouts/041* *** 678". */
const char *sms_phone_mask_text(const char *s, apr_pool_t *p);

#endif /* SMS_PHONE_H */
