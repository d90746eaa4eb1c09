/*
 * sms_rules.h - the rules of a message request, shared by preview, send,
 * patient send and bulk: which body fields say what the text is, the
 * send options, rendering and the checks on the final text. httpd-free:
 * the glue looks up templates and patients and passes what it found.
 */
#ifndef SMS_RULES_H
#define SMS_RULES_H

#include <jansson.h>

#include "sms_core.h"
#include "sms_text.h"

/* Where a message's text comes from. */
typedef struct sms_text_req_t {
    const char *message;     /* "message", or NULL with a template */
    apr_int64_t template_id; /* 0: "message" was given */
    json_t *context;         /* placeholder values (object) or NULL */
    const char *patient_id;  /* 1 to 64 characters, or NULL */
} sms_text_req_t;

/* How a message is sent. */
typedef struct sms_send_req_opts_t {
    const char *sender_id; /* without '+'; the default when not given */
    int max_parts;
    apr_time_t send_at; /* 0: now */
} sms_send_req_opts_t;

/* Flags of sms_rules_text_request. */
#define SMS_RULES_PATIENT_FILLS_ONLY                                           \
    1 /* preview: patient_id only fills a                                      \
         template's placeholders */

/* The text fields of body: "message" or "template_id" (one of them, 400
 * message_empty when neither), "context" (an object, with a template),
 * "patient_id" (a string of 1 to 64 characters or an integer). */
apr_status_t sms_rules_text_request(sms_text_req_t *tr, sms_error_t **err,
                                    json_t *body, int flags, apr_pool_t *p);

/* The send options of body: "sender_id" (dflt when absent, else one of
 * allowed, a NULL-terminated list: 400 invalid_sender_id otherwise),
 * "max_parts" (1 to 5, default max_parts), "send_at" (a real ISO-8601 time
 * in the coming year). */
apr_status_t sms_rules_send_options(sms_send_req_opts_t *o, sms_error_t **err,
                                    json_t *body, const char *dflt,
                                    const char *const *allowed, int max_parts,
                                    apr_time_t now, apr_pool_t *p);

/* A template body rendered with context, then extra (whose values win);
 * a placeholder without a value is 400 unknown_placeholder. */
apr_status_t sms_rules_render(const char **text, sms_error_t **err,
                              const char *body, json_t *context, json_t *extra,
                              apr_pool_t *p);

/* The final text analysed (400 invalid_message); for a send (max_parts >
 * 0) also refused when blank (message_empty) or longer than max_parts
 * segments (message_too_long). A preview passes 0 and shows both. */
apr_status_t sms_rules_final_text(sms_text_t **t, sms_error_t **err,
                                  const char *text, apr_size_t len, int smart,
                                  int max_parts, apr_pool_t *p);

#endif /* SMS_RULES_H */
