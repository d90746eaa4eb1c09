/*
 * sms_route_patients.c - a patient's numbers, the conversation thread
 * (signed since cursor, ETag/304) and sending from the patient; the
 * patient queries checked once per child.
 */
#include <errno.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_json.h"
#include "sms_phone.h"
#include "sms_token.h"

#define CONV_PREFIX "conv:"   /* since cursors: "conv:<patient>" */
#define OLDER_PREFIX "older:" /* before cursors: "older:<patient>" */
#define CONV_PAGE_DEFAULT 50
#define CONV_PAGE_MAX 200

static APR_OPTIONAL_FN_TYPE(ap_dbd_open) * dbd_open;
static APR_OPTIONAL_FN_TYPE(ap_dbd_close) * dbd_close;

static const char *label_of(apr_array_header_t *phones, const char *number)
{
    int i;

    for (i = 0; i < phones->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(phones, i, sms_patient_phone_t).number,
                    number)) {
            return APR_ARRAY_IDX(phones, i, sms_patient_phone_t).label;
        }
    }
    return NULL;
}

int sms_route_patient_phones(sms_req *rq)
{
    apr_array_header_t *phones;
    json_t *out;
    sms_db_t *db;
    int done = OK, i;

    if (!(db = sms_db(rq, &done)) ||
        !sms_find_patient(rq, db, rq->params[0], &phones, &done)) {
        return done;
    }
    out = json_array();
    for (i = 0; i < phones->nelts; i++) {
        const sms_patient_phone_t *ph =
            &APR_ARRAY_IDX(phones, i, sms_patient_phone_t);
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:b, s:s, s:b}", "label", ph->label,
                           "number", ph->number, "is_default", ph->is_default,
                           "type", sms_phone_type_name(ph->type), "sms_capable",
                           ph->sms_capable));
    }
    return sms_reply(rq, HTTP_OK, out);
}

/* ---- the conversation
 * -------------------------------------------------------- */

/* Both directions of a thread merged, oldest first, as the API shows
 * them. */
static json_t *thread_json(const apr_array_header_t *out,
                           const apr_array_header_t *in,
                           apr_array_header_t *phones, apr_pool_t *p)
{
    json_t *list;
    int i, j;

    list = json_array();
    for (i = 0, j = 0; i < out->nelts || j < in->nelts;) {
        const sms_message_t *m =
            i < out->nelts ? APR_ARRAY_IDX(out, i, sms_message_t *) : NULL;
        const sms_inbound_t *n =
            j < in->nelts ? &APR_ARRAY_IDX(in, j, sms_inbound_t) : NULL;
        if (m && (!n || m->created_at <= n->received_at)) {
            json_t *o = sms_message_json(m, p);
            json_object_set_new(o, "direction", json_string("out"));
            json_object_set_new(o, "phone", json_string(m->to));
            if (!m->phone_label && label_of(phones, m->to)) {
                json_object_set_new(o, "phone_label",
                                    json_string(label_of(phones, m->to)));
            }
            json_array_append_new(list, o);
            i++;
        }
        else {
            const char *label = label_of(phones, n->from);
            json_array_append_new(
                list,
                json_pack(
                    "{s:s, s:I, s:s, s:s?, s:s, s:s, s:o, s:o, s:o, s:o}",
                    "direction", "in", "id", (json_int_t)n->id, "phone",
                    n->from, "phone_label", label, "body", n->body,
                    "created_at", sms_time_format(n->received_at, p),
                    "reply_to",
                    n->message_id ? json_integer((json_int_t)n->message_id)
                                  : json_null(),
                    "intent", n->intent ? json_string(n->intent) : json_null(),
                    /* the inbox's read mark (the UI marks what it shows) */
                    "read_at", sms_render_time(n->read_at, p), "read_by",
                    sms_render_str(n->read_by)));
            j++;
        }
    }
    return list;
}

/* What a conversation request asks: the changes since a cursor (a
 * poll), or a page of the thread (the newest, or those before a cursor). */
typedef struct {
    const char *since;        /* the since cursor, or NULL: a page */
    apr_time_t after_updated; /* since: changes after these */
    apr_int64_t after_inbound;
    apr_int64_t before_out; /* a page: ids below these (0: no bound) */
    apr_int64_t before_in;
    int limit; /* a page: at most this many messages */
} conv_query_t;

/* "<a>:<b>", two integers of 0 or more, and nothing else. */
static int parse_pair(apr_int64_t *a, apr_int64_t *b, const char *pos)
{
    char *end;

    if (!apr_isdigit(*pos)) {
        return 0;
    }
    errno = 0;
    *a = apr_strtoi64(pos, &end, 10);
    if (*end != ':' || !apr_isdigit(end[1]) || errno == ERANGE) {
        return 0;
    }
    *b = apr_strtoi64(end + 1, &end, 10);
    return !*end && errno != ERANGE && *a >= 0 && *b >= 0;
}

/* since, or limit and before, of the query string; DECLINED, or the 400
 * sent. Cursors are bound to the patient: another's is refused. */
static int parse_conv_query(conv_query_t *q, sms_req *rq, const char *id)
{
    static const char *const allowed[] = {"since", "before", "limit", NULL};
    apr_pool_t *p = rq->r->pool;
    const char *v, *pos, *before;
    apr_table_t *args;
    sms_error_t *err;

    memset(q, 0, sizeof(*q));
    q->limit = CONV_PAGE_DEFAULT;
    if (sms_params(&args, &err, rq, allowed)) {
        return sms_reply_error(rq, err);
    }
    if ((q->since = apr_table_get(args, "since"))) {
        char *end;
        if (sms_cursor_open(&pos, rq->sc->secret, rq->sc->secret_len,
                            apr_pstrcat(p, CONV_PREFIX, id, NULL), q->since,
                            p) != APR_SUCCESS) {
            return sms_bad_param(rq, "since",
                                 "is not a cursor this server issued for this "
                                 "patient");
        }
        q->after_updated = apr_strtoi64(pos, &end, 10);
        q->after_inbound = *end == ':' ? apr_strtoi64(end + 1, NULL, 10) : 0;
    }
    if ((v = apr_table_get(args, "limit"))) {
        apr_int64_t n = sms_parse_id(v);
        if (q->since || n < 1 || n > CONV_PAGE_MAX) {
            return sms_bad_param(rq, "limit",
                                 q->since ? "pages the thread; a poll with "
                                            "'since' answers every change"
                                          : "must be an integer from 1 to 200");
        }
        q->limit = (int)n;
    }
    if ((before = apr_table_get(args, "before"))) {
        if (q->since) {
            return sms_bad_param(rq, "before", "cannot be used with 'since'");
        }
        if (sms_cursor_open(&pos, rq->sc->secret, rq->sc->secret_len,
                            apr_pstrcat(p, OLDER_PREFIX, id, NULL), before,
                            p) != APR_SUCCESS ||
            !parse_pair(&q->before_out, &q->before_in, pos)) {
            return sms_bad_param(rq, "before",
                                 "is not a cursor this server issued for this "
                                 "patient (use 'before' of a previous answer)");
        }
    }
    return DECLINED;
}

/* The answer's ETag (it names the page asked for and the thread's
 * version); whether If-None-Match holds it, so 304 is the answer. */
static int conv_not_modified(sms_req *rq, const conv_query_t *q,
                             apr_time_t updated, apr_int64_t inbound)
{
    request_rec *r = rq->r;
    const char *etag;

    if (q->since) {
        etag =
            apr_psprintf(r->pool,
                         "\"s-%" APR_TIME_T_FMT "-%" APR_INT64_T_FMT
                         "-%" APR_TIME_T_FMT "-%" APR_INT64_T_FMT "\"",
                         updated, inbound, q->after_updated, q->after_inbound);
    }
    else {
        etag = apr_psprintf(r->pool,
                            "\"p%d-%" APR_INT64_T_FMT "-%" APR_INT64_T_FMT
                            "-%" APR_TIME_T_FMT "-%" APR_INT64_T_FMT "\"",
                            q->limit, q->before_out, q->before_in, updated,
                            inbound);
    }
    apr_table_setn(r->headers_out, "ETag", etag);
    /* revalidated with If-None-Match on every poll, never stored shared */
    rq->cache_control = "private, no-cache";
    apr_table_setn(r->headers_out, "Cache-Control", rq->cache_control);
    return (updated || inbound) &&
           sms_etag_matches(apr_table_get(r->headers_in, "If-None-Match"),
                            etag);
}

/* The first n elements of a, last first. */
static apr_array_header_t *reversed(const apr_array_header_t *a, int n,
                                    apr_pool_t *p)
{
    apr_array_header_t *r = apr_array_make(p, n ? n : 1, a->elt_size);
    int i;

    for (i = n - 1; i >= 0; i--) {
        memcpy(apr_array_push(r), a->elts + (apr_size_t)i * a->elt_size,
               a->elt_size);
    }
    return r;
}

/* A page: the newest q->limit messages below q's bounds. Both sides are
 * read newest first (one more than a page each) and merged by time, as
 * thread_json merges them; what is left is older. *out and *in come back
 * oldest first; *older is the position of the rest, or NULL. */
static apr_status_t read_page(apr_array_header_t **out, apr_array_header_t **in,
                              const char **older, sms_db_t *db, const char *id,
                              const conv_query_t *q, apr_pool_t *p)
{
    apr_array_header_t *o, *n;
    apr_status_t rv;
    int io = 0, ii = 0;

    if ((rv = sms_store_thread_out_page(&o, db, id, q->before_out, q->limit + 1,
                                        p)) != APR_SUCCESS ||
        (rv = sms_store_thread_in_page(&n, db, id, q->before_in, q->limit + 1,
                                       p)) != APR_SUCCESS) {
        return rv;
    }
    while (io + ii < q->limit && (io < o->nelts || ii < n->nelts)) {
        /* on equal times a reply comes after the message it follows */
        if (io < o->nelts &&
            (ii == n->nelts ||
             APR_ARRAY_IDX(o, io, sms_message_t *)->created_at >
                 APR_ARRAY_IDX(n, ii, sms_inbound_t).received_at)) {
            io++;
        }
        else {
            ii++;
        }
    }
    *older = NULL;
    if (io < o->nelts || ii < n->nelts) {
        *older = apr_psprintf(
            p, "%" APR_INT64_T_FMT ":%" APR_INT64_T_FMT,
            io ? APR_ARRAY_IDX(o, io - 1, sms_message_t *)->id : q->before_out,
            ii ? APR_ARRAY_IDX(n, ii - 1, sms_inbound_t).id : q->before_in);
    }
    *out = reversed(o, io, p);
    *in = reversed(n, ii, p);
    return APR_SUCCESS;
}

/* The answer: the patient, the messages, the since cursor (the thread's
 * version) and, for a page, whether older messages exist and the before
 * cursor that reads them. */
static json_t *conv_json(sms_req *rq, const sms_patient_t *pt, json_t *list,
                         const conv_query_t *q, const char *older,
                         apr_time_t updated, apr_int64_t inbound)
{
    apr_pool_t *p = rq->r->pool;
    const char *id = pt->id;
    json_t *o = json_pack(
        "{s:{s:s, s:s}, s:o, s:s}", "patient", "id", pt->id, "name",
        json_string_value(
            json_object_get(sms_patient_vars(pt, p), "patient_name")),
        "messages", list, "cursor",
        sms_cursor_sign(
            rq->sc->secret, rq->sc->secret_len,
            apr_pstrcat(p, CONV_PREFIX, id, NULL),
            apr_psprintf(
                p, "%" APR_TIME_T_FMT ":%" APR_INT64_T_FMT,
                updated > q->after_updated ? updated : q->after_updated,
                inbound > q->after_inbound ? inbound : q->after_inbound),
            p));

    if (!q->since) {
        json_object_set_new(o, "has_older", json_boolean(older != NULL));
        json_object_set_new(
            o, "before",
            older ? json_string(sms_cursor_sign(
                        rq->sc->secret, rq->sc->secret_len,
                        apr_pstrcat(p, OLDER_PREFIX, id, NULL), older, p))
                  : json_null());
    }
    return o;
}

int sms_route_patient_conversation(sms_req *rq)
{
    apr_pool_t *p = rq->r->pool;
    const char *id = rq->params[0], *older = NULL;
    apr_time_t updated = 0;
    apr_int64_t inbound = 0;
    apr_array_header_t *phones, *out, *in;
    conv_query_t q;
    sms_patient_t *pt;
    json_t *list;
    sms_db_t *db;
    int done = OK;

    if ((done = parse_conv_query(&q, rq, id)) != DECLINED) {
        return done;
    }
    if (!(db = sms_db(rq, &done))) {
        return done;
    }
    /* not even the thread's version (ETag) for a user who may not see it */
    if (strlen(id) > 64 || (done = sms_check_patient(rq, db, id)) != DECLINED) {
        return strlen(id) > 64 ? sms_fail(rq, HTTP_NOT_FOUND, "unknown_patient",
                                          NULL, "there is no such patient")
                               : done;
    }
    /* the poll: one indexed look-up, and 304 when nothing moved */
    if (sms_store_thread_version(&updated, &inbound, db, id, p) !=
        APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (conv_not_modified(rq, &q, updated, inbound)) {
        rq->r->status = HTTP_NOT_MODIFIED;
        return OK;
    }
    if (!(pt = sms_find_patient(rq, db, id, &phones, &done))) {
        return done;
    }
    if (q.since ? sms_store_thread_out(&out, db, id, q.after_updated, p) !=
                          APR_SUCCESS ||
                      sms_store_thread_in(&in, db, id, q.after_inbound, p) !=
                          APR_SUCCESS
                : read_page(&out, &in, &older, db, id, &q, p) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    list = thread_json(out, in, phones, p);
    /* a read of health information: recorded, or not answered */
    if (sms_audit(rq, db, "conversation.view", NULL, pt->id) != APR_SUCCESS) {
        json_decref(list);
        return sms_storage_failed(rq);
    }
    return sms_reply(rq, HTTP_OK,
                     conv_json(rq, pt, list, &q, older, updated, inbound));
}

/* ---- sending from the patient -----------------------------------------------
 */

static int patient_send(sms_req *rq, sms_db_t *db)
{
    static const char *const fields[] = {
        "phone",     "message", "template_id",    "context", "sender_id",
        "max_parts", "send_at", "respect_window", NULL};
    apr_pool_t *p = rq->r->pool;
    apr_array_header_t *phones;
    const char *given, *number = NULL;
    sms_target_t target;
    sms_patient_t *pt;
    sms_error_t *err;
    const sms_patient_phone_t *chosen = NULL;
    sms_phone_t *typed;
    int done = OK, i, capable = 0;

    if (sms_json_only(&err, rq->body, fields, p) ||
        sms_json_string(&given, NULL, &err, rq->body, "phone", 0, p) ||
        (given && sms_phone_normalise(&number, &err, given,
                                      rq->sc->country_code, "phone", p))) {
        return sms_reply_error(rq, err);
    }
    if (!(pt = sms_find_patient(rq, db, rq->params[0], &phones, &done))) {
        return done;
    }
    memset(&target, 0, sizeof(target));
    /* the number given; else the first (default first) that can take an
     * SMS, else the first (refused below as not_sms_capable) */
    for (i = 0; i < phones->nelts; i++) {
        const sms_patient_phone_t *ph =
            &APR_ARRAY_IDX(phones, i, sms_patient_phone_t);
        if (number ? !strcmp(number, ph->number)
                   : !target.to || (ph->sms_capable && !capable)) {
            target.to = ph->number;
            target.phone_label = ph->label;
            capable = ph->sms_capable;
            chosen = ph;
        }
    }
    if (!target.to) {
        return sms_fail(rq, HTTP_BAD_REQUEST, "invalid_phone", "phone",
                        number ? "%s is not one of this patient's numbers"
                               : "this patient has no usable phone number%s",
                        number ? number : "");
    }
    target.field = "phone";
    /* the patient's numbers were parsed when read: their type is known */
    typed = apr_pcalloc(p, sizeof(*typed));
    typed->digits = chosen->number;
    typed->type = chosen->type;
    target.ph = typed;
    target.patient_id = pt->id;
    target.vars = sms_patient_vars(pt, p);
    return sms_send_to(rq, db, &target);
}

int sms_route_patient_send(sms_req *rq)
{
    return sms_with_idempotency(rq, patient_send);
}

/* ---- the patient queries, checked once per child
 * ----------------------------- */

void sms_patients_child_init(apr_pool_t *pchild, server_rec *s)
{
    const char *directive = NULL, *why = NULL;
    apr_pool_t *p;
    ap_dbd_t *dbd;
    sms_db_t db;

    dbd_open = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    dbd_close = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);
    if (!dbd_open || !(dbd = dbd_open(pchild, s))) {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                     "patient queries not "
                     "checked: no database connection at child start");
        return;
    }
    apr_pool_create(&p, pchild);
    if (sms_db_adopt(&db, dbd, &why, p) == APR_SUCCESS) {
        if (sms_store_check_patient_queries(&directive, &why, &db, p) !=
            APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "%s: %s", directive,
                         why);
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                         "patient queries "
                         "answer the columns mod_sms reads");
        }
    }
    else {
        if (why && strstr(why, "Query:")) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "%s", why);
        }
    }
    dbd_close(s, dbd);
    apr_pool_destroy(p);
}
