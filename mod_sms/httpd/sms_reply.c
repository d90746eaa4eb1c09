/*
 * sms_reply.c - what every route shares: JSON replies and the error
 * envelope, the one storage-failure reply, store connections, query
 * parameters, the user.
 */
#include <string.h>

#include <apr_atomic.h>
#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_form.h"
#include "sms_json.h"
#include "sms_text.h"

#define RETRY_AFTER "5"

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) * dbd_acquire;
static apr_uint32_t schema_logged;
static apr_uint32_t access_logged;

/* The SQLite file of the main server's DBDParams, when DBDriver is
 * sqlite3: when mod_dbd cannot open a connection at all (its DBDPrepareSQL
 * statements, mod_session_dbd's say, fail first), mod_sms still tells
 * which path the children may not write. */
static const char *sqlite_file;

/* The argument of a top-level directive (quotes removed), or NULL. */
static const char *conf_arg(const char *name, apr_pool_t *p)
{
    const ap_directive_t *d;

    for (d = ap_conftree; d; d = d->next) {
        if (!strcasecmp(d->directive, name) && d->args) {
            const char *args = d->args;
            return ap_getword_conf(p, &args);
        }
    }
    return NULL;
}

void sms_api_init(apr_pool_t *pconf)
{
    const char *driver = conf_arg("DBDriver", pconf);
    const char *params = conf_arg("DBDParams", pconf);

    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    sqlite_file =
        driver && !strcmp(driver, "sqlite3") && params && *params == '/'
            ? params
            : NULL;
}

void sms_api_child_open(apr_pool_t *pchild)
{
    if (sqlite_file) {
        sms_store_sqlite_hold(sqlite_file, pchild);
    }
}

const char *sms_user(sms_req *rq)
{
    return rq->r->user && *rq->r->user ? rq->r->user : NULL;
}

int sms_reply(sms_req *rq, int status, json_t *body)
{
    request_rec *r = rq->r;
    char *text = sms_json_dump(sms_json_pool(body, r->pool), r->pool);

    if (!text) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "cannot serialise a JSON response");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return sms_reply_text(rq, status, text);
}

int sms_reply_text(sms_req *rq, int status, const char *text)
{
    request_rec *r = rq->r;

    r->status = status;
    rq->reply_status = status;
    rq->reply_text = text;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control",
                   rq->cache_control ? rq->cache_control : "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    if (!r->header_only) {
        ap_rputs(text, r);
        ap_rputs("\n", r);
    }
    return OK;
}

int sms_reply_error(sms_req *rq, const sms_error_t *e)
{
    /* message and field may echo what the client sent: keep them UTF-8,
     * or jansson refuses them and the client gets a 500 */
    apr_pool_t *p = rq->r->pool;
    json_t *err = json_pack("{s:s, s:s, s:s?}", "code", e->code, "message",
                            sms_text_utf8_safe(e->message, p), "field",
                            e->field ? sms_text_utf8_safe(e->field, p) : NULL);

    if (!e->field) {
        json_object_set_new(err, "field", json_null());
    }
    if (e->status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(rq->r->headers_out, "Retry-After", RETRY_AFTER);
    }
    return sms_reply(rq, e->status, json_pack("{s:o}", "error", err));
}

int sms_fail(sms_req *rq, int status, const char *code, const char *field,
             const char *fmt, ...)
{
    sms_error_t e;
    va_list ap;

    va_start(ap, fmt);
    e.message = apr_pvsprintf(rq->r->pool, fmt, ap);
    va_end(ap);
    e.status = status;
    e.code = code;
    e.field = field;
    return sms_reply_error(rq, &e);
}

apr_status_t sms_db_adopt(sms_db_t *db, ap_dbd_t *dbd, const char **why,
                          apr_pool_t *p)
{
    apr_status_t rv;

    memset(db, 0, sizeof(*db));
    db->driver = dbd->driver;
    db->handle = dbd->handle;
    db->prepared = dbd->prepared;
    db->pool = dbd->pool;
    rv = sms_store_ready(db, why, p);
    dbd->prepared = db->prepared; /* the store may have made the table */
    return rv;
}

int sms_storage_failed(sms_req *rq)
{
    return sms_reply_error(rq, sms_error_storage(rq->r->pool, NULL));
}

/* 503 for a store that cannot serve at all (no schema, no access): the
 * reason logged once per process, not once per request. */
static int refuse_store(sms_req *rq, apr_uint32_t *logged, const char *why,
                        const char *what)
{
    if (apr_atomic_cas32(logged, 1, 0) == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, rq->r, "refusing to serve: %s",
                      why);
    }
    return sms_reply_error(rq, sms_error_storage(rq->r->pool, what));
}

sms_db_t *sms_db(sms_req *rq, int *done)
{
    request_rec *r = rq->r;
    ap_dbd_t *dbd = dbd_acquire ? dbd_acquire(r) : NULL;
    sms_db_t *db;
    const char *why = NULL;
    apr_status_t rv;

    if (!dbd) {
        why =
            sqlite_file ? sms_store_sqlite_denied(sqlite_file, r->pool) : NULL;
        *done = why ? refuse_store(rq, &access_logged, why,
                                   "the database cannot be opened")
                    : sms_reply_error(
                          rq, sms_error_storage(
                                  r->pool, "the database is not reachable"));
        return NULL;
    }
    db = apr_palloc(r->pool, sizeof(*db));
    rv = sms_db_adopt(db, dbd, &why, r->pool);
    if (rv == SMS_STORE_ENOSCHEMA || rv == SMS_STORE_ENOACCESS) {
        *done = refuse_store(
            rq, rv == SMS_STORE_ENOSCHEMA ? &schema_logged : &access_logged,
            why,
            rv == SMS_STORE_ENOSCHEMA ? "the database schema is not installed "
                                        "or too old"
                                      : "the database cannot be opened");
        return NULL;
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "store: %s", why);
        *done = sms_reply_error(
            rq, sms_error_storage(r->pool, "the database is not usable"));
        return NULL;
    }
    db->hostevents = rq->sc->event_url != NULL; /* SMSEventURL */
    return db;
}

/* Decoded parameters are text: valid UTF-8 without control characters
 * but CR and LF (anything else would reach the database, where
 * PostgreSQL refuses it, or the JSON answers). */
static apr_status_t check_params(apr_table_t *args, sms_error_t **err,
                                 apr_pool_t *p)
{
    const apr_array_header_t *arr = apr_table_elts(args);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *why;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (sms_text_validate(&why, e[i].val, strlen(e[i].val), p)) {
            *err =
                sms_error_make(p, 400,
                               strcmp(e[i].key, "message") ? "invalid_parameter"
                                                           : "invalid_message",
                               e[i].key, "'%s': %s", e[i].key, why);
            return APR_EINVAL;
        }
    }
    return APR_SUCCESS;
}

apr_status_t sms_params(apr_table_t **args, sms_error_t **err, sms_req *rq,
                        const char *const *allowed)
{
    request_rec *r = rq->r;

    *args = apr_table_make(r->pool, 8);
    if (r->args && sms_form_parse(*args, err, r->args, strlen(r->args), allowed,
                                  r->pool)) {
        return APR_EINVAL;
    }
    if (rq->form &&
        sms_form_parse(*args, err, rq->form, rq->form_len, allowed, r->pool)) {
        return APR_EINVAL;
    }
    return check_params(*args, err, r->pool);
}

/* Whether If-None-Match (a comma-separated list of entity tags, each
 * maybe weak: W/"...") names etag exactly. "*" matches nothing: what the
 * polls ask about always exists, and a poll that sent it would never see
 * a change. */
int sms_etag_matches(const char *header, const char *etag)
{
    apr_size_t n = strlen(etag);
    const char *s = header;

    while (s && *s) {
        while (*s == ' ' || *s == '\t' || *s == ',') {
            s++;
        }
        if (!strncmp(s, "W/", 2)) {
            s += 2;
        }
        if (!strncmp(s, etag, n) &&
            (s[n] == '\0' || s[n] == ',' || s[n] == ' ' || s[n] == '\t')) {
            return 1;
        }
        s = strchr(s, ',');
    }
    return 0;
}

int sms_bad_param(sms_req *rq, const char *name, const char *what)
{
    return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter", name, "'%s' %s",
                    name, what);
}

int sms_time_param(apr_time_t *t, sms_req *rq, apr_table_t *args,
                   const char *name)
{
    const char *v = apr_table_get(args, name);

    if (v && sms_time_parse(t, v) != APR_SUCCESS) {
        return sms_bad_param(
            rq, name,
            apr_pstrcat(rq->r->pool, "must be an ISO-8601 time such as ",
                        strcmp(name, "until") ? "2026-11-01T00:00:00Z"
                                              : "2026-12-01T00:00:00Z",
                        NULL));
    }
    return DECLINED;
}
