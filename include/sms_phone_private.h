/*
 * sms_phone_private.h - the C interface of the core's one C++ file
 * (mod_sms/core/sms_phone_lpn.cc), which calls Google's libphonenumber.
 * Only sms_phone.c includes it: everything else uses sms_phone.h.
 */
#ifndef SMS_PHONE_PRIVATE_H
#define SMS_PHONE_PRIVATE_H

#ifdef __cplusplus
extern "C" {
#endif

/* What libphonenumber made of a number. */
typedef enum {
    SMS_LPN_VALID = 0,  /* a valid number, no extension */
    SMS_LPN_NO_COUNTRY, /* no '+' and no default region, or an
                         * unknown country calling code */
    SMS_LPN_NOT_A_NUMBER,
    SMS_LPN_TOO_SHORT,
    SMS_LPN_TOO_LONG,
    SMS_LPN_BAD_LENGTH, /* a length the country does not use */
    SMS_LPN_LOCAL_ONLY, /* dialable only locally: no area code */
    SMS_LPN_INVALID,    /* right length, no such number */
    SMS_LPN_EXTENSION,  /* valid but with an extension */
    SMS_LPN_FAILED      /* metadata not loaded, or an exception */
} sms_lpn_result_e;

/* The parse of one number; digits and region are set whenever the input
 * parsed (also when it is not valid), for messages. */
typedef struct {
    char digits[24]; /* E.164 without '+' */
    char region[4];  /* "AU"; "001" non-geographic; "ZZ" none */
    int country_code;
    int type; /* sms_phone_type_e */
} sms_lpn_number_t;

/* Load the metadata (PhoneNumberUtil::GetInstance); 0 on success. */
int sms_lpn_init(void);

/* Parse ascii (digits, spaces, - . ( ) and one leading '+') with the
 * region of default_cc (0: none) for national numbers; fills *out. */
sms_lpn_result_e sms_lpn_parse(sms_lpn_number_t *out, const char *ascii,
                               int default_cc);

/* The region of a country calling code ("AU" for 61, "ZZ" unknown) into
 * buf (at least 4 bytes). */
void sms_lpn_region_of(char *buf, int country_code);

#ifdef __cplusplus
}
#endif

#endif /* SMS_PHONE_PRIVATE_H */
