/*
 * mod_bench_ceiling: the trivial C handler t/bench/run measures as the
 * ceiling of this httpd. It answers every request of its location with a
 * small fixed JSON body and touches nothing else: whatever a mod_sms route
 * costs beyond this is the module's own work (and, behind authentication,
 * the session and the authentication modules').
 *
 * Built by t/bench/run with apxs; never installed.
 */
#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"

static int ceiling_handler(request_rec *r)
{
    static const char body[] = "{\"ok\":true}\n";

    if (!r->handler || strcmp(r->handler, "bench-ceiling") != 0)
        return DECLINED;
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, sizeof(body) - 1);
    if (!r->header_only)
        ap_rwrite(body, sizeof(body) - 1, r);
    return OK;
}

static void ceiling_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(ceiling_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_ceiling_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, ceiling_hooks
};
