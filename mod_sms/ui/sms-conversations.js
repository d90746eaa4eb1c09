// <sms-conversations>: the staff app's Conversations view: a patient id,
// Open, and that patient's <sms-conversation>. #conversations/17 opens 17.
import { h, nextId } from './sms-format.js';

export class SmsConversations extends HTMLElement {
    connectedCallback() {
        if (this.built) {
            return;
        }
        this.built = true;
        const id = nextId('sms-patient');
        this.input = h('input', { id, name: 'patient', inputmode: 'numeric',
                                  autocomplete: 'off', required: true,
                                  placeholder: 'e.g. 17' });
        this.conv = h('sms-conversation', { hidden: true });   // until a patient is chosen
        this.append(
            h('h1', {}, 'Conversations'),
            h('form', { class: 'sms-inline-form', role: 'search', 'aria-label': 'Open a patient',
                        onsubmit: (e) => { e.preventDefault(); this.open(); } },
              h('div', { class: 'sms-field' }, h('label', { for: id }, 'Patient'), this.input),
              h('button', { type: 'submit', class: 'sms-primary' }, 'Open')),
            this.conv);
    }

    open() {
        const v = this.input.value.trim();
        if (!v) {
            this.input.focus();
            return;
        }
        if (location.hash !== `#conversations/${encodeURIComponent(v)}`) {
            location.hash = `#conversations/${encodeURIComponent(v)}`;
        }
        else {
            this.conv.hidden = false;
            this.conv.setAttribute('patient-id', v);
        }
    }

    /** Called by <sms-app> when this view is shown; rest is "17" or "". */
    shown(rest) {
        const v = decodeURIComponent(rest || '');
        if (v) {
            this.input.value = v;
            this.conv.hidden = false;
            if (this.conv.getAttribute('patient-id') !== v) {
                this.conv.setAttribute('patient-id', v);
            }
            else if (this.conv.startPolling) {
                this.conv.visibilityChanged();
            }
        }
    }

    hiddenView() {
        if (this.conv.stopPolling) {
            this.conv.stopPolling();
        }
    }
}
