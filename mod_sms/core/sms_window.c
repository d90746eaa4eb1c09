/*
 * sms_window.c - send windows: "HH:MM-HH:MM" in an IANA time zone, and
 * whether an instant is inside, through ICU's calendar (ucal_*), which
 * knows every zone's daylight saving rules.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "sms_window.h"

#define DAY_MINUTES 1440
#define ZONE_MAX 64

/* "H:MM" or "HH:MM" at *s, at most max_hour (24 only as 24:00). */
static int parse_time(const char **s, int max_hour)
{
    const char *c = *s;
    int h = 0, digits = 0, m;

    while (apr_isdigit(*c) && digits < 2) {
        h = h * 10 + (*c++ - '0');
        digits++;
    }
    if (!digits || *c != ':' || !apr_isdigit(c[1]) || !apr_isdigit(c[2])) {
        return -1;
    }
    m = (c[1] - '0') * 10 + (c[2] - '0');
    if (h > max_hour || m > 59 || (h == 24 && m)) {
        return -1;
    }
    *s = c + 3;
    return h * 60 + m;
}

apr_status_t sms_window_parse(sms_window_t *w, const char **why,
                              const char *spec, apr_pool_t *p)
{
    const char *s = spec;
    int open = parse_time(&s, 23), close = -1;

    if (open >= 0 && *s == '-') {
        s++;
        close = parse_time(&s, 24);
    }
    if (open < 0 || close < 0 || *s) {
        *why = apr_pstrcat(p,
                           "expects local opening and closing times "
                           "HH:MM-HH:MM on the 24-hour clock, such as "
                           "08:00-20:00 (got '",
                           spec, "')", NULL);
        return APR_EINVAL;
    }
    if (open == close % DAY_MINUTES) {
        *why = apr_pstrcat(p, "'", spec,
                           "' opens and closes at the same time; "
                           "leave the directive out to send at any time",
                           NULL);
        return APR_EINVAL;
    }
    w->open = open;
    w->close = close;
    return APR_SUCCESS;
}

apr_status_t sms_window_zone(const char **why, const char *zone, apr_pool_t *p)
{
    UChar in[ZONE_MAX], out[ZONE_MAX];
    UErrorCode ec = U_ZERO_ERROR;
    UBool is_system = 0;

    if (!zone || !*zone || strlen(zone) >= ZONE_MAX) {
        *why = "expects an IANA time zone name such as Australia/Sydney";
        return APR_EINVAL;
    }
    u_uastrncpy(in, zone, ZONE_MAX);
    ucal_getCanonicalTimeZoneID(in, -1, out, ZONE_MAX, &is_system, &ec);
    if (U_FAILURE(ec) || !is_system) {
        /* an unknown name would silently be GMT in ucal_open */
        *why = apr_pstrcat(p, "'", zone,
                           "' is not a time zone of the tz database; "
                           "expects an IANA name such as Australia/Sydney "
                           "(case matters)",
                           NULL);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* A calendar in w's zone, resolving wall times the way the header says:
 * a repeated time is its first occurrence, a skipped one the instant the
 * clock jumps. NULL when ICU fails. */
static UCalendar *open_calendar(const sms_window_t *w)
{
    UChar zone[ZONE_MAX];
    UErrorCode ec = U_ZERO_ERROR;
    UCalendar *cal;

    u_uastrncpy(zone, w->zone, ZONE_MAX);
    cal = ucal_open(zone, -1, "en_US_POSIX", UCAL_GREGORIAN, &ec);
    if (U_FAILURE(ec)) {
        if (cal) {
            ucal_close(cal);
        }
        return NULL;
    }
    ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
    ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
    return cal;
}

/* The local date (year, month, day) of instant t. */
typedef struct {
    int32_t y, m, d;
} local_day_t;

static int day_of(local_day_t *day, UCalendar *cal, apr_time_t t)
{
    UErrorCode ec = U_ZERO_ERROR;

    ucal_setMillis(cal, (UDate)apr_time_as_msec(t), &ec);
    day->y = ucal_get(cal, UCAL_YEAR, &ec);
    day->m = ucal_get(cal, UCAL_MONTH, &ec);
    day->d = ucal_get(cal, UCAL_DATE, &ec);
    return U_SUCCESS(ec);
}

/* The first instant the clock shows minutes (0..1440) on day + shift days
 * (the calendar is lenient: day 32 is the 1st of the next month). */
static int wall(apr_time_t *at, UCalendar *cal, const local_day_t *day,
                int shift, int minutes)
{
    UErrorCode ec = U_ZERO_ERROR;
    UDate ms;

    ucal_clear(cal);
    ucal_setDateTime(cal, day->y, day->m, day->d + shift, minutes / 60,
                     minutes % 60, 0, &ec);
    ms = ucal_getMillis(cal, &ec);
    *at = (apr_time_t)ms * 1000;
    return U_SUCCESS(ec);
}

/* The window that opens on day + shift: [*from, *to). */
static int span(apr_time_t *from, apr_time_t *to, UCalendar *cal,
                const sms_window_t *w, const local_day_t *day, int shift)
{
    return wall(from, cal, day, shift, w->open) &&
           wall(to, cal, day, shift + (w->close < w->open), w->close);
}

int sms_window_inside(const sms_window_t *w, apr_time_t t)
{
    UCalendar *cal = open_calendar(w);
    local_day_t day;
    apr_time_t from, to;
    int inside = 1, shift;

    if (cal && day_of(&day, cal, t)) {
        inside = 0;
        /* a window crossing midnight may have opened yesterday */
        for (shift = w->close < w->open ? -1 : 0; shift <= 0; shift++) {
            if (!span(&from, &to, cal, w, &day, shift)) {
                inside = 1;
                break;
            }
            if (from <= t && t < to) {
                inside = 1;
                break;
            }
        }
    }
    if (cal) {
        ucal_close(cal);
    }
    return inside;
}

apr_time_t sms_window_next(const sms_window_t *w, apr_time_t t)
{
    UCalendar *cal;
    local_day_t day;
    apr_time_t from, to, next = t;
    int shift;

    if (sms_window_inside(w, t) || !(cal = open_calendar(w))) {
        return t;
    }
    if (day_of(&day, cal, t)) {
        /* the first opening after t of a window that is not empty (one
         * whose both ends fall in the same skipped hour is) */
        for (shift = 0; shift <= 2; shift++) {
            if (!span(&from, &to, cal, w, &day, shift)) {
                break;
            }
            if (from >= t && from < to) {
                next = from;
                break;
            }
        }
    }
    ucal_close(cal);
    return next;
}

const char *sms_window_format(const sms_window_t *w, apr_pool_t *p)
{
    return apr_psprintf(p, "%02d:%02d-%02d:%02d", w->open / 60, w->open % 60,
                        w->close / 60, w->close % 60);
}

apr_time_t sms_clock_now(const char *file)
{
    char buf[64];
    ssize_t n = 0;
    apr_time_t t;
    int fd;

    if (!file) {
        return apr_time_now();
    }
    if ((fd = open(file, O_RDONLY | O_CLOEXEC)) >= 0) {
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
    }
    if (n < 0) {
        n = 0;
    }
    while (n > 0 && apr_isspace(buf[n - 1])) {
        n--;
    }
    buf[n] = '\0';
    return n && sms_time_parse(&t, buf) == APR_SUCCESS ? t : apr_time_now();
}
