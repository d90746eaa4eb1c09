/*
 * sms_hostevent.h - the event outbox of the host application
 * (SMSEventURL, API.md section 7): rows written in the transaction of the
 * change they report, claimed under a lease and delivered by the
 * background sender (sender/sms_events.c), in id order per subject (a
 * message, a number), at least once. httpd-free.
 *
 * (sms_event_t in sms_store.h is a message's status history, not this.)
 */
#ifndef SMS_HOSTEVENT_H
#define SMS_HOSTEVENT_H

#include "sms_store.h"

/* One event of the outbox; 0 / NULL where the column is NULL. */
typedef struct sms_hostevent_t {
    apr_int64_t id;
    const char *type; /* message.final, inbound.received, optout.changed,
                         balance.low */
    apr_int64_t message_id;
    const char *patient_id;
    const char *status;
    const char *number;
    apr_int64_t batch_id;
    const char *detail;
    const char *data; /* JSON object of the type's own fields, or NULL */
    apr_time_t created_at;
    int attempts;
} sms_hostevent_t;

/* --- written with the change (nothing when db->hostevents is 0) ------- */

/* message.final for the n messages of ids, which this transaction has
 * just made final: their status, number, patient and error as stored. */
apr_status_t sms_store_hostevent_final(sms_db_t *db, const apr_int64_t *ids,
                                       int n, apr_time_t now, apr_pool_t *p);

/* inbound.received for a stored reply: who sent it, the patients it is
 * linked to (const char *), the message it answers (0: none), its intent
 * and keyword effect ("out", "in" or NULL). */
apr_status_t sms_store_hostevent_inbound(sms_db_t *db, apr_int64_t inbound_id,
                                         const char *from, apr_int64_t reply_to,
                                         const apr_array_header_t *patients,
                                         const char *intent, const char *opt,
                                         apr_time_t now, apr_pool_t *p);

/* optout.changed: number opted out (or back in), by an inbound keyword
 * (source "inbound") or a user ("user", user set). */
apr_status_t sms_store_hostevent_optout(sms_db_t *db, const char *number,
                                        int opted_out, const char *source,
                                        const char *user, apr_time_t now,
                                        apr_pool_t *p);

/* balance.low: the provider's balance went under threshold. */
apr_status_t sms_store_hostevent_balance(sms_db_t *db, apr_int64_t credits,
                                         apr_int64_t threshold, apr_time_t now,
                                         apr_pool_t *p);

/* --- delivery ----------------------------------------------------------- */

/* Lease up to limit due events to owner until lease_until: per subject
 * only the oldest undelivered one, so a subject's events go in order;
 * FOR UPDATE SKIP LOCKED on pgsql. *n how many. */
apr_status_t sms_store_hostevent_claim(int *n, sms_db_t *db, const char *owner,
                                       apr_time_t now, apr_time_t lease_until,
                                       int limit, apr_pool_t *p);
/* The undelivered events owner holds, by id (array of sms_hostevent_t). */
apr_status_t sms_store_hostevent_claimed(apr_array_header_t **evs, sms_db_t *db,
                                         const char *owner, apr_pool_t *p);
/* The host took event id (2xx). */
apr_status_t sms_store_hostevent_done(sms_db_t *db, apr_int64_t id,
                                      const char *owner, apr_time_t now,
                                      apr_pool_t *p);
/* Event id failed (error says how): try again at next_at. */
apr_status_t sms_store_hostevent_retry(sms_db_t *db, apr_int64_t id,
                                       const char *owner, apr_time_t next_at,
                                       const char *error, apr_pool_t *p);
/* Give back owner's claims it has not used; *n how many. */
apr_status_t sms_store_hostevent_release(int *n, sms_db_t *db,
                                         const char *owner, apr_pool_t *p);
/* Forget events delivered before `before`. */
apr_status_t sms_store_hostevent_purge(sms_db_t *db, apr_time_t before,
                                       apr_pool_t *p);

/* --- SMSLowBalance ---------------------------------------------------- */

/* *won 1 when no child or server has asked the provider's balance since
 * now - interval: the caller asks it now (the time is taken at once, so
 * one asks at a time). */
apr_status_t sms_store_balance_claim(int *won, sms_db_t *db, apr_time_t now,
                                     apr_interval_time_t interval,
                                     apr_pool_t *p);

/* Name of the sms_state fact holding the last balance answered. */
#define SMS_STATE_BALANCE "balance"

#endif /* SMS_HOSTEVENT_H */
