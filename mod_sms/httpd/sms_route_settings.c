/*
 * sms_route_settings.c - GET /settings/ (API.md section 8): the effective
 * configuration of this server, every directive with its value and
 * whether that is the default, and the module's version (configure.ac's,
 * as in the Server header under ServerTokens Full). Secrets never leave
 * the server: they show as "set" or null.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_intent.h"
#include "sms_phone.h"

/* One directive: {"value": v, "default": is_default}. */
static void put(json_t *o, const char *name, json_t *value, int is_default)
{
    json_object_set_new(o, name,
                        json_pack("{s:o, s:b}", "value",
                                  value ? value : json_null(), "default",
                                  is_default));
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *secret(const void *s)
{
    return s ? json_string("set") : json_null();
}

/* A duration as httpd.conf would say it: "30s", "500ms". */
static json_t *interval(apr_interval_time_t t, apr_pool_t *p)
{
    if (t % APR_USEC_PER_SEC == 0) {
        return json_string(
            apr_psprintf(p, "%" APR_TIME_T_FMT "s", apr_time_sec(t)));
    }
    return json_string(
        apr_psprintf(p, "%" APR_TIME_T_FMT "ms", apr_time_as_msec(t)));
}

static int same_words(const apr_array_header_t *a, const char *defaults,
                      apr_pool_t *p)
{
    char *words = apr_pstrdup(p, defaults), *last, *w;
    int i = 0;

    for (w = apr_strtok(words, " ", &last); w;
         w = apr_strtok(NULL, " ", &last), i++) {
        if (i >= a->nelts || strcmp(APR_ARRAY_IDX(a, i, const char *), w)) {
            return 0;
        }
    }
    return i == a->nelts;
}

/* A word list directive: its words, default when it is the default's. */
static void put_words(json_t *o, const char *name, const apr_array_header_t *a,
                      const char *defaults, apr_pool_t *p)
{
    json_t *words = json_array();
    int i;

    for (i = 0; a && i < a->nelts; i++) {
        json_array_append_new(words,
                              json_string(APR_ARRAY_IDX(a, i, const char *)));
    }
    put(o, name, words, !a || same_words(a, defaults, p));
}

/* The provider and whom to send to: SMSProvider ... SMSAllowNumberTypes. */
static void put_provider(json_t *o, const sms_server_conf *c)
{
    json_t *types = json_array();
    int i;

    put(o, "SMSProvider",
        json_string(c->provider == SMS_PROVIDER_BROADCAST ? "broadcast"
                                                          : "sandbox"),
        c->provider != SMS_PROVIDER_BROADCAST);
    put(o, "SMSBroadcastUsername", secret(c->broadcast_user),
        !c->broadcast_user);
    put(o, "SMSBroadcastPassword", secret(c->broadcast_pass),
        !c->broadcast_pass);
    put(o, "SMSBroadcastURL", str_or_null(c->broadcast_url),
        !c->broadcast_url || !strcmp(c->broadcast_url, SMS_DEFAULT_URL));
    put(o, "SMSSenderID", str_or_null(c->sender_id), !c->sender_id);
    put(o, "SMSDefaultCountryCode", str_or_null(c->country_code),
        !c->country_code || !strcmp(c->country_code, SMS_DEFAULT_COUNTRY));
    for (i = 0; i < SMS_PHONE_N_TYPES; i++) {
        if (sms_phone_type_allowed(i, c->allow_types)) {
            json_array_append_new(types, json_string(sms_phone_type_name(i)));
        }
    }
    put(o, "SMSAllowNumberTypes", types,
        c->allow_types == SMS_PHONE_TYPES_SMS_DEFAULT);
}

/* How messages go: SMSMaxParts ... SMSProviderTimeout. */
static void put_sending(json_t *o, const sms_server_conf *c, apr_pool_t *p)
{
    put(o, "SMSMaxParts", json_integer(c->max_parts),
        c->max_parts == SMS_DEFAULT_MAX_PARTS);
    put(o, "SMSSmartEncoding", json_string(c->smart_encoding ? "On" : "Off"),
        !c->smart_encoding);
    put(o, "SMSSendMode",
        json_string(c->send_mode == SMS_SEND_QUEUE ? "queue" : "sync"),
        c->send_mode != SMS_SEND_QUEUE);
    put(o, "SMSRetryLimit", json_integer(c->retry_limit),
        c->retry_limit == SMS_DEFAULT_RETRY_LIMIT);
    put(o, "SMSRetryBackoff", interval(c->retry_backoff, p),
        c->retry_backoff == SMS_DEFAULT_RETRY_BACKOFF);
    put(o, "SMSBatchSize", json_integer(c->batch_size),
        c->batch_size == SMS_DEFAULT_BATCH_SIZE);
    put(o, "SMSRateLimit", json_integer(c->rate_limit), c->rate_limit == 0);
    put(o, "SMSQueueInterval", interval(c->queue_interval, p),
        c->queue_interval == SMS_DEFAULT_QUEUE_INTERVAL);
    put(o, "SMSProviderTimeout", interval(c->provider_timeout, p),
        c->provider_timeout == apr_time_from_sec(30));
}

/* Secrets, limits, keywords, patient queries, windows and events. */
static void put_others(json_t *o, sms_req *rq)
{
    const sms_server_conf *c = rq->sc;
    apr_pool_t *p = rq->r->pool;

    put(o, "SMSWebhookSecret", secret(c->webhook_secret), !c->webhook_secret);
    put(o, "SMSSecret", secret(c->secret), 0);
    put(o, "SMSCSRF", json_string(rq->dc->csrf == 0 ? "Off" : "On"),
        rq->dc->csrf != 0);
    put(o, "SMSMaxBodySize", json_integer((json_int_t)c->max_body),
        c->max_body == SMS_DEFAULT_MAX_BODY);
    put_words(o, "SMSOptOutKeywords", c->optout_keywords, SMS_DEFAULT_OPTOUT,
              p);
    put_words(o, "SMSReplyConfirmWords", c->reply_confirm,
              SMS_INTENT_CONFIRM_DEFAULT, p);
    put_words(o, "SMSReplyCancelWords", c->reply_cancel,
              SMS_INTENT_CANCEL_DEFAULT, p);
    put(o, "SMSPatientQuery", str_or_null(c->patient_query), !c->patient_query);
    put(o, "SMSPatientPhonesQuery", str_or_null(c->patient_phones_query),
        !c->patient_phones_query);
    put(o, "SMSPatientByPhoneQuery", str_or_null(c->patient_by_phone_query),
        !c->patient_by_phone_query);
    put(o, "SMSLoginURL", str_or_null(c->login_url), !c->login_url);
    put(o, "SMSSendWindow",
        c->window ? json_string(sms_window_format(c->window, p)) : NULL,
        !c->window);
    put(o, "SMSTimeZone", str_or_null(c->time_zone), !c->time_zone);
    put(o, "SMSTestClock", str_or_null(c->test_clock), !c->test_clock);
    put(o, "SMSEventURL", str_or_null(c->event_url), !c->event_url);
    put(o, "SMSEventSecret", secret(c->event_secret), !c->event_secret);
    put(o, "SMSEventTimeout", interval(c->event_timeout, p),
        c->event_timeout == apr_time_from_sec(10));
    put(o, "SMSLowBalance",
        c->low_balance ? json_integer(c->low_balance) : json_null(),
        !c->low_balance);
}

int sms_route_settings(sms_req *rq)
{
    json_t *o = json_object();

    put_provider(o, rq->sc);
    put_sending(o, rq->sc, rq->r->pool);
    put_others(o, rq);
    return sms_reply(rq, HTTP_OK,
                     json_pack("{s:o, s:s, s:s}", "settings", o, "server",
                               rq->r->server->server_hostname
                                   ? rq->r->server->server_hostname
                                   : "",
                               "version", MOD_SMS_VERSION));
}
