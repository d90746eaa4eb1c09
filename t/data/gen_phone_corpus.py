#!/usr/bin/env python3
"""gen_phone_corpus.py - a corpus of phone numbers as people type and paste
them, each with libphonenumber's own answer, for t/unit/test_phone_corpus.

The oracle is python3-phonenumbers (Debian), an independent port of Google's
libphonenumber with the same metadata: for the plain typed form of each input
it answers parse(plain, region of the default country code) -> valid number
without extension? -> E.164 digits and number type; anything else is a
refusal. The C side gets the decorated form instead (the same text as pasted:
NBSP, bidi marks, a BOM, a trailing CR, full-width or Arabic-Indic digits,
en dashes ...), so the test checks both that sms_phone_parse reads pasted
text as its plain form and that it agrees with libphonenumber on that form.

Inputs come from libphonenumber's example numbers of many regions and types,
with digits changed at random (so many are invalid), written in the ways
people write them (international, national, the default country's
international prefix, bare digits, "+61 (0)4...", a trunk 0 after the
country code, a digit too many or too few).

Usage: gen_phone_corpus.py [--count N] [--seed S]   (JSON on stdout)
Exit 2 when the phonenumbers module is missing (sh conf/install-deps.sh
--test installs python3-phonenumbers).
"""
import json
import random
import sys

try:
    import phonenumbers as pn
except ImportError:
    sys.stderr.write("gen_phone_corpus: python3-phonenumbers is not "
                     "installed (sh conf/install-deps.sh --test)\n")
    sys.exit(2)

TYPE_NAMES = {
    pn.PhoneNumberType.FIXED_LINE: "fixed_line",
    pn.PhoneNumberType.MOBILE: "mobile",
    pn.PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    pn.PhoneNumberType.TOLL_FREE: "toll_free",
    pn.PhoneNumberType.PREMIUM_RATE: "premium_rate",
    pn.PhoneNumberType.SHARED_COST: "shared_cost",
    pn.PhoneNumberType.VOIP: "voip",
    pn.PhoneNumberType.PERSONAL_NUMBER: "personal",
    pn.PhoneNumberType.PAGER: "pager",
    pn.PhoneNumberType.UAN: "uan",
    pn.PhoneNumberType.VOICEMAIL: "voicemail",
    pn.PhoneNumberType.UNKNOWN: "unknown",
}

# default country codes the test runs under (SMSDefaultCountryCode)
DEFAULTS = ["61"] * 6 + ["64", "44", "1", "49", "33", "91", "65", "27"]
# regions the numbers come from
REGIONS = ["AU", "AU", "AU", "AU", "NZ", "GB", "US", "CA", "DE", "FR", "IN",
           "CN", "SG", "HK", "IE", "ZA", "JP", "BR", "IT", "AT", "SE", "NL",
           "ES", "CH", "MX", "PH", "MY", "ID", "FJ", "PG", "AE", "IL"]
# every type, mobiles (what SMS is for) five times as often
TYPES = list(TYPE_NAMES)[:-1] + [pn.PhoneNumberType.MOBILE] * 4

ALLOWED = set("0123456789 +-().")


def oracle(plain, region):
    """libphonenumber's answer for plain: (digits, type name) or None."""
    try:
        n = pn.parse(plain, region)
    except pn.NumberParseException:
        return None
    if n.extension or not pn.is_valid_number(n):
        return None
    return (pn.format_number(n, pn.PhoneNumberFormat.E164)[1:],
            TYPE_NAMES.get(pn.number_type(n), "unknown"))


def mutate_digits(nsn, rng):
    """The national significant number with some digits changed, one
    dropped or one added (most stay valid in form, many not in use)."""
    d = list(nsn)
    roll = rng.random()
    if roll < 0.45:
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(max(1, len(d) // 3), len(d))
            d[i] = rng.choice("0123456789")
    elif roll < 0.6:
        del d[rng.randrange(len(d))]
    elif roll < 0.72:
        d.insert(rng.randrange(len(d) + 1), rng.choice("0123456789"))
    elif roll < 0.8:
        i = rng.randrange(len(d))
        d[i] = rng.choice("0123456789")      # anywhere, even the prefix
    return "".join(d) or "1"


def write(n, default_region, rng):
    """One way a person writes n."""
    cc = str(n.country_code)
    nsn = pn.national_significant_number(n)
    style = rng.random()
    if style < 0.25:
        return pn.format_number(n, pn.PhoneNumberFormat.INTERNATIONAL)
    if style < 0.35:
        return pn.format_number(n, pn.PhoneNumberFormat.E164)
    if style < 0.55:
        return pn.format_number(n, pn.PhoneNumberFormat.NATIONAL)
    if style < 0.65:
        return pn.format_out_of_country_calling_number(n, default_region)
    if style < 0.72:
        return cc + nsn                          # bare digits, no '+'
    if style < 0.78:
        return "+%s (0)%s" % (cc, nsn)           # "+61 (0)4..."
    if style < 0.84:
        return "+%s 0%s" % (cc, nsn)             # trunk 0 kept after cc
    if style < 0.9:
        return "00 %s %s" % (cc, nsn)            # 00: the IDD of many
    if style < 0.95:
        return "0" + nsn                         # a trunk 0, any country
    return nsn                                   # no prefix at all


SPACES = ["\u00a0", "\u202f", "\u2009", "\u3000", "\u2007"]
DASHES = ["\u2013", "\u2014", "\u2011", "\u2212", "\uff0d"]
MARKS = ["\u200e", "\u200f", "\u200b", "\u2060", "\u00ad"]
DIGIT_ZEROS = [0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x1040]


def decorate(plain, rng):
    """plain as it may arrive pasted; plain itself half the time."""
    if rng.random() < 0.5:
        return plain
    s = plain
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(8)
        if kind == 0:
            sp = rng.choice(SPACES)
            s = s.replace(" ", sp)
        elif kind == 1:
            s = s.replace("-", rng.choice(DASHES))
        elif kind == 2:
            zero = rng.choice(DIGIT_ZEROS)
            s = "".join(chr(zero + int(c)) if c.isascii() and c.isdigit()
                        else c for c in s)
        elif kind == 3:
            s = rng.choice(["\u202a", "\u2066", "\u200e"]) + s + \
                rng.choice(["\u202c", "\u2069", "\u200f"])
        elif kind == 4:
            s = "\ufeff" + s
        elif kind == 5:
            s = s + rng.choice(["\r", "\r\n", "\n"])
        elif kind == 6:
            i = rng.randrange(len(s) + 1)
            s = s[:i] + rng.choice(MARKS) + s[i:]
        else:
            s = s.replace("+", "\uff0b").replace("(", "\uff08") \
                 .replace(")", "\uff09")
    return s


def main():
    count, seed = 2000, 13
    args = sys.argv[1:]
    while args:
        opt = args.pop(0)
        if opt == "--count":
            count = int(args.pop(0))
        elif opt == "--seed":
            seed = int(args.pop(0))
        else:
            sys.stderr.write(__doc__)
            sys.exit(1)
    rng = random.Random(seed)
    cases, seen = [], set()
    while len(cases) < count:
        default_cc = rng.choice(DEFAULTS)
        default_region = pn.region_code_for_country_code(int(default_cc))
        region = rng.choice(REGIONS + [default_region] * 4)
        example = pn.example_number_for_type(region, rng.choice(TYPES))
        if example is None:
            continue
        n = pn.PhoneNumber(country_code=example.country_code,
                           national_number=0)
        nsn = pn.national_significant_number(example)
        if rng.random() < 0.75:
            nsn = mutate_digits(nsn, rng)
        n.national_number = int(nsn)
        if nsn.startswith("0"):
            n.italian_leading_zero = True
            n.number_of_leading_zeros = len(nsn) - len(nsn.lstrip("0")) \
                or 1
        plain = write(n, default_region, rng)
        if not plain or set(plain) - ALLOWED or (plain, default_cc) in seen:
            continue
        seen.add((plain, default_cc))
        answer = oracle(plain, default_region)
        case = {"input": decorate(plain, rng), "plain": plain,
                "country_code": default_cc}
        if answer:
            case["expect"], case["expect_type"] = answer
        cases.append(case)
    json.dump({"generator": "gen_phone_corpus.py", "seed": seed,
               "oracle": "python3-phonenumbers " + pn.__version__,
               "cases": cases}, sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
