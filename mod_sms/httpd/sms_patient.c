/*
 * sms_patient.c - a patient as every route that names one sees it: the
 * access check, the patient, and the patient's numbers normalised (default
 * first, with their type and whether they can take an SMS). Shared by the
 * patient routes and the send path.
 */
#include <string.h>

#include <apr_strings.h>
#include <http_protocol.h>

#include "sms_httpd.h"
#include "sms_phone.h"

sms_patient_t *sms_find_patient(sms_req *rq, sms_db_t *db, const char *id,
                                apr_array_header_t **phones, int *done)
{
    apr_pool_t *p = rq->r->pool;
    apr_array_header_t *rows;
    sms_patient_t *pt;
    apr_status_t rv;
    int i, pass;

    if (strlen(id) > 64) {
        *done = sms_fail(rq, HTTP_NOT_FOUND, "unknown_patient", NULL,
                         "there is no such patient");
        return NULL;
    }
    if ((*done = sms_check_patient(rq, db, id)) != DECLINED) {
        return NULL;
    }
    rv = sms_store_patient(&pt, db, id, p);
    if (rv == APR_ENOENT) {
        *done = sms_fail(rq, HTTP_NOT_FOUND, "unknown_patient", NULL,
                         "there is no patient '%s'", id);
        return NULL;
    }
    if (rv != APR_SUCCESS ||
        sms_store_patient_phones(&rows, db, id, p) != APR_SUCCESS) {
        *done = sms_storage_failed(rq);
        return NULL;
    }
    *phones = apr_array_make(p, rows->nelts + 1, sizeof(sms_patient_phone_t));
    for (pass = 1; pass >= 0; pass--) { /* defaults first */
        for (i = 0; i < rows->nelts; i++) {
            const sms_phone_row_t *r = &APR_ARRAY_IDX(rows, i, sms_phone_row_t);
            const char *n;
            sms_phone_t *parsed;
            sms_error_t *err;
            sms_patient_phone_t *ph;
            int j, dup = 0;

            if (r->is_default != pass || !r->number ||
                sms_phone_parse(&parsed, &err, r->number, rq->sc->country_code,
                                NULL, p)) {
                continue;
            }
            n = parsed->digits;
            for (j = 0; j < (*phones)->nelts; j++) {
                dup |= !strcmp(
                    APR_ARRAY_IDX(*phones, j, sms_patient_phone_t).number, n);
            }
            if (dup) {
                continue;
            }
            ph = apr_array_push(*phones);
            ph->label = r->label ? r->label : "";
            ph->number = n;
            ph->is_default = r->is_default;
            ph->type = parsed->type;
            ph->sms_capable =
                sms_phone_type_allowed(parsed->type, rq->sc->allow_types);
        }
    }
    return pt;
}

const sms_patient_phone_t *sms_patient_number(const apr_array_header_t *phones,
                                              const char *number)
{
    int i;

    for (i = 0; number && i < phones->nelts; i++) {
        const sms_patient_phone_t *ph =
            &APR_ARRAY_IDX(phones, i, sms_patient_phone_t);
        if (!strcmp(ph->number, number)) {
            return ph;
        }
    }
    return NULL;
}
