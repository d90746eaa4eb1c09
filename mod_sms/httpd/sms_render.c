/*
 * sms_render.c - JSON for the domain objects every route family shows
 * (a message, a patient's placeholder values) and path ids.
 */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_httpd.h"
#include "sms_json.h"

apr_int64_t sms_parse_id(const char *s)
{
    char *end;
    apr_int64_t v;

    if (!s || !apr_isdigit(*s) || strlen(s) > 18) {
        return 0;
    }
    v = apr_strtoi64(s, &end, 10);
    return *end || v <= 0 ? 0 : v;
}

json_t *sms_render_time(apr_time_t t, apr_pool_t *p)
{
    return t ? json_string(sms_time_format(t, p)) : json_null();
}

json_t *sms_render_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *sms_render_id(apr_int64_t id)
{
    return id ? json_integer((json_int_t)id) : json_null();
}

/* A member whose value is a string or null, an id or null, a time or
 * null. */
static void member_str(sms_jw_t *w, const char *key, const char *v)
{
    sms_jw_key(w, key);
    sms_jw_str(w, v);
}

static void member_id(sms_jw_t *w, const char *key, apr_int64_t id)
{
    sms_jw_key(w, key);
    id ? sms_jw_int(w, id) : sms_jw_raw(w, "null");
}

static void member_time(sms_jw_t *w, const char *key, apr_time_t t,
                        apr_pool_t *p)
{
    member_str(w, key, t ? sms_time_format(t, p) : NULL);
}

/* The members of the message object, without its braces. */
static void message_members(sms_jw_t *w, const sms_message_t *m, apr_pool_t *p)
{
    member_id(w, "id", m->id);
    member_str(w, "to", m->to);
    member_str(w, "patient_id", m->patient_id);
    member_str(w, "phone_label", m->phone_label);
    member_str(w, "sender_id", m->sender_id);
    member_str(w, "body", m->body);
    member_str(w, "encoding", m->encoding);
    sms_jw_key(w, "segments");
    sms_jw_int(w, m->segments);
    sms_jw_key(w, "max_parts");
    sms_jw_int(w, m->max_parts);
    member_str(w, "status", m->status);
    member_str(w, "error", m->error);
    member_str(w, "external_id", m->external_id);
    member_id(w, "batch_id", m->batch_id);
    member_id(w, "template_id", m->template_id);
    member_str(w, "sent_by", m->sent_by);
    member_time(w, "created_at", m->created_at, p);
    member_time(w, "send_at", m->send_at, p);
    member_time(w, "sent_at", m->sent_at, p);
    member_time(w, "delivered_at", m->delivered_at, p);
    sms_jw_key(w, "attempts");
    sms_jw_int(w, m->attempts);
    /* when the outbox next tries it (a retry, or a send window's opening) */
    member_time(w, "next_attempt_at", m->next_attempt_at, p);
}

void sms_message_write(sms_jw_t *w, const sms_message_t *m, apr_pool_t *p)
{
    sms_jw_open(w, '{');
    message_members(w, m, p);
    sms_jw_close(w, '}');
}

void sms_history_write(sms_jw_t *w, const sms_message_t *m, apr_pool_t *p)
{
    sms_jw_open(w, '{');
    message_members(w, m, p);
    /* the latest reply linked to the message, or null */
    sms_jw_key(w, "reply");
    if (!m->reply) {
        sms_jw_raw(w, "null");
    }
    else {
        sms_jw_open(w, '{');
        member_id(w, "id", m->reply->id);
        member_str(w, "intent", m->reply->intent);
        member_time(w, "received_at", m->reply->received_at, p);
        sms_jw_close(w, '}');
    }
    sms_jw_close(w, '}');
}

json_t *sms_message_json(const sms_message_t *m, apr_pool_t *p)
{
    sms_jw_t w;

    /* one description of the message object: the text writer's */
    sms_jw_init(&w, 512, p);
    sms_message_write(&w, m, p);
    return json_loads(sms_jw_text(&w), 0, NULL);
}

json_t *sms_history_json(const sms_message_t *m, apr_pool_t *p)
{
    sms_jw_t w;

    sms_jw_init(&w, 640, p);
    sms_history_write(&w, m, p);
    return json_loads(sms_jw_text(&w), 0, NULL);
}

json_t *sms_patient_vars(const sms_patient_t *pt, apr_pool_t *p)
{
    const char *first = pt->first_name ? pt->first_name : "";
    const char *last = pt->last_name ? pt->last_name : "";

    return sms_json_pool(json_pack("{s:s, s:s, s:s}", "first_name", first,
                                   "last_name", last, "patient_name",
                                   *first && *last
                                       ? apr_pstrcat(p, first, " ", last, NULL)
                                       : apr_pstrcat(p, first, last, NULL)),
                         p);
}
