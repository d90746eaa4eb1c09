/*
 * sms_route_balance.c - GET /balance/: the provider's credits.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"

int sms_route_balance(sms_req *rq)
{
    sms_error_t *err = NULL;
    long credits = 0;
    apr_status_t rv;

    if (!rq->sc->pv) {
        return sms_fail(rq, HTTP_SERVICE_UNAVAILABLE, "provider_error", NULL,
                        "the provider is not set up (see the error log)");
    }
    rv = sms_provider_balance(&credits, &err, rq->sc->pv, rq->r->pool);
    if (rv == APR_ENOTIMPL) {
        return sms_reply(
            rq, HTTP_OK,
            json_pack("{s:n, s:s}", "credits", "provider", "sandbox"));
    }
    if (rv != APR_SUCCESS) {
        return err ? sms_reply_error(rq, err)
                   : sms_fail(rq, HTTP_BAD_GATEWAY, "provider_error", NULL,
                              "the provider did not answer");
    }
    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:I, s:s}", "credits", (json_int_t)credits,
                               "provider", sms_provider_name(rq->sc->pv)));
}
