/*
 * fuzz_text.c - the text engine (sms_text_analyse): the first byte says
 * whether smart encoding is on, the rest is the text.
 *
 * Properties: analyse accepts exactly what validate accepts; the parts,
 * joined, are the message, which is the input unless smart encoding
 * changed it (and then the input needed UCS-2 and the result is GSM-7
 * and smart-encoding it again changes nothing); parts start on character
 * boundaries, never exceed per_segment units and are packed greedily;
 * counts (characters, units, segments, remaining) agree with the split.
 */
#include "fuzz.h"
#include "sms_text.h"

/* UTF-8 lead bytes in [s, s + n): the characters. */
static apr_size_t lead_bytes(const char *s, apr_size_t n)
{
    apr_size_t i, c = 0;

    for (i = 0; i < n; i++) {
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return c;
}

static void check_split(const sms_text_t *t, apr_pool_t *p)
{
    int single = t->encoding == SMS_ENC_GSM7 ? SMS_GSM7_SINGLE
                                             : SMS_UCS2_SINGLE;
    int concat = t->encoding == SMS_ENC_GSM7 ? SMS_GSM7_CONCAT
                                             : SMS_UCS2_CONCAT;
    apr_size_t at = 0, units = 0;
    char *joined = apr_palloc(p, t->length + 1);
    int i;

    FUZZ_CHECK(t->per_segment
               == (t->units <= (apr_size_t)single ? single : concat));
    FUZZ_CHECK(t->segments == t->parts->nelts);
    FUZZ_CHECK((t->segments == 0) == (t->length == 0));
    FUZZ_CHECK(t->characters == lead_bytes(t->message, t->length));
    FUZZ_CHECK(strlen(t->message) == t->length);
    if (t->encoding == SMS_ENC_GSM7) {
        FUZZ_CHECK(t->units >= t->characters
                   && t->units <= 2 * t->characters);
    }
    else {
        FUZZ_CHECK(t->units >= t->characters);
    }
    for (i = 0; i < t->parts->nelts; i++) {
        const sms_text_part_t *pt = &APR_ARRAY_IDX(t->parts, i,
                                                   sms_text_part_t);
        const char *text = sms_text_part(t, i, p);
        const char *why;

        FUZZ_CHECK(pt->offset == at);
        FUZZ_CHECK(pt->length > 0 && pt->units > 0);
        FUZZ_CHECK(pt->units <= t->per_segment);
        FUZZ_CHECK(strlen(text) == pt->length);
        /* a part is whole characters: valid text on its own */
        FUZZ_CHECK(sms_text_validate(&why, text, pt->length, p)
                   == APR_SUCCESS);
        if (i + 1 < t->parts->nelts) {
            /* greedy: the next part's first character did not fit */
            const sms_text_part_t *nx = &APR_ARRAY_IDX(t->parts, i + 1,
                                                       sms_text_part_t);
            sms_text_t *first;
            apr_size_t n = 1;

            while (nx->offset + n < t->length
                   && ((unsigned char)t->message[nx->offset + n] & 0xC0)
                          == 0x80) {
                n++;
            }
            FUZZ_CHECK(sms_text_analyse(&first, &why,
                                        t->message + nx->offset, n, 0, p)
                       == APR_SUCCESS);
            /* in a GSM-7 text every character is GSM-7 and costs alike
             * alone; in UCS-2 a character costs 2 units outside the BMP */
            FUZZ_CHECK(t->encoding == SMS_ENC_UCS2
                       || first->encoding == SMS_ENC_GSM7);
            FUZZ_CHECK(pt->units
                           + (t->encoding == SMS_ENC_GSM7
                                  ? (int)first->units
                                  : (n == 4 ? 2 : 1))
                       > t->per_segment);
        }
        memcpy(joined + at, text, pt->length);
        at += pt->length;
        units += (apr_size_t)pt->units;
    }
    joined[at] = '\0';
    FUZZ_CHECK(at == t->length);
    FUZZ_CHECK(!memcmp(joined, t->message, t->length));
    FUZZ_CHECK(units == t->units);
    FUZZ_CHECK(t->remaining
               == t->per_segment
                      - (t->segments
                             ? APR_ARRAY_IDX(t->parts, t->segments - 1,
                                             sms_text_part_t).units
                             : 0));
    FUZZ_CHECK(t->remaining >= 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_input_pool();
    sms_text_t *t, *plain, *again;
    const char *why = NULL, *why2;
    apr_status_t rv;
    char *text;
    int smart;

    if (size < 1) {
        return 0;
    }
    smart = data[0] & 1;
    size--;
    text = malloc(size ? size : 1);     /* exactly sized: no NUL after it */
    memcpy(text, data + 1, size);

    rv = sms_text_analyse(&t, &why, text, size, smart, p);
    FUZZ_CHECK((rv == APR_SUCCESS)
               == (sms_text_validate(&why2, text, size, p) == APR_SUCCESS));
    if (rv != APR_SUCCESS) {
        FUZZ_CHECK(why && *why);
        free(text);
        return 0;
    }
    check_split(t, p);
    FUZZ_CHECK(sms_text_analyse(&plain, &why, text, size, 0, p)
               == APR_SUCCESS);
    if (!t->smart_applied) {
        /* the message is the input, byte for byte */
        FUZZ_CHECK(t->length == size && !memcmp(t->message, text, size));
        FUZZ_CHECK(t->encoding == plain->encoding && t->units == plain->units);
    }
    else {
        FUZZ_CHECK(smart && plain->encoding == SMS_ENC_UCS2);
        FUZZ_CHECK(t->encoding == SMS_ENC_GSM7);
    }
    /* smart encoding is idempotent: the result of one pass is GSM-7 or
     * the input itself, and a second pass changes nothing */
    FUZZ_CHECK(sms_text_analyse(&again, &why, t->message, t->length, 1, p)
               == APR_SUCCESS);
    FUZZ_CHECK(!again->smart_applied || !t->smart_applied);
    if (t->smart_applied) {
        FUZZ_CHECK(again->length == t->length
                   && !memcmp(again->message, t->message, t->length)
                   && again->encoding == SMS_ENC_GSM7
                   && again->units == t->units
                   && again->segments == t->segments);
    }
    FUZZ_CHECK(sms_text_is_blank(t)
               == (strspn(t->message, " \r\n") == t->length));
    free(text);
    return 0;
}
