/*
 * sms_sender.h - the outbox: hand committed messages to the provider
 * exactly once and record what became of each. httpd-free; the glue runs
 * sms_sender_run() from a mod_watchdog singleton and sms_sender_send()
 * inside a request (SMSSendMode sync).
 */
#ifndef SMS_SENDER_H
#define SMS_SENDER_H

#include "sms_provider.h"
#include "sms_store.h"
#include "sms_window.h"

#define SMS_PACE_SLOTS 256

/* SMSRateLimit's record of the last second's provider requests (time and
 * recipients), kept across runs of one server's sender. */
typedef struct sms_pace_t {
    apr_time_t at[SMS_PACE_SLOTS];
    int n[SMS_PACE_SLOTS];
    int head;  /* oldest entry */
    int count; /* entries in use */
    int sum;   /* recipients of the entries */
} sms_pace_t;

typedef struct sms_sender_conf_t {
    int retry_limit; /* transient retries after the first try */
    apr_interval_time_t retry_backoff; /* base of the exponential backoff */
    int batch_size;                    /* recipients per provider request */
    int rate_limit;                    /* messages per second, 0 = no limit */
    apr_interval_time_t lease;         /* how long a claim or a call is ours */
    const char *owner;                 /* this sender's name, unique */
    sms_pace_t *pace;                  /* only the sender thread writes it */
    volatile int *stop;                /* set: the process stops, start no
                                        * provider call (NULL: never) */
    const sms_window_t *window;        /* SMSSendWindow, NULL: any time */
    const char *clock;                 /* SMSTestClock's file, or NULL */
} sms_sender_conf_t;

/* Name of the sms_state fact that says why the provider refuses us. */
#define SMS_STATE_PROVIDER_ERROR "provider_error"

/* One pass of the background sender until nothing is due or deadline:
 * mark abandoned in-flight messages unknown, claim due messages, send
 * them in groups of identical text. *handed counts recipients given to
 * the provider. When *c->stop is set it ends after the provider call in
 * progress and gives back the claims it has not used. */
apr_status_t sms_sender_run(int *handed, sms_db_t *db, sms_provider_t *pv,
                            const sms_sender_conf_t *c, apr_time_t deadline,
                            apr_pool_t *p);

/* Send messages the caller committed as "sending" under its own lease
 * (sync mode): one provider request, outcomes recorded; each message's
 * status is updated in msgs. */
apr_status_t sms_sender_send(sms_db_t *db, sms_provider_t *pv,
                             const sms_sender_conf_t *c,
                             apr_array_header_t *msgs, apr_pool_t *p);

#endif /* SMS_SENDER_H */
