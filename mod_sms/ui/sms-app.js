// <sms-app>: the staff app at /api/sms/ui/. A navigation bar and one view
// at a time (Conversations, Inbox, Bulk, History, Templates, Opt-outs,
// Settings; Inbox with its unread count),
// chosen by the address's #fragment so Back and bookmarks work. Only the
// views the user may use are there: GET /me/ is asked once at start, and a
// view whose family it refuses has no link and cannot be opened (its
// address shows the first view instead).
// Attribute login-url: where a 401 sends the browser (default: reload
// this page, which the site's authentication turns into its login page).
import { allows, me } from './sms-api.js';
import { h } from './sms-format.js';
import { InboxBadge } from './sms-inbox.js';

// [fragment, link text, element, the family of GET /me/ it needs]
const VIEWS = [
    ['conversations', 'Conversations', 'sms-conversations', 'patients'],
    ['inbox', 'Inbox', 'sms-inbox', 'inbox'],
    ['bulk', 'Bulk', 'sms-bulk', 'send_bulk'],
    ['history', 'History', 'sms-history', 'messages'],
    ['templates', 'Templates', 'sms-templates', 'templates'],
    ['optouts', 'Opt-outs', 'sms-optouts', 'optouts'],
    ['settings', 'Settings', 'sms-settings', 'settings'],
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
        this.shownViews = [];
        this.nav = h('nav', { 'aria-label': 'SMS', class: 'sms-nav' });
        this.main = h('main', { id: 'sms-main', class: 'sms-main', tabindex: '-1' });
        const skip = h('a', { href: '#sms-main', class: 'sms-skip',
                              onclick: (e) => { e.preventDefault(); this.main.focus(); } },
                       'Skip to content');
        const header = h('header', { class: 'sms-topbar' },
            h('span', { class: 'sms-brand' }, 'SMS'), this.nav);
        this.replaceChildren(skip, header, this.main);
        window.addEventListener('hashchange', () => this.route(true));
        document.addEventListener('sms-unauthenticated', () => this.toLogin());
        me().then((m) => this.start(m));
    }

    start(m) {
        this.shownViews = VIEWS.filter((v) => allows(m, v[3]));
        this.nav.replaceChildren(h('ul', {}, this.shownViews.map(([id, name]) => {
            const a = h('a', { href: `#${id}` }, name);
            if (id === 'inbox') {
                new InboxBadge(a).start();
            }
            this.links.set(id, a);
            return h('li', {}, a);
        })));
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
        const view = this.shownViews.find((v) => v[0] === id) || this.shownViews[0];
        if (!view) {
            return; // before /me/ answered, or a user the site lets use no view
        }
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
