/*
 * fuzz_form.c - provider callback parameters (sms_form_*): urlencoded
 * decoding and the webhook checks. The first byte picks the allowed
 * names (receipt or inbound) and a default country code; the rest is a
 * query string or form body.
 *
 * Properties: sms_form_unescape agrees with an independent decoder of
 * httpd's rules; accepted parameters are allowed names, each once, and
 * encoding them again and decoding gives the same table; a refusal is a
 * 400 invalid_parameter. The receipt and inbound checks return fields
 * within their documented limits (normalised numbers, valid text) or a
 * 400 of the documented codes; the dedup key is 40 hex digits and
 * depends only on the parts.
 */
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "fuzz.h"
#include "sms_form.h"
#include "sms_text.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Reference decoder: into out (at least strlen(in) + 1); 0 or -1. */
static int reference_unescape(char *out, const char *in)
{
    apr_size_t i = 0, o = 0;
    int bad = 0;

    while (in[i]) {
        if (in[i] == '+') {
            out[o++] = ' ';
            i++;
        }
        else if (in[i] == '%' && hexval((unsigned char)in[i + 1]) >= 0
                 && hexval((unsigned char)in[i + 2]) >= 0) {
            int c = hexval((unsigned char)in[i + 1]) * 16
                    + hexval((unsigned char)in[i + 2]);
            if (c == 0) {
                bad = 1;
            }
            out[o++] = (char)c;
            i += 3;
        }
        else {
            if (in[i] == '%') {
                bad = 1;
            }
            out[o++] = in[i++];
        }
    }
    out[o] = '\0';
    return bad ? -1 : 0;
}

/* Every byte but unreserved ones as %XX ('+' for a space, to use both). */
static const char *encode(const char *s, apr_pool_t *p)
{
    char *out = apr_palloc(p, 3 * strlen(s) + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ') {
            *o++ = '+';
        }
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            *o++ = (char)c;
        }
        else {
            o += apr_snprintf(o, 4, "%%%02X", c);
        }
    }
    *o = '\0';
    return out;
}

static int all_digits(const char *s, apr_size_t min, apr_size_t max)
{
    apr_size_t n = strlen(s);

    return n >= min && n <= max && strspn(s, "0123456789") == n
           && s[0] != '0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const codes[] = {"61", "1", "44", ""};
    apr_pool_t *p = fuzz_input_pool();
    const char *const *names;
    const char *cc;
    apr_table_t *args, *again;
    const apr_array_header_t *elts;
    sms_error_t *err = NULL;
    char *in, *mine, *ref, *query;
    int inbound, i, j, rv_ref;
    apr_status_t rv;

    if (size < 1) {
        return 0;
    }
    inbound = data[0] & 1;
    names = inbound ? sms_form_inbound_names : sms_form_dlr_names;
    cc = codes[(data[0] >> 1) % 4];
    in = fuzz_cstr(data + 1, size - 1);

    /* the decoder against the reference (on the text up to any NUL) */
    mine = apr_pstrdup(p, in);
    ref = apr_palloc(p, strlen(in) + 1);
    rv_ref = reference_unescape(ref, in);
    rv = sms_form_unescape(mine);
    FUZZ_CHECK((rv == APR_SUCCESS) == (rv_ref == 0));
    if (rv == APR_SUCCESS) {
        FUZZ_CHECK(!strcmp(mine, ref));
    }

    args = apr_table_make(p, 8);
    rv = sms_form_parse(args, &err, (const char *)data + 1, size - 1, names,
                        p);
    if (rv != APR_SUCCESS) {
        FUZZ_CHECK(err && err->status == 400
                   && !strcmp(err->code, "invalid_parameter"));
        free(in);
        return 0;
    }
    FUZZ_CHECK(!memchr(data + 1, '\0', size - 1));
    elts = apr_table_elts(args);
    query = "";
    for (i = 0; i < elts->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(elts, i,
                                                    apr_table_entry_t);
        const char *const *a;

        for (a = names; *a && strcmp(*a, e->key); a++)
            ;
        FUZZ_CHECK(*a != NULL);
        for (j = 0; j < i; j++) {
            FUZZ_CHECK(strcmp(e->key, APR_ARRAY_IDX(elts, j,
                                                    apr_table_entry_t).key));
        }
        query = apr_pstrcat(p, query, i ? "&" : "", encode(e->key, p), "=",
                            encode(e->val, p), NULL);
    }
    /* encode, decode: the same parameters */
    again = apr_table_make(p, 8);
    FUZZ_CHECK(sms_form_parse(again, &err, query, strlen(query), names, p)
               == APR_SUCCESS);
    FUZZ_CHECK(apr_table_elts(again)->nelts == elts->nelts);
    for (i = 0; i < elts->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(elts, i,
                                                    apr_table_entry_t);
        const char *v = apr_table_get(again, e->key);
        FUZZ_CHECK(v && !strcmp(v, e->val));
    }

    if (inbound) {
        sms_form_inbound_t ib;
        const char *why;

        rv = sms_form_inbound(&ib, &err, args, cc, p);
        if (rv == APR_SUCCESS) {
            /* E.164, or the provider's digits for a number libphonenumber
             * does not know (sms_phone_provider_digits): 3 to 15 */
            FUZZ_CHECK(all_digits(ib.from, 3, 15));
            FUZZ_CHECK(sms_text_validate(&why, ib.text, strlen(ib.text), p)
                       == APR_SUCCESS && strlen(ib.text) <= 8192);
            FUZZ_CHECK(!ib.ref || (*ib.ref && strlen(ib.ref) <= 64));
            FUZZ_CHECK(!ib.to || strlen(ib.to) <= 32);
            FUZZ_CHECK(strlen(sms_form_dedup_key(4, (const char *[]){
                ib.from, ib.to, ib.ref, ib.text}, p)) == 40);
        }
        else {
            FUZZ_CHECK(err->status == 400
                       && (!strcmp(err->code, "invalid_parameter")
                           || !strcmp(err->code, "invalid_phone")
                           || !strcmp(err->code, "invalid_message")));
        }
    }
    else {
        sms_form_dlr_t d;

        rv = sms_form_dlr(&d, &err, args, cc, p);
        if (rv == APR_SUCCESS) {
            FUZZ_CHECK(*d.status && strlen(d.status) <= 32);
            FUZZ_CHECK(d.smsref || d.ref);
            FUZZ_CHECK(!d.smsref || (*d.smsref && strlen(d.smsref) <= 64));
            FUZZ_CHECK(!d.ref || (*d.ref && strlen(d.ref) <= 64));
            FUZZ_CHECK(!d.to || (d.to_raw && all_digits(d.to, 3, 15)));
            FUZZ_CHECK(!d.mapped || !strcasecmp(d.mapped, d.status));
        }
        else {
            FUZZ_CHECK(err->status == 400
                       && !strcmp(err->code, "invalid_parameter"));
        }
    }
    {
        const char *parts[3] = {in, NULL, "x"};
        const char *k1 = sms_form_dedup_key(3, parts, p);
        const char *k2 = sms_form_dedup_key(3, parts, p);
        FUZZ_CHECK(strlen(k1) == 40 && strspn(k1, "0123456789abcdef") == 40
                   && !strcmp(k1, k2));
    }
    free(in);
    return 0;
}
