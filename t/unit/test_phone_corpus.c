/*
 * test_phone_corpus.c - sms_phone_parse against libphonenumber's own
 * answers on a generated corpus: t/data/gen_phone_corpus.py (run here
 * with the Python that has python3-phonenumbers, SMS_PHONE_ORACLE) writes
 * 2,000 numbers as typed and pasted, each with the answer of the Python
 * port of libphonenumber (same metadata) for its plain typed form. Every
 * case must agree: the same E.164 digits and type, or both refuse.
 * Skipped, saying so, when the oracle is not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <jansson.h>

#include "sms_phone.h"
#include "tap.h"

#define CORPUS_SIZE 2000

/* One case; returns whether C and the oracle agree. */
static int check_case(json_t *c, size_t i, apr_pool_t *p)
{
    const char *in = json_string_value(json_object_get(c, "input"));
    const char *plain = json_string_value(json_object_get(c, "plain"));
    const char *cc = json_string_value(json_object_get(c, "country_code"));
    const char *expect = json_string_value(json_object_get(c, "expect"));
    const char *type = json_string_value(json_object_get(c, "expect_type"));
    sms_phone_t *ph = NULL;
    sms_error_t *err = NULL;
    int ok;

    sms_phone_parse(&ph, &err, in, cc, "to", p);
    if (expect) {
        ok = ph && !strcmp(ph->digits, expect) &&
             !strcmp(sms_phone_type_name(ph->type), type);
    }
    else {
        ok = ph == NULL && err && !strcmp(err->code, "invalid_phone");
    }
    if (!tap_ok(ok, "corpus %zu: '%s' (cc %s): %s %s", i, plain, cc,
                expect ? expect : "refused", type ? type : "")) {
        tap_diag("  input as pasted: '%s'", in);
        tap_diag("  got: %s %s", ph ? ph->digits : "refused",
                 ph ? sms_phone_type_name(ph->type)
                    : (err ? err->message : ""));
    }
    return ok;
}

int main(void)
{
    const char *dir = getenv("SMS_TEST_DATA");
    const char *python = getenv("SMS_PHONE_ORACLE");
    size_t i, n, agree = 0, valid = 0, pasted = 0;
    json_error_t je;
    json_t *doc, *cases;
    apr_pool_t *pool, *p;
    char *cmd;
    FILE *f;
    int rc;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    cmd = apr_psprintf(pool, "'%s' '%s/gen_phone_corpus.py' --count %d",
                       python && *python ? python : "python3",
                       dir ? dir : "t/data", CORPUS_SIZE);
    f = popen(cmd, "r");
    doc = f ? json_loadf(f, 0, &je) : NULL;
    rc = f ? pclose(f) : -1;
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 2) {
        printf("1..0 # SKIP python3-phonenumbers (the oracle) is not "
               "installed: sh conf/install-deps.sh --test\n");
        return 0;
    }
    if (!tap_ok(doc != NULL && rc == 0, "corpus generated (%s)", cmd)) {
        return tap_done();
    }
    tap_ok(sms_phone_init() == APR_SUCCESS, "libphonenumber loads");
    cases = json_object_get(doc, "cases");
    n = json_array_size(cases);
    tap_is_int((long long)n, CORPUS_SIZE, "cases in the corpus");
    tap_is_str(json_string_value(json_object_get(doc, "generator")),
               "gen_phone_corpus.py", "generator");
    tap_diag("oracle: %s", json_string_value(json_object_get(doc, "oracle")));
    for (i = 0; i < n; i++) {
        json_t *c = json_array_get(cases, i);

        apr_pool_create(&p, pool);
        agree += check_case(c, i, p);
        valid += json_object_get(c, "expect") != NULL;
        pasted += strcmp(json_string_value(json_object_get(c, "input")),
                         json_string_value(json_object_get(c, "plain"))) != 0;
        apr_pool_destroy(p);
    }
    tap_ok(valid > n / 4 && valid < n * 3 / 4,
           "both answers are common: %zu valid, %zu refused", valid, n - valid);
    tap_ok(pasted > n / 4, "%zu inputs decorated as pasted", pasted);
    tap_ok(agree == n, "agreement with libphonenumber: %zu of %zu", agree, n);
    json_decref(doc);
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
