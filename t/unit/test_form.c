/*
 * test_form.c - provider callback parameters: urlencoded decoding with
 * httpd's rules, allowed and repeated names, the receipt and inbound
 * checks and dedup keys.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "sms_form.h"
#include "tap.h"

/* name formatted in the pool p of the calling function */
#define IS_STR(got, want, ...)                                                 \
    tap_is_str((got), (want), apr_psprintf(p, __VA_ARGS__))
#define IS_INT(got, want, ...)                                                 \
    tap_is_int((long long)(got), (long long)(want),                            \
               apr_psprintf(p, __VA_ARGS__))

typedef struct {
    const char *in;
    const char *out; /* NULL: refused */
} unescape_case_t;

static void check_unescape(apr_pool_t *p)
{
    static const unescape_case_t cases[] = {
        {"", ""},         {"abc", "abc"},   {"a+b", "a b"},
        {"%2B", "+"},     {"%2b%41", "+A"}, {"%e2%82%AC", "\xe2\x82\xac"},
        {"100%", NULL},   {"%4", NULL},     {"%zz", NULL},
        {"%00", NULL},    {"a%0", NULL},    {"%%41", NULL},
        {"%2541", "%41"},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char *s = apr_pstrdup(p, cases[i].in);
        apr_status_t rv = sms_form_unescape(s);

        if (cases[i].out) {
            tap_ok(rv == APR_SUCCESS, "unescape '%s' accepted", cases[i].in);
            IS_STR(s, cases[i].out, "unescape '%s'", cases[i].in);
        }
        else {
            tap_ok(rv == APR_EINVAL, "unescape '%s' refused", cases[i].in);
        }
    }
}

/* Parse s with the receipt names; the error code's field, or "ok". */
static const char *parse(apr_table_t **args, const char *s, apr_size_t len,
                         apr_pool_t *p)
{
    sms_error_t *err = NULL;

    *args = apr_table_make(p, 4);
    if (sms_form_parse(*args, &err, s, len ? len : strlen(s),
                       sms_form_dlr_names, p) == APR_SUCCESS) {
        return "ok";
    }
    if (err->status != 400 || strcmp(err->code, "invalid_parameter")) {
        return "wrong error";
    }
    return err->field ? err->field : "(none)";
}

static void check_parse(apr_pool_t *p)
{
    apr_table_t *args;
    sms_error_t *err;

    IS_STR(parse(&args, "to=0412+345%20678&status=Delivered", 0, p), "ok",
           "two pairs");
    IS_STR(apr_table_get(args, "to"), "0412 345 678", "value decoded");
    IS_STR(parse(&args, "&&ref=1&&", 0, p), "ok", "empty pairs skipped");
    IS_INT(apr_table_elts(args)->nelts, 1, "one pair kept");
    IS_STR(parse(&args, "ref", 0, p), "ok", "name without '='");
    IS_STR(apr_table_get(args, "ref"), "", "has an empty value");
    IS_STR(parse(&args, "foo=1", 0, p), "foo", "unknown name");
    IS_STR(parse(&args, "=1", 0, p), "", "empty name is unknown");
    IS_STR(parse(&args, "REF=1", 0, p), "REF", "names are case-sensitive");
    IS_STR(parse(&args, "ref=1&ref=2", 0, p), "ref", "name given twice");
    IS_STR(parse(&args, "r%65f=1&ref=2", 0, p), "ref",
           "encoded name given twice");
    IS_STR(parse(&args, "ref=100%", 0, p), "(none)", "bad escape");
    IS_STR(parse(&args, "ref=%00", 0, p), "(none)", "encoded NUL");
    IS_STR(parse(&args, "ref=a\0b", 7, p), "(none)", "raw NUL");

    /* query string and body share one table: a name once across both */
    args = apr_table_make(p, 4);
    tap_ok(sms_form_parse(args, &err, "ref=1", 5, sms_form_dlr_names, p) ==
               APR_SUCCESS,
           "query part");
    tap_ok(sms_form_parse(args, &err, "ref=2", 5, sms_form_dlr_names, p) ==
               APR_EINVAL,
           "body repeats a query name");
}

/* Check a receipt given as a query string; the error code, or "ok". */
static const char *dlr(sms_form_dlr_t *d, const char *q, apr_pool_t *p)
{
    apr_table_t *args;
    sms_error_t *err = NULL;

    if (strcmp(parse(&args, q, 0, p), "ok")) {
        return "parse";
    }
    if (sms_form_dlr(d, &err, args, "61", p) == APR_SUCCESS) {
        return "ok";
    }
    return apr_pstrcat(p, err->code, ":", err->field ? err->field : "-", NULL);
}

static void check_dlr(apr_pool_t *p)
{
    sms_form_dlr_t d;

    IS_STR(dlr(&d, "to=0412345678&ref=7&smsref=99&status=Delivered", p), "ok",
           "full receipt");
    IS_STR(d.mapped, "delivered", "status mapped");
    IS_STR(d.to, "61412345678", "number normalised");
    IS_STR(dlr(&d, "ref=7&smsref=&status=FAILED", p), "ok", "receipt by ref");
    tap_ok(d.smsref == NULL && d.to == NULL && d.to_raw == NULL,
           "empty smsref is none");
    IS_STR(d.mapped, "failed", "status case-insensitive");
    IS_STR(dlr(&d, "smsref=1&status=Queued&to=abc", p), "ok",
           "unknown status, bad number");
    tap_ok(d.mapped == NULL && d.to == NULL && !strcmp(d.to_raw, "abc"),
           "kept as given");
    IS_STR(dlr(&d, "smsref=1", p), "invalid_parameter:status",
           "status missing");
    IS_STR(dlr(&d, "status=Delivered&ref=", p), "invalid_parameter:smsref",
           "no reference");
    IS_STR(dlr(&d,
               apr_pstrcat(p, "smsref=1&status=",
                           apr_pstrndup(p,
                                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                        "xxx",
                                        33),
                           NULL),
               p),
           "invalid_parameter:-", "status too long");
}

/* Check an inbound reply; the error code and field, or "ok". */
static const char *inbound(sms_form_inbound_t *in, const char *q, apr_pool_t *p)
{
    apr_table_t *args = apr_table_make(p, 4);
    sms_error_t *err = NULL;

    if (sms_form_parse(args, &err, q, strlen(q), sms_form_inbound_names, p)) {
        return "parse";
    }
    if (sms_form_inbound(in, &err, args, "61", p) == APR_SUCCESS) {
        return "ok";
    }
    return apr_pstrcat(p, err->code, ":", err->field ? err->field : "-", NULL);
}

static void check_inbound(apr_pool_t *p)
{
    sms_form_inbound_t in;

    IS_STR(inbound(&in, "from=0412345678&to=0400&message=+stop%0A&ref=", p),
           "ok", "inbound STOP");
    IS_STR(in.from, "61412345678", "from normalised");
    IS_STR(in.text, " stop\n", "text kept as sent (keywords: sms_keyword)");
    tap_ok(in.ref == NULL, "empty ref is none");
    IS_STR(inbound(&in, "from=0412345678&message=stop+now", p), "ok",
           "two words");
    IS_STR(inbound(&in, "message=hi", p), "invalid_parameter:from",
           "from missing");
    IS_STR(inbound(&in, "from=0412345678", p), "invalid_parameter:message",
           "message missing");
    IS_STR(inbound(&in, "from=&message=hi", p), "invalid_phone:from",
           "empty from");
    IS_STR(inbound(&in, "from=12&message=hi", p), "invalid_phone:from",
           "short from");
    IS_STR(inbound(&in, "from=0412345678&message=%C3", p),
           "invalid_message:message", "broken UTF-8");
    IS_STR(inbound(&in, "from=0412345678&message=a%07", p),
           "invalid_message:message", "control character");
}

static void check_dedup_key(apr_pool_t *p)
{
    IS_STR(sms_form_dedup_key(3, (const char *[]){"a", NULL, "b"}, p),
           "f2c6fa02d9b0cf9b3ea40e1465f6c09d44882588", "dedup key vector");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    check_unescape(p);
    check_parse(p);
    check_dlr(p);
    check_inbound(p);
    check_dedup_key(p);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
