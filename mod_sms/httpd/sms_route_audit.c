/*
 * sms_route_audit.c - GET /audit/: the audit trail, newest first, with
 * filters (user, patient_id, action, since, until) and a signed cursor.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_token.h"

#define AUDIT_DEFAULT 50
#define AUDIT_MAX 500
#define CURSOR_KIND "audit"

/* A text filter: 1 to 64 characters. */
static int text_param(const char **out, apr_table_t *args, const char *name)
{
    const char *v = apr_table_get(args, name);

    *out = v;
    return !v || (*v && strlen(v) <= 64);
}

/* The filters of the query string; DECLINED, or the 400 sent. */
static int parse_filter(sms_audit_filter_t *f, sms_req *rq)
{
    static const char *const allowed[] = {"user",   "patient_id", "action",
                                          "since",  "until",      "limit",
                                          "cursor", NULL};
    apr_pool_t *p = rq->r->pool;
    apr_table_t *args;
    int done;
    sms_error_t *err;
    const char *v;

    if (sms_params(&args, &err, rq, allowed)) {
        return sms_reply_error(rq, err);
    }
    memset(f, 0, sizeof(*f));
    f->limit = AUDIT_DEFAULT;
    if (!text_param(&f->user, args, "user")) {
        return sms_bad_param(rq, "user", "must be 1 to 64 characters");
    }
    if (!text_param(&f->patient_id, args, "patient_id")) {
        return sms_bad_param(rq, "patient_id", "must be 1 to 64 characters");
    }
    if (!text_param(&f->action, args, "action")) {
        return sms_bad_param(rq, "action", "must be 1 to 64 characters");
    }
    if ((done = sms_time_param(&f->since, rq, args, "since")) != DECLINED ||
        (done = sms_time_param(&f->until, rq, args, "until")) != DECLINED) {
        return done;
    }
    if ((v = apr_table_get(args, "limit"))) {
        apr_int64_t n = sms_parse_id(v);
        if (n < 1 || n > AUDIT_MAX) {
            return sms_bad_param(rq, "limit",
                                 "must be an integer from 1 to 500");
        }
        f->limit = (int)n;
    }
    if ((v = apr_table_get(args, "cursor"))) {
        const char *pos;
        if (sms_cursor_open(&pos, rq->sc->secret, rq->sc->secret_len,
                            CURSOR_KIND, v, p) != APR_SUCCESS ||
            !(f->before_id = sms_parse_id(pos))) {
            return sms_bad_param(rq, "cursor",
                                 "is not a cursor this server "
                                 "issued (use 'next' of a previous page)");
        }
    }
    return DECLINED;
}

/* The entries as the API shows them. */
static json_t *entries_json(const apr_array_header_t *rows, apr_pool_t *p)
{
    json_t *list = json_array();
    int i;

    for (i = 0; i < rows->nelts; i++) {
        const sms_audit_t *a = &APR_ARRAY_IDX(rows, i, sms_audit_t);
        json_array_append_new(
            list, json_pack("{s:I, s:o, s:s, s:s, s:o, s:o, s:o}", "id",
                            (json_int_t)a->id, "at", sms_render_time(a->at, p),
                            "user", a->user ? a->user : "", "action",
                            a->action ? a->action : "", "object",
                            sms_render_str(a->object), "patient_id",
                            sms_render_str(a->patient_id), "client",
                            sms_render_str(a->client)));
    }
    return list;
}

int sms_route_audit(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    apr_array_header_t *rows;
    sms_audit_filter_t f;
    const char *next = NULL;
    sms_db_t *db;
    int done = OK;

    if ((done = parse_filter(&f, rq)) != DECLINED) {
        return done;
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    if (sms_store_audit_list(&rows, db, &f, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (rows->nelts == f.limit) {
        next = sms_cursor_sign(
            rq->sc->secret, rq->sc->secret_len, CURSOR_KIND,
            apr_psprintf(p, "%" APR_INT64_T_FMT,
                         APR_ARRAY_IDX(rows, rows->nelts - 1, sms_audit_t).id),
            p);
    }
    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:o, s:s?}", "entries", entries_json(rows, p),
                               "next", next));
}
