/*
 * test_keyword.c - opt-out and opt-in keywords of inbound replies
 * (API.md section 7): a table of replies as phones send them, with what
 * each asks for and the keyword recorded.
 */
#include <apr_general.h>
#include <apr_strings.h>

#include "sms_keyword.h"
#include "tap.h"

typedef struct {
    const char *text;
    sms_keyword_e expect;
    const char *word; /* the keyword recorded, or NULL */
    const char *why;
} reply_t;

#define OUT SMS_KEYWORD_OPTOUT
#define IN SMS_KEYWORD_OPTIN
#define NONE SMS_KEYWORD_NONE

static const reply_t replies[] = {
    /* the whole reply, as typed */
    {"STOP", OUT, "STOP", "upper case"},
    {"stop", OUT, "STOP", "lower case"},
    {"Stop", OUT, "STOP", "capitalised"},
    {"sToP", OUT, "STOP", "mixed case"},
    {"  STOP  ", OUT, "STOP", "spaces around"},
    {"STOP\r\n", OUT, "STOP", "line end"},
    {"\tSTOP\n", OUT, "STOP", "tab and newline"},
    {"STOP.", OUT, "STOP", "full stop"},
    {"STOP!", OUT, "STOP", "exclamation"},
    {"STOP!!!", OUT, "STOP", "exclamations"},
    {"Stop?", OUT, "STOP", "question mark"},
    {"\"STOP\"", OUT, "STOP", "quoted"},
    {"\xe2\x80\x9cStop\xe2\x80\x9d", OUT, "STOP", "curly quotes"},
    {"*STOP*", OUT, "STOP", "asterisks"},
    {"(stop)", OUT, "STOP", "brackets"},
    {"STOP :)", OUT, "STOP", "smiley"},
    {"STOP \xf0\x9f\x9b\x91", OUT, "STOP", "stop sign emoji after"},
    {"\xf0\x9f\x9b\x91 STOP", OUT, "STOP", "stop sign emoji before"},
    {"\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xaf\xef\xbc\xb0", OUT, "STOP",
     "full-width letters"},
    {"\xef\xbd\x93\xef\xbd\x94\xef\xbd\x8f\xef\xbd\x90", OUT, "STOP",
     "full-width lower case"},
    {" stop\xc2\xa0", OUT, "STOP", "NBSP after"},
    {"\xe3\x80\x80STOP\xe3\x80\x80", OUT, "STOP", "ideographic spaces"},
    {"STOP\xe2\x80\x8b", OUT, "STOP", "zero-width space after"},
    {"ST\xe2\x80\x8bOP", OUT, "STOP", "zero-width space inside"},
    {"\xe2\x80\x8eSTOP\xe2\x80\x8f", OUT, "STOP", "bidi marks"},
    {"\xef\xbb\xbfSTOP", OUT, "STOP", "BOM"},
    {"S\xc2\xadTOP", OUT, "STOP", "soft hyphen inside"},
    {"\xf0\x9d\x90\x92\xf0\x9d\x90\x93\xf0\x9d\x90\x8e\xf0\x9d\x90\x8f", OUT,
     "STOP", "mathematical bold letters"},
    {"STOPALL", OUT, "STOPALL", "STOPALL"},
    {"unsubscribe", OUT, "UNSUBSCRIBE", "UNSUBSCRIBE"},
    {"OptOut", OUT, "OPTOUT", "OPTOUT"},
    {"revoke.", OUT, "REVOKE", "REVOKE"},
    {"END", OUT, "END", "END alone"},
    {"end.", OUT, "END", "END with a full stop"},
    {"Quit", OUT, "QUIT", "QUIT alone"},
    /* STOP and UNSUBSCRIBE as the first word */
    {"Stop please", OUT, "STOP", "Stop please"},
    {"STOP, please", OUT, "STOP", "STOP, please"},
    {"stop texting me", OUT, "STOP", "stop texting me"},
    {"STOP ALL", OUT, "STOP", "STOP ALL"},
    {"stop stop stop", OUT, "STOP", "repeated"},
    {"Stop.Thanks", OUT, "STOP", "no space after the full stop"},
    {"Unsubscribe me please", OUT, "UNSUBSCRIBE", "Unsubscribe me"},
    {"\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xaf\xef\xbc\xb0 please", OUT, "STOP",
     "full-width first word"},
    /* not opt-outs */
    {"CANCEL", NONE, NULL, "CANCEL is a cancel intent"},
    {"cancel please", NONE, NULL, "cancel please"},
    {"End of May works", NONE, NULL, "END only alone"},
    {"end of the week is fine", NONE, NULL, "end of the week"},
    {"Quit smoking clinic?", NONE, NULL, "QUIT only alone"},
    {"Please stop", NONE, NULL, "stop not first"},
    {"Don't stop", NONE, NULL, "don't stop"},
    {"Stopping by at 3", NONE, NULL, "Stopping"},
    {"Stops", NONE, NULL, "Stops"},
    {"S T O P", NONE, NULL, "spelled out"},
    {"S.T.O.P", NONE, NULL, "with dots"},
    {"STOP2", NONE, NULL, "STOP2 is another word"},
    {"nonstop", NONE, NULL, "nonstop"},
    {"\xf0\x9f\x9b\x91", NONE, NULL, "emoji only"},
    {"", NONE, NULL, "empty"},
    {"   ", NONE, NULL, "spaces only"},
    {"...", NONE, NULL, "punctuation only"},
    {"Yes", NONE, NULL, "confirm"},
    {"OK see you then", NONE, NULL, "a sentence"},
    {"\xd0\xa1\xd0\xa2\xd0\x9e\xd0\x9f", NONE, NULL,
     "Cyrillic look-alike letters are other letters"},
    {"\xff\xfeSTOP", NONE, NULL, "not UTF-8"},
    /* opt in */
    {"START", IN, "START", "START"},
    {"start.", IN, "START", "start."},
    {"Unstop", IN, "UNSTOP", "UNSTOP"},
    {"\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xa1\xef\xbc\xb2\xef\xbc\xb4", IN,
     "START", "full-width START"},
    {" start\xc2\xa0", IN, "START", "START with NBSP"},
    {"Start again please", NONE, NULL, "START only alone"},
    {"Starting Monday", NONE, NULL, "Starting"},
};

int main(void)
{
    apr_pool_t *p;
    apr_array_header_t *custom;
    const char *word;
    size_t i, n = sizeof(replies) / sizeof(*replies);

    apr_initialize();
    apr_pool_create(&p, NULL);
    tap_ok(n >= 60, "at least 60 replies in the table (%zu)", n);
    for (i = 0; i < n; i++) {
        const reply_t *r = &replies[i];
        sms_keyword_e got = sms_keyword_match(&word, r->text, NULL, p);

        if (!tap_ok(got == r->expect &&
                        (r->word ? word && !strcmp(word, r->word) : !word),
                    "%s", r->why)) {
            tap_diag("  got %d (%s), want %d (%s)", (int)got, word ? word : "-",
                     (int)r->expect, r->word ? r->word : "-");
        }
    }

    /* SMSOptOutKeywords replaces the opt-out words */
    custom = apr_array_make(p, 2, sizeof(const char *));
    APR_ARRAY_PUSH(custom, const char *) = "STOP";
    APR_ARRAY_PUSH(custom, const char *) = "ARRET";
    tap_ok(sms_keyword_match(&word, "Arret!", custom, p) ==
                   SMS_KEYWORD_OPTOUT &&
               !strcmp(word, "ARRET"),
           "a configured word opts out");
    tap_ok(sms_keyword_match(&word, "arret svp", custom, p) == SMS_KEYWORD_NONE,
           "a configured word only alone");
    tap_ok(sms_keyword_match(&word, "END", custom, p) == SMS_KEYWORD_NONE,
           "a default word not configured does not");
    tap_ok(sms_keyword_match(&word, "Stop please", custom, p) ==
               SMS_KEYWORD_OPTOUT,
           "STOP first word when configured");
    tap_ok(sms_keyword_match(NULL, "STOP", custom, p) == SMS_KEYWORD_OPTOUT,
           "word may be NULL");
    tap_ok(sms_keyword_match(&word, NULL, NULL, p) == SMS_KEYWORD_NONE &&
               word == NULL,
           "NULL text");

    /* words */
    {
        apr_array_header_t *w = sms_keyword_words(
            "\xe2\x80\x8eHello,\xc2\xa0W\xe2\x80\x8borld! 42", 10, p);
        tap_is_int(w->nelts, 3, "three words");
        tap_is_str(w->nelts > 1 ? APR_ARRAY_IDX(w, 1, const char *) : "",
                   "WORLD", "the zero-width space joins, NBSP separates");
        tap_is_str(w->nelts > 2 ? APR_ARRAY_IDX(w, 2, const char *) : "", "42",
                   "digits are a word");
    }
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
