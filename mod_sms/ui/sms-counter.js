// <sms-counter>: the live "Message length" status under a message box.
// Counts in the browser with the JavaScript port of the text engine, so
// typing costs no request. Attributes: max-parts (default 5), smart
// (present when the server runs SMSSmartEncoding On), label.
import { analyse, encodingLabel } from './sms-text.js';
import { textLimits } from './sms-api.js';

export class SmsCounter extends HTMLElement {
    connectedCallback() {
        if (!this.hasAttribute('role')) {
            this.setAttribute('role', 'status');
        }
        if (!this.hasAttribute('aria-label')) {
            this.setAttribute('aria-label', this.getAttribute('label') || 'Message length');
        }
        this.classList.add('sms-counter');
        if (!this.result) {
            this.update('');
        }
        // count as this server does (unless the page said so itself)
        if (!this.hasAttribute('max-parts') && !this.asked) {
            this.asked = true;
            textLimits().then((l) => {
                if (l.smart) {
                    this.setAttribute('smart', '');
                }
                this.setAttribute('max-parts', String(l.maxParts));
                this.update(this.text || '');
            });
        }
    }

    get maxParts() {
        return Number(this.getAttribute('max-parts')) || 5;
    }

    /** Recount for text; returns the analysis (or null when invalid). */
    update(text) {
        this.text = text;
        let r = null;
        let why = null;
        try {
            r = analyse(text, { smart: this.hasAttribute('smart'),
                                maxParts: this.maxParts });
        }
        catch (e) {
            why = e.message;
        }
        this.result = r;
        this.classList.toggle('sms-over', !!r && !r.within_limit);
        this.classList.toggle('sms-invalid', !r);
        if (!r) {
            this.textContent = `This text cannot be sent: ${why}`;
            return null;
        }
        const seg = `${r.segments} segment${r.segments === 1 ? '' : 's'}`;
        let msg = `${r.characters} character${r.characters === 1 ? '' : 's'}`
            + ` · ${encodingLabel(r.encoding)} · ${seg}`
            + ` · ${r.remaining} left in this segment`;
        if (!r.within_limit) {
            msg += ` · Too long: at most ${r.max_parts} segment`
                + `${r.max_parts === 1 ? '' : 's'} may be sent`;
        }
        this.textContent = msg;
        return r;
    }
}
