/*
 * sms_httpd.h - what the httpd glue files of mod_sms (mod_sms/httpd/) share.
 */
#ifndef SMS_HTTPD_H
#define SMS_HTTPD_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <apr_optional.h>
#include <apr_dbd.h>
#include <mod_dbd.h>

#include <jansson.h>

#include "mod_sms.h"
#include "sms_core.h"
#include "sms_keyword.h"
#include "sms_provider.h"
#include "sms_events.h"
#include "sms_sender.h"
#include "sms_json.h"
#include "sms_store.h"
#include "sms_phone.h"
#include "sms_text.h"

APLOG_USE_MODULE(sms);

extern module AP_MODULE_DECLARE_DATA sms_module;

#define SMS_HANDLER MOD_SMS_HANDLER

typedef enum {
    SMS_PROVIDER_UNSET = -1,
    SMS_PROVIDER_SANDBOX = 0,
    SMS_PROVIDER_BROADCAST = 1
} sms_provider_e;

typedef enum {
    SMS_SEND_UNSET = -1,
    SMS_SEND_SYNC = 0,
    SMS_SEND_QUEUE = 1
} sms_send_mode_e;

/* Server configuration: -1 / NULL mean "not set here" until merged;
 * sms_conf_finish() fills defaults once config is read. */
typedef struct sms_server_conf {
    sms_provider_e provider;
    const char *broadcast_user;
    const char *broadcast_pass;
    const char *broadcast_url;
    const char *sender_id;
    apr_array_header_t *sender_ids;    /* SMSSenderIDs, of const char * */
    const char *const *sender_allowed; /* NULL-terminated: sender_ids,
                                          or sender_id alone */
    const char *country_code;
    unsigned allow_types; /* SMSAllowNumberTypes: SMS_PHONE_TYPE_BIT
                             bits; 0 unset */
    int max_parts;
    int smart_encoding;
    sms_send_mode_e send_mode;
    int retry_limit;
    apr_interval_time_t retry_backoff;
    int batch_size;
    int rate_limit;
    apr_interval_time_t queue_interval;
    const char *webhook_secret;
    const unsigned char *secret;
    apr_size_t secret_len;
    apr_off_t max_body;
    /* word lists, of const char *, upper case */
    apr_array_header_t *optout_keywords; /* SMSOptOutKeywords */
    apr_array_header_t *reply_confirm;   /* SMSReplyConfirmWords */
    apr_array_header_t *reply_cancel;    /* SMSReplyCancelWords */
    const char *patient_query;
    const char *patient_phones_query;
    const char *patient_by_phone_query;
    const char *patient_access_query; /* NULL: every user sees every
                                         patient */
    apr_interval_time_t provider_timeout;
    const char *login_url; /* SMSLoginURL: UI routes redirect there */
    /* send windows (API.md section 7) */
    const sms_window_t *send_window; /* SMSSendWindow as given (open < 0:
                                        none) */
    const char *time_zone;           /* SMSTimeZone */
    const char *test_clock;          /* SMSTestClock: the suite's clock */
    const sms_window_t *window;      /* in effect, with its zone; NULL:
                                        send at any time */
    /* the host application's events and SMSLowBalance (sms_events.h) */
    const char *event_url;             /* SMSEventURL; NULL: no events */
    const unsigned char *event_secret; /* SMSEventSecret(File) */
    apr_size_t event_secret_len;
    apr_interval_time_t event_timeout;    /* SMSEventTimeout */
    int low_balance;                      /* SMSLowBalance; 0: off */
    apr_interval_time_t balance_interval; /* its second argument */
    /* run time, per child process */
    sms_provider_t *pv;
    sms_sender_conf_t sender;
    sms_events_conf_t events;
    /* the sender's watchdog thread only: when it last ran, and the count
     * of messages queued (sms_counters_queued) it has seen */
    apr_time_t sender_ran;
    apr_uint64_t sender_seen;
} sms_server_conf;

typedef struct sms_dir_conf {
    int csrf;
    int forget_password; /* SMSSessionForgetPassword (sms_session.c) */
} sms_dir_conf;

/* Defaults of API.md section 2. */
#define SMS_DEFAULT_URL "https://api.smsbroadcast.com.au/api-adv.php"
#define SMS_DEFAULT_COUNTRY "61"
#define SMS_DEFAULT_MAX_PARTS 5
#define SMS_DEFAULT_RETRY_LIMIT 5
#define SMS_DEFAULT_RETRY_BACKOFF apr_time_from_sec(30)
#define SMS_DEFAULT_BATCH_SIZE 100
#define SMS_DEFAULT_QUEUE_INTERVAL apr_time_from_sec(1)
#define SMS_DEFAULT_MAX_BODY (1024 * 1024)
#define SMS_DEFAULT_OPTOUT SMS_KEYWORDS_OPTOUT_DEFAULT /* sms_keyword.h */

/* sms_config.c */
extern const command_rec sms_directives[];
void *sms_create_server_conf(apr_pool_t *p, server_rec *s);
void *sms_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
void *sms_create_dir_conf(apr_pool_t *p, char *dir);
void *sms_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
/* Apply defaults and cross-directive checks to every server; logs and
 * returns !OK when the configuration cannot work. */
int sms_conf_finish(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s);
/* Warn, once a server, of configuration meant for tests (SMSTestClock). */
void sms_conf_announce(server_rec *s);

/* One request being served by the API. */
typedef struct sms_req {
    request_rec *r;
    const sms_server_conf *sc;
    const sms_dir_conf *dc;
    const char **params; /* path parameters, in pattern order */
    json_t *body;        /* the JSON object of a POST/PUT, or NULL */
    const char *form;    /* an urlencoded body (BODY_FORM), or NULL */
    apr_size_t form_len;
    apr_table_t *args;         /* a callback's checked parameters */
    const char *cache_control; /* NULL: no-store */
    int reply_status;          /* what sms_reply sent, for Idempotency-Key */
    const char *reply_text;
} sms_req;

typedef int sms_route_fn(sms_req *rq);

/* sms_router.c: the route table and the handler */
int sms_api_handler(request_rec *r);

/* sms_reply.c: what every route shares */
void sms_api_init(apr_pool_t *pconf);
/* child_init, before mod_dbd's: the main server's SQLite file held open
 * (sms_store_sqlite_hold). */
void sms_api_child_open(apr_pool_t *pchild);
/* Send a JSON value with the given status; returns OK for the handler. */
int sms_reply(sms_req *rq, int status, json_t *body);
/* The same with the body already JSON text (of the request's pool). */
int sms_reply_text(sms_req *rq, int status, const char *text);
/* 400 invalid_parameter for query parameter name: "'name' what". */
int sms_bad_param(sms_req *rq, const char *name, const char *what);
/* An optional ISO-8601 time parameter into *t: DECLINED, or the 400 sent. */
int sms_time_param(apr_time_t *t, sms_req *rq, apr_table_t *args,
                   const char *name);
/* Send the error envelope; returns OK for the handler. */
int sms_reply_error(sms_req *rq, const sms_error_t *e);
/* Shorthand for sms_reply_error(sms_error_make(...)). */
int sms_fail(sms_req *rq, int status, const char *code, const char *field,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Wrap a mod_dbd connection for the store and make it ready (schema
 * checked, statements prepared once per connection). */
apr_status_t sms_db_adopt(sms_db_t *db, ap_dbd_t *dbd, const char **why,
                          apr_pool_t *p);
/* 503 storage_unavailable with Retry-After: the database did not answer.
 * The one storage-failure reply of every route. */
int sms_storage_failed(sms_req *rq);
/* A ready store connection for this request, or NULL after replying 503
 * (*done then holds the handler's return value). */
sms_db_t *sms_db(sms_req *rq, int *done);
/* Query string (and urlencoded body) parameters: each allowed and given
 * once, decoded; 400 invalid_parameter otherwise. */
apr_status_t sms_params(apr_table_t **args, sms_error_t **err, sms_req *rq,
                        const char *const *allowed);
/* The authenticated user, or NULL. */
const char *sms_user(sms_req *rq);
/* Whether an If-None-Match header (NULL: none) names etag; "*" never
 * matches (a poll that sent it would never see a change). */
int sms_etag_matches(const char *header, const char *etag);

/* sms_auth.c: what the router checks by a route's authentication kind */
/* 403 csrf_failed unless X-CSRFToken is this user's, unexpired; DECLINED
 * when it is (or the check is off). */
int sms_check_csrf(sms_req *rq);
/* A CSRF token for this user and login session, and when it expires. */
const char *sms_csrf_issue(apr_time_t *expires, sms_req *rq);
/* A provider callback: its parameters (query and form body, each one of
 * allowed) into rq->args, and the SMSWebhookSecret "secret" among them;
 * 400/403 answered, or DECLINED to go on. */
int sms_check_webhook(sms_req *rq, const char *const *allowed);
/* mod_session's hook that ends a login session's CSRF tokens at logout,
 * when mod_session is loaded before mod_sms. */
void sms_auth_register_hooks(apr_pool_t *p);
/* SMSSessionForgetPassword's output filter (sms_session.c). */
void sms_session_register_hooks(apr_pool_t *p);

/* sms_auth.c: who may see which patient, and who did what */
/* 404 unknown_patient when SMSPatientAccessQuery gives this user no row
 * for the patient (503 when it fails); DECLINED when the user may see it
 * (always, without the directive). */
int sms_check_patient(sms_req *rq, sms_db_t *db, const char *patient_id);
/* Whether this user may see the patient (patient_id NULL: yes); answers
 * are kept in cache (patient id -> int) for the request. */
apr_status_t sms_patient_visible(int *visible, sms_req *rq, sms_db_t *db,
                                 apr_hash_t *cache, const char *patient_id);
/* Append an audit row for this request's user and client (in the open
 * transaction, when there is one): action, object (an id or a masked
 * number), patient id. */
apr_status_t sms_audit(sms_req *rq, sms_db_t *db, const char *action,
                       const char *object, const char *patient_id);

/* sms_render.c: JSON of domain objects, ids from paths */
/* The API's message object. */
json_t *sms_message_json(const sms_message_t *m, apr_pool_t *p);
/* The same object as JSON text, onto w (a page of many messages). */
void sms_message_write(sms_jw_t *w, const sms_message_t *m, apr_pool_t *p);
/* The history's message object: the same members and "reply", the latest
 * reply linked to it ({"id", "intent", "received_at"} or null, from
 * m->reply); as text onto w, or as JSON. */
void sms_history_write(sms_jw_t *w, const sms_message_t *m, apr_pool_t *p);
json_t *sms_history_json(const sms_message_t *m, apr_pool_t *p);
/* The patient's placeholder values: patient_name, first_name, last_name. */
json_t *sms_patient_vars(const sms_patient_t *pt, apr_pool_t *p);
/* A time as ISO-8601 UTC (null for 0), a string or null, an id or null. */
json_t *sms_render_time(apr_time_t t, apr_pool_t *p);
json_t *sms_render_str(const char *s);
json_t *sms_render_id(apr_int64_t id);
/* A positive integer id from a path parameter, or 0. */
apr_int64_t sms_parse_id(const char *s);

/* sms_patient.c: a patient as the routes see it */
/* A patient's number, normalised; unusable entries are left out. */
typedef struct sms_patient_phone_t {
    const char *label;
    const char *number;
    int is_default;
    sms_phone_type_e type;
    int sms_capable; /* type in SMSAllowNumberTypes */
} sms_patient_phone_t;
/* Patient id (this user may see them: SMSPatientAccessQuery) and the
 * patient's numbers (default first), or NULL after answering 404/503. */
sms_patient_t *sms_find_patient(sms_req *rq, sms_db_t *db, const char *id,
                                apr_array_header_t **phones, int *done);
/* The patient's phone whose number is number, or NULL. */
const sms_patient_phone_t *sms_patient_number(const apr_array_header_t *phones,
                                              const char *number);

/* sms_send_flow.c: the one send path */
/* What a send request asks for, common to single and bulk sends. */
typedef struct sms_send_opts_t {
    const char *text;        /* the message, or the template body */
    apr_int64_t template_id; /* 0: "message" was given */
    json_t *context;         /* placeholder values, or NULL */
    const char *sender_id;
    int max_parts;
    apr_time_t send_at; /* 0: now */
    const char *patient_id;
    int respect_window; /* "respect_window": true (SMSSendWindow) */
} sms_send_opts_t;
/* Who a single send goes to, once the route has decided. */
typedef struct sms_target_t {
    const char *to;         /* normalised */
    const sms_phone_t *ph;  /* to as its caller parsed it (its type) */
    const char *field;      /* request field the number came from */
    const char *patient_id; /* NULL: the body's patient_id, if any */
    const char *phone_label;
    json_t *vars; /* placeholder values that win, or NULL */
} sms_target_t;
/* A template's body, or 400 unknown_template / 503. */
apr_status_t sms_template_body(const char **body, sms_error_t **err,
                               sms_db_t *db, apr_int64_t id, apr_pool_t *p);
/* message | template_id (+ context), sender_id, max_parts, send_at,
 * patient_id of the body, checked by the core's rules (sms_rules). */
apr_status_t sms_send_parse_opts(sms_send_opts_t *o, sms_error_t **err,
                                 sms_req *rq, sms_db_t *db);
/* The text for one recipient: rendered, validated, counted. */
apr_status_t sms_send_final_text(sms_text_t **t, sms_error_t **err,
                                 const sms_send_opts_t *o, json_t *extra,
                                 sms_req *rq);
/* A new outbox row for one recipient. */
sms_message_t *sms_send_new_message(sms_req *rq, const sms_send_opts_t *o,
                                    const sms_text_t *t, const char *to,
                                    apr_time_t now);
/* Validate the body's text and options, store, send (sync) and answer. */
int sms_send_to(sms_req *rq, sms_db_t *db, const sms_target_t *target);
/* The body's "respect_window" (absent: false); 400 invalid_json when it
 * is not a boolean. */
apr_status_t sms_send_window_opt(int *on, sms_error_t **err, json_t *body,
                                 apr_pool_t *p);
/* SMSSendWindow at acceptance: when keeps (bulk, scheduled, or asked with
 * respect_window) and the messages' time (send_at, else now) is outside
 * the window, they wait as "scheduled" with send_at and next_attempt_at
 * at its next opening. The n messages share one send time. */
void sms_send_window_hold(sms_message_t **msgs, int n, int keeps,
                          const sms_server_conf *sc);
/* Run fn under the request's Idempotency-Key (and a store connection). */
int sms_with_idempotency(sms_req *rq, int (*fn)(sms_req *, sms_db_t *));
/* 422 opted_out when number is on the opt-out list; DECLINED otherwise
 * (or the 503 it answered). */
int sms_refuse_opted_out(sms_req *rq, sms_db_t *db, const char *number,
                         const char *field);

/* sms_watchdog.c: the provider and the background sender */
void sms_sender_register(apr_pool_t *pconf, server_rec *s);
void sms_sender_child_init(apr_pool_t *pchild, server_rec *s);
/* Owner name for a lease taken inside this request. */
const char *sms_request_owner(request_rec *r);

/* sms_counters.c: the figures of GET /metrics and mod_status: provider
 * requests counted in shared memory (one slot per server, shared by every
 * child of this httpd), and the database's (sms_store_figures). */
#define SMS_CALL_ANSWERED 0 /* request outcomes, as counted */
#define SMS_CALL_TRANSIENT 1
#define SMS_CALL_UNKNOWN 2
#define SMS_CALL_AUTH 3
#define SMS_CALL_ERROR 4
#define SMS_CALL_OUTCOMES 5
#define SMS_RCPT_OUTCOMES (SMS_OUT_REQUEST_ERROR + 1) /* by sms_outcome_e */
#define SMS_LATENCY_BUCKETS 10
typedef struct sms_counts_t {
    apr_uint64_t requests[SMS_CALL_KINDS][SMS_CALL_OUTCOMES];
    apr_uint64_t recipients[SMS_RCPT_OUTCOMES];
    /* requests per latency bucket (not cumulative); the last: slower */
    apr_uint64_t buckets[SMS_CALL_KINDS][SMS_LATENCY_BUCKETS + 1];
    apr_uint64_t micros[SMS_CALL_KINDS]; /* total latency */
    apr_uint64_t credits;    /* the last balance answered (an int64) */
    apr_uint64_t credits_at; /* when (apr_time_t); 0: never */
    apr_uint64_t queued;     /* messages queued for the sender (a wake-up) */
} sms_counts_t;
typedef struct sms_figures_t {
    apr_time_t now;
    sms_store_figures_t db; /* the database's, shared by every server */
    int have_counts;        /* pv holds this server's counters */
    sms_counts_t pv;
} sms_figures_t;
extern const char *const sms_call_kind_names[SMS_CALL_KINDS];
extern const char *const sms_call_outcome_names[SMS_CALL_OUTCOMES];
extern const char *const sms_rcpt_outcome_names[SMS_RCPT_OUTCOMES];
extern const apr_interval_time_t sms_latency_bounds[SMS_LATENCY_BUCKETS];
extern const char *const sms_latency_labels[SMS_LATENCY_BUCKETS];
/* post_config: the shared segment, one zeroed slot per server. */
int sms_counters_create(apr_pool_t *pconf, server_rec *s);
/* child_init: count the requests of server s's provider in its slot. */
void sms_counters_attach(sms_provider_t *pv, server_rec *s);
/* n messages of server s were committed as queued: the sender (in
 * whichever child runs it) takes them at its next check, not at the next
 * SMSQueueInterval; the count of them so far (0 without counters). */
void sms_counters_queued(server_rec *s, int n);
apr_uint64_t sms_counters_queued_total(server_rec *s);
/* Server s's counters and the database's figures; the database's failure
 * is returned (f->pv is filled all the same). db may be NULL. */
apr_status_t sms_figures_read(sms_figures_t *f, sms_db_t *db, server_rec *s,
                              apr_pool_t *p);

/* sms_mod_status.c: the "mod_sms" section of mod_status's server-status */
void sms_status_register(void);

/* Route handlers, one file per family (sms_route_<family>.c), named by
 * the route table; route files never call each other. */
int sms_route_preview(sms_req *rq);
int sms_route_health(sms_req *rq);
int sms_route_send(sms_req *rq);
int sms_route_send_bulk(sms_req *rq);
int sms_route_messages(sms_req *rq);
int sms_route_message(sms_req *rq);
int sms_route_batch(sms_req *rq);
int sms_route_balance(sms_req *rq);
int sms_route_templates(sms_req *rq);
int sms_route_template_create(sms_req *rq);
int sms_route_template_get(sms_req *rq);
int sms_route_template_update(sms_req *rq);
int sms_route_template_delete(sms_req *rq);
int sms_route_patient_phones(sms_req *rq);
int sms_route_patient_conversation(sms_req *rq);
int sms_route_patient_send(sms_req *rq);
int sms_route_csrf_token(sms_req *rq);
int sms_route_me(sms_req *rq);
/* sms_route_me.c: its probes log no refusals (an access_checker hook) */
void sms_me_register_hooks(apr_pool_t *p);
int sms_route_dlr(sms_req *rq);
int sms_route_inbound(sms_req *rq);
int sms_route_optouts(sms_req *rq);
int sms_route_optout_add(sms_req *rq);
int sms_route_optout_remove(sms_req *rq);
int sms_route_settings(sms_req *rq);
int sms_route_metrics(sms_req *rq);
int sms_route_audit(sms_req *rq);
int sms_route_inbox(sms_req *rq);
int sms_route_inbox_read(sms_req *rq);
int sms_route_inbox_unread(sms_req *rq);
int sms_route_inbox_counts(sms_req *rq);
int sms_route_ui(sms_req *rq);
int sms_route_ui_file(sms_req *rq);
/* sms_route_ui.c: an unauthenticated browser asking for the UI at uri goes
 * to SMSLoginURL (302, answered: OK); DECLINED when not the UI or unset. */
int sms_ui_login_redirect(sms_req *rq, const char *uri);
/* Check the SMSPatient*Query columns once per child
 * (sms_route_patients.c). */
void sms_patients_child_init(apr_pool_t *pchild, server_rec *s);

#endif /* SMS_HTTPD_H */
