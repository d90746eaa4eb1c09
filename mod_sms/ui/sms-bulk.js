// <sms-bulk>: one text to many numbers. Recipients are pasted (one number
// per line) or a CSV (first row names the columns: "to" or "number" or
// "phone", the others become template fields), uploaded or pasted. Check
// asks the server with "dry_run": true (the same checks; nothing stored or
// sent) and shows accepted / rejected / segments / credits; Send to all
// asks for confirmation, sends once (Idempotency-Key) and follows the
// batch until every message is final.
import { api, newIdempotencyKey } from './sms-api.js';
import { FINAL_STATUSES, h, nextId } from './sms-format.js';

const NUMBER_COLUMNS = ['to', 'number', 'phone', 'mobile'];

/** Parse one CSV line (RFC 4180 quotes). */
function csvLine(line) {
    const out = [];
    let cur = '';
    let q = false;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (q) {
            if (c === '"' && line[i + 1] === '"') {
                cur += '"';
                i++;
            }
            else if (c === '"') {
                q = false;
            }
            else {
                cur += c;
            }
        }
        else if (c === '"') {
            q = true;
        }
        else if (c === ',' || c === ';' || c === '\t') {
            out.push(cur.trim());
            cur = '';
        }
        else {
            cur += c;
        }
    }
    out.push(cur.trim());
    return out;
}

/** Recipients as the API takes them, from pasted text or a CSV. */
export function parseRecipients(text) {
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim());
    if (!lines.length) {
        return [];
    }
    const head = csvLine(lines[0]).map((c) => c.toLowerCase());
    const col = head.findIndex((c) => NUMBER_COLUMNS.includes(c));
    if (col < 0) {
        // no header: a number per line (first column of a CSV row)
        return lines.map((l) => (/[,;\t]/.test(l) ? csvLine(l)[0] : l.trim()));
    }
    return lines.slice(1).map((l) => {
        const cells = csvLine(l);
        const context = {};
        head.forEach((name, i) => {
            if (i !== col && name && cells[i] !== undefined && cells[i] !== '') {
                context[name] = cells[i];
            }
        });
        return Object.keys(context).length ? { to: cells[col], context } : cells[col];
    });
}

export class SmsBulk extends HTMLElement {
    connectedCallback() {
        if (this.built) {
            return;
        }
        this.built = true;
        const ids = { rcpt: nextId('sms-rcpt'), file: nextId('sms-file'),
                      msg: nextId('sms-bmsg'), tpl: nextId('sms-btpl'),
                      dlg: nextId('sms-dlg') };
        this.recipients = h('textarea', { id: ids.rcpt, rows: '8', spellcheck: 'false',
                                          placeholder: '0412 345 678\n0413 000 111\n…  or a CSV: to,first_name',
                                          oninput: () => this.changed() });
        this.file = h('input', { id: ids.file, type: 'file', accept: '.csv,.txt,text/csv,text/plain',
                                 onchange: () => this.upload() });
        this.message = h('textarea', { id: ids.msg, rows: '4',
                                       oninput: () => { this.counter.update(this.message.value); this.changed(); } });
        this.counter = h('sms-counter', {});
        this.template = h('select', { id: ids.tpl, onchange: () => this.templateChosen() },
                          h('option', { value: '' }, 'No template'));
        this.alert = h('div', { role: 'alert', class: 'sms-alert', hidden: true });
        this.summary = h('div', { role: 'status', 'aria-label': 'Bulk summary',
                                  class: 'sms-summary' });
        this.rejects = h('div', { class: 'sms-rejects' });
        this.checkButton = h('button', { type: 'button', class: 'sms-secondary',
                                         onclick: () => this.check() }, 'Check');
        this.sendButton = h('button', { type: 'button', class: 'sms-primary',
                                        onclick: () => this.confirmSend() }, 'Send to all');
        this.progress = h('progress', { 'aria-label': 'Batch progress', max: '1', value: '0',
                                        hidden: true });
        this.progressText = h('p', { class: 'sms-progress-text', 'aria-live': 'polite' });
        this.dialogText = h('p', {});
        this.dialog = h('dialog', { 'aria-labelledby': `${ids.dlg}-t`, class: 'sms-dialog' },
            h('h2', { id: `${ids.dlg}-t` }, 'Confirm bulk send'),
            this.dialogText,
            h('div', { class: 'sms-actions' },
              h('button', { type: 'button', class: 'sms-secondary',
                            onclick: () => this.dialog.close() }, 'Cancel'),
              h('button', { type: 'button', class: 'sms-primary',
                            onclick: () => { this.dialog.close(); this.send(); } }, 'Send now')));
        this.append(
            h('h1', {}, 'Bulk'),
            h('form', { class: 'sms-stack', onsubmit: (e) => e.preventDefault() },
              h('div', { class: 'sms-field' },
                h('label', { for: ids.rcpt }, 'Recipients'),
                h('p', { class: 'sms-hint', id: `${ids.rcpt}-hint` },
                  'One number per line, or a CSV whose first row names the columns '
                  + '(to, then template fields such as first_name).'),
                this.recipients),
              h('div', { class: 'sms-field' },
                h('label', { for: ids.file }, 'Upload CSV'), this.file),
              h('div', { class: 'sms-field' }, h('label', { for: ids.tpl }, 'Template'), this.template),
              h('div', { class: 'sms-field' }, h('label', { for: ids.msg }, 'Message'), this.message),
              this.counter,
              h('div', { class: 'sms-actions' }, this.checkButton, this.sendButton)),
            this.alert, this.summary, this.rejects, this.progress, this.progressText, this.dialog);
        this.recipients.setAttribute('aria-describedby', `${ids.rcpt}-hint`);
        this.loadTemplates();
    }

    shown() {
        this.loadTemplates();
    }

    async loadTemplates() {
        try {
            const r = await api('templates/');
            const cur = this.template.value;
            this.template.replaceChildren(h('option', { value: '' }, 'No template'),
                ...(r.body.templates || []).map((t) => h('option', { value: String(t.id) }, t.name)));
            this.template.value = cur;
            this.templates = r.body.templates || [];
        }
        catch (e) {
            /* the view still works without templates */
        }
    }

    templateChosen() {
        const t = (this.templates || []).find((x) => String(x.id) === this.template.value);
        this.message.disabled = !!t;
        if (t) {
            this.message.value = t.body;
            this.counter.update(t.body);
        }
        this.changed();
    }

    changed() {
        this.key = null;
        this.checked = null;
    }

    async upload() {
        const f = this.file.files && this.file.files[0];
        if (f) {
            this.recipients.value = await f.text();
            this.changed();
        }
    }

    request(dryRun) {
        const body = { recipients: parseRecipients(this.recipients.value) };
        if (this.template.value) {
            body.template_id = Number(this.template.value);
        }
        else {
            // without a template the CSV's other columns fill nothing
            body.recipients = body.recipients.map((r) => (typeof r === 'string' ? r : r.to));
            body.message = this.message.value;
        }
        if (dryRun) {
            body.dry_run = true;
        }
        return body;
    }

    showError(e) {
        this.alert.hidden = !e;
        this.alert.textContent = e ? e.message : '';
    }

    async check() {
        this.showError(null);
        const body = this.request(true);
        if (!body.recipients.length) {
            this.showError(new Error('Add at least one recipient.'));
            this.recipients.focus();
            return null;
        }
        this.checkButton.disabled = true;
        try {
            const r = await api('send-bulk/', { method: 'POST', body });
            this.showSummary(r.body, true);
            this.checked = r.body;
            return r.body;
        }
        catch (e) {
            this.showError(e);
            return null;
        }
        finally {
            this.checkButton.disabled = false;
        }
    }

    showSummary(b, dry) {
        const rej = b.rejected || [];
        const credits = b.credits ?? b.segments_total;
        this.summary.textContent = `${dry ? 'Checked' : 'Accepted'}: ${b.accepted} accepted · `
            + `${rej.length} rejected · ${b.segments_total} segment${b.segments_total === 1 ? '' : 's'} in all`
            + ` · ${credits} credit${credits === 1 ? '' : 's'}`;
        if (!rej.length) {
            this.rejects.replaceChildren();
            return;
        }
        this.rejects.replaceChildren(
            h('table', { 'aria-label': 'Rejected recipients', class: 'sms-table' },
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Recipient'),
                               h('th', { scope: 'col' }, 'Why'))),
              h('tbody', {}, rej.map((x) => h('tr', {},
                h('td', {}, typeof x.to === 'string' ? x.to : JSON.stringify(x.to)),
                h('td', {}, (x.error && x.error.message) || ''))))));
    }

    async confirmSend() {
        const c = this.checked || await this.check();
        if (!c) {
            return;
        }
        if (!c.accepted) {
            this.showError(new Error('No recipient can be sent to.'));
            return;
        }
        this.dialogText.textContent = `Send to ${c.accepted} recipient${c.accepted === 1 ? '' : 's'}`
            + ` (${c.segments_total} segments)? ${(c.rejected || []).length} rejected will be skipped.`;
        this.dialog.showModal();
    }

    async send() {
        this.showError(null);
        this.key = this.key || newIdempotencyKey();
        this.sendButton.disabled = true;
        try {
            const r = await api('send-bulk/', { method: 'POST', body: this.request(false),
                                                headers: { 'Idempotency-Key': this.key } });
            this.showSummary(r.body, false);
            this.follow(r.body.batch_id, r.body.accepted);
        }
        catch (e) {
            this.showError(e);
            this.sendButton.disabled = false;
        }
    }

    async follow(batchId, accepted) {
        this.progress.hidden = false;
        this.progress.max = Math.max(accepted, 1);
        this.progress.value = 0;
        for (;;) {
            let b;
            try {
                b = (await api(`batches/${batchId}/`)).body;
            }
            catch (e) {
                this.showError(e);
                break;
            }
            const counts = b.counts || {};
            const done = Object.entries(counts)
                .filter(([s]) => FINAL_STATUSES.has(s)).reduce((n, [, v]) => n + v, 0);
            this.progress.max = Math.max(b.total, 1);
            this.progress.value = done;
            const parts = Object.entries(counts).filter(([, v]) => v)
                .map(([s, v]) => `${v} ${s}`);
            this.progressText.textContent = `Batch ${batchId}: ${done} of ${b.total} final`
                + (parts.length ? ` (${parts.join(', ')})` : '') + (done >= b.total ? '. Done.' : '');
            if (done >= b.total) {
                break;
            }
            await new Promise((res) => setTimeout(res, 1000));
        }
        this.sendButton.disabled = false;
        this.key = null;
        this.checked = null;
    }
}
