/*
 * mod_sms_webhooks.c - provider callbacks (delivery receipts, inbound
 * replies) and the opt-out list they feed.
 *
 * Callbacks are fast: no provider call, a few reads and one short
 * transaction that starts with its write. A repeated callback changes
 * nothing; a receipt never moves a message back.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_sha1.h>
#include <apr_strings.h>
#include <http_protocol.h>

#include "mod_sms_private.h"
#include "sms_json.h"
#include "sms_phone.h"
#include "sms_text.h"
#include "sms_token.h"

#define INBOUND_BUCKET apr_time_from_sec(600)
#define OPTOUT_LIMIT_DEFAULT 100
#define OPTOUT_LIMIT_MAX 1000
#define OPTOUT_CURSOR "optouts:"

/* SHA-1 hex of the parts joined by NUL: the dedup key of a callback. */
static const char *dedup_key(apr_pool_t *p, int n, const char **parts)
{
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    apr_sha1_ctx_t ctx;
    char *hex = apr_palloc(p, 2 * APR_SHA1_DIGESTSIZE + 1);
    int i;

    apr_sha1_init(&ctx);
    for (i = 0; i < n; i++) {
        const char *s = parts[i] ? parts[i] : "";
        apr_sha1_update(&ctx, s, (unsigned int)strlen(s));
        apr_sha1_update_binary(&ctx, (const unsigned char *)"", 1);
    }
    apr_sha1_final(digest, &ctx);
    for (i = 0; i < APR_SHA1_DIGESTSIZE; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return hex;
}

/* The callback's parameters, after the SMSWebhookSecret check; NULL
 * after answering 403 or 400. */
static apr_table_t *callback_params(sms_req *rq, const char *const *allowed,
                                    int *done)
{
    const char *want = rq->sc->webhook_secret, *given;
    apr_table_t *args;
    sms_error_t *err;

    if (sms_params(&args, &err, rq, allowed)) {
        *done = sms_reply_error(rq, err);
        return NULL;
    }
    given = apr_table_get(args, "secret");
    if (!want) {
        *done = sms_fail(rq, HTTP_FORBIDDEN, "forbidden", NULL,
                         "callbacks are refused until SMSWebhookSecret is "
                         "set");
        return NULL;
    }
    if (!given || strlen(given) != strlen(want)
        || !sms_token_equal(given, want, strlen(want))) {
        *done = sms_fail(rq, HTTP_FORBIDDEN, "forbidden", "secret",
                         "the callback secret is missing or wrong");
        return NULL;
    }
    return args;
}

/* A normalised number from a callback parameter, or NULL. */
static const char *callback_number(sms_req *rq, const char *v)
{
    const char *out = NULL;
    sms_error_t *err;

    if (!v || !*v
        || sms_phone_normalise(&out, &err, v, rq->sc->country_code, NULL,
                               rq->r->pool)) {
        return NULL;
    }
    return out;
}

/* ---- delivery receipts -------------------------------------------------- */

/* Delivered/Expired/Failed -> our status; NULL for any other value. */
static const char *receipt_status(const char *v)
{
    if (!strcasecmp(v, "Delivered")) {
        return "delivered";
    }
    if (!strcasecmp(v, "Expired")) {
        return "expired";
    }
    if (!strcasecmp(v, "Failed")) {
        return "failed";
    }
    return NULL;
}

/* A receipt may finish a message the provider had (or may have had). */
static int receipt_applies(const char *status)
{
    return !strcmp(status, "sending") || !strcmp(status, "sent")
           || !strcmp(status, "unknown") || !strcmp(status, "queued");
}

int sms_route_dlr(sms_req *rq)
{
    static const char *const allowed[] = {"to", "ref", "smsref", "status",
                                          "secret", NULL};
    apr_pool_t *p = rq->r->pool;
    const char *to_raw, *to, *ref, *smsref, *status, *mapped, *key, *detail;
    const char *result;
    sms_message_t *m = NULL;
    apr_table_t *args;
    apr_time_t now = apr_time_now();
    apr_status_t rv;
    sms_db_t *db;
    int done = OK, seen = 0, ok;

    if (!(args = callback_params(rq, allowed, &done))) {
        return done;
    }
    status = apr_table_get(args, "status");
    smsref = apr_table_get(args, "smsref");
    ref = apr_table_get(args, "ref");
    to_raw = apr_table_get(args, "to");
    if (smsref && !*smsref) {
        smsref = NULL;
    }
    if (ref && !*ref) {
        ref = NULL;
    }
    if (!status || !*status || (!smsref && !ref)) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter",
                        !status || !*status ? "status" : "smsref",
                        "a delivery receipt needs 'status' and 'smsref' or "
                        "'ref' (and 'to')");
    }
    if (strlen(status) > 32 || (smsref && strlen(smsref) > 64)
        || (ref && strlen(ref) > 64) || (to_raw && strlen(to_raw) > 32)) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter", NULL,
                        "a receipt parameter is too long");
    }
    to = callback_number(rq, to_raw);
    mapped = receipt_status(status);
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    key = dedup_key(p, 4, (const char *[]){smsref, ref, to ? to : to_raw,
                                           mapped ? mapped : status});
    if (sms_store_dlr_seen(&seen, db, key, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (seen) {
        return sms_reply(rq, HTTP_OK, json_pack("{s:s}", "result",
                                                "duplicate"));
    }
    rv = smsref ? sms_store_by_smsref(&m, db, smsref, p) : APR_ENOENT;
    if (rv == APR_ENOENT && ref && to) {
        rv = sms_store_by_ref(&m, db, ref, to, p);
    }
    if (rv != APR_SUCCESS && rv != APR_ENOENT) {
        return sms_storage_failed(rq);
    }
    if (rv == APR_ENOENT || (m && to && strcmp(m->to, to))) {
        m = NULL;       /* unknown, or a number that is not the message's */
    }
    detail = apr_psprintf(p, "receipt %s%s%s", status,
                          smsref ? " smsref " : "", smsref ? smsref : "");
    ok = sms_store_begin(db, p) == APR_SUCCESS;
    rv = ok ? sms_store_dlr_insert(db, m ? m->id : 0, smsref, ref,
                                   to ? to : to_raw, status, now, key, p)
            : APR_EGENERAL;
    if (rv == APR_EEXIST) {     /* the same report, a moment ago */
        sms_store_end(db, 0, p);
        return sms_reply(rq, HTTP_OK, json_pack("{s:s}", "result",
                                                "duplicate"));
    }
    ok = rv == APR_SUCCESS;
    result = m ? "recorded" : "unknown_message";
    if (ok && m && mapped && receipt_applies(m->status)) {
        sms_transition_t t;
        int changed = 0;
        memset(&t, 0, sizeof(t));
        t.id = m->id;
        t.from = m->status;
        t.to = mapped;
        t.delivered_at = !strcmp(mapped, "delivered") ? now : 0;
        t.error = strcmp(mapped, "delivered")
                  ? apr_pstrcat(p, "provider reports ", status, NULL) : NULL;
        t.detail = detail;
        t.now = now;
        ok = sms_store_transition(&changed, db, &t, p) == APR_SUCCESS;
        result = changed ? "applied" : "recorded";
        if (changed) {
            m->status = mapped;
        }
    }
    if (ok && m && strcmp(result, "applied")) {
        /* a distinct report that changes nothing still leaves a trace */
        ok = sms_store_add_event(db, m->id, m->status, apr_pstrcat(
                                     p, detail, ": no change", NULL),
                                 now, p) == APR_SUCCESS;
    }
    if (sms_store_end(db, ok, p) != APR_SUCCESS || !ok) {
        return sms_storage_failed(rq);
    }
    return sms_reply(rq, HTTP_OK, json_pack(
        "{s:s, s:o, s:s?}", "result", result, "message_id",
        m ? json_integer((json_int_t)m->id) : json_null(), "status",
        m ? m->status : NULL));
}

/* ---- inbound replies ---------------------------------------------------------- */

/* The keyword a whole message is (STOP, START...), upper case and without
 * surrounding white space, or NULL when it is more than one word. */
static const char *keyword_of(const char *text, apr_pool_t *p)
{
    const char *b = text, *e;
    char *w;
    apr_size_t i;

    while (apr_isspace(*b)) {
        b++;
    }
    for (e = b; *e && !apr_isspace(*e); e++)
        ;
    for (i = 0; e[i]; i++) {
        if (!apr_isspace(e[i])) {
            return NULL;
        }
    }
    if (e == b || e - b > 32) {
        return NULL;
    }
    w = apr_pstrmemdup(p, b, (apr_size_t)(e - b));
    ap_str_toupper(w);
    return w;
}

static int is_optout(const sms_server_conf *sc, const char *word)
{
    int i;

    for (i = 0; word && i < sc->optout_keywords->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(sc->optout_keywords, i, const char *),
                    word)) {
            return 1;
        }
    }
    return 0;
}

int sms_route_inbound(sms_req *rq)
{
    static const char *const allowed[] = {"to", "from", "message", "ref",
                                          "secret", NULL};
    apr_pool_t *p = rq->r->pool;
    const char *from, *to, *text, *ref, *key, *word, *why, *opt = NULL;
    apr_array_header_t *patients;
    sms_message_t *m = NULL;
    apr_table_t *args;
    apr_time_t now = apr_time_now();
    apr_int64_t bucket = now / INBOUND_BUCKET, id = 0;
    json_t *linked;
    sms_db_t *db;
    apr_status_t rv;
    int done = OK, seen = 0, ok, i, changed = 0;

    if (!(args = callback_params(rq, allowed, &done))) {
        return done;
    }
    text = apr_table_get(args, "message");
    ref = apr_table_get(args, "ref");
    to = apr_table_get(args, "to");
    if (!apr_table_get(args, "from") || !text) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter",
                        text ? "from" : "message", "an inbound message needs "
                        "'from' and 'message'");
    }
    if (!(from = callback_number(rq, apr_table_get(args, "from")))) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_phone", "from",
                        "'from' is not a phone number");
    }
    if (sms_text_validate(&why, text, strlen(text), p)) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_message", "message",
                        "%s", why);
    }
    if (strlen(text) > 8192 || (ref && strlen(ref) > 64)
        || (to && strlen(to) > 32)) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter", NULL,
                        "an inbound parameter is too long");
    }
    if (ref && !*ref) {
        ref = NULL;
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    key = dedup_key(p, 4, (const char *[]){from, to, ref, text});
    if (sms_store_inbound_seen(&seen, db, key, bucket, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (seen) {
        return sms_reply(rq, HTTP_OK, json_pack("{s:s}", "result",
                                                "duplicate"));
    }
    rv = ref ? sms_store_by_ref(&m, db, ref, from, p) : APR_ENOENT;
    if (rv != APR_SUCCESS && rv != APR_ENOENT) {
        return sms_storage_failed(rq);
    }
    if (sms_store_patients_by_phone(&patients, db, from, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    word = keyword_of(text, p);
    if (is_optout(rq->sc, word)) {
        opt = "STOP";
    }
    else if (word && (!strcmp(word, "START") || !strcmp(word, "UNSTOP"))) {
        opt = "START";
    }
    ok = sms_store_begin(db, p) == APR_SUCCESS;
    rv = ok ? sms_store_inbound_insert(&id, db, from, to, text, ref,
                                       m ? m->id : 0, opt ? word : NULL, now,
                                       key, bucket, p)
            : APR_EGENERAL;
    if (rv == APR_EEXIST) {
        sms_store_end(db, 0, p);
        return sms_reply(rq, HTTP_OK, json_pack("{s:s}", "result",
                                                "duplicate"));
    }
    ok = rv == APR_SUCCESS;
    for (i = 0; ok && i < patients->nelts; i++) {
        ok = sms_store_inbound_link(db, id, APR_ARRAY_IDX(patients, i,
                                                           const char *),
                                    p) == APR_SUCCESS;
    }
    if (ok && opt && !strcmp(opt, "STOP")) {
        ok = sms_store_optout_add(&changed, db, from, "inbound", NULL, now,
                                  p) == APR_SUCCESS;
    }
    else if (ok && opt) {
        ok = sms_store_optout_remove(&changed, db, from, p) == APR_SUCCESS;
    }
    if (sms_store_end(db, ok, p) != APR_SUCCESS || !ok) {
        return sms_storage_failed(rq);
    }
    if (opt) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, rq->r, "%s opted %s",
                      sms_phone_mask(from, p),
                      !strcmp(opt, "STOP") ? "out" : "back in");
    }
    linked = json_array();
    for (i = 0; i < patients->nelts; i++) {
        json_array_append_new(linked, json_string(
            APR_ARRAY_IDX(patients, i, const char *)));
    }
    return sms_reply(rq, HTTP_OK, json_pack(
        "{s:s, s:I, s:s, s:o, s:o, s:s?}", "result", "stored", "id",
        (json_int_t)id, "from", from, "patients", linked, "message_id",
        m ? json_integer((json_int_t)m->id) : json_null(), "opt",
        opt ? (!strcmp(opt, "STOP") ? "out" : "in") : NULL));
}

/* ---- the opt-out list ------------------------------------------------------------ */

int sms_refuse_opted_out(sms_req *rq, sms_db_t *db, const char *number,
                         const char *field)
{
    int opted_out = 0;

    if (sms_store_optout_check(&opted_out, db, number, rq->r->pool)
        != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (opted_out) {
        return sms_fail(rq, 422, "opted_out", field, "%s has opted out (STOP)"
                        " and must not be sent to; it opts back in by "
                        "texting START, or by DELETE /optouts/{number}",
                        number);
    }
    return DECLINED;
}

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
            return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter",
                            "limit", "'limit' must be an integer from 1 to "
                            "%d", OPTOUT_LIMIT_MAX);
        }
        limit = (int)n;
    }
    if ((v = apr_table_get(args, "cursor"))) {
        const char *payload;
        if (sms_token_verify(&payload, rq->sc->secret, rq->sc->secret_len, v,
                             p) != APR_SUCCESS
            || strncmp(payload, OPTOUT_CURSOR, strlen(OPTOUT_CURSOR))) {
            return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_parameter",
                            "cursor", "'cursor' is not a cursor this server "
                            "issued");
        }
        after = payload + strlen(OPTOUT_CURSOR);
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    if (sms_store_optout_list(&list, db, after, limit, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    out = json_array();
    for (i = 0; i < list->nelts; i++) {
        json_array_append_new(out, optout_json(
            &APR_ARRAY_IDX(list, i, sms_optout_t), p));
    }
    if (list->nelts == limit) {
        next = sms_token_sign(rq->sc->secret, rq->sc->secret_len,
                              apr_pstrcat(p, OPTOUT_CURSOR, APR_ARRAY_IDX(
                                  list, list->nelts - 1, sms_optout_t).number,
                                          NULL), p);
    }
    return sms_reply(rq, HTTP_OK, json_pack("{s:o, s:s?}", "optouts", out,
                                            "next", next));
}

int sms_route_optout_add(sms_req *rq)
{
    static const char *const fields[] = {"number", NULL};
    apr_pool_t *p = rq->r->pool;
    const char *given, *number;
    sms_error_t *err;
    sms_optout_t o;
    sms_db_t *db;
    int done = OK, added = 0;

    if (sms_json_only(&err, rq->body, fields, p)
        || sms_json_string(&given, NULL, &err, rq->body, "number", 1, p)
        || sms_phone_normalise(&number, &err, given, rq->sc->country_code,
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
    if (sms_store_optout_add(&added, db, number, o.source, o.created_by,
                             o.created_at, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (!added) {
        return sms_reply(rq, HTTP_OK, json_pack("{s:s, s:b}", "number",
                                                number, "created", 0));
    }
    return sms_reply(rq, HTTP_CREATED, optout_json(&o, p));
}

int sms_route_optout_remove(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    const char *number;
    sms_error_t *err;
    sms_db_t *db;
    int done = OK, removed = 0;

    if (sms_phone_normalise(&number, &err, rq->params[0],
                            rq->sc->country_code, "number", p)) {
        return sms_reply_error(rq, err);
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    if (sms_store_optout_remove(&removed, db, number, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (!removed) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "%s is not on the opt-out list", number);
    }
    rq->r->status = HTTP_NO_CONTENT;
    return OK;
}
