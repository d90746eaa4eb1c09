/*
 * tap.h - a minimal Test Anything Protocol emitter for the C unit tests
 * (run by prove). Header-only; each test program includes it once.
 */
#ifndef SMS_TAP_H
#define SMS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_run, tap_failed;

/* Report one test: ok when cond is true; name is printf-style. */
static int tap_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int tap_ok(int cond, const char *fmt, ...)
{
    va_list ap;

    tap_run++;
    if (!cond) {
        tap_failed++;
    }
    printf("%sok %d - ", cond ? "" : "not ", tap_run);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    return cond;
}

/* A diagnostic line, shown by prove on failure. */
static void tap_diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void tap_diag(const char *fmt, ...)
{
    va_list ap;

    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Print the plan and return the process exit status. */
static int tap_done(void)
{
    printf("1..%d\n", tap_run);
    return tap_failed ? 1 : 0;
}

/* ok when two strings are equal (NULL equals nothing); shows both. */
static int tap_is_str(const char *got, const char *want, const char *name)
{
    int same = got && want && !strcmp(got, want);

    tap_ok(same, "%s", name);
    if (!same) {
        tap_diag("  got '%s', want '%s'", got ? got : "(null)",
                 want ? want : "(null)");
    }
    return same;
}

/* ok when two integers are equal; shows both. */
static int tap_is_int(long long got, long long want, const char *name)
{
    tap_ok(got == want, "%s", name);
    if (got != want) {
        tap_diag("  got %lld, want %lld", got, want);
    }
    return got == want;
}

#endif /* SMS_TAP_H */
