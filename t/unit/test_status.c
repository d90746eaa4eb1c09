/*
 * test_status.c - the status vocabulary: names round-trip, the CHECK
 * lists of both schemas name exactly the enum's statuses in its order,
 * and the receipt rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "sms_status.h"
#include "tap.h"

static void check_names(apr_pool_t *p)
{
    sms_status_e st;
    int i, ok = 1;

    for (i = 0; i < SMS_ST_COUNT; i++) {
        ok &= sms_status_parse(&st, sms_status_name(i)) == APR_SUCCESS &&
              (int)st == i;
    }
    tap_ok(ok, "every_status_name_parses_back_to_its_enum");
    tap_ok(sms_status_parse(&st, "x") == APR_EINVAL &&
               sms_status_parse(&st, "Delivered") == APR_EINVAL &&
               sms_status_parse(&st, NULL) == APR_EINVAL,
           "unknown_or_differently_spelled_names_refused");
    tap_is_int(sms_status_name(SMS_ST_COUNT) == NULL, 1,
               "no_name_past_the_end");
    tap_is_str(sms_status_list(p),
               "scheduled, queued, sending, sent, "
               "delivered, expired, failed, unknown, cancelled",
               "status_list_for_error_messages");
}

/* The names inside "status IN (...)" of a schema file, in order. */
static const char *schema_statuses(const char *path, apr_pool_t *p)
{
    FILE *f = fopen(path, "r");
    char buf[65536], *s, *end, *q;
    const char *out = NULL;
    size_t n;

    if (!f) {
        return NULL;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (!(s = strstr(buf, "CHECK (status IN (")) || !(end = strchr(s, ')'))) {
        return NULL;
    }
    *end = '\0';
    for (q = strchr(s, '\''); q; q = strchr(q, '\'')) {
        char *close = strchr(q + 1, '\'');
        if (!close) {
            break;
        }
        out = apr_psprintf(p, "%s%s%.*s", out ? out : "", out ? ", " : "",
                           (int)(close - q - 1), q + 1);
        q = close + 1;
    }
    return out;
}

static void check_schemas(apr_pool_t *p)
{
    const char *dir = getenv("SMS_TEST_DATA");
    const char *drivers[] = {"sqlite", "pgsql"};
    int i;

    for (i = 0; i < 2; i++) {
        const char *path = apr_psprintf(p, "%s/../../sql/%s/001_init.sql",
                                        dir ? dir : "t/data", drivers[i]);
        const char *got = schema_statuses(path, p);
        if (!tap_ok(got && !strcmp(got, sms_status_list(p)),
                    "schema_%s_check_lists_the_enum", drivers[i])) {
            tap_diag("%s: %s", path, got ? got : "(no CHECK list found)");
        }
    }
}

static void check_receipts(void)
{
    tap_ok(sms_status_receipt_applies("sending", 1) &&
               sms_status_receipt_applies("sent", 1) &&
               sms_status_receipt_applies("unknown", 1),
           "receipt_finishes_a_message_the_provider_had");
    tap_ok(sms_status_receipt_applies("queued", 1),
           "receipt_finishes_a_retry_that_was_sent_before");
    tap_ok(!sms_status_receipt_applies("queued", 0) &&
               !sms_status_receipt_applies("scheduled", 0),
           "receipt_never_finishes_a_message_never_handed_over");
    tap_ok(!sms_status_receipt_applies("delivered", 1) &&
               !sms_status_receipt_applies("failed", 1) &&
               !sms_status_receipt_applies("cancelled", 0),
           "receipt_never_moves_a_final_status");
    tap_ok(sms_status_is_final("delivered") && sms_status_is_final("unknown") &&
               !sms_status_is_final("sent") && !sms_status_is_final("x"),
           "final_statuses");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    check_names(p);
    check_schemas(p);
    check_receipts();
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
