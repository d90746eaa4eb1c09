/*
 * sms_core.c - error values and the log sink of the httpd-free core.
 */
#include <stdarg.h>

#include <apr_strings.h>

#include "sms_core.h"

static sms_log_fn *log_fn;
static void *log_baton;

sms_error_t *sms_error_make(apr_pool_t *p, int status, const char *code,
                            const char *field, const char *fmt, ...)
{
    sms_error_t *e = apr_pcalloc(p, sizeof(*e));
    va_list ap;

    va_start(ap, fmt);
    e->message = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    e->status = status;
    e->code = code;
    e->field = field;
    return e;
}

void sms_log_set(sms_log_fn *fn, void *baton)
{
    log_fn = fn;
    log_baton = baton;
}

void sms_log(sms_log_level_e level, apr_status_t rv, apr_pool_t *p,
             const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    if (!log_fn) {
        return;
    }
    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    log_fn(log_baton, level, rv, msg);
}
