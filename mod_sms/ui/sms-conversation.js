// <sms-conversation patient-id="17">: one patient's SMS thread and the
// box to answer in. Embeddable in any page of the same site:
//   <script type="module" src="/api/sms/ui/sms.js"></script>
//   <sms-conversation patient-id="17"></sms-conversation>
// Sent messages on the right (blue), received on the left (gray), each with
// its time and (sent) delivery status; failed ones say why. Opens on the
// newest page of the thread; scrolling to the top loads the page before it
// (the before cursor), the bubble in view staying where it was. Polls every
// 10 s with the since cursor and If-None-Match, only while the page is
// visible; only new or changed bubbles are touched, so the reader keeps
// their place. Attributes: patient-id, poll-seconds (default 10).
import { api, ApiError, newIdempotencyKey } from './sms-api.js';
import { INTENT_WORDS, formatPhone, formatTime, statusWord, notCapableReason, h, nextId }
    from './sms-format.js';
import { markReadWhenShown } from './sms-inbox.js';

const OLDER_MARGIN = 48;    // px from the top of the thread that loads older messages

export class SmsConversation extends HTMLElement {
    static get observedAttributes() {
        return ['patient-id'];
    }

    constructor() {
        super();
        this.bubbles = new Map();   // "out:42" / "in:7" -> article
        this.cursor = null;
        this.etag = null;
        this.resetPages();
        this.timer = null;
        this.phones = [];
        this.key = null;            // Idempotency-Key of the message being composed
        this.onVisibility = () => this.visibilityChanged();
    }

    get patientId() {
        return (this.getAttribute('patient-id') || '').trim();
    }

    get pollMs() {
        return (Number(this.getAttribute('poll-seconds')) || 10) * 1000;
    }

    connectedCallback() {
        if (!this.built) {
            this.build();
        }
        document.addEventListener('visibilitychange', this.onVisibility);
        this.load();
    }

    disconnectedCallback() {
        document.removeEventListener('visibilitychange', this.onVisibility);
        this.stopPolling();
    }

    attributeChangedCallback(name, oldValue, newValue) {
        if (this.built && this.isConnected && oldValue !== newValue) {
            this.load();
        }
    }

    build() {
        this.built = true;
        this.classList.add('sms-conversation');
        const ids = { phone: nextId('sms-phone'), tpl: nextId('sms-tpl'),
                      msg: nextId('sms-msg'), head: nextId('sms-head') };
        this.heading = h('h2', { id: ids.head, class: 'sms-conv-title' }, 'SMS');
        this.refreshButton = h('button', { type: 'button', class: 'sms-secondary',
                                           onclick: () => this.poll(true) }, 'Refresh');
        this.thread = h('div', { role: 'log', 'aria-label': 'Conversation',
                                 'aria-live': 'polite', 'aria-relevant': 'additions',
                                 class: 'sms-thread', tabindex: '0' });
        this.thread.addEventListener('scroll', () => this.maybeLoadOlder(), { passive: true });
        this.empty = h('p', { class: 'sms-empty' }, 'No messages yet.');
        this.alert = h('div', { role: 'alert', class: 'sms-alert', hidden: true });
        this.phoneSelect = h('select', { id: ids.phone, name: 'phone',
                                         onchange: () => { this.key = null; } });
        this.templateSelect = h('select', { id: ids.tpl, name: 'template',
                                            onchange: () => this.templateChosen() },
                                h('option', { value: '' }, 'No template'));
        this.textarea = h('textarea', { id: ids.msg, name: 'message', rows: '3',
                                        placeholder: 'Type a message…',
                                        oninput: () => this.typed() });
        this.counter = h('sms-counter', { 'aria-controls': ids.msg });
        this.sendButton = h('button', { type: 'submit', class: 'sms-primary' }, 'Send');
        this.form = h('form', { class: 'sms-compose', 'aria-labelledby': ids.head,
                                onsubmit: (e) => { e.preventDefault(); this.send(); } },
            h('div', { class: 'sms-row' },
              h('div', { class: 'sms-field' },
                h('label', { for: ids.phone }, 'Phone'), this.phoneSelect),
              h('div', { class: 'sms-field' },
                h('label', { for: ids.tpl }, 'Template'), this.templateSelect)),
            h('div', { class: 'sms-field' },
              h('label', { for: ids.msg }, 'Message'), this.textarea),
            h('div', { class: 'sms-compose-foot' }, this.counter, this.sendButton));
        this.textarea.addEventListener('keydown', (e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                this.send();
            }
        });
        this.replaceChildren(
            h('section', { class: 'sms-conv', 'aria-labelledby': ids.head },
              h('header', { class: 'sms-conv-head' }, this.heading, this.refreshButton),
              this.thread, this.alert, this.form));
    }

    showError(e) {
        if (!e) {
            this.alert.hidden = true;
            this.alert.textContent = '';
            return;
        }
        const text = e instanceof ApiError ? e.message : String(e.message || e);
        this.alert.textContent = text;
        this.alert.hidden = false;
    }

    async load() {
        const id = this.patientId;
        this.stopPolling();
        this.bubbles.clear();
        this.thread.replaceChildren(this.empty);
        this.cursor = null;
        this.etag = null;
        this.resetPages();
        this.key = null;
        this.showError(null);
        // nothing of the patient shown before stays: no number, no template,
        // no way to send until this patient's numbers are read
        this.phones = [];
        this.phoneSelect.replaceChildren();
        this.fillTemplates([]);
        this.setReady(false);
        if (!id) {
            this.heading.textContent = 'SMS';
            return;
        }
        this.heading.textContent = `SMS with patient ${id}`;
        const gen = (this.generation = (this.generation || 0) + 1);
        try {
            const [phones, templates] = await Promise.all([
                api(`patient/${encodeURIComponent(id)}/phones/`),
                api('templates/').catch(() => ({ body: { templates: [] } })),
            ]);
            if (gen !== this.generation) {
                return;
            }
            this.fillPhones(phones.body);
            this.fillTemplates(templates.body.templates || []);
            this.setReady(true);
            await this.poll(false, true);
        }
        catch (e) {
            if (gen === this.generation) {
                this.showError(e);      // unknown patient: nothing to poll
            }
            return;
        }
        if (gen === this.generation) {
            this.startPolling();
            this.maybeLoadOlder();      // a first page that does not fill the thread
        }
    }

    /** The composer works only for a patient whose numbers were read. */
    setReady(on) {
        this.ready = on;
        for (const el of [this.phoneSelect, this.templateSelect, this.textarea, this.sendButton]) {
            el.disabled = !on;
        }
    }

    /** No page read yet: nothing older known, no bubble on either side. */
    resetPages() {
        this.older = null;          // the before cursor of the page above the oldest shown
        this.loadingOlder = null;
        this.lowest = { out: Infinity, in: Infinity };  // smallest id shown per side
    }

    /** Near the top with older messages on the server: load the page before. */
    maybeLoadOlder() {
        if (this.older && !this.loadingOlder && this.thread.scrollTop < OLDER_MARGIN) {
            this.loadingOlder = this.loadOlder();
        }
    }

    /** The page before the oldest bubble, put above it; the bubble in view
     *  stays where it is on the screen. */
    async loadOlder() {
        const id = this.patientId;
        const gen = this.generation;
        this.thread.setAttribute('aria-busy', 'true');
        try {
            const r = await api(`patient/${encodeURIComponent(id)}/conversation/`
                                + `?before=${encodeURIComponent(this.older)}`);
            if (gen !== this.generation) {
                return;
            }
            const anchor = this.thread.querySelector('.sms-bubble');
            const top = () => (anchor ? anchor.getBoundingClientRect().top : 0);
            const was = top();
            for (const m of r.body.messages || []) {
                const dir = m.direction === 'in' ? 'in' : 'out';
                const old = this.bubbles.get(`${dir}:${m.id}`);
                if (old) {
                    this.refreshBubble(old, m, dir);
                }
                else {
                    this.addBubble(this.bubble(m, dir), m, dir, anchor);
                }
            }
            this.thread.scrollTop += top() - was;
            this.older = r.body.has_older ? r.body.before : null;
        }
        catch (e) {
            if (gen === this.generation) {
                this.showError(e);
                this.older = null;      // no retry loop on a failing page
            }
        }
        finally {
            if (gen === this.generation) {
                this.thread.removeAttribute('aria-busy');
                this.loadingOlder = null;
                this.maybeLoadOlder();  // still at the top, or not filled yet
            }
        }
    }

    /** A message a poll names that belongs to a page not loaded yet (older
     *  than every bubble): it comes with that page, not now. */
    notLoadedYet(m, dir) {
        if (!this.older) {
            return false;
        }
        if (this.lowest[dir] !== Infinity) {
            return Number(m.id) < this.lowest[dir];
        }
        const first = this.thread.querySelector('.sms-bubble');
        return !!first && (m.created_at || '') < (first.dataset.at || '');
    }

    fillPhones(list) {
        this.phones = Array.isArray(list) ? list : (list.phones || []);
        this.defaultNumber = (this.phones.find((p) => p.is_default) || this.phones[0] || {}).number;
        this.phoneSelect.replaceChildren(...this.phones.map((p) => {
            const capable = p.sms_capable !== false;
            let text = `${p.label} — ${formatPhone(p.number)}`;
            if (!capable) {
                text += ` (${notCapableReason(p)})`;
            }
            return h('option', { value: p.number, disabled: !capable,
                                 selected: capable && p.number === this.defaultNumber }, text);
        }));
        if (!this.phones.length) {
            this.phoneSelect.append(h('option', { value: '', disabled: true },
                                      'No number on file'));
        }
    }

    fillTemplates(list) {
        this.templateSelect.replaceChildren(
            h('option', { value: '' }, 'No template'),
            ...list.map((t) => h('option', { value: String(t.id) }, t.name)));
    }

    typed() {
        this.key = null;            // a different text is a different message
        this.counter.update(this.textarea.value);
    }

    async templateChosen() {
        const tid = this.templateSelect.value;
        if (!tid) {
            return;
        }
        this.showError(null);
        try {
            const r = await api('preview/', { method: 'POST',
                body: { template_id: Number(tid), patient_id: this.patientId } });
            this.textarea.value = r.body.message;
            this.typed();
            this.textarea.focus();
        }
        catch (e) {
            this.showError(e);
        }
    }

    async send() {
        const message = this.textarea.value;
        if (this.sending || !this.ready) {
            return;
        }
        if (!message.trim()) {
            this.showError(new Error('Type a message first.'));
            this.textarea.focus();
            return;
        }
        this.showError(null);
        this.key = this.key || newIdempotencyKey();
        this.sending = true;
        this.sendButton.disabled = true;
        this.sendButton.textContent = 'Sending…';
        try {
            const body = { message };
            if (this.phoneSelect.value) {
                body.phone = this.phoneSelect.value;
            }
            const r = await api(`patient/${encodeURIComponent(this.patientId)}/send/`,
                                { method: 'POST', body,
                                  headers: { 'Idempotency-Key': this.key } });
            this.key = null;
            this.textarea.value = '';
            this.templateSelect.value = '';
            this.typed();
            this.upsert({ ...r.body, direction: 'out', phone: r.body.phone || r.body.to }, true);
            this.textarea.focus();      // ready for the next one
            this.dispatchEvent(new CustomEvent('sms-sent', { bubbles: true, detail: r.body }));
        }
        catch (e) {
            // keep the key unless the server answered: a retry after a
            // network error must not send twice
            if (e instanceof ApiError && e.status !== 0 && e.status < 500) {
                this.key = null;
            }
            this.showError(e);
        }
        finally {
            this.sending = false;
            this.sendButton.disabled = !this.ready;
            this.sendButton.textContent = 'Send';
        }
    }

    startPolling() {
        this.stopPolling();
        if (document.visibilityState !== 'hidden' && this.patientId) {
            this.timer = setInterval(() => this.poll(false), this.pollMs);
        }
    }

    stopPolling() {
        clearInterval(this.timer);
        this.timer = null;
    }

    visibilityChanged() {
        if (document.visibilityState === 'hidden') {
            this.stopPolling();
        }
        else if (this.isConnected && this.patientId) {
            this.poll(false);
            this.startPolling();
        }
    }

    /** Ask for what is new since the cursor; add or update only those. */
    async poll(manual, first = false) {
        const id = this.patientId;
        if (!id || (this.polling && !manual)) {
            return;
        }
        this.polling = true;
        if (manual) {
            this.refreshButton.disabled = true;
        }
        try {
            // the newest page first, then what changed since it
            const q = this.cursor ? `?since=${encodeURIComponent(this.cursor)}` : '';
            const r = await api(`patient/${encodeURIComponent(id)}/conversation/${q}`,
                                { etag: this.etag });
            if (id !== this.patientId) {
                return;
            }
            if (!r.notModified) {
                this.etag = r.etag;
                this.cursor = r.body.cursor || this.cursor;
                const p = r.body.patient || {};
                if (p.name) {
                    this.heading.textContent = `SMS with ${p.name}`;
                }
                const atBottom = first || this.isAtBottom();
                for (const m of r.body.messages || []) {
                    this.upsert(m, false);
                }
                if ('has_older' in r.body) {        // a page, not a poll
                    this.older = r.body.has_older ? r.body.before : null;
                }
                if (atBottom) {
                    this.scrollToBottom();
                }
            }
            if (manual) {
                this.showError(null);
            }
        }
        catch (e) {
            if (first || manual || e.status === 401) {
                throw e;
            }
        }
        finally {
            this.polling = false;
            this.refreshButton.disabled = false;
        }
    }

    isAtBottom() {
        const t = this.thread;
        return t.scrollHeight - t.scrollTop - t.clientHeight < 32;
    }

    scrollToBottom() {
        this.thread.scrollTop = this.thread.scrollHeight;
    }

    /** Add a bubble for m, or update the one already shown. */
    upsert(m, scroll) {
        const dir = m.direction === 'in' ? 'in' : 'out';
        const key = `${dir}:${m.id}`;
        const old = this.bubbles.get(key);
        if (old) {
            this.refreshBubble(old, m, dir);
            return;
        }
        if (!scroll && this.notLoadedYet(m, dir)) {
            return;
        }
        const el = this.bubble(m, dir);
        // oldest first: place by creation time (ids of the two directions differ)
        const at = m.created_at || '';
        let before = null;
        for (const b of [...this.thread.children].reverse()) {
            if ((b.dataset.at || '') <= at) {
                break;
            }
            before = b;
        }
        this.addBubble(el, m, dir, before);
        if (scroll) {
            this.scrollToBottom();
        }
    }

    /** Same article, new content: a status change is no new message. */
    refreshBubble(old, m, dir) {
        if (old.dataset.status !== (m.status || '') || old.dataset.error !== errorText(m)) {
            const fresh = this.bubble(m, dir);
            old.dataset.status = fresh.dataset.status;
            old.dataset.error = fresh.dataset.error;
            old.querySelector('.sms-meta').replaceWith(fresh.querySelector('.sms-meta'));
        }
    }

    /** Put el (the bubble of m) in the thread before the element before. */
    addBubble(el, m, dir, before) {
        this.empty.remove();
        this.thread.insertBefore(el, before);
        this.bubbles.set(`${dir}:${m.id}`, el);
        this.lowest[dir] = Math.min(this.lowest[dir], Number(m.id));
        if (el.dataset.unread) {
            markReadWhenShown(el, m.id, this.thread);   // the inbox's read mark
        }
    }

    bubble(m, dir) {
        const phone = m.phone || m.to || m.from;
        const parts = [h('time', { datetime: m.created_at || '' }, formatTime(m.created_at))];
        if (phone && phone !== this.defaultNumber) {
            parts.push(h('span', { class: 'sms-phone-label' },
                         m.phone_label || formatPhone(phone)));
        }
        if (dir === 'out') {
            const word = statusWord(m.status);
            const err = errorText(m);
            parts.push(h('span', { class: `sms-status sms-status-${m.status}` },
                         word + (m.status === 'failed' && err ? `: ${err}` : '')));
        }
        else if (m.intent && INTENT_WORDS[m.intent]) {
            parts.push(h('span', { class: `sms-intent sms-intent-${m.intent}` },
                         INTENT_WORDS[m.intent]));
        }
        const unread = dir === 'in' && m.read_at === null;
        if (unread) {
            parts.push(h('span', { class: 'sms-unread-mark' }, 'Unread'));
        }
        const label = dir === 'out' ? 'Sent' : 'Received';
        return h('article', {
            class: `sms-bubble sms-${dir}`, 'data-status': m.status || '',
            'data-unread': unread ? 'unread' : null,
            'data-error': errorText(m), 'data-at': m.created_at || '',
            'data-id': String(m.id),
        },
        h('span', { class: 'sms-visually-hidden' }, `${label} message: `),
        h('p', { class: 'sms-body' }, m.body || ''),
        h('footer', { class: 'sms-meta' }, ...interleave(parts)));
    }
}

function errorText(m) {
    const e = m.error;
    if (!e) {
        return '';
    }
    return typeof e === 'string' ? e : (e.message || e.code || '');
}

function interleave(items) {
    const out = [];
    items.forEach((it, i) => {
        if (i) {
            out.push(' · ');
        }
        out.push(it);
    });
    return out;
}
