/*
 * sms_phone_lpn.cc - the core's one C++ file: Google's libphonenumber
 * (Debian libphonenumber-dev) behind the small C interface of
 * sms_phone_private.h. It parses, validates, formats E.164 and gives the
 * number type; which characters are accepted, and every message, are
 * sms_phone.c's. No C++ exception leaves this file.
 */
#include <cstring>
#include <string>

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include "sms_phone.h"
#include "sms_phone_private.h"

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

/* The loaded library, or NULL before sms_lpn_init. */
static const PhoneNumberUtil *lpn;

/* libphonenumber's type, in sms_phone_type_e terms. */
static int type_of(PhoneNumberUtil::PhoneNumberType t)
{
    switch (t) {
    case PhoneNumberUtil::FIXED_LINE:
        return SMS_PHONE_FIXED_LINE;
    case PhoneNumberUtil::MOBILE:
        return SMS_PHONE_MOBILE;
    case PhoneNumberUtil::FIXED_LINE_OR_MOBILE:
        return SMS_PHONE_FIXED_LINE_OR_MOBILE;
    case PhoneNumberUtil::TOLL_FREE:
        return SMS_PHONE_TOLL_FREE;
    case PhoneNumberUtil::PREMIUM_RATE:
        return SMS_PHONE_PREMIUM_RATE;
    case PhoneNumberUtil::SHARED_COST:
        return SMS_PHONE_SHARED_COST;
    case PhoneNumberUtil::VOIP:
        return SMS_PHONE_VOIP;
    case PhoneNumberUtil::PERSONAL_NUMBER:
        return SMS_PHONE_PERSONAL;
    case PhoneNumberUtil::PAGER:
        return SMS_PHONE_PAGER;
    case PhoneNumberUtil::UAN:
        return SMS_PHONE_UAN;
    case PhoneNumberUtil::VOICEMAIL:
        return SMS_PHONE_VOICEMAIL;
    default:
        return SMS_PHONE_UNKNOWN;
    }
}

/* Copy s into buf of size n, cut to fit. */
static void copy_out(char *buf, std::size_t n, const std::string &s)
{
    std::size_t len = s.size() < n - 1 ? s.size() : n - 1;

    std::memcpy(buf, s.data(), len);
    buf[len] = '\0';
}

extern "C" int sms_lpn_init(void)
{
    try {
        if (!lpn) {
            lpn = PhoneNumberUtil::GetInstance();
        }
        return lpn ? 0 : -1;
    } catch (...) {
        return -1;
    }
}

extern "C" void sms_lpn_region_of(char *buf, int country_code)
{
    try {
        std::string region;

        if (sms_lpn_init() != 0) {
            copy_out(buf, 4, "ZZ");
            return;
        }
        lpn->GetRegionCodeForCountryCode(country_code, &region);
        copy_out(buf, 4, region);
    } catch (...) {
        copy_out(buf, 4, "ZZ");
    }
}

extern "C" sms_lpn_result_e sms_lpn_parse(sms_lpn_number_t *out,
                                          const char *ascii, int default_cc)
{
    std::memset(out, 0, sizeof(*out));
    copy_out(out->region, sizeof(out->region), "ZZ");
    out->type = SMS_PHONE_UNKNOWN;
    try {
        std::string region("ZZ"), e164;
        PhoneNumber n;

        if (sms_lpn_init() != 0) {
            return SMS_LPN_FAILED;
        }
        if (default_cc > 0) {
            lpn->GetRegionCodeForCountryCode(default_cc, &region);
        }
        switch (lpn->Parse(ascii, region, &n)) {
        case PhoneNumberUtil::NO_PARSING_ERROR:
            break;
        case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
            return SMS_LPN_NO_COUNTRY;
        case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
        case PhoneNumberUtil::TOO_SHORT_NSN:
            return SMS_LPN_TOO_SHORT;
        case PhoneNumberUtil::TOO_LONG_NSN:
            return SMS_LPN_TOO_LONG;
        default:
            return SMS_LPN_NOT_A_NUMBER;
        }
        lpn->Format(n, PhoneNumberUtil::E164, &e164);
        copy_out(out->digits, sizeof(out->digits),
                 e164.size() > 1 ? e164.substr(1) : std::string());
        out->country_code = n.country_code();
        region.clear();
        lpn->GetRegionCodeForNumber(n, &region);
        if (region.empty() || region == "ZZ") {
            lpn->GetRegionCodeForCountryCode(n.country_code(), &region);
        }
        copy_out(out->region, sizeof(out->region), region);
        if (lpn->IsValidNumber(n)) {
            out->type = type_of(lpn->GetNumberType(n));
            return n.has_extension() && !n.extension().empty()
                       ? SMS_LPN_EXTENSION
                       : SMS_LPN_VALID;
        }
        switch (lpn->IsPossibleNumberWithReason(n)) {
        case PhoneNumberUtil::INVALID_COUNTRY_CODE:
            return SMS_LPN_NO_COUNTRY;
        case PhoneNumberUtil::TOO_SHORT:
            return SMS_LPN_TOO_SHORT;
        case PhoneNumberUtil::TOO_LONG:
            return SMS_LPN_TOO_LONG;
        case PhoneNumberUtil::INVALID_LENGTH:
            return SMS_LPN_BAD_LENGTH;
        case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
            return SMS_LPN_LOCAL_ONLY;
        default:
            return SMS_LPN_INVALID;
        }
    } catch (...) {
        return SMS_LPN_FAILED;
    }
}
