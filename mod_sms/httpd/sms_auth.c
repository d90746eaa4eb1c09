/*
 * sms_auth.c - the checks the router applies by a route's authentication
 * kind: CSRF tokens for users' unsafe methods (issued through GET
 * /csrf-token/), the SMSWebhookSecret of provider callbacks.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_token.h"

#define CSRF_LIFETIME apr_time_from_sec(8 * 3600)
#define CSRF_PREFIX "csrf:"

/* ---- CSRF ------------------------------------------------------------------ */

const char *sms_csrf_issue(apr_time_t *expires, sms_req *rq)
{
    *expires = apr_time_now() + CSRF_LIFETIME;
    return sms_token_sign(
        rq->sc->secret, rq->sc->secret_len,
        apr_psprintf(rq->r->pool, CSRF_PREFIX "%" APR_TIME_T_FMT ":%s",
                     apr_time_sec(*expires), sms_user(rq)), rq->r->pool);
}

int sms_check_csrf(sms_req *rq)
{
    const char *token = apr_table_get(rq->r->headers_in, "X-CSRFToken");
    const char *payload, *user;
    char *end;
    apr_int64_t expires;

    if (!rq->dc->csrf) {
        return DECLINED;        /* SMSCSRF Off here */
    }
    if (!token) {
        return sms_fail(rq, HTTP_FORBIDDEN, "csrf_failed", "X-CSRFToken",
                        "this request needs the X-CSRFToken header (GET "
                        "/api/sms/csrf-token/)");
    }
    if (sms_token_verify(&payload, rq->sc->secret, rq->sc->secret_len, token,
                         rq->r->pool) != APR_SUCCESS
        || strncmp(payload, CSRF_PREFIX, strlen(CSRF_PREFIX))) {
        return sms_fail(rq, HTTP_FORBIDDEN, "csrf_failed", "X-CSRFToken",
                        "the CSRF token is not valid");
    }
    expires = apr_strtoi64(payload + strlen(CSRF_PREFIX), &end, 10);
    user = *end == ':' ? end + 1 : NULL;
    if (!user || strcmp(user, sms_user(rq))) {
        return sms_fail(rq, HTTP_FORBIDDEN, "csrf_failed", "X-CSRFToken",
                        "the CSRF token belongs to another user");
    }
    if (apr_time_from_sec(expires) < apr_time_now()) {
        return sms_fail(rq, HTTP_FORBIDDEN, "csrf_failed", "X-CSRFToken",
                        "the CSRF token has expired; fetch a new one");
    }
    return DECLINED;
}

/* ---- provider callbacks ------------------------------------------------------ */

int sms_check_webhook(sms_req *rq, const char *const *allowed)
{
    const char *want = rq->sc->webhook_secret, *given;
    sms_error_t *err;

    if (sms_params(&rq->args, &err, rq, allowed)) {
        return sms_reply_error(rq, err);
    }
    if (!want) {
        return sms_fail(rq, HTTP_FORBIDDEN, "forbidden", NULL,
                        "callbacks are refused until SMSWebhookSecret is "
                        "set");
    }
    given = apr_table_get(rq->args, "secret");
    if (!given || !sms_token_equal_str(given, want)) {
        return sms_fail(rq, HTTP_FORBIDDEN, "forbidden", "secret",
                        "the callback secret is missing or wrong");
    }
    return DECLINED;
}
