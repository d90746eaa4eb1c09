/*
 * sms_rules.c - one set of rules for every route that takes a message:
 * preview, send, patient send and bulk.
 */
#include <string.h>

#include <apr_strings.h>

#include "sms_json.h"
#include "sms_rules.h"
#include "sms_template.h"

#define SCHEDULE_MAX apr_time_from_sec(366 * 24 * 3600)
#define PATIENT_ID_MAX 64

/* patient_id: a string or an integer, kept as text. */
static apr_status_t patient_field(const char **out, sms_error_t **err,
                                  json_t *obj, apr_pool_t *p)
{
    json_t *v = json_object_get(obj, "patient_id");

    *out = NULL;
    if (!v || json_is_null(v)) {
        return APR_SUCCESS;
    }
    if (json_is_integer(v)) {
        *out = apr_psprintf(p, "%" APR_INT64_T_FMT,
                            (apr_int64_t)json_integer_value(v));
        return APR_SUCCESS;
    }
    if (json_is_string(v) && json_string_length(v) > 0 &&
        json_string_length(v) <= PATIENT_ID_MAX &&
        strlen(json_string_value(v)) == json_string_length(v)) {
        *out = json_string_value(v);
        return APR_SUCCESS;
    }
    *err = sms_error_make(p, 400, "invalid_json", "patient_id",
                          "'patient_id' "
                          "must be a string of 1 to %d characters or an "
                          "integer",
                          PATIENT_ID_MAX);
    return APR_EINVAL;
}

apr_status_t sms_rules_text_request(sms_text_req_t *tr, sms_error_t **err,
                                    json_t *body, int flags, apr_pool_t *p)
{
    json_t *ctx = json_object_get(body, "context");
    json_int_t id;
    int present;

    memset(tr, 0, sizeof(*tr));
    if (sms_json_string(&tr->message, NULL, err, body, "message", 0, p) ||
        sms_json_integer(&id, &present, err, body, "template_id", 1,
                         APR_INT64_MAX, p) ||
        patient_field(&tr->patient_id, err, body, p)) {
        return APR_EINVAL;
    }
    if (present && tr->message) {
        *err = sms_error_make(p, 400, "invalid_json", "template_id",
                              "give 'message' or 'template_id', not both");
        return APR_EINVAL;
    }
    if (!present && !tr->message) {
        *err = sms_error_make(p, 400, "message_empty", "message",
                              "give 'message' (the text) or 'template_id'");
        return APR_EINVAL;
    }
    tr->template_id = present ? (apr_int64_t)id : 0;
    if (ctx && !json_is_null(ctx)) {
        if (!json_is_object(ctx)) {
            *err = sms_error_make(p, 400, "invalid_json", "context",
                                  "'context' must be an object");
            return APR_EINVAL;
        }
        if (!present) {
            *err = sms_error_make(p, 400, "invalid_json", "context",
                                  "'context' goes with 'template_id'");
            return APR_EINVAL;
        }
        tr->context = ctx;
    }
    if ((flags & SMS_RULES_PATIENT_FILLS_ONLY) && tr->patient_id && !present) {
        *err = sms_error_make(p, 400, "invalid_json", "patient_id",
                              "'patient_id' goes with 'template_id'");
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* sender_id: the default when absent, else one of allowed. */
static apr_status_t sender_field(const char **out, sms_error_t **err,
                                 json_t *body, const char *dflt,
                                 const char *const *allowed, apr_pool_t *p)
{
    const char *given;
    int i;

    if (sms_json_string(&given, NULL, err, body, "sender_id", 0, p)) {
        return APR_EINVAL;
    }
    *out = dflt;
    if (!given) {
        return APR_SUCCESS;
    }
    if (!sms_sender_id_ok(given)) {
        *err = sms_error_make(p, 400, "invalid_sender_id", "sender_id",
                              "a sender ID is 1 to 11 letters and digits (no "
                              "spaces or punctuation) or a phone number");
        return APR_EINVAL;
    }
    if (given[0] == '+') {
        given++;
    }
    for (i = 0; allowed && allowed[i]; i++) {
        if (!strcmp(allowed[i], given)) {
            *out = allowed[i];
            return APR_SUCCESS;
        }
    }
    *err = sms_error_make(p, 400, "invalid_sender_id", "sender_id",
                          "'%s' is not one of this site's sender IDs "
                          "(SMSSenderIDs)",
                          given);
    return APR_EINVAL;
}

apr_status_t sms_rules_send_options(sms_send_req_opts_t *o, sms_error_t **err,
                                    json_t *body, const char *dflt,
                                    const char *const *allowed, int max_parts,
                                    apr_time_t now, apr_pool_t *p)
{
    const char *send_at;
    json_int_t n;
    int present;

    memset(o, 0, sizeof(*o));
    o->max_parts = max_parts;
    if (sender_field(&o->sender_id, err, body, dflt, allowed, p) ||
        sms_json_integer(&n, &present, err, body, "max_parts", 1,
                         SMS_MAX_PARTS_LIMIT, p) ||
        sms_json_string(&send_at, NULL, err, body, "send_at", 0, p)) {
        return APR_EINVAL;
    }
    if (present) {
        o->max_parts = (int)n;
    }
    if (!send_at) {
        return APR_SUCCESS;
    }
    if (sms_time_parse(&o->send_at, send_at) != APR_SUCCESS) {
        *err = sms_error_make(p, 400, "invalid_json", "send_at",
                              "'send_at' must be an ISO-8601 time such as "
                              "2026-12-01T09:00:00Z (and a real date)");
        return APR_EINVAL;
    }
    if (o->send_at <= now || o->send_at > now + SCHEDULE_MAX) {
        *err = sms_error_make(p, 400, "invalid_json", "send_at",
                              "'send_at' must be in the future, and at most "
                              "a year ahead");
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t sms_rules_render(const char **text, sms_error_t **err,
                              const char *body, json_t *context, json_t *extra,
                              apr_pool_t *p)
{
    json_t *layers[2];

    /* looked up in place: a bulk of many recipients with a large context
     * copies nothing per recipient */
    layers[0] = context;
    layers[1] = extra;
    return sms_template_render_in(text, err, body, layers, 2, p);
}

apr_status_t sms_rules_final_text(sms_text_t **t, sms_error_t **err,
                                  const char *text, apr_size_t len, int smart,
                                  int max_parts, apr_pool_t *p)
{
    const char *why;

    if (sms_text_analyse(t, &why, text, len, smart, p)) {
        *err = sms_error_make(p, 400, "invalid_message", "message", "%s", why);
        return APR_EINVAL;
    }
    if (max_parts <= 0) {
        return APR_SUCCESS; /* a preview shows what a send refuses */
    }
    if (sms_text_is_blank(*t)) {
        *err = sms_error_make(p, 400, "message_empty", "message",
                              "the message is empty");
        return APR_EINVAL;
    }
    if ((*t)->segments > max_parts) {
        *err = sms_error_make(
            p, 400, "message_too_long", "message",
            "the message needs %d segments (%s, %" APR_SIZE_T_FMT
            " units); at most %d allowed",
            (*t)->segments, sms_text_encoding_name((*t)->encoding), (*t)->units,
            max_parts);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}
