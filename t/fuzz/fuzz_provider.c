/*
 * fuzz_provider.c - the SMS Broadcast answer parsers (sms_broadcast_parse,
 * sms_broadcast_parse_balance) and the request form (sms_broadcast_form).
 * Input: one byte for the number of recipients, one byte per recipient
 * choosing its number (duplicates on purpose), then the answer body.
 *
 * Properties: every recipient leaves with an outcome; an accepted one has
 * an smsref or "no smsref", every other one a reason; what the parser
 * keeps (smsref, reason) is one line of the body; recipients answered by
 * OK/BAD lines are never more than such lines; parsing is deterministic;
 * a body without ':' leaves everyone UNKNOWN. The balance parser answers
 * with credits, a reason or "unrecognised". The request form encodes the
 * message exactly once: decoding the form gives the message back.
 */
#include <apr_strings.h>
#include <apr_tables.h>

#include "fuzz.h"
#include "sms_form.h"
#include "sms_provider.h"

static const char *const numbers[] = {
    "61400111222", "61400111333", "+61400111444", "61400111222",
    "0400111555", "1", "", "614001112223333"
};
#define N_NUMBERS (sizeof(numbers) / sizeof(*numbers))

/* Whether [s, s+n) is inside [body, body+len) as bytes (a copy). */
static int in_body(const char *s, const char *body, apr_size_t len)
{
    apr_size_t n = strlen(s), i;

    for (i = 0; n <= len && i + n <= len; i++) {
        if (!memcmp(body + i, s, n)) {
            return 1;
        }
    }
    return 0;
}

/* Lines that start with OK or BAD and a ':' (case-insensitive). */
static int verdict_lines(const char *body, apr_size_t len)
{
    apr_size_t i = 0;
    int n = 0;

    while (i <= len) {
        const char *nl = memchr(body + i, '\n', len - i);
        apr_size_t end = nl ? (apr_size_t)(nl - body) : len;
        if (memchr(body + i, ':', end - i)) {
            n++;    /* an upper bound: any line with a colon */
        }
        i = end + 1;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fuzz_input_pool();
    static const char *const form_names[] = {"username", "password", "to",
                                             "message", "from", "ref",
                                             "maxsplit", NULL};
    sms_send_req_t req, again;
    sms_provider_conf_t conf;
    apr_table_t *form;
    sms_error_t *err;
    const char *body_text, *error;
    char *body;
    apr_size_t len;
    long credits = -1;
    apr_status_t rv;
    int nr, i, decided = 0;

    if (size < 1) {
        return 0;
    }
    nr = data[0] % 9;
    if (size < 1 + (size_t)nr) {
        return 0;
    }
    memset(&req, 0, sizeof(req));
    req.message = "hello";
    req.maxsplit = 1;
    req.recipients = apr_array_make(p, nr, sizeof(sms_recipient_t));
    for (i = 0; i < nr; i++) {
        sms_recipient_t *rc = apr_array_push(req.recipients);
        memset(rc, 0, sizeof(*rc));
        rc->to = numbers[data[1 + i] % N_NUMBERS];
        rc->message_id = i + 1;
    }
    len = size - 1 - (size_t)nr;
    body = malloc(len ? len : 1);
    memcpy(body, data + 1 + nr, len);

    sms_broadcast_parse(&req, body, len, p);
    for (i = 0; i < nr; i++) {
        sms_recipient_t *rc = &APR_ARRAY_IDX(req.recipients, i,
                                             sms_recipient_t);

        FUZZ_CHECK(rc->outcome != SMS_OUT_PENDING);
        FUZZ_CHECK(rc->outcome == SMS_OUT_ACCEPTED
                   || rc->outcome == SMS_OUT_REJECTED
                   || rc->outcome == SMS_OUT_UNKNOWN
                   || rc->outcome == SMS_OUT_AUTH
                   || rc->outcome == SMS_OUT_REQUEST_ERROR);
        if (rc->outcome == SMS_OUT_ACCEPTED) {
            FUZZ_CHECK(rc->external_id ? rc->detail == NULL
                                         && *rc->external_id
                                         && !strchr(rc->external_id, '\n')
                                         && in_body(rc->external_id, body,
                                                    len)
                                       : !strcmp(rc->detail, "no smsref"));
        }
        else {
            FUZZ_CHECK(rc->external_id == NULL && rc->detail && *rc->detail);
        }
        if (rc->outcome == SMS_OUT_ACCEPTED
            || rc->outcome == SMS_OUT_REJECTED) {
            decided++;
        }
        if (!memchr(body, ':', len)) {
            FUZZ_CHECK(rc->outcome == SMS_OUT_UNKNOWN);
        }
    }
    FUZZ_CHECK(decided <= verdict_lines(body, len));

    /* deterministic, and nothing of the first run leaks into the second */
    again = req;
    again.recipients = apr_array_copy(p, req.recipients);
    for (i = 0; i < nr; i++) {
        APR_ARRAY_IDX(again.recipients, i, sms_recipient_t).outcome =
            SMS_OUT_ACCEPTED;
        APR_ARRAY_IDX(again.recipients, i, sms_recipient_t).external_id = "x";
    }
    sms_broadcast_parse(&again, body, len, p);
    for (i = 0; i < nr; i++) {
        sms_recipient_t *a = &APR_ARRAY_IDX(req.recipients, i,
                                            sms_recipient_t);
        sms_recipient_t *b = &APR_ARRAY_IDX(again.recipients, i,
                                            sms_recipient_t);
        FUZZ_CHECK(a->outcome == b->outcome);
        FUZZ_CHECK((a->external_id == NULL) == (b->external_id == NULL));
        FUZZ_CHECK(!a->external_id || !strcmp(a->external_id,
                                              b->external_id));
        FUZZ_CHECK(!strcmp(a->detail ? a->detail : "",
                           b->detail ? b->detail : ""));
    }

    rv = sms_broadcast_parse_balance(&credits, &error, body, len, p);
    if (rv == APR_SUCCESS) {
        FUZZ_CHECK(error == NULL && memchr(body, ':', len));
    }
    else if (rv == APR_EINVAL) {
        FUZZ_CHECK(error && *error);
    }
    else {
        FUZZ_CHECK(rv == APR_EGENERAL
                   && !strcmp(error, "unrecognised provider answer"));
    }

    /* the body as a message: the form carries it encoded exactly once */
    body_text = apr_pstrmemdup(p, body, len);
    memset(&conf, 0, sizeof(conf));
    conf.username = "user name&=%";
    conf.password = body_text;
    req.message = body_text;
    req.from = nr & 1 ? body_text : NULL;
    req.ref = nr & 2 ? "ref=1&x" : NULL;
    form = apr_table_make(p, 8);
    {
        const char *f = sms_broadcast_form(&conf, &req, p);
        FUZZ_CHECK(sms_form_parse(form, &err, f, strlen(f), form_names, p)
                   == APR_SUCCESS);
    }
    FUZZ_CHECK(!strcmp(apr_table_get(form, "message"), body_text));
    FUZZ_CHECK(!strcmp(apr_table_get(form, "password"), body_text));
    FUZZ_CHECK(!strcmp(apr_table_get(form, "username"), conf.username));
    FUZZ_CHECK(!strcmp(apr_table_get(form, "maxsplit"), "1"));
    if (req.from && *req.from) {
        FUZZ_CHECK(!strcmp(apr_table_get(form, "from"), body_text));
    }
    if (req.ref) {
        FUZZ_CHECK(!strcmp(apr_table_get(form, "ref"), req.ref));
    }
    free(body);
    return 0;
}
