/*
 * sms_idempotency.h - the Idempotency-Key rules (API.md section 3): which
 * keys are valid, what makes two requests "the same", what a stored record
 * means for a new request, and which answers are kept for replays.
 * httpd-free; the glue stores the records (sms_store_idem_*).
 */
#ifndef SMS_IDEMPOTENCY_H
#define SMS_IDEMPOTENCY_H

#include <jansson.h>

#include "sms_core.h"

/* How long a key is remembered, and its longest spelling. */
#define SMS_IDEM_TTL apr_time_from_sec(24 * 3600)
#define SMS_IDEM_KEY_MAX 255

typedef enum {
    SMS_IDEM_REPLAY,  /* the same request, answered: send that again */
    SMS_IDEM_CONFLICT /* another request, or the first still running */
} sms_idem_verdict_e;

/* A key is 1 to SMS_IDEM_KEY_MAX visible ASCII characters; else 400. */
apr_status_t sms_idem_check_key(sms_error_t **err, const char *key,
                                apr_pool_t *p);

/* Hex SHA-1 of the route and the body's canonical JSON (keys sorted):
 * equal for the same request however its members are ordered. */
const char *sms_idem_hash(const char *route, json_t *body, apr_pool_t *p);

/* What a stored record (its request hash, and the status of the answer
 * kept, 0 while the first request runs) means for a request of hash;
 * *err says why for a conflict (409 idempotency_conflict). */
sms_idem_verdict_e sms_idem_decide(sms_error_t **err, const char *stored_hash,
                                   int stored_status, const char *hash,
                                   apr_pool_t *p);

/* Whether an answer of this status is kept for replays: a server-side
 * failure (5xx, or none) is forgotten so the client's retry runs for real. */
int sms_idem_keeps(int status);

#endif /* SMS_IDEMPOTENCY_H */
