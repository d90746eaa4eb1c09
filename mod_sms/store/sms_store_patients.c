/*
 * sms_store_patients.c - the patient queries (reference tables or
 * SMSPatient*Query): a patient, their numbers, by number, the thread.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "sms_phone.h"
#include "sms_store_private.h"

/* ---- patients
 * ------------------------------------------------------------------ */

/* The patient rows' descriptors (SMS_PATIENT_ROW, SMS_PHONE_ROW). */
#define SMS_ROW sms_patient_t
static const sms_col_t patient_cols[] = {
    SMS_PATIENT_ROW(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW
#define SMS_ROW sms_phone_row_t
static const sms_col_t phone_cols[] = {
    SMS_PHONE_ROW(SMS_COL_DESC, SMS_COL_DESC)};
#undef SMS_ROW

/* sms_phone_e164_pending (id, number) is a projection for the fill below,
 * read as such. */
#define E164_BATCH 100  /* rows per sms_phone_e164_pending */
#define E164_ROUNDS 100 /* most batches per call */

apr_status_t sms_store_patient_phones_e164(sms_db_t *db,
                                           const char *country_code,
                                           apr_pool_t *p)
{
    int round;

    for (round = 0; round < E164_ROUNDS; round++) {
        apr_dbd_results_t *res;
        apr_dbd_row_t *row = NULL;
        apr_array_header_t *ids = apr_array_make(p, E164_BATCH, sizeof(char *));
        apr_array_header_t *numbers =
            apr_array_make(p, E164_BATCH, sizeof(char *));
        apr_status_t rv;
        int i, n;

        rv = sms_st_query(&res, db, "sms_phone_e164_pending", p, 0, NULL);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            const char *id = sms_st_col(db, row, 0);
            const char *number = sms_st_col(db, row, 1);
            if (id && number) {
                APR_ARRAY_PUSH(ids, const char *) = apr_pstrdup(p, id);
                APR_ARRAY_PUSH(numbers, const char *) = apr_pstrdup(p, number);
            }
        }
        for (i = 0; i < ids->nelts; i++) {
            const char *number = APR_ARRAY_IDX(numbers, i, const char *);
            const char *e164 = NULL;
            sms_error_t *err;

            if (sms_phone_normalise(&e164, &err, number, country_code, NULL,
                                    p) != APR_SUCCESS) {
                e164 = ""; /* not a valid number: never matches */
            }
            rv = sms_st_run(
                &n, db, "sms_phone_e164_set", p,
                ARGS(e164, APR_ARRAY_IDX(ids, i, const char *), number));
            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
        if (ids->nelts < E164_BATCH) {
            break;
        }
    }
    return APR_SUCCESS;
}

apr_status_t sms_store_patients_by_phone(apr_array_header_t **ids, sms_db_t *db,
                                         const char *number, apr_pool_t *p)
{
    const char *args[8];
    int n = sms_st_patient_queries[2].markers, i;
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;

    for (i = 0; i < n && i < 8; i++) {
        args[i] = number;
    }
    rv = sms_st_query(&res, db, "sms_patient_by_phone", p, i, args);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *ids = apr_array_make(p, 2, sizeof(char *));
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        const char *v = sms_st_col(db, row, 0);
        if (v) {
            APR_ARRAY_PUSH(*ids, const char *) = apr_pstrdup(p, v);
        }
    }
    return APR_SUCCESS;
}

/* ---- patients and conversations
 * ---------------------------------------------- */

/* Run patient query i with the same value for each of its markers. */
static apr_status_t patient_query(apr_dbd_results_t **res, sms_db_t *db, int i,
                                  const char *value, int random, apr_pool_t *p)
{
    const char *args[8];
    int n, rc;

    for (n = 0; n < sms_st_patient_queries[i].markers && n < 8; n++) {
        args[n] = value;
    }
    *res = NULL;
    rc = apr_dbd_pselect(db->driver, p, db->handle, res,
                         sms_st_stmt(db, sms_st_patient_queries[i].label),
                         random, n, args);
    return rc ? sms_st_db_error(db, sms_st_patient_queries[i].label, rc, p)
              : APR_SUCCESS;
}

apr_status_t sms_store_patient(sms_patient_t **pt, sms_db_t *db, const char *id,
                               apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = patient_query(&res, db, 0, id, 0, p);

    *pt = NULL;
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        if (!*pt) {
            *pt = apr_pcalloc(p, sizeof(**pt));
            sms_st_read_cols(*pt, patient_cols, SMS_NCOLS(patient_cols), 0, db,
                             row, p);
        }
    }
    return *pt ? APR_SUCCESS : APR_ENOENT;
}

apr_status_t sms_store_patient_phones(apr_array_header_t **phones, sms_db_t *db,
                                      const char *id, apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = patient_query(&res, db, 1, id, 0, p);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    *phones = sms_st_read_rows(db, res, phone_cols, SMS_NCOLS(phone_cols),
                               sizeof(sms_phone_row_t), 0, 4, p);
    return APR_SUCCESS;
}

apr_status_t sms_store_check_patient_queries(const char **directive,
                                             const char **why, sms_db_t *db,
                                             apr_pool_t *p)
{
    int i;

    for (i = 0; i < (int)(sms_st_npatient_queries); i++) {
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        int cols;

        if (!sms_st_patient_queries[i].sql) {
            continue;
        }
        /* random access: pgsql knows the columns before any row */
        if (patient_query(&res, db, i, "", 1, p) != APR_SUCCESS) {
            *directive = sms_st_patient_queries[i].directive;
            *why = apr_psprintf(p, "the query fails: %s",
                                apr_dbd_error(db->driver, db->handle, 1));
            return APR_EGENERAL;
        }
        cols = apr_dbd_num_cols(db->driver, res);
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0)
            ;
        (void)row;
        if (sms_st_patient_queries[i].columns
                ? cols != sms_st_patient_queries[i].columns
                : cols < 1) {
            *directive = sms_st_patient_queries[i].directive;
            *why = apr_psprintf(p,
                                "the query answers %d column(s); it must "
                                "answer %s",
                                cols, sms_st_patient_queries[i].shape);
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

/* sms_thread_version: two maxima, a projection read as such. */
apr_status_t sms_store_thread_version(apr_time_t *updated, apr_int64_t *inbound,
                                      sms_db_t *db, const char *patient_id,
                                      apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv = sms_st_query(&res, db, "sms_thread_version", p,
                                   ARGS(patient_id, patient_id));

    *updated = 0;
    *inbound = 0;
    if (rv == APR_SUCCESS) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
            *updated = sms_st_to64(sms_st_col(db, row, 0));
            *inbound = sms_st_to64(sms_st_col(db, row, 1));
        }
    }
    return rv;
}

apr_status_t sms_store_thread_out(apr_array_header_t **msgs, sms_db_t *db,
                                  const char *patient_id, apr_time_t after,
                                  apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = sms_st_query(&res, db, "sms_thread_out", p,
                                   ARGS(patient_id, sms_st_i64(p, after)));

    return rv == APR_SUCCESS ? sms_st_read_messages(msgs, db, res, p) : rv;
}

/* The sms_inbound row's descriptor (SMS_INBOUND_ROW). */
#define SMS_ROW sms_inbound_t
static const sms_col_t inbound_cols[] = {
    SMS_INBOUND_ROW(SMS_COL_DESC, SMS_COL_DESC, )};
#undef SMS_ROW

/* The inbound rows of sms_thread_in or sms_thread_in_page. */
static void read_inbound(apr_array_header_t **ins, sms_db_t *db,
                         apr_dbd_results_t *res, apr_pool_t *p)
{
    *ins = sms_st_read_rows(db, res, inbound_cols, SMS_NCOLS(inbound_cols),
                            sizeof(sms_inbound_t), 0, 8, p);
}

apr_status_t sms_store_thread_in(apr_array_header_t **ins, sms_db_t *db,
                                 const char *patient_id, apr_int64_t after,
                                 apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = sms_st_query(&res, db, "sms_thread_in", p,
                                   ARGS(patient_id, sms_st_i64(p, after)));

    if (rv == APR_SUCCESS) {
        read_inbound(ins, db, res, p);
    }
    return rv;
}

apr_status_t sms_store_thread_out_page(apr_array_header_t **msgs, sms_db_t *db,
                                       const char *patient_id,
                                       apr_int64_t before, int limit,
                                       apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = sms_st_query(
        &res, db, "sms_thread_out_page", p,
        ARGS(patient_id, sms_st_i64(p, before > 0 ? before : APR_INT64_MAX),
             apr_itoa(p, limit)));

    return rv == APR_SUCCESS ? sms_st_read_messages(msgs, db, res, p) : rv;
}

apr_status_t sms_store_thread_in_page(apr_array_header_t **ins, sms_db_t *db,
                                      const char *patient_id,
                                      apr_int64_t before, int limit,
                                      apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_status_t rv = sms_st_query(
        &res, db, "sms_thread_in_page", p,
        ARGS(patient_id, sms_st_i64(p, before > 0 ? before : APR_INT64_MAX),
             apr_itoa(p, limit)));

    if (rv == APR_SUCCESS) {
        read_inbound(ins, db, res, p);
    }
    return rv;
}

apr_status_t sms_store_patient_access(int *allowed, sms_db_t *db,
                                      const char *user, const char *patient_id,
                                      apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;

    *allowed = 1;
    if (!sms_store_access_enabled()) {
        return APR_SUCCESS;
    }
    *allowed = 0;
    rv = sms_st_query(&res, db, SMS_ACCESS_LABEL, p,
                      ARGS(user ? user : "", patient_id));
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        *allowed = 1;
    }
    return APR_SUCCESS;
}
