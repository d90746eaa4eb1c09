// <sms-templates>: create, edit and delete message templates; each one's
// placeholders listed ({first_name} etc. come from the patient, others
// from the send's context). A user whose role may not change templates
// (GET /me/: templates_write) sees the list only: no form, no Edit or
// Delete.
import { allows, api, me } from './sms-api.js';
import { h, nextId } from './sms-format.js';

export class SmsTemplates extends HTMLElement {
    connectedCallback() {
        if (this.built) {
            return;
        }
        this.built = true;
        const ids = { name: nextId('sms-tname'), body: nextId('sms-tbody'), head: nextId('sms-thead') };
        this.name = h('input', { id: ids.name, name: 'name', required: true, maxlength: '100' });
        this.bodyInput = h('textarea', { id: ids.body, name: 'body', rows: '4', required: true,
                                         oninput: () => this.counter.update(this.bodyInput.value) });
        this.counter = h('sms-counter', { label: 'Template length' });
        this.formTitle = h('h2', { id: ids.head }, 'New template');
        this.saveButton = h('button', { type: 'submit', class: 'sms-primary' }, 'Save');
        this.cancelButton = h('button', { type: 'button', class: 'sms-secondary', hidden: true,
                                          onclick: () => this.edit(null) }, 'Cancel edit');
        this.alert = h('div', { role: 'alert', class: 'sms-alert', hidden: true });
        this.note = h('p', { role: 'status', class: 'sms-note' });
        this.rows = h('tbody', {});
        this.actionsHead = h('th', { scope: 'col' }, 'Actions');
        this.form = h('form', { class: 'sms-stack', 'aria-labelledby': ids.head, hidden: true,
                                onsubmit: (e) => { e.preventDefault(); this.save(); } },
              this.formTitle,
              h('div', { class: 'sms-field' }, h('label', { for: ids.name }, 'Name'), this.name),
              h('div', { class: 'sms-field' }, h('label', { for: ids.body }, 'Body'),
                h('p', { class: 'sms-hint' }, 'Placeholders: {first_name}, {last_name}, '
                  + '{patient_name} from the patient; any other {name} from the send. '
                  + '{{ and }} are literal braces.'),
                this.bodyInput),
              this.counter,
              h('div', { class: 'sms-actions' }, this.saveButton, this.cancelButton));
        this.append(
            h('h1', {}, 'Templates'),
            this.form,
            this.alert, this.note,
            h('div', { class: 'sms-table-wrap' },
              h('table', { 'aria-label': 'Templates', class: 'sms-table' },
                h('thead', {}, h('tr', {}, ['Name', 'Body', 'Placeholders']
                    .map((c) => h('th', { scope: 'col' }, c)), this.actionsHead)),
                this.rows)));
    }

    shown() {
        this.load();
    }

    async load() {
        try {
            this.writable = allows(await me(), 'templates_write');
            this.form.hidden = !this.writable;
            this.actionsHead.hidden = !this.writable;
            const r = await api('templates/');
            const list = r.body.templates || [];
            this.rows.replaceChildren(...list.map((t) => this.row(t)));
            if (!list.length) {
                this.rows.append(h('tr', {}, h('td', { colspan: this.writable ? '4' : '3',
                                                       class: 'sms-empty' },
                                                'No templates yet.')));
            }
        }
        catch (e) {
            this.fail(e);
        }
    }

    row(t) {
        const cells = [
            h('td', {}, t.name),
            h('td', { class: 'sms-msg-cell' }, t.body),
            h('td', {}, (t.placeholders || []).map((p) => `{${p}}`).join(' ') || '—'),
        ];
        if (!this.writable) {
            return h('tr', {}, cells);
        }
        const del = h('button', { type: 'button', class: 'sms-danger',
                                  'aria-label': `Delete ${t.name}` }, 'Delete');
        del.addEventListener('click', () => {
            if (del.dataset.armed) {
                this.remove(t);
            }
            else {
                del.dataset.armed = '1';
                del.textContent = 'Confirm delete';
                del.setAttribute('aria-label', `Confirm delete ${t.name}`);
            }
        });
        return h('tr', {}, cells,
            h('td', { class: 'sms-row-actions' },
              h('button', { type: 'button', class: 'sms-secondary', 'aria-label': `Edit ${t.name}`,
                            onclick: () => this.edit(t) }, 'Edit'),
              del));
    }

    edit(t) {
        this.editing = t ? t.id : null;
        this.name.value = t ? t.name : '';
        this.bodyInput.value = t ? t.body : '';
        this.counter.update(this.bodyInput.value);
        this.formTitle.textContent = t ? `Edit template “${t.name}”` : 'New template';
        this.cancelButton.hidden = !t;
        this.name.focus();
    }

    fail(e) {
        this.alert.textContent = e ? e.message : '';
        this.alert.hidden = !e;
    }

    async save() {
        this.fail(null);
        const body = { name: this.name.value.trim(), body: this.bodyInput.value };
        try {
            if (this.editing) {
                await api(`templates/${this.editing}/`, { method: 'PUT', body });
                this.note.textContent = `Saved “${body.name}”.`;
            }
            else {
                await api('templates/', { method: 'POST', body });
                this.note.textContent = `Created “${body.name}”.`;
            }
            this.edit(null);
            await this.load();
        }
        catch (e) {
            this.fail(e);
        }
    }

    async remove(t) {
        this.fail(null);
        try {
            await api(`templates/${t.id}/`, { method: 'DELETE' });
            this.note.textContent = `Deleted “${t.name}”.`;
            if (this.editing === t.id) {
                this.edit(null);
            }
            await this.load();
        }
        catch (e) {
            this.fail(e);
        }
    }
}
