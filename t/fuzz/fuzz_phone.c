/*
 * fuzz_phone.c - phone numbers (sms_phone_parse: our screen, then
 * libphonenumber): the first byte picks a default country code, the rest
 * is what was typed.
 *
 * Properties: an accepted number is E.164-shaped (7 to 15 ASCII digits,
 * no leading 0) with a named type; when the input is ASCII its digits come
 * from the input (after the country code when one was put in front);
 * normalising "+<result>" gives the result and the same type again under
 * any country code (idempotent); masking keeps the length and the ends. A
 * refusal is a 400 invalid_phone naming the field, with a message that is
 * valid UTF-8 (it goes into a JSON error).
 */
#include <jansson.h>

#include <apr_strings.h>

#include "fuzz.h"
#include "sms_phone.h"

static const char *const country_codes[] = {"61", "1", "44", "64", "351",
                                            "", "0", "1234", "6a", NULL};
#define N_CODES (sizeof(country_codes) / sizeof(*country_codes))

/* Whether needle's characters appear in order in hay. */
static int subsequence(const char *needle, const char *hay)
{
    for (; *needle; needle++) {
        hay = strchr(hay, *needle);
        if (!hay) {
            return 0;
        }
        hay++;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_input_pool();
    const char *cc, *out, *mask;
    sms_phone_t *ph = NULL, *again;
    sms_error_t *err = NULL;
    int ascii;
    char *in, *digits;
    apr_size_t i, n, len;
    unsigned k;

    if (size < 1) {
        return 0;
    }
    cc = country_codes[data[0] % N_CODES];
    in = fuzz_cstr(data + 1, size - 1);

    if (sms_phone_parse(&ph, &err, in, cc, "to", p) != APR_SUCCESS) {
        json_t *j;

        FUZZ_CHECK(ph == NULL && err);
        FUZZ_CHECK(err->status == 400 && !strcmp(err->code, "invalid_phone"));
        FUZZ_CHECK(err->field && !strcmp(err->field, "to"));
        j = json_string(err->message);
        FUZZ_CHECK(j != NULL);
        json_decref(j);
        free(in);
        return 0;
    }
    out = ph->digits;
    FUZZ_CHECK(ph->type >= 0 && ph->type < SMS_PHONE_N_TYPES);
    FUZZ_CHECK(ph->sms_capable == sms_phone_type_allowed(
                   ph->type, SMS_PHONE_TYPES_SMS_DEFAULT));
    len = strlen(out);
    /* the shortest numbers in use have 7 digits with the country code
     * (Tokelau, +690 7290) */
    FUZZ_CHECK(len >= 7 && len <= SMS_PHONE_MAX_DIGITS);
    FUZZ_CHECK(strspn(out, "0123456789") == len && out[0] != '0');

    digits = apr_palloc(p, strlen(in) + 1);
    for (i = 0, n = 0; in[i]; i++) {
        if (in[i] >= '0' && in[i] <= '9') {
            digits[n++] = in[i];
        }
    }
    digits[n] = '\0';
    for (i = 0, ascii = 1; in[i]; i++) {
        ascii = ascii && (unsigned char)in[i] < 0x80;
    }
    FUZZ_CHECK(!ascii || subsequence(out, digits)
               || (cc && *cc && !strncmp(out, cc, strlen(cc))
                   && subsequence(out + strlen(cc), digits)));

    for (k = 0; k < N_CODES; k++) {
        FUZZ_CHECK(sms_phone_parse(&again, &err,
                                   apr_pstrcat(p, "+", out, NULL),
                                   country_codes[k], "to", p)
                   == APR_SUCCESS);
        FUZZ_CHECK(!strcmp(again->digits, out) && again->type == ph->type);
    }

    mask = sms_phone_mask(out, p);
    FUZZ_CHECK(strlen(mask) == len);
    FUZZ_CHECK(!strncmp(mask, out, 3) && !strcmp(mask + len - 3,
                                                 out + len - 3));
    FUZZ_CHECK(strspn(mask + 3, "*") == len - 6);
    free(in);
    return 0;
}
