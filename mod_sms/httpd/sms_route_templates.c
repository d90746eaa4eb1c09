/*
 * sms_route_templates.c - GET/POST /templates/, GET/PUT/DELETE
 * /templates/{id}/.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_json.h"
#include "sms_template.h"
#include "sms_text.h"

#define NAME_MAX_LEN 100
#define BODY_MAX_LEN 5000

static json_t *template_json(const sms_template_row_t *t, apr_pool_t *p)
{
    apr_array_header_t *names = sms_template_names(t->body, p);
    json_t *placeholders = json_array();
    int i;

    for (i = 0; names && i < names->nelts; i++) {
        json_array_append_new(placeholders,
                              json_string(APR_ARRAY_IDX(names, i, char *)));
    }
    return json_pack("{s:I, s:s, s:s, s:o, s:s?, s:s, s:s}", "id",
                     (json_int_t)t->id, "name", t->name, "body", t->body,
                     "placeholders", placeholders, "created_by", t->created_by,
                     "created_at", sms_time_format(t->created_at, p),
                     "updated_at", sms_time_format(t->updated_at, p));
}

/* name and body of a POST/PUT, checked. */
static apr_status_t parse_template(sms_template_row_t *t, sms_error_t **err,
                                   sms_req *rq)
{
    static const char *const fields[] = {"name", "body", NULL};
    apr_pool_t *p = rq->r->pool;
    apr_size_t nlen, blen;
    const char *why;

    if (sms_json_only(err, rq->body, fields, p) ||
        sms_json_string(&t->name, &nlen, err, rq->body, "name", 1, p) ||
        sms_json_string(&t->body, &blen, err, rq->body, "body", 1, p)) {
        return APR_EINVAL;
    }
    if (sms_text_validate(&why, t->name, nlen, p) || !nlen ||
        nlen > NAME_MAX_LEN || strchr(t->name, '\n') || strchr(t->name, '\r')) {
        *err = sms_error_make(p, 400, "invalid_json", "name",
                              "'name' must "
                              "be 1 to %d characters on one line",
                              NAME_MAX_LEN);
        return APR_EINVAL;
    }
    if (sms_text_validate(&why, t->body, blen, p)) {
        *err = sms_error_make(p, 400, "invalid_message", "body", "%s", why);
        return APR_EINVAL;
    }
    if (!blen || blen > BODY_MAX_LEN) {
        *err = sms_error_make(
            p, 400, blen ? "message_too_long" : "message_empty", "body",
            "'body' must be 1 "
            "to %d bytes",
            BODY_MAX_LEN);
        return APR_EINVAL;
    }
    return sms_template_check(err, t->body, p);
}

static int name_taken(sms_req *rq, const char *name)
{
    return sms_fail(rq, HTTP_CONFLICT, "template_exists", "name",
                    "a template called '%s' exists already", name);
}

int sms_route_templates(sms_req *rq)
{
    apr_array_header_t *list;
    json_t *out;
    sms_db_t *db;
    int done = OK, i;

    if (rq->r->args && *rq->r->args) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter", NULL,
                        "this route takes no query parameters");
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    if (sms_store_template_list(&list, db, rq->r->pool) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    out = json_array();
    for (i = 0; i < list->nelts; i++) {
        json_array_append_new(
            out, template_json(APR_ARRAY_IDX(list, i, sms_template_row_t *),
                               rq->r->pool));
    }
    return sms_reply(rq, HTTP_OK, json_pack("{s:o}", "templates", out));
}

/* The audit row of a template change. */
static apr_status_t audit(sms_req *rq, sms_db_t *db, const char *action,
                          apr_int64_t id)
{
    return sms_audit(rq, db, action,
                     apr_psprintf(rq->r->pool, "%" APR_INT64_T_FMT, id), NULL);
}

/* End the change's transaction: committed when rv is APR_SUCCESS, else
 * rolled back; rv, or the commit's failure. */
static apr_status_t end(sms_req *rq, sms_db_t *db, apr_status_t rv)
{
    apr_status_t done = sms_store_end(db, rv == APR_SUCCESS, rq->r->pool);

    return rv != APR_SUCCESS ? rv : done;
}

int sms_route_template_create(sms_req *rq)
{
    sms_template_row_t t;
    sms_error_t *err;
    sms_db_t *db;
    apr_status_t rv;
    int done = OK;

    memset(&t, 0, sizeof(t));
    if (parse_template(&t, &err, rq)) {
        return sms_reply_error(rq, err);
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    t.created_by = sms_user(rq);
    t.created_at = t.updated_at = apr_time_now();
    /* the template and its audit row commit together, or neither */
    rv = sms_store_begin(db, rq->r->pool);
    if (rv == APR_SUCCESS) {
        rv = sms_store_template_insert(&t.id, db, &t, rq->r->pool);
    }
    rv = rv == APR_SUCCESS ? audit(rq, db, "template.create", t.id) : rv;
    if (end(rq, db, rv) != APR_SUCCESS) {
        return rv == APR_EEXIST ? name_taken(rq, t.name)
                                : sms_storage_failed(rq);
    }
    apr_table_setn(
        rq->r->headers_out, "Location",
        apr_psprintf(rq->r->pool, "%s%s%" APR_INT64_T_FMT "/", rq->r->uri,
                     rq->r->uri[strlen(rq->r->uri) - 1] == '/' ? "" : "/",
                     t.id));
    return sms_reply(rq, HTTP_CREATED, template_json(&t, rq->r->pool));
}

/* The template named by the path, or NULL after answering. */
static sms_template_row_t *find(sms_req *rq, sms_db_t **db, int *done)
{
    apr_int64_t id = sms_parse_id(rq->params[0]);
    sms_template_row_t *t;
    apr_status_t rv;

    if (!id) {
        *done = sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                         "template ids are positive integers");
        return NULL;
    }
    if (!(*db = sms_db(rq, done))) {
        return NULL;
    }
    rv = sms_store_template_get(&t, *db, id, rq->r->pool);
    if (rv == APR_ENOENT) {
        *done = sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                         "there is no template %" APR_INT64_T_FMT, id);
        return NULL;
    }
    if (rv != APR_SUCCESS) {
        *done = sms_storage_failed(rq);
        return NULL;
    }
    return t;
}

int sms_route_template_get(sms_req *rq)
{
    sms_db_t *db;
    int done = OK;
    sms_template_row_t *t = find(rq, &db, &done);

    return t ? sms_reply(rq, HTTP_OK, template_json(t, rq->r->pool)) : done;
}

int sms_route_template_update(sms_req *rq)
{
    sms_template_row_t given;
    sms_error_t *err;
    sms_db_t *db;
    apr_status_t rv;
    int done = OK;
    sms_template_row_t *t;

    memset(&given, 0, sizeof(given));
    if (parse_template(&given, &err, rq)) {
        return sms_reply_error(rq, err);
    }
    if (!(t = find(rq, &db, &done))) {
        return done;
    }
    t->name = given.name;
    t->body = given.body;
    t->updated_at = apr_time_now();
    rv = sms_store_begin(db, rq->r->pool);
    if (rv == APR_SUCCESS) {
        rv = sms_store_template_update(db, t, rq->r->pool);
    }
    rv = rv == APR_SUCCESS ? audit(rq, db, "template.update", t->id) : rv;
    if (end(rq, db, rv) != APR_SUCCESS) {
        if (rv == APR_EEXIST) {
            return name_taken(rq, t->name);
        }
        return rv == APR_ENOENT ? sms_fail(rq, HTTP_NOT_FOUND, "not_found",
                                           NULL, "the template is gone")
                                : sms_storage_failed(rq);
    }
    return sms_reply(rq, HTTP_OK, template_json(t, rq->r->pool));
}

int sms_route_template_delete(sms_req *rq)
{
    sms_db_t *db;
    apr_status_t rv;
    int done = OK;
    sms_template_row_t *t = find(rq, &db, &done);

    if (!t) {
        return done;
    }
    rv = sms_store_begin(db, rq->r->pool);
    if (rv == APR_SUCCESS) {
        rv = sms_store_template_delete(db, t->id, rq->r->pool);
    }
    rv = rv == APR_SUCCESS ? audit(rq, db, "template.delete", t->id) : rv;
    if (end(rq, db, rv) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    rq->r->status = HTTP_NO_CONTENT;
    return OK;
}
