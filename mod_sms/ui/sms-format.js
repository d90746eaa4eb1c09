// sms-format.js - how people read numbers, times and statuses.

/** Status words as the API.md §6 contract spells them. */
export const STATUS_WORDS = {
    scheduled: 'Scheduled', queued: 'Queued', sending: 'Sending', sent: 'Sent',
    delivered: 'Delivered', expired: 'Expired', failed: 'Failed',
    unknown: 'Unknown', cancelled: 'Cancelled',
};

export const FINAL_STATUSES = new Set(['delivered', 'expired', 'failed',
                                       'unknown', 'cancelled']);

/** What a reply means (API.md §7), as the conversation's bubbles and the
 *  history say it. */
export const INTENT_WORDS = { confirm: 'Confirms', cancel: 'Cancels', unclear: 'Unclear reply' };

export function statusWord(status) {
    return STATUS_WORDS[status] || (status ? String(status) : '');
}

/**
 * A number as people write it: Australian numbers in national form
 * ("0412 345 678", "(02) 9876 5432"), others as "+<digits>".
 * The API gives international digits without "+".
 */
export function formatPhone(digits) {
    const d = String(digits || '');
    if (/^614\d{8}$/.test(d)) {
        const n = '0' + d.slice(2);
        return `${n.slice(0, 4)} ${n.slice(4, 7)} ${n.slice(7)}`;
    }
    if (/^61[2378]\d{8}$/.test(d)) {
        const n = '0' + d.slice(2);
        return `(${n.slice(0, 2)}) ${n.slice(2, 6)} ${n.slice(6)}`;
    }
    if (/^61(1300|1800)\d{6}$/.test(d)) {
        return `${d.slice(2, 6)} ${d.slice(6, 9)} ${d.slice(9)}`;
    }
    return /^\d+$/.test(d) ? '+' + d : d;
}

const timeFmt = new Intl.DateTimeFormat(undefined, {
    day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
});

/** An API time (ISO-8601 UTC) in the reader's time zone. */
export function formatTime(iso) {
    if (!iso) {
        return '';
    }
    const t = new Date(iso);
    return Number.isNaN(t.getTime()) ? String(iso) : timeFmt.format(t);
}

/** Why a number cannot take an SMS, from the phone object's "type". */
export function notCapableReason(phone) {
    const kind = {
        fixed_line: 'landline', toll_free: 'toll-free number',
        premium_rate: 'premium-rate number', shared_cost: 'shared-cost number',
        voip: 'VoIP number', uan: 'business number', voicemail: 'voicemail',
        pager: 'pager', personal: 'personal number', unknown: 'unknown type',
    }[phone.type] || 'number type';
    return `cannot take SMS: ${kind}`;
}

/** Create an element: h('p', {class: 'x'}, 'text', child...). */
export function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
        if (v === false || v === null || v === undefined) {
            continue;
        }
        if (k.startsWith('on') && typeof v === 'function') {
            el.addEventListener(k.slice(2), v);
        }
        else if (k === 'text') {
            el.textContent = v;
        }
        else {
            el.setAttribute(k, v === true ? '' : v);
        }
    }
    for (const c of children.flat()) {
        if (c !== null && c !== undefined && c !== false) {
            el.append(c instanceof Node ? c : String(c));
        }
    }
    return el;
}

let uid = 0;
/** A document-unique id for label/control pairs. */
export function nextId(prefix) {
    uid += 1;
    return `${prefix}-${uid}`;
}
