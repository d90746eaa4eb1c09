// sms.js - the mod_sms browser components, as one ES module to import:
//   <script type="module" src="/api/sms/ui/sms.js"></script>
// Defines <sms-conversation>, <sms-counter> and the staff app's elements,
// and adds sms.css to the page once (no shadow roots: the page's own
// styles and assistive technology see the elements as they are).
import { SmsCounter } from './sms-counter.js';
import { SmsConversation } from './sms-conversation.js';
import { SmsConversations } from './sms-conversations.js';
import { SmsBulk } from './sms-bulk.js';
import { SmsHistory } from './sms-history.js';
import { SmsTemplates } from './sms-templates.js';
import { SmsOptouts } from './sms-optouts.js';
import { SmsSettings } from './sms-settings.js';
import { SmsInbox } from './sms-inbox.js';
import { SmsApp } from './sms-app.js';

const css = new URL('./sms.css', import.meta.url).href;
if (![...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === css)) {
    document.head.append(Object.assign(document.createElement('link'),
                                       { rel: 'stylesheet', href: css }));
}

const elements = {
    'sms-counter': SmsCounter,
    'sms-conversation': SmsConversation,
    'sms-conversations': SmsConversations,
    'sms-bulk': SmsBulk,
    'sms-history': SmsHistory,
    'sms-templates': SmsTemplates,
    'sms-optouts': SmsOptouts,
    'sms-settings': SmsSettings,
    'sms-inbox': SmsInbox,
    'sms-app': SmsApp,
};
for (const [name, cls] of Object.entries(elements)) {
    if (!customElements.get(name)) {
        customElements.define(name, cls);
    }
}

export { analyse } from './sms-text.js';
export { SmsCounter, SmsConversation, SmsApp };
