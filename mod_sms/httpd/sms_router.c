/*
 * sms_router.c - the route table and the one handler: path matching,
 * 404/405/401, authentication kind per route (user, webhook secret, CSRF),
 * the body cap, Content-Type and JSON checks, httpd's own errors as the
 * JSON envelope.
 */
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <httpd.h>
#include <util_filter.h>

#include "sms_httpd.h"
#include "sms_form.h"
#include "sms_json.h"
#include "sms_phone.h"
#include "sms_text.h"

#define SMS_MAX_PARAMS 4

typedef enum {
    BODY_NONE = 0, /* no body expected: anything sent is ignored */
    BODY_JSON = 1, /* a JSON object is required */
    BODY_FORM = 2  /* an optional application/x-www-form-urlencoded body */
} body_kind_e;

typedef enum {
    AUTH_NONE = 0,   /* anyone (health) */
    AUTH_USER = 1,   /* r->user (401 without), X-CSRFToken on unsafe
                        methods */
    AUTH_WEBHOOK = 2 /* a provider callback: SMSWebhookSecret */
} auth_kind_e;

typedef struct {
    int method;          /* M_GET, M_POST, ... */
    const char *pattern; /* "messages/{id}": literal or {name} */
    auth_kind_e auth;
    body_kind_e body;
    sms_route_fn *handler;
    const char *const *params; /* AUTH_WEBHOOK: the parameters taken */
} sms_route_t;

#define GET M_GET
#define POST M_POST
#define PUT M_PUT
#define DELETE M_DELETE

/* One place decides method, authentication and body for every route. */
static const sms_route_t routes[] = {
    {GET, "health", AUTH_NONE, BODY_NONE, sms_route_health, NULL},
    {POST, "preview", AUTH_USER, BODY_JSON, sms_route_preview, NULL},
    {POST, "send", AUTH_USER, BODY_JSON, sms_route_send, NULL},
    {POST, "send-bulk", AUTH_USER, BODY_JSON, sms_route_send_bulk, NULL},
    {GET, "messages", AUTH_USER, BODY_NONE, sms_route_messages, NULL},
    {GET, "messages/{id}", AUTH_USER, BODY_NONE, sms_route_message, NULL},
    {GET, "batches/{id}", AUTH_USER, BODY_NONE, sms_route_batch, NULL},
    {GET, "balance", AUTH_USER, BODY_NONE, sms_route_balance, NULL},
    {GET, "templates", AUTH_USER, BODY_NONE, sms_route_templates, NULL},
    {POST, "templates", AUTH_USER, BODY_JSON, sms_route_template_create, NULL},
    {GET, "templates/{id}", AUTH_USER, BODY_NONE, sms_route_template_get, NULL},
    {PUT, "templates/{id}", AUTH_USER, BODY_JSON, sms_route_template_update,
     NULL},
    {DELETE, "templates/{id}", AUTH_USER, BODY_NONE, sms_route_template_delete,
     NULL},
    {GET, "optouts", AUTH_USER, BODY_NONE, sms_route_optouts, NULL},
    {POST, "optouts", AUTH_USER, BODY_JSON, sms_route_optout_add, NULL},
    {DELETE, "optouts/{number}", AUTH_USER, BODY_NONE, sms_route_optout_remove,
     NULL},
    {GET, "patient/{id}/phones", AUTH_USER, BODY_NONE, sms_route_patient_phones,
     NULL},
    {GET, "patient/{id}/conversation", AUTH_USER, BODY_NONE,
     sms_route_patient_conversation, NULL},
    {POST, "patient/{id}/send", AUTH_USER, BODY_JSON, sms_route_patient_send,
     NULL},
    {GET, "csrf-token", AUTH_USER, BODY_NONE, sms_route_csrf_token, NULL},
    {GET, "me", AUTH_USER, BODY_NONE, sms_route_me, NULL},
    {GET, "settings", AUTH_USER, BODY_NONE, sms_route_settings, NULL},
    {GET, "metrics", AUTH_USER, BODY_NONE, sms_route_metrics, NULL},
    {GET, "audit", AUTH_USER, BODY_NONE, sms_route_audit, NULL},
    {GET, "inbox", AUTH_USER, BODY_NONE, sms_route_inbox, NULL},
    {GET, "inbox/counts", AUTH_USER, BODY_NONE, sms_route_inbox_counts, NULL},
    {POST, "inbox/{id}/read", AUTH_USER, BODY_NONE, sms_route_inbox_read, NULL},
    {POST, "inbox/{id}/unread", AUTH_USER, BODY_NONE, sms_route_inbox_unread,
     NULL},
    {GET, "ui", AUTH_USER, BODY_NONE, sms_route_ui, NULL},
    {GET, "ui/{file}", AUTH_USER, BODY_NONE, sms_route_ui_file, NULL},
    {GET, "webhook/dlr", AUTH_WEBHOOK, BODY_NONE, sms_route_dlr,
     sms_form_dlr_names},
    {POST, "webhook/dlr", AUTH_WEBHOOK, BODY_FORM, sms_route_dlr,
     sms_form_dlr_names},
    {GET, "webhook/inbound", AUTH_WEBHOOK, BODY_NONE, sms_route_inbound,
     sms_form_inbound_names},
    {POST, "webhook/inbound", AUTH_WEBHOOK, BODY_FORM, sms_route_inbound,
     sms_form_inbound_names},
};

#define N_ROUTES (sizeof(routes) / sizeof(*routes))

/* Match rel ("messages/42") against a pattern; fills params. */
static int match_pattern(const char *pattern, const char *rel,
                         const char **params, apr_pool_t *p)
{
    int n = 0;

    while (*pattern && *rel) {
        const char *pe = strchr(pattern, '/'), *re = strchr(rel, '/');
        apr_size_t pl = pe ? (apr_size_t)(pe - pattern) : strlen(pattern);
        apr_size_t rl = re ? (apr_size_t)(re - rel) : strlen(rel);

        if (rl == 0) {
            return 0;
        }
        if (pattern[0] == '{') {
            if (n == SMS_MAX_PARAMS) {
                return 0;
            }
            params[n++] = apr_pstrmemdup(p, rel, rl);
        }
        else if (pl != rl || strncmp(pattern, rel, pl)) {
            return 0;
        }
        pattern += pl + (pe ? 1 : 0);
        rel += rl + (re ? 1 : 0);
        if (!pe != !re) {
            return 0;
        }
    }
    return !*pattern && !*rel;
}

/* The request path below the section it is served from, with no leading
 * or trailing slash; NULL when uri is not below path. */
static const char *relative_path(const char *uri, const char *path,
                                 apr_pool_t *p)
{
    apr_size_t n = strlen(path), len;

    if (n == 1 && path[0] == '/') {
        n = 0;
    }
    else if (strncmp(uri, path, n) || (uri[n] && uri[n] != '/')) {
        return NULL;
    }
    uri += n;
    while (*uri == '/') {
        uri++;
    }
    len = strlen(uri);
    if (len && uri[len - 1] == '/') {
        len--;
    }
    return apr_pstrmemdup(p, uri, len);
}

/* Match rel against the route table; fills *route for this method and
 * *allow with the methods the path supports. Returns how many routes
 * match the path. */
static int match_routes(sms_req *rq, const char *rel, const sms_route_t **route,
                        const char **allow)
{
    request_rec *r = rq->r;
    const char **params = apr_pcalloc(r->pool, SMS_MAX_PARAMS * sizeof(char *));
    int found = 0;
    apr_size_t i;

    *allow = NULL;
    for (i = 0; i < N_ROUTES; i++) {
        const char *name;

        if (!match_pattern(routes[i].pattern, rel, params, r->pool)) {
            continue;
        }
        found++;
        name = ap_method_name_of(r->pool, routes[i].method);
        if (routes[i].method == M_GET) {
            name = "GET, HEAD"; /* HEAD arrives as M_GET */
        }
        *allow = *allow ? apr_pstrcat(r->pool, *allow, ", ", name, NULL) : name;
        if (routes[i].method == r->method_number && !*route) {
            *route = &routes[i];
            rq->params = params;
            params = apr_pcalloc(r->pool, SMS_MAX_PARAMS * sizeof(char *));
        }
    }
    if (found) {
        *allow = apr_pstrcat(r->pool, *allow, ", OPTIONS", NULL);
    }
    return found;
}

/* Find the route of this request. The API is mounted at the <Location>
 * that holds SetHandler sms-api, but the innermost section that applies
 * may be a nested one (<Location /api/sms/webhook>); so the base is the
 * innermost section's path or one of its ancestors, shortest last, and
 * never a path the section does not name ("/api/sms/x/preview" is no
 * route below "/api/sms"). */
static int find_route(sms_req *rq, const sms_route_t **route,
                      const char **allow)
{
    request_rec *r = rq->r;
    core_dir_config *core = ap_get_core_module_config(r->per_dir_config);
    char *base = apr_pstrdup(r->pool, core && core->d ? core->d : "/");

    *route = NULL;
    if (!core || !core->d || core->r || base[0] != '/' ||
        !relative_path(r->uri, base, r->pool)) {
        base = "/"; /* not a <Location> prefix: match the whole path */
    }
    for (;;) {
        const char *rel = relative_path(r->uri, base, r->pool);
        char *slash;

        if (APLOGrtrace2(r)) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE2, 0, r,
                          "route lookup: '%s' below '%s'",
                          sms_phone_mask_text(rel, r->pool), base);
        }
        if (match_routes(rq, rel, route, allow)) {
            return 1;
        }
        if (!strcmp(base, "/")) {
            return 0;
        }
        slash = strrchr(base, '/');
        if (slash == base) {
            base = "/";
        }
        else {
            *slash = '\0';
        }
    }
}

/* application/json, with an optional charset that must be UTF-8. */
static int is_json_type(const char *ct)
{
    const char *cs;

    if (!ct || strncasecmp(ct, "application/json", 16) ||
        (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
        return 0;
    }
    cs = ap_strcasestr(ct + 16, "charset=");
    if (cs) {
        cs += 8;
        if (*cs == '"') {
            cs++;
        }
        return !strncasecmp(cs, "utf-8", 5) || !strncasecmp(cs, "utf8", 4);
    }
    return 1;
}

/* 413 payload_too_large; the connection is closed after it. */
static int body_too_large(sms_req *rq)
{
    rq->r->connection->keepalive = AP_CONN_CLOSE;
    return sms_fail(rq, HTTP_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                    NULL,
                    "the request body is larger than %" APR_OFF_T_FMT " bytes",
                    rq->sc->max_body);
}

/* A body being read: its bytes so far, in a buffer that doubles. */
typedef struct {
    char *data;
    apr_size_t size, room;
} body_buf_t;

/* Append the data buckets of bb to body, under SMSMaxBodySize; *eos once
 * the end came. DECLINED, or the error sent. */
static int take_buckets(sms_req *rq, apr_bucket_brigade *bb, body_buf_t *body,
                        int *eos)
{
    apr_bucket *b;

    for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        const char *chunk;
        apr_size_t n;

        if (APR_BUCKET_IS_EOS(b)) {
            *eos = 1;
            break;
        }
        if (APR_BUCKET_IS_METADATA(b)) {
            continue;
        }
        if (apr_bucket_read(b, &chunk, &n, APR_BLOCK_READ) != APR_SUCCESS) {
            return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_json", NULL,
                            "the request body could not be read");
        }
        if ((apr_off_t)(body->size + n) > rq->sc->max_body) {
            return body_too_large(rq);
        }
        if (body->size + n > body->room) {
            char *bigger;
            while (body->size + n > body->room) {
                body->room *= 2;
            }
            bigger = apr_palloc(rq->r->pool, body->room);
            memcpy(bigger, body->data, body->size);
            body->data = bigger;
        }
        memcpy(body->data + body->size, chunk, n);
        body->size += n;
    }
    return DECLINED;
}

/* Read the whole body under our own cap, never trusting Content-Length
 * to size anything. */
static int read_body(sms_req *rq, char **buf, apr_size_t *len)
{
    request_rec *r = rq->r;
    apr_bucket_brigade *bb;
    body_buf_t body;
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    int eos = 0, rc;

    if (cl) {
        apr_off_t declared;
        char *end;
        if (apr_strtoff(&declared, cl, &end, 10) == APR_SUCCESS && !*end &&
            declared > rq->sc->max_body) {
            return body_too_large(rq);
        }
    }
    body.size = 0;
    body.room = 8192;
    body.data = apr_palloc(r->pool, body.room);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!eos) {
        apr_status_t rv =
            ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                           APR_BLOCK_READ, HUGE_STRING_LEN);
        if (rv != APR_SUCCESS) {
            int status = ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
            if (status == AP_FILTER_ERROR) {
                return status; /* the input filter answered already */
            }
            return sms_fail(rq, status,
                            status == HTTP_REQUEST_ENTITY_TOO_LARGE
                                ? "payload_too_large"
                                : "invalid_json",
                            NULL, "the request body could not be read");
        }
        if ((rc = take_buckets(rq, bb, &body, &eos)) != DECLINED) {
            return rc;
        }
        apr_brigade_cleanup(bb);
    }
    *buf = body.data;
    *len = body.size;
    return DECLINED; /* read; the caller goes on */
}

/* The envelope for an error httpd raised itself and handed to us through
 * "ErrorDocument NNN /api/sms/..." (REDIRECT_STATUS is set). */
static int error_document(sms_req *rq, const char *redirect_status)
{
    static const struct {
        int status;
        const char *code, *message;
    } known[] = {
        {400, "bad_request", "the request is malformed"},
        {401, "unauthenticated", "log in first"},
        {403, "forbidden", "access to this resource is forbidden"},
        {404, "not_found", "no such resource"},
        {405, "method_not_allowed", "method not allowed"},
        {413, "payload_too_large", "the request body is too large"},
        {414, "uri_too_long", "the request URI is too long"},
        {500, "internal_error", "internal server error"},
        {503, "storage_unavailable", "service unavailable"},
    };
    int status = atoi(redirect_status);
    apr_size_t i;

    for (i = 0; i < sizeof(known) / sizeof(*known); i++) {
        if (known[i].status == status) {
            return sms_fail(rq, status, known[i].code, NULL, "%s",
                            known[i].message);
        }
    }
    if (status < 400 || status > 599) {
        status = HTTP_INTERNAL_SERVER_ERROR;
    }
    return sms_fail(rq, status, status < 500 ? "bad_request" : "internal_error",
                    NULL, "HTTP error %d", status);
}

/* SMS_LOG_PATH for the access log: the path of the request as the client
 * sent it (the first, before any ErrorDocument), without the query string
 * (webhooks carry message text and numbers there) and with phone numbers
 * masked (DELETE /optouts/{number}). */
static void log_path(request_rec *r)
{
    request_rec *first = r;
    const char *path;

    while (first->prev) {
        first = first->prev;
    }
    path = sms_phone_mask_text(first->uri, first->pool);
    /* mod_log_config reads %{...}e from the last request, %<{...}e from
     * the first */
    apr_table_setn(first->subprocess_env, "SMS_LOG_PATH", path);
    apr_table_setn(r->subprocess_env, "SMS_LOG_PATH", path);
}

/* 404, 405 (with Allow) or OPTIONS when no route takes the request;
 * DECLINED with *route set to go on. */
static int pick_route(sms_req *rq, const sms_route_t **route)
{
    request_rec *r = rq->r;
    const char *allow = NULL;

    if (!find_route(rq, route, &allow)) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "no such API route: %s", r->uri);
    }
    if (*route) {
        return DECLINED;
    }
    apr_table_setn(r->headers_out, "Allow", allow);
    if (r->method_number == M_OPTIONS) {
        r->status = HTTP_NO_CONTENT;
        return OK;
    }
    return sms_fail(rq, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", NULL,
                    "%s is not allowed here; allowed: %s", r->method, allow);
}

/* The route's authentication kind, before its body is read: a user (401,
 * or the login page for a browser) and CSRF on unsafe methods. */
static int authenticate(sms_req *rq, const sms_route_t *route)
{
    request_rec *r = rq->r;

    if (route->auth != AUTH_USER) {
        return DECLINED; /* webhooks: checked with their parameters */
    }
    if (!r->user || !*r->user) {
        if (sms_ui_login_redirect(rq, r->uri) == OK) {
            return OK;
        }
        return sms_fail(rq, HTTP_UNAUTHORIZED, "unauthenticated", NULL,
                        "this route needs an authenticated user");
    }
    return route->method != M_GET ? sms_check_csrf(rq) : DECLINED;
}

/* Path parameters: an id that is not text names nothing (and must not
 * reach the database, which may refuse it). */
static int check_path_params(sms_req *rq)
{
    const char *why;
    int i;

    for (i = 0; i < SMS_MAX_PARAMS && rq->params[i]; i++) {
        if (sms_text_validate(&why, rq->params[i], strlen(rq->params[i]),
                              rq->r->pool)) {
            return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                            "no such resource: %s", why);
        }
    }
    return DECLINED;
}

/* A JSON route's body: application/json, under the cap, one object. */
static int read_json(sms_req *rq)
{
    request_rec *r = rq->r;
    char *buf = NULL;
    apr_size_t len = 0;
    sms_error_t *err;
    int rc;

    if (!is_json_type(apr_table_get(r->headers_in, "Content-Type"))) {
        return sms_fail(rq, HTTP_UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type", NULL,
                        "the request body must be application/json (UTF-8)");
    }
    if ((rc = read_body(rq, &buf, &len)) != DECLINED) {
        return rc;
    }
    if (sms_json_parse_object(&rq->body, &err, buf, len, r->pool) !=
        APR_SUCCESS) {
        return sms_reply_error(rq, err);
    }
    return DECLINED;
}

/* A callback's optional urlencoded body, under the cap. */
static int read_form(sms_req *rq)
{
    const char *ct = apr_table_get(rq->r->headers_in, "Content-Type");
    char *buf = NULL;
    apr_size_t len = 0;
    int rc;

    if ((rc = read_body(rq, &buf, &len)) != DECLINED) {
        return rc;
    }
    if (len &&
        (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33))) {
        return sms_fail(rq, HTTP_UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type", NULL,
                        "provider callbacks "
                        "send their parameters in the query string or as "
                        "application/x-www-form-urlencoded");
    }
    if (memchr(buf, '\0', len)) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter", NULL,
                        "the body holds a NUL byte");
    }
    rq->form = buf;
    rq->form_len = len;
    return DECLINED;
}

int sms_api_handler(request_rec *r)
{
    sms_req *rq;
    const sms_route_t *route = NULL;
    const char *redirect_status;
    int rc;

    if (!r->handler || strcmp(r->handler, SMS_HANDLER)) {
        return DECLINED;
    }
    rq = apr_pcalloc(r->pool, sizeof(*rq));
    rq->r = r;
    rq->sc = ap_get_module_config(r->server->module_config, &sms_module);
    rq->dc = ap_get_module_config(r->per_dir_config, &sms_module);

    log_path(r);
    redirect_status = apr_table_get(r->subprocess_env, "REDIRECT_STATUS");
    if (r->prev && redirect_status) {
        if (atoi(redirect_status) == HTTP_UNAUTHORIZED &&
            sms_ui_login_redirect(rq, r->prev->uri) == OK) {
            return OK;
        }
        return error_document(rq, redirect_status);
    }
    if ((rc = pick_route(rq, &route)) != DECLINED ||
        (rc = authenticate(rq, route)) != DECLINED ||
        (rc = check_path_params(rq)) != DECLINED ||
        (route->body == BODY_JSON && (rc = read_json(rq)) != DECLINED) ||
        (route->body == BODY_FORM && (rc = read_form(rq)) != DECLINED) ||
        (route->auth == AUTH_WEBHOOK &&
         (rc = sms_check_webhook(rq, route->params)) != DECLINED)) {
        return rc;
    }
    return route->handler(rq);
}
