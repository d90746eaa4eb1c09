/*
 * sms_core.c - error values and the log sink of the httpd-free core.
 */
#include <stdarg.h>

#include <string.h>

#include <apr_lib.h>
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

sms_error_t *sms_error_storage(apr_pool_t *p, const char *what)
{
    return sms_error_make(p, 503, "storage_unavailable", NULL, "%s",
                          what ? what : "the database did not answer");
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

const char *sms_time_format(apr_time_t t, apr_pool_t *p)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", x.tm_year + 1900,
                        x.tm_mon + 1, x.tm_mday, x.tm_hour, x.tm_min, x.tm_sec);
}

/* n digits at *s as a number; advances *s. -1 when not n digits. */
static int digits(const char **s, int n)
{
    int v = 0;

    while (n-- > 0) {
        if (!apr_isdigit(**s)) {
            return -1;
        }
        v = v * 10 + (*(*s)++ - '0');
    }
    return v;
}

/* Days in month mon (0-11) of a Gregorian year. */
static int days_in_month(int year, int mon)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return days[mon] + (mon == 1 && leap);
}

apr_status_t sms_time_parse(apr_time_t *t, const char *s)
{
    apr_time_exp_t x;
    int offset = 0, sign;
    apr_time_t usec = 0, scale = 100000;

    memset(&x, 0, sizeof(x));
    x.tm_year = digits(&s, 4) - 1900;
    if (*s++ != '-' || (x.tm_mon = digits(&s, 2) - 1) < 0 || *s++ != '-' ||
        (x.tm_mday = digits(&s, 2)) < 1 ||
        (*s != 'T' && *s != 't' && *s != ' ')) {
        return APR_EINVAL;
    }
    s++;
    if ((x.tm_hour = digits(&s, 2)) < 0 || *s++ != ':' ||
        (x.tm_min = digits(&s, 2)) < 0 || *s++ != ':' ||
        (x.tm_sec = digits(&s, 2)) < 0) {
        return APR_EINVAL;
    }
    if (*s == '.') {
        s++;
        if (!apr_isdigit(*s)) {
            return APR_EINVAL;
        }
        for (; apr_isdigit(*s); s++) {
            usec += (*s - '0') * scale;
            scale /= 10;
        }
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    }
    else if (*s == '+' || *s == '-') {
        int h, m;
        sign = *s++ == '-' ? -1 : 1;
        if ((h = digits(&s, 2)) < 0 || *s++ != ':' || (m = digits(&s, 2)) < 0 ||
            h > 23 || m > 59) {
            return APR_EINVAL;
        }
        offset = sign * (h * 3600 + m * 60);
    }
    else {
        return APR_EINVAL;
    }
    if (*s || x.tm_year < 70 || x.tm_mon > 11 ||
        x.tm_mday > days_in_month(x.tm_year + 1900, x.tm_mon) ||
        x.tm_hour > 23 || x.tm_min > 59 || x.tm_sec > 60) {
        return APR_EINVAL; /* 2027-02-30 is no day, not 2 March */
    }
    x.tm_usec = (apr_int32_t)usec;
    if (apr_time_exp_gmt_get(t, &x) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *t -= apr_time_from_sec(offset);
    return APR_SUCCESS;
}

int sms_sender_id_ok(const char *s)
{
    apr_size_t n = 0;
    const char *d = *s == '+' ? s + 1 : s;

    for (; apr_isdigit(d[n]); n++)
        ;
    if (!d[n] && n >= 3 && n <= 15) {
        return 1;
    }
    for (n = 0; s[n]; n++) {
        if (!apr_isalnum(s[n]) || (unsigned char)s[n] >= 0x80) {
            return 0;
        }
    }
    return n >= 1 && n <= 11;
}
