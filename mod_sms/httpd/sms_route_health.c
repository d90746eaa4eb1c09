/*
 * sms_route_health.c - GET /health/: storage round trip, queue depth,
 * provider state.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_hostevent.h"

int sms_route_health(sms_req *rq)
{
    int done = OK, depth = 0;
    sms_db_t *db = sms_db(rq, &done);
    const char *provider_error = NULL, *balance = NULL;
    apr_time_t since = 0, checked = 0;
    int low;

    if (!db) {
        return done;
    }
    if (sms_store_queue_depth(&depth, db, rq->r->pool) != APR_SUCCESS ||
        sms_store_state_get(&provider_error, &since, db,
                            SMS_STATE_PROVIDER_ERROR,
                            rq->r->pool) != APR_SUCCESS ||
        (rq->sc->low_balance &&
         sms_store_state_get(&balance, &checked, db, SMS_STATE_BALANCE,
                             rq->r->pool) != APR_SUCCESS)) {
        return sms_storage_failed(rq);
    }
    /* SMSLowBalance: the balance the sender last read is under it */
    low = balance && apr_atoi64(balance) < rq->sc->low_balance;
    /* a provider refusing our credentials degrades every server alike:
     * still 200, so a load balancer keeps the nodes, but said plainly */
    return sms_reply(
        rq, HTTP_OK,
        json_pack("{s:s, s:s, s:i, s:s, s:s?, s:s?, s:b}", "status",
                  provider_error || low ? "degraded" : "ok", "storage", "ok",
                  "queue_depth", depth, "provider",
                  rq->sc->provider == SMS_PROVIDER_BROADCAST ? "broadcast"
                                                             : "sandbox",
                  "provider_error", provider_error, "provider_error_since",
                  provider_error ? sms_time_format(since, rq->r->pool) : NULL,
                  "low_balance", low));
}
