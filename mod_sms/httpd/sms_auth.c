/*
 * sms_auth.c - the checks the router applies by a route's authentication
 * kind: CSRF tokens for users' unsafe methods (issued through GET
 * /csrf-token/), the SMSWebhookSecret of provider callbacks.
 */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <http_protocol.h>
#include <mod_session.h>

#include "sms_httpd.h"
#include "sms_token.h"

#define CSRF_LIFETIME apr_time_from_sec(8 * 3600)
#define CSRF_PREFIX "csrf:"
/* The session entry that names one login: put in the session by the
 * login's response (login_nonce_hook), gone with its logout. */
#define CSRF_SESSION_KEY "sms-csrf"
#define CSRF_NONCE_BYTES 16

/* mod_session, when it is loaded: its hook (weak: mod_sms loads without
 * it) and its optional functions. */
#pragma weak ap_hook_session_encode
static APR_OPTIONAL_FN_TYPE(ap_session_load) * session_load;
static APR_OPTIONAL_FN_TYPE(ap_session_get) * session_get;
static APR_OPTIONAL_FN_TYPE(ap_session_set) * session_set;

/* ---- CSRF ------------------------------------------------------------------
 */

/* A new random nonce, hex. */
static const char *new_nonce(apr_pool_t *p)
{
    unsigned char raw[CSRF_NONCE_BYTES];
    char *hex;
    int i;

    if (apr_generate_random_bytes(raw, sizeof(raw)) != APR_SUCCESS) {
        return NULL;
    }
    hex = apr_palloc(p, 2 * sizeof(raw) + 1);
    for (i = 0; i < (int)sizeof(raw); i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    }
    return hex;
}

static int is_user_key(void *found, const char *key, const char *value)
{
    /* mod_auth_form keeps the user as "<AuthName>-user" */
    apr_size_t n = strlen(key);

    if (value && *value && n >= 4 && !strcmp(key + n - 4, MOD_SESSION_USER) &&
        (n == 4 || key[n - 5] == '-')) {
        *(int *)found = 1;
        return 0;
    }
    return 1;
}

/* Whether the session holds a user logged in by mod_auth_form. */
static int session_has_user(session_rec *z)
{
    int found = 0;

    if (z && z->entries) {
        apr_table_do(is_user_key, &found, z->entries, NULL);
    }
    return found;
}

/* The login session's nonce: "-" when the request has no session logged
 * in by a form (Basic, say: the token is then bound to the user alone);
 * else the session's, made when create is set and it has none (NULL when
 * it has none and create is not set). */
static const char *login_nonce(sms_req *rq, int create)
{
    request_rec *r = rq->r;
    session_rec *z = NULL;
    const char *nonce = NULL;
    const char *hex;

    if (!session_load) {
        session_load = APR_RETRIEVE_OPTIONAL_FN(ap_session_load);
        session_get = APR_RETRIEVE_OPTIONAL_FN(ap_session_get);
        session_set = APR_RETRIEVE_OPTIONAL_FN(ap_session_set);
    }
    if (!session_load || !session_get || !session_set ||
        session_load(r, &z) != APR_SUCCESS || !session_has_user(z)) {
        return "-";
    }
    if (session_get(r, z, CSRF_SESSION_KEY, &nonce) == APR_SUCCESS && nonce &&
        *nonce) {
        return nonce;
    }
    /* a session the hook did not see at its login (mod_session loaded
     * after mod_sms): made now, which changes the session */
    if (!create || !(hex = new_nonce(r->pool))) {
        return NULL;
    }
    session_set(r, z, CSRF_SESSION_KEY, hex);
    return hex;
}

/* mod_session hook, before the session is encoded for saving: a session
 * that a form login has just given a user gets its nonce then (in the
 * login's own response: nothing later changes the session, so a
 * server-side session keeps its key); a session whose user has logged
 * out (mod_auth_form removed "<AuthName>-user") loses it, so tokens of
 * that login are refused even by the same browser after it logs in
 * again. */
static apr_status_t login_nonce_hook(request_rec *r, session_rec *z)
{
    const char *nonce;

    (void)r;
    if (!z || !z->entries) {
        return DECLINED;
    }
    if (!session_has_user(z)) {
        apr_table_unset(z->entries, CSRF_SESSION_KEY);
    }
    else if (!apr_table_get(z->entries, CSRF_SESSION_KEY) &&
             (nonce = new_nonce(z->pool)) != NULL) {
        apr_table_setn(z->entries, CSRF_SESSION_KEY, nonce);
    }
    return DECLINED;
}

void sms_auth_register_hooks(apr_pool_t *p)
{
    (void)p;
    if (ap_hook_session_encode) {
        /* before mod_session's own encoder (APR_HOOK_REALLY_FIRST) */
        ap_hook_session_encode(login_nonce_hook, NULL, NULL,
                               APR_HOOK_REALLY_FIRST - 1);
    }
}

const char *sms_csrf_issue(apr_time_t *expires, sms_req *rq)
{
    const char *nonce = login_nonce(rq, 1);

    *expires = apr_time_now() + CSRF_LIFETIME;
    return sms_token_sign(
        rq->sc->secret, rq->sc->secret_len,
        apr_psprintf(rq->r->pool, CSRF_PREFIX "%" APR_TIME_T_FMT ":%s:%s",
                     apr_time_sec(*expires), nonce ? nonce : "-", sms_user(rq)),
        rq->r->pool);
}

int sms_check_csrf(sms_req *rq)
{
    const char *token = apr_table_get(rq->r->headers_in, "X-CSRFToken");
    const char *payload, *user, *nonce, *want;
    char *end;
    apr_int64_t expires;

    if (!rq->dc->csrf) {
        return DECLINED; /* SMSCSRF Off here */
    }
    if (!token) {
        return sms_fail(rq, HTTP_FORBIDDEN, "csrf_failed", "X-CSRFToken",
                        "this request needs the X-CSRFToken header (GET "
                        "/api/sms/csrf-token/)");
    }
    if (sms_token_verify(&payload, rq->sc->secret, rq->sc->secret_len, token,
                         rq->r->pool) != APR_SUCCESS ||
        strncmp(payload, CSRF_PREFIX, strlen(CSRF_PREFIX))) {
        return sms_fail(rq, HTTP_FORBIDDEN, "csrf_failed", "X-CSRFToken",
                        "the CSRF token is not valid");
    }
    expires = apr_strtoi64(payload + strlen(CSRF_PREFIX), &end, 10);
    if (apr_time_from_sec(expires) < apr_time_now()) {
        return sms_fail(rq, HTTP_FORBIDDEN, "csrf_failed", "X-CSRFToken",
                        "the CSRF token has expired; fetch a new one");
    }
    nonce = *end == ':' ? end + 1 : NULL;
    user = nonce ? strchr(nonce, ':') : NULL;
    if (!user || strcmp(user + 1, sms_user(rq))) {
        return sms_fail(rq, HTTP_FORBIDDEN, "csrf_failed", "X-CSRFToken",
                        "the CSRF token belongs to another user");
    }
    want = login_nonce(rq, 0);
    if (!want || strlen(want) != (apr_size_t)(user - nonce) ||
        strncmp(want, nonce, (apr_size_t)(user - nonce))) {
        return sms_fail(rq, HTTP_FORBIDDEN, "csrf_failed", "X-CSRFToken",
                        "the CSRF token belongs to another login session "
                        "(one that ended, or another browser); fetch a new "
                        "one");
    }
    return DECLINED;
}

/* ---- provider callbacks
 * ------------------------------------------------------ */

int sms_check_webhook(sms_req *rq, const char *const *allowed)
{
    const char *want = rq->sc->webhook_secret, *given;
    sms_error_t *err;

    if (sms_params(&rq->args, &err, rq, allowed)) {
        return sms_reply_error(rq, err);
    }
    if (!want) {
        return sms_fail(rq, HTTP_FORBIDDEN, "forbidden", NULL,
                        "callbacks are refused until SMSWebhookSecret is "
                        "set");
    }
    given = apr_table_get(rq->args, "secret");
    if (!given || !sms_token_equal_str(given, want)) {
        return sms_fail(rq, HTTP_FORBIDDEN, "forbidden", "secret",
                        "the callback secret is missing or wrong");
    }
    return DECLINED;
}

/* ---- who may see which patient (SMSPatientAccessQuery)
 * ------------------------ */

int sms_check_patient(sms_req *rq, sms_db_t *db, const char *patient_id)
{
    int allowed = 0;

    if (sms_store_patient_access(&allowed, db, sms_user(rq), patient_id,
                                 rq->r->pool) != APR_SUCCESS) {
        return sms_storage_failed(rq);
    }
    if (!allowed) {
        /* the same answer as a patient that does not exist: nothing tells
         * the two apart */
        return sms_fail(rq, HTTP_NOT_FOUND, "unknown_patient", NULL,
                        "there is no patient '%s'", patient_id);
    }
    return DECLINED;
}

apr_status_t sms_patient_visible(int *visible, sms_req *rq, sms_db_t *db,
                                 apr_hash_t *cache, const char *patient_id)
{
    int *known;
    apr_status_t rv;

    *visible = 1;
    if (!patient_id || !sms_store_access_enabled()) {
        return APR_SUCCESS;
    }
    known = apr_hash_get(cache, patient_id, APR_HASH_KEY_STRING);
    if (known) {
        *visible = *known;
        return APR_SUCCESS;
    }
    rv = sms_store_patient_access(visible, db, sms_user(rq), patient_id,
                                  rq->r->pool);
    if (rv == APR_SUCCESS) {
        known = apr_pmemdup(rq->r->pool, visible, sizeof(*visible));
        apr_hash_set(cache, apr_pstrdup(rq->r->pool, patient_id),
                     APR_HASH_KEY_STRING, known);
    }
    return rv;
}

/* ---- the audit trail
 * ------------------------------------------------------------ */

static apr_status_t write_audit(sms_db_t *db, void *ctx, apr_pool_t *p)
{
    return sms_store_audit_add(db, ctx, p);
}

apr_status_t sms_audit(sms_req *rq, sms_db_t *db, const char *action,
                       const char *object, const char *patient_id)
{
    sms_audit_t a;

    a.id = 0;
    a.at = apr_time_now();
    a.user = sms_user(rq);
    a.action = action;
    a.object = object;
    a.patient_id = patient_id;
    a.client = rq->r->useragent_ip;
    /* inside the write it records, else a write of its own (a read) */
    return sms_store_in_transaction(db)
               ? sms_store_audit_add(db, &a, rq->r->pool)
               : sms_store_write(db, write_audit, &a, rq->r->pool);
}
