// <sms-app>: the staff app at /api/sms/ui/. A navigation bar and one view
// at a time (Conversations, Inbox, Bulk, History, Templates, Opt-outs,
// Settings; Inbox with its unread count),
// chosen by the address's #fragment so Back and bookmarks work.
// Attribute login-url: where a 401 sends the browser (default: reload
// this page, which the site's authentication turns into its login page).
import { h } from './sms-format.js';
import { InboxBadge } from './sms-inbox.js';

const VIEWS = [
    ['conversations', 'Conversations', 'sms-conversations'],
    ['inbox', 'Inbox', 'sms-inbox'],
    ['bulk', 'Bulk', 'sms-bulk'],
    ['history', 'History', 'sms-history'],
    ['templates', 'Templates', 'sms-templates'],
    ['optouts', 'Opt-outs', 'sms-optouts'],
    ['settings', 'Settings', 'sms-settings'],
];

export class SmsApp extends HTMLElement {
    connectedCallback() {
        if (this.built) {
            return;
        }
        this.built = true;
        this.classList.add('sms-app');
        this.links = new Map();
        this.views = new Map();
        const nav = h('nav', { 'aria-label': 'SMS', class: 'sms-nav' },
            h('ul', {}, VIEWS.map(([id, name]) => {
                const a = h('a', { href: `#${id}` }, name);
                if (id === 'inbox') {
                    new InboxBadge(a).start();
                }
                this.links.set(id, a);
                return h('li', {}, a);
            })));
        this.main = h('main', { id: 'sms-main', class: 'sms-main', tabindex: '-1' });
        const skip = h('a', { href: '#sms-main', class: 'sms-skip',
                              onclick: (e) => { e.preventDefault(); this.main.focus(); } },
                       'Skip to content');
        const header = h('header', { class: 'sms-topbar' },
            h('span', { class: 'sms-brand' }, 'SMS'), nav);
        this.replaceChildren(skip, header, this.main);
        window.addEventListener('hashchange', () => this.route(true));
        document.addEventListener('sms-unauthenticated', () => this.toLogin());
        this.route(false);
    }

    toLogin() {
        if (this.leaving) {
            return;
        }
        this.leaving = true;
        const url = this.getAttribute('login-url');
        if (url) {
            const u = new URL(url, location.href);
            u.searchParams.set('next', location.pathname + location.search + location.hash);
            location.assign(u.href);
        }
        else {
            location.reload();
        }
    }

    route(focus) {
        const [id, ...rest] = (location.hash.slice(1) || 'conversations').split('/');
        const view = VIEWS.find((v) => v[0] === id) || VIEWS[0];
        for (const [vid, a] of this.links) {
            if (vid === view[0]) {
                a.setAttribute('aria-current', 'page');
            }
            else {
                a.removeAttribute('aria-current');
            }
        }
        let el = this.views.get(view[0]);
        if (!el) {
            el = document.createElement(view[2]);
            this.views.set(view[0], el);
            this.main.append(el);
        }
        for (const [vid, v] of this.views) {
            v.hidden = vid !== view[0];
            if (typeof v.shown === 'function' && vid === view[0]) {
                v.shown(rest.join('/'));
            }
            else if (typeof v.hiddenView === 'function' && vid !== view[0]) {
                v.hiddenView();
            }
        }
        document.title = `${view[1]} · SMS`;
        if (focus) {
            const heading = el.querySelector('h1, h2');
            (heading || this.main).setAttribute('tabindex', '-1');
            (heading || this.main).focus({ preventScroll: false });
        }
    }
}
