// <sms-settings>: provider, sender ID, send window, health, balance and the
// module's version; the server's effective configuration, read-only (GET
// /settings/; secrets only say "set"); and "Send test SMS". What GET /me/
// refuses is not asked for (balance, settings) or not offered (the test SMS
// needs send).
import { allows, api, me, newIdempotencyKey } from './sms-api.js';
import { formatPhone, statusWord, h, nextId } from './sms-format.js';

export class SmsSettings extends HTMLElement {
    connectedCallback() {
        if (this.built) {
            return;
        }
        this.built = true;
        const id = nextId('sms-test');
        this.overview = h('dl', { class: 'sms-facts', 'aria-label': 'Provider' });
        this.config = h('tbody', {});
        this.configNote = h('p', { class: 'sms-hint' });
        this.number = h('input', { id, name: 'test_number', inputmode: 'tel', required: true,
                                   autocomplete: 'off', placeholder: '0412 345 678' });
        this.result = h('div', { role: 'status', 'aria-label': 'Test result', class: 'sms-summary' });
        this.testButton = h('button', { type: 'submit', class: 'sms-primary' }, 'Send test SMS');
        this.append(
            h('h1', {}, 'Settings'),
            h('section', { 'aria-labelledby': `${id}-p` },
              h('h2', { id: `${id}-p` }, 'Provider'), this.overview),
            this.testSection = h('section', { 'aria-labelledby': `${id}-t`, hidden: true },
              h('h2', { id: `${id}-t` }, 'Send a test SMS'),
              h('form', { class: 'sms-inline-form', 'aria-labelledby': `${id}-t`,
                          onsubmit: (e) => { e.preventDefault(); this.test(); } },
                h('div', { class: 'sms-field' }, h('label', { for: id }, 'Test number'), this.number),
                this.testButton),
              this.result),
            h('section', { 'aria-labelledby': `${id}-c` },
              h('h2', { id: `${id}-c` }, 'Configuration'),
              h('p', { class: 'sms-hint' }, 'As this server runs it (httpd.conf); read-only here. '
                + 'Secrets show only whether they are set.'),
              this.configNote,
              h('div', { class: 'sms-table-wrap' },
                h('table', { 'aria-label': 'Configuration', class: 'sms-table' },
                  h('thead', {}, h('tr', {}, ['Directive', 'Value', 'Default']
                      .map((c) => h('th', { scope: 'col' }, c)))),
                  this.config))));
    }

    shown() {
        this.load();
    }

    fact(name, value) {
        return [h('dt', {}, name), h('dd', {}, value)];
    }

    async load() {
        const m = await me();
        const notYours = 'not for your role';
        this.testSection.hidden = !allows(m, 'send');
        const [health, balance, settings] = await Promise.all([
            api('health/').then((r) => r.body, (e) => e.body || { status: 'unreachable' }),
            allows(m, 'balance') ? api('balance/').then((r) => r.body, (e) => ({ error: e.message }))
                : { error: notYours },
            allows(m, 'settings') ? api('settings/').then((r) => r.body, (e) => ({ error: e }))
                : { error: { message: notYours } },
        ]);
        const s = (settings && !settings.error && (settings.settings || settings)) || {};
        const val = (k) => (s[k] && typeof s[k] === 'object' && 'value' in s[k] ? s[k].value : s[k]);
        const provider = balance.provider || health.provider || val('SMSProvider') || 'unknown';
        const credits = balance.error ? `unavailable: ${balance.error}`
            : (balance.credits === null || balance.credits === undefined
                ? (provider === 'sandbox' ? 'sandbox (no credits)' : 'unknown')
                : String(balance.credits));
        const healthText = health.status === 'ok' ? 'OK'
            : `${health.status || 'unknown'}${health.storage && health.storage !== 'ok' ? ` (storage ${health.storage})` : ''}`;
        this.overview.replaceChildren(
            ...this.fact('Provider', provider),
            ...this.fact('Sender ID', val('SMSSenderID') || 'provider’s shared number'),
            // SMSSendWindow: bulk, scheduled and retried messages go only then
            ...this.fact('Send window', val('SMSSendWindow')
                ? `${val('SMSSendWindow')} (${val('SMSTimeZone')})` : 'any time'),
            ...this.fact('Health', healthText
                + (health.queue_depth !== undefined ? ` · ${health.queue_depth} waiting` : '')),
            ...this.fact('Balance', `Balance: ${credits}`),
            // the module's version (configure.ac's; GET /settings/)
            ...this.fact('Module', settings.version ? `mod_sms ${settings.version}` : 'unknown'));
        if (settings.error) {
            this.configNote.textContent = `The configuration could not be read: ${settings.error.message}`;
            this.config.replaceChildren();
            return;
        }
        this.configNote.textContent = '';
        this.config.replaceChildren(...Object.keys(s).sort().map((k) => {
            const v = s[k];
            const value = v && typeof v === 'object' && !Array.isArray(v) && 'value' in v ? v.value : v;
            const isDefault = v && typeof v === 'object' && 'default' in v ? (v.default ? 'yes' : 'no') : '';
            return h('tr', {}, h('th', { scope: 'row' }, k),
                     h('td', {}, value === null ? '(unset)' : (Array.isArray(value) ? value.join(' ') : String(value))),
                     h('td', {}, isDefault));
        }));
    }

    async test() {
        const n = this.number.value.trim();
        if (!n) {
            this.number.focus();
            return;
        }
        this.testButton.disabled = true;
        this.result.textContent = 'Sending…';
        try {
            const r = await api('send/', { method: 'POST',
                body: { to: n, message: 'Test message from mod_sms. No reply needed.' },
                headers: { 'Idempotency-Key': newIdempotencyKey() } });
            const m = r.body;
            this.result.textContent = `${statusWord(m.status)}: test message ${m.id} to ${formatPhone(m.to)}`
                + (m.error ? ` (${typeof m.error === 'string' ? m.error : m.error.message})` : '');
        }
        catch (e) {
            this.result.textContent = `Failed: ${e.message}`;
        }
        finally {
            this.testButton.disabled = false;
        }
    }
}
