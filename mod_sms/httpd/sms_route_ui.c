/*
 * sms_route_ui.c - GET /ui/ (the staff app) and GET /ui/{file} (its ES
 * modules and CSS), served from the copy compiled into the module
 * (sms_ui_assets.c, made by mod_sms/ui/embed.sh). ETag + Cache-Control:
 * no-cache, so a browser revalidates cheaply (304) and always runs the UI
 * of the module it talks to; a Content-Security-Policy that allows only
 * this origin's scripts and styles (no inline script) on the app page.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_ui_assets.h"

#define SMS_UI_CSP                                                             \
    "default-src 'none'; script-src 'self'; style-src 'self'; "                \
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; "           \
    "frame-ancestors 'self'; base-uri 'none'"

static const sms_ui_asset_t *find_asset(const char *name)
{
    const sms_ui_asset_t *a;

    for (a = sms_ui_assets; a->name; a++) {
        if (!strcmp(a->name, name)) {
            return a;
        }
    }
    return NULL;
}

static int send_asset(sms_req *rq, const sms_ui_asset_t *a, int app_page)
{
    request_rec *r = rq->r;

    apr_table_setn(r->headers_out, "ETag", a->etag);
    apr_table_setn(r->headers_out, "Cache-Control", "private, no-cache");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (app_page) {
        apr_table_setn(r->headers_out, "Content-Security-Policy", SMS_UI_CSP);
        apr_table_setn(r->headers_out, "Referrer-Policy", "same-origin");
        apr_table_setn(r->headers_out, "X-Frame-Options", "SAMEORIGIN");
    }
    if (ap_meets_conditions(r) == HTTP_NOT_MODIFIED) {
        return HTTP_NOT_MODIFIED;
    }
    ap_set_content_type(r, a->content_type);
    ap_set_content_length(r, (apr_off_t)a->len);
    if (!r->header_only) {
        ap_rwrite(a->data, (int)a->len, r);
    }
    return OK;
}

int sms_route_ui(sms_req *rq)
{
    request_rec *r = rq->r;
    apr_size_t n = strlen(r->uri);
    const sms_ui_asset_t *a = find_asset("index.html");

    /* the page loads its modules by relative URL: it must end in '/' */
    if (!n || r->uri[n - 1] != '/') {
        apr_table_setn(r->headers_out, "Location",
                       apr_pstrcat(r->pool, ap_escape_uri(r->pool, r->uri), "/",
                                   r->args ? "?" : "", r->args, NULL));
        return HTTP_MOVED_PERMANENTLY;
    }
    if (!a) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "this module was built without its UI");
    }
    return send_asset(rq, a, 1);
}

int sms_route_ui_file(sms_req *rq)
{
    const char *name = rq->params[0];
    const sms_ui_asset_t *a = find_asset(name);

    if (!a) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "the UI has no file %s", name);
    }
    return send_asset(rq, a, !strcmp(name, "index.html"));
}

/* True when uri names the UI ("…/ui", "…/ui/", "…/ui/sms.js"). */
static int is_ui_uri(const char *uri)
{
    const char *s = uri ? strstr(uri, "/ui") : NULL;

    for (; s; s = strstr(s + 1, "/ui")) {
        const char *rest = s + 3;
        if (!*rest || (*rest == '/' && !strchr(rest + 1, '/'))) {
            return 1;
        }
    }
    return 0;
}

int sms_ui_login_redirect(sms_req *rq, const char *uri)
{
    request_rec *r = rq->r;
    const char *url = rq->sc->login_url;

    if (!url || !is_ui_uri(uri)) {
        return DECLINED;
    }
    /* answered in place: this may be the ErrorDocument of httpd's own
     * 401, where returning a status would be a second error */
    r->status = HTTP_MOVED_TEMPORARILY;
    apr_table_set(r->headers_out, "Location", url);
    apr_table_set(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/html; charset=utf-8");
    if (!r->header_only) {
        ap_rvputs(r, "<!DOCTYPE html><title>Log in</title><p>Please <a href=\"",
                  ap_escape_html(r->pool, url), "\">log in</a>.</p>\n", NULL);
    }
    return OK;
}
