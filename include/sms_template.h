/*
 * sms_template.h - message templates: "{placeholder}" rendering with strict
 * unknown-placeholder errors; "{{" and "}}" are literal braces. httpd-free.
 */
#ifndef SMS_TEMPLATE_H
#define SMS_TEMPLATE_H

#include <apr_tables.h>
#include <jansson.h>

#include "sms_core.h"

/* Check a template body's syntax: every '{' opens a placeholder name
 * ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters) closed by '}', or is
 * doubled; a lone '}' must be doubled. APR_EINVAL with *err a 400
 * invalid_template (field "body") otherwise. */
apr_status_t sms_template_check(sms_error_t **err, const char *body,
                                apr_pool_t *p);

/* The longest rendered text: more than any SMS of SMS_MAX_PARTS_LIMIT
 * segments can carry in UTF-8, whatever its characters. */
#define SMS_TEMPLATE_OUTPUT_MAX 16384

/* Render body with values from the JSON object vars (strings, integers
 * and reals are accepted; any other type is a 400 invalid_json naming
 * "context.<name>"). A placeholder with no value is a 400
 * unknown_placeholder naming it; a malformed body is invalid_template;
 * a text over SMS_TEMPLATE_OUTPUT_MAX bytes is a 400 message_too_long,
 * found before it is built. */
apr_status_t sms_template_render(const char **out, sms_error_t **err,
                                 const char *body, json_t *vars, apr_pool_t *p);

/* The same with the values of n objects (NULL ones skipped), a later one
 * winning: nothing is merged or copied, whatever their size. */
apr_status_t sms_template_render_in(const char **out, sms_error_t **err,
                                    const char *body, json_t *const *layers,
                                    int n, apr_pool_t *p);

/* The placeholder names used in body (each once, in order of first use);
 * NULL when the body is malformed. */
apr_array_header_t *sms_template_names(const char *body, apr_pool_t *p);

#endif /* SMS_TEMPLATE_H */
