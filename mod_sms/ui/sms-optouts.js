// <sms-optouts>: numbers that must never be sent to (STOP replies and
// staff entries): list, add, remove. Add and Remove are there only when
// GET /me/ says the user may use them (optouts_add, optouts_remove).
import { allows, api, me } from './sms-api.js';
import { formatPhone, formatTime, h, nextId } from './sms-format.js';

export class SmsOptouts extends HTMLElement {
    connectedCallback() {
        if (this.built) {
            return;
        }
        this.built = true;
        const id = nextId('sms-onum');
        this.number = h('input', { id, name: 'number', inputmode: 'tel', required: true,
                                   autocomplete: 'off' });
        this.alert = h('div', { role: 'alert', class: 'sms-alert', hidden: true });
        this.note = h('p', { role: 'status', class: 'sms-note' });
        this.rows = h('tbody', {});
        this.moreButton = h('button', { type: 'button', class: 'sms-secondary', hidden: true,
                                        onclick: () => this.load(this.next) }, 'More');
        this.append(
            h('h1', {}, 'Opt-outs'),
            h('p', { class: 'sms-hint' }, 'Nothing is ever sent to these numbers. A patient '
              + 'who texts STOP is added; START removes them.'),
            this.form = h('form', { class: 'sms-inline-form', 'aria-label': 'Add an opt-out',
                                    hidden: true,
                                    onsubmit: (e) => { e.preventDefault(); this.add(); } },
              h('div', { class: 'sms-field' }, h('label', { for: id }, 'Number'), this.number),
              h('button', { type: 'submit', class: 'sms-primary' }, 'Add')),
            this.alert, this.note,
            h('div', { class: 'sms-table-wrap' },
              h('table', { 'aria-label': 'Opt-outs', class: 'sms-table' },
                h('thead', {}, h('tr', {}, ['Number', 'Source', 'Since']
                    .map((c) => h('th', { scope: 'col' }, c)),
                    this.actionsHead = h('th', { scope: 'col', hidden: true }, 'Actions'))),
                this.rows)),
            this.moreButton);
    }

    shown() {
        this.load(null);
    }

    fail(e) {
        this.alert.textContent = e ? e.message : '';
        this.alert.hidden = !e;
    }

    async load(cursor) {
        try {
            const q = new URLSearchParams({ limit: '100' });
            if (cursor) {
                q.set('cursor', cursor);
            }
            const m = await me();
            this.form.hidden = !allows(m, 'optouts_add');
            this.removable = allows(m, 'optouts_remove');
            this.actionsHead.hidden = !this.removable;
            const r = await api(`optouts/?${q}`);
            const list = r.body.optouts || [];
            const rows = list.map((o) => this.row(o));
            if (cursor) {
                this.rows.append(...rows);
            }
            else {
                this.rows.replaceChildren(...rows);
                if (!list.length) {
                    this.rows.append(h('tr', {}, h('td', { colspan: this.removable ? '4' : '3',
                                                           class: 'sms-empty' },
                                                    'No opted-out numbers.')));
                }
            }
            this.next = r.body.next;
            this.moreButton.hidden = !this.next;
        }
        catch (e) {
            this.fail(e);
        }
    }

    row(o) {
        const shown = formatPhone(o.number);
        return h('tr', {},
            h('td', {}, shown),
            h('td', {}, o.source === 'user' ? `Staff (${o.created_by || '?'})`
                                              : (o.source === 'inbound' ? 'Patient replied STOP' : (o.source || ''))),
            h('td', {}, h('time', { datetime: o.created_at || '' }, formatTime(o.created_at))),
            this.removable && h('td', {}, h('button', { type: 'button', class: 'sms-secondary',
                                                        'aria-label': `Remove ${shown}`,
                                                        onclick: () => this.remove(o) }, 'Remove')));
    }

    async add() {
        this.fail(null);
        const n = this.number.value.trim();
        if (!n) {
            this.number.focus();
            return;
        }
        try {
            const r = await api('optouts/', { method: 'POST', body: { number: n } });
            this.note.textContent = `${formatPhone(r.body.number)} will get no more messages.`;
            this.number.value = '';
            await this.load(null);
        }
        catch (e) {
            this.fail(e);
        }
    }

    async remove(o) {
        this.fail(null);
        try {
            await api(`optouts/${encodeURIComponent(o.number)}/`, { method: 'DELETE' });
            this.note.textContent = `${formatPhone(o.number)} removed: messages may be sent again.`;
            await this.load(null);
        }
        catch (e) {
            this.fail(e);
        }
    }
}
