// sms-api.js - how the components talk to mod_sms: same origin, session
// cookie, X-CSRFToken on unsafe methods (fetched once, renewed once on a
// 403 csrf_failed), JSON in and out, the error envelope as an ApiError.
// A 401 fires "sms-unauthenticated" on the document (the staff app sends
// the browser to the login page; a host page may do what it likes).

/** The API root: the folder above ui/ that served this file. */
export const apiBase = new URL('../', import.meta.url).pathname;

export class ApiError extends Error {
    constructor(status, body) {
        const e = (body && body.error) || {};
        super(e.message || `the server answered ${status}`);
        this.status = status;
        this.code = e.code || (status === 0 ? 'network_error' : 'http_' + status);
        this.field = e.field || null;
        this.body = body;
    }
}

let csrfToken = null;
let csrfPending = null;

async function fetchToken() {
    if (!csrfPending) {
        csrfPending = (async () => {
            const res = await fetch(apiBase + 'csrf-token/', {
                credentials: 'same-origin', cache: 'no-store',
            });
            if (res.status === 401) {
                unauthenticated();
            }
            if (!res.ok) {
                throw new ApiError(res.status, await res.json().catch(() => null));
            }
            csrfToken = (await res.json()).csrf_token;
            return csrfToken;
        })().finally(() => { csrfPending = null; });
    }
    return csrfPending;
}

function unauthenticated() {
    document.dispatchEvent(new CustomEvent('sms-unauthenticated'));
}

let who = null;
/**
 * Who the user is and what the site lets them use: GET /me/, asked once
 * per page ({user, can: {family: true|false}}, each answer httpd's own).
 * When it cannot be had (a network error), {user: null, can: null}:
 * nothing is hidden and the server still refuses what it refuses.
 */
export function me() {
    if (!who) {
        who = api('me/').then((r) => ({ user: r.body.user, can: r.body.can || null }),
                              () => ({ user: null, can: null }));
    }
    return who;
}

/** Whether an answer of me() lets the user use a family ("send_bulk"). */
export function allows(m, family) {
    return !m || !m.can || m.can[family] !== false;
}

const DEFAULT_LIMITS = { smart: false, maxParts: 5 };
let limits = null;
/**
 * How this server counts: {smart, maxParts} from GET /settings/
 * (SMSSmartEncoding, SMSMaxParts), asked once, and only when /me/ says the
 * user may read the settings; otherwise the engine's defaults, silently.
 */
export function textLimits() {
    if (!limits) {
        limits = me().then((m) => (!allows(m, 'settings') ? DEFAULT_LIMITS
            : api('settings/').then((r) => {
                const s = (r.body && r.body.settings) || {};
                const v = (k) => (s[k] && typeof s[k] === 'object' ? s[k].value : s[k]);
                return { smart: v('SMSSmartEncoding') === 'On',
                         maxParts: Number(v('SMSMaxParts')) || 5 };
            }, () => DEFAULT_LIMITS)));
    }
    return limits;
}

/** A fresh random Idempotency-Key (one per composed message). */
export function newIdempotencyKey() {
    if (crypto.randomUUID) {
        return crypto.randomUUID();
    }
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Call the API. path is relative to the API root ("messages/?limit=5").
 * Options: method, body (JSON-encoded for you), headers, etag (sent as
 * If-None-Match; a 304 resolves to {notModified: true}).
 * Resolves to {status, body, etag, notModified}; rejects with ApiError.
 */
export async function api(path, opts = {}) {
    const method = opts.method || 'GET';
    const unsafe = !['GET', 'HEAD'].includes(method);
    for (let attempt = 0; ; attempt++) {
        const headers = { Accept: 'application/json', ...(opts.headers || {}) };
        if (opts.body !== undefined) {
            headers['Content-Type'] = 'application/json';
        }
        if (unsafe) {
            headers['X-CSRFToken'] = csrfToken || await fetchToken();
        }
        if (opts.etag) {
            headers['If-None-Match'] = opts.etag;
        }
        let res;
        try {
            res = await fetch(apiBase + path, {
                method, headers, credentials: 'same-origin', cache: 'no-store',
                body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
            });
        }
        catch (e) {
            throw new ApiError(0, { error: { code: 'network_error',
                message: 'The server could not be reached; check the connection and try again.' } });
        }
        if (res.status === 304) {
            return { status: 304, body: null, etag: opts.etag, notModified: true };
        }
        const body = res.status === 204 ? null : await res.json().catch(() => null);
        if (res.status === 401) {
            unauthenticated();
            throw new ApiError(401, body);
        }
        if (res.status === 403 && unsafe && attempt === 0
            && body && body.error && body.error.code === 'csrf_failed') {
            csrfToken = null;       // expired or from another session: renew once
            continue;
        }
        if (!res.ok) {
            throw new ApiError(res.status, body);
        }
        return { status: res.status, body, etag: res.headers.get('ETag'),
                 notModified: false };
    }
}
