/*
 * sms_core.h - types shared by every part of the httpd-free core.
 */
#ifndef SMS_CORE_H
#define SMS_CORE_H

#include <apr_pools.h>
#include <apr_errno.h>
#include <apr_time.h>

/* A failure the API reports in its error envelope:
 * {"error": {"code": code, "message": message, "field": field}}. */
typedef struct sms_error_t {
    int status;          /* HTTP status */
    const char *code;    /* stable machine code, e.g. "invalid_phone" */
    const char *message; /* human sentence */
    const char *field;   /* offending request field, or NULL */
} sms_error_t;

/* Build an error in pool p; message is printf-style. */
sms_error_t *sms_error_make(apr_pool_t *p, int status, const char *code,
                            const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The one storage failure: 503 storage_unavailable (the reply adds
 * Retry-After); what says what was not done, NULL for the usual text. */
sms_error_t *sms_error_storage(apr_pool_t *p, const char *what);

/* Log levels the core uses; the glue maps them to httpd's. */
typedef enum {
    SMS_LOG_ERR = 3,
    SMS_LOG_WARNING = 4,
    SMS_LOG_INFO = 6,
    SMS_LOG_DEBUG = 7
} sms_log_level_e;

/* Where core log lines go: installed once by the glue (httpd's error log). */
typedef void sms_log_fn(void *baton, sms_log_level_e level, apr_status_t rv,
                        const char *msg);

/* Install the log sink; NULL silences the core. */
void sms_log_set(sms_log_fn *fn, void *baton);

/* Log a printf-style line through the installed sink. */
void sms_log(sms_log_level_e level, apr_status_t rv, apr_pool_t *p,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ISO-8601 UTC with Z, to the second: 2026-11-24T04:22:00Z. */
const char *sms_time_format(apr_time_t t, apr_pool_t *p);

/* Parse an ISO-8601 date-time with a Z or +hh:mm offset (fractional
 * seconds allowed); APR_EINVAL when it is not one. */
apr_status_t sms_time_parse(apr_time_t *t, const char *s);

/* True for a sender ID SMS Broadcast accepts: 1-11 ASCII letters and
 * digits, or a phone number of 3-15 digits with an optional '+'. */
int sms_sender_id_ok(const char *s);

#endif /* SMS_CORE_H */
