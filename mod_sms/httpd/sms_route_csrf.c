/*
 * sms_route_csrf.c - GET /csrf-token/: a token for this user's unsafe
 * requests (X-CSRFToken), with its expiry.
 */
#include <http_protocol.h>

#include "sms_httpd.h"

int sms_route_csrf_token(sms_req *rq)
{
    apr_time_t expires;
    const char *token = sms_csrf_issue(&expires, rq);

    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:s, s:s}", "csrf_token", token, "expires_at",
                               sms_time_format(expires, rq->r->pool)));
}
