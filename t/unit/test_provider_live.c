/*
 * test_provider_live.c - the "broadcast" provider through real libcurl
 * against t/fake-broadcast (a faithful fake of the SMS Broadcast API that
 * records every request it gets): each outcome class of sms_provider.h
 * from a real exchange, every field sent exactly once, nothing resent,
 * and no secret in our log. Skips when perl or the fake is missing.
 *
 * The fake is found through $SMS_FAKE_BROADCAST, then beside
 * $SMS_TEST_DATA (t/data, as make check sets it), then t/fake-broadcast
 * under the current directory or its parent.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <apr_env.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_network_io.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <jansson.h>

#include <curl/curl.h>

#include "sms_provider.h"
#include "tap.h"

/* name formatted in the pool p of the calling function */
#define IS_STR(got, want, ...)                                                 \
    tap_is_str((got), (want), apr_psprintf(p, __VA_ARGS__))
#define IS_INT(got, want, ...)                                                 \
    tap_is_int((long long)(got), (long long)(want),                            \
               apr_psprintf(p, __VA_ARGS__))

#define USERNAME "walkeasy"
#define PASSWORD "s3cr&t=pa ss%25+" /* every character that bites */
#define PASSWORD_FORM "s3cr%26t%3Dpa%20ss%2525%2B"
#define MESSAGE                                                                \
    "Hi Ann & Bob: 100%25 = \xE2\x82\xAC"                                      \
    "5 + \xF0\x9F\x98\x80"                                                     \
    "\nsee you"
#define TIMEOUT_MS 1500
#define THREADS 8
#define PER_THREAD 5

typedef struct {
    const char *perl;
    const char *script;
    const char *dir;
    const char *log;
    const char *state;
    int port;
} fake_t;

static fake_t fake;
static apr_array_header_t *log_lines; /* what the core logged */

static const char *outcome_name(sms_outcome_e o)
{
    static const char *const names[] = {"PENDING",      "ACCEPTED", "REJECTED",
                                        "TRANSIENT",    "UNKNOWN",  "AUTH",
                                        "REQUEST_ERROR"};
    return (unsigned)o < sizeof(names) / sizeof(*names) ? names[o] : "?";
}

static void capture_log(void *baton, sms_log_level_e level, apr_status_t rv,
                        const char *msg)
{
    (void)baton;
    (void)level;
    (void)rv;
    /* main thread only: check_threads() turns the sink off meanwhile */
    APR_ARRAY_PUSH(log_lines, const char *) = apr_pstrdup(log_lines->pool, msg);
}

/* --- the fake ----------------------------------------------------------- */

/* An executable named name on $PATH, or NULL. */
static const char *which(const char *name, apr_pool_t *p)
{
    char *path = NULL, *dir, *last;

    if (apr_env_get(&path, "PATH", p) != APR_SUCCESS || !path) {
        return NULL;
    }
    for (dir = apr_strtok(apr_pstrdup(p, path), ":", &last); dir;
         dir = apr_strtok(NULL, ":", &last)) {
        const char *f = apr_pstrcat(p, dir, "/", name, NULL);
        if (access(f, X_OK) == 0) {
            return f;
        }
    }
    return NULL;
}

/* The fake's script, or NULL. */
static const char *find_fake(apr_pool_t *p)
{
    const char *const rel[] = {"t/fake-broadcast/fake-broadcast",
                               "../t/fake-broadcast/fake-broadcast"};
    char *env = NULL;
    apr_size_t i;

    if (apr_env_get(&env, "SMS_FAKE_BROADCAST", p) == APR_SUCCESS && env) {
        return access(env, R_OK) == 0 ? env : NULL;
    }
    if (apr_env_get(&env, "SMS_TEST_DATA", p) == APR_SUCCESS && env) {
        const char *f =
            apr_pstrcat(p, env, "/../fake-broadcast/fake-broadcast", NULL);
        if (access(f, R_OK) == 0) {
            return f;
        }
    }
    for (i = 0; i < sizeof(rel) / sizeof(*rel); i++) {
        if (access(rel[i], R_OK) == 0) {
            return rel[i];
        }
    }
    return NULL;
}

/* Run argv (argv[0] a full path) to its end, output to /dev/null;
 * its exit code, or -1. */
static int run(const char *const *argv, apr_pool_t *p)
{
    apr_procattr_t *attr;
    apr_proc_t proc;
    apr_file_t *null;
    apr_exit_why_e why;
    int code = -1;

    if (apr_file_open(&null, "/dev/null", APR_FOPEN_WRITE, APR_OS_DEFAULT, p) !=
            APR_SUCCESS ||
        apr_procattr_create(&attr, p) != APR_SUCCESS ||
        apr_procattr_child_out_set(attr, null, NULL) != APR_SUCCESS ||
        apr_procattr_cmdtype_set(attr, APR_PROGRAM) != APR_SUCCESS ||
        apr_proc_create(&proc, argv[0], argv, NULL, attr, p) != APR_SUCCESS) {
        return -1;
    }
    apr_proc_wait(&proc, &code, &why, APR_WAIT);
    apr_file_close(null);
    return why == APR_PROC_EXIT ? code : -1;
}

/* Start the fake on a free port; it is stopped when p goes. */
static apr_status_t fake_start(apr_pool_t *p)
{
    const char *argv[] = {
        fake.perl,    fake.script,   "--port",         "0",          "--log",
        fake.log,     "--state-dir", fake.state,       "--username", USERNAME,
        "--password", PASSWORD,      "--idle-timeout", "20",         NULL};
    apr_procattr_t *attr;
    apr_proc_t *proc = apr_pcalloc(p, sizeof(*proc));
    char line[256];
    apr_status_t rv;

    if ((rv = apr_procattr_create(&attr, p)) != APR_SUCCESS ||
        (rv = apr_procattr_io_set(attr, APR_NO_PIPE, APR_CHILD_BLOCK,
                                  APR_NO_PIPE)) != APR_SUCCESS ||
        (rv = apr_procattr_cmdtype_set(attr, APR_PROGRAM)) != APR_SUCCESS ||
        (rv = apr_proc_create(proc, fake.perl, argv, NULL, attr, p)) !=
            APR_SUCCESS) {
        return rv;
    }
    apr_pool_note_subprocess(p, proc, APR_KILL_AFTER_TIMEOUT);
    apr_file_pipe_timeout_set(proc->out, apr_time_from_sec(15));
    if ((rv = apr_file_gets(line, sizeof(line), proc->out)) != APR_SUCCESS) {
        return rv;
    }
    if (strncmp(line, "port=", 5) || (fake.port = atoi(line + 5)) <= 0) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* Tell the fake how to behave from its next request on. */
static int fake_mode(const char *json, apr_pool_t *p)
{
    const char *argv[] = {fake.perl,    fake.script, "--state-dir", fake.state,
                          "--set-mode", json,        NULL};
    int code = run(argv, p);

    if (code != 0) {
        tap_diag("fake-broadcast --set-mode '%s' exited %d", json, code);
    }
    return code == 0;
}

/* The requests the fake recorded, oldest first (a JSON array). */
static json_t *fake_log(apr_pool_t *p)
{
    json_t *all = json_array();
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf, *line, *last;
    apr_size_t got;

    if (apr_file_open(&f, fake.log, APR_FOPEN_READ, APR_OS_DEFAULT, p) !=
        APR_SUCCESS) {
        return all;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) == APR_SUCCESS) {
        buf = apr_palloc(p, (apr_size_t)fi.size + 1);
        apr_file_read_full(f, buf, (apr_size_t)fi.size, &got);
        buf[got] = '\0';
        for (line = apr_strtok(buf, "\n", &last); line;
             line = apr_strtok(NULL, "\n", &last)) {
            json_t *e = json_loads(line, 0, NULL);
            if (e) {
                json_array_append_new(all, e);
            }
            else {
                tap_diag("unreadable fake log line: %.80s", line);
            }
        }
    }
    apr_file_close(f);
    return all;
}

static size_t fake_log_count(apr_pool_t *p)
{
    json_t *all = fake_log(p);
    size_t n = json_array_size(all);

    json_decref(all);
    return n;
}

static const char *jstr(json_t *obj, const char *path1, const char *path2)
{
    json_t *v = json_object_get(obj, path1);

    if (path2) {
        v = json_object_get(v, path2);
    }
    return json_string_value(v);
}

/* A port on loopback nothing listens on (bound, then closed). */
static int closed_port(apr_pool_t *p)
{
    apr_socket_t *s;
    apr_sockaddr_t *sa;
    int port = 0;

    if (apr_sockaddr_info_get(&sa, "127.0.0.1", APR_INET, 0, 0, p) ==
            APR_SUCCESS &&
        apr_socket_create(&s, APR_INET, SOCK_STREAM, APR_PROTO_TCP, p) ==
            APR_SUCCESS) {
        if (apr_socket_bind(s, sa) == APR_SUCCESS &&
            apr_socket_addr_get(&sa, APR_LOCAL, s) == APR_SUCCESS) {
            port = sa->port;
        }
        apr_socket_close(s);
    }
    return port;
}

/* --- requests ------------------------------------------------------------ */

static sms_provider_t *provider(int port, const char *password, apr_pool_t *p)
{
    sms_provider_conf_t c;
    sms_provider_t *pv = NULL;

    c.url = apr_psprintf(p, "http://127.0.0.1:%d/api-adv.php", port);
    c.username = USERNAME;
    c.password = password;
    c.timeout = apr_time_from_msec(TIMEOUT_MS);
    c.connect_timeout = apr_time_from_msec(1000);
    if (sms_provider_create(&pv, "broadcast", &c, p) != APR_SUCCESS) {
        return NULL;
    }
    return pv;
}

/* Send message to the numbers (NULL-terminated) and time it. */
static sms_send_req_t *send_to(sms_provider_t *pv, const char *message,
                               int maxsplit, const char *const *numbers,
                               apr_interval_time_t *took, apr_pool_t *p)
{
    sms_send_req_t *req = apr_pcalloc(p, sizeof(*req));
    apr_time_t start;

    req->message = message;
    req->maxsplit = maxsplit;
    req->recipients = apr_array_make(p, 4, sizeof(sms_recipient_t));
    for (; *numbers; numbers++) {
        sms_recipient_t *rc = apr_array_push(req->recipients);
        memset(rc, 0, sizeof(*rc));
        rc->to = *numbers;
        rc->message_id = req->recipients->nelts;
    }
    start = apr_time_now();
    sms_provider_send(pv, req, p);
    if (took) {
        *took = apr_time_now() - start;
    }
    return req;
}

static sms_recipient_t *rcpt(sms_send_req_t *req, int i)
{
    return &APR_ARRAY_IDX(req->recipients, i, sms_recipient_t);
}

/* ok when every recipient of req has outcome o (and a detail starting
 * with detail, when given); says what it got otherwise. */
static void expect_all(sms_send_req_t *req, sms_outcome_e o, const char *detail,
                       const char *name, apr_pool_t *p)
{
    int i, ok = 1;

    for (i = 0; i < req->recipients->nelts; i++) {
        sms_recipient_t *rc = rcpt(req, i);
        if (rc->outcome != o ||
            (detail &&
             (!rc->detail || strncmp(rc->detail, detail, strlen(detail))))) {
            if (ok) {
                tap_diag("  [%d] %s: %s", i, outcome_name(rc->outcome),
                         rc->detail ? rc->detail : "(no detail)");
            }
            ok = 0;
        }
    }
    tap_ok(ok, "%s: %s%s%s", name, outcome_name(o), detail ? ", " : "",
           detail ? detail : "");
    (void)p;
}

/* ok when the fake recorded exactly one request since before. */
static void expect_one_request(size_t before, const char *name, apr_pool_t *p)
{
    IS_INT(fake_log_count(p) - before, 1, "%s: the fake got it once", name);
}

static const char *const three[] = {"61400111222", "61400333444", "0400abc111",
                                    NULL};
static const char *const one[] = {"61400111222", NULL};

static void check_normal(sms_provider_t *pv, apr_pool_t *p)
{
    size_t before = fake_log_count(p);
    sms_send_req_t *req;
    json_t *all, *e, *fields, *accepted;
    const char *key;
    json_t *v;
    int nfields = 0;

    req = send_to(pv, MESSAGE, 1, three, NULL, p);
    /* sent again with from and ref set, the way the sender does */
    req->from = "WalkEasy";
    req->ref = "77";
    sms_provider_send(pv, req, p);
    IS_STR(outcome_name(rcpt(req, 0)->outcome), "ACCEPTED", "normal: [0]");
    IS_STR(outcome_name(rcpt(req, 1)->outcome), "ACCEPTED", "normal: [1]");
    IS_STR(outcome_name(rcpt(req, 2)->outcome), "REJECTED", "normal: [2]");
    IS_STR(rcpt(req, 2)->detail, "Invalid Number", "normal: BAD reason");
    tap_ok(rcpt(req, 0)->external_id && rcpt(req, 1)->external_id &&
               strcmp(rcpt(req, 0)->external_id, rcpt(req, 1)->external_id),
           "normal: two distinct smsrefs");
    IS_INT(fake_log_count(p) - before, 2, "normal: two requests, two entries");

    all = fake_log(p);
    e = json_array_get(all, json_array_size(all) - 1);
    fields = json_object_get(e, "fields");
    IS_STR(jstr(e, "method", NULL), "POST", "normal: POST");
    IS_STR(jstr(e, "path", NULL), "/api-adv.php", "normal: path");
    IS_STR(jstr(e, "content_type", NULL), "application/x-www-form-urlencoded",
           "normal: form content type");
    IS_INT(json_array_size(json_object_get(e, "in_query")), 0,
           "normal: nothing in the query string");
    tap_ok(!json_object_get(e, "bad_utf8"), "normal: valid UTF-8 fields");
    IS_STR(jstr(fields, "message", NULL), MESSAGE,
           "normal: message arrives as written (encoded once)");
    IS_STR(jstr(fields, "to", NULL), "61400111222,61400333444,0400abc111",
           "normal: recipients");
    IS_STR(jstr(fields, "username", NULL), USERNAME, "normal: username");
    IS_STR(jstr(fields, "password", NULL), "***",
           "normal: password sent (the fake masks it)");
    IS_STR(jstr(fields, "from", NULL), "WalkEasy", "normal: from");
    IS_STR(jstr(fields, "ref", NULL), "77", "normal: ref");
    IS_STR(jstr(fields, "maxsplit", NULL), "1", "normal: maxsplit");
    json_object_foreach(fields, key, v)
    {
        nfields++;
    }
    IS_INT(nfields, 7, "normal: seven fields, nothing else");
    accepted = json_object_get(e, "accepted");
    IS_INT(json_array_size(accepted), 2, "normal: the fake accepted two");
    if (json_array_size(accepted) == 2) {
        json_t *a0 = json_object_get(json_array_get(accepted, 0), "smsref");
        char *ref0 = json_is_integer(a0)
                         ? apr_psprintf(p, "%" APR_INT64_T_FMT,
                                        (apr_int64_t)json_integer_value(a0))
                         : apr_pstrdup(p, json_string_value(a0));
        IS_STR(rcpt(req, 0)->external_id, ref0,
               "normal: our smsref is the fake's");
    }
    json_decref(all);
}

/* The fake's other spacing and CRLF line ends read alike. */
static void check_formatting(sms_provider_t *pv, apr_pool_t *p)
{
    sms_send_req_t *req;

    fake_mode("{\"mode\":\"normal\",\"crlf\":true,\"spacing\":true}", p);
    req = send_to(pv, MESSAGE, 1, three, NULL, p);
    IS_STR(outcome_name(rcpt(req, 0)->outcome), "ACCEPTED",
           "CRLF and spacing: [0]");
    IS_STR(outcome_name(rcpt(req, 1)->outcome), "ACCEPTED",
           "CRLF and spacing: [1]");
    tap_ok(rcpt(req, 0)->external_id && rcpt(req, 1)->external_id,
           "CRLF and spacing: smsrefs");
    IS_STR(rcpt(req, 2)->detail, "Invalid Number",
           "CRLF and spacing: BAD reason");
    fake_mode("{\"mode\":\"normal\"}", p);
}

static void check_maxsplit(sms_provider_t *pv, apr_pool_t *p)
{
    char *text = apr_palloc(p, 201);
    sms_send_req_t *req;

    memset(text, 'x', 200);
    text[200] = '\0';
    req = send_to(pv, text, 2, one, NULL, p);
    expect_all(req, SMS_OUT_ACCEPTED, NULL, "200 characters, maxsplit 2", p);
    req = send_to(pv, text, 1, one, NULL, p);
    expect_all(req, SMS_OUT_REJECTED, "Message too long",
               "200 characters, maxsplit 1", p);
}

static void check_thousand(sms_provider_t *pv, apr_pool_t *p)
{
    const char **numbers = apr_pcalloc(p, 1001 * sizeof(*numbers));
    size_t before = fake_log_count(p);
    apr_hash_t *seen = apr_hash_make(p);
    sms_send_req_t *req;
    int i;

    for (i = 0; i < 1000; i++) {
        numbers[i] = apr_psprintf(p, "614%08d", i);
    }
    req = send_to(pv, "bulk", 1, numbers, NULL, p);
    expect_all(req, SMS_OUT_ACCEPTED, NULL, "1000 recipients", p);
    for (i = 0; i < 1000; i++) {
        const char *ref = rcpt(req, i)->external_id;
        if (ref) {
            apr_hash_set(seen, ref, APR_HASH_KEY_STRING, ref);
        }
    }
    IS_INT(apr_hash_count(seen), 1000, "1000 recipients: distinct smsrefs");
    expect_one_request(before, "1000 recipients", p);
}

/* One mode of the fake, one send, its outcome. */
static void check_mode(sms_provider_t *pv, const char *mode_json,
                       sms_outcome_e o, const char *detail,
                       apr_interval_time_t max_took, apr_pool_t *p)
{
    size_t before = fake_log_count(p);
    apr_interval_time_t took;
    sms_send_req_t *req;

    if (!fake_mode(mode_json, p)) {
        tap_ok(0, "mode %s set", mode_json);
        return;
    }
    req = send_to(pv, MESSAGE, 1, three, &took, p);
    expect_all(req, o, detail, mode_json, p);
    expect_one_request(before, mode_json, p);
    if (max_took) {
        tap_ok(took <= max_took, "%s: answered in %d ms (at most %d)",
               mode_json, (int)apr_time_as_msec(took),
               (int)apr_time_as_msec(max_took));
    }
    fake_mode("{\"mode\":\"normal\"}", p);
}

/* A reset on a reused keep-alive connection: libcurl would resend by
 * itself on a fresh one; the provider must not. */
static void check_reset_after_keepalive(sms_provider_t *pv, apr_pool_t *p)
{
    size_t before;
    sms_send_req_t *req;

    req = send_to(pv, "warm up", 1, one, NULL, p);
    expect_all(req, SMS_OUT_ACCEPTED, NULL, "keep-alive warm-up", p);
    fake_mode("{\"mode\":\"reset\"}", p);
    before = fake_log_count(p);
    req = send_to(pv, "reset", 1, one, NULL, p);
    expect_all(req, SMS_OUT_UNKNOWN, NULL, "reset on a reused connection", p);
    tap_diag("  detail: %s", rcpt(req, 0)->detail);
    expect_one_request(before, "reset on a reused connection", p);
    fake_mode("{\"mode\":\"normal\"}", p);
}

static void check_closed_port(apr_pool_t *p)
{
    int port = closed_port(p);
    sms_provider_t *pv = provider(port, PASSWORD, p);
    apr_interval_time_t took;
    sms_send_req_t *req;
    sms_error_t *err = NULL;
    long credits;

    if (!port || !pv) {
        tap_ok(0, "closed port: set up");
        return;
    }
    req = send_to(pv, MESSAGE, 1, three, &took, p);
    expect_all(req, SMS_OUT_TRANSIENT, "not sent: ", "closed port", p);
    tap_ok(took < apr_time_from_sec(1), "closed port: at once (%d ms)",
           (int)apr_time_as_msec(took));
    IS_INT(sms_provider_balance(&credits, &err, pv, p), APR_EINVAL,
           "closed port: balance fails");
    IS_STR(err ? err->code : NULL, "provider_error",
           "closed port: balance provider_error");
    IS_INT(err ? err->status : 0, 502, "closed port: balance 502");
}

static void check_balance(sms_provider_t *pv, sms_provider_t *wrong,
                          apr_pool_t *p)
{
    sms_error_t *err = NULL;
    long credits = -1;

    fake_mode("{\"mode\":\"normal\",\"credits\":4321}", p);
    IS_INT(sms_provider_balance(&credits, &err, pv, p), APR_SUCCESS,
           "balance: answered");
    IS_INT(credits, 4321, "balance: credits");
    tap_ok(err == NULL, "balance: no error");

    err = NULL;
    IS_INT(sms_provider_balance(&credits, &err, wrong, p), APR_EINVAL,
           "balance, wrong password: refused");
    IS_STR(err ? err->code : NULL, "provider_auth",
           "balance, wrong password: provider_auth");
    IS_INT(err ? err->status : 0, 502, "balance, wrong password: 502");

    fake_mode("{\"mode\":\"http503\"}", p);
    err = NULL;
    IS_INT(sms_provider_balance(&credits, &err, pv, p), APR_EINVAL,
           "balance, HTTP 503: refused");
    IS_STR(err ? err->code : NULL, "provider_error",
           "balance, HTTP 503: provider_error");
    tap_ok(err && strstr(err->message, "503"), "balance, HTTP 503: says so");

    fake_mode("{\"mode\":\"garbage\"}", p);
    err = NULL;
    IS_INT(sms_provider_balance(&credits, &err, pv, p), APR_EINVAL,
           "balance, garbage: refused");
    IS_STR(err ? err->code : NULL, "provider_error",
           "balance, garbage: provider_error");
    fake_mode("{\"mode\":\"normal\"}", p);
}

#if APR_HAS_THREADS
typedef struct {
    sms_provider_t *pv;
    apr_pool_t *pool;
    int accepted;
} worker_t;

static void *APR_THREAD_FUNC worker(apr_thread_t *t, void *data)
{
    worker_t *w = data;
    int i;

    for (i = 0; i < PER_THREAD; i++) {
        sms_send_req_t *req = send_to(w->pv, "threads", 1, one, NULL, w->pool);
        w->accepted += rcpt(req, 0)->outcome == SMS_OUT_ACCEPTED;
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

/* Several threads share one provider, each on a handle of its own. */
static void check_threads(sms_provider_t *pv, apr_pool_t *p)
{
    apr_thread_t *threads[THREADS];
    worker_t w[THREADS];
    size_t before = fake_log_count(p);
    int i, accepted = 0;

    sms_log_set(NULL, NULL); /* capture_log is not thread-safe */
    for (i = 0; i < THREADS; i++) {
        w[i].pv = pv;
        w[i].accepted = 0;
        apr_pool_create(&w[i].pool, NULL);
        apr_thread_create(&threads[i], NULL, worker, &w[i], p);
    }
    for (i = 0; i < THREADS; i++) {
        apr_status_t rv;
        apr_thread_join(&rv, threads[i]);
        accepted += w[i].accepted;
        apr_pool_destroy(w[i].pool);
    }
    sms_log_set(capture_log, NULL);
    IS_INT(accepted, THREADS * PER_THREAD, "%d threads: every send accepted",
           THREADS);
    IS_INT(fake_log_count(p) - before, THREADS * PER_THREAD,
           "%d threads: each send reached the fake once", THREADS);
}
#endif

/* Nothing we logged holds the password, the text or a full number. */
static void check_our_log(apr_pool_t *p)
{
    static const char *const secrets[] = {
        PASSWORD, PASSWORD_FORM, "s3cr",        MESSAGE,
        "Hi Ann", "61400111222", "61400333444", "0400abc111"};
    int i, clean = 1;
    apr_size_t k;

    for (i = 0; i < log_lines->nelts; i++) {
        const char *l = APR_ARRAY_IDX(log_lines, i, const char *);
        for (k = 0; k < sizeof(secrets) / sizeof(*secrets); k++) {
            if (strstr(l, secrets[k])) {
                tap_diag("  log line %d holds '%s': %s", i, secrets[k], l);
                clean = 0;
            }
        }
    }
    tap_ok(log_lines->nelts > 0, "our log has lines (%d)", log_lines->nelts);
    tap_ok(clean, "our log holds no password, text or number");
    (void)p;
}

/* Every request the fake saw had the credentials in the body only. */
static void check_fake_log(apr_pool_t *p)
{
    json_t *all = fake_log(p), *e;
    size_t i;
    int clean = 1;

    json_array_foreach(all, i, e)
    {
        if (json_array_size(json_object_get(e, "in_query")) ||
            strcmp(jstr(e, "method", NULL), "POST")) {
            clean = 0;
        }
    }
    tap_ok(clean && json_array_size(all) > 0,
           "all %d requests: POST, nothing in the query string",
           (int)json_array_size(all));
    json_decref(all);
}

int main(void)
{
    apr_pool_t *p;
    sms_provider_t *pv, *wrong;
    char tmpl[] = "/tmp/sms-live-XXXXXX";
    apr_status_t rv;
    const char *argv[] = {NULL, "-MHTTP::Daemon", "-MJSON::PP", "-e", "1",
                          NULL};

    apr_initialize();
    apr_pool_create(&p, NULL);
    fake.perl = which("perl", p);
    fake.script = find_fake(p);
    if (!fake.perl || !fake.script) {
        printf("1..0 # SKIP %s missing\n",
               !fake.perl ? "perl" : "t/fake-broadcast/fake-broadcast");
        return 0;
    }
    argv[0] = fake.perl;
    if (run(argv, p) != 0) {
        printf("1..0 # SKIP perl modules HTTP::Daemon / JSON::PP missing\n");
        return 0;
    }
    if (!mkdtemp(tmpl)) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }
    fake.dir = apr_pstrdup(p, tmpl);
    fake.log = apr_pstrcat(p, fake.dir, "/requests.log", NULL);
    fake.state = apr_pstrcat(p, fake.dir, "/state", NULL);
    /* the requests go to 127.0.0.1 directly, whatever the environment */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    if (sms_provider_global_init() != APR_SUCCESS) {
        printf("Bail out! curl_global_init failed\n");
        return 1;
    }
    if ((rv = fake_start(p)) != APR_SUCCESS) {
        printf("Bail out! fake-broadcast did not start (%d)\n", rv);
        return 1;
    }
    tap_diag("fake-broadcast on port %d, files in %s", fake.port, fake.dir);
    log_lines = apr_array_make(p, 64, sizeof(const char *));
    sms_log_set(capture_log, NULL);

    pv = provider(fake.port, PASSWORD, p);
    wrong = provider(fake.port, "not-the-password", p);
    if (!pv || !wrong) {
        printf("Bail out! no provider\n");
        return 1;
    }

    check_normal(pv, p);
    check_formatting(pv, p);
    check_maxsplit(pv, p);
    check_thousand(pv, p);
    {
        sms_send_req_t *req = send_to(wrong, MESSAGE, 1, three, NULL, p);
        expect_all(req, SMS_OUT_AUTH, "Username or password is incorrect",
                   "wrong password", p);
    }
    check_mode(pv, "{\"mode\":\"error_credentials\"}", SMS_OUT_AUTH,
               "Username or password is incorrect", 0, p);
    check_mode(pv, "{\"mode\":\"http500\"}", SMS_OUT_TRANSIENT, "HTTP 500", 0,
               p);
    check_mode(pv, "{\"mode\":\"http503\"}", SMS_OUT_TRANSIENT, "HTTP 503", 0,
               p);
    check_mode(pv, "{\"mode\":\"garbage\"}", SMS_OUT_UNKNOWN,
               "unrecognised provider answer", 0, p);
    check_mode(pv, "{\"mode\":\"empty\"}", SMS_OUT_UNKNOWN,
               "unrecognised provider answer", 0, p);
    check_mode(pv, "{\"mode\":\"hang\"}", SMS_OUT_UNKNOWN,
               "no answer after the request was sent",
               apr_time_from_msec(TIMEOUT_MS + 700), p);
    check_mode(pv, "{\"mode\":\"reset\"}", SMS_OUT_UNKNOWN, NULL, 0, p);
    check_reset_after_keepalive(pv, p);
    /* processed, then answered too late: it was sent, we cannot know */
    check_mode(pv, "{\"mode\":\"slow\",\"delay_ms\":3000}", SMS_OUT_UNKNOWN,
               "no answer after the request was sent",
               apr_time_from_msec(TIMEOUT_MS + 700), p);
    fake_mode("{\"mode\":\"slow\",\"delay_ms\":200}", p);
    expect_all(send_to(pv, "slow", 1, one, NULL, p), SMS_OUT_ACCEPTED, NULL,
               "slow but in time", p);
    fake_mode("{\"mode\":\"normal\"}", p);
    check_closed_port(p);
    check_balance(pv, wrong, p);
#if APR_HAS_THREADS
    check_threads(pv, p);
#endif
    check_our_log(p);
    check_fake_log(p);

    sms_log_set(NULL, NULL);
    apr_pool_destroy(p); /* stops the fake */
    if (!tap_failed) {
        const char *rm[] = {"/bin/rm", "-rf", tmpl, NULL};
        apr_pool_create(&p, NULL);
        run(rm, p);
        apr_pool_destroy(p);
    }
    curl_global_cleanup();
    apr_terminate();
    return tap_done();
}
