/*
 * sms_window.h - send windows (API.md section 7): the hours of the day, in
 * the clinic's IANA time zone, in which bulk, scheduled and retried
 * messages may be handed to the provider. httpd-free; the time zone
 * arithmetic (daylight saving included) is ICU's calendar (ucal_*).
 *
 * A window is the span from the first instant the local clock shows the
 * opening time to the first instant it shows the closing time: an opening
 * inside a skipped hour (daylight saving starts) opens when the clock
 * jumps, and one inside a repeated hour (daylight saving ends) opens at
 * its first occurrence and stays open through the repeat. A closing time
 * earlier than the opening crosses midnight: 20:00-08:00 is open from
 * 20:00 until 08:00 the next morning.
 */
#ifndef SMS_WINDOW_H
#define SMS_WINDOW_H

#include "sms_core.h"

typedef struct sms_window_t {
    int open;         /* minutes after local midnight, 0..1439 */
    int close;        /* minutes after local midnight, 0..1440, != open;
                       * < open: the window crosses midnight */
    const char *zone; /* IANA zone name, checked by sms_window_zone */
} sms_window_t;

/* Parse "HH:MM-HH:MM" (24-hour clock, 24:00 allowed as a closing time)
 * into w's open and close; on APR_EINVAL *why says what is wrong. */
apr_status_t sms_window_parse(sms_window_t *w, const char **why,
                              const char *spec, apr_pool_t *p);

/* APR_SUCCESS when zone is a time zone of the tz database ICU knows
 * (Australia/Sydney; case matters); else APR_EINVAL and *why (ICU would
 * silently use GMT for an unknown name). */
apr_status_t sms_window_zone(const char **why, const char *zone, apr_pool_t *p);

/* True when instant t is inside the window (true too when ICU fails, so
 * that nothing waits forever on an error). */
int sms_window_inside(const sms_window_t *w, apr_time_t t);

/* The earliest instant at or after t inside the window: t itself when
 * inside, else the window's next opening. */
apr_time_t sms_window_next(const sms_window_t *w, apr_time_t t);

/* "08:00-20:00" */
const char *sms_window_format(const sms_window_t *w, apr_pool_t *p);

/* Now: the real time, or for the test suite only (SMSTestClock) the
 * ISO-8601 instant held in file when it holds one. */
apr_time_t sms_clock_now(const char *file);

#endif /* SMS_WINDOW_H */
