/*
 * mod_sms.h - what other httpd modules may use of mod_sms.
 *
 * The handler name to put under SetHandler, for now; optional functions
 * (sending from another module) will be declared here.
 */
#ifndef MOD_SMS_H
#define MOD_SMS_H

/* SetHandler value that serves the mod_sms JSON API. */
#define MOD_SMS_HANDLER "sms-api"

#endif /* MOD_SMS_H */
