/*
 * sms_route_inbox.c - the inbox (API.md section 7): GET /inbox/ (replies
 * newest first by state, with their patients and the message replied to,
 * signed cursor), POST /inbox/{id}/read and /unread (who and when, one
 * audit row per change), GET /inbox/counts (the badge, ETag/304).
 *
 * A reply is shown to a user who may see one of its patients
 * (SMSPatientAccessQuery), and only with those patients; a reply linked
 * to no patient (an unknown number) is shown to every user, as the
 * history shows messages filed with no patient. Counts follow the same
 * rule, so a badge never counts what the list would not show.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_json.h"
#include "sms_token.h"

#define INBOX_DEFAULT 50
#define INBOX_MAX 500
#define CURSOR_KIND "inbox:" /* + the state: a cursor pages one state */
#define FILL_ROUNDS 4

static const char *const state_names[] = {"all", "unread", "unclear", NULL};

/* What the request may see and whom it names, kept for the request. */
typedef struct inbox_ctx {
    sms_req *rq;
    sms_db_t *db;
    apr_hash_t *access; /* patient id -> int *, sms_patient_visible */
    apr_hash_t *names;  /* patient id -> json_t * name (or null) */
} inbox_ctx;

/* The patients of it this user may see (const char *), and whether the
 * reply is shown at all (some patient visible; when none is linked, the
 * patient of the message it answers). */
static apr_status_t shown_patients(apr_array_header_t **shown, int *visible,
                                   inbox_ctx *c, const sms_inbox_item_t *it)
{
    apr_pool_t *p = c->rq->r->pool;
    int i, v;

    *shown = apr_array_make(p, it->patients->nelts + 1, sizeof(const char *));
    for (i = 0; i < it->patients->nelts; i++) {
        const char *id = APR_ARRAY_IDX(it->patients, i, const char *);
        if (sms_patient_visible(&v, c->rq, c->db, c->access, id) !=
            APR_SUCCESS) {
            return APR_EGENERAL;
        }
        if (v) {
            APR_ARRAY_PUSH(*shown, const char *) = id;
        }
    }
    *visible = (*shown)->nelts > 0;
    if (!it->patients->nelts) {
        /* linked to no patient (a number no patient has now): shown as
         * the message it answers is, to whoever may see that message's
         * patient; a reply to nothing filed, to everyone */
        const char *of = it->reply_to ? it->reply_to->patient_id : NULL;
        if (sms_patient_visible(visible, c->rq, c->db, c->access, of) !=
            APR_SUCCESS) {
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

/* {"id", "name"} of a patient (SMSPatientQuery; name null when the
 * patient is gone), one query per patient per request. */
static apr_status_t patient_json(json_t **out, inbox_ctx *c, const char *id)
{
    apr_pool_t *p = c->rq->r->pool;
    json_t *name = apr_hash_get(c->names, id, APR_HASH_KEY_STRING);
    sms_patient_t *pt;
    apr_status_t rv;

    if (!name) {
        rv = sms_store_patient(&pt, c->db, id, p);
        if (rv != APR_SUCCESS && rv != APR_ENOENT) {
            return rv;
        }
        name = rv == APR_ENOENT ? json_null()
                                : json_incref(json_object_get(
                                      sms_patient_vars(pt, p), "patient_name"));
        sms_json_pool(name, p);
        apr_hash_set(c->names, id, APR_HASH_KEY_STRING, name);
    }
    *out = json_pack("{s:s, s:O}", "id", id, "name", name);
    return APR_SUCCESS;
}

/* The message replied to: short, and only its id when it was filed with
 * a patient this user may not see. */
static apr_status_t reply_to_json(json_t **out, inbox_ctx *c,
                                  const sms_inbox_item_t *it)
{
    const sms_message_t *m = it->reply_to;
    apr_pool_t *p = c->rq->r->pool;
    int v = 1;

    if (!it->in.message_id) {
        *out = json_null();
        return APR_SUCCESS;
    }
    if (m && sms_patient_visible(&v, c->rq, c->db, c->access, m->patient_id) !=
                 APR_SUCCESS) {
        return APR_EGENERAL;
    }
    *out = json_pack("{s:I}", "id", (json_int_t)it->in.message_id);
    if (m && v) {
        json_object_set_new(*out, "body", sms_render_str(m->body));
        json_object_set_new(*out, "status", sms_render_str(m->status));
        json_object_set_new(*out, "created_at",
                            sms_render_time(m->created_at, p));
    }
    return APR_SUCCESS;
}

/* A reply as the inbox answers it, with the patients in shown. */
static apr_status_t item_json(json_t **out, inbox_ctx *c,
                              const sms_inbox_item_t *it,
                              const apr_array_header_t *shown)
{
    apr_pool_t *p = c->rq->r->pool;
    json_t *patients = json_array(), *pj, *to;
    int i;

    sms_json_pool(patients, p);
    for (i = 0; i < shown->nelts; i++) {
        if (patient_json(&pj, c, APR_ARRAY_IDX(shown, i, const char *)) !=
            APR_SUCCESS) {
            return APR_EGENERAL;
        }
        json_array_append_new(patients, pj);
    }
    if (reply_to_json(&to, c, it) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    *out =
        json_pack("{s:I, s:s, s:s, s:o, s:o, s:o, s:O, s:o, s:o, s:o}", "id",
                  (json_int_t)it->in.id, "from", it->in.from ? it->in.from : "",
                  "body", it->in.body ? it->in.body : "", "received_at",
                  sms_render_time(it->in.received_at, p), "intent",
                  sms_render_str(it->in.intent), "keyword",
                  sms_render_str(it->keyword), "patients", patients, "reply_to",
                  to, "read_at", sms_render_time(it->in.read_at, p), "read_by",
                  sms_render_str(it->in.read_by));
    return APR_SUCCESS;
}

static void ctx_init(inbox_ctx *c, sms_req *rq, sms_db_t *db)
{
    c->rq = rq;
    c->db = db;
    c->access = apr_hash_make(rq->r->pool);
    c->names = apr_hash_make(rq->r->pool);
}

/* ---- GET /inbox/
 * ---------------------------------------------------------- */

typedef struct inbox_query {
    sms_inbox_state_e state;
    int limit;
    apr_int64_t before_id;
} inbox_query;

/* state, limit and cursor of the query string over q's defaults;
 * DECLINED or the 400. */
static int parse_query(inbox_query *q, sms_req *rq)
{
    static const char *const allowed[] = {"state", "limit", "cursor", NULL};
    apr_pool_t *p = rq->r->pool;
    apr_table_t *args;
    sms_error_t *err;
    const char *v, *pos;
    int i;

    if (sms_params(&args, &err, rq, allowed)) {
        return sms_reply_error(rq, err);
    }
    if ((v = apr_table_get(args, "state"))) {
        for (i = 0; state_names[i] && strcmp(state_names[i], v); i++)
            ;
        if (!state_names[i]) {
            return sms_bad_param(rq, "state",
                                 "must be one of unread, unclear, all");
        }
        q->state = (sms_inbox_state_e)i;
    }
    if ((v = apr_table_get(args, "limit"))) {
        apr_int64_t n = sms_parse_id(v);
        if (n < 1 || n > INBOX_MAX) {
            return sms_bad_param(rq, "limit",
                                 "must be an integer from 1 to 500");
        }
        q->limit = (int)n;
    }
    if ((v = apr_table_get(args, "cursor")) &&
        (sms_cursor_open(
             &pos, rq->sc->secret, rq->sc->secret_len,
             apr_pstrcat(p, CURSOR_KIND, state_names[q->state], NULL), v,
             p) != APR_SUCCESS ||
         !(q->before_id = sms_parse_id(pos)))) {
        return sms_bad_param(rq, "cursor",
                             "is not a cursor this server issued for this "
                             "state (use 'next' of a previous page)");
    }
    return DECLINED;
}

/* One audit row per patient whose replies the page shows (a read of that
 * patient's messages, as /messages/?patient_id= is), in one transaction;
 * a page of unlinked replies only, or an empty one, names no patient. */
static apr_status_t audit_page(inbox_ctx *c, apr_hash_t *patients)
{
    apr_pool_t *p = c->rq->r->pool;
    apr_hash_index_t *hi;
    apr_status_t rv;

    if (!apr_hash_count(patients)) {
        return APR_SUCCESS;
    }
    rv = sms_store_begin(c->db, p);
    for (hi = apr_hash_first(p, patients); hi && rv == APR_SUCCESS;
         hi = apr_hash_next(hi)) {
        const void *id;
        apr_hash_this(hi, &id, NULL, NULL);
        rv = sms_audit(c->rq, c->db, "inbox.list", NULL, id);
    }
    if (sms_store_end(c->db, rv == APR_SUCCESS, p) != APR_SUCCESS) {
        rv = APR_EGENERAL;
    }
    return rv;
}

/* Add the replies of items this user may see to list, until it holds
 * want; *last is the id of the last reply looked at, *used how many of
 * items were looked at; seen_patients gets the patients shown. */
static apr_status_t fill_page(json_t *list, apr_hash_t *seen_patients,
                              apr_int64_t *last, int *used, inbox_ctx *c,
                              const apr_array_header_t *items, int want)
{
    int i, visible, k;

    for (i = 0; i < items->nelts && (int)json_array_size(list) < want; i++) {
        const sms_inbox_item_t *it =
            APR_ARRAY_IDX(items, i, sms_inbox_item_t *);
        apr_array_header_t *shown;
        json_t *j;

        *last = it->in.id;
        if (shown_patients(&shown, &visible, c, it) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
        if (!visible) {
            continue;
        }
        if (item_json(&j, c, it, shown) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
        json_array_append_new(list, j);
        for (k = 0; k < shown->nelts; k++) {
            apr_hash_set(seen_patients, APR_ARRAY_IDX(shown, k, const char *),
                         APR_HASH_KEY_STRING, "");
        }
    }
    *used = i;
    return APR_SUCCESS;
}

int sms_route_inbox(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    apr_hash_t *seen = apr_hash_make(p);
    apr_array_header_t *items;
    apr_int64_t last = 0;
    const char *next = NULL;
    inbox_query q = {SMS_INBOX_UNREAD, INBOX_DEFAULT, 0};
    inbox_ctx c;
    json_t *list;
    sms_db_t *db;
    int done = OK, round, used, more = 0, full, want;

    if ((done = parse_query(&q, rq)) != DECLINED) {
        return done;
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    ctx_init(&c, rq, db);
    list = json_array();
    sms_json_pool(list, p);
    /* replies this user may not see are left out; a page thinned by that
     * is topped up from the next rows, a few times (as /messages/ does) */
    want = q.limit;
    for (round = 0; round < FILL_ROUNDS; round++) {
        if (sms_store_inbox_list(&items, db, q.state, q.before_id, q.limit,
                                 p) != APR_SUCCESS ||
            fill_page(list, seen, &last, &used, &c, items, want) !=
                APR_SUCCESS) {
            return sms_storage_failed(rq);
        }
        full = items->nelts == q.limit;
        more = used < items->nelts || full;
        if ((int)json_array_size(list) == want || !full) {
            break;
        }
        q.before_id = last;
        q.limit = want - (int)json_array_size(list);
    }
    if (more && last) {
        next = sms_cursor_sign(
            rq->sc->secret, rq->sc->secret_len,
            apr_pstrcat(p, CURSOR_KIND, state_names[q.state], NULL),
            apr_psprintf(p, "%" APR_INT64_T_FMT, last), p);
    }
    /* a read of these patients' messages: recorded, or not answered */
    if (audit_page(&c, seen) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:O, s:s?}", "replies", list, "next", next));
}

/* ---- POST /inbox/{id}/read and /unread
 * ------------------------------------ */

/* Mark the reply read by this user (read) or unread again; 404 for a
 * reply that does not exist or that the user may not see. A mark that
 * changes nothing writes nothing (the first reader stays) and answers
 * the reply as it is. */
static int mark(sms_req *rq, int read)
{
    apr_pool_t *p = rq->r->pool;
    apr_int64_t id = sms_parse_id(rq->params[0]);
    apr_array_header_t *shown;
    sms_inbox_item_t *it;
    inbox_ctx c;
    sms_db_t *db;
    apr_status_t rv;
    json_t *j;
    int done = OK, visible = 0, changed = 0;

    if (!id) {
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "reply ids are positive integers");
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    ctx_init(&c, rq, db);
    rv = sms_store_inbox_get(&it, db, id, p);
    if (rv == APR_SUCCESS) {
        rv = shown_patients(&shown, &visible, &c, it);
    }
    if (rv != APR_SUCCESS && rv != APR_ENOENT) {
        return sms_storage_failed(rq);
    }
    if (rv == APR_ENOENT || !visible) {
        /* the same answer for both: nothing tells them apart */
        return sms_fail(rq, HTTP_NOT_FOUND, "not_found", NULL,
                        "there is no reply %" APR_INT64_T_FMT, id);
    }
    /* the mark and its audit row commit together, or neither */
    rv = sms_store_begin(db, p);
    if (rv == APR_SUCCESS) {
        rv = sms_store_inbox_mark(&changed, db, id, read ? sms_user(rq) : NULL,
                                  apr_time_now(), p);
    }
    if (rv == APR_SUCCESS && changed) {
        rv = sms_audit(rq, db, read ? "inbox.read" : "inbox.unread",
                       apr_psprintf(p, "%" APR_INT64_T_FMT, id),
                       shown->nelts ? APR_ARRAY_IDX(shown, 0, const char *)
                                    : NULL);
    }
    if (sms_store_end(db, rv == APR_SUCCESS, p) != APR_SUCCESS ||
        rv != APR_SUCCESS ||
        sms_store_inbox_get(&it, db, id, p) != APR_SUCCESS ||
        item_json(&j, &c, it, shown) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    return sms_reply(rq, HTTP_OK, j);
}

int sms_route_inbox_read(sms_req *rq)
{
    return mark(rq, 1);
}

int sms_route_inbox_unread(sms_req *rq)
{
    return mark(rq, 0);
}

/* ---- GET /inbox/counts
 * ---------------------------------------------------- */

/* The counts this user may see: two indexed counts without
 * SMSPatientAccessQuery; with it, the unread replies' links (one access
 * query per patient with unread replies). */
static apr_status_t user_counts(apr_int64_t *unread, apr_int64_t *unclear,
                                inbox_ctx *c)
{
    apr_pool_t *p = c->rq->r->pool;
    apr_array_header_t *items, *shown;
    int i, visible;

    if (!sms_store_access_enabled()) {
        return sms_store_inbox_counts(unread, unclear, c->db, p);
    }
    *unread = *unclear = 0;
    if (sms_store_inbox_unread(&items, c->db, p) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    for (i = 0; i < items->nelts; i++) {
        const sms_inbox_item_t *it =
            APR_ARRAY_IDX(items, i, sms_inbox_item_t *);
        if (shown_patients(&shown, &visible, c, it) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
        if (visible) {
            ++*unread;
            *unclear += it->in.intent && !strcmp(it->in.intent, "unclear");
        }
    }
    return APR_SUCCESS;
}

int sms_route_inbox_counts(sms_req *rq)
{
    static const char *const allowed[] = {NULL};
    request_rec *r = rq->r;
    apr_int64_t unread = 0, unclear = 0;
    apr_table_t *args;
    sms_error_t *err;
    const char *etag;
    inbox_ctx c;
    sms_db_t *db;
    int done = OK;

    if (sms_params(&args, &err, rq, allowed)) {
        return sms_reply_error(rq, err);
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    ctx_init(&c, rq, db);
    if (user_counts(&unread, &unclear, &c) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    /* the counts are the version: a badge's poll with the last ETag gets
     * 304 and no body while nothing changed */
    etag =
        apr_psprintf(r->pool, "\"%" APR_INT64_T_FMT "-%" APR_INT64_T_FMT "\"",
                     unread, unclear);
    apr_table_setn(r->headers_out, "ETag", etag);
    rq->cache_control = "private, no-cache";
    apr_table_setn(r->headers_out, "Cache-Control", rq->cache_control);
    if (sms_etag_matches(apr_table_get(r->headers_in, "If-None-Match"), etag)) {
        r->status = HTTP_NOT_MODIFIED;
        return OK;
    }
    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:I, s:I}", "unread", (json_int_t)unread,
                               "unclear", (json_int_t)unclear));
}
