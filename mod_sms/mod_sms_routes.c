/*
 * mod_sms_routes.c - handlers of the text and health routes.
 */
#include "mod_sms_private.h"
#include "sms_json.h"
#include "sms_text.h"

/* Preview fields as API.md "Text" names them, plus the split parts. */
static json_t *preview_json(const sms_text_t *t, int max_parts,
                            apr_pool_t *p)
{
    json_t *parts = json_array();
    int i;

    for (i = 0; i < t->segments; i++) {
        json_array_append_new(parts, json_string(sms_text_part(t, i, p)));
    }
    return json_pack("{s:s, s:I, s:I, s:i, s:i, s:i, s:i, s:b, s:s%, s:o}",
                     "encoding", sms_text_encoding_name(t->encoding),
                     "characters", (json_int_t)t->characters,
                     "units", (json_int_t)t->units,
                     "segments", t->segments,
                     "per_segment", t->per_segment,
                     "remaining", t->remaining,
                     "max_parts", max_parts,
                     "within_limit", t->segments <= max_parts,
                     "message", t->message, t->length,
                     "parts", parts);
}

int sms_route_preview(sms_req *rq)
{
    static const char *const fields[] = {"message", "max_parts", NULL};
    apr_pool_t *p = rq->r->pool;
    sms_error_t *err;
    const char *text, *why;
    apr_size_t len;
    json_int_t max_parts = rq->sc->max_parts;
    int present;
    sms_text_t *t;

    if (sms_json_only(&err, rq->body, fields, p) != APR_SUCCESS
        || sms_json_string(&text, &len, &err, rq->body, "message", 1, p)
           != APR_SUCCESS
        || sms_json_integer(&max_parts, &present, &err, rq->body,
                            "max_parts", 1, SMS_MAX_PARTS_LIMIT, p)
           != APR_SUCCESS) {
        return sms_reply_error(rq, err);
    }
    if (sms_text_analyse(&t, &why, text, len, rq->sc->smart_encoding, p)
        != APR_SUCCESS) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_message", "message",
                        "%s", why);
    }
    return sms_reply(rq, HTTP_OK, preview_json(t, (int)max_parts, p));
}

int sms_route_health(sms_req *rq)
{
    int done = OK, depth = 0;
    sms_db_t *db = sms_db(rq, &done);

    if (!db) {
        return done;
    }
    if (sms_store_queue_depth(&depth, db, rq->r->pool) != APR_SUCCESS) {
        return sms_fail(rq, HTTP_SERVICE_UNAVAILABLE, "storage_unavailable",
                        NULL, "the database did not answer");
    }
    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:s, s:s, s:i, s:s}", "status", "ok",
                               "storage", "ok", "queue_depth", depth,
                               "provider", rq->sc->provider
                               == SMS_PROVIDER_BROADCAST ? "broadcast"
                               : "sandbox"));
}
