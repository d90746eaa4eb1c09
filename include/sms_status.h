/*
 * sms_status.h - the message status vocabulary: one enum, one table of
 * names (the schemas' CHECK lists say the same; test_status checks it),
 * and the rules that depend only on a status. httpd-free.
 */
#ifndef SMS_STATUS_H
#define SMS_STATUS_H

#include "sms_core.h"

typedef enum {
    SMS_ST_SCHEDULED = 0,
    SMS_ST_QUEUED,
    SMS_ST_SENDING,
    SMS_ST_SENT,
    SMS_ST_DELIVERED,
    SMS_ST_EXPIRED,
    SMS_ST_FAILED,
    SMS_ST_UNKNOWN,
    SMS_ST_CANCELLED,
    SMS_ST_COUNT
} sms_status_e;

/* The API's (and the database's) name of st. */
const char *sms_status_name(sms_status_e st);

/* The status named name, or APR_EINVAL. */
apr_status_t sms_status_parse(sms_status_e *st, const char *name);

/* "scheduled, queued, ..." for messages that list the accepted names. */
const char *sms_status_list(apr_pool_t *p);

/* Whether name is a final status (never moves again). */
int sms_status_is_final(const char *name);

/* Whether a delivery receipt may finish a message in this status after
 * this many provider attempts: only one that was in a provider request
 * (queued again after a transient failure counts; never a message the
 * provider has not been given). */
int sms_status_receipt_applies(const char *name, int attempts);

#endif /* SMS_STATUS_H */
