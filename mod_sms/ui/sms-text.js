// sms-text.js - the text engine in the browser: a port of mod_sms's C engine
// (sms_text.c). Validation, smart encoding, GSM-7 / UCS-2 choice, unit
// counting and greedy segment splitting, so the counter costs no request.
// The server stays the authority; both pass t/data/text_vectors.json.

export const GSM7_SINGLE = 160;
export const GSM7_CONCAT = 153;
export const UCS2_SINGLE = 70;
export const UCS2_CONCAT = 67;

// Non-ASCII characters of the GSM 03.38 default alphabet.
const GSM_BASIC_HIGH = new Set([
    0x00A1, 0x00A3, 0x00A4, 0x00A5, 0x00A7, 0x00BF, 0x00C4, 0x00C5,
    0x00C6, 0x00C7, 0x00C9, 0x00D1, 0x00D6, 0x00D8, 0x00DC, 0x00DF,
    0x00E0, 0x00E4, 0x00E5, 0x00E6, 0x00E8, 0x00E9, 0x00EC, 0x00F1,
    0x00F2, 0x00F6, 0x00F8, 0x00F9, 0x00FC, 0x0393, 0x0394, 0x0398,
    0x039B, 0x039E, 0x03A0, 0x03A3, 0x03A6, 0x03A8, 0x03A9,
]);

// Look-alikes replaced by SMSSmartEncoding; "" deletes the character.
const SMART_MAP = new Map([
    [0x00A0, ' '], [0x00AB, '"'], [0x00AD, ''], [0x00BB, '"'],
    [0x2000, ' '], [0x2001, ' '], [0x2002, ' '], [0x2003, ' '],
    [0x2004, ' '], [0x2005, ' '], [0x2006, ' '], [0x2007, ' '],
    [0x2008, ' '], [0x2009, ' '], [0x200A, ' '], [0x200B, ''],
    [0x200C, ''], [0x200D, ''], [0x2010, '-'], [0x2011, '-'],
    [0x2012, '-'], [0x2013, '-'], [0x2014, '-'], [0x2015, '-'],
    [0x2018, "'"], [0x2019, "'"], [0x201A, "'"], [0x201B, "'"],
    [0x201C, '"'], [0x201D, '"'], [0x201E, '"'], [0x201F, '"'],
    [0x2026, '...'], [0x202F, ' '], [0x2032, "'"], [0x2033, '"'],
    [0x205F, ' '], [0x2060, ''], [0x2212, '-'], [0x3000, ' '],
    [0xFEFF, ''],
]);

/** Septets a code point costs in GSM-7: 1 basic, 2 extension, 0 none. */
export function gsmCost(cp) {
    if (cp < 0x80) {
        if (cp === 0x0A || cp === 0x0D) {
            return 1;
        }
        if (cp < 0x20 || cp === 0x60 || cp === 0x7F) {
            return 0;
        }
        return '[\\]^{|}~'.includes(String.fromCharCode(cp)) ? 2 : 1;
    }
    if (cp === 0x20AC) {
        return 2;
    }
    return GSM_BASIC_HIGH.has(cp) ? 1 : 0;
}

function isControl(cp) {
    return (cp < 0x20 && cp !== 0x0A && cp !== 0x0D)
        || (cp >= 0x7F && cp <= 0x9F);
}

class TextError extends Error {
    constructor(why) {
        super(why);
        this.code = 'invalid_message';
    }
}

// Code points of UTF-8 bytes, strictly (no overlongs, surrogates or
// anything above U+10FFFF), as sms_text.c's utf8_next decodes them.
function decodeUtf8(bytes) {
    const cps = [];
    let i = 0;
    while (i < bytes.length) {
        const c = bytes[i];
        let n, cp, min;
        if (c < 0x80) {
            cps.push(c);
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1; cp = c & 0x1F; min = 0x80;
        }
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2; cp = c & 0x0F; min = 0x800;
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            n = 3; cp = c & 0x07; min = 0x10000;
        }
        else {
            throw new TextError(`text is not valid UTF-8 (byte ${i})`);
        }
        if (bytes.length - i <= n) {
            throw new TextError(`text is not valid UTF-8 (byte ${i})`);
        }
        for (let k = 1; k <= n; k++) {
            const cc = bytes[i + k];
            if ((cc & 0xC0) !== 0x80) {
                throw new TextError(`text is not valid UTF-8 (byte ${i})`);
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            throw new TextError(`text is not valid UTF-8 (byte ${i})`);
        }
        cps.push(cp);
        i += n + 1;
    }
    return cps;
}

// Code points of a JavaScript string; a lone surrogate has no UTF-8 form.
function stringCodePoints(s) {
    const cps = [];
    for (let i = 0; i < s.length; i++) {
        const cp = s.codePointAt(i);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            throw new TextError(`text holds a lone surrogate (index ${i})`);
        }
        if (cp > 0xFFFF) {
            i++;
        }
        cps.push(cp);
    }
    return cps;
}

// The smart replacements applied, or null when nothing would change or
// the result would still need UCS-2.
function smartEncode(cps) {
    const out = [];
    let changed = false;
    for (const cp of cps) {
        if (gsmCost(cp)) {
            out.push(cp);
            continue;
        }
        const m = SMART_MAP.get(cp);
        if (m === undefined) {
            return null;
        }
        for (const ch of m) {
            out.push(ch.codePointAt(0));
        }
        changed = true;
    }
    return changed ? out : null;
}

/**
 * Analyse a message as the server does (POST /preview/).
 * @param {string|Uint8Array} input the text, or its UTF-8 bytes
 * @param {{smart?: boolean, maxParts?: number}} [opts]
 * @returns {{encoding: string, characters: number, units: number,
 *   segments: number, per_segment: number, remaining: number,
 *   within_limit: boolean, max_parts: number, message: string,
 *   parts: string[], smart_applied: boolean}}
 * @throws {Error} with code "invalid_message" for text that cannot be sent
 */
export function analyse(input, opts = {}) {
    const smart = !!opts.smart;
    const maxParts = opts.maxParts ?? 5;
    let cps = typeof input === 'string' ? stringCodePoints(input)
                                        : decodeUtf8(input);
    cps.forEach((cp, k) => {
        if (isControl(cp)) {
            const hex = cp.toString(16).toUpperCase().padStart(4, '0');
            throw new TextError(`character ${k + 1} is the control character `
                                + `U+${hex}; only LF and CR are allowed`);
        }
    });
    let gsm = cps.every((cp) => gsmCost(cp) > 0);
    let smartApplied = false;
    if (smart && !gsm) {
        const enc = smartEncode(cps);
        if (enc) {
            cps = enc;
            gsm = true;
            smartApplied = true;
        }
    }
    const cost = gsm ? gsmCost : (cp) => (cp >= 0x10000 ? 2 : 1);
    const units = cps.reduce((n, cp) => n + cost(cp), 0);
    const single = gsm ? GSM7_SINGLE : UCS2_SINGLE;
    const perSegment = units <= single ? single : (gsm ? GSM7_CONCAT
                                                        : UCS2_CONCAT);
    const parts = [];
    let part = null;
    for (const cp of cps) {
        const c = cost(cp);
        if (!part || part.units + c > perSegment) {
            part = { cps: [], units: 0 };
            parts.push(part);
        }
        part.cps.push(cp);
        part.units += c;
    }
    return {
        encoding: gsm ? 'GSM-7' : 'UCS-2',
        characters: cps.length,
        units,
        segments: parts.length,
        per_segment: perSegment,
        remaining: perSegment - (part ? part.units : 0),
        max_parts: maxParts,
        within_limit: parts.length <= maxParts,
        message: String.fromCodePoint(...cps),
        parts: parts.map((pt) => String.fromCodePoint(...pt.cps)),
        smart_applied: smartApplied,
    };
}

/** How people name an encoding: "GSM-7" or "Unicode". */
export function encodingLabel(encoding) {
    return encoding === 'UCS-2' ? 'Unicode' : 'GSM-7';
}
