/*
 * sms_status.c - the message status names and the rules that depend on a
 * status alone.
 */
#include <string.h>

#include <apr_strings.h>

#include "sms_status.h"

static const char *const names[SMS_ST_COUNT] = {
    "scheduled", "queued", "sending", "sent",     "delivered",
    "expired",   "failed", "unknown", "cancelled"};

const char *sms_status_name(sms_status_e st)
{
    return st >= 0 && st < SMS_ST_COUNT ? names[st] : NULL;
}

apr_status_t sms_status_parse(sms_status_e *st, const char *name)
{
    int i;

    for (i = 0; name && i < SMS_ST_COUNT; i++) {
        if (!strcmp(names[i], name)) {
            *st = (sms_status_e)i;
            return APR_SUCCESS;
        }
    }
    return APR_EINVAL;
}

const char *sms_status_list(apr_pool_t *p)
{
    const char *out = names[0];
    int i;

    for (i = 1; i < SMS_ST_COUNT; i++) {
        out = apr_pstrcat(p, out, ", ", names[i], NULL);
    }
    return out;
}

int sms_status_is_final(const char *name)
{
    sms_status_e st;

    if (sms_status_parse(&st, name) != APR_SUCCESS) {
        return 0;
    }
    return st == SMS_ST_DELIVERED || st == SMS_ST_EXPIRED ||
           st == SMS_ST_FAILED || st == SMS_ST_UNKNOWN ||
           st == SMS_ST_CANCELLED;
}

int sms_status_receipt_applies(const char *name, int attempts)
{
    sms_status_e st;

    if (sms_status_parse(&st, name) != APR_SUCCESS) {
        return 0;
    }
    switch (st) {
    case SMS_ST_SENDING:
    case SMS_ST_SENT:
    case SMS_ST_UNKNOWN:
        return 1;
    case SMS_ST_QUEUED:
        return attempts > 0;
    default:
        return 0;
    }
}
