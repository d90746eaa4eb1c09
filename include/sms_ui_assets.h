/*
 * sms_ui_assets.h - the staff UI's files (mod_sms/ui/), compiled into the
 * module by mod_sms/ui/embed.sh (sms_ui_assets.c is generated at build).
 */
#ifndef SMS_UI_ASSETS_H
#define SMS_UI_ASSETS_H

#include <stddef.h>

typedef struct sms_ui_asset_t {
    const char *name; /* base name: "sms.js" */
    const char *content_type;
    const unsigned char *data;
    size_t len;
    const char *etag; /* quoted, from the content */
} sms_ui_asset_t;

/* Every file, ended by an entry whose name is NULL. */
extern const sms_ui_asset_t sms_ui_assets[];

#endif /* SMS_UI_ASSETS_H */
