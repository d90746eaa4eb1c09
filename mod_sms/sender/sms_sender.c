/*
 * sms_sender.c - the outbox (DESIGN.md "Delivery semantics").
 *
 * A message is committed before any provider call. Before a call its row
 * moves to "sending" under our lease, committed; after the call it moves
 * on by the outcome. A sender that dies mid-call leaves "sending" rows
 * whose lease runs out: they become "unknown", never resent, because SMS
 * Broadcast has no idempotency and a patient must not get two reminders.
 */
#include <string.h>

#include <apr_strings.h>

#include "sms_phone.h"
#include "sms_sender.h"

#define MAX_BACKOFF apr_time_from_sec(86400)
#define CLAIM_LIMIT 1000

static apr_time_t backoff(const sms_sender_conf_t *c, int attempts)
{
    apr_time_t d = c->retry_backoff;

    while (--attempts > 0 && d < MAX_BACKOFF) {
        d *= 2;
    }
    return d < MAX_BACKOFF ? d : MAX_BACKOFF;
}

/* Record the provider's refusal of our credentials, or clear it. */
static void provider_state(sms_db_t *db, const char *error, apr_pool_t *p)
{
    static apr_time_t last_logged;
    apr_time_t now = apr_time_now();

    if (error && now - last_logged > apr_time_from_sec(60)) {
        sms_log(SMS_LOG_ERR, 0, p,
                "provider refuses our request: %s; "
                "messages wait until this is fixed",
                error);
        last_logged = now;
    }
    sms_store_state_set(db, SMS_STATE_PROVIDER_ERROR, error, now, p);
}

/* The transition of one message after the provider call. */
static void outcome_transition(sms_transition_t *t, const sms_message_t *m,
                               const sms_recipient_t *rc,
                               const sms_sender_conf_t *c, apr_time_t now,
                               apr_pool_t *p)
{
    int tries = m->attempts; /* already counts this try */

    memset(t, 0, sizeof(*t));
    t->id = m->id;
    t->from = "sending";
    t->now = now;
    switch (rc->outcome) {
    case SMS_OUT_ACCEPTED:
        t->to = "sent";
        t->external_id = rc->external_id;
        t->sent_at = now;
        t->detail = rc->external_id
                        ? apr_pstrcat(p, "smsref ", rc->external_id, NULL)
                        : "accepted, no smsref";
        break;
    case SMS_OUT_REJECTED:
        t->to = "failed";
        t->error = rc->detail;
        t->detail = rc->detail;
        break;
    case SMS_OUT_UNKNOWN:
        t->to = "unknown";
        t->error = rc->detail;
        t->detail = rc->detail;
        break;
    case SMS_OUT_AUTH:
        /* not burned: the try does not count, the message waits */
        t->to = "queued";
        t->attempts_add = -1;
        t->error = rc->detail;
        t->next_attempt_at = now + backoff(c, 1);
        t->detail = apr_pstrcat(p, "waiting: ", rc->detail, NULL);
        break;
    default: /* TRANSIENT, REQUEST_ERROR, or never decided */
        if (tries > c->retry_limit) {
            t->to = "failed";
            t->error = apr_psprintf(p, "gave up after %d attempts: %s", tries,
                                    rc->detail ? rc->detail : "no answer");
        }
        else {
            t->to = "queued";
            t->error = rc->detail;
            t->next_attempt_at = now + backoff(c, tries);
        }
        t->detail = t->error;
        break;
    }
}

/* The provider request for msgs (identical text, "sending"). */
static void make_request(sms_send_req_t *req, const apr_array_header_t *msgs,
                         apr_pool_t *p)
{
    const sms_message_t *first = APR_ARRAY_IDX(msgs, 0, sms_message_t *);
    int i;

    memset(req, 0, sizeof(*req));
    req->message = first->body;
    req->from = first->sender_id;
    req->ref = first->provider_ref;
    req->maxsplit = first->segments > 0 ? first->segments : 1;
    req->recipients = apr_array_make(p, msgs->nelts, sizeof(sms_recipient_t));
    for (i = 0; i < msgs->nelts; i++) {
        const sms_message_t *m = APR_ARRAY_IDX(msgs, i, sms_message_t *);
        sms_recipient_t *rc = apr_array_push(req->recipients);
        memset(rc, 0, sizeof(*rc));
        rc->to = m->to;
        rc->message_id = m->id;
    }
}

/* The sandbox's receipts (ts[0..nd), sent -> delivered) for the accepted
 * messages that moved, in the same transaction as their outcome. */
static apr_status_t simulated_receipts(apr_array_header_t *msgs, sms_db_t *db,
                                       const sms_transition_t *ts, int *changed,
                                       int nd, apr_time_t now, apr_pool_t *p)
{
    apr_status_t rv = sms_store_transitions(changed, db, ts, nd, p);
    int i, j;

    for (i = 0, j = 0; rv == APR_SUCCESS && j < nd; i++) {
        sms_message_t *m = APR_ARRAY_IDX(msgs, i, sms_message_t *);
        if (m->id != ts[j].id) {
            continue;
        }
        if (changed[j++]) {
            m->status = "delivered";
            m->delivered_at = now;
        }
    }
    return rv;
}

/* Make the provider request for msgs (all "sending", identical text) and
 * record the outcomes in one transaction. */
static apr_status_t call_and_record(sms_db_t *db, sms_provider_t *pv,
                                    const sms_sender_conf_t *c,
                                    apr_array_header_t *msgs, apr_pool_t *p)
{
    sms_send_req_t req;
    const char *auth_error = NULL;
    sms_transition_t *ts;
    int *changed;
    int i, nd, any_accepted = 0, ok = 1;
    apr_time_t now;
    apr_status_t rv;

    make_request(&req, msgs, p);
    sms_provider_send(pv, &req, p);
    sms_log(SMS_LOG_DEBUG, 0, p, "provider call ref %s: %d recipient(s)",
            req.ref ? req.ref : "-", msgs->nelts);

    now = apr_time_now();
    ts = apr_pcalloc(p, sizeof(*ts) * msgs->nelts);
    changed = apr_pcalloc(p, sizeof(*changed) * msgs->nelts);
    for (i = 0; i < msgs->nelts; i++) {
        outcome_transition(&ts[i], APR_ARRAY_IDX(msgs, i, sms_message_t *),
                           &APR_ARRAY_IDX(req.recipients, i, sms_recipient_t),
                           c, now, p);
    }
    rv = sms_store_begin(db, p);
    if (rv == APR_SUCCESS) {
        rv = sms_store_transitions(changed, db, ts, msgs->nelts, p);
    }
    for (i = 0, nd = 0; rv == APR_SUCCESS && i < msgs->nelts; i++) {
        sms_message_t *m = APR_ARRAY_IDX(msgs, i, sms_message_t *);
        const sms_recipient_t *rc =
            &APR_ARRAY_IDX(req.recipients, i, sms_recipient_t);
        const sms_transition_t *t = &ts[i];

        if (changed[i]) {
            m->status = t->to;
            m->error = t->error;
            m->attempts += t->attempts_add;
            m->next_attempt_at = t->next_attempt_at;
            if (t->external_id) {
                m->external_id = t->external_id;
            }
            if (t->sent_at) {
                m->sent_at = t->sent_at;
            }
        }
        if (rc->outcome == SMS_OUT_ACCEPTED) {
            any_accepted = 1;
            if (changed[i] && sms_provider_simulates_dlr(pv)) {
                sms_transition_t *d = &ts[nd++]; /* reused: i >= nd */
                memset(d, 0, sizeof(*d));
                d->id = m->id;
                d->from = "sent";
                d->to = "delivered";
                d->delivered_at = now;
                d->detail = "delivered (simulated by the sandbox provider)";
                d->now = now;
            }
        }
        else if (rc->outcome == SMS_OUT_AUTH) {
            auth_error = rc->detail;
        }
    }
    if (rv == APR_SUCCESS && nd) {
        rv = simulated_receipts(msgs, db, ts, changed, nd, now, p);
    }
    ok = rv == APR_SUCCESS;
    if (sms_store_end(db, ok, p) != APR_SUCCESS || !ok) {
        /* the rows stay "sending": their lease expiry makes them unknown,
         * which is right, since the provider may have sent them */
        return APR_EGENERAL;
    }
    if (auth_error) {
        provider_state(db, auth_error, p);
    }
    else if (any_accepted) {
        provider_state(db, NULL, p);
    }
    return APR_SUCCESS;
}

apr_status_t sms_sender_send(sms_db_t *db, sms_provider_t *pv,
                             const sms_sender_conf_t *c,
                             apr_array_header_t *msgs, apr_pool_t *p)
{
    return msgs->nelts ? call_and_record(db, pv, c, msgs, p) : APR_SUCCESS;
}

#define OPTED_OUT_REASON "the number opted out (STOP) before this was sent"

/* The move of each message of group to "sending" under our lease. */
static void plan_start(sms_transition_t *ts, const apr_array_header_t *group,
                       const sms_sender_conf_t *c, apr_time_t now,
                       apr_pool_t *p)
{
    const char *ref = NULL;
    int i;

    for (i = 0; i < group->nelts; i++) {
        const sms_message_t *m = APR_ARRAY_IDX(group, i, sms_message_t *);
        sms_transition_t *t = &ts[i];

        if (!ref) { /* the provider's ref: our first message's id */
            ref = apr_psprintf(p, "%" APR_INT64_T_FMT, m->id);
        }
        t->id = m->id;
        t->from = m->status;
        t->to = "sending";
        t->provider_ref = ref;
        t->attempts_add = 1;
        t->lease_owner = c->owner;
        t->lease_until = now + c->lease;
        t->next_attempt_at = m->next_attempt_at;
        t->error = m->error;
        t->detail =
            apr_psprintf(p, "attempt %d by %s", m->attempts + 1, c->owner);
        t->now = now;
    }
}

/* Inside the transaction that starts the group: a number that opted out
 * since it was queued (a STOP while it waited, even after it was claimed)
 * is cancelled instead, so it is never handed over. */
static apr_status_t hold_opted_out(sms_transition_t *ts,
                                   const apr_array_header_t *group,
                                   sms_db_t *db, apr_pool_t *p)
{
    apr_array_header_t *numbers =
        apr_array_make(p, group->nelts, sizeof(const char *));
    apr_hash_t *out;
    apr_status_t rv;
    int i;

    for (i = 0; i < group->nelts; i++) {
        APR_ARRAY_PUSH(numbers, const char *) =
            APR_ARRAY_IDX(group, i, sms_message_t *)->to;
    }
    if ((rv = sms_store_optout_many(&out, db, numbers, p)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < group->nelts; i++) {
        sms_transition_t *t = &ts[i];
        if (apr_hash_get(out, APR_ARRAY_IDX(group, i, sms_message_t *)->to,
                         APR_HASH_KEY_STRING)) {
            t->to = "cancelled";
            t->provider_ref = NULL;
            t->attempts_add = 0;
            t->lease_owner = NULL;
            t->lease_until = 0;
            t->next_attempt_at = 0;
            t->error = OPTED_OUT_REASON;
            t->detail = OPTED_OUT_REASON;
        }
    }
    return APR_SUCCESS;
}

/* SMSSendWindow, in the step that starts the group: outside the window, a
 * message that keeps to it (bulk, scheduled, or a retry: an interactive
 * send's first try does not) goes back to "scheduled" until the window
 * opens, instead of to the provider. */
static void hold_outside_window(sms_transition_t *ts,
                                const apr_array_header_t *group,
                                const sms_sender_conf_t *c, apr_pool_t *p)
{
    apr_time_t now, opens;
    const char *why;
    int i;

    if (!c->window) {
        return;
    }
    now = sms_clock_now(c->clock);
    if ((opens = sms_window_next(c->window, now)) == now) {
        return;
    }
    why = apr_psprintf(p, "waits: outside the send window %s (%s); goes at %s",
                       sms_window_format(c->window, p), c->window->zone,
                       sms_time_format(opens, p));
    for (i = 0; i < group->nelts; i++) {
        const sms_message_t *m = APR_ARRAY_IDX(group, i, sms_message_t *);
        sms_transition_t *t = &ts[i];

        if (!m->batch_id && !m->send_at && !m->attempts && !m->error) {
            continue; /* an interactive send goes at once */
        }
        t->to = "scheduled";
        t->provider_ref = NULL;
        t->attempts_add = 0;
        t->lease_owner = NULL;
        t->lease_until = 0;
        t->next_attempt_at = opens;
        t->detail = why;
    }
}

/* Move claimed messages of one group to "sending" under our lease (or to
 * "cancelled" when their number opted out) and commit; those another
 * writer changed meanwhile are dropped. */
static apr_status_t start_group(apr_array_header_t **sending, sms_db_t *db,
                                const sms_sender_conf_t *c,
                                apr_array_header_t *group, apr_pool_t *p)
{
    sms_transition_t *ts = apr_pcalloc(p, sizeof(*ts) * group->nelts);
    int *changed = apr_pcalloc(p, sizeof(*changed) * group->nelts);
    apr_status_t rv;
    int i;

    *sending = apr_array_make(p, group->nelts, sizeof(sms_message_t *));
    plan_start(ts, group, c, apr_time_now(), p);
    hold_outside_window(ts, group, c, p);
    rv = sms_store_begin(db, p);
    if (rv == APR_SUCCESS) {
        rv = hold_opted_out(ts, group, db, p);
    }
    if (rv == APR_SUCCESS) {
        rv = sms_store_transitions(changed, db, ts, group->nelts, p);
    }
    for (i = 0; rv == APR_SUCCESS && i < group->nelts; i++) {
        sms_message_t *m = APR_ARRAY_IDX(group, i, sms_message_t *);
        if (changed[i] && !strcmp(ts[i].to, "sending")) {
            m->status = "sending";
            m->provider_ref = ts[i].provider_ref;
            m->attempts++;
            APR_ARRAY_PUSH(*sending, sms_message_t *) = m;
        }
    }
    return sms_store_end(db, rv == APR_SUCCESS, p) == APR_SUCCESS
               ? rv
               : APR_EGENERAL;
}

static int same_text(const sms_message_t *a, const sms_message_t *b)
{
    return !strcmp(a->body, b->body) && a->max_parts == b->max_parts &&
           !a->sender_id == !b->sender_id &&
           (!a->sender_id || !strcmp(a->sender_id, b->sender_id));
}

/* The next group from claimed[first..]: identical text, each number at
 * most once, at most max messages; marks them taken (a repeated number
 * stays for a later group). */
static apr_array_header_t *next_group(const apr_array_header_t *claimed,
                                      char *taken, int first, int max,
                                      apr_pool_t *p)
{
    apr_array_header_t *group = apr_array_make(p, max, sizeof(sms_message_t *));
    apr_hash_t *numbers = apr_hash_make(p);
    const sms_message_t *head = APR_ARRAY_IDX(claimed, first, sms_message_t *);
    int j;

    for (j = first; j < claimed->nelts && group->nelts < max; j++) {
        sms_message_t *m = APR_ARRAY_IDX(claimed, j, sms_message_t *);
        if (!same_text(head, m)) {
            break;
        }
        if (taken[j] || apr_hash_get(numbers, m->to, APR_HASH_KEY_STRING)) {
            continue;
        }
        apr_hash_set(numbers, m->to, APR_HASH_KEY_STRING, m);
        APR_ARRAY_PUSH(group, sms_message_t *) = m;
        taken[j] = 1;
    }
    return group;
}

/* Wait so that no more than c->rate_limit recipients per second go out. */
static void pace(const sms_sender_conf_t *c, int n)
{
    sms_pace_t *w = c->pace;
    apr_time_t now;

    if (c->rate_limit <= 0 || !w) {
        return;
    }
    /* no one-second interval may see more than rate_limit recipients:
     * wait until enough of the last second's requests are older than a
     * second (a sliding window, not fixed ones that allow a double burst
     * across their boundary) */
    for (;;) {
        now = apr_time_now();
        while (w->count && now - w->at[w->head] >= apr_time_from_sec(1)) {
            w->sum -= w->n[w->head];
            w->head = (w->head + 1) % SMS_PACE_SLOTS;
            w->count--;
        }
        if ((w->sum + n <= c->rate_limit || !w->count) &&
            w->count < SMS_PACE_SLOTS) {
            break;
        }
        apr_sleep(w->at[w->head] + apr_time_from_sec(1) - now);
    }
    w->at[(w->head + w->count) % SMS_PACE_SLOTS] = now;
    w->n[(w->head + w->count) % SMS_PACE_SLOTS] = n;
    w->count++;
    w->sum += n;
}

/* Move every message of msgs from its status to `to`, with error as the
 * reason, in one transaction. */
static apr_status_t finish_all(sms_db_t *db, apr_array_header_t *msgs,
                               const char *to, const char *error, apr_pool_t *p)
{
    apr_time_t now = apr_time_now();
    apr_status_t rv = sms_store_begin(db, p);
    int i;

    for (i = 0; rv == APR_SUCCESS && i < msgs->nelts; i++) {
        const sms_message_t *m = APR_ARRAY_IDX(msgs, i, sms_message_t *);
        sms_transition_t t;
        int changed;

        memset(&t, 0, sizeof(t));
        t.id = m->id;
        t.from = m->status;
        t.to = to;
        t.error = error;
        t.detail = error;
        t.now = now;
        rv = sms_store_transition(&changed, db, &t, p);
    }
    return sms_store_end(db, rv == APR_SUCCESS, p) == APR_SUCCESS
               ? rv
               : APR_EGENERAL;
}

/* Mark messages left "sending" by a stopped sender as unknown. */
static apr_status_t expire_in_flight(sms_db_t *db, apr_pool_t *p)
{
    apr_array_header_t *stale;
    apr_status_t rv = sms_store_stale_sending(&stale, db, apr_time_now(), p);

    if (rv != APR_SUCCESS || !stale->nelts) {
        return rv;
    }
    sms_log(SMS_LOG_WARNING, 0, p,
            "%d in-flight message(s) of a stopped "
            "sender marked unknown",
            stale->nelts);
    return finish_all(db, stale, "unknown",
                      "the sender stopped while this "
                      "message was with the provider; not resent",
                      p);
}

/* Cancel waiting messages whose number opted out since they were queued:
 * they are never handed to the provider. */
static apr_status_t cancel_opted_out(sms_db_t *db, apr_pool_t *p)
{
    apr_array_header_t *msgs;
    apr_status_t rv = sms_store_optout_pending(&msgs, db, p);

    if (rv != APR_SUCCESS || !msgs->nelts) {
        return rv;
    }
    return finish_all(db, msgs, "cancelled", OPTED_OUT_REASON, p);
}

static int stopping(const sms_sender_conf_t *c)
{
    return c->stop && *c->stop;
}

apr_status_t sms_sender_run(int *handed, sms_db_t *db, sms_provider_t *pv,
                            const sms_sender_conf_t *c, apr_time_t deadline,
                            apr_pool_t *p)
{
    apr_status_t rv;
    int rounds = 0;
    /* a request never carries more than a second's worth of recipients */
    int max_group = c->rate_limit > 0 && c->rate_limit < c->batch_size
                        ? c->rate_limit
                        : c->batch_size;

    *handed = 0;
    rv = expire_in_flight(db, p);
    if (rv == APR_SUCCESS) {
        rv = cancel_opted_out(db, p);
    }
    while (rv == APR_SUCCESS && apr_time_now() < deadline && !stopping(c)) {
        apr_array_header_t *claimed;
        apr_pool_t *round;
        char *taken; /* taken[j]: claimed[j] went into a group */
        int n = 0, i = 0;

        apr_pool_create(&round, p);
        rv = sms_store_claim(&n, db, c->owner, sms_clock_now(c->clock),
                             apr_time_now() + c->lease, CLAIM_LIMIT, round);
        if (rv == APR_SUCCESS && n > 0) {
            rv = sms_store_claimed(&claimed, db, c->owner, round);
        }
        if (rv != APR_SUCCESS || n == 0) {
            apr_pool_destroy(round);
            break;
        }
        rounds++;
        taken = apr_pcalloc(round, (apr_size_t)claimed->nelts);
        /* groups of identical text, each number at most once per call */
        while (rv == APR_SUCCESS && i < claimed->nelts && !stopping(c)) {
            apr_array_header_t *sending;
            apr_array_header_t *group =
                next_group(claimed, taken, i, max_group, round);
            /* the wait for SMSRateLimit comes before the group is
             * started, so a STOP that arrives meanwhile still holds it */
            pace(c, group->nelts);
            rv = start_group(&sending, db, c, group, round);
            while (i < claimed->nelts && taken[i]) {
                i++;
            }
            if (rv == APR_SUCCESS && sending->nelts) {
                rv = call_and_record(db, pv, c, sending, round);
                *handed += sending->nelts;
            }
        }
        apr_pool_destroy(round);
    }
    if (stopping(c)) {
        /* a graceful restart or a stop: what this sender claimed and has
         * not started goes back now, not when the lease runs out */
        int n = 0;
        if (sms_store_release(&n, db, c->owner, p) == APR_SUCCESS && n) {
            sms_log(SMS_LOG_DEBUG, 0, p,
                    "sender %s stops: %d claim(s) "
                    "given back",
                    c->owner, n);
        }
    }
    if (rounds) {
        sms_log(SMS_LOG_DEBUG, rv, p, "sender %s: %d round(s), %d handed",
                c->owner, rounds, *handed);
    }
    return rv;
}
