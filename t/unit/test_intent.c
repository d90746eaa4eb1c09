/*
 * test_intent.c - reply intents (API.md section 7) on replies people
 * really send: the reply's only word, read through Unicode case folding,
 * against the default confirm and cancel words.
 */
#include <string.h>

#include <apr_general.h>

#include "sms_intent.h"
#include "sms_keyword.h"
#include "tap.h"

/* reply, expected intent ("confirm", "cancel", "unclear"), and what the
 * opt-out rules make of it ("out", "in", or NULL): a keyword has no intent
 * (the webhook gives it none). */
static const struct {
    const char *text, *intent, *opt;
} cases[] = {
    {"Y", "confirm", NULL},
    {"y", "confirm", NULL},
    {"Yes", "confirm", NULL},
    {"YES", "confirm", NULL},
    {"yes!", "confirm", NULL},
    {"Yes.", "confirm", NULL},
    {" yes ", "confirm", NULL},
    {"yes\xc2\xa0", "confirm", NULL},                          /* NBSP */
    {"\xef\xbc\xb9\xef\xbc\xa5\xef\xbc\xb3", "confirm", NULL}, /* ＹＥＳ */
    {"Yes\xe2\x80\x8b", "confirm", NULL}, /* zero-width space */
    {"\"Yes\"", "confirm", NULL},
    {"Yeah", "confirm", NULL},
    {"yep", "confirm", NULL},
    {"Yup", "confirm", NULL},
    {"OK", "confirm", NULL},
    {"ok", "confirm", NULL},
    {"Ok.", "confirm", NULL},
    {"Confirm", "confirm", NULL},
    {"CONFIRMED", "confirm", NULL},
    {"confirmed!!", "confirm", NULL},
    {"Yes thanks", "unclear", NULL},
    {"Yes please", "unclear", NULL},
    {"Yes see you then", "unclear", NULL},
    {"yes yes", "unclear", NULL},
    {"Okay", "unclear", NULL},
    {"Sure", "unclear", NULL},
    {"Yes \xf0\x9f\x91\x8d", "confirm", NULL}, /* Yes + thumbs up */
    {"\xf0\x9f\x91\x8d", "unclear", NULL},     /* thumbs up alone */
    {"\xf0\x9f\x98\x8a", "unclear", NULL},     /* smiley alone */
    {"N", "cancel", NULL},
    {"n", "cancel", NULL},
    {"No", "cancel", NULL},
    {"NO!", "cancel", NULL},
    {"no.", "cancel", NULL},
    {"Nope", "cancel", NULL},
    {"Cancel", "cancel", NULL},
    {"CANCEL", "cancel", NULL},
    {"cancel.", "cancel", NULL},
    {"\xef\xbc\xae\xef\xbc\xaf", "cancel", NULL}, /* ＮＯ */
    {"No can't make it", "unclear", NULL},
    {"No thanks", "unclear", NULL},
    {"Cancel please", "unclear", NULL},
    {"Please cancel", "unclear", NULL},
    {"Can I move it to Friday?", "unclear", NULL},
    {"Running 10 min late", "unclear", NULL},
    {"End of May works", "unclear", NULL},
    {"Who is this?", "unclear", NULL},
    {"Thanks", "unclear", NULL},
    {"Maybe", "unclear", NULL},
    {"?", "unclear", NULL},
    {"", "unclear", NULL},
    {"   ", "unclear", NULL},
    {"1", "unclear", NULL},
    {"Yes\nNo", "unclear", NULL},
    {"Ja", "unclear", NULL},
    {"Oui", "unclear", NULL},
    {"\xe6\x98\xaf", "unclear", NULL}, /* Chinese "yes" */
    {"STOP", "unclear", "out"},
    {"Stop please", "unclear", "out"},
    {"STOP.", "unclear", "out"},
    {"\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xaf\xef\xbc\xb0", "unclear", "out"},
    {"unsubscribe", "unclear", "out"},
    {"END", "unclear", "out"},
    {"quit", "unclear", "out"},
    {"START", "unclear", "in"},
    {"Unstop", "unclear", "in"},
};

int main(void)
{
    apr_pool_t *p;
    apr_array_header_t *confirm, *cancel;
    apr_size_t i;

    apr_initialize();
    apr_pool_create(&p, NULL);
    confirm = sms_intent_list(SMS_INTENT_CONFIRM_DEFAULT, p);
    cancel = sms_intent_list(SMS_INTENT_CANCEL_DEFAULT, p);
    tap_is_int(sizeof(cases) / sizeof(*cases) >= 60, 1, "at least 60 replies");
    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        sms_keyword_e kw = sms_keyword_match(NULL, cases[i].text, NULL, p);
        const char *opt = kw == SMS_KEYWORD_OPTOUT  ? "out"
                          : kw == SMS_KEYWORD_OPTIN ? "in"
                                                    : NULL;
        const char *got = sms_intent_name(
            sms_intent_classify(cases[i].text, confirm, cancel, p));

        if (!tap_ok(!strcmp(got, cases[i].intent) &&
                        ((!opt && !cases[i].opt) ||
                         (opt && cases[i].opt && !strcmp(opt, cases[i].opt))),
                    "reply %u: intent %s, opt %s", (unsigned)i, cases[i].intent,
                    cases[i].opt ? cases[i].opt : "none")) {
            tap_diag("got intent %s, opt %s", got, opt ? opt : "none");
        }
    }
    /* configurable words */
    tap_is_str(sms_intent_name(sms_intent_classify(
                   "Ja", sms_intent_list("JA SI", p), cancel, p)),
               "confirm", "SMSReplyConfirmWords_are_used");
    tap_is_str(sms_intent_name(SMS_INTENT_NONE) ? "x" : "null", "null",
               "no_intent_has_no_name");
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
