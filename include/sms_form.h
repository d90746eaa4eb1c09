/*
 * sms_form.h - provider callback parameters: application/x-www-form-
 * urlencoded decoding (query strings and form bodies) into name/value
 * pairs, and the checks of the delivery-receipt and inbound-reply
 * webhooks that need no request or database. httpd-free.
 */
#ifndef SMS_FORM_H
#define SMS_FORM_H

#include <apr_tables.h>

#include "sms_core.h"

/* The parameters each webhook accepts (NULL-terminated). */
extern const char *const sms_form_dlr_names[];
extern const char *const sms_form_inbound_names[];

/* Decode one urlencoded component in place: '+' is a space, %XX a byte.
 * APR_EINVAL for a '%' not followed by two hex digits or for %00 (the
 * rules of httpd's ap_unescape_urlencoded). */
apr_status_t sms_form_unescape(char *s);

/* Add the name=value pairs of [encoded, encoded + len) to args, decoded.
 * Empty pairs are skipped; a pair without '=' has an empty value. Every
 * name must be one of allowed (NULL-terminated) and given once across
 * every call on the same args. APR_EINVAL with *err a 400
 * invalid_parameter otherwise (also for a raw NUL byte). */
apr_status_t sms_form_parse(apr_table_t *args, sms_error_t **err,
                            const char *encoded, apr_size_t len,
                            const char *const *allowed, apr_pool_t *p);

/* A delivery receipt's parameters, checked. */
typedef struct sms_form_dlr_t {
    const char *status; /* as the provider wrote it */
    const char *mapped; /* "delivered", "expired", "failed" or NULL */
    const char *smsref; /* NULL when absent or empty */
    const char *ref;    /* NULL when absent or empty */
    const char *to_raw; /* as given, or NULL */
    const char *to;     /* to_raw normalised, or NULL when it is not a
                           phone number */
} sms_form_dlr_t;

/* Check the parameters of a delivery receipt (args from sms_form_parse
 * with sms_form_dlr_names); country_code is for national numbers.
 * APR_EINVAL with *err a 400 invalid_parameter otherwise. */
apr_status_t sms_form_dlr(sms_form_dlr_t *out, sms_error_t **err,
                          apr_table_t *args, const char *country_code,
                          apr_pool_t *p);

/* An inbound reply's parameters, checked. */
typedef struct sms_form_inbound_t {
    const char *from; /* normalised international digits */
    const char *to;   /* as given, or NULL */
    const char *text; /* valid message text */
    const char *ref;  /* NULL when absent or empty */
} sms_form_inbound_t;

/* Check the parameters of an inbound reply (args from sms_form_parse with
 * sms_form_inbound_names). APR_EINVAL with *err a 400 invalid_parameter,
 * invalid_phone or invalid_message otherwise. */
apr_status_t sms_form_inbound(sms_form_inbound_t *out, sms_error_t **err,
                              apr_table_t *args, const char *country_code,
                              apr_pool_t *p);

/* SHA-1 hex of the n parts (NULL as ""), each followed by a NUL byte:
 * the key that makes a repeated callback a duplicate. */
const char *sms_form_dedup_key(int n, const char *const *parts, apr_pool_t *p);

#endif /* SMS_FORM_H */
