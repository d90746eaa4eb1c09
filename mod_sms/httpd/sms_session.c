/*
 * sms_session.c - SMSSessionForgetPassword: no password in a stored
 * session.
 *
 * mod_auth_form keeps the user's password in the session it makes at
 * login ("<AuthName>-pw"), beside a hash of the user and
 * AuthFormSitePassphrase ("<AuthName>-site"). With a site passphrase the
 * password is never read again: a later request is trusted by the hash
 * alone (any non-empty password stands beside it). A session kept on the
 * server (mod_session_dbd) without mod_session_crypto would hold the
 * password in clear; mod_session_crypto avoids that, but derives its key
 * with PBKDF2 on every request. With SMSSessionForgetPassword On, this
 * output filter replaces the password by "-" before mod_session saves the
 * session (it runs ahead of mod_session's MOD_SESSION_OUT filter), so the
 * password never reaches the store, and no per-request key derivation is
 * needed. Sessions without the site hash are left alone: there the
 * password is what authenticates each request.
 */
#include <string.h>

#include <apr_optional.h>
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_filter.h>

#include "mod_session.h"
#include "sms_httpd.h"

#define FORGET_FILTER "SMS_FORGET_PASSWORD"
#define FORGOTTEN "-"

static APR_OPTIONAL_FN_TYPE(ap_session_load) * session_load;
static APR_OPTIONAL_FN_TYPE(ap_session_get) * session_get;
static APR_OPTIONAL_FN_TYPE(ap_session_set) * session_set;
static int warned; /* the missing site passphrase, told once per child */

static void forget_password(request_rec *r)
{
    const char *name = ap_auth_name(r), *pw = NULL, *hash = NULL, *pw_key;
    session_rec *z = NULL;

    if (!name || !session_load || session_load(r, &z) != APR_SUCCESS || !z) {
        return;
    }
    pw_key = apr_pstrcat(r->pool, name, "-" MOD_SESSION_PW, NULL);
    session_get(r, z, pw_key, &pw);
    session_get(r, z, apr_pstrcat(r->pool, name, "-site", NULL), &hash);
    if (!pw || !*pw || !strcmp(pw, FORGOTTEN)) {
        return;
    }
    if (hash && *hash) {
        session_set(r, z, pw_key, FORGOTTEN);
    }
    else if (!warned) { /* once per child: the site is misconfigured */
        warned = 1;
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "SMSSessionForgetPassword: this login's session has "
                      "no AuthFormSitePassphrase hash, so its password is "
                      "what authenticates each request and stays in the "
                      "stored session: set AuthFormSitePassphrase");
    }
}

static apr_status_t forget_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    forget_password(f->r);
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

static void insert_forget(request_rec *r)
{
    const sms_dir_conf *dc =
        ap_get_module_config(r->per_dir_config, &sms_module);

    if (dc && dc->forget_password == 1 && session_load) {
        ap_add_output_filter(FORGET_FILTER, NULL, r, r->connection);
    }
}

static int session_functions(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf, (void)plog, (void)ptemp, (void)s;
    session_load = APR_RETRIEVE_OPTIONAL_FN(ap_session_load);
    session_get = APR_RETRIEVE_OPTIONAL_FN(ap_session_get);
    session_set = APR_RETRIEVE_OPTIONAL_FN(ap_session_set);
    if (!session_get || !session_set) {
        session_load = NULL;
    }
    return OK;
}

void sms_session_register_hooks(apr_pool_t *p)
{
    (void)p;
    /* ahead of mod_session's own MOD_SESSION_OUT (AP_FTYPE_CONTENT_SET) */
    ap_register_output_filter(FORGET_FILTER, forget_filter, NULL,
                              AP_FTYPE_RESOURCE);
    ap_hook_insert_filter(insert_forget, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(insert_forget, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(session_functions, NULL, NULL, APR_HOOK_MIDDLE);
}
