/*
 * sms_csrf.c - CSRF tokens for browser sessions: issued by GET
 * /csrf-token/, checked by the router on every unsafe method.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_token.h"

#define CSRF_LIFETIME apr_time_from_sec(8 * 3600)
#define CSRF_PREFIX "csrf:"

/* ---- CSRF ------------------------------------------------------------------ */

int sms_route_csrf_token(sms_req *rq)
{
    apr_time_t expires = apr_time_now() + CSRF_LIFETIME;
    const char *token = sms_token_sign(
        rq->sc->secret, rq->sc->secret_len,
        apr_psprintf(rq->r->pool, CSRF_PREFIX "%" APR_TIME_T_FMT ":%s",
                     apr_time_sec(expires), sms_user(rq)), rq->r->pool);

    return sms_reply(rq, HTTP_OK, json_pack(
        "{s:s, s:s}", "csrf_token", token, "expires_at",
        sms_time_format(expires, rq->r->pool)));
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
