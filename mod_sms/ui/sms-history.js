// <sms-history>: sent messages, newest first, filtered by status, phone,
// patient and dates, a page at a time; beside each status, what the latest
// reply to the message means (Confirms, Cancels, Unclear reply); a row
// opens the message's status events and its latest reply (GET
// /messages/{id}/).
import { api } from './sms-api.js';
import { INTENT_WORDS, STATUS_WORDS, formatPhone, formatTime, statusWord, h, nextId }
    from './sms-format.js';

const PAGE = 20;

/** The local midnight that starts the day `days` after the date "YYYY-MM-DD". */
function localMidnight(date, days) {
    const [y, m, d] = date.split('-').map(Number);
    return new Date(y, m - 1, d + days);
}

const utc = (d) => d.toISOString().replace(/\.\d+Z$/, 'Z');

/** The latest reply's meaning ("Replied" for one with no intent: a
 *  keyword), or null when there is no reply. */
function replyWord(reply) {
    return reply ? INTENT_WORDS[reply.intent] || 'Replied' : null;
}

function replyBadge(reply) {
    const word = replyWord(reply);
    return word ? h('span', { class: `sms-intent sms-intent-${reply.intent || 'none'}`,
                             title: `Latest reply, ${formatTime(reply.received_at)}` }, word) : '';
}

export class SmsHistory extends HTMLElement {
    connectedCallback() {
        if (this.built) {
            return;
        }
        this.built = true;
        const ids = { st: nextId('sms-hst'), ph: nextId('sms-hph'), pt: nextId('sms-hpt'),
                      from: nextId('sms-hfrom'), to: nextId('sms-hto') };
        this.status = h('select', { id: ids.st, name: 'status' },
            h('option', { value: '' }, 'Any status'),
            Object.entries(STATUS_WORDS).map(([v, w]) => h('option', { value: v }, w)));
        this.phone = h('input', { id: ids.ph, name: 'phone', inputmode: 'tel' });
        this.patient = h('input', { id: ids.pt, name: 'patient_id' });
        this.since = h('input', { id: ids.from, name: 'since', type: 'date' });
        this.until = h('input', { id: ids.to, name: 'until', type: 'date' });
        this.alert = h('div', { role: 'alert', class: 'sms-alert', hidden: true });
        this.body = h('tbody', {});
        this.table = h('table', { 'aria-label': 'Messages', class: 'sms-table' },
            h('thead', {}, h('tr', {}, ['To', 'Patient', 'Message', 'Status', 'Sent']
                .map((c) => h('th', { scope: 'col' }, c)))),
            this.body);
        this.pageInfo = h('span', { class: 'sms-page-info', 'aria-live': 'polite' });
        this.firstButton = h('button', { type: 'button', class: 'sms-secondary',
                                         onclick: () => this.load(null) }, 'First page');
        this.nextButton = h('button', { type: 'button', class: 'sms-secondary',
                                        onclick: () => this.load(this.next) }, 'Next page');
        this.detail = h('section', { class: 'sms-detail', 'aria-label': 'Message details', hidden: true });
        const field = (id, text, el) => h('div', { class: 'sms-field' }, h('label', { for: id }, text), el);
        this.append(
            h('h1', {}, 'History'),
            h('form', { class: 'sms-filters', 'aria-label': 'Filter messages',
                        onsubmit: (e) => { e.preventDefault(); this.load(null); } },
              field(ids.st, 'Status', this.status), field(ids.ph, 'Phone number', this.phone),
              field(ids.pt, 'Patient id', this.patient), field(ids.from, 'From', this.since),
              field(ids.to, 'Until', this.until),
              h('button', { type: 'submit', class: 'sms-primary' }, 'Filter')),
            this.alert,
            h('div', { class: 'sms-table-wrap' }, this.table),
            h('div', { class: 'sms-actions' }, this.firstButton, this.nextButton, this.pageInfo),
            this.detail);
        this.status.addEventListener('change', () => this.load(null));
    }

    shown() {
        this.load(null);
    }

    query(cursor) {
        const q = new URLSearchParams({ limit: String(PAGE) });
        if (this.status.value) {
            q.set('status', this.status.value);
        }
        if (this.phone.value.trim()) {
            q.set('phone', this.phone.value.trim());
        }
        if (this.patient.value.trim()) {
            q.set('patient_id', this.patient.value.trim());
        }
        // days of the clinic's clock (the browser's time zone), not UTC days
        if (this.since.value) {
            q.set('since', utc(localMidnight(this.since.value, 0)));
        }
        if (this.until.value) {
            q.set('until', utc(localMidnight(this.until.value, 1)));
        }
        if (cursor) {
            q.set('cursor', cursor);
        }
        return q;
    }

    async load(cursor) {
        this.alert.hidden = true;
        try {
            const r = await api(`messages/?${this.query(cursor)}`);
            this.next = r.body.next;
            this.page = cursor ? (this.page || 1) + 1 : 1;
            this.nextButton.disabled = !this.next;
            this.firstButton.disabled = !cursor;
            const list = r.body.messages || [];
            this.body.replaceChildren(...list.map((m) => this.row(m)));
            if (!list.length) {
                this.body.append(h('tr', {}, h('td', { colspan: '5', class: 'sms-empty' },
                                                'No messages match.')));
            }
            this.pageInfo.textContent = `Page ${this.page}, ${list.length} message${list.length === 1 ? '' : 's'}`;
        }
        catch (e) {
            // no rows of an earlier filter under the error of this one
            this.body.replaceChildren();
            this.next = null;
            this.nextButton.disabled = true;
            this.pageInfo.textContent = '';
            this.alert.textContent = e.message;
            this.alert.hidden = false;
        }
    }

    row(m) {
        const err = m.error ? (typeof m.error === 'string' ? m.error : m.error.message) : '';
        return h('tr', {},
            h('td', {}, formatPhone(m.to), m.phone_label ? h('span', { class: 'sms-sub' }, ` ${m.phone_label}`) : ''),
            h('td', {}, m.patient_id || '—'),
            h('td', { class: 'sms-msg-cell' },
              h('button', { type: 'button', class: 'sms-link', title: 'Show status history',
                            onclick: () => this.show(m.id) }, m.body)),
            h('td', {}, h('span', { class: `sms-status sms-status-${m.status}` },
                          statusWord(m.status) + (err ? `: ${err}` : '')),
              m.reply ? ' · ' : '', replyBadge(m.reply)),
            h('td', {}, h('time', { datetime: m.sent_at || m.created_at || '' },
                          formatTime(m.sent_at || m.created_at))));
    }

    async show(id) {
        try {
            const m = (await api(`messages/${id}/`)).body;
            this.detail.replaceChildren(
                h('h2', {}, `Message ${m.id} to ${formatPhone(m.to)}`),
                h('p', { class: 'sms-body' }, m.body),
                m.reply ? h('p', { class: 'sms-reply' }, 'Latest reply: ', replyBadge(m.reply), ' — ',
                            h('time', { datetime: m.reply.received_at }, formatTime(m.reply.received_at)))
                        : '',
                h('ol', { class: 'sms-events', 'aria-label': 'Status history' },
                  (m.events || []).map((ev) => h('li', {},
                      h('time', { datetime: ev.at }, formatTime(ev.at)), ' ',
                      h('strong', {}, statusWord(ev.status)), ev.detail ? ` — ${ev.detail}` : ''))),
                h('button', { type: 'button', class: 'sms-secondary',
                              onclick: () => { this.detail.hidden = true; } }, 'Close'));
            this.detail.hidden = false;
            this.detail.querySelector('h2').setAttribute('tabindex', '-1');
            this.detail.querySelector('h2').focus();
        }
        catch (e) {
            this.alert.textContent = e.message;
            this.alert.hidden = false;
        }
    }
}
