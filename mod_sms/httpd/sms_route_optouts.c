/*
 * sms_route_optouts.c - the opt-out list: GET/POST /optouts/, DELETE
 * /optouts/{number}/.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_hostevent.h"
#include "sms_json.h"
#include "sms_phone.h"
#include "sms_token.h"

#define OPTOUT_LIMIT_DEFAULT 100
#define OPTOUT_LIMIT_MAX 1000
#define OPTOUT_CURSOR "optouts"

static json_t *optout_json(const sms_optout_t *o, apr_pool_t *p)
{
    return json_pack("{s:s, s:s, s:s?, s:s}", "number", o->number, "source",
                     o->source, "created_by", o->created_by, "created_at",
                     sms_time_format(o->created_at, p));
}

int sms_route_optouts(sms_req *rq)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    apr_pool_t *p = rq->r->pool;
    const char *after = NULL, *v, *next = NULL;
    apr_array_header_t *list;
    apr_table_t *args;
    sms_error_t *err;
    json_t *out;
    sms_db_t *db;
    int done = OK, limit = OPTOUT_LIMIT_DEFAULT, i;

    if (sms_params(&args, &err, rq, allowed)) {
        return sms_reply_error(rq, err);
    }
    if ((v = apr_table_get(args, "limit"))) {
        apr_int64_t n = sms_parse_id(v);
        if (n < 1 || n > OPTOUT_LIMIT_MAX) {
            return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter", "limit",
                            "'limit' must be an integer from 1 to "
                            "%d",
                            OPTOUT_LIMIT_MAX);
        }
        limit = (int)n;
    }
    if ((v = apr_table_get(args, "cursor"))) {
        if (sms_cursor_open(&after, rq->sc->secret, rq->sc->secret_len,
                            OPTOUT_CURSOR, v, p) != APR_SUCCESS) {
            return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter", "cursor",
                            "'cursor' is not a cursor this server "
                            "issued");
        }
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    if (sms_store_optout_list(&list, db, after, limit, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    out = json_array();
    for (i = 0; i < list->nelts; i++) {
        json_array_append_new(
            out, optout_json(&APR_ARRAY_IDX(list, i, sms_optout_t), p));
    }
    if (list->nelts == limit) {
        next = sms_cursor_sign(
            rq->sc->secret, rq->sc->secret_len, OPTOUT_CURSOR,
            APR_ARRAY_IDX(list, list->nelts - 1, sms_optout_t).number, p);
    }
    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:o, s:s?}", "optouts", out, "next", next));
}

int sms_route_optout_add(sms_req *rq)
{
    static const char *const fields[] = {"number", NULL};
    apr_pool_t *p = rq->r->pool;
    const char *given, *number;
    sms_error_t *err;
    sms_optout_t o;
    sms_db_t *db;
    int done = OK, added = 0, ok;

    if (sms_json_only(&err, rq->body, fields, p) ||
        sms_json_string(&given, NULL, &err, rq->body, "number", 1, p) ||
        sms_phone_normalise(&number, &err, given, rq->sc->country_code,
                            "number", p)) {
        return sms_reply_error(rq, err);
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    o.number = number;
    o.source = "user";
    o.created_by = sms_user(rq);
    o.created_at = apr_time_now();
    /* the change and its audit row commit together, or neither */
    ok = sms_store_begin(db, p) == APR_SUCCESS;
    ok = ok && sms_store_optout_add(&added, db, number, o.source, o.created_by,
                                    o.created_at, p) == APR_SUCCESS;
    ok = ok &&
         (!added || sms_audit(rq, db, "optout.add", sms_phone_mask(number, p),
                              NULL) == APR_SUCCESS);
    ok = ok && (!added ||
                sms_store_hostevent_optout(db, number, 1, "user", o.created_by,
                                           o.created_at, p) == APR_SUCCESS);
    if (sms_store_end(db, ok, p) != APR_SUCCESS || !ok) {
        return sms_storage_failed(rq);
    }
    if (!added) {
        return sms_reply(
            rq, HTTP_OK,
            json_pack("{s:s, s:b}", "number", number, "created", 0));
    }
    return sms_reply(rq, HTTP_CREATED, optout_json(&o, p));
}

int sms_route_optout_remove(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    const char *number;
    sms_error_t *err;
    sms_db_t *db;
    int done = OK, removed = 0, ok;

    if (sms_phone_normalise(&number, &err, rq->params[0], rq->sc->country_code,
                            "number", p)) {
        return sms_reply_error(rq, err);
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    ok = sms_store_begin(db, p) == APR_SUCCESS;
    ok = ok && sms_store_optout_remove(&removed, db, number, p) == APR_SUCCESS;
    ok = ok && (!removed ||
                sms_audit(rq, db, "optout.remove", sms_phone_mask(number, p),
                          NULL) == APR_SUCCESS);
    ok = ok && (!removed ||
                sms_store_hostevent_optout(db, number, 0, "user", sms_user(rq),
                                           apr_time_now(), p) == APR_SUCCESS);
    if (sms_store_end(db, ok && removed, p) != APR_SUCCESS || !ok) {
        return sms_storage_failed(rq);
    }
    if (!removed) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "%s is not on the opt-out list", number);
    }
    rq->r->status = HTTP_NO_CONTENT;
    return OK;
}
