/*
 * sms_provider.h - the SMS provider: a vtable with "broadcast" (SMS
 * Broadcast over libcurl) and "sandbox" (no network), and the SMS
 * Broadcast protocol pieces (request form, response parsing) on their own
 * so that unit tests and fuzzers reach them. httpd-free.
 */
#ifndef SMS_PROVIDER_H
#define SMS_PROVIDER_H

#include <apr_tables.h>

#include "sms_core.h"

/* What became of one recipient of a provider request. */
typedef enum {
    SMS_OUT_PENDING = 0, /* not decided yet (before the call) */
    SMS_OUT_ACCEPTED,    /* "OK:" line: the provider took it; external_id set */
    SMS_OUT_REJECTED,    /* "BAD:" line: refused for good (detail = reason) */
    SMS_OUT_TRANSIENT,   /* surely not sent (connect failure, HTTP 5xx/429,
                            other HTTP status): retry later */
    SMS_OUT_UNKNOWN,     /* may have been sent: timeout or reset after the
                            request went out, garbage or no line for it */
    SMS_OUT_AUTH,        /* "ERROR:" about credentials: not sent, wait */
    SMS_OUT_REQUEST_ERROR /* other "ERROR:" line: not sent (detail = reason) */
} sms_outcome_e;

typedef struct sms_recipient_t {
    const char *to;         /* international digits, 61412345678 */
    apr_int64_t message_id; /* ours; opaque to the provider code */
    sms_outcome_e outcome;
    const char *external_id; /* provider's smsref when ACCEPTED */
    const char *detail;      /* reason, for every outcome but ACCEPTED */
} sms_recipient_t;

/* One provider request: one text to one or more recipients. */
typedef struct sms_send_req_t {
    const char *message; /* UTF-8, already validated */
    const char *from;    /* sender ID, or NULL for the shared number */
    const char *ref;     /* up to 20 characters, or NULL */
    int maxsplit;        /* 1..5: parts the text needs */
    apr_array_header_t *recipients; /* of sms_recipient_t, updated */
} sms_send_req_t;

typedef struct sms_provider_conf_t {
    const char *url; /* https://api.smsbroadcast.com.au/api-adv.php */
    const char *username;
    const char *password;
    apr_interval_time_t timeout; /* whole request */
    apr_interval_time_t connect_timeout;
} sms_provider_conf_t;

typedef struct sms_provider_t sms_provider_t;

/* The rules of every HTTP call mod_sms makes (the provider, the host
 * application's events) on a libcurl easy handle (CURL *): HTTPS or HTTP
 * only, no redirects, TLS peer and host verified, no signals, these
 * timeouts in milliseconds. */
void sms_http_rules(void *curl, long connect_ms, long total_ms);

/* Once per process, before any thread: libcurl's global state. */
apr_status_t sms_provider_global_init(void);

/* A provider by name ("broadcast" or "sandbox") living as long as pool
 * (the child process); safe to use from several threads at once. */
apr_status_t sms_provider_create(sms_provider_t **out, const char *name,
                                 const sms_provider_conf_t *conf,
                                 apr_pool_t *pool);

/* "broadcast" or "sandbox". */
const char *sms_provider_name(const sms_provider_t *pv);

/* True when the provider "delivers" by itself (sandbox): the caller
 * records a simulated delivery receipt for accepted messages. */
int sms_provider_simulates_dlr(const sms_provider_t *pv);

/* Make one request; every recipient leaves with an outcome other than
 * PENDING. Never sends a recipient twice, never retries by itself. */
void sms_provider_send(sms_provider_t *pv, sms_send_req_t *req, apr_pool_t *p);

/* Credits left. APR_EINVAL with *err (502 provider_auth or
 * provider_error) when the provider refuses or cannot be reached. */
apr_status_t sms_provider_balance(long *credits, sms_error_t **err,
                                  sms_provider_t *pv, apr_pool_t *p);

/* --- observing requests (counters) ---------------------------------- */

/* What kind of provider request an observer is told about. */
typedef enum {
    SMS_CALL_SEND = 0,
    SMS_CALL_BALANCE,
    SMS_CALL_KINDS
} sms_call_kind_e;

/* One provider request, as its observer sees it after it ended. */
typedef struct sms_call_t {
    sms_call_kind_e kind;
    apr_interval_time_t took;  /* wall time of the request */
    const sms_send_req_t *req; /* SEND: recipients with outcomes */
    apr_status_t rv;           /* BALANCE: APR_SUCCESS or the failure */
    const sms_error_t *err;    /* BALANCE failure, or NULL */
    long credits;              /* BALANCE success */
} sms_call_t;

typedef void sms_provider_observer_fn(void *baton, const sms_call_t *call);

/* Call fn(baton, call) after every request pv makes (the sandbox's too;
 * not its balance, which makes none). Set once, before any thread. */
void sms_provider_observe(sms_provider_t *pv, sms_provider_observer_fn *fn,
                          void *baton);

/* --- SMS Broadcast protocol pieces ----------------------------------- */

/* The application/x-www-form-urlencoded body of a send: every field
 * encoded exactly once; credentials only here, never in a URL. */
char *sms_broadcast_form(const sms_provider_conf_t *conf,
                         const sms_send_req_t *req, apr_pool_t *p);

/* Apply an HTTP 200 response body to req's recipients: one line per
 * recipient ("OK: 61400111222:2942263", "BAD:0400abc111:Invalid Number"),
 * or one "ERROR: ..." line for the whole request. Survives any spacing,
 * CRLF or LF, an empty body and garbage; recipients without a line become
 * UNKNOWN. */
void sms_broadcast_parse(sms_send_req_t *req, const char *body, apr_size_t len,
                         apr_pool_t *p);

/* Parse a balance answer "OK: 1234" or "ERROR: reason". */
apr_status_t sms_broadcast_parse_balance(long *credits, const char **error,
                                         const char *body, apr_size_t len,
                                         apr_pool_t *p);

#endif /* SMS_PROVIDER_H */
