/*
 * sms_route_me.c - GET /me/: the user and what this site lets them use,
 * {"user": "rita", "can": {"send_bulk": false, ...}}, for the staff app
 * to show only what works.
 *
 * The module keeps no role list: httpd's configuration is the only
 * source. For each family the route asks httpd, the way mod_autoindex and
 * mod_dir ask before they list or pick a file: a subrequest lookup
 * (ap_sub_req_method_uri) of one of the family's routes, with its method,
 * below this request's own prefix. httpd maps it through the same
 * <Location>, <Limit> and Require rules a real call meets and stops
 * before any handler runs; the status it leaves says yes (200) or no.
 * Nothing is read, written or logged to the access log by a lookup.
 *
 * Two details of httpd's request processing are handled here:
 * - httpd skips authentication and authorization for a subrequest whose
 *   merged configuration is the very one of its parent, taking the
 *   parent's verdict. Only the method could then differ (a <Limit POST>
 *   or "Require method" in the same section), so in that case, for
 *   another method, the authorization hooks are asked again on the
 *   subrequest, which carries the probed method. (With the demo's and the
 *   suite's layouts httpd authorizes every probe afresh: TRACE1 says so.)
 * - mod_authz_core logs every refusal at level error; a probe is a
 *   question, not a refused call, so a probe logs as /me/ itself does
 *   with mod_authz_core's level lowered to crit (an access_checker hook
 *   run first sets that on the probe's subrequest).
 */
#include <string.h>

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>

#include "sms_httpd.h"

typedef struct {
    const char *name;   /* the key in "can" */
    const char *method; /* of the route asked about */
    const char *path;   /* below the API prefix */
} probe_t;

/* One route per family the staff app shows or hides. */
static const probe_t probes[] = {
    {"preview", "POST", "preview/"},
    {"send", "POST", "send/"},
    {"send_bulk", "POST", "send-bulk/"},
    {"messages", "GET", "messages/"},
    {"batches", "GET", "batches/0/"},
    {"patients", "GET", "patient/0/conversation/"},
    {"patient_send", "POST", "patient/0/send/"},
    {"templates", "GET", "templates/"},
    {"templates_write", "POST", "templates/"},
    {"optouts", "GET", "optouts/"},
    {"optouts_add", "POST", "optouts/"},
    {"optouts_remove", "DELETE", "optouts/x/"},
    {"inbox", "GET", "inbox/"},
    {"inbox_mark", "POST", "inbox/0/read/"},
    {"audit", "GET", "audit/"},
    {"settings", "GET", "settings/"},
    {"balance", "GET", "balance/"},
    {"metrics", "GET", "metrics/"},
};

#define N_PROBES (sizeof(probes) / sizeof(*probes))

/* The API prefix this request came through, escaped, ending in '/': the
 * router matched "me", the last segment of r->uri. */
static const char *api_prefix(request_rec *r)
{
    char *uri = apr_pstrdup(r->pool, r->uri);
    apr_size_t len = strlen(uri);
    char *slash;

    while (len > 1 && uri[len - 1] == '/') {
        uri[--len] = '\0';
    }
    slash = strrchr(uri, '/');
    if (slash) {
        slash[1] = '\0';
    }
    return ap_escape_uri(r->pool, uri);
}

/* The key, in the pool of the /me/ request, of the log configuration its
 * probes use. */
#define PROBE_LOG "sms_me_probe_log"

/* access_checker, first of all: a probe of /me/ logs with the quiet
 * configuration (httpd set the subrequest's own after its sections
 * matched, so it is set here, before any authorization runs). */
static int probe_log(request_rec *r)
{
    void *quiet = NULL;

    if (r->main &&
        apr_pool_userdata_get(&quiet, PROBE_LOG, r->main->pool) ==
            APR_SUCCESS &&
        quiet) {
        r->log = quiet;
    }
    return DECLINED;
}

void sms_me_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_access_checker(probe_log, NULL, NULL, APR_HOOK_REALLY_FIRST);
}

/* This request's log configuration with mod_authz_core's level below
 * "error", or NULL when that module is not loaded. */
static struct ap_logconf *quiet_authz(request_rec *r)
{
    module *authz = ap_find_linked_module("mod_authz_core.c");
    struct ap_logconf *quiet;

    if (!authz) {
        return NULL;
    }
    quiet = ap_new_log_config(r->pool, ap_get_request_logconf(r));
    ap_set_module_loglevel(r->pool, quiet, authz->module_index, APLOG_CRIT);
    return quiet;
}

/* Would httpd let this user call method on uri? */
static int allowed(request_rec *r, const char *method, const char *uri,
                   struct ap_logconf *quiet)
{
    request_rec *rr = ap_sub_req_method_uri(method, uri, r, NULL);
    int ok = rr->status == HTTP_OK;
    int same = rr->per_dir_config == r->per_dir_config;

    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r, "me: %s %s answers %d%s",
                  method, uri, rr->status,
                  same ? " (the configuration of /me/ itself)" : "");
    if (ok && same && rr->method_number != r->method_number) {
        /* httpd took this request's verdict (same sections): ask the
         * authorization hooks again, now with the probed method */
        if (quiet) {
            rr->log = quiet;
        }
        ok = ap_run_auth_checker(rr) == OK;
    }
    ap_destroy_sub_req(rr);
    return ok;
}

int sms_route_me(sms_req *rq)
{
    request_rec *r = rq->r;
    struct ap_logconf *quiet = quiet_authz(r);
    const char *prefix = api_prefix(r);
    json_t *can = json_object();
    apr_size_t i;

    apr_pool_userdata_setn(quiet, PROBE_LOG, NULL, r->pool);
    for (i = 0; i < N_PROBES; i++) {
        const char *uri = apr_pstrcat(r->pool, prefix, probes[i].path, NULL);

        json_object_set_new(
            can, probes[i].name,
            json_boolean(allowed(r, probes[i].method, uri, quiet)));
    }
    apr_pool_userdata_setn(NULL, PROBE_LOG, NULL, r->pool);
    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:s, s:o}", "user", r->user, "can", can));
}
