/*
 * mod_sms.c - module record and hooks.
 */
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_mpm.h>

#include "sms_httpd.h"
#include "sms_phone.h"

/* Core log lines go to the main server's error log. */
static void log_to_httpd(void *baton, sms_log_level_e level, apr_status_t rv,
                         const char *msg)
{
    ap_log_error(APLOG_MARK, (int)level, rv, (server_rec *)baton, "%s", msg);
}

/* Runs after every configuration read, httpd -t included: the place for
 * checks that span directives or modules. */
static int sms_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    if (!APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mod_sms needs mod_dbd: add LoadModule dbd_module and "
                     "a DBDriver/DBDParams pair");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return sms_conf_finish(pconf, ptemp, s);
}

/* Whether SQLite runs without its per-connection mutex (set when the
 * module loads, said in post_config). */
static int sqlite_multithread;

static int sms_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    (void)ptemp;
    sms_api_init(pconf);
    sms_log_set(log_to_httpd, s);
    /* "mod_sms/0.1.0" in the Server header under ServerTokens Full */
    ap_add_version_component(pconf, "mod_sms/" MOD_SMS_VERSION);
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    if (sms_phone_init() != APR_SUCCESS) { /* before children fork */
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mod_sms: libphonenumber's metadata cannot be loaded");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (sms_provider_global_init() != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mod_sms: libcurl cannot be initialised");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    {
        sms_server_conf *sc =
            ap_get_module_config(s->module_config, &sms_module);
        /* one set of patient queries per process: the main server's */
        sms_store_patient_queries(sc->patient_query, sc->patient_phones_query,
                                  sc->patient_by_phone_query);
        sms_store_access_query(sc->patient_access_query);
    }
    sms_conf_announce(s);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "SQLite in %s mode",
                 sqlite_multithread ? "multi-thread" : "serialized");
    sms_sender_register(pconf, s);
    return sms_counters_create(pconf, s);
}

static void sms_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (sms_store_child_init(pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     "mod_sms: cannot create the store's write lock");
    }
    sms_sender_child_init(pchild, s);
    sms_patients_child_init(pchild, s);
}

/* Before mod_dbd opens its connections in this child. */
static void sms_child_init_first(apr_pool_t *pchild, server_rec *s)
{
    (void)s;
    sms_api_child_open(pchild);
}

static void sms_register_hooks(apr_pool_t *p)
{
    static const char *const after_dbd[] = {"mod_dbd.c", NULL};
    static const char *const before_watchdog[] = {"mod_watchdog.c", NULL};

    sqlite_multithread = sqlite_multithread || sms_store_sqlite_multithread();
    ap_hook_check_config(sms_check_config, after_dbd, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(sms_post_config, after_dbd, before_watchdog,
                        APR_HOOK_MIDDLE);
    /* after mod_dbd has made its pools, before the watchdog starts ours */
    ap_hook_child_init(sms_child_init, after_dbd, before_watchdog,
                       APR_HOOK_MIDDLE);
    ap_hook_child_init(sms_child_init_first, NULL, after_dbd, APR_HOOK_MIDDLE);
    ap_hook_handler(sms_api_handler, NULL, NULL, APR_HOOK_MIDDLE);
    sms_status_register(); /* mod_status's optional hook */
    sms_auth_register_hooks(p);
    sms_session_register_hooks(p);
    sms_me_register_hooks(p);
}

/* not AP_DECLARE_MODULE: the private header already did APLOG_USE_MODULE */
module AP_MODULE_DECLARE_DATA sms_module = {
    STANDARD20_MODULE_STUFF,    sms_create_dir_conf,   sms_merge_dir_conf,
    sms_create_server_conf,     sms_merge_server_conf, sms_directives,
    sms_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
