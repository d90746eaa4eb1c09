/*
 * test_window.c - send windows (API.md section 7): parsing, time zone
 * names, and "inside?" / "next opening" across both 2027 Australian
 * daylight saving changes (Sydney: ends Sunday 4 April 03:00 AEDT ->
 * 02:00 AEST, starts Sunday 3 October 02:00 AEST -> 03:00 AEDT), zones
 * without daylight saving or on the half hour, New Zealand, windows
 * opening in a skipped or repeated hour, and windows crossing midnight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "sms_window.h"
#include "tap.h"

/* zone, window, instant (UTC), inside?, next opening at or after it */
static const struct {
    const char *zone, *window, *at;
    int inside;
    const char *next, *why;
} cases[] = {
    /* an ordinary summer day in Sydney (AEDT, UTC+11) */
    {"Australia/Sydney", "08:00-20:00", "2027-03-01T20:55:00Z", 0,
     "2027-03-01T21:00:00Z", "07:55 AEDT waits for 08:00"},
    {"Australia/Sydney", "08:00-20:00", "2027-03-01T21:00:00Z", 1,
     "2027-03-01T21:00:00Z", "08:00 AEDT is inside"},
    {"Australia/Sydney", "08:00-20:00", "2027-03-02T08:59:59Z", 1,
     "2027-03-02T08:59:59Z", "19:59:59 AEDT is inside"},
    {"Australia/Sydney", "08:00-20:00", "2027-03-02T09:00:00Z", 0,
     "2027-03-02T21:00:00Z", "20:00 AEDT closes: next morning"},
    {"Australia/Sydney", "08:00-20:00", "2027-03-02T10:00:00Z", 0,
     "2027-03-02T21:00:00Z", "21:00 AEDT waits for 08:00 next day"},
    /* daylight saving ends: Sunday 4 April 2027, 03:00 AEDT -> 02:00 AEST */
    {"Australia/Sydney", "08:00-20:00", "2027-04-03T10:00:00Z", 0,
     "2027-04-03T22:00:00Z", "Sat 21:00 AEDT -> Sun 08:00 AEST (UTC+10)"},
    {"Australia/Sydney", "08:00-20:00", "2027-04-03T21:00:00Z", 0,
     "2027-04-03T22:00:00Z", "Sun 07:00 AEST (08:00 on Saturday's offset)"},
    {"Australia/Sydney", "08:00-20:00", "2027-04-03T21:59:59Z", 0,
     "2027-04-03T22:00:00Z", "Sun 07:59:59 AEST"},
    {"Australia/Sydney", "08:00-20:00", "2027-04-03T22:00:00Z", 1,
     "2027-04-03T22:00:00Z", "Sun 08:00 AEST opens"},
    {"Australia/Sydney", "08:00-20:00", "2027-04-04T09:59:59Z", 1,
     "2027-04-04T09:59:59Z", "Sun 19:59:59 AEST"},
    {"Australia/Sydney", "08:00-20:00", "2027-04-04T10:00:00Z", 0,
     "2027-04-04T22:00:00Z", "Sun 20:00 AEST closes"},
    /* daylight saving starts: Sunday 3 October 2027, 02:00 AEST -> 03:00
     * AEDT */
    {"Australia/Sydney", "08:00-20:00", "2027-10-02T11:00:00Z", 0,
     "2027-10-02T21:00:00Z", "Sat 21:00 AEST -> Sun 08:00 AEDT (UTC+11)"},
    {"Australia/Sydney", "08:00-20:00", "2027-10-02T20:59:59Z", 0,
     "2027-10-02T21:00:00Z", "Sun 07:59:59 AEDT"},
    {"Australia/Sydney", "08:00-20:00", "2027-10-02T21:00:00Z", 1,
     "2027-10-02T21:00:00Z", "Sun 08:00 AEDT opens"},
    {"Australia/Sydney", "08:00-20:00", "2027-10-03T08:59:59Z", 1,
     "2027-10-03T08:59:59Z", "Sun 19:59:59 AEDT"},
    {"Australia/Sydney", "08:00-20:00", "2027-10-03T09:00:00Z", 0,
     "2027-10-03T21:00:00Z", "Sun 20:00 AEDT closes"},
    /* an opening inside the skipped hour (02:00-03:00 on 3 October) opens
     * when the clock jumps to 03:00 */
    {"Australia/Sydney", "02:30-20:00", "2027-10-01T16:00:00Z", 0,
     "2027-10-01T16:30:00Z", "Sat 02:00 AEST: opens 02:30 as usual"},
    {"Australia/Sydney", "02:30-20:00", "2027-10-02T15:59:59Z", 0,
     "2027-10-02T16:00:00Z", "Sun 01:59:59 AEST: opens at the jump"},
    {"Australia/Sydney", "02:30-20:00", "2027-10-02T16:00:00Z", 1,
     "2027-10-02T16:00:00Z", "Sun 03:00 AEDT (02:30 never shown) is open"},
    /* an opening inside the repeated hour (02:00-03:00 twice on 4 April)
     * opens at its first occurrence and stays open through the repeat */
    {"Australia/Sydney", "02:30-20:00", "2027-04-03T15:29:59Z", 0,
     "2027-04-03T15:30:00Z", "Sun 02:29:59 AEDT: first 02:30 next"},
    {"Australia/Sydney", "02:30-20:00", "2027-04-03T15:30:00Z", 1,
     "2027-04-03T15:30:00Z", "Sun 02:30 AEDT opens"},
    {"Australia/Sydney", "02:30-20:00", "2027-04-03T16:10:00Z", 1,
     "2027-04-03T16:10:00Z", "Sun 02:10 AEST (repeat) stays open"},
    /* a window crossing midnight: 20:00 until 08:00 the next morning */
    {"Australia/Sydney", "20:00-08:00", "2027-03-02T12:00:00Z", 1,
     "2027-03-02T12:00:00Z", "23:00 AEDT inside an overnight window"},
    {"Australia/Sydney", "20:00-08:00", "2027-03-02T20:59:59Z", 1,
     "2027-03-02T20:59:59Z", "07:59:59 AEDT next morning still inside"},
    {"Australia/Sydney", "20:00-08:00", "2027-03-02T21:00:00Z", 0,
     "2027-03-03T09:00:00Z", "08:00 AEDT closes: opens 20:00"},
    {"Australia/Sydney", "20:00-08:00", "2027-03-02T05:00:00Z", 0,
     "2027-03-02T09:00:00Z", "16:00 AEDT waits for 20:00"},
    {"Australia/Sydney", "20:00-08:00", "2027-04-03T21:30:00Z", 1,
     "2027-04-03T21:30:00Z", "overnight across the DST end: Sun 07:30 AEST"},
    {"Australia/Sydney", "20:00-08:00", "2027-04-03T22:00:00Z", 0,
     "2027-04-04T10:00:00Z", "overnight across the DST end closes 08:00 AEST"},
    {"Australia/Sydney", "08:00-24:00", "2027-03-02T12:59:59Z", 1,
     "2027-03-02T12:59:59Z", "24:00 closes at midnight: 23:59:59 inside"},
    {"Australia/Sydney", "08:00-24:00", "2027-03-02T13:00:00Z", 0,
     "2027-03-02T21:00:00Z", "24:00 closes at midnight: 00:00 outside"},
    /* Brisbane: no daylight saving, UTC+10 all year */
    {"Australia/Brisbane", "08:00-20:00", "2027-10-02T21:00:00Z", 0,
     "2027-10-02T22:00:00Z", "Brisbane 07:00 on Sydney's DST day"},
    {"Australia/Brisbane", "08:00-20:00", "2027-04-03T22:00:00Z", 1,
     "2027-04-03T22:00:00Z", "Brisbane 08:00 on 4 April"},
    /* Adelaide: half-hour offsets, ACST +9:30 -> ACDT +10:30 on 3 October */
    {"Australia/Adelaide", "08:00-20:00", "2027-10-01T22:00:00Z", 0,
     "2027-10-01T22:30:00Z", "Adelaide Sat 07:30 ACST"},
    {"Australia/Adelaide", "08:00-20:00", "2027-10-02T12:00:00Z", 0,
     "2027-10-02T21:30:00Z", "Adelaide Sat 21:30 ACST -> Sun 08:00 ACDT"},
    {"Australia/Adelaide", "08:00-20:00", "2027-04-03T22:30:00Z", 1,
     "2027-04-03T22:30:00Z", "Adelaide Sun 08:00 ACST after the DST end"},
    /* Auckland: NZDT +13 until 4 April 03:00, NZST +12 until 26 September */
    {"Pacific/Auckland", "08:00-20:00", "2027-04-03T10:00:00Z", 0,
     "2027-04-03T20:00:00Z", "Auckland Sat 23:00 NZDT -> Sun 08:00 NZST"},
    {"Pacific/Auckland", "08:00-20:00", "2027-09-25T10:00:00Z", 0,
     "2027-09-25T19:00:00Z", "Auckland Sat 22:00 NZST -> Sun 08:00 NZDT"},
    {"Pacific/Auckland", "08:00-20:00", "2027-09-25T19:00:00Z", 1,
     "2027-09-25T19:00:00Z", "Auckland Sun 08:00 NZDT"},
    {"UTC", "08:00-20:00", "2027-01-01T07:59:59Z", 0, "2027-01-01T08:00:00Z",
     "UTC"},
};

static void test_cases(apr_pool_t *p)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        sms_window_t w;
        const char *why = NULL;
        apr_time_t at = 0, next;

        if (sms_window_parse(&w, &why, cases[i].window, p) != APR_SUCCESS ||
            sms_time_parse(&at, cases[i].at) != APR_SUCCESS) {
            tap_ok(0, "case %d parses", (int)i);
            continue;
        }
        w.zone = cases[i].zone;
        tap_ok(sms_window_inside(&w, at) == cases[i].inside,
               "%s %s at %s: %s (%s)", cases[i].zone, cases[i].window,
               cases[i].at, cases[i].inside ? "inside" : "outside",
               cases[i].why);
        next = sms_window_next(&w, at);
        tap_is_str(sms_time_format(next, p), cases[i].next,
                   apr_psprintf(p, "%s %s at %s: next %s", cases[i].zone,
                                cases[i].window, cases[i].at, cases[i].why));
        tap_ok(sms_window_inside(&w, next), "the next opening is inside");
    }
}

/* Every minute of a year in Sydney: inside exactly when the local wall
 * clock reads 08:00-19:59, and next() is inside, never earlier, and no
 * later than the first inside minute. */
static void test_year(apr_pool_t *p)
{
    sms_window_t w;
    const char *why;
    apr_time_t t, end, next;
    int bad_inside = 0, bad_next = 0, minutes = 0;
    struct tm tm;
    time_t s;

    sms_window_parse(&w, &why, "08:00-20:00", p);
    w.zone = "Australia/Sydney";
    setenv("TZ", "Australia/Sydney", 1);
    tzset();
    sms_time_parse(&t, "2027-01-01T00:00:00Z");
    sms_time_parse(&end, "2028-01-01T00:00:00Z");
    for (; t < end; t += apr_time_from_sec(15 * 60)) {
        int inside;
        s = (time_t)apr_time_sec(t);
        localtime_r(&s, &tm);
        inside = tm.tm_hour >= 8 && tm.tm_hour < 20;
        bad_inside += sms_window_inside(&w, t) != inside;
        next = sms_window_next(&w, t);
        if (next < t || !sms_window_inside(&w, next) ||
            (next > t && sms_window_inside(&w, next - apr_time_from_sec(1)))) {
            bad_next++;
        }
        minutes++;
    }
    tap_ok(minutes == 365 * 96, "2027: %d quarter hours", minutes);
    tap_is_int(bad_inside, 0,
               "2027 in Sydney, every quarter hour: inside agrees with the "
               "C library's local time (the system tz database)");
    tap_is_int(bad_next, 0,
               "2027 in Sydney, every quarter hour: next is the first "
               "instant inside");
}

static void test_parse(apr_pool_t *p)
{
    static const struct {
        const char *spec;
        int open, close;
    } good[] = {{"08:00-20:00", 480, 1200}, {"8:00-20:00", 480, 1200},
                {"20:00-08:00", 1200, 480}, {"00:00-23:59", 0, 1439},
                {"08:30-24:00", 510, 1440}, {"23:59-00:00", 1439, 0}};
    static const char *const bad[] = {"",
                                      "08:00",
                                      "08:00-",
                                      "8-20",
                                      "0800-2000",
                                      "08:00-20:00x",
                                      "08:60-20:00",
                                      "24:00-08:00",
                                      "08:00-24:30",
                                      "08:00 - 20:00",
                                      "08:00-08:00",
                                      "00:00-24:00",
                                      "-08:00-20:00",
                                      "008:00-20:00",
                                      "08:0-20:00",
                                      "8am-8pm",
                                      "08:00-20:00-21:00"};
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
        sms_window_t w;
        const char *why = NULL;
        tap_ok(sms_window_parse(&w, &why, good[i].spec, p) == APR_SUCCESS &&
                   w.open == good[i].open && w.close == good[i].close,
               "window '%s' parses", good[i].spec);
    }
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        sms_window_t w;
        const char *why = NULL;
        tap_ok(sms_window_parse(&w, &why, bad[i], p) == APR_EINVAL && why &&
                   (strstr(why, "HH:MM-HH:MM") || strstr(why, "same time")),
               "window '%s' is refused: %s", bad[i], why ? why : "(no why)");
    }
    {
        sms_window_t w = {480, 1200, "UTC"};
        tap_is_str(sms_window_format(&w, p), "08:00-20:00", "format");
    }
}

static void test_zones(apr_pool_t *p)
{
    static const char *const good[] = {
        "Australia/Sydney", "Australia/Brisbane", "Australia/Adelaide",
        "Australia/Perth",  "Pacific/Auckland",   "UTC",
        "Etc/UTC",          "Australia/NSW"};
    static const char *const bad[] = {
        "australia/sydney",
        "Mars/Olympus",
        "GMT+10",
        "",
        "Etc/Unknown",
        "Australia/Sydney ",
        "Sydney",
        "Australia/Sydney/Australia/Sydney/Australia/Sydney/Australia/Sydney"};
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
        const char *why = NULL;
        tap_ok(sms_window_zone(&why, good[i], p) == APR_SUCCESS,
               "zone %s is known", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        const char *why = NULL;
        tap_ok(sms_window_zone(&why, bad[i], p) == APR_EINVAL && why &&
                   strstr(why, "Australia/Sydney"),
               "zone '%s' is refused: %s", bad[i], why ? why : "(no why)");
    }
}

static void test_clock(void)
{
    char file[] = "/tmp/sms-clock-XXXXXX";
    int fd = mkstemp(file);
    apr_time_t want, now = apr_time_now(), got;

    sms_time_parse(&want, "2027-03-01T20:55:00Z");
    tap_ok(fd >= 0 && write(fd, "2027-03-01T20:55:00Z\n", 21) == 21,
           "clock file written");
    tap_ok(sms_clock_now(file) == want, "the test clock reads its file");
    if (ftruncate(fd, 0) == 0 && write(fd, "garbage", 7) == 7) {
        got = sms_clock_now(file);
        tap_ok(got >= now && got - now < apr_time_from_sec(60),
               "a file without a time: the real time");
    }
    close(fd);
    unlink(file);
    got = sms_clock_now(file);
    tap_ok(got >= now && got - now < apr_time_from_sec(60),
           "no file: the real time");
    got = sms_clock_now(NULL);
    tap_ok(got >= now && got - now < apr_time_from_sec(60),
           "no clock: the real time");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_parse(p);
    test_zones(p);
    test_cases(p);
    test_year(p);
    test_clock();
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
