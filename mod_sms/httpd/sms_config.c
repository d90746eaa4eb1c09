/*
 * sms_config.c - directives of API.md section 2: parsing, validation
 * with messages that name the directive, merge rules and defaults. Numbers,
 * durations and enums are described once, in tables that hold their
 * limits, their accepted values and their defaults.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_uri.h>
#include <ap_mpm.h>
#include <http_core.h>

#include "sms_httpd.h"
#include "sms_intent.h"
#include "sms_phone.h"
#include "sms_window.h"

#define UNSET -1
#define SECRET_MIN 16

#define MERGE_INT(f) (add->f != UNSET ? add->f : base->f)
#define MERGE_PTR(f) (add->f ? add->f : base->f)

void *sms_create_server_conf(apr_pool_t *p, server_rec *s)
{
    sms_server_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)s;
    c->provider = SMS_PROVIDER_UNSET;
    c->max_parts = UNSET;
    c->smart_encoding = UNSET;
    c->send_mode = SMS_SEND_UNSET;
    c->retry_limit = UNSET;
    c->retry_backoff = UNSET;
    c->batch_size = UNSET;
    c->rate_limit = UNSET;
    c->queue_interval = UNSET;
    c->max_body = UNSET;
    c->provider_timeout = UNSET;
    c->event_timeout = UNSET;
    c->low_balance = UNSET;
    c->balance_interval = UNSET;
    return c;
}

void *sms_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const sms_server_conf *base = basev, *add = addv;
    sms_server_conf *c = apr_pcalloc(p, sizeof(*c));

    c->provider = MERGE_INT(provider);
    c->broadcast_user = MERGE_PTR(broadcast_user);
    c->broadcast_pass = MERGE_PTR(broadcast_pass);
    c->broadcast_url = MERGE_PTR(broadcast_url);
    c->sender_id = MERGE_PTR(sender_id);
    c->sender_ids = MERGE_PTR(sender_ids);
    c->country_code = MERGE_PTR(country_code);
    c->allow_types = add->allow_types ? add->allow_types : base->allow_types;
    c->max_parts = MERGE_INT(max_parts);
    c->smart_encoding = MERGE_INT(smart_encoding);
    c->send_mode = MERGE_INT(send_mode);
    c->retry_limit = MERGE_INT(retry_limit);
    c->retry_backoff = MERGE_INT(retry_backoff);
    c->batch_size = MERGE_INT(batch_size);
    c->rate_limit = MERGE_INT(rate_limit);
    c->queue_interval = MERGE_INT(queue_interval);
    c->webhook_secret = MERGE_PTR(webhook_secret);
    c->secret = add->secret ? add->secret : base->secret;
    c->secret_len = add->secret ? add->secret_len : base->secret_len;
    c->max_body = MERGE_INT(max_body);
    c->optout_keywords = MERGE_PTR(optout_keywords);
    c->reply_confirm = MERGE_PTR(reply_confirm);
    c->reply_cancel = MERGE_PTR(reply_cancel);
    c->patient_query = MERGE_PTR(patient_query);
    c->patient_phones_query = MERGE_PTR(patient_phones_query);
    c->patient_by_phone_query = MERGE_PTR(patient_by_phone_query);
    c->patient_access_query = MERGE_PTR(patient_access_query);
    c->provider_timeout = MERGE_INT(provider_timeout);
    c->login_url = MERGE_PTR(login_url);
    c->send_window = MERGE_PTR(send_window);
    c->time_zone = MERGE_PTR(time_zone);
    c->test_clock = MERGE_PTR(test_clock);
    c->event_url = MERGE_PTR(event_url);
    c->event_secret = MERGE_PTR(event_secret);
    c->event_secret_len =
        add->event_secret ? add->event_secret_len : base->event_secret_len;
    c->event_timeout = MERGE_INT(event_timeout);
    c->low_balance = MERGE_INT(low_balance);
    c->balance_interval = MERGE_INT(balance_interval);
    return c;
}

void *sms_create_dir_conf(apr_pool_t *p, char *dir)
{
    sms_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)dir;
    c->csrf = UNSET;
    c->forget_password = UNSET;
    return c;
}

void *sms_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const sms_dir_conf *base = basev, *add = addv;
    sms_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    c->csrf = MERGE_INT(csrf);
    c->forget_password = MERGE_INT(forget_password);
    return c;
}

static sms_server_conf *sconf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &sms_module);
}

static const char *server_only(cmd_parms *cmd)
{
    return ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
}

static const char *bad(cmd_parms *cmd, const char *what, const char *arg)
{
    return apr_psprintf(cmd->pool, "%s: %s (got '%s')", cmd->cmd->name, what,
                        arg);
}

/* A whole number in [min, max]. */
static const char *parse_int(cmd_parms *cmd, const char *arg, int min, int max,
                             int *out)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10);

    if (!*arg || *end || v < min || v > max) {
        return bad(cmd,
                   apr_psprintf(cmd->pool,
                                "expects a whole number from "
                                "%d to %d",
                                min, max),
                   arg);
    }
    *out = (int)v;
    return NULL;
}

/* A duration such as 30s, 500ms, 2min; a bare number is seconds. */
static const char *parse_interval(cmd_parms *cmd, const char *arg,
                                  apr_interval_time_t min,
                                  apr_interval_time_t max,
                                  apr_interval_time_t *out)
{
    apr_interval_time_t v;

    if (ap_timeout_parameter_parse(arg, &v, "s") != APR_SUCCESS || v < min ||
        v > max) {
        return bad(cmd,
                   apr_psprintf(cmd->pool,
                                "expects a duration from "
                                "%" APR_TIME_T_FMT "ms to %" APR_TIME_T_FMT
                                "s, such as 30s, 500ms "
                                "or 2min",
                                apr_time_as_msec(min), apr_time_sec(max)),
                   arg);
    }
    *out = v;
    return NULL;
}

/* SMSWebhookSecret: guessable secrets are refused at startup. */
#define WEBHOOK_SECRET_MIN 16
static const char *set_webhook_secret(cmd_parms *cmd, void *d, const char *arg)
{
    sms_server_conf *c =
        ap_get_module_config(cmd->server->module_config, &sms_module);
    const char *err = server_only(cmd);

    (void)d;
    if (err) {
        return err;
    }
    if (strlen(arg) < WEBHOOK_SECRET_MIN) {
        return apr_psprintf(cmd->pool,
                            "%s: must be at least %d bytes long "
                            "(a random string, e.g. from `openssl rand -hex "
                            "24`); got %d",
                            cmd->cmd->name, WEBHOOK_SECRET_MIN,
                            (int)strlen(arg));
    }
    c->webhook_secret = arg;
    return NULL;
}

/* Non-empty strings: SMSBroadcastUsername/Password. */
static const char *set_string(cmd_parms *cmd, void *d, const char *arg)
{
    int offset = (int)(apr_uintptr_t)cmd->info;
    const char *err = server_only(cmd);

    (void)d;
    if (err) {
        return err;
    }
    if (!*arg) {
        return apr_psprintf(cmd->pool, "%s: must not be empty", cmd->cmd->name);
    }
    *(const char **)((char *)sconf(cmd) + offset) = arg;
    return NULL;
}

static const char *set_url(cmd_parms *cmd, void *d, const char *arg)
{
    apr_uri_t uri;
    const char *err = server_only(cmd);

    (void)d;
    if (err) {
        return err;
    }
    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme ||
        (strcasecmp(uri.scheme, "https") && strcasecmp(uri.scheme, "http")) ||
        !uri.hostname || !*uri.hostname) {
        return bad(cmd, "expects an absolute http:// or https:// URL", arg);
    }
    sconf(cmd)->broadcast_url = arg;
    return NULL;
}

/* Sender ID: 1-11 ASCII letters and digits, or a phone number of 3 to 15
 * digits with an optional leading '+' (API.md, PROVIDER.md "from"). */
/* SMSLoginURL: a local path ("/login.html") or an absolute http(s) URL. */
static const char *set_login_url(cmd_parms *cmd, void *d, const char *arg)
{
    apr_uri_t uri;
    const char *err = server_only(cmd);

    (void)d;
    if (err) {
        return err;
    }
    if (arg[0] == '/' && arg[1] != '/') {
        sconf(cmd)->login_url = arg;
        return NULL;
    }
    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme ||
        (strcasecmp(uri.scheme, "https") && strcasecmp(uri.scheme, "http")) ||
        !uri.hostname || !*uri.hostname) {
        return bad(cmd,
                   "expects a local path such as /login.html or an "
                   "absolute http:// or https:// URL",
                   arg);
    }
    sconf(cmd)->login_url = arg;
    return NULL;
}

/* A loopback host: localhost, an IPv4 address of 127.0.0.0/8 (a real
 * address, not a name that starts with "127."), or ::1. */
static int loopback_host(const char *h)
{
    unsigned char a4[4], a6[16];
    static const unsigned char one6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0, 0, 0, 1};

    if (!strcasecmp(h, "localhost")) {
        return 1;
    }
    if (inet_pton(AF_INET, h, a4) == 1) {
        return a4[0] == 127;
    }
    return inet_pton(AF_INET6, h, a6) == 1 && !memcmp(a6, one6, 16);
}

/* SMSEventURL: https, or http to this machine only (the events carry
 * patients' numbers). */
static const char *set_event_url(cmd_parms *cmd, void *d, const char *arg)
{
    apr_uri_t uri;
    const char *err = server_only(cmd), *h;

    (void)d;
    if (err) {
        return err;
    }
    if (apr_uri_parse(cmd->pool, arg, &uri) != APR_SUCCESS || !uri.scheme ||
        (strcasecmp(uri.scheme, "https") && strcasecmp(uri.scheme, "http")) ||
        !uri.hostname || !*uri.hostname) {
        return bad(cmd, "expects an absolute https:// URL", arg);
    }
    h = uri.hostname;
    if (!strcasecmp(uri.scheme, "http") && !loopback_host(h)) {
        return bad(cmd,
                   "expects an https:// URL (http:// only to a loopback "
                   "host: localhost, 127.0.0.1, [::1])",
                   arg);
    }
    sconf(cmd)->event_url = arg;
    return NULL;
}

static const char *set_sender_id(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = server_only(cmd);

    (void)d;
    if (err) {
        return err;
    }
    if (!sms_sender_id_ok(arg)) {
        return bad(cmd,
                   "expects 1 to 11 letters and digits (no spaces or "
                   "punctuation) or a phone number",
                   arg);
    }
    sconf(cmd)->sender_id = arg[0] == '+' ? arg + 1 : arg;
    return NULL;
}

/* SMSSenderIDs: the sender IDs a request may ask for, each as
 * SMSSenderID takes it. */
static const char *add_sender_id(cmd_parms *cmd, void *d, const char *arg)
{
    sms_server_conf *c = sconf(cmd);
    const char *err = server_only(cmd);

    (void)d;
    if (err) {
        return err;
    }
    if (!sms_sender_id_ok(arg)) {
        return bad(cmd,
                   "expects sender IDs of 1 to 11 letters and digits "
                   "(no spaces or punctuation) or phone numbers",
                   arg);
    }
    if (!c->sender_ids) {
        c->sender_ids = apr_array_make(cmd->pool, 4, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->sender_ids, const char *) = arg[0] == '+' ? arg + 1 : arg;
    return NULL;
}

static const char *set_country(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = server_only(cmd), *s;

    (void)d;
    if (err) {
        return err;
    }
    if (*arg == '+') {
        arg++;
    }
    for (s = arg; apr_isdigit(*s); s++)
        ;
    if (*s || s - arg < 1 || s - arg > 3 || *arg == '0') {
        return bad(cmd,
                   "expects a country calling code of 1 to 3 digits, "
                   "such as 61",
                   arg);
    }
    sconf(cmd)->country_code = arg;
    return NULL;
}

/* SMSAllowNumberTypes: the number types (sms_phone_type_name) a send or
 * bulk recipient may have. */
static const char *add_number_type(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = server_only(cmd), *names = "";
    sms_phone_type_e type;
    int i;

    (void)d;
    if (err) {
        return err;
    }
    if (sms_phone_type_parse(&type, arg) != APR_SUCCESS) {
        for (i = 0; i < SMS_PHONE_N_TYPES; i++) {
            names = apr_pstrcat(cmd->temp_pool, names, i ? ", " : "",
                                sms_phone_type_name(i), NULL);
        }
        return bad(cmd,
                   apr_pstrcat(cmd->temp_pool,
                               "expects number types "
                               "among ",
                               names, NULL),
                   arg);
    }
    sconf(cmd)->allow_types |= SMS_PHONE_TYPE_BIT(type);
    return NULL;
}

#define OFF(f) (void *)APR_OFFSETOF(sms_server_conf, f)
#define FIELD(c, off) ((char *)(c) + (off))

/* Whole numbers and durations: limits and defaults in one table (the
 * setter finds its directive by name; apply_defaults fills what is
 * unset). */
typedef enum { NUM_INT, NUM_INTERVAL } num_kind_e;
typedef struct {
    const char *name;
    num_kind_e kind;
    apr_size_t offset;
    apr_int64_t min, max, dflt;
} num_setting_t;

static const num_setting_t numbers[] = {
    {"SMSMaxParts", NUM_INT, APR_OFFSETOF(sms_server_conf, max_parts), 1, 5,
     SMS_DEFAULT_MAX_PARTS},
    {"SMSRetryLimit", NUM_INT, APR_OFFSETOF(sms_server_conf, retry_limit), 0,
     100, SMS_DEFAULT_RETRY_LIMIT},
    {"SMSBatchSize", NUM_INT, APR_OFFSETOF(sms_server_conf, batch_size), 1,
     1000, SMS_DEFAULT_BATCH_SIZE},
    {"SMSRateLimit", NUM_INT, APR_OFFSETOF(sms_server_conf, rate_limit), 0,
     100000, 0},
    {"SMSRetryBackoff", NUM_INTERVAL,
     APR_OFFSETOF(sms_server_conf, retry_backoff), 10000,
     APR_INT64_C(86400000000), SMS_DEFAULT_RETRY_BACKOFF},
    {"SMSQueueInterval", NUM_INTERVAL,
     APR_OFFSETOF(sms_server_conf, queue_interval), 10000,
     APR_INT64_C(3600000000), SMS_DEFAULT_QUEUE_INTERVAL},
    {"SMSProviderTimeout", NUM_INTERVAL,
     APR_OFFSETOF(sms_server_conf, provider_timeout), 100000,
     APR_INT64_C(300000000), APR_INT64_C(30000000)},
    {"SMSEventTimeout", NUM_INTERVAL,
     APR_OFFSETOF(sms_server_conf, event_timeout), 100000,
     APR_INT64_C(60000000), APR_INT64_C(10000000)},
    {"SMSLowBalance", NUM_INT, APR_OFFSETOF(sms_server_conf, low_balance), 1,
     1000000000, 0},
    /* SMSLowBalance's second argument */
    {"SMSLowBalance interval", NUM_INTERVAL,
     APR_OFFSETOF(sms_server_conf, balance_interval), 1000000,
     APR_INT64_C(86400000000), APR_INT64_C(300000000)},
};

static const char *parse_number(cmd_parms *cmd, const char *name,
                                const char *arg)
{
    const num_setting_t *n = numbers;
    char *at;

    while (strcmp(n->name, name)) {
        n++;
    }
    at = FIELD(sconf(cmd), n->offset);
    if (n->kind == NUM_INT) {
        return parse_int(cmd, arg, (int)n->min, (int)n->max, (int *)at);
    }
    return parse_interval(cmd, arg, n->min, n->max, (apr_interval_time_t *)at);
}

static const char *set_number(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = server_only(cmd);

    (void)d;
    return err ? err : parse_number(cmd, cmd->cmd->name, arg);
}

/* SMSLowBalance N [interval]: credits, and how often to ask. */
static const char *set_low_balance(cmd_parms *cmd, void *d, const char *n,
                                   const char *interval)
{
    const char *err = server_only(cmd);

    (void)d;
    if (!err) {
        err = parse_number(cmd, "SMSLowBalance", n);
    }
    if (!err && interval) {
        err = parse_number(cmd, "SMSLowBalance interval", interval);
    }
    return err;
}

/* Directives that take one of two words, each the value of an enum
 * field. */
typedef struct {
    const char *name;
    apr_size_t offset;
    struct {
        const char *word;
        int value;
    } words[2];
    int dflt;
} enum_setting_t;

static const enum_setting_t enums[] = {
    {"SMSProvider",
     APR_OFFSETOF(sms_server_conf, provider),
     {{"broadcast", SMS_PROVIDER_BROADCAST}, {"sandbox", SMS_PROVIDER_SANDBOX}},
     SMS_PROVIDER_SANDBOX},
    {"SMSSendMode",
     APR_OFFSETOF(sms_server_conf, send_mode),
     {{"sync", SMS_SEND_SYNC}, {"queue", SMS_SEND_QUEUE}},
     SMS_SEND_SYNC},
};

static const char *set_enum(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = server_only(cmd);
    const enum_setting_t *e = enums;
    int i;

    (void)d;
    if (err) {
        return err;
    }
    while (strcmp(e->name, cmd->cmd->name)) {
        e++;
    }
    for (i = 0; i < 2; i++) {
        if (!strcasecmp(arg, e->words[i].word)) {
            *(int *)FIELD(sconf(cmd), e->offset) = e->words[i].value;
            return NULL;
        }
    }
    return bad(cmd,
               apr_psprintf(cmd->pool, "expects '%s' or '%s'", e->words[0].word,
                            e->words[1].word),
               arg);
}

static const char *set_flag(cmd_parms *cmd, void *d, int on)
{
    const char *err = server_only(cmd);

    (void)d;
    if (err) {
        return err;
    }
    sconf(cmd)->smart_encoding = on;
    return NULL;
}

/* A key file (SMSSecretFile, SMSEventSecretFile): at least SECRET_MIN
 * bytes, at most 4 KiB, trailing white space ignored. */
static const char *read_key_file(cmd_parms *cmd, const char *arg,
                                 const unsigned char **key, apr_size_t *len)
{
    const char *path, *name = cmd->cmd->name;
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf;
    apr_status_t rv;

    path = ap_server_root_relative(cmd->pool, arg);
    if (!path) {
        return bad(cmd, "invalid path", arg);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, cmd->temp_pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot read '%s': %pm", name, path,
                            &rv);
    }
    if (fi.size > 4096) {
        return apr_psprintf(cmd->pool, "%s: '%s' is larger than 4 KiB", name,
                            path);
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(cmd->pool, n + 1);
    rv = apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(cmd->pool, "%s: cannot read '%s': %pm", name, path,
                            &rv);
    }
    while (n > 0 && apr_isspace(buf[n - 1])) {
        n--;
    }
    if (n < SECRET_MIN) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' must hold at least %d bytes of key", name,
                            path, SECRET_MIN);
    }
    *key = (const unsigned char *)buf;
    *len = n;
    return NULL;
}

/* A key given inline or in a file, one pair of directives per key
 * (cmd->info). */
typedef struct key_directive {
    const char *pair;    /* "SMSSecret and SMSSecretFile" */
    apr_size_t key, len; /* offsets in sms_server_conf */
    int file;
} key_directive;

static const key_directive secret_key = {
    "SMSSecret and SMSSecretFile", APR_OFFSETOF(sms_server_conf, secret),
    APR_OFFSETOF(sms_server_conf, secret_len), 0};
static const key_directive secret_file = {
    "SMSSecret and SMSSecretFile", APR_OFFSETOF(sms_server_conf, secret),
    APR_OFFSETOF(sms_server_conf, secret_len), 1};
static const key_directive event_key = {
    "SMSEventSecret and SMSEventSecretFile",
    APR_OFFSETOF(sms_server_conf, event_secret),
    APR_OFFSETOF(sms_server_conf, event_secret_len), 0};
static const key_directive event_file = {
    "SMSEventSecret and SMSEventSecretFile",
    APR_OFFSETOF(sms_server_conf, event_secret),
    APR_OFFSETOF(sms_server_conf, event_secret_len), 1};

static const char *set_key(cmd_parms *cmd, void *d, const char *arg)
{
    const key_directive *k = cmd->info;
    sms_server_conf *c = sconf(cmd);
    const unsigned char **key = (const unsigned char **)FIELD(c, k->key);
    apr_size_t *len = (apr_size_t *)FIELD(c, k->len);
    const char *err = server_only(cmd);

    (void)d;
    if (err) {
        return err;
    }
    if (*key) {
        return apr_psprintf(cmd->pool,
                            "%s: the key is already set (%s are alternatives)",
                            cmd->cmd->name, k->pair);
    }
    if (k->file) {
        return read_key_file(cmd, arg, key, len);
    }
    if (strlen(arg) < SECRET_MIN) {
        return apr_psprintf(cmd->pool,
                            "%s: must be at least %d bytes long (a "
                            "random string, e.g. from `openssl rand -hex "
                            "24`); got %d",
                            cmd->cmd->name, SECRET_MIN, (int)strlen(arg));
    }
    *key = (const unsigned char *)arg;
    *len = strlen(arg);
    return NULL;
}

static const char *set_csrf(cmd_parms *cmd, void *d, int on)
{
    (void)cmd;
    ((sms_dir_conf *)d)->csrf = on;
    return NULL;
}

static const char *set_forget_password(cmd_parms *cmd, void *d, int on)
{
    (void)cmd;
    ((sms_dir_conf *)d)->forget_password = on;
    return NULL;
}

/* 1048576, 512K, 1M; from 1 KiB to 64 MiB. */
static const char *set_max_body(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = server_only(cmd);
    char *end;
    apr_int64_t v;

    (void)d;
    if (err) {
        return err;
    }
    v = apr_strtoi64(arg, &end, 10);
    if (end != arg && (*end == 'k' || *end == 'K')) {
        v *= 1024;
        end++;
    }
    else if (end != arg && (*end == 'm' || *end == 'M')) {
        v *= 1024 * 1024;
        end++;
    }
    if (end == arg || *end || v < 1024 || v > 64 * 1024 * 1024) {
        return bad(cmd,
                   "expects a size from 1K to 64M, such as 1M or "
                   "262144",
                   arg);
    }
    sconf(cmd)->max_body = v;
    return NULL;
}

/* Word lists (SMSOptOutKeywords, SMSReplyConfirmWords,
 * SMSReplyCancelWords): cmd->info is the offset of the list's field. */
static const char *add_word(cmd_parms *cmd, void *d, const char *arg)
{
    apr_array_header_t **list = (apr_array_header_t **)FIELD(
        sconf(cmd), (apr_size_t)(apr_uintptr_t)cmd->info);
    const char *err = server_only(cmd), *s;
    char *word;

    (void)d;
    if (err) {
        return err;
    }
    for (s = arg; *s && apr_isalnum(*s) && (unsigned char)*s < 0x80; s++)
        ;
    if (*s || !*arg) {
        return bad(cmd, "expects words of letters and digits", arg);
    }
    if (!*list) {
        *list = apr_array_make(cmd->pool, 8, sizeof(char *));
    }
    word = apr_pstrdup(cmd->pool, arg);
    ap_str_toupper(word);
    APR_ARRAY_PUSH(*list, const char *) = word;
    return NULL;
}

/* Patient queries: one SELECT whose %s markers (1 to 4) all receive the
 * patient id or the number. */
static const char *set_query(cmd_parms *cmd, void *d, const char *arg)
{
    int offset = (int)(apr_uintptr_t)cmd->info;
    const char *err = server_only(cmd), *s;
    int markers = 0;

    (void)d;
    if (err) {
        return err;
    }
    if (cmd->server->is_virtual) {
        /* statements are prepared per pooled connection, and mod_dbd's
         * pools are per server; the main server's queries serve all */
        return apr_psprintf(cmd->pool,
                            "%s: only the main server's query is "
                            "used; set it outside <VirtualHost>",
                            cmd->cmd->name);
    }
    for (s = arg; (s = strchr(s, '%')) != NULL; s += 2) {
        if (s[1] != 's') {
            return bad(cmd,
                       "uses apr_dbd markers: write %s for the one "
                       "parameter, %% for a literal percent sign",
                       arg);
        }
        markers++;
    }
    if (markers < 1 || markers > 4 || strncasecmp(arg, "SELECT", 6)) {
        return bad(cmd,
                   "expects one SELECT statement with 1 to 4 %s "
                   "markers, all given the same value",
                   arg);
    }
    *(const char **)((char *)sconf(cmd) + offset) = arg;
    return NULL;
}

/* SMSPatientAccessQuery: "reference" (the reference table) or one SELECT
 * with two %s markers: the user, then the patient id. */
static const char *set_access_query(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = server_only(cmd), *s;
    int markers = 0;

    (void)d;
    if (err) {
        return err;
    }
    if (cmd->server->is_virtual) {
        /* prepared on every pooled connection, like the patient queries:
         * the main server's serves all */
        return apr_psprintf(cmd->pool,
                            "%s: only the main server's query is "
                            "used; set it outside <VirtualHost>",
                            cmd->cmd->name);
    }
    for (s = arg; (s = strchr(s, '%')) != NULL; s += 2) {
        markers += s[1] == 's';
    }
    if (strcasecmp(arg, "reference") &&
        (strncasecmp(arg, "SELECT ", 7) || markers != 2)) {
        return bad(cmd,
                   "expects \"reference\" or one SELECT statement "
                   "with two %s markers (the user, then the patient id)",
                   arg);
    }
    sconf(cmd)->patient_access_query = arg;
    return NULL;
}

/* SMSSendWindow HH:MM-HH:MM, or none (send at any time). */
static const char *set_send_window(cmd_parms *cmd, void *d, const char *arg)
{
    sms_window_t *w = apr_pcalloc(cmd->pool, sizeof(*w));
    const char *err = server_only(cmd), *why;

    (void)d;
    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "none")) {
        w->open = -1;
    }
    else if (sms_window_parse(w, &why, arg, cmd->pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, why);
    }
    sconf(cmd)->send_window = w;
    return NULL;
}

/* SMSTimeZone: a zone of the tz database (sms_window_zone). */
static const char *set_time_zone(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = server_only(cmd), *why;

    (void)d;
    if (err) {
        return err;
    }
    if (sms_window_zone(&why, arg, cmd->pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, why);
    }
    sconf(cmd)->time_zone = arg;
    return NULL;
}

/* SMSTestClock FILE: the test suite's clock (sms_clock_now). */
static const char *set_test_clock(cmd_parms *cmd, void *d, const char *arg)
{
    const char *err = server_only(cmd);
    const char *path = ap_server_root_relative(cmd->pool, arg);

    (void)d;
    if (err) {
        return err;
    }
    if (!path || !*arg) {
        return bad(cmd, "expects a file name", arg);
    }
    sconf(cmd)->test_clock = path;
    return NULL;
}

const command_rec sms_directives[] = {
    AP_INIT_TAKE1("SMSProvider", set_enum, NULL, RSRC_CONF,
                  "broadcast | sandbox (default sandbox)"),
    AP_INIT_TAKE1("SMSBroadcastUsername", set_string, OFF(broadcast_user),
                  RSRC_CONF, "SMS Broadcast API username"),
    AP_INIT_TAKE1("SMSBroadcastPassword", set_string, OFF(broadcast_pass),
                  RSRC_CONF, "SMS Broadcast API password"),
    AP_INIT_TAKE1("SMSBroadcastURL", set_url, NULL, RSRC_CONF,
                  "SMS Broadcast API endpoint URL"),
    AP_INIT_ITERATE("SMSSenderIDs", add_sender_id, NULL, RSRC_CONF,
                    "the sender IDs a request may name in sender_id "
                    "(default: SMSSenderID alone)"),
    AP_INIT_TAKE1("SMSSenderID", set_sender_id, NULL, RSRC_CONF,
                  "sender ID: 1-11 letters/digits or a phone number"),
    AP_INIT_TAKE1("SMSDefaultCountryCode", set_country, NULL, RSRC_CONF,
                  "country calling code for national numbers (default 61)"),
    AP_INIT_ITERATE("SMSAllowNumberTypes", add_number_type, NULL, RSRC_CONF,
                    "number types that may be sent an SMS (default mobile "
                    "fixed_line_or_mobile)"),
    AP_INIT_TAKE1("SMSMaxParts", set_number, NULL, RSRC_CONF,
                  "most segments one message may use, 1-5 (default 5)"),
    AP_INIT_FLAG("SMSSmartEncoding", set_flag, NULL, RSRC_CONF,
                 "replace look-alike Unicode with GSM-7 (default Off)"),
    AP_INIT_TAKE1("SMSSendMode", set_enum, NULL, RSRC_CONF,
                  "sync | queue (default sync)"),
    AP_INIT_TAKE1("SMSRetryLimit", set_number, NULL, RSRC_CONF,
                  "transient-failure retries (default 5)"),
    AP_INIT_TAKE1("SMSRetryBackoff", set_number, NULL, RSRC_CONF,
                  "exponential backoff base (default 30s)"),
    AP_INIT_TAKE1("SMSBatchSize", set_number, NULL, RSRC_CONF,
                  "recipients per provider request (default 100)"),
    AP_INIT_TAKE1("SMSRateLimit", set_number, NULL, RSRC_CONF,
                  "messages per second to the provider, 0 = off"),
    AP_INIT_TAKE1("SMSQueueInterval", set_number, NULL, RSRC_CONF,
                  "how often the sender looks for scheduled and retried work "
                  "(default 1s); queued sends wake it at once"),
    AP_INIT_TAKE1("SMSProviderTimeout", set_number, NULL, RSRC_CONF,
                  "longest wait for one provider request "
                  "(default 30s)"),
    AP_INIT_TAKE1("SMSWebhookSecret", set_webhook_secret, NULL, RSRC_CONF,
                  "secret query parameter of provider callbacks "
                  "(16 bytes or more)"),
    AP_INIT_TAKE1("SMSSecret", set_key, (void *)&secret_key, RSRC_CONF,
                  "key for CSRF tokens and cursors, shared by all servers"),
    AP_INIT_TAKE1("SMSSecretFile", set_key, (void *)&secret_file, RSRC_CONF,
                  "file holding the SMSSecret key"),
    AP_INIT_FLAG("SMSCSRF", set_csrf, NULL, OR_AUTHCFG | ACCESS_CONF,
                 "require X-CSRFToken on unsafe methods (default On)"),
    AP_INIT_FLAG("SMSSessionForgetPassword", set_forget_password, NULL,
                 OR_AUTHCFG | ACCESS_CONF,
                 "keep no password in a mod_auth_form session that has "
                 "AuthFormSitePassphrase's hash (default Off)"),
    AP_INIT_TAKE1("SMSMaxBodySize", set_max_body, NULL, RSRC_CONF,
                  "largest request body (default 1M)"),
    AP_INIT_ITERATE("SMSOptOutKeywords", add_word, OFF(optout_keywords),
                    RSRC_CONF, "inbound keywords that opt a number out"),
    AP_INIT_ITERATE("SMSReplyConfirmWords", add_word, OFF(reply_confirm),
                    RSRC_CONF, "a reply that is one of these confirms"),
    AP_INIT_ITERATE("SMSReplyCancelWords", add_word, OFF(reply_cancel),
                    RSRC_CONF, "a reply that is one of these cancels"),
    AP_INIT_TAKE1("SMSPatientQuery", set_query, OFF(patient_query), RSRC_CONF,
                  "SQL: (id, first_name, last_name) for one patient id"),
    AP_INIT_TAKE1("SMSPatientPhonesQuery", set_query, OFF(patient_phones_query),
                  RSRC_CONF,
                  "SQL: (label, number, is_default) for one patient id"),
    AP_INIT_TAKE1("SMSPatientByPhoneQuery", set_query,
                  OFF(patient_by_phone_query), RSRC_CONF,
                  "SQL: patient ids for one normalised number"),
    AP_INIT_TAKE1("SMSPatientAccessQuery", set_access_query, NULL, RSRC_CONF,
                  "reference, or SQL answering a row when the "
                  "user (first %s) may see the patient (second %s)"),
    AP_INIT_TAKE1("SMSLoginURL", set_login_url, NULL, RSRC_CONF,
                  "login page an unauthenticated browser is sent to from "
                  "the UI (default none: 401)"),
    AP_INIT_TAKE1("SMSSendWindow", set_send_window, NULL, RSRC_CONF,
                  "local hours HH:MM-HH:MM in which bulk, scheduled and "
                  "retried messages go (default none: any time)"),
    AP_INIT_TAKE1("SMSTimeZone", set_time_zone, NULL, RSRC_CONF,
                  "IANA time zone of SMSSendWindow, e.g. Australia/Sydney"),
    AP_INIT_TAKE1("SMSTestClock", set_test_clock, NULL, RSRC_CONF,
                  "test suite only: a file holding the time the send "
                  "window and the sender take as now"),
    AP_INIT_TAKE1("SMSEventURL", set_event_url, NULL, RSRC_CONF,
                  "where the host application's events are POSTed (https)"),
    AP_INIT_TAKE1("SMSEventSecret", set_key, (void *)&event_key, RSRC_CONF,
                  "HMAC key of the events' SMS-Signature (16 bytes or more)"),
    AP_INIT_TAKE1("SMSEventSecretFile", set_key, (void *)&event_file, RSRC_CONF,
                  "file holding the SMSEventSecret key"),
    AP_INIT_TAKE1("SMSEventTimeout", set_number, NULL, RSRC_CONF,
                  "longest wait for the host to take one event (default 10s)"),
    AP_INIT_TAKE12("SMSLowBalance", set_low_balance, NULL, RSRC_CONF,
                   "credits under which health is degraded and balance.low "
                   "sent; how often to ask (default 5min)"),
    {NULL}};

/* Fill the defaults of one merged server configuration. */
static void apply_defaults(sms_server_conf *c, apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(numbers) / sizeof(*numbers); i++) {
        char *at = FIELD(c, numbers[i].offset);
        if (numbers[i].kind == NUM_INT && *(int *)at == UNSET) {
            *(int *)at = (int)numbers[i].dflt;
        }
        else if (numbers[i].kind == NUM_INTERVAL &&
                 *(apr_interval_time_t *)at == UNSET) {
            *(apr_interval_time_t *)at = numbers[i].dflt;
        }
    }
    for (i = 0; i < sizeof(enums) / sizeof(*enums); i++) {
        int *at = (int *)FIELD(c, enums[i].offset);
        if (*at == UNSET) {
            *at = enums[i].dflt;
        }
    }
    if (!c->broadcast_url) {
        c->broadcast_url = SMS_DEFAULT_URL;
    }
    if (!c->country_code) {
        c->country_code = SMS_DEFAULT_COUNTRY;
    }
    if (!c->allow_types) {
        c->allow_types = SMS_PHONE_TYPES_SMS_DEFAULT;
    }
    if (c->smart_encoding == UNSET) {
        c->smart_encoding = 0;
    }
    if (c->max_body == UNSET) {
        c->max_body = SMS_DEFAULT_MAX_BODY;
    }
    if (!c->sender_allowed) {
        /* a request's sender_id: one of SMSSenderIDs, else SMSSenderID */
        apr_array_header_t *ids = apr_array_make(p, 4, sizeof(const char *));
        if (c->sender_ids) {
            apr_array_cat(ids, c->sender_ids);
        }
        else if (c->sender_id) {
            APR_ARRAY_PUSH(ids, const char *) = c->sender_id;
        }
        APR_ARRAY_PUSH(ids, const char *) = NULL;
        c->sender_allowed = (const char *const *)ids->elts;
    }
    if (!c->reply_confirm) {
        c->reply_confirm = sms_intent_list(SMS_INTENT_CONFIRM_DEFAULT, p);
    }
    if (!c->reply_cancel) {
        c->reply_cancel = sms_intent_list(SMS_INTENT_CANCEL_DEFAULT, p);
    }
    if (!c->optout_keywords) {
        char *words = apr_pstrdup(p, SMS_DEFAULT_OPTOUT), *last, *w;
        c->optout_keywords = apr_array_make(p, 8, sizeof(char *));
        for (w = apr_strtok(words, " ", &last); w;
             w = apr_strtok(NULL, " ", &last)) {
            APR_ARRAY_PUSH(c->optout_keywords, const char *) = w;
        }
    }
}

/* The send window in effect (SMSSendWindow in SMSTimeZone), or !OK when
 * a window has no zone: the clinic's hours must not silently be UTC's. */
static int window_finish(sms_server_conf *c, server_rec *v, apr_pool_t *pconf)
{
    sms_window_t *w;

    c->sender.clock = c->test_clock;
    if (!c->send_window || c->send_window->open < 0) {
        return OK;
    }
    if (!c->time_zone) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v,
                     "SMSSendWindow needs SMSTimeZone, the clinic's IANA "
                     "time zone such as Australia/Sydney (server %s)",
                     v->server_hostname);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    w = apr_pmemdup(pconf, c->send_window, sizeof(*w));
    w->zone = c->time_zone;
    c->window = c->sender.window = w;
    return OK;
}

int sms_conf_finish(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s)
{
    unsigned char *random_key = NULL;
    int trial = ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG;
    server_rec *v;

    (void)ptemp;
    for (v = s; v; v = v->next) {
        sms_server_conf *c =
            ap_get_module_config(v->module_config, &sms_module);
        apply_defaults(c, pconf);
        if (window_finish(c, v, pconf) != OK) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (c->provider == SMS_PROVIDER_BROADCAST &&
            (!c->broadcast_user || !c->broadcast_pass)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v,
                         "SMSProvider broadcast needs SMSBroadcastUsername "
                         "and SMSBroadcastPassword (server %s)",
                         v->server_hostname);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!c->secret) {
            /* one random key for every server of this generation, so that
             * tokens at least survive virtual host boundaries */
            if (!random_key) {
                random_key = apr_palloc(pconf, 32);
                if (apr_generate_random_bytes(random_key, 32) != APR_SUCCESS) {
                    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v,
                                 "mod_sms: cannot generate a random "
                                 "SMSSecret");
                    return HTTP_INTERNAL_SERVER_ERROR;
                }
                if (!trial) {
                    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                                 "SMSSecret is not set: using a random key "
                                 "until the next restart; CSRF tokens and "
                                 "cursors will not survive a restart or work "
                                 "across servers");
                }
            }
            c->secret = random_key;
            c->secret_len = 32;
        }
        if (c->event_url && !c->event_secret) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v,
                         "SMSEventURL needs SMSEventSecret or "
                         "SMSEventSecretFile (server %s)",
                         v->server_hostname);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!c->webhook_secret && v == s && !trial) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v,
                         "SMSWebhookSecret is not set: provider callbacks "
                         "will be refused (403) until it is");
        }
    }
    return OK;
}

void sms_conf_announce(server_rec *s)
{
    const sms_server_conf *main_conf =
        ap_get_module_config(s->module_config, &sms_module);
    server_rec *v;

    for (v = s; v; v = v->next) {
        const sms_server_conf *c =
            ap_get_module_config(v->module_config, &sms_module);
        /* a virtual host that inherits the main server's is said once */
        if (c->test_clock &&
            (v == s || c->test_clock != main_conf->test_clock)) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v,
                         "SMSTestClock is set (%s): send windows and the "
                         "sender's due times follow that file; it is for "
                         "the test suite only, never for a real site",
                         c->test_clock);
        }
    }
}
