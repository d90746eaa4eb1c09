/*
 * sms_route_health.c - GET /health/: storage round trip and provider
 * state for anyone; queue depth and the provider's details only for a
 * user.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "sms_httpd.h"
#include "sms_hostevent.h"

/* The user of a health request. Where health is open ("Require all
 * granted"), httpd runs no authentication and r->user stays empty even
 * for a logged-in browser or a script sending Basic credentials; so when
 * the location has an AuthType, its authentication modules are asked
 * here. A request they do not accept is answered as anonymous, with
 * nothing of their refusal (WWW-Authenticate, a login redirect). */
static const char *health_user(request_rec *r)
{
    if (r->user && *r->user) {
        return r->user;
    }
    if (!ap_auth_type(r)) {
        return NULL;
    }
    if (ap_run_check_user_id(r) == OK && r->user && *r->user) {
        return r->user;
    }
    r->user = NULL;
    apr_table_unset(r->err_headers_out, "WWW-Authenticate");
    apr_table_unset(r->headers_out, "WWW-Authenticate");
    apr_table_unset(r->headers_out, "Location");
    return NULL;
}

/* What only a user sees: the queue depth, the provider and its error,
 * whether the balance is under SMSLowBalance. */
static apr_status_t add_details(json_t *out, sms_req *rq, sms_db_t *db,
                                const char *provider_error, apr_time_t since,
                                int low)
{
    int depth = 0;
    apr_status_t rv = sms_store_queue_depth(&depth, db, rq->r->pool);

    if (rv == APR_SUCCESS) {
        json_object_set_new(out, "queue_depth", json_integer(depth));
        json_object_set_new(
            out, "provider",
            json_string(rq->sc->provider == SMS_PROVIDER_BROADCAST
                            ? "broadcast"
                            : "sandbox"));
        json_object_set_new(out, "provider_error",
                            sms_render_str(provider_error));
        json_object_set_new(out, "provider_error_since",
                            provider_error ? sms_render_time(since, rq->r->pool)
                                           : json_null());
        json_object_set_new(out, "low_balance", json_boolean(low));
    }
    return rv;
}

int sms_route_health(sms_req *rq)
{
    int done = OK;
    sms_db_t *db = sms_db(rq, &done);
    const char *provider_error = NULL, *balance = NULL;
    apr_time_t since = 0, checked = 0;
    json_t *out;
    int low;

    if (!db) {
        return done;
    }
    if (sms_store_state_get(&provider_error, &since, db,
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
    out = json_pack("{s:s, s:s}", "status",
                    provider_error || low ? "degraded" : "ok", "storage", "ok");
    if (health_user(rq->r) &&
        add_details(out, rq, db, provider_error, since, low) != APR_SUCCESS) {
        json_decref(out);
        return sms_storage_failed(rq);
    }
    return sms_reply(rq, HTTP_OK, out);
}
