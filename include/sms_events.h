/*
 * sms_events.h - delivery of the host application's events (SMSEventURL,
 * API.md section 7) and the SMSLowBalance check, run by the background
 * sender: each event is POSTed as JSON, signed with a timestamped
 * HMAC-SHA256 header, until the host answers 2xx; at least once, in order
 * per subject. httpd-free.
 */
#ifndef SMS_EVENTS_H
#define SMS_EVENTS_H

#include "sms_hostevent.h"
#include "sms_provider.h"

typedef struct sms_events_conf_t {
    const char *url; /* SMSEventURL; NULL: no events */
    const unsigned char *secret;
    apr_size_t secret_len;
    apr_interval_time_t timeout; /* one POST, whole */
    const char *owner;           /* claims' name, unique */
    volatile int *stop;          /* set: the process stops */
    apr_int64_t low_balance;     /* SMSLowBalance; 0: off */
    apr_interval_time_t balance_interval;
    apr_pool_t *pool; /* the child's: the reused libcurl handle */
    void *curl;       /* CURL *, made on first use (the sender thread) */
    apr_time_t purged_at;
    apr_time_t failing_said; /* when a failing host was last logged */
    int failing;             /* the last run failed on the database */
    apr_time_t balance_next; /* no claim of the balance check before */
} sms_events_conf_t;

/* The SMS-Signature header's value for body sent at t (seconds):
 * "t=<t>,v1=<hex HMAC-SHA256 of "<t>.<body>" under key>". */
const char *sms_events_signature(const unsigned char *key, apr_size_t keylen,
                                 apr_int64_t t, const char *body,
                                 apr_pool_t *p);

/* The JSON body of an event: {"id", "type", "created_at", "data"}. */
char *sms_events_body(const sms_hostevent_t *e, apr_pool_t *p);

/* Deliver due events until none is due, the host fails once, or
 * deadline; *delivered counts the host's 2xx answers. */
apr_status_t sms_events_run(int *delivered, sms_db_t *db, sms_events_conf_t *c,
                            apr_time_t deadline, apr_pool_t *p);

/* SMSLowBalance: ask the provider's balance when no one has for
 * c->balance_interval; keep it (SMS_STATE_BALANCE) and write a
 * balance.low event when it has just gone under c->low_balance. */
apr_status_t sms_events_balance_check(sms_db_t *db, sms_provider_t *pv,
                                      sms_events_conf_t *c, apr_pool_t *p);

#endif /* SMS_EVENTS_H */
