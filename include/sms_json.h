/*
 * sms_json.h - request JSON decoding with API-shaped errors, and pool
 * ownership of jansson values. httpd-free.
 */
#ifndef SMS_JSON_H
#define SMS_JSON_H

#include <jansson.h>

#include "sms_core.h"

/* Tie a jansson value to pool p (decref on cleanup); returns j. */
json_t *sms_json_pool(json_t *j, apr_pool_t *p);

/* Decode a request body that must be one UTF-8 JSON object with no
 * duplicate keys. The object belongs to p. */
apr_status_t sms_json_parse_object(json_t **out, sms_error_t **err,
                                   const char *buf, apr_size_t len,
                                   apr_pool_t *p);

/* Refuse members of obj not named in allowed (NULL-terminated). */
apr_status_t sms_json_only(sms_error_t **err, json_t *obj,
                           const char *const *allowed, apr_pool_t *p);

/* String member key: *out NULL when absent (an error when required);
 * a non-string value is an error, and so is a string holding a NUL
 * (400 invalid_message). *len may be NULL. */
apr_status_t sms_json_string(const char **out, apr_size_t *len,
                             sms_error_t **err, json_t *obj, const char *key,
                             int required, apr_pool_t *p);

/* Integer member key in [min, max]: *present 0 when absent. */
apr_status_t sms_json_integer(json_int_t *out, int *present, sms_error_t **err,
                              json_t *obj, const char *key, json_int_t min,
                              json_int_t max, apr_pool_t *p);

/* Compact UTF-8 serialisation of j in pool p. */
char *sms_json_dump(json_t *j, apr_pool_t *p);

#endif /* SMS_JSON_H */
