// <sms-inbox>: the staff app's Inbox view (API.md section 7): patients'
// replies newest first (Unread, Unclear, All), each with its patient, the
// number, the reply, its intent, the message it answers, when it came and
// whether (and by whom) it was read; "Mark read" / "Mark unread" per
// reply; a row opens the patient's conversation.
// Also here: InboxBadge, the unread count on the app's "Inbox" link
// (GET /inbox/counts, polled with If-None-Match while the page is
// visible), and markReadWhenShown, which <sms-conversation> uses to mark
// an unread reply read once its bubble is on screen. Both follow the
// document event "sms-inbox-changed", fired after every mark.
import { api } from './sms-api.js';
import { formatPhone, formatTime, h, nextId } from './sms-format.js';

const PAGE = 50;
const BADGE_POLL_MS = 30_000;
const INTENT_WORDS = { confirm: 'Confirms', cancel: 'Cancels', unclear: 'Unclear' };
const STATES = [['unread', 'Unread'], ['unclear', 'Unclear'], ['all', 'All']];

function changed() {
    document.dispatchEvent(new CustomEvent('sms-inbox-changed'));
}

function patientName(p) {
    return p.name || `patient ${p.id}`;
}

export class SmsInbox extends HTMLElement {
    connectedCallback() {
        if (this.built) {
            return;
        }
        this.built = true;
        const id = nextId('sms-ibx');
        this.state = h('select', { id, name: 'state', onchange: () => this.load(null) },
            STATES.map(([v, w]) => h('option', { value: v }, w)));
        this.alert = h('div', { role: 'alert', class: 'sms-alert', hidden: true });
        this.body = h('tbody', {});
        this.table = h('table', { 'aria-label': 'Replies', class: 'sms-table sms-inbox-table' },
            h('thead', {}, h('tr', {},
                ['Patient', 'Number', 'Reply', 'Intent', 'Replied to', 'Received', 'Read']
                    .map((c) => h('th', { scope: 'col' }, c)))),
            this.body);
        this.pageInfo = h('span', { class: 'sms-page-info', 'aria-live': 'polite' });
        this.firstButton = h('button', { type: 'button', class: 'sms-secondary',
                                         onclick: () => this.load(null) }, 'First page');
        this.nextButton = h('button', { type: 'button', class: 'sms-secondary',
                                        onclick: () => this.load(this.next) }, 'Next page');
        this.append(
            h('h1', {}, 'Inbox'),
            h('form', { class: 'sms-filters', 'aria-label': 'Filter replies',
                        onsubmit: (e) => { e.preventDefault(); this.load(null); } },
              h('div', { class: 'sms-field' }, h('label', { for: id }, 'Show'), this.state),
              h('button', { type: 'submit', class: 'sms-secondary' }, 'Refresh')),
            this.alert,
            h('div', { class: 'sms-table-wrap' }, this.table),
            h('div', { class: 'sms-actions' }, this.firstButton, this.nextButton, this.pageInfo));
    }

    /** Called by <sms-app> when this view is shown. */
    shown() {
        this.load(null);
    }

    async load(cursor) {
        this.alert.hidden = true;
        const q = new URLSearchParams({ state: this.state.value, limit: String(PAGE) });
        if (cursor) {
            q.set('cursor', cursor);
        }
        try {
            const r = await api(`inbox/?${q}`);
            this.next = r.body.next;
            this.page = cursor ? (this.page || 1) + 1 : 1;
            this.nextButton.disabled = !this.next;
            this.firstButton.disabled = !cursor;
            const list = r.body.replies || [];
            this.body.replaceChildren(...list.map((m) => this.row(m)));
            if (!list.length) {
                this.body.append(h('tr', {}, h('td', { colspan: '7', class: 'sms-empty' },
                                                'No replies here.')));
            }
            this.pageInfo.textContent = `Page ${this.page}, ${list.length} repl${list.length === 1 ? 'y' : 'ies'}`;
        }
        catch (e) {
            this.showError(e);
        }
    }

    showError(e) {
        this.alert.textContent = e.message;
        this.alert.hidden = false;
    }

    row(m) {
        const patients = m.patients || [];
        const to = m.reply_to;
        const read = Boolean(m.read_at);
        const tr = h('tr', { class: read ? 'sms-read' : 'sms-unread', 'data-id': String(m.id) },
            h('td', {}, patients.length
                ? patients.flatMap((p, i) => [i ? ', ' : '',
                    h('a', { href: `#conversations/${encodeURIComponent(p.id)}` }, patientName(p))])
                : h('span', { class: 'sms-sub' }, 'Unknown number')),
            h('td', {}, formatPhone(m.from)),
            h('td', { class: 'sms-msg-cell' }, m.body),
            h('td', {}, m.intent ? h('span', { class: `sms-intent sms-intent-${m.intent}` },
                                     INTENT_WORDS[m.intent] || m.intent)
                                 : (m.keyword ? h('span', { class: 'sms-sub' }, m.keyword) : '—')),
            h('td', { class: 'sms-msg-cell' }, to
                ? (to.body ? h('span', { class: 'sms-sub', title: to.body },
                               to.body.length > 60 ? `${to.body.slice(0, 59)}…` : to.body)
                           : h('span', { class: 'sms-sub' }, `message ${to.id}`))
                : '—'),
            h('td', {}, h('time', { datetime: m.received_at || '' }, formatTime(m.received_at))),
            h('td', { class: 'sms-row-actions' },
              h('span', { class: 'sms-read-state' },
                read ? `Read${m.read_by ? ` by ${m.read_by}` : ''} ${formatTime(m.read_at)}` : 'Unread'),
              ' ',
              h('button', { type: 'button', class: 'sms-secondary',
                            onclick: () => this.mark(m, tr, read ? 'unread' : 'read') },
                read ? 'Mark unread' : 'Mark read')));
        if (patients.length) {
            // the whole row opens the (first) patient's conversation
            tr.classList.add('sms-clickable');
            tr.addEventListener('click', (e) => {
                if (!e.target.closest('a, button')) {
                    location.hash = `#conversations/${encodeURIComponent(patients[0].id)}`;
                }
            });
        }
        return tr;
    }

    async mark(m, tr, how) {
        this.alert.hidden = true;
        try {
            const r = await api(`inbox/${m.id}/${how}`, { method: 'POST' });
            const fresh = this.row(r.body);
            tr.replaceWith(fresh);
            fresh.querySelector('button').focus();
            changed();
        }
        catch (e) {
            this.showError(e);
        }
    }
}

/**
 * The unread count on a navigation link: a badge (hidden at 0) and a
 * description for screen readers, so the link's name stays "Inbox".
 */
export class InboxBadge {
    constructor(link) {
        this.link = link;
        this.badge = h('span', { class: 'sms-badge', 'aria-hidden': 'true', hidden: true });
        // hidden: not part of the link's name, still its description
        this.desc = h('span', { id: nextId('sms-inbox-count'), hidden: true });
        link.append(' ', this.badge, this.desc);
        link.setAttribute('aria-describedby', this.desc.id);
        this.etag = null;
        this.timer = null;
    }

    start() {
        document.addEventListener('sms-inbox-changed', () => this.refresh());
        document.addEventListener('visibilitychange', () => this.schedule());
        this.schedule();
    }

    schedule() {
        clearInterval(this.timer);
        this.timer = null;
        if (document.visibilityState !== 'hidden') {
            this.refresh();
            this.timer = setInterval(() => this.refresh(), BADGE_POLL_MS);
        }
    }

    async refresh() {
        try {
            const r = await api('inbox/counts', { etag: this.etag });
            if (r.notModified) {
                return;
            }
            this.etag = r.etag;
            const n = Number(r.body.unread) || 0;
            const unclear = Number(r.body.unclear) || 0;
            this.badge.textContent = n > 99 ? '99+' : String(n);
            this.badge.hidden = n === 0;
            this.badge.classList.toggle('sms-badge-unclear', unclear > 0);
            this.desc.textContent = n ? `${n} unread repl${n === 1 ? 'y' : 'ies'}`
                + (unclear ? `, ${unclear} unclear` : '') : 'no unread replies';
        }
        catch (e) {
            // a role without the inbox, or the server away: no badge
            this.badge.hidden = true;
        }
    }
}

/**
 * Mark reply id read once its bubble (article) is on screen in root and
 * the page is visible; the bubble's "Unread" mark then says "New".
 */
export function markReadWhenShown(article, id, root) {
    if (typeof IntersectionObserver !== 'function') {
        return;
    }
    const io = new IntersectionObserver((entries) => {
        if (!entries.some((e) => e.isIntersecting)) {
            return;
        }
        if (document.visibilityState === 'hidden') {
            // look again when the page is shown
            document.addEventListener('visibilitychange', () => {
                io.unobserve(article);
                io.observe(article);
            }, { once: true });
            return;
        }
        io.disconnect();
        api(`inbox/${id}/read`, { method: 'POST' }).then(() => {
            article.dataset.unread = 'read';
            const mark = article.querySelector('.sms-unread-mark');
            if (mark) {
                mark.textContent = 'New';
            }
            changed();
        }, () => {});      // a role without the inbox: the mark stays
    }, { root, threshold: 0 });
    io.observe(article);
}
