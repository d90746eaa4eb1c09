/*
 * test_provider.c - the SMS Broadcast protocol pieces (PROVIDER.md): the
 * request form is encoded exactly once with the credentials in it, every
 * answer line is read whatever its spacing, line ends and order, a bad
 * answer never crashes nor passes for a send; and the sandbox provider.
 * No network: the live transport is test_provider_live.c.
 */
#include <stdlib.h>

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <curl/curl.h>

#include "sms_provider.h"
#include "tap.h"

/* name formatted in the pool p of the calling function */
#define IS_STR(got, want, ...)                                                 \
    tap_is_str((got), (want), apr_psprintf(p, __VA_ARGS__))
#define IS_INT(got, want, ...)                                                 \
    tap_is_int((long long)(got), (long long)(want),                            \
               apr_psprintf(p, __VA_ARGS__))

#define PASSWORD "p&ss=w+rd%"
#define PASSWORD_FORM "p%26ss%3Dw%2Brd%25"

static const sms_provider_conf_t conf = {
    "https://api.example.invalid/api-adv.php", "walkeasy", PASSWORD, 0, 0};

static const char *outcome_name(sms_outcome_e o)
{
    static const char *const names[] = {"PENDING",      "ACCEPTED", "REJECTED",
                                        "TRANSIENT",    "UNKNOWN",  "AUTH",
                                        "REQUEST_ERROR"};
    return (unsigned)o < sizeof(names) / sizeof(*names) ? names[o] : "?";
}

/* A request of one text to the numbers given, NULL-terminated. */
static sms_send_req_t *mkreq(apr_pool_t *p, const char *message, ...)
{
    sms_send_req_t *req = apr_pcalloc(p, sizeof(*req));
    const char *to;
    va_list ap;

    req->message = message;
    req->maxsplit = 1;
    req->recipients = apr_array_make(p, 4, sizeof(sms_recipient_t));
    va_start(ap, message);
    while ((to = va_arg(ap, const char *))) {
        sms_recipient_t *rc = apr_array_push(req->recipients);
        memset(rc, 0, sizeof(*rc));
        rc->to = to;
        rc->message_id = 100 + req->recipients->nelts;
    }
    va_end(ap);
    return req;
}

static sms_recipient_t *rcpt(sms_send_req_t *req, int i)
{
    return &APR_ARRAY_IDX(req->recipients, i, sms_recipient_t);
}

static void parse(sms_send_req_t *req, const char *body, apr_pool_t *p)
{
    sms_broadcast_parse(req, body, strlen(body), p);
}

/* ok when recipient i has outcome o, external id and detail (NULL: must
 * be NULL; "*": anything but NULL). */
static void expect(sms_send_req_t *req, int i, sms_outcome_e o, const char *ext,
                   const char *detail, const char *name, apr_pool_t *p)
{
    sms_recipient_t *rc = rcpt(req, i);

    IS_STR(outcome_name(rc->outcome), outcome_name(o), "%s: [%d] outcome", name,
           i);
    if (!ext) {
        tap_ok(rc->external_id == NULL, "%s: [%d] no external id", name, i);
    }
    else {
        IS_STR(rc->external_id, ext, "%s: [%d] external id", name, i);
    }
    if (!detail) {
        tap_ok(rc->detail == NULL, "%s: [%d] no detail", name, i);
    }
    else if (!strcmp(detail, "*")) {
        tap_ok(rc->detail && *rc->detail, "%s: [%d] has a detail", name, i);
    }
    else {
        IS_STR(rc->detail, detail, "%s: [%d] detail", name, i);
    }
}

/* s printable on one TAP line: CR, LF, tab and other controls escaped. */
static const char *show(const char *s, apr_pool_t *p)
{
    char *out = apr_palloc(p, 4 * strlen(s) + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n' || c == '\r' || c == '\t') {
            *o++ = '\\';
            *o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        }
        else if (c < 0x20 || c == 0x7F || c == '#') {
            o += sprintf(o, "\\x%02X", c);
        }
        else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

/* --- the form ----------------------------------------------------------- */

static int hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Raw (still encoded) value of field name in form; *count says how many
 * times the field is there. */
static const char *form_raw(const char *form, const char *name, int *count,
                            apr_pool_t *p)
{
    char *copy = apr_pstrdup(p, form), *last, *pair;
    const char *found = NULL;

    *count = 0;
    for (pair = apr_strtok(copy, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        if (eq && (apr_size_t)(eq - pair) == strlen(name) &&
            !strncmp(pair, name, strlen(name))) {
            (*count)++;
            found = eq + 1;
        }
    }
    return found;
}

/* What a server decodes from a raw value (%XX and '+'), once. */
static char *form_decode(const char *raw, apr_pool_t *p)
{
    char *out = apr_palloc(p, strlen(raw) + 1), *o = out;

    for (; *raw; raw++) {
        if (*raw == '%' && raw[1] && raw[2]) {
            *o++ = (char)(hexval(raw[1]) * 16 + hexval(raw[2]));
            raw += 2;
        }
        else {
            *o++ = *raw == '+' ? ' ' : *raw;
        }
    }
    *o = '\0';
    return out;
}

/* Every byte of a form is unreserved, '=', '&' or a %XX in capitals. */
static int form_is_strict(const char *form)
{
    for (; *form; form++) {
        if (*form == '%') {
            if (!strchr("0123456789ABCDEF", form[1]) || !form[1] ||
                !strchr("0123456789ABCDEF", form[2]) || !form[2]) {
                return 0;
            }
            form += 2;
        }
        else if (!apr_isalnum(*form) && !strchr("-._~=&", *form)) {
            return 0;
        }
    }
    return 1;
}

typedef struct {
    const char *name;
    const char *text;
    const char *encoded;
} enc_case_t;

static const enc_case_t enc_cases[] = {
    {"space", "a b", "a%20b"},
    {"ampersand", "fish & chips", "fish%20%26%20chips"},
    {"equals", "a=b", "a%3Db"},
    {"plus", "1+1", "1%2B1"},
    {"percent", "100%", "100%25"},
    {"already percent-encoded text", "100%25", "100%2525"},
    {"encoded-looking space", "a%20b", "a%2520b"},
    {"euro",
     "\xE2\x82\xAC"
     "5",
     "%E2%82%AC5"},
    {"emoji", "hi \xF0\x9F\x98\x80", "hi%20%F0%9F%98%80"},
    {"newline", "line1\nline2", "line1%0Aline2"},
    {"CRLF", "a\r\nb", "a%0D%0Ab"},
    {"unreserved kept", "AZaz09-._~", "AZaz09-._~"},
    {"reserved encoded", "*'()!/?:@,;#[]",
     "%2A%27%28%29%21%2F%3F%3A%40%2C%3B"
     "%23%5B%5D"},
    {"quotes and angle brackets", "<\"x\">", "%3C%22x%22%3E"},
    {"Latin-1 as UTF-8", "caf\xC3\xA9", "caf%C3%A9"},
    {"empty", "", ""},
};

static void check_form_encoding(apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(enc_cases) / sizeof(*enc_cases); i++) {
        const enc_case_t *c = &enc_cases[i];
        sms_send_req_t *req = mkreq(p, c->text, "61400111222", NULL);
        const char *form = sms_broadcast_form(&conf, req, p);
        int count;
        const char *raw = form_raw(form, "message", &count, p);

        IS_INT(count, 1, "form: %s: one message field", c->name);
        IS_STR(raw, c->encoded, "form: %s: encoded once", c->name);
        IS_STR(raw ? form_decode(raw, p) : NULL, c->text,
               "form: %s: decodes back to the text", c->name);
        tap_ok(form_is_strict(form), "form: %s: strict encoding", c->name);
    }
}

static void check_form_fields(apr_pool_t *p)
{
    sms_send_req_t *req =
        mkreq(p, "Hi Ann & Bob", "61400111222", "61400333444", NULL);
    const char *form, *raw;
    int count;

    req->from = "WalkEasy";
    req->ref = "42";
    req->maxsplit = 3;
    form = sms_broadcast_form(&conf, req, p);
    IS_STR(form,
           "username=walkeasy&password=" PASSWORD_FORM
           "&to=61400111222%2C61400333444&message=Hi%20Ann%20%26%20Bob"
           "&from=WalkEasy&ref=42&maxsplit=3",
           "form: every field, in order");

    raw = form_raw(form, "password", &count, p);
    IS_INT(count, 1, "form: password once");
    IS_STR(raw, PASSWORD_FORM, "form: password encoded");
    IS_STR(raw ? form_decode(raw, p) : NULL, PASSWORD,
           "form: password decodes back");
    raw = form_raw(form, "username", &count, p);
    IS_INT(count, 1, "form: username once");
    IS_STR(raw, "walkeasy", "form: username");
    tap_ok(!strstr(form, PASSWORD), "form: password never in clear");
    raw = form_raw(form, "to", &count, p);
    IS_STR(raw ? form_decode(raw, p) : NULL, "61400111222,61400333444",
           "form: recipients comma-joined");

    req->from = NULL;
    req->ref = NULL;
    req->maxsplit = 1;
    form = sms_broadcast_form(&conf, req, p);
    form_raw(form, "from", &count, p);
    IS_INT(count, 0, "form: no from when unset");
    form_raw(form, "ref", &count, p);
    IS_INT(count, 0, "form: no ref when unset");
    IS_STR(form_raw(form, "maxsplit", &count, p), "1",
           "form: maxsplit always sent");

    req->from = "";
    req->ref = "";
    req->maxsplit = 5;
    form = sms_broadcast_form(&conf, req, p);
    form_raw(form, "from", &count, p);
    IS_INT(count, 0, "form: no from when empty (the shared number)");
    form_raw(form, "ref", &count, p);
    IS_INT(count, 0, "form: no ref when empty");
    IS_STR(form_raw(form, "maxsplit", &count, p), "5",
           "form: maxsplit 5 as given");
    form_raw(form, "action", &count, p);
    IS_INT(count, 0, "form: a send has no action field");
    form_raw(form, "delay", &count, p);
    IS_INT(count, 0, "form: no delay field");
}

/* --- the send answer ---------------------------------------------------- */

static void check_spacing(apr_pool_t *p)
{
    static const char *const bodies[] = {
        "OK: 61400111222:2942263",
        "OK:61400111222:2942263",
        "OK : 61400111222 : 2942263",
        "OK:  61400111222:  2942263 ",
        "\tOK\t:\t61400111222\t:\t2942263\t",
        "  OK: 61400111222:2942263\r\n",
        "ok: 61400111222:2942263",
        "OK: +61400111222:2942263",
        "\xEF\xBB\xBFOK: 61400111222:2942263\n",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
        sms_send_req_t *req = mkreq(p, "hi", "61400111222", NULL);
        parse(req, bodies[i], p);
        expect(req, 0, SMS_OUT_ACCEPTED, "2942263", NULL,
               apr_psprintf(p, "spacing %d", (int)i), p);
    }
}

static void check_lines(apr_pool_t *p)
{
    sms_send_req_t *req;

    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    parse(req, "OK: 61400111222:1\r\nOK: 61400333444:2\r\n", p);
    expect(req, 0, SMS_OUT_ACCEPTED, "1", NULL, "CRLF", p);
    expect(req, 1, SMS_OUT_ACCEPTED, "2", NULL, "CRLF", p);

    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    parse(req, "OK: 61400111222:1\nOK: 61400333444:2", p);
    expect(req, 0, SMS_OUT_ACCEPTED, "1", NULL, "LF, no final LF", p);
    expect(req, 1, SMS_OUT_ACCEPTED, "2", NULL, "LF, no final LF", p);

    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    parse(req, "\n\r\nOK: 61400111222:1\n\nOK: 61400333444:2\n\n\r\n  \n", p);
    expect(req, 0, SMS_OUT_ACCEPTED, "1", NULL, "blank lines", p);
    expect(req, 1, SMS_OUT_ACCEPTED, "2", NULL, "blank lines", p);

    req = mkreq(p, "hi", "61400111222", "61400333444", "61400555666", NULL);
    parse(req, "OK: 61400555666:3\nOK: 61400111222:1\nOK: 61400333444:2\n", p);
    expect(req, 0, SMS_OUT_ACCEPTED, "1", NULL, "out of order", p);
    expect(req, 1, SMS_OUT_ACCEPTED, "2", NULL, "out of order", p);
    expect(req, 2, SMS_OUT_ACCEPTED, "3", NULL, "out of order", p);

    req = mkreq(p, "hi", "61400111222", "0400abc111", "61400333444", NULL);
    parse(req,
          "OK: 61400111222:7\nBAD:0400abc111:Invalid Number\n"
          "BAD: 61400333444 : Message too long\n",
          p);
    expect(req, 0, SMS_OUT_ACCEPTED, "7", NULL, "BAD lines", p);
    expect(req, 1, SMS_OUT_REJECTED, NULL, "Invalid Number", "BAD lines", p);
    expect(req, 2, SMS_OUT_REJECTED, NULL, "Message too long", "BAD lines", p);

    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    parse(req, "BAD:61400111222:Invalid: not a mobile\nBAD:61400333444\n", p);
    expect(req, 0, SMS_OUT_REJECTED, NULL, "Invalid: not a mobile",
           "BAD reason with a colon", p);
    expect(req, 1, SMS_OUT_REJECTED, NULL, "*", "BAD without a reason", p);

    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    parse(req, "OK: 0400111222:11\nOK: 400333444:12\n", p);
    expect(req, 0, SMS_OUT_ACCEPTED, "11", NULL, "echo 04 national form", p);
    expect(req, 1, SMS_OUT_ACCEPTED, "12", NULL, "echo 4 national form", p);

    req = mkreq(p, "hi", "61400111222", NULL);
    parse(req, "OK: 0400111333:11\nOK: 040011122:12\nOK: 1400111222:13\n", p);
    expect(req, 0, SMS_OUT_UNKNOWN, NULL,
           "no line for this recipient in the provider's answer",
           "other numbers in national form do not match", p);

    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    parse(req,
          "OK: 61499999999:5\nBAD:0411:Invalid Number\n"
          "OK: 61400111222:6\n",
          p);
    expect(req, 0, SMS_OUT_ACCEPTED, "6", NULL, "numbers we did not send", p);
    expect(req, 1, SMS_OUT_UNKNOWN, NULL,
           "no line for this recipient in the provider's answer",
           "numbers we did not send", p);

    req = mkreq(p, "hi", "61400111222", NULL);
    parse(req,
          "OK: 61400111222:1\nOK: 61400111222:2\n"
          "BAD:61400111222:Invalid Number\n",
          p);
    expect(req, 0, SMS_OUT_ACCEPTED, "1", NULL, "duplicate lines: first wins",
           p);

    req = mkreq(p, "hi", "61400111222", NULL);
    parse(req, "BAD:61400111222:Invalid Number\nOK: 61400111222:2\n", p);
    expect(req, 0, SMS_OUT_REJECTED, NULL, "Invalid Number",
           "BAD then OK: first wins", p);

    req = mkreq(p, "hi", "61400111222", "61400111222", NULL);
    parse(req, "OK: 61400111222:1\nOK: 61400111222:2\n", p);
    expect(req, 0, SMS_OUT_ACCEPTED, "1", NULL, "same number twice", p);
    expect(req, 1, SMS_OUT_ACCEPTED, "2", NULL, "same number twice", p);

    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    parse(req, "OK: 61400111222\nOK: 61400333444:\n", p);
    expect(req, 0, SMS_OUT_ACCEPTED, NULL, "no smsref", "OK without smsref", p);
    expect(req, 1, SMS_OUT_ACCEPTED, NULL, "no smsref", "OK with empty smsref",
           p);

    req = mkreq(p, "hi", "61400111222", NULL);
    rcpt(req, 0)->outcome = SMS_OUT_ACCEPTED;
    rcpt(req, 0)->external_id = "stale";
    parse(req, "", p);
    expect(req, 0, SMS_OUT_UNKNOWN, NULL, "unrecognised provider answer",
           "earlier outcome is not kept", p);

    /* the length is the answer's, not strlen's */
    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    sms_broadcast_parse(req, "OK: 61400111222:123456", 20, p);
    expect(req, 0, SMS_OUT_ACCEPTED, "1234", NULL, "length respected", p);
    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    sms_broadcast_parse(req, "\0\0garbage\nOK: 61400333444:9\n", 28, p);
    expect(req, 0, SMS_OUT_UNKNOWN, NULL, "*", "NUL bytes", p);
    expect(req, 1, SMS_OUT_ACCEPTED, "9", NULL, "NUL bytes", p);
}

static void check_errors(apr_pool_t *p)
{
    static const struct {
        const char *body;
        sms_outcome_e outcome;
        const char *detail;
    } cases[] = {
        {"ERROR: Username or password is incorrect\n", SMS_OUT_AUTH,
         "Username or password is incorrect"},
        {"ERROR:Username or password is incorrect", SMS_OUT_AUTH,
         "Username or password is incorrect"},
        {"error : invalid PASSWORD\r\n", SMS_OUT_AUTH, "invalid PASSWORD"},
        {"Error: unknown USERNAME", SMS_OUT_AUTH, "unknown USERNAME"},
        {"ERROR: Invalid sender ID\n", SMS_OUT_REQUEST_ERROR,
         "Invalid sender ID"},
        {"ERROR: Invalid parameter: to\n", SMS_OUT_REQUEST_ERROR,
         "Invalid parameter: to"},
        {"\n\nERROR: No message supplied\n\n", SMS_OUT_REQUEST_ERROR,
         "No message supplied"},
        {"ERROR:", SMS_OUT_REQUEST_ERROR, "*"},
        {"ERROR: first\nERROR: second", SMS_OUT_REQUEST_ERROR, "first"},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        sms_send_req_t *req =
            mkreq(p, "hi", "61400111222", "61400333444", NULL);
        const char *name = apr_psprintf(p, "ERROR %d", (int)i);
        parse(req, cases[i].body, p);
        expect(req, 0, cases[i].outcome, NULL, cases[i].detail, name, p);
        expect(req, 1, cases[i].outcome, NULL, cases[i].detail, name, p);
    }
}

static void check_mixed_error(apr_pool_t *p)
{
    sms_send_req_t *req;

    /* an ERROR line never turns an accepted recipient into a resend */
    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    parse(req, "OK: 61400111222:1\nERROR: Invalid something\n", p);
    expect(req, 0, SMS_OUT_ACCEPTED, "1", NULL, "OK then ERROR", p);
    expect(req, 1, SMS_OUT_REQUEST_ERROR, NULL, "Invalid something",
           "OK then ERROR", p);
    req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    parse(req, "ERROR: Invalid something\nOK: 61400111222:1\n", p);
    expect(req, 0, SMS_OUT_ACCEPTED, "1", NULL, "ERROR then OK", p);
    expect(req, 1, SMS_OUT_REQUEST_ERROR, NULL, "Invalid something",
           "ERROR then OK", p);
}

static void check_garbage(apr_pool_t *p)
{
    static const char *const bodies[] = {
        "",
        "\n",
        "\r\n\r\n  \t\n",
        "<!DOCTYPE html>\n<html><body><h1>Internal Server Error</h1></body>"
        "</html>\n",
        "OK",
        "OK:",
        "OK: ",
        "OK::",
        "OK:  : 123",
        "BAD:",
        "BAD",
        "ERROR",
        "ERROR Username or password is incorrect",
        "OKAY: 61400111222:1",
        "Okay then: 61400111222: 5",
        "NOT OK: 61400111222:1",
        "61400111222:2942263",
        ":::::",
        "{\"status\": \"OK\"}",
        "\xff\xfe\x00\x01",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
        sms_send_req_t *req =
            mkreq(p, "hi", "61400111222", "61400333444", NULL);
        const char *name = apr_psprintf(p, "garbage %d", (int)i);
        sms_broadcast_parse(req, bodies[i], strlen(bodies[i]), p);
        expect(req, 0, SMS_OUT_UNKNOWN, NULL, "unrecognised provider answer",
               name, p);
        expect(req, 1, SMS_OUT_UNKNOWN, NULL, "unrecognised provider answer",
               name, p);
    }
    {
        sms_send_req_t *req = mkreq(p, "hi", "61400111222", NULL);
        sms_broadcast_parse(req, NULL, 0, p);
        expect(req, 0, SMS_OUT_UNKNOWN, NULL, "unrecognised provider answer",
               "NULL body", p);
    }
    {
        sms_send_req_t *req = mkreq(p, "hi", NULL);
        parse(req, "OK: 61400111222:1\n", p);
        IS_INT(req->recipients->nelts, 0, "no recipients: nothing to do");
    }
}

/* Regression (found by t/fuzz/fuzz_provider): a NUL byte inside a line
 * cut the smsref or reason short, so "OK: <number>:\0..." was ACCEPTED
 * with an empty smsref that no receipt could ever match. A line holding
 * a NUL is garbage now: that recipient is UNKNOWN, never resent. */
static void check_nul_lines(apr_pool_t *p)
{
    static const char body[] = "OK: 61400111222:\0\0002\n"
                               "BAD:61400111333:\0reason\n"
                               "OK: 61400111444:77\n";
    static const char balance[] = "ERROR: \0x\nOK: 12\n";
    sms_send_req_t *req =
        mkreq(p, "hi", "61400111222", "61400111333", "61400111444", NULL);
    const char *error;
    long credits = 0;

    sms_broadcast_parse(req, body, sizeof(body) - 1, p);
    expect(req, 0, SMS_OUT_UNKNOWN, NULL, "*", "NUL in smsref", p);
    expect(req, 1, SMS_OUT_UNKNOWN, NULL, "*", "NUL in reason", p);
    expect(req, 2, SMS_OUT_ACCEPTED, "77", NULL, "line after NULs", p);
    tap_ok(sms_broadcast_parse_balance(&credits, &error, balance,
                                       sizeof(balance) - 1, p) == APR_SUCCESS &&
               credits == 12,
           "balance: a line with a NUL is skipped");
}

static void check_thousand(apr_pool_t *p)
{
    sms_send_req_t *req = mkreq(p, "hi", NULL);
    char *body = apr_palloc(p, 1000 * 40), *o = body;
    int i, ok = 1, bad = 0;

    for (i = 0; i < 1000; i++) {
        sms_recipient_t *rc = apr_array_push(req->recipients);
        memset(rc, 0, sizeof(*rc));
        rc->to = apr_psprintf(p, "614%08d", i);
        rc->message_id = i;
    }
    /* answered in reverse order; every tenth refused; 999 missing */
    for (i = 998; i >= 0; i--) {
        if (i % 10 == 0) {
            o += sprintf(o, "BAD:614%08d:Invalid Number\r\n", i);
        }
        else {
            o += sprintf(o, "OK: 614%08d:%d\r\n", i, 5000000 + i);
        }
    }
    sms_broadcast_parse(req, body, (apr_size_t)(o - body), p);
    for (i = 0; i < 999; i++) {
        sms_recipient_t *rc = rcpt(req, i);
        if (i % 10 == 0) {
            bad += rc->outcome == SMS_OUT_REJECTED;
        }
        else if (rc->outcome != SMS_OUT_ACCEPTED || !rc->external_id ||
                 atoi(rc->external_id) != 5000000 + i) {
            if (ok) {
                tap_diag("  recipient %d: %s %s", i, outcome_name(rc->outcome),
                         rc->external_id ? rc->external_id : "(null)");
            }
            ok = 0;
        }
    }
    tap_ok(ok, "1000 recipients: each OK line on its own recipient");
    IS_INT(bad, 100, "1000 recipients: the BAD lines");
    expect(req, 999, SMS_OUT_UNKNOWN, NULL,
           "no line for this recipient in the provider's answer",
           "1000 recipients: the one without a line", p);
}

/* --- the balance answer ------------------------------------------------ */

static void check_balance(apr_pool_t *p)
{
    static const struct {
        const char *body;
        apr_status_t rv;
        long credits;
        const char *error;
    } cases[] = {
        {"OK: 1234", APR_SUCCESS, 1234, NULL},
        {"OK:1234\r\n", APR_SUCCESS, 1234, NULL},
        {"ok : 0\n", APR_SUCCESS, 0, NULL},
        {"\n\nOK: 77\n\n", APR_SUCCESS, 77, NULL},
        {"OK: -5", APR_SUCCESS, -5, NULL},
        {"OK: 12.50", APR_SUCCESS, 12, NULL},
        {"ERROR: Username or password is incorrect", APR_EINVAL, 0,
         "Username or password is incorrect"},
        {"ERROR : Invalid action", APR_EINVAL, 0, "Invalid action"},
        {"", APR_EGENERAL, 0, "unrecognised provider answer"},
        {"garbage", APR_EGENERAL, 0, "unrecognised provider answer"},
        {"OK", APR_EGENERAL, 0, "unrecognised provider answer"},
        {"OK:", APR_EGENERAL, 0, "unrecognised provider answer"},
        {"OK: abc", APR_EGENERAL, 0, "unrecognised provider answer"},
        {"OK: 12abc", APR_EGENERAL, 0, "unrecognised provider answer"},
        {"OK: 99999999999999999999999", APR_EGENERAL, 0,
         "unrecognised provider answer"},
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        long credits = -999;
        const char *error = "untouched", *body = show(cases[i].body, p);
        apr_status_t rv = sms_broadcast_parse_balance(
            &credits, &error, cases[i].body, strlen(cases[i].body), p);

        IS_INT(rv, cases[i].rv, "balance '%s': status", body);
        if (cases[i].rv == APR_SUCCESS) {
            IS_INT(credits, cases[i].credits, "balance '%s': credits", body);
            tap_ok(error == NULL, "balance '%s': no error", body);
        }
        else {
            IS_STR(error, cases[i].error, "balance '%s': error", body);
        }
    }
}

/* --- the providers ------------------------------------------------------ */

static apr_array_header_t *log_lines;

static void capture_log(void *baton, sms_log_level_e level, apr_status_t rv,
                        const char *msg)
{
    (void)baton;
    (void)level;
    (void)rv;
    APR_ARRAY_PUSH(log_lines, const char *) = apr_pstrdup(log_lines->pool, msg);
}

/* What the observer of check_sandbox saw. */
static int observed;
static const sms_call_t *last_call;
static sms_call_t seen;

static void observer(void *baton, const sms_call_t *call)
{
    observed += baton == &observed;
    seen = *call;
    last_call = call;
}

static void check_sandbox(apr_pool_t *p)
{
    sms_provider_t *pv = NULL;
    sms_send_req_t *req = mkreq(p, "hi", "61400111222", "61400333444", NULL);
    sms_error_t *err = (sms_error_t *)1;
    long credits = -1;

    IS_INT(sms_provider_create(&pv, "sandbox", NULL, p), APR_SUCCESS,
           "sandbox: created without a conf");
    if (!pv) {
        return;
    }
    IS_STR(sms_provider_name(pv), "sandbox", "sandbox: name");
    tap_ok(sms_provider_simulates_dlr(pv), "sandbox: simulates receipts");
    rcpt(req, 0)->message_id = 42;
    rcpt(req, 1)->message_id = APR_INT64_C(9000000000);
    sms_provider_observe(pv, observer, &observed);
    sms_provider_send(pv, req, p);
    IS_INT(observed, 1, "observer: told of the send, with its baton");
    tap_ok(last_call && seen.kind == SMS_CALL_SEND && seen.req == req &&
               seen.took >= 0,
           "observer: kind send, the request, its time");
    expect(req, 0, SMS_OUT_ACCEPTED, "sandbox-42", NULL, "sandbox", p);
    expect(req, 1, SMS_OUT_ACCEPTED, "sandbox-9000000000", NULL, "sandbox", p);
    IS_INT(sms_provider_balance(&credits, &err, pv, p), APR_ENOTIMPL,
           "sandbox: no balance");
    tap_ok(err == NULL, "sandbox: no balance error");
    IS_INT(observed, 1, "observer: a balance that asks nobody is no request");
    req = mkreq(p, "hi", NULL);
    sms_provider_send(pv, req, p);
    IS_INT(observed, 1, "observer: a send without recipients is no request");
}

static void check_create(apr_pool_t *p)
{
    sms_provider_t *pv = (sms_provider_t *)1;
    sms_provider_conf_t bad = conf;

    IS_INT(sms_provider_create(&pv, "nexmo", &conf, p), APR_EINVAL,
           "create: unknown provider refused");
    tap_ok(pv == NULL, "create: no provider for an unknown name");
    IS_INT(sms_provider_create(&pv, NULL, &conf, p), APR_EINVAL,
           "create: no name refused");
    IS_INT(sms_provider_create(&pv, "broadcast", NULL, p), APR_EINVAL,
           "create: broadcast needs a conf");
    bad.url = NULL;
    IS_INT(sms_provider_create(&pv, "broadcast", &bad, p), APR_EINVAL,
           "create: broadcast needs a URL");
    bad = conf;
    bad.password = NULL;
    IS_INT(sms_provider_create(&pv, "broadcast", &bad, p), APR_EINVAL,
           "create: broadcast needs a password");
    IS_INT(sms_provider_create(&pv, "broadcast", &conf, p), APR_SUCCESS,
           "create: broadcast");
    IS_STR(sms_provider_name(pv), "broadcast", "broadcast: name");
    tap_ok(!sms_provider_simulates_dlr(pv), "broadcast: real receipts only");
}

/* Schemes other than https and http are refused before anything is
 * sent: TRANSIENT, and the credentials never reach a file or FTP URL. */
static void check_protocols(apr_pool_t *p)
{
    static const struct {
        const char *url;
        const char *why; /* libcurl's code in the detail */
    } urls[] = {{"file:///etc/hostname", "(libcurl 1)"},
                {"ftp://127.0.0.1:1/api-adv.php", "(libcurl 1)"},
                {"gopher://127.0.0.1:1/", "(libcurl 1)"},
                {"not a url", "(libcurl 3)"}};
    apr_size_t i;
    int k;

    for (i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
        sms_provider_conf_t c = conf;
        sms_provider_t *pv;
        sms_send_req_t *req = mkreq(p, "secret text", "61400111222", NULL);
        sms_error_t *err = NULL;
        long credits;

        c.url = urls[i].url;
        c.timeout = apr_time_from_msec(500);
        if (sms_provider_create(&pv, "broadcast", &c, p) != APR_SUCCESS) {
            tap_ok(0, "protocol %s: provider", urls[i].url);
            continue;
        }
        sms_provider_send(pv, req, p);
        expect(req, 0, SMS_OUT_TRANSIENT, NULL, "*",
               apr_psprintf(p, "protocol %s", urls[i].url), p);
        tap_ok(rcpt(req, 0)->detail &&
                   !strncmp(rcpt(req, 0)->detail, "not sent: ", 10),
               "protocol %s: says not sent", urls[i].url);
        tap_ok(rcpt(req, 0)->detail &&
                   strstr(rcpt(req, 0)->detail, urls[i].why),
               "protocol %s: refused by libcurl %s", urls[i].url, urls[i].why);
        IS_INT(sms_provider_balance(&credits, &err, pv, p), APR_EINVAL,
               "protocol %s: balance fails", urls[i].url);
        IS_STR(err ? err->code : NULL, "provider_error",
               "protocol %s: balance error code", urls[i].url);
        IS_INT(err ? err->status : 0, 502, "protocol %s: balance status",
               urls[i].url);
    }
    for (k = 0; k < log_lines->nelts; k++) {
        const char *l = APR_ARRAY_IDX(log_lines, k, const char *);
        if (strstr(l, PASSWORD) || strstr(l, PASSWORD_FORM) ||
            strstr(l, "secret text") || strstr(l, "61400111222")) {
            tap_ok(0, "log line %d holds a secret: %s", k, l);
        }
    }
    tap_ok(log_lines->nelts > 0,
           "the transport logged (%d lines), "
           "none with the password, the text or a number",
           log_lines->nelts);
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    if (sms_provider_global_init() != APR_SUCCESS) {
        printf("Bail out! curl_global_init failed\n");
        return 1;
    }
    log_lines = apr_array_make(p, 16, sizeof(const char *));
    sms_log_set(capture_log, NULL);
    check_form_encoding(p);
    check_form_fields(p);
    check_spacing(p);
    check_lines(p);
    check_errors(p);
    check_mixed_error(p);
    check_garbage(p);
    check_nul_lines(p);
    check_thousand(p);
    check_balance(p);
    check_sandbox(p);
    check_create(p);
    check_protocols(p);
    sms_log_set(NULL, NULL);
    apr_pool_destroy(p);
    curl_global_cleanup();
    apr_terminate();
    return tap_done();
}
