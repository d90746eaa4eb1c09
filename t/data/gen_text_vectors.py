#!/usr/bin/env python3
"""Reference oracle for the mod_sms SMS character counter / segment splitter.

This script is a self-contained reference implementation (Python 3 standard
library only) of the text contract, plus the list of test cases. Running it
from the repository root

    python3 t/data/gen_text_vectors.py

rewrites t/data/text_vectors.json. That JSON file is committed and is read by
the C unit tests and by the httpd preview tests; the C engine was written
independently of this file, so the JSON acts as an independent oracle.
The output is deterministic (no randomness, stable case order).

Contract (input: bytes + options smart=False, max_parts=5 in 1..5):
 1. Validation: the bytes must be strict UTF-8 (no overlongs, no encoded
    surrogates U+D800..U+DFFF, nothing above U+10FFFF, no truncated or stray
    bytes). Code points < 0x20 other than LF and CR, DEL 0x7F and the C1
    controls U+0080..U+009F are rejected. Failure -> "invalid_message".
 2. Smart encoding (smart=True only): curly/prime single quotes -> ',
    curly/prime/guillemet double quotes -> ", hyphens/dashes/minus -> -,
    U+2026 -> "...", exotic spaces -> U+0020, zero-width chars / soft hyphen /
    BOM deleted. The result is used only if it is entirely GSM-7; otherwise
    the original text is kept unchanged.
 3. Encoding: "GSM-7" if every code point is in the GSM 03.38 default
    alphabet or its extension table, else "UCS-2".
 4. characters = code points; units = septets (basic 1, extension 2) or
    UTF-16 code units (BMP 1, supplementary 2).
 5. GSM-7: <=160 units single (per_segment 160) else parts of 153.
    UCS-2: <=70 single (70) else parts of 67. Empty text: 0 segments,
    per_segment 160, remaining 160, no parts. Concatenated messages are split
    greedily in text order, a character never straddles two parts.
    remaining = per_segment - units of the last part.
 6. within_limit = segments <= max_parts; message = text after smart encoding.
"""

import json
import os
import re
import sys
import unicodedata

# ---------------------------------------------------------------------------
# Reference tables
# ---------------------------------------------------------------------------

# GSM 03.38 default alphabet, indexed by septet value. None = 0x1B (escape).
GSM_BASIC_TABLE = (
    # 0x00 .. 0x0F
    "@", "\u00a3", "$", "\u00a5", "\u00e8", "\u00e9", "\u00f9", "\u00ec",
    "\u00f2", "\u00c7", "\n", "\u00d8", "\u00f8", "\r", "\u00c5", "\u00e5",
    # 0x10 .. 0x1F
    "\u0394", "_", "\u03a6", "\u0393", "\u039b", "\u03a9", "\u03a0", "\u03a8",
    "\u03a3", "\u0398", "\u039e", None, "\u00c6", "\u00e6", "\u00df", "\u00c9",
    # 0x20 .. 0x2F
    " ", "!", "\"", "#", "\u00a4", "%", "&", "'",
    "(", ")", "*", "+", ",", "-", ".", "/",
    # 0x30 .. 0x3F
    "0", "1", "2", "3", "4", "5", "6", "7",
    "8", "9", ":", ";", "<", "=", ">", "?",
    # 0x40 .. 0x5F
    "\u00a1", "A", "B", "C", "D", "E", "F", "G",
    "H", "I", "J", "K", "L", "M", "N", "O",
    "P", "Q", "R", "S", "T", "U", "V", "W",
    "X", "Y", "Z", "\u00c4", "\u00d6", "\u00d1", "\u00dc", "\u00a7",
    # 0x60 .. 0x7F
    "\u00bf", "a", "b", "c", "d", "e", "f", "g",
    "h", "i", "j", "k", "l", "m", "n", "o",
    "p", "q", "r", "s", "t", "u", "v", "w",
    "x", "y", "z", "\u00e4", "\u00f6", "\u00f1", "\u00fc", "\u00e0",
)
assert len(GSM_BASIC_TABLE) == 128
GSM_BASIC = frozenset(ord(c) for c in GSM_BASIC_TABLE if c is not None)
assert len(GSM_BASIC) == 127

# Extension table (escape + septet). Form feed is in the table too, but it is
# a control character and is rejected by validation before it matters.
GSM_EXTENSION_CHARS = "^{}\\[~]|\u20ac"
GSM_EXTENSION = frozenset([0x0C] + [ord(c) for c in GSM_EXTENSION_CHARS])
assert not (GSM_BASIC & GSM_EXTENSION)

SMART_MAP = {}
for _cp in (0x2018, 0x2019, 0x201A, 0x201B, 0x2032):
    SMART_MAP[_cp] = "'"
for _cp in (0x201C, 0x201D, 0x201E, 0x201F, 0x2033, 0x00AB, 0x00BB):
    SMART_MAP[_cp] = '"'
for _cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212):
    SMART_MAP[_cp] = "-"
SMART_MAP[0x2026] = "..."
for _cp in [0x00A0] + list(range(0x2000, 0x200B)) + [0x202F, 0x205F, 0x3000]:
    SMART_MAP[_cp] = " "
for _cp in (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF):
    SMART_MAP[_cp] = ""
SMART_CODEPOINTS = sorted(SMART_MAP)

INVALID = "invalid_message"


# ---------------------------------------------------------------------------
# Reference implementation
# ---------------------------------------------------------------------------

def decode_utf8(data):
    """Strict UTF-8 decoder written out by hand. Returns a list of code
    points, or None if the bytes are not valid UTF-8."""
    cps = []
    i = 0
    n = len(data)
    while i < n:
        b0 = data[i]
        if b0 < 0x80:
            cps.append(b0)
            i += 1
            continue
        if 0xC2 <= b0 <= 0xDF:
            need, cp, minimum = 1, b0 & 0x1F, 0x80
        elif 0xE0 <= b0 <= 0xEF:
            need, cp, minimum = 2, b0 & 0x0F, 0x800
        elif 0xF0 <= b0 <= 0xF4:
            need, cp, minimum = 3, b0 & 0x07, 0x10000
        else:  # stray continuation, C0/C1 lead (overlong), F5..FF
            return None
        if i + need >= n:  # truncated sequence
            return None
        for k in range(1, need + 1):
            b = data[i + k]
            if b & 0xC0 != 0x80:
                return None
            cp = (cp << 6) | (b & 0x3F)
        if cp < minimum or 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
            return None
        cps.append(cp)
        i += need + 1
    return cps


def decode_checked(data):
    """decode_utf8, cross-checked against Python's own strict codec."""
    mine = decode_utf8(data)
    try:
        theirs = [ord(c) for c in data.decode("utf-8", "strict")]
    except UnicodeDecodeError:
        theirs = None
    assert mine == theirs, (data.hex(), mine, theirs)
    return mine


def is_forbidden_control(cp):
    return (cp < 0x20 and cp not in (0x0A, 0x0D)) or 0x7F <= cp <= 0x9F


def is_gsm(cp):
    return cp in GSM_BASIC or cp in GSM_EXTENSION


def smart_encode(cps):
    out = []
    for cp in cps:
        if cp in SMART_MAP:
            out.extend(ord(c) for c in SMART_MAP[cp])
        else:
            out.append(cp)
    return out


def unit_cost(cp, encoding):
    if encoding == "GSM-7":
        return 2 if cp in GSM_EXTENSION else 1
    return 2 if cp > 0xFFFF else 1


def analyze(data, smart=False, max_parts=5):
    """Reference analysis of raw bytes. Returns ("error", code) or
    ("ok", expect_dict)."""
    assert isinstance(data, bytes)
    assert isinstance(smart, bool)
    assert 1 <= max_parts <= 5
    cps = decode_checked(data)
    if cps is None:
        return ("error", INVALID)
    if any(is_forbidden_control(cp) for cp in cps):
        return ("error", INVALID)

    if smart:
        replaced = smart_encode(cps)
        if all(is_gsm(cp) for cp in replaced):
            cps = replaced

    encoding = "GSM-7" if all(is_gsm(cp) for cp in cps) else "UCS-2"
    costs = [unit_cost(cp, encoding) for cp in cps]
    units = sum(costs)
    single_limit, concat_limit = (160, 153) if encoding == "GSM-7" else (70, 67)

    parts = []  # list of (list of code points, units)
    if not cps:
        per_segment = single_limit
        remaining = per_segment
    elif units <= single_limit:
        per_segment = single_limit
        parts.append((cps, units))
        remaining = per_segment - units
    else:
        per_segment = concat_limit
        cur, cur_units = [], 0
        for cp, cost in zip(cps, costs):
            if cur and cur_units + cost > per_segment:
                parts.append((cur, cur_units))
                cur, cur_units = [], 0
            cur.append(cp)
            cur_units += cost
        parts.append((cur, cur_units))
        remaining = per_segment - parts[-1][1]

    # Internal consistency checks of the oracle itself.
    assert sum(u for _, u in parts) == units
    assert [cp for p, _ in parts for cp in p] == cps
    for idx, (p, u) in enumerate(parts):
        assert p and 0 < u <= per_segment
        if len(parts) > 1 and idx + 1 < len(parts):
            # greedy: the first character of the next part did not fit
            nxt = parts[idx + 1][0][0]
            assert u + unit_cost(nxt, encoding) > per_segment
    if len(parts) > 1:
        assert units > single_limit

    def s(seq):
        return "".join(chr(cp) for cp in seq)

    expect = {
        "encoding": encoding,
        "characters": len(cps),
        "units": units,
        "segments": len(parts),
        "per_segment": per_segment,
        "remaining": remaining,
        "within_limit": len(parts) <= max_parts,
        "message": s(cps),
        "parts": [s(p) for p, _ in parts],
    }
    expect["_part_units"] = [u for _, u in parts]  # stripped before output
    return ("ok", expect)


# ---------------------------------------------------------------------------
# Case list
# ---------------------------------------------------------------------------

CASES = []
NAMES = set()
HAND = {}  # name -> hand-written expectations checked against the reference
NAME_RE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$")


def add(name, text=None, hexstr=None, smart=False, max_parts=5, hand=None):
    assert NAME_RE.match(name), name
    assert name not in NAMES, "duplicate case name " + name
    assert (text is None) != (hexstr is None)
    NAMES.add(name)
    if text is not None:
        data = text.encode("utf-8")
    else:
        data = bytes.fromhex(hexstr)
        assert hexstr == hexstr.lower() and data.hex() == hexstr
        # hex is reserved for byte strings that are not valid UTF-8
        assert decode_utf8(data) is None, name
    kind, result = analyze(data, smart, max_parts)
    case = {"name": name}
    if text is not None:
        case["text"] = text
    else:
        case["hex"] = hexstr
    case["smart"] = smart
    case["max_parts"] = max_parts
    if kind == "error":
        case["expect_error"] = result
    else:
        case["expect"] = result
    CASES.append(case)
    if hand is not None:
        HAND[name] = hand
    return case


def err(name, text=None, hexstr=None, smart=False, max_parts=5):
    c = add(name, text=text, hexstr=hexstr, smart=smart, max_parts=max_parts)
    assert c.get("expect_error") == INVALID, name
    return c


def slug(cp):
    try:
        nm = unicodedata.name(chr(cp))
    except ValueError:
        nm = "unnamed"
    return "u%04x_%s" % (cp, re.sub(r"[^a-z0-9]+", "_", nm.lower()).strip("_"))


def cycle(pattern, n):
    """First n code points of pattern repeated."""
    reps = n // len(pattern) + 1
    out = (pattern * reps)[:n]
    assert len(out) == n
    return out


EN_PATTERN = ("The quick brown fox jumps over the lazy dog. "
              "Pack my box with five dozen liquor jugs! 0123456789 ")
RU_PATTERN = ("\u0421\u044a\u0435\u0448\u044c \u0436\u0435 \u0435\u0449\u0451 "
              "\u044d\u0442\u0438\u0445 \u043c\u044f\u0433\u043a\u0438\u0445 "
              "\u0444\u0440\u0430\u043d\u0446\u0443\u0437\u0441\u043a\u0438\u0445 "
              "\u0431\u0443\u043b\u043e\u043a, \u0434\u0430 \u0432\u044b\u043f\u0435\u0439 "
              "\u0447\u0430\u044e. ")
ZH_PATTERN = "\u6211\u80fd\u541e\u4e0b\u73bb\u7483\u800c\u4e0d\u4f24\u8eab\u4f53\u3002"

EN_REMINDER = ("Hi Sarah, this is a reminder of your appointment with Dr. Patel "
               "at Riverside Dental on Tuesday 14 May at 3:45pm. Please arrive "
               "10 minutes early and bring your insurance card. Reply C to "
               "confirm or R to reschedule. Questions? Call 020 7946 0018.")
EN_REMINDER_SHORT = "Reminder: Dr. Patel tomorrow at 3:45pm. Reply C to confirm."
EN_FOLLOWUP = (" After your visit you will receive a short survey; it takes about "
               "two minutes and helps us improve. Parking is free in the rear lot "
               "(level -1). Cancellations with less than 24 hours notice may be "
               "charged. To stop these messages reply STOP.")
EURO_ORDER = ("Your order #48213 is confirmed. Total: \u20ac129.90 (incl. \u20ac21.65 VAT), "
              "delivery \u20ac4.95. Pay by 30/06 ~ details: [shop.example/o/48213] "
              "{ref|SMS}. Thanks!")
EURO_PRICES = ("Menu today: soup \u20ac4.50, pasta \u20ac11.90, steak \u20ac24.00, "
               "dessert \u20ac6.50, coffee \u20ac2.20. ")
VI_REMINDER = ("Xin ch\u00e0o! L\u1ecbch h\u1eb9n c\u1ee7a b\u1ea1n t\u1ea1i Ph\u00f2ng "
               "kh\u00e1m Nha khoa H\u00f2a B\u00ecnh v\u00e0o l\u00fac 9 gi\u1edd 30 "
               "s\u00e1ng th\u1ee9 Hai, ng\u00e0y 15 th\u00e1ng 7. Vui l\u00f2ng "
               "\u0111\u1ebfn s\u1edbm 10 ph\u00fat. N\u1ebfu c\u1ea7n \u0111\u1ed5i "
               "l\u1ecbch, h\u00e3y g\u1ecdi 028 3822 1234.")
ZH_REMINDER = ("\u60a8\u597d\uff0c\u60a8\u9884\u7ea6\u7684\u7259\u79d1\u95e8\u8bca"
               "\u65f6\u95f4\u4e3a5\u670814\u65e5\uff08\u661f\u671f\u4e8c\uff09"
               "\u4e0b\u53483\u70b945\u5206\u3002\u8bf7\u63d0\u524d10\u5206\u949f"
               "\u5230\u8fbe\uff0c\u5e76\u643a\u5e26\u533b\u4fdd\u5361\u3002\u5982"
               "\u9700\u6539\u671f\uff0c\u8bf7\u81f4\u7535020-7946-0018\u3002"
               "\u56de\u590dC\u786e\u8ba4\u3002")
EMOJI = "\U0001F600"
FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"
FLAG_FR = "\U0001F1EB\U0001F1F7"
EURO = "\u20ac"


def build_cases():
    # ---- empty and whitespace ------------------------------------------
    add("empty", "", hand=dict(encoding="GSM-7", characters=0, units=0, segments=0,
                               per_segment=160, remaining=160, within_limit=True,
                               parts=[]))
    add("empty_max_parts_1", "", max_parts=1)
    add("empty_smart", "", smart=True)
    add("single_space", " ")
    add("spaces_only_10", " " * 10)
    add("spaces_only_160_single", " " * 160)
    add("spaces_only_161_concatenated", " " * 161)
    add("newline_only", "\n")
    add("carriage_return_only", "\r")
    add("crlf_only", "\r\n", hand=dict(encoding="GSM-7", characters=2, units=2,
                                       segments=1, remaining=158))
    add("newlines_only_161_concatenated", "\n" * 161)
    add("mixed_whitespace_lines", "  \n \r\n  ")

    # ---- rejected control characters (valid UTF-8) -----------------------
    add("nul_byte_rejected", "a\u0000ab", hand=dict(error=INVALID))
    err("nul_in_middle_rejected", "Hello\u0000World")
    err("nul_only_rejected", "\u0000")
    err("nul_at_start_rejected", "\u0000abc")
    err("nul_at_end_rejected", "abc\u0000")
    err("tab_0x09_rejected", "a\tb")
    err("esc_0x1b_rejected", "a\u001bb")
    err("esc_before_euro_rejected", "\u001b\u20ac")
    err("del_0x7f_rejected", "a\u007fb")
    err("nel_u0085_rejected", "a\u0085b")
    err("c1_u0080_rejected", "a\u0080b")
    err("c1_u009f_rejected", "a\u009fb")
    err("soh_0x01_rejected", "\u0001")
    err("us_0x1f_rejected", "a\u001f")
    err("bell_0x07_rejected", "ding\u0007")
    err("backspace_0x08_rejected", "ab\u0008c")
    err("vertical_tab_0x0b_rejected", "a\u000bb")
    err("form_feed_0x0c_rejected_although_in_gsm_extension", "a\u000cb")
    err("tab_rejected_with_smart", "a\tb", smart=True)
    err("control_in_long_gsm_text_rejected", "a" * 300 + "\u0001" + "b" * 10)
    err("control_in_ucs2_text_rejected", "\u0436\u0436\u0007\u0436")
    err("control_after_emoji_rejected", EMOJI + "\u0002")
    add("u00a0_first_after_c1_is_accepted", "a\u00a0b")
    add("u007e_tilde_before_del_is_accepted", "a~b")

    # ---- invalid UTF-8 (raw bytes) ---------------------------------------
    err("invalid_utf8_lone_continuation_80", hexstr="80")
    err("invalid_utf8_lone_continuation_bf", hexstr="bf")
    err("invalid_utf8_lone_continuation_in_text", hexstr="618062")
    err("invalid_utf8_truncated_2byte", hexstr="c3")
    err("invalid_utf8_truncated_2byte_followed_by_ascii", hexstr="c341")
    err("invalid_utf8_truncated_3byte_one_byte", hexstr="e2")
    err("invalid_utf8_truncated_3byte_two_bytes", hexstr="e282")
    err("invalid_utf8_truncated_3byte_in_text", hexstr="61e28262")
    err("invalid_utf8_truncated_4byte_one_byte", hexstr="f0")
    err("invalid_utf8_truncated_4byte_two_bytes", hexstr="f09f")
    err("invalid_utf8_truncated_4byte_three_bytes", hexstr="f09f98")
    err("invalid_utf8_truncated_4byte_at_end_of_text", hexstr="48656c6c6ff09f98")
    err("invalid_utf8_overlong_2byte_slash_c0af", hexstr="c0af")
    err("invalid_utf8_overlong_2byte_c1bf", hexstr="c1bf")
    err("invalid_utf8_overlong_nul_c080", hexstr="c080")
    err("invalid_utf8_overlong_3byte_slash_e080af", hexstr="e080af")
    err("invalid_utf8_overlong_3byte_e09fbf", hexstr="e09fbf")
    err("invalid_utf8_overlong_4byte_euro_f08282ac", hexstr="f08282ac")
    err("invalid_utf8_overlong_4byte_f08fbfbf", hexstr="f08fbfbf")
    err("invalid_utf8_surrogate_d800_eda080", hexstr="eda080")
    err("invalid_utf8_surrogate_dfff_edbfbf", hexstr="edbfbf")
    err("invalid_utf8_cesu8_surrogate_pair", hexstr="eda0bdedb880")
    err("invalid_utf8_above_10ffff_f4908080", hexstr="f4908080")
    err("invalid_utf8_lead_f5", hexstr="f5808080")
    err("invalid_utf8_5byte_sequence_f8", hexstr="f888808080")
    err("invalid_utf8_byte_ff", hexstr="ff")
    err("invalid_utf8_byte_fe", hexstr="fe")
    err("invalid_utf8_ff_in_text", hexstr="48ff49")
    err("invalid_utf8_bad_continuation_c3_28", hexstr="c328")
    err("invalid_utf8_3byte_bad_second_continuation", hexstr="e282e2")
    err("invalid_utf8_latin1_e9_byte", hexstr="636166e9")
    err("invalid_utf8_after_160_valid_chars", hexstr="61" * 160 + "ff")
    err("invalid_utf8_with_smart", hexstr="e2809cc0af", smart=True)
    add("valid_utf8_u_d7ff_before_surrogates", "\ud7ff")
    add("valid_utf8_u_e000_after_surrogates", "\ue000")
    add("valid_utf8_u_10ffff_max_code_point", "\U0010ffff",
        hand=dict(encoding="UCS-2", characters=1, units=2, segments=1,
                  per_segment=70, remaining=68))
    add("valid_utf8_u_10000_first_supplementary", "\U00010000")
    add("valid_utf8_u_0800_first_3byte", "\u0800")

    # ---- GSM-7 lengths -----------------------------------------------------
    hand_gsm = {
        160: dict(encoding="GSM-7", characters=160, units=160, segments=1,
                  per_segment=160, remaining=0, within_limit=True),
        161: dict(encoding="GSM-7", characters=161, units=161, segments=2,
                  per_segment=153, remaining=145, part_units=[153, 8]),
        306: dict(segments=2, per_segment=153, remaining=0),
        307: dict(segments=3, per_segment=153, remaining=152,
                  part_units=[153, 153, 1]),
        765: dict(segments=5, remaining=0, within_limit=True),
        766: dict(segments=6, remaining=152, within_limit=False),
    }
    for n in (1, 2, 70, 71, 152, 153, 154, 159, 160, 161, 305, 306, 307, 458,
              459, 460, 611, 612, 613, 764, 765, 766, 767, 918, 919):
        add("gsm7_a_x%d" % n, "a" * n, hand=hand_gsm.get(n))
    for n in (159, 160, 161, 306, 307, 459, 460, 765, 766):
        add("gsm7_sentence_len_%d" % n, cycle(EN_PATTERN, n))
    add("gsm7_a_x1000_many_segments", "a" * 1000,
        hand=dict(characters=1000, units=1000, segments=7, per_segment=153,
                  remaining=71, within_limit=False))
    add("gsm7_sentence_len_1200", cycle(EN_PATTERN, 1200))
    add("gsm7_x2000_max_parts_1", "x" * 2000, max_parts=1)

    # max_parts boundaries (GSM-7)
    add("gsm7_160_max_parts_1_within", "a" * 160, max_parts=1)
    add("gsm7_161_max_parts_1_exceeds", "a" * 161, max_parts=1,
        hand=dict(segments=2, within_limit=False))
    add("gsm7_306_max_parts_2_within", "a" * 306, max_parts=2)
    add("gsm7_307_max_parts_2_exceeds", "a" * 307, max_parts=2)
    add("gsm7_459_max_parts_3_within", "a" * 459, max_parts=3,
        hand=dict(segments=3, remaining=0, within_limit=True))
    add("gsm7_460_max_parts_3_exceeds", "a" * 460, max_parts=3,
        hand=dict(segments=4, remaining=152, within_limit=False))
    add("gsm7_612_max_parts_4_within", "a" * 612, max_parts=4)
    add("gsm7_613_max_parts_4_exceeds", "a" * 613, max_parts=4)
    for mp in (1, 2, 3, 4, 5):
        add("gsm7_400_chars_three_segments_max_parts_%d" % mp, cycle(EN_PATTERN, 400),
            max_parts=mp)

    # ---- UCS-2 lengths -----------------------------------------------------
    hand_ucs = {
        70: dict(encoding="UCS-2", characters=70, units=70, segments=1,
                 per_segment=70, remaining=0),
        71: dict(encoding="UCS-2", segments=2, per_segment=67, remaining=63,
                 part_units=[67, 4]),
        134: dict(segments=2, remaining=0),
        135: dict(segments=3, remaining=66),
        336: dict(segments=6, remaining=66, within_limit=False),
    }
    zh = "\u0436"  # Cyrillic small zhe
    for n in (1, 69, 70, 71, 133, 134, 135, 200, 201, 202, 268, 269, 270, 335,
              336, 337):
        add("ucs2_zhe_x%d" % n, zh * n, hand=hand_ucs.get(n))
    for n in (69, 70, 71, 134, 135, 201, 202, 335, 336):
        add("ucs2_russian_sentence_len_%d" % n, cycle(RU_PATTERN, n))
    add("ucs2_zhe_x1000_many_segments", zh * 1000)
    add("ucs2_chinese_len_1100", cycle(ZH_PATTERN, 1100))
    add("ucs2_70_max_parts_1_within", zh * 70, max_parts=1)
    add("ucs2_71_max_parts_1_exceeds", zh * 71, max_parts=1)
    add("ucs2_134_max_parts_2_within", zh * 134, max_parts=2)
    add("ucs2_135_max_parts_2_exceeds", zh * 135, max_parts=2)
    add("ucs2_201_max_parts_3_within", zh * 201, max_parts=3)
    add("ucs2_202_max_parts_3_exceeds", zh * 202, max_parts=3)
    add("ucs2_268_max_parts_4_within", zh * 268, max_parts=4)
    add("ucs2_269_max_parts_4_exceeds", zh * 269, max_parts=4)
    add("ucs2_335_max_parts_5_within", zh * 335, max_parts=5)
    for mp in (1, 2, 3, 4, 5):
        add("ucs2_150_chars_three_segments_max_parts_%d" % mp, cycle(RU_PATTERN, 150),
            max_parts=mp)
    # one non-GSM character turns an ASCII text into UCS-2
    add("ucs2_69_ascii_plus_c_cedilla_70_single", "a" * 69 + "\u00e7")
    add("ucs2_70_ascii_plus_c_cedilla_71_concatenated", "a" * 70 + "\u00e7")

    # ---- extension characters at boundaries ---------------------------------
    add("ext_158a_euro_160_units_single", "a" * 158 + EURO,
        hand=dict(encoding="GSM-7", characters=159, units=160, segments=1,
                  per_segment=160, remaining=0))
    add("ext_159a_euro_161_units_concatenated", "a" * 159 + EURO,
        hand=dict(encoding="GSM-7", characters=160, units=161, segments=2,
                  per_segment=153, remaining=145, part_units=[153, 8]))
    add("ext_euro_first_then_158a_single", EURO + "a" * 158)
    add("ext_euro_first_then_159a_concatenated", EURO + "a" * 159)
    add("ext_152a_euro_straddles_153", "a" * 152 + EURO + "b" * 10,
        hand=dict(characters=163, units=164, segments=2, per_segment=153,
                  remaining=141, part_units=[152, 12]))
    add("ext_151a_euro_fills_153_exactly", "a" * 151 + EURO + "b" * 10,
        hand=dict(segments=2, part_units=[153, 10], remaining=143))
    add("ext_153a_euro_starts_second_part", "a" * 153 + EURO + "b")
    add("ext_euro_straddles_second_boundary_306", "a" * 305 + EURO + "b" * 5)
    add("ext_brace_straddles_153", "a" * 152 + "{" + "b" * 20)
    add("ext_backslash_straddles_153", "a" * 152 + "\\" + "c" * 20)
    add("ext_only_euro_x77_single", EURO * 77)
    add("ext_only_euro_x80_single", EURO * 80,
        hand=dict(characters=80, units=160, segments=1, remaining=0))
    add("ext_only_euro_x81_concatenated", EURO * 81,
        hand=dict(characters=81, units=162, segments=2, per_segment=153,
                  part_units=[152, 10], remaining=143))
    add("ext_only_euro_x153", EURO * 153,
        hand=dict(units=306, segments=3, part_units=[152, 152, 2], remaining=151))
    add("ext_only_euro_x600_many_segments", EURO * 600)
    add("ext_only_caret_x80_single", "^" * 80)
    add("ext_only_caret_x81_concatenated", "^" * 81)
    add("ext_only_pipe_x153", "|" * 153)
    add("ext_only_mixed_all_nine_repeated_to_81", cycle(GSM_EXTENSION_CHARS, 81))
    add("ext_a_then_ext_alternating_200", cycle("a" + EURO, 200))
    for ch in GSM_EXTENSION_CHARS:
        add("ext_char_" + slug(ord(ch)), ch)
    add("ext_all_nine_chars", GSM_EXTENSION_CHARS,
        hand=dict(encoding="GSM-7", characters=9, units=18, remaining=142))
    add("ext_chars_in_sentence", "Use {name} or [id] ~ a|b \\ c^2 costs 5\u20ac")
    add("ext_euro_and_ucs2_char_costs_1_unit", EURO + "\u00e7")

    # ---- emoji / supplementary plane ---------------------------------------
    add("emoji_single", EMOJI,
        hand=dict(encoding="UCS-2", characters=1, units=2, segments=1,
                  per_segment=70, remaining=68))
    add("emoji_68a_plus_emoji_70_units_single", "a" * 68 + EMOJI)
    add("emoji_69a_plus_emoji_71_units_concatenated", "a" * 69 + EMOJI,
        hand=dict(characters=70, units=71, segments=2, per_segment=67,
                  part_units=[67, 4], remaining=63))
    add("emoji_66a_emoji_straddles_67", "a" * 66 + EMOJI + "b" * 10,
        hand=dict(characters=77, units=78, segments=2, per_segment=67,
                  part_units=[66, 12], remaining=55))
    add("emoji_65a_emoji_fills_67_exactly", "a" * 65 + EMOJI + "b" * 10)
    add("emoji_straddles_second_boundary_134", zh * 133 + EMOJI + zh * 3)
    add("emoji_68zhe_plus_emoji_single", zh * 68 + EMOJI)
    add("emoji_69zhe_plus_emoji_concatenated", zh * 69 + EMOJI)
    add("emoji_only_x35_single", EMOJI * 35)
    add("emoji_only_x36_concatenated", EMOJI * 36)
    add("emoji_only_x100", EMOJI * 100)
    add("emoji_only_x600_many_segments", EMOJI * 600)
    add("emoji_mixed_with_text", "Happy birthday! " + EMOJI + "\U0001F382\U0001F389")
    add("emoji_zwj_family", FAMILY,
        hand=dict(encoding="UCS-2", characters=7, units=11, segments=1,
                  remaining=59))
    add("emoji_zwj_family_x7_concatenated", FAMILY * 7)
    add("emoji_zwj_family_smart_keeps_original", FAMILY, smart=True)
    add("emoji_flag_two_regional_indicators", FLAG_FR,
        hand=dict(characters=2, units=4, remaining=66))
    add("emoji_flags_in_text", "Bon voyage " + FLAG_FR + " \U0001F1EE\U0001F1F9")
    add("emoji_skin_tone_modifier", "\U0001F44D\U0001F3FD")
    add("emoji_keycap_sequence", "1\ufe0f\u20e3")
    add("emoji_heart_with_variation_selector", "\u2764\ufe0f")
    add("supplementary_cjk_ext_b", "\U00020000\U00020001")
    add("supplementary_math_bold", "\U0001D400\U0001D401\U0001D402")
    add("combining_acute_e_u0301_two_characters", "e\u0301",
        hand=dict(encoding="UCS-2", characters=2, units=2, remaining=68))
    add("precomposed_e_acute_is_gsm", "\u00e9",
        hand=dict(encoding="GSM-7", characters=1, units=1, remaining=159))
    add("combining_marks_in_word", "Cafe\u0301 re\u0301sume\u0301")

    # ---- c-cedilla -------------------------------------------------------
    add("c_cedilla_small_is_ucs2", "\u00e7",
        hand=dict(encoding="UCS-2", characters=1, units=1, remaining=69))
    add("c_cedilla_capital_is_gsm", "\u00c7",
        hand=dict(encoding="GSM-7", characters=1, units=1, remaining=159))
    add("c_cedilla_small_in_word_ucs2", "\u00e7a va")
    add("c_cedilla_capital_in_word_gsm", "\u00c7a va")
    add("c_cedilla_small_len_71_ucs2_concatenated", "a" * 70 + "\u00e7")
    add("c_cedilla_capital_len_71_gsm_single", "a" * 70 + "\u00c7")
    add("c_cedilla_small_len_161_ucs2_three_segments", "a" * 160 + "\u00e7")
    add("c_cedilla_capital_len_161_gsm_two_segments", "a" * 160 + "\u00c7")
    add("c_cedilla_small_with_smart_stays_ucs2", "\u00e7a", smart=True)

    # ---- GSM basic table coverage ----------------------------------------
    all_basic = "".join(c for c in GSM_BASIC_TABLE if c is not None)
    add("gsm_basic_whole_alphabet", all_basic,
        hand=dict(encoding="GSM-7", characters=127, units=127, segments=1,
                  remaining=33))
    add("gsm_basic_whole_alphabet_twice_concatenated", all_basic * 2)
    add("gsm_basic_and_extension_all", all_basic + GSM_EXTENSION_CHARS)
    for c in GSM_BASIC_TABLE:
        if c is not None and ord(c) > 0x7E:
            add("gsm_basic_char_" + slug(ord(c)), c)
    ascii_printable = "".join(chr(cp) for cp in range(0x20, 0x7F))
    add("ascii_printable_all_with_backtick_ucs2", ascii_printable)
    add("ascii_printable_all_without_backtick_gsm", ascii_printable.replace("`", ""),
        hand=dict(encoding="GSM-7", characters=94, units=102, segments=1,
                  remaining=58))
    add("backtick_is_ucs2", "`")
    add("backtick_in_sentence_ucs2", "run `make test` now")
    add("backtick_with_smart_stays_ucs2", "it`s", smart=True)
    add("currency_dollar_pound_yen_currency_sign", "$1 \u00a32 \u00a53 \u00a44")
    add("section_and_inverted_marks", "\u00a7 1 \u00a1Hola! \u00bfQue?")

    # ---- non-GSM look-alikes ------------------------------------------------
    lookalikes = [0x00C0, 0x00C1, 0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00EA, 0x00C8,
                  0x00CC, 0x00D2, 0x00D9, 0x00A2, 0x00B0, 0x00A9, 0x00AE, 0x2122,
                  0x00B5, 0x0391, 0x03B1, 0x03C9, 0x2126, 0x2206, 0x00A8, 0x00B4,
                  0x0152]
    for cp in lookalikes:
        add("non_gsm_" + slug(cp), chr(cp))
    add("greek_capitals_all_ten_gsm",
        "\u0394\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e")
    add("greek_word_mixed_case_ucs2",
        "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u039a\u03cc\u03c3\u03bc\u03b5")
    add("greek_capitals_word_with_alpha_rho_tau_eta_ucs2", "\u03a3\u03a0\u0391\u03a1\u03a4\u0397")

    # ---- other scripts -----------------------------------------------------
    add("script_cyrillic", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!")
    add("script_chinese", "\u4f60\u597d\uff0c\u4e16\u754c")
    add("script_arabic", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645")
    add("script_hebrew", "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd")
    add("script_hindi", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e")
    add("script_thai", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e0a\u0e32\u0e27\u0e42\u0e25\u0e01")
    add("script_japanese", "\u3053\u3093\u306b\u3061\u306f\u4e16\u754c")
    add("script_korean", "\uc548\ub155\ud558\uc138\uc694")
    add("script_vietnamese_short", "Ti\u1ebfng Vi\u1ec7t")

    # ---- CR / LF -------------------------------------------------------------
    add("lf_counts_one", "a\nb", hand=dict(characters=3, units=3, remaining=157))
    add("cr_counts_one", "a\rb")
    add("crlf_counts_two", "a\r\nb", hand=dict(characters=4, units=4, remaining=156))
    add("lf_at_position_160_single", "a" * 159 + "\n")
    add("crlf_makes_161_concatenated", "a" * 159 + "\r\n")
    add("crlf_split_across_parts", "a" * 152 + "\r\n" + "b" * 10,
        hand=dict(segments=2, part_units=[153, 11], remaining=142))
    add("lf_in_ucs2_text", "\u0436\n\u0436\r\n\u0436")
    add("multiline_gsm_message", "Line one\nLine two\r\nLine three\n")

    # ---- smart encoding -----------------------------------------------------
    for cp in SMART_CODEPOINTS:
        t = "a" + chr(cp) + "b"
        add("smart_on_" + slug(cp), t, smart=True)
        add("smart_off_" + slug(cp), t, smart=False)
    add("smart_on_all_replacements_together",
        "".join(chr(cp) for cp in SMART_CODEPOINTS) + "x", smart=True)
    add("smart_off_all_replacements_together",
        "".join(chr(cp) for cp in SMART_CODEPOINTS) + "x", smart=False)
    add("smart_on_ellipsis_157a_becomes_160_single", "a" * 157 + "\u2026", smart=True,
        hand=dict(encoding="GSM-7", characters=160, units=160, segments=1,
                  per_segment=160, remaining=0, message="a" * 157 + "..."))
    add("smart_off_ellipsis_157a_ucs2_three_segments", "a" * 157 + "\u2026",
        hand=dict(encoding="UCS-2", characters=158, units=158, segments=3,
                  per_segment=67, remaining=43, part_units=[67, 67, 24]))
    add("smart_on_ellipsis_158a_crosses_160", "a" * 158 + "\u2026", smart=True,
        hand=dict(encoding="GSM-7", characters=161, units=161, segments=2,
                  remaining=145))
    add("smart_on_ellipsis_x53_single", "\u2026" * 53, smart=True)
    add("smart_on_ellipsis_x54_concatenated", "\u2026" * 54, smart=True)
    add("smart_on_en_dash_159a_single", "a" * 159 + "\u2013", smart=True)
    add("smart_off_en_dash_159a_ucs2", "a" * 159 + "\u2013")
    add("smart_on_zero_width_space_160a_single", "a" * 160 + "\u200b", smart=True)
    add("smart_off_zero_width_space_160a_ucs2", "a" * 160 + "\u200b")
    add("smart_on_curly_quotes_with_emoji_keeps_original",
        "\u201cHi\u201d " + EMOJI, smart=True,
        hand=dict(encoding="UCS-2", characters=6, units=7, segments=1,
                  remaining=63, message="\u201cHi\u201d " + EMOJI))
    add("smart_on_curly_quotes_with_c_cedilla_keeps_original",
        "\u2018\u00e7a\u2019", smart=True)
    add("smart_on_dash_with_greek_small_alpha_keeps_original",
        "\u03b1 \u2013 \u03b2", smart=True)
    add("smart_on_chinese_with_ideographic_space_keeps_original",
        "\u4f60\u597d\u3000\u4e16\u754c", smart=True)
    add("smart_on_ideographic_space_alone_becomes_gsm", "a\u3000b", smart=True)
    add("smart_on_nbsp", "10\u00a0kg", smart=True)
    add("smart_off_nbsp", "10\u00a0kg")
    add("smart_on_soft_hyphen_deleted", "co\u00adoperate", smart=True)
    add("smart_on_bom_at_start_deleted", "\ufeffHello", smart=True)
    add("smart_off_bom_at_start_kept_ucs2", "\ufeffHello")
    add("smart_on_zwj_zwnj_word_joiner_deleted", "a\u200cb\u200dc\u2060d", smart=True)
    add("smart_on_only_zero_width_chars_becomes_empty",
        "\u200b\u200c\u200d\u2060\ufeff\u00ad", smart=True,
        hand=dict(encoding="GSM-7", characters=0, units=0, segments=0,
                  per_segment=160, remaining=160, message="", parts=[]))
    add("smart_off_only_zero_width_chars_ucs2",
        "\u200b\u200c\u200d\u2060\ufeff\u00ad")
    add("smart_on_guillemets", "\u00abBonjour\u00bb", smart=True)
    add("smart_on_primes", "5\u2032 11\u2033", smart=True)
    add("smart_on_minus_sign", "\u22125 today", smart=True)
    add("smart_on_quotes_with_euro_extension", "\u201c\u20ac5\u201d", smart=True)
    add("smart_on_plain_gsm_unchanged", "Plain GSM text {ok}", smart=True)
    add("smart_on_plain_gsm_161_unchanged", cycle(EN_PATTERN, 161), smart=True)
    add("smart_on_pure_ucs2_unchanged", "\u041f\u0440\u0438\u0432\u0435\u0442", smart=True)
    add("smart_on_bullet_not_replaced_keeps_original", "\u2022 item \u2013 one", smart=True)
    add("smart_on_single_angle_quote_not_replaced", "\u2039a\u203a \u2019", smart=True)
    add("smart_on_modifier_apostrophe_not_replaced", "it\u02bcs \u201cok\u201d", smart=True)
    add("smart_on_em_dash_realistic",
        "Don\u2019t forget \u2014 your table for 4 at \u201cLuigi\u2019s\u201d "
        "is booked for 8pm\u2026 See you!", smart=True)
    add("smart_off_em_dash_realistic",
        "Don\u2019t forget \u2014 your table for 4 at \u201cLuigi\u2019s\u201d "
        "is booked for 8pm\u2026 See you!")
    long_smart = ("We\u2019re open 9\u201317h \u2014 \u201cwalk-ins\u201d welcome\u2026 ") * 12
    add("smart_on_long_reduces_segments", long_smart, smart=True)
    add("smart_off_long_ucs2", long_smart)
    add("smart_on_long_reduces_segments_max_parts_2", long_smart, smart=True,
        max_parts=2)
    add("smart_on_three_ucs2_segments_to_single", "\u2018" + "a" * 100 + "\u2019",
        smart=True, max_parts=1)
    add("smart_off_three_ucs2_segments_max_parts_1", "\u2018" + "a" * 100 + "\u2019",
        max_parts=1)

    # ---- realistic messages --------------------------------------------------
    add("real_en_reminder_short", EN_REMINDER_SHORT)
    add("real_en_reminder_full", EN_REMINDER)
    add("real_en_reminder_with_followup", EN_REMINDER + EN_FOLLOWUP)
    add("real_en_reminder_with_followup_max_parts_1", EN_REMINDER + EN_FOLLOWUP,
        max_parts=1)
    add("real_en_reminder_x5_long", (EN_REMINDER + " ") * 5)
    add("real_en_reminder_with_emoji", EN_REMINDER + " " + EMOJI)
    add("real_en_reminder_curly_apostrophe_smart",
        EN_REMINDER.replace("Questions?", "We\u2019re happy to help\u2026"),
        smart=True)
    add("real_en_reminder_curly_apostrophe_no_smart",
        EN_REMINDER.replace("Questions?", "We\u2019re happy to help\u2026"))
    add("real_euro_order", EURO_ORDER)
    add("real_euro_order_twice", EURO_ORDER + " " + EURO_ORDER)
    add("real_euro_prices_menu", EURO_PRICES)
    add("real_euro_prices_menu_x4", EURO_PRICES * 4)
    add("real_vietnamese_reminder", VI_REMINDER)
    add("real_vietnamese_reminder_x3", (VI_REMINDER + " ") * 3)
    add("real_vietnamese_reminder_x3_max_parts_3", (VI_REMINDER + " ") * 3,
        max_parts=3)
    add("real_vietnamese_smart_has_no_effect", VI_REMINDER, smart=True)
    add("real_chinese_reminder", ZH_REMINDER)
    add("real_chinese_first_70", cycle(ZH_REMINDER, 70))
    add("real_chinese_first_71", cycle(ZH_REMINDER, 71))
    add("real_chinese_reminder_x3", ZH_REMINDER * 3)
    add("real_german_umlauts_gsm", "Gr\u00fc\u00dfe aus M\u00fcnchen! \u00d6ffnungszeiten "
        "Mo-Fr, Stra\u00dfe 5, \u00c4rztehaus.")
    add("real_german_with_en_dash_smart", "\u00d6ffnungszeiten 9\u201317 Uhr", smart=True)
    add("real_french_capital_a_grave_ucs2", "Votre rendez-vous est confirm\u00e9. "
        "\u00c0 bient\u00f4t !")
    add("real_spanish_gsm", "\u00bfConfirmas tu cita? \u00a1Gracias! Se\u00f1or Mu\u00f1oz")
    add("real_spanish_o_acute_ucs2", "Direcci\u00f3n: Calle Mayor 5")
    add("real_english_long_1500", cycle(EN_REMINDER + " " + EN_FOLLOWUP + " ", 1500))
    add("real_mixed_ucs2_long_1200", cycle(VI_REMINDER + " " + ZH_REMINDER + " ", 1200))


# ---------------------------------------------------------------------------
# Hand-checked expectations
# ---------------------------------------------------------------------------

def check_hand():
    by_name = {c["name"]: c for c in CASES}
    for name, hand in HAND.items():
        case = by_name[name]
        if "error" in hand:
            assert case.get("expect_error") == hand["error"], name
            continue
        exp = case["expect"]
        for key, want in hand.items():
            got = exp["_part_units"] if key == "part_units" else exp[key]
            assert got == want, "%s: %s hand=%r reference=%r" % (name, key, want, got)
    assert len(HAND) >= 25, len(HAND)


def main():
    build_cases()
    check_hand()
    assert len(CASES) >= 230, len(CASES)
    for c in CASES:
        if "expect" in c:
            del c["expect"]["_part_units"]
    doc = {
        "version": 1,
        "description": ("SMS text analysis vectors for mod_sms: UTF-8 validation, "
                        "smart encoding, GSM-7/UCS-2 detection, character/unit "
                        "counting and greedy segment splitting. Generated by "
                        "t/data/gen_text_vectors.py; do not edit by hand."),
        "cases": CASES,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "text_vectors.json")
    data = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write(data)
    n_err = sum(1 for c in CASES if "expect_error" in c)
    sys.stdout.write("wrote %s: %d cases (%d errors, %d hand-checked)\n"
                     % (out, len(CASES), n_err, len(HAND)))


if __name__ == "__main__":
    main()
