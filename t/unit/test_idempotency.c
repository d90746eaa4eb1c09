/*
 * test_idempotency.c - the Idempotency-Key rules: valid keys, the request
 * hash (member order does not matter, route and values do), what a stored
 * record means, which answers are kept.
 */
#include <string.h>

#include <apr_general.h>

#include "sms_idempotency.h"
#include "tap.h"

static void check_keys(apr_pool_t *p)
{
    sms_error_t *err = NULL;
    char longest[SMS_IDEM_KEY_MAX + 2];

    tap_ok(sms_idem_check_key(&err, "a1-B2_c3.d4~!", p) == APR_SUCCESS,
           "visible_ascii_key_accepted");
    memset(longest, 'k', sizeof(longest));
    longest[SMS_IDEM_KEY_MAX] = '\0';
    tap_ok(sms_idem_check_key(&err, longest, p) == APR_SUCCESS,
           "key_of_255_accepted");
    longest[SMS_IDEM_KEY_MAX] = 'k';
    longest[SMS_IDEM_KEY_MAX + 1] = '\0';
    tap_ok(sms_idem_check_key(&err, longest, p) == APR_EINVAL,
           "key_of_256_refused");
    tap_ok(sms_idem_check_key(&err, "", p) == APR_EINVAL &&
               sms_idem_check_key(&err, "a b", p) == APR_EINVAL &&
               sms_idem_check_key(&err, "caf\xc3\xa9", p) == APR_EINVAL &&
               sms_idem_check_key(&err, "a\tb", p) == APR_EINVAL,
           "empty_space_non_ascii_control_refused");
    tap_is_str(err ? err->field : NULL, "Idempotency-Key",
               "refusal_names_the_header");
}

static void check_hash(apr_pool_t *p)
{
    json_t *a = json_pack("{s:s, s:s}", "to", "0412345678", "message", "hi");
    json_t *b = json_pack("{s:s, s:s}", "message", "hi", "to", "0412345678");
    json_t *c = json_pack("{s:s, s:s}", "to", "0412345678", "message", "hi!");
    const char *ha = sms_idem_hash("/api/sms/send/", a, p);

    tap_is_int((long long)strlen(ha), 40, "hash_is_hex_sha1");
    tap_is_str(sms_idem_hash("/api/sms/send/", b, p), ha,
               "member_order_does_not_matter");
    tap_ok(strcmp(sms_idem_hash("/api/sms/send/", c, p), ha) != 0,
           "another_text_is_another_request");
    tap_ok(strcmp(sms_idem_hash("/api/sms/patient/17/send/", a, p), ha) != 0,
           "another_route_is_another_request");
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

static void check_decide(apr_pool_t *p)
{
    sms_error_t *err = NULL;

    tap_ok(sms_idem_decide(&err, "h1", 201, "h1", p) == SMS_IDEM_REPLAY,
           "same_request_answered_is_replayed");
    tap_ok(sms_idem_decide(&err, "h1", 201, "h2", p) == SMS_IDEM_CONFLICT &&
               err->status == 409 && !strcmp(err->code, "idempotency_conflict"),
           "different_request_same_key_is_409");
    tap_ok(sms_idem_decide(&err, "h1", 0, "h1", p) == SMS_IDEM_CONFLICT &&
               strstr(err->message, "still running") != NULL,
           "first_request_still_running_is_409");
    tap_ok(sms_idem_keeps(201) && sms_idem_keeps(202) && sms_idem_keeps(422) &&
               !sms_idem_keeps(503) && !sms_idem_keeps(0),
           "client_answers_kept_server_failures_forgotten");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    check_keys(p);
    check_hash(p);
    check_decide(p);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
