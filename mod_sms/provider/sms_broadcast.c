/*
 * sms_broadcast.c - the SMS Broadcast HTTP API (PROVIDER.md): the request
 * form, the per-line answer, the balance answer, and the libcurl transport
 * of the "broadcast" provider.
 *
 * Outcomes follow DESIGN.md "Delivery semantics": when nothing left our
 * side the recipients are TRANSIENT; when the request may have reached the
 * provider and we cannot tell what it did they are UNKNOWN, and nothing
 * here ever sends them again. That includes libcurl's own "connection
 * died, retrying a fresh connect" on a reused keep-alive connection, which
 * is refused once the first attempt went out (retry_guard()).
 */
#include <limits.h>
#include <string.h>
#include <strings.h>

#include <apr_hash.h>
#include <apr_strings.h>
#if APR_HAS_THREADS
#include <apr_thread_mutex.h>
#endif

#include <curl/curl.h>

#include "sms_provider_private.h"

#define BROADCAST_BODY_MAX (64 * 1024) /* more than this is not an answer */
#define BROADCAST_IDLE_MAX 16          /* idle handles kept for keep-alive */
#define BROADCAST_USER_AGENT "mod_sms/0.1"
#define BROADCAST_CONNECT_MS 10000L /* when the conf says 0 */
#define BROADCAST_TIMEOUT_MS 30000L

/* --- form encoding ---------------------------------------------------- */

/* s encoded as application/x-www-form-urlencoded: ALPHA DIGIT - . _ ~
 * kept, every other byte (UTF-8 bytes one by one) as %XX. Exactly once:
 * a '%' already in the text is data and becomes %25. */
static char *form_encode(const char *s, apr_pool_t *p)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    apr_size_t n = strlen((const char *)u);
    char *out = apr_palloc(p, 3 * n + 1), *o = out;

    for (; *u; u++) {
        if ((*u >= 'A' && *u <= 'Z') || (*u >= 'a' && *u <= 'z') ||
            (*u >= '0' && *u <= '9') || *u == '-' || *u == '.' || *u == '_' ||
            *u == '~') {
            *o++ = (char)*u;
        }
        else {
            *o++ = '%';
            *o++ = hex[*u >> 4];
            *o++ = hex[*u & 0x0F];
        }
    }
    *o = '\0';
    return out;
}

/* The recipients' numbers joined with commas, as the "to" field wants. */
static char *join_to(const apr_array_header_t *rcpts, apr_pool_t *p)
{
    apr_size_t total = 1, at = 0;
    char *out;
    int i;

    for (i = 0; rcpts && i < rcpts->nelts; i++) {
        const char *to = APR_ARRAY_IDX(rcpts, i, sms_recipient_t).to;
        total += (to ? strlen(to) : 0) + 1;
    }
    out = apr_palloc(p, total);
    for (i = 0; rcpts && i < rcpts->nelts; i++) {
        const char *to = APR_ARRAY_IDX(rcpts, i, sms_recipient_t).to;
        apr_size_t n = to ? strlen(to) : 0;
        if (i) {
            out[at++] = ',';
        }
        memcpy(out + at, to ? to : "", n);
        at += n;
    }
    out[at] = '\0';
    return out;
}

char *sms_broadcast_form(const sms_provider_conf_t *conf,
                         const sms_send_req_t *req, apr_pool_t *p)
{
    /* maxsplit goes as given: rounding or clamping it is one of the
     * known mistakes of public clients (PROVIDER.md). */
    return apr_pstrcat(p, "username=", form_encode(conf->username, p),
                       "&password=", form_encode(conf->password, p),
                       "&to=", form_encode(join_to(req->recipients, p), p),
                       "&message=", form_encode(req->message, p),
                       req->from && *req->from ? "&from=" : "",
                       req->from && *req->from ? form_encode(req->from, p) : "",
                       req->ref && *req->ref ? "&ref=" : "",
                       req->ref && *req->ref ? form_encode(req->ref, p) : "",
                       "&maxsplit=", apr_itoa(p, req->maxsplit), NULL);
}

/* The form of a balance request. */
static char *balance_form(const sms_provider_conf_t *conf, apr_pool_t *p)
{
    return apr_pstrcat(
        p, "action=balance&username=", form_encode(conf->username, p),
        "&password=", form_encode(conf->password, p), NULL);
}

/* --- answer parsing ---------------------------------------------------- */

/* A byte range of the answer; answers may hold NULs, so never strlen. */
typedef struct {
    const char *s;
    apr_size_t n;
} span_t;

/* Space, tab or CR: what surrounds every line and field. */
static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* v without leading and trailing spaces, tabs and CRs. */
static span_t span_trim(span_t v)
{
    while (v.n && is_blank(v.s[0])) {
        v.s++;
        v.n--;
    }
    while (v.n && is_blank(v.s[v.n - 1])) {
        v.n--;
    }
    return v;
}

/* True when v is word, ignoring ASCII case. */
static int span_is(span_t v, const char *word)
{
    return v.n == strlen(word) && !strncasecmp(v.s, word, v.n);
}

/* v as a string of p. */
static char *span_dup(span_t v, apr_pool_t *p)
{
    return apr_pstrmemdup(p, v.s, v.n);
}

/* True when v contains needle, ignoring ASCII case. */
static int span_contains_ci(span_t v, const char *needle)
{
    apr_size_t n = strlen(needle), i;

    for (i = 0; n <= v.n && i <= v.n - n; i++) {
        if (!strncasecmp(v.s + i, needle, n)) {
            return 1;
        }
    }
    return 0;
}

/* Split line on ':' into at most max trimmed fields (the last one keeps
 * any further colons); returns how many there are, at least one. */
static int split_fields(span_t *f, int max, span_t line)
{
    const char *s = line.s, *end = line.s + line.n;
    int n = 0;

    while (n < max - 1) {
        const char *c = memchr(s, ':', (apr_size_t)(end - s));
        if (!c) {
            break;
        }
        f[n].s = s;
        f[n].n = (apr_size_t)(c - s);
        f[n] = span_trim(f[n]);
        n++;
        s = c + 1;
    }
    f[n].s = s;
    f[n].n = (apr_size_t)(end - s);
    f[n] = span_trim(f[n]);
    return n + 1;
}

/* Next line of [*at, end), trimmed; false when the body is over. */
static int next_line(span_t *line, const char **at, const char *end)
{
    const char *nl;

    if (*at >= end) {
        return 0;
    }
    nl = memchr(*at, '\n', (apr_size_t)(end - *at));
    line->s = *at;
    line->n = (apr_size_t)((nl ? nl : end) - *at);
    *line = span_trim(*line);
    *at = nl ? nl + 1 : end;
    return 1;
}

/* Where the recipients of a request are found by the number the
 * provider echoes: first recipient of each number, then a chain. */
typedef struct {
    apr_hash_t *by_to; /* number -> int* first index */
    int *next;         /* next recipient with the same number, or -1 */
    char *answered;    /* recipient already has its line */
} rindex_t;

/* Index the recipients of a request by number ("+" ignored). */
static void rindex_build(rindex_t *ix, const apr_array_header_t *rcpts,
                         apr_pool_t *p)
{
    int i, n = rcpts ? rcpts->nelts : 0;

    ix->by_to = apr_hash_make(p);
    ix->next = apr_palloc(p, sizeof(int) * (apr_size_t)(n ? n : 1));
    ix->answered = apr_pcalloc(p, (apr_size_t)(n ? n : 1));
    for (i = n - 1; i >= 0; i--) {
        const char *to = APR_ARRAY_IDX(rcpts, i, sms_recipient_t).to;
        int *first, *idx;

        to = to ? to : "";
        if (*to == '+') {
            to++;
        }
        first = apr_hash_get(ix->by_to, to, APR_HASH_KEY_STRING);
        ix->next[i] = first ? *first : -1;
        idx = apr_palloc(p, sizeof(*idx));
        *idx = i;
        apr_hash_set(ix->by_to, to, APR_HASH_KEY_STRING, idx);
    }
}

/* First recipient without a line whose number is key, or -1. */
static int rindex_take(rindex_t *ix, const char *key)
{
    int *first = apr_hash_get(ix->by_to, key, APR_HASH_KEY_STRING);
    int i;

    for (i = first ? *first : -1; i >= 0; i = ix->next[i]) {
        if (!ix->answered[i]) {
            ix->answered[i] = 1;
            return i;
        }
    }
    return -1;
}

/* The recipient an echoed number belongs to, or -1. The provider echoes
 * accepted Australian mobiles in 61 form and refused numbers as
 * submitted; the national forms 04xxxxxxxx and 4xxxxxxxx are matched
 * against 614xxxxxxxx too, in case the echo is not what it documents. */
static int rindex_find(rindex_t *ix, span_t number, apr_pool_t *p)
{
    const char *echo;
    int i;

    if (number.n && number.s[0] == '+') {
        number.s++;
        number.n--;
    }
    echo = span_dup(number, p);
    if ((i = rindex_take(ix, echo)) >= 0) {
        return i;
    }
    if (number.n == 10 && echo[0] == '0' && echo[1] == '4') {
        return rindex_take(ix, apr_pstrcat(p, "61", echo + 1, NULL));
    }
    if (number.n == 9 && echo[0] == '4') {
        return rindex_take(ix, apr_pstrcat(p, "61", echo, NULL));
    }
    return -1;
}

/* The recipients without a line of their own. An ERROR line (error, or
 * NULL) refuses the whole request; it never overrides an OK or BAD line
 * of the same answer (resending an accepted recipient would be a second
 * SMS). Without any usable line nothing is known. */
static void settle_unanswered(apr_array_header_t *rcpts, const rindex_t *ix,
                              int recognised, const span_t *error,
                              apr_pool_t *p)
{
    int i;

    for (i = 0; i < rcpts->nelts; i++) {
        sms_recipient_t *rc = &APR_ARRAY_IDX(rcpts, i, sms_recipient_t);

        if (ix->answered[i]) {
            continue;
        }
        if (error) {
            rc->outcome = span_contains_ci(*error, "username") ||
                                  span_contains_ci(*error, "password")
                              ? SMS_OUT_AUTH
                              : SMS_OUT_REQUEST_ERROR;
            rc->detail = error->n ? span_dup(*error, p)
                                  : "the provider refused the request "
                                    "without a reason";
        }
        else {
            rc->outcome = SMS_OUT_UNKNOWN;
            rc->detail = recognised
                             ? "no line for this recipient in the provider's "
                               "answer"
                             : "unrecognised provider answer";
        }
    }
}

void sms_broadcast_parse(sms_send_req_t *req, const char *body, apr_size_t len,
                         apr_pool_t *p)
{
    apr_array_header_t *rcpts = req->recipients;
    const char *at = body ? body : "", *end = at + (body ? len : 0);
    span_t line, error_reason = {NULL, 0};
    int recognised = 0, error_seen = 0, i;
    rindex_t ix;

    if (!rcpts) {
        return;
    }
    for (i = 0; i < rcpts->nelts; i++) {
        sms_recipient_t *rc = &APR_ARRAY_IDX(rcpts, i, sms_recipient_t);
        rc->outcome = SMS_OUT_PENDING;
        rc->external_id = NULL;
        rc->detail = NULL;
    }
    rindex_build(&ix, rcpts, p);
    if (end - at >= 3 && !memcmp(at, "\xEF\xBB\xBF", 3)) { /* a BOM */
        at += 3;
    }

    while (next_line(&line, &at, end)) {
        span_t f[3];
        int nf, k;
        sms_recipient_t *rc;

        if (!line.n || memchr(line.s, '\0', line.n)) {
            continue; /* a NUL would cut an smsref or reason short */
        }
        nf = split_fields(f, 3, line);
        if (nf >= 2 && span_is(f[0], "ERROR")) {
            /* the reason is the whole rest of the line, colons and all */
            if (!error_seen) {
                const char *colon = memchr(line.s, ':', line.n);
                error_reason.s = colon + 1;
                error_reason.n = line.n - (apr_size_t)(colon + 1 - line.s);
                error_reason = span_trim(error_reason);
                error_seen = 1;
            }
            recognised = 1;
            continue;
        }
        if (nf < 2 || !f[1].n ||
            !(span_is(f[0], "OK") || span_is(f[0], "BAD"))) {
            continue; /* "OK" alone, "OK:" without a number, garbage */
        }
        recognised = 1;
        /* a number we did not send, or one that already had its line */
        if ((k = rindex_find(&ix, f[1], p)) < 0) {
            continue;
        }
        rc = &APR_ARRAY_IDX(rcpts, k, sms_recipient_t);
        if (span_is(f[0], "OK")) {
            rc->outcome = SMS_OUT_ACCEPTED;
            rc->external_id = nf == 3 && f[2].n ? span_dup(f[2], p) : NULL;
            rc->detail = rc->external_id ? NULL : "no smsref";
        }
        else {
            rc->outcome = SMS_OUT_REJECTED;
            rc->detail = nf == 3 && f[2].n ? span_dup(f[2], p)
                                           : "refused by the provider "
                                             "without a reason";
        }
    }

    settle_unanswered(rcpts, &ix, recognised, error_seen ? &error_reason : NULL,
                      p);
}

/* A credit count: optional sign, digits, an optional fraction (dropped);
 * false when v is anything else or does not fit a long. */
static int parse_credits(long *out, span_t v)
{
    apr_size_t i = 0;
    int neg = 0;
    long n = 0;

    if (v.n && (v.s[0] == '-' || v.s[0] == '+')) {
        neg = v.s[0] == '-';
        i++;
    }
    if (i == v.n || v.s[i] < '0' || v.s[i] > '9') {
        return 0;
    }
    for (; i < v.n && v.s[i] >= '0' && v.s[i] <= '9'; i++) {
        if (n > (LONG_MAX - (v.s[i] - '0')) / 10) {
            return 0;
        }
        n = n * 10 + (v.s[i] - '0');
    }
    if (i < v.n && v.s[i] == '.') {
        /* *unconfirmed*: the documented answer is an integer */
        for (i++; i < v.n && v.s[i] >= '0' && v.s[i] <= '9'; i++)
            ;
    }
    if (i != v.n) {
        return 0;
    }
    *out = neg ? -n : n;
    return 1;
}

apr_status_t sms_broadcast_parse_balance(long *credits, const char **error,
                                         const char *body, apr_size_t len,
                                         apr_pool_t *p)
{
    const char *at = body ? body : "", *end = at + (body ? len : 0);
    span_t line;

    *error = NULL;
    while (next_line(&line, &at, end)) {
        span_t f[3];
        int nf = line.n && !memchr(line.s, '\0', line.n)
                     ? split_fields(f, 2, line)
                     : 0;

        if (nf == 2 && span_is(f[0], "OK") && parse_credits(credits, f[1])) {
            return APR_SUCCESS;
        }
        if (nf == 2 && span_is(f[0], "ERROR")) {
            *error = f[1].n ? span_dup(f[1], p)
                            : "the provider refused the request without a "
                              "reason";
            return APR_EINVAL;
        }
    }
    *error = "unrecognised provider answer";
    return APR_EGENERAL;
}

/* --- the libcurl transport --------------------------------------------- */

typedef struct {
    sms_provider_conf_t conf; /* copied into the provider's pool */
    long connect_ms, total_ms;
    struct curl_slist *headers; /* read-only, shared by every handle */
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock; /* guards idle / nidle */
#endif
    CURL *idle[BROADCAST_IDLE_MAX];
    int nidle;
} broadcast_t;

/* One POST and what came of it. */
typedef struct {
    CURL *h;
    CURLcode rc;
    long http;         /* final status, 0 when none came */
    long sent;         /* request bytes that left us */
    int attempts;      /* requests libcurl was about to send */
    int retry_refused; /* retry_guard() stopped a resend */
    int overflow;      /* the answer passed BROADCAST_BODY_MAX */
    char *body;
    apr_size_t len, cap;
    apr_pool_t *p;
    char errbuf[CURL_ERROR_SIZE];
} exchange_t;

/* The handles of the idle list, and the header list, at pool cleanup. */
static apr_status_t broadcast_cleanup(void *data)
{
    broadcast_t *bc = data;

    while (bc->nidle > 0) {
        curl_easy_cleanup(bc->idle[--bc->nidle]);
    }
    curl_slist_free_all(bc->headers);
    bc->headers = NULL;
    return APR_SUCCESS;
}

/* A handle of our own: an idle one (its connection may be alive) or new. */
static CURL *handle_get(broadcast_t *bc)
{
    CURL *h = NULL;

#if APR_HAS_THREADS
    apr_thread_mutex_lock(bc->lock);
#endif
    if (bc->nidle > 0) {
        h = bc->idle[--bc->nidle];
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(bc->lock);
#endif
    return h ? h : curl_easy_init();
}

/* Give a handle back for the next request, or drop it when enough wait. */
static void handle_put(broadcast_t *bc, CURL *h)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(bc->lock);
#endif
    if (bc->nidle < BROADCAST_IDLE_MAX) {
        bc->idle[bc->nidle++] = h;
        h = NULL;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(bc->lock);
#endif
    if (h) {
        curl_easy_cleanup(h);
    }
}

/* Milliseconds for libcurl from an APR interval; dflt when 0 or less. */
static long interval_ms(apr_interval_time_t t, long dflt)
{
    return t > 0 ? (long)((t + 999) / 1000) : dflt;
}

apr_status_t sms_broadcast_open(void **ctx, const sms_provider_conf_t *conf,
                                apr_pool_t *pool)
{
    broadcast_t *bc;
    struct curl_slist *h1, *h2;

    if (!conf || !conf->url || !*conf->url || !conf->username ||
        !conf->password) {
        return APR_EINVAL;
    }
    bc = apr_pcalloc(pool, sizeof(*bc));
    bc->conf.url = apr_pstrdup(pool, conf->url);
    bc->conf.username = apr_pstrdup(pool, conf->username);
    bc->conf.password = apr_pstrdup(pool, conf->password);
    bc->conf.timeout = conf->timeout;
    bc->conf.connect_timeout = conf->connect_timeout;
    bc->connect_ms = interval_ms(conf->connect_timeout, BROADCAST_CONNECT_MS);
    bc->total_ms = interval_ms(conf->timeout, BROADCAST_TIMEOUT_MS);
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&bc->lock, APR_THREAD_MUTEX_DEFAULT, pool) !=
        APR_SUCCESS) {
        return APR_ENOMEM;
    }
#endif
    /* "Expect:" off: a form of a thousand numbers must not wait for a
     * 100-continue that a plain API server never sends. */
    h1 = curl_slist_append(NULL, "Content-Type: "
                                 "application/x-www-form-urlencoded");
    h2 = h1 ? curl_slist_append(h1, "Expect:") : NULL;
    if (!h2) {
        curl_slist_free_all(h1);
        return APR_ENOMEM;
    }
    bc->headers = h2;
    /* registered after the mutex: runs before the mutex goes */
    apr_pool_cleanup_register(pool, bc, broadcast_cleanup,
                              apr_pool_cleanup_null);
    *ctx = bc;
    return APR_SUCCESS;
}

/* Keep the answer, up to BROADCAST_BODY_MAX; more ends the transfer. */
static size_t collect(char *data, size_t size, size_t nmemb, void *baton)
{
    exchange_t *x = baton;
    apr_size_t n = size * nmemb;

    if (n > BROADCAST_BODY_MAX - x->len) {
        x->overflow = 1;
        return 0;
    }
    if (x->len + n + 1 > x->cap) {
        apr_size_t cap = x->cap ? x->cap : 1024;
        char *grown;
        while (cap < x->len + n + 1) {
            cap *= 2;
        }
        grown = apr_palloc(x->p, cap);
        if (x->len) {
            memcpy(grown, x->body, x->len);
        }
        x->body = grown;
        x->cap = cap;
    }
    memcpy(x->body + x->len, data, n);
    x->len += n;
    x->body[x->len] = '\0';
    return n;
}

#if LIBCURL_VERSION_NUM >= 0x075000
/* Called by libcurl before each request it is about to send. A second
 * call in one transfer is its automatic retry after a reused connection
 * died with no answer; once our first request went out that would be a
 * blind resend (SMS Broadcast has no idempotency), so it is refused and
 * the transfer ends as "unknown". */
static int retry_guard(void *baton, char *primary_ip, char *local_ip,
                       int primary_port, int local_port)
{
    exchange_t *x = baton;
    long sent = 0;

    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    if (x->attempts++ == 0) {
        return CURL_PREREQFUNC_OK;
    }
    curl_easy_getinfo(x->h, CURLINFO_REQUEST_SIZE, &sent);
    if (sent > 0) {
        x->retry_refused = 1;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}
#endif

/* POST form to the provider on one of our handles; x says what came. */
static void post(exchange_t *x, broadcast_t *bc, const char *form,
                 apr_pool_t *p)
{
    CURL *h;

    memset(x, 0, sizeof(*x));
    x->p = p;
    if (!(h = handle_get(bc))) {
        x->rc = CURLE_FAILED_INIT;
        apr_cpystrn(x->errbuf, "could not create a libcurl handle",
                    sizeof(x->errbuf));
        sms_log(SMS_LOG_ERR, APR_ENOMEM, p, "SMS Broadcast: %s", x->errbuf);
        return;
    }
    x->h = h;
    /* a clean slate each time; the connection cache survives a reset */
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, bc->conf.url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(form));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, bc->headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, BROADCAST_USER_AGENT);
    sms_http_rules(h, bc->connect_ms, bc->total_ms);
    /* HTTP/1.1 keep-alive is all a one-line API needs; it also keeps the
     * request accounting of retry_guard() plain */
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
#if LIBCURL_VERSION_NUM >= 0x075000
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, retry_guard);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, x);
#else
    /* no way to stop libcurl's resend on a dead reused connection: no
     * reuse at all, then */
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
#endif

    x->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->http);
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &x->sent);
    if (x->rc != CURLE_OK && !x->errbuf[0]) {
        apr_cpystrn(x->errbuf, curl_easy_strerror(x->rc), sizeof(x->errbuf));
    }
    /* nothing of ours may outlive p in a handle that waits for reuse */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, NULL);
#if LIBCURL_VERSION_NUM >= 0x075000
    curl_easy_setopt(h, CURLOPT_PREREQDATA, NULL);
#endif
    x->h = NULL;
    handle_put(bc, h);
}

/* Every recipient of req gets outcome and detail. */
static void set_all(sms_send_req_t *req, sms_outcome_e outcome,
                    const char *detail)
{
    int i;

    for (i = 0; i < req->recipients->nelts; i++) {
        sms_recipient_t *rc =
            &APR_ARRAY_IDX(req->recipients, i, sms_recipient_t);
        rc->outcome = outcome;
        rc->external_id = NULL;
        rc->detail = detail;
    }
}

/* How a transfer that brought no usable status ended, in a sentence. */
static const char *failure_text(const exchange_t *x, apr_pool_t *p)
{
    if (x->retry_refused) {
        return "the connection died after the request was sent; not resent";
    }
    return apr_psprintf(p, "%s (libcurl %d)", x->errbuf, (int)x->rc);
}

void sms_broadcast_send(void *ctx, sms_send_req_t *req, apr_pool_t *p)
{
    broadcast_t *bc = ctx;
    int n = req->recipients ? req->recipients->nelts : 0;
    int counts[SMS_OUT_REQUEST_ERROR + 1] = {0};
    apr_time_t started = apr_time_now();
    exchange_t x;
    int i;

    if (!n) {
        return;
    }
    post(&x, bc, sms_broadcast_form(&bc->conf, req, p), p);

    if (x.http && x.http != 200) {
        /* the provider (or a proxy before it) said no: 5xx, 429 and the
         * rest alike are retried later */
        set_all(req, SMS_OUT_TRANSIENT, apr_psprintf(p, "HTTP %ld", x.http));
    }
    else if (x.http == 200 && x.overflow) {
        set_all(req, SMS_OUT_UNKNOWN,
                "unrecognised provider answer "
                "(larger than 64 KiB)");
    }
    else if (x.http == 200 && x.rc != CURLE_OK) {
        set_all(req, SMS_OUT_UNKNOWN,
                apr_pstrcat(p, "the provider's answer was cut off: ",
                            failure_text(&x, p), NULL));
    }
    else if (x.http == 200) {
        sms_broadcast_parse(req, x.body, x.len, p);
    }
    else if (x.retry_refused) {
        set_all(req, SMS_OUT_UNKNOWN, failure_text(&x, p));
    }
    else if (x.sent == 0) {
        /* DNS, connect, TLS handshake: nothing of ours left */
        set_all(req, SMS_OUT_TRANSIENT,
                apr_pstrcat(p, "not sent: ", failure_text(&x, p), NULL));
    }
    else {
        /* timeout, reset, receive error after the request went out */
        set_all(req, SMS_OUT_UNKNOWN,
                apr_pstrcat(p, "no answer after the request was sent: ",
                            failure_text(&x, p), NULL));
    }

    for (i = 0; i < n; i++) {
        sms_outcome_e o =
            APR_ARRAY_IDX(req->recipients, i, sms_recipient_t).outcome;
        if ((unsigned)o <= SMS_OUT_REQUEST_ERROR) {
            counts[o]++;
        }
    }
    /* numbers and text stay out of the log; the caller logs per message */
    sms_log(SMS_LOG_DEBUG, 0, p,
            "SMS Broadcast: %d recipient(s), HTTP %ld, "
            "%" APR_TIME_T_FMT " ms: %d accepted, %d rejected, %d transient, "
            "%d unknown, %d auth, %d request error",
            n, x.http, apr_time_as_msec(apr_time_now() - started),
            counts[SMS_OUT_ACCEPTED], counts[SMS_OUT_REJECTED],
            counts[SMS_OUT_TRANSIENT], counts[SMS_OUT_UNKNOWN],
            counts[SMS_OUT_AUTH], counts[SMS_OUT_REQUEST_ERROR]);
}

apr_status_t sms_broadcast_balance(long *credits, sms_error_t **err, void *ctx,
                                   apr_pool_t *p)
{
    broadcast_t *bc = ctx;
    const char *why;
    exchange_t x;
    apr_status_t rv;

    *err = NULL;
    post(&x, bc, balance_form(&bc->conf, p), p);
    if (!x.http) {
        *err = sms_error_make(p, 502, "provider_error", NULL, "%s: %s",
                              x.sent ? "no answer from SMS Broadcast to the "
                                       "balance request"
                                     : "could not reach SMS Broadcast",
                              failure_text(&x, p));
        return APR_EINVAL;
    }
    if (x.http != 200) {
        *err = sms_error_make(p, 502, "provider_error", NULL,
                              "SMS Broadcast answered the balance request "
                              "with HTTP %ld",
                              x.http);
        return APR_EINVAL;
    }
    if (x.rc != CURLE_OK || x.overflow) {
        *err = sms_error_make(p, 502, "provider_error", NULL,
                              "SMS Broadcast's balance answer was cut off "
                              "or too large");
        return APR_EINVAL;
    }
    rv = sms_broadcast_parse_balance(credits, &why, x.body, x.len, p);
    if (rv == APR_SUCCESS) {
        return APR_SUCCESS;
    }
    if (rv == APR_EINVAL) {
        span_t reason = {why, strlen(why)};
        int auth = span_contains_ci(reason, "username") ||
                   span_contains_ci(reason, "password");
        *err = sms_error_make(
            p, 502, auth ? "provider_auth" : "provider_error", NULL,
            "SMS Broadcast refused the balance request: %s", why);
    }
    else {
        *err = sms_error_make(p, 502, "provider_error", NULL,
                              "SMS Broadcast answered the balance request "
                              "with something unrecognisable");
    }
    sms_log(SMS_LOG_DEBUG, 0, p, "SMS Broadcast balance: %s", (*err)->message);
    return APR_EINVAL;
}
