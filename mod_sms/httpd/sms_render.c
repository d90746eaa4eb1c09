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

json_t *sms_message_json(const sms_message_t *m, apr_pool_t *p)
{
    json_t *j = json_object();

    json_object_set_new(j, "id", json_integer((json_int_t)m->id));
    json_object_set_new(j, "to", sms_render_str(m->to));
    json_object_set_new(j, "patient_id", sms_render_str(m->patient_id));
    json_object_set_new(j, "phone_label", sms_render_str(m->phone_label));
    json_object_set_new(j, "sender_id", sms_render_str(m->sender_id));
    json_object_set_new(j, "body", sms_render_str(m->body));
    json_object_set_new(j, "encoding", sms_render_str(m->encoding));
    json_object_set_new(j, "segments", json_integer(m->segments));
    json_object_set_new(j, "max_parts", json_integer(m->max_parts));
    json_object_set_new(j, "status", sms_render_str(m->status));
    json_object_set_new(j, "error", sms_render_str(m->error));
    json_object_set_new(j, "external_id", sms_render_str(m->external_id));
    json_object_set_new(j, "batch_id", sms_render_id(m->batch_id));
    json_object_set_new(j, "template_id", sms_render_id(m->template_id));
    json_object_set_new(j, "sent_by", sms_render_str(m->sent_by));
    json_object_set_new(j, "created_at", sms_render_time(m->created_at, p));
    json_object_set_new(j, "send_at", sms_render_time(m->send_at, p));
    json_object_set_new(j, "sent_at", sms_render_time(m->sent_at, p));
    json_object_set_new(j, "delivered_at", sms_render_time(m->delivered_at, p));
    json_object_set_new(j, "attempts", json_integer(m->attempts));
    /* when the outbox next tries it (a retry, or a send window's opening) */
    json_object_set_new(j, "next_attempt_at",
                        sms_render_time(m->next_attempt_at, p));
    return j;
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
