/*
 * sms_json.h - request JSON decoding with API-shaped errors, and pool
 * ownership of jansson values. httpd-free.
 */
#ifndef SMS_JSON_H
#define SMS_JSON_H

#include <apr_tables.h>
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

/* A JSON text written straight into one growing buffer, for answers made
 * of many objects (a history page): no tree of values, no allocation per
 * member. Output as sms_json_dump's: compact, UTF-8 kept, control
 * characters escaped. The caller writes a valid shape; members and array
 * elements are separated by the writer. */
typedef struct sms_jw_t {
    apr_array_header_t *buf; /* chars */
    int comma;               /* the next member or element needs one */
} sms_jw_t;

void sms_jw_init(sms_jw_t *w, apr_size_t hint, apr_pool_t *p);
/* '{' or '[' (after a comma when one is due), and '}' or ']'. */
void sms_jw_open(sms_jw_t *w, char c);
void sms_jw_close(sms_jw_t *w, char c);
/* A member's key (and a comma when one is due); its value follows. */
void sms_jw_key(sms_jw_t *w, const char *key);
/* Values: a string (NULL: null), an integer, JSON text as it is. */
void sms_jw_str(sms_jw_t *w, const char *s);
void sms_jw_int(sms_jw_t *w, apr_int64_t v);
void sms_jw_raw(sms_jw_t *w, const char *text);
/* The text so far (NUL-terminated, in the writer's pool). */
const char *sms_jw_text(sms_jw_t *w);

#endif /* SMS_JSON_H */
