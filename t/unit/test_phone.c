/*
 * test_phone.c - phone numbers (libphonenumber behind sms_phone_parse)
 * against the shared vectors of t/data/phone_vectors.json, plus number
 * types, the not_sms_capable check, the error envelope and masking.
 */
#include <stdlib.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <jansson.h>

#include "sms_phone.h"
#include "tap.h"

/* name formatted in the pool p of the calling function */
#define IS_STR(got, want, ...)                                                 \
    tap_is_str((got), (want), apr_psprintf(p, __VA_ARGS__))
#define IS_INT(got, want, ...)                                                 \
    tap_is_int((long long)(got), (long long)(want),                            \
               apr_psprintf(p, __VA_ARGS__))

/* Whether s is text jansson accepts as a JSON string (valid UTF-8). */
static int json_safe(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;

    json_decref(j);
    return j != NULL;
}

/* Whether haystack contains needle (NULL haystack: no). */
static int has(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

/* One vector: normalised digits or an invalid_phone error naming "to". */
static void check_case(json_t *c, apr_pool_t *p)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *in = json_string_value(json_object_get(c, "input"));
    const char *cc = json_string_value(json_object_get(c, "country_code"));
    const char *expect = json_string_value(json_object_get(c, "expect"));
    const char *code = json_string_value(json_object_get(c, "expect_error"));
    const char *type = json_string_value(json_object_get(c, "expect_type"));
    const char *out = "unset", *again = NULL;
    sms_phone_t *ph = NULL;
    sms_error_t *err = NULL;
    apr_status_t rv;

    rv = sms_phone_normalise(&out, &err, in, cc, "to", p);
    if (code) {
        if (!tap_ok(rv == APR_EINVAL && err, "%s: rejected", name)) {
            tap_diag("  got '%s'", rv == APR_SUCCESS ? out : "(error)");
            return;
        }
        IS_STR(err->code, code, "%s: code", name);
        IS_INT(err->status, 400, "%s: status", name);
        IS_STR(err->field, "to", "%s: field", name);
        tap_ok(out == NULL, "%s: no output on error", name);
        tap_ok(err->message && *err->message && json_safe(err->message) &&
                   strlen(err->message) <= 4 * 32 + 120,
               "%s: message is a short UTF-8 sentence (%s)", name,
               err->message ? err->message : "(null)");
        return;
    }
    if (!tap_ok(rv == APR_SUCCESS, "%s: accepted", name)) {
        tap_diag("  error: %s", err ? err->message : "(none)");
        return;
    }
    IS_STR(out, expect, "%s: digits", name);
    if (sms_phone_parse(&ph, &err, in, cc, "to", p) == APR_SUCCESS) {
        if (type) {
            IS_STR(sms_phone_type_name(ph->type), type, "%s: type", name);
        }
        IS_INT(ph->sms_capable,
               sms_phone_type_allowed(ph->type, SMS_PHONE_TYPES_SMS_DEFAULT),
               "%s: sms_capable follows the type", name);
    }
    /* the result, written internationally, normalises to itself */
    sms_phone_normalise(&again, &err, apr_pstrcat(p, "+", out, NULL), cc, "to",
                        p);
    IS_STR(again, expect, "%s: '+' form is stable", name);
}

/* The shared vectors; returns how many there are. */
static size_t check_vectors(apr_pool_t *pool)
{
    const char *dir = getenv("SMS_TEST_DATA");
    json_error_t je;
    json_t *doc, *cases;
    apr_pool_t *p;
    size_t i, n;

    doc = json_load_file(
        apr_pstrcat(pool, dir ? dir : "t/data", "/phone_vectors.json", NULL), 0,
        &je);
    if (!tap_ok(doc != NULL, "vectors load (%s)", doc ? "ok" : je.text)) {
        return 0;
    }
    cases = json_object_get(doc, "cases");
    n = json_array_size(cases);
    tap_ok(n >= 150, "at least 150 vectors (%zu)", n);
    for (i = 0; i < n; i++) {
        apr_pool_create(&p, pool);
        check_case(json_array_get(cases, i), p);
        apr_pool_destroy(p);
    }
    json_decref(doc);
    return n;
}

/* Error envelope details the vectors do not cover. */
static void check_errors(apr_pool_t *p)
{
    static const char *const formats[] = {"+61 412 345 678",
                                          "0412345678",
                                          "(04) 1234-5678",
                                          "61412345678",
                                          "412345678",
                                          "+61412345678",
                                          "+61 0412 345 678",
                                          "0011 61 412 345 678",
                                          "04 1234 5678",
                                          "04.1234.5678",
                                          NULL};
    const char *out;
    sms_error_t *err = NULL;
    char arabic[40 * 2 + 1];
    int i, all = 1;

    for (i = 0; formats[i]; i++) {
        out = NULL;
        all = all &&
              sms_phone_normalise(&out, &err, formats[i], "61", "to", p) ==
                  APR_SUCCESS &&
              !strcmp(out, "61412345678");
    }
    tap_ok(all, "every common Australian format gives 61412345678");

    sms_phone_normalise(&out, &err, "0412 ABC", "61", NULL, p);
    tap_ok(err->field == NULL, "field may be NULL");
    tap_ok(has(err->message, "contains a letter"), "letter named (%s)",
           err->message);
    tap_ok(has(err->message, "0412 ABC"), "input quoted");

    sms_phone_normalise(&out, &err, "0412#345", "61", "phone", p);
    IS_STR(err->field, "phone", "field passed through");
    tap_ok(has(err->message, "contains '#'"), "other character named (%s)",
           err->message);

    sms_phone_normalise(&out, &err, "", "61", "to", p);
    tap_ok(has(err->message, "is empty"), "empty named (%s)", err->message);
    sms_phone_normalise(&out, &err, " - ", "61", "to", p);
    tap_ok(has(err->message, "is empty"), "only separators is empty");
    sms_phone_normalise(&out, &err, NULL, "61", "to", p);
    tap_ok(has(err->message, "is empty"), "NULL input is empty");
    sms_phone_normalise(&out, &err, "0412", "61", "to", p);
    tap_ok(has(err->message, "too short for a number in AU (+61)"),
           "too short named with the country (%s)", err->message);
    sms_phone_normalise(&out, &err, "0412 345", "61", "to", p);
    tap_ok(has(err->message, "not a valid number in AU (+61)"),
           "invalid named with the country (%s)", err->message);
    sms_phone_normalise(&out, &err, "+44 298765432", "61", "to", p);
    tap_ok(has(err->message, "GB (+44)"), "the number's own country named (%s)",
           err->message);
    sms_phone_normalise(&out, &err, "0412345678", NULL, "to", p);
    tap_ok(has(err->message, "has no country code"),
           "no default country: asks for + (%s)", err->message);
    sms_phone_normalise(&out, &err, "+999 1234 5678", "61", "to", p);
    tap_ok(has(err->message, "country code that does not exist"),
           "unknown country code named (%s)", err->message);
    sms_phone_normalise(&out, &err, "+61 412 345 678 ext. 9", "61", "to", p);
    tap_ok(has(err->message, "contains a letter"),
           "extension text refused as letters (%s)", err->message);
    sms_phone_normalise(&out, &err, "0412 345 678\xf0\x9f\x93\xb1", "61", "to",
                        p);
    tap_ok(has(err->message, "U+1F4F1"), "emoji named by code point (%s)",
           err->message);
    sms_phone_normalise(&out, &err, "+6141234567890123", "61", "to", p);
    tap_ok(has(err->message, "too long (E.164 allows 15 digits)"),
           "too long named (%s)", err->message);
    sms_phone_normalise(&out, &err, "0412+345", "61", "to", p);
    tap_ok(has(err->message, "'+'"), "misplaced '+' named (%s)", err->message);

    sms_phone_normalise(&out, &err, "abcdefghijklmnopqrstuvwxyz0123456789",
                        "61", "to", p);
    tap_ok(has(err->message, "'abcdefghijklmnopqrstuvwxyz012345...'"),
           "only the first 32 characters quoted (%s)", err->message);

    for (i = 0; i < 40; i++) { /* U+0660, two bytes each */
        arabic[2 * i] = '\xd9';
        arabic[2 * i + 1] = '\xa0';
    }
    arabic[80] = '\0';
    sms_phone_normalise(&out, &err, arabic, "61", "to", p);
    tap_ok(json_safe(err->message), "32 non-ASCII characters cut whole");
    sms_phone_normalise(&out, &err,
                        "04\xff\xfe\x01"
                        "12",
                        "61", "to", p);
    tap_ok(json_safe(err->message) && has(err->message, "04???12"),
           "bad UTF-8 and controls quoted as '?' (%s)", err->message);
    sms_phone_normalise(&out, &err, "04\xe0\x80\xaf", "61", "to", p);
    tap_ok(json_safe(err->message), "over-long UTF-8 not quoted as is");
}

/* Type names, the allowed set and the not_sms_capable error. */
static void check_types(apr_pool_t *p)
{
    sms_phone_type_e t;
    sms_phone_t *ph = NULL;
    sms_error_t *err = NULL;
    int i, all = 1;

    for (i = 0; i < SMS_PHONE_N_TYPES; i++) {
        all = all &&
              sms_phone_type_parse(&t, sms_phone_type_name(i)) == APR_SUCCESS &&
              (int)t == i;
    }
    tap_ok(all, "every type name parses back to its type");
    tap_ok(sms_phone_type_parse(&t, "landline") == APR_EINVAL,
           "an unknown type name is refused");
    tap_ok(sms_phone_type_parse(&t, NULL) == APR_EINVAL, "NULL is refused");
    IS_STR(sms_phone_type_name(SMS_PHONE_N_TYPES), "unknown",
           "out of range type: unknown");
    tap_ok(
        sms_phone_type_allowed(SMS_PHONE_MOBILE, SMS_PHONE_TYPES_SMS_DEFAULT) &&
            sms_phone_type_allowed(SMS_PHONE_FIXED_LINE_OR_MOBILE,
                                   SMS_PHONE_TYPES_SMS_DEFAULT) &&
            !sms_phone_type_allowed(SMS_PHONE_FIXED_LINE,
                                    SMS_PHONE_TYPES_SMS_DEFAULT) &&
            !sms_phone_type_allowed(SMS_PHONE_TOLL_FREE,
                                    SMS_PHONE_TYPES_SMS_DEFAULT),
        "default: mobile and fixed_line_or_mobile only");

    sms_phone_parse(&ph, &err, "(02) 9876 5432", "61", "to", p);
    IS_STR(ph->region, "AU", "landline: region");
    IS_INT(ph->country_code, 61, "landline: country code");
    IS_INT(ph->sms_capable, 0, "landline: not sms_capable");
    tap_ok(sms_phone_check_sms(&err, ph, SMS_PHONE_TYPES_SMS_DEFAULT,
                               "recipients", p) == APR_EINVAL,
           "landline refused for SMS");
    IS_STR(err->code, "not_sms_capable", "code not_sms_capable");
    IS_INT(err->status, 400, "status 400");
    IS_STR(err->field, "recipients", "field named");
    tap_ok(has(err->message, "fixed_line"), "type named (%s)", err->message);
    tap_ok(sms_phone_check_sms(&err, ph,
                               SMS_PHONE_TYPE_BIT(SMS_PHONE_FIXED_LINE), "to",
                               p) == APR_SUCCESS,
           "allowed when the set has fixed_line");

    sms_phone_parse(&ph, &err, "0412 345 678", "61", "to", p);
    IS_INT(ph->sms_capable, 1, "mobile: sms_capable");
    tap_ok(sms_phone_check_sms(&err, ph, SMS_PHONE_TYPES_SMS_DEFAULT, "to",
                               p) == APR_SUCCESS,
           "mobile allowed");
    sms_phone_parse(&ph, &err, "+1 415 555 2671", "1", "to", p);
    IS_STR(ph->region, "US", "NANP number: its own region");
    sms_phone_parse(&ph, &err, "+1 416 555 0123", "61", "to", p);
    IS_STR(ph->region, "CA", "Toronto number: CA");
    tap_ok(sms_phone_init() == APR_SUCCESS, "init again is harmless");
}

/* sms_phone_mask keeps 3 + 3 digits. */
static void check_mask(apr_pool_t *p)
{
    IS_STR(sms_phone_mask("61412345678", p), "614*****678", "mask AU");
    IS_STR(sms_phone_mask("447911123456", p), "447******456", "mask UK");
    IS_STR(sms_phone_mask("123456789012345", p), "123*********345",
           "mask 15 digits");
    IS_STR(sms_phone_mask("1234567", p), "123*567", "mask 7 digits");
    IS_STR(sms_phone_mask("123456", p), "******", "mask 6 digits: all");
    IS_STR(sms_phone_mask("12", p), "**", "mask 2 digits: all");
    IS_STR(sms_phone_mask("", p), "", "mask empty");
    IS_STR(sms_phone_mask(NULL, p), "", "mask NULL");
    /* numbers inside free text (request paths for the access log) */
    IS_STR(sms_phone_mask_text("/api/sms/optouts/0412345678/", p),
           "/api/sms/optouts/041****678/", "mask text: national");
    IS_STR(sms_phone_mask_text("optouts/+61 412 345 678", p),
           "optouts/+61 4** *** 678", "mask text: typed with spaces");
    IS_STR(sms_phone_mask_text("messages/1234567/batches/9", p),
           "messages/1234567/batches/9", "mask text: ids stay");
    IS_STR(sms_phone_mask_text("a61412345678b61298765432", p),
           "a614*****678b612*****432", "mask text: two numbers");
    IS_STR(sms_phone_mask_text("", p), "", "mask text: empty");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    tap_ok(sms_phone_init() == APR_SUCCESS, "libphonenumber loads");
    check_vectors(p);
    check_errors(p);
    check_types(p);
    check_mask(p);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
