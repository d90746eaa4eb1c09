// The staff UI in a real Chromium against the real httpd running the built
// module (the demo site, started by t/ui/run). Controls are found by the
// accessible names of API.md section 6, as any other test would.
// Tests tagged @browser-only check the browser side alone: make check-ui
// runs them on its first storage driver only (t/ui/run --storage-only on
// the others). Env: SMS_UI_URL, SMS_UI_WEBHOOK_SECRET, SMS_UI_OUT (screenshots),
// SMS_TEST_DATA (t/data).
import { test, expect } from '@playwright/test';
import { readFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const dataDir = process.env.SMS_TEST_DATA || `${here}../data`;
const shots = `${process.env.SMS_UI_OUT || '/tmp/mod_sms-ui'}/screenshots`;
const webhookSecret = process.env.SMS_UI_WEBHOOK_SECRET || '';
mkdirSync(shots, { recursive: true });

/** The staff app, logged in: through the form unless the run's session
 *  (global-setup.mjs) is already there. */
async function login(page) {
    await page.goto('/api/sms/ui/');
    if (/\/login\.html/.test(page.url())) {
        await page.getByLabel('User').fill('demo');
        await page.getByLabel('Password').fill('demo');
        await page.getByRole('button', { name: 'Log in' }).click();
    }
    await expect(page).toHaveURL(/\/api\/sms\/ui\/$/);
    await expect(page.getByRole('navigation')).toBeVisible();
}

const noSession = { cookies: [], origins: [] };

/** Call the API as the logged-in page does (cookie + CSRF token). */
async function apiCall(page, method, path, body) {
    const tok = await (await page.request.get('/api/sms/csrf-token/')).json();
    const res = await page.request.fetch(`/api/sms/${path}`, {
        method, headers: { 'Content-Type': 'application/json', 'X-CSRFToken': tok.csrf_token },
        data: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status(), body: await res.json().catch(() => null) };
}

async function openPatient(page, id) {
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.getByRole('textbox', { name: 'Patient' }).fill(String(id));
    await page.getByRole('button', { name: 'Open' }).click();
    const conv = page.locator('sms-conversation');
    await expect(conv.getByRole('log', { name: 'Conversation' }).getByRole('article').first())
        .toBeVisible();
    return conv;
}

const unique = (what) => `${what} ${Date.now().toString(36)}`;

// first, so the pictures show the demo as a newcomer finds it
test('screenshots: dialog, bulk, settings; light and dark; desktop and 360 px @browser-only', async ({ browser }) => {
    for (const scheme of ['light', 'dark']) {
        for (const [label, viewport] of [['desktop', { width: 1280, height: 860 }],
                                         ['phone', { width: 360, height: 740 }]]) {
            const ctx = await browser.newContext({ colorScheme: scheme, viewport,
                storageState: test.info().project.use.storageState });
            const page = await ctx.newPage();
            await login(page);
            await openPatient(page, 17);
            await page.locator('sms-conversation').getByRole('textbox', { name: 'Message' })
                .fill('Hi Ann, see you Tuesday at 10:30 €');
            // nothing wider than the screen on a phone
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth
                                                      - document.documentElement.clientWidth);
            expect(overflow, `${scheme} ${label}`).toBeLessThanOrEqual(0);
            await page.screenshot({ path: `${shots}/dialog-${scheme}-${label}.png`, fullPage: true });
            await page.getByRole('link', { name: 'Bulk' }).click();
            await page.getByRole('textbox', { name: 'Recipients' }).fill('0412 345 678\n0413 000 111\nnope');
            await page.getByRole('textbox', { name: 'Message' }).fill('The clinic is closed on Friday.');
            await page.getByRole('button', { name: 'Check' }).click();
            await expect(page.getByRole('status', { name: 'Bulk summary' })).toContainText('accepted');
            await page.screenshot({ path: `${shots}/bulk-${scheme}-${label}.png`, fullPage: true });
            await page.getByRole('link', { name: 'Settings' }).click();
            await expect(page.getByRole('table', { name: 'Configuration' })).toContainText('SMSProvider');
            await page.screenshot({ path: `${shots}/settings-${scheme}-${label}.png`, fullPage: true });
            await ctx.close();
        }
    }
});

test.describe('without a session', () => {
test.use({ storageState: noSession });

test('unauthenticated browser is sent to the login page; the form logs in', async ({ page }) => {
    const res = await page.request.get('/api/sms/ui/', { maxRedirects: 0 });
    expect(res.status()).toBe(302);
    expect(res.headers().location).toBe('/login.html');
    await page.goto('/api/sms/ui/');
    await expect(page).toHaveURL(/\/login\.html/);
    await login(page);
    const nav = page.getByRole('navigation');
    for (const name of ['Conversations', 'Bulk', 'History', 'Templates', 'Opt-outs', 'Settings']) {
        await expect(nav.getByRole('link', { name })).toBeVisible();
    }
});

test('roles: reception sees Conversations and Inbox, no Bulk, History or Settings, and no error answer', async ({ page }) => {
    const bad = [];
    page.on('console', (m) => { if (m.type() === 'error') bad.push(`${m.text()} (${m.location().url})`); });
    page.on('response', (r) => { if (r.status() >= 400) bad.push(`${r.status()} ${r.url()}`); });
    const asked = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.goto('/api/sms/ui/');
    await page.getByLabel('User').fill('reception');
    await page.getByLabel('Password').fill('reception');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/api\/sms\/ui\/$/);
    const nav = page.getByRole('navigation');
    await expect(nav.getByRole('link', { name: 'Conversations' })).toBeVisible();
    await expect(nav.getByRole('link', { name: /^Inbox/ })).toBeVisible();
    await expect(nav.getByRole('link')).toHaveText([/^Conversations/, /^Inbox/, /^Templates/, /^Opt-outs/]);
    // templates to read, nothing to change them with; opt-outs to add, none to remove
    await nav.getByRole('link', { name: 'Templates' }).click();
    await expect(page.getByRole('table', { name: 'Templates' }).getByRole('row').nth(1)).toBeVisible();
    await expect(page.getByRole('button', { name: /^(Save|Edit|Delete)/ })).toHaveCount(0);
    expect((await apiCall(page, 'POST', 'optouts/', { number: '0412 000 977' })).status).toBeLessThan(300);
    await nav.getByRole('link', { name: 'Opt-outs' }).click();
    await expect(page.getByRole('table', { name: 'Opt-outs' }).getByText(/0412\s?000\s?977/)).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add' })).toBeVisible();
    await expect(page.getByRole('button', { name: /^Remove/ })).toHaveCount(0);
    // her patient's conversation counts with the defaults, not asking for /settings/
    const conv = await openPatient(page, 17);
    await conv.getByRole('textbox', { name: 'Message' }).fill('Hello');
    await expect(conv.getByRole('status', { name: 'Message length' })).toContainText('5 characters');
    expect(asked.filter((p) => /\/(settings|messages|send-bulk|balance)\//.test(p))).toEqual([]);
    expect(bad).toEqual([]);
});
});

test('the app page has a CSP and the assets an ETag; only this origin is contacted @browser-only', async ({ page }) => {
    const hosts = new Set();
    page.on('request', (r) => hosts.add(new URL(r.url()).host));
    await login(page);
    const res = await page.request.get('/api/sms/ui/');
    expect(res.headers()['content-security-policy']).toContain("script-src 'self'");
    const js = await page.request.get('/api/sms/ui/sms.js');
    const etag = js.headers().etag;
    expect(etag).toBeTruthy();
    expect(js.headers()['cache-control']).toContain('no-cache');
    const again = await page.request.get('/api/sms/ui/sms.js', { headers: { 'If-None-Match': etag } });
    expect(again.status()).toBe(304);
    await openPatient(page, 17);
    expect([...hosts]).toEqual([new URL(page.url()).host]);
});

test('the dialog shows the demo thread: sent right in blue, received left in gray, status on each', async ({ page }) => {
    await login(page);
    const conv = await openPatient(page, 17);
    await expect(conv.getByRole('heading', { name: /Ann Lee/ })).toBeVisible();
    const log = conv.getByRole('log', { name: 'Conversation' });
    const sent = log.getByRole('article').filter({ hasText: 'Bring your orthotics' });
    const received = log.getByRole('article').filter({ hasText: 'Can I park out the front?' });
    await expect(sent).toContainText('Delivered');
    const logBox = await log.boundingBox();
    const s = await sent.boundingBox();
    const r = await received.boundingBox();
    expect(s.x + s.width).toBeGreaterThan(logBox.x + logBox.width - 40);   // right
    expect(r.x).toBeLessThan(logBox.x + 40);                              // left
    expect(s.x).toBeGreaterThan(r.x);
    const rgb = async (loc) => (await loc.evaluate((el) => getComputedStyle(el).backgroundColor))
        .match(/\d+/g).map(Number);
    const [sr, sg, sb] = await rgb(sent);
    expect(sb).toBeGreaterThan(sr + 80);            // blue
    const [rr, rg, rb] = await rgb(received);
    expect(Math.max(rr, rg, rb) - Math.min(rr, rg, rb)).toBeLessThan(20);  // gray
    // phone: every number, the default first chosen, as people write them
    const phone = conv.getByRole('combobox', { name: 'Phone' });
    await expect(phone.locator('option')).toHaveText([
        /^Mobile — 0412 345 678$/, /^Phone — \(02\) 9876 5432\b/,
        /^Emergency contact — 0413 555 010$/]);
    await expect(phone).toHaveValue('61412345678');
    // a message to another number says which
    await expect(log.getByRole('article').filter({ hasText: 'referral' })).toContainText('Phone');
    // a reply says what it means: the demo's "Y" confirms, the question is unclear
    await expect(log.getByRole('article').filter({ has: page.locator('.sms-body', { hasText: /^Y$/ }) }))
        .toContainText('Confirms');
    await expect(received).toContainText('Unclear reply');
});

test('numbers that cannot take an SMS are disabled options that say why', async ({ page }) => {
    await login(page);
    const phones = (await apiCall(page, 'GET', 'patient/17/phones/')).body;
    const list = Array.isArray(phones) ? phones : phones.phones;
    const conv = await openPatient(page, 17);
    const options = conv.getByRole('combobox', { name: 'Phone' }).locator('option');
    await expect(options).toHaveCount(list.length);
    // patient 17's Home number is a Sydney landline: at least one such option
    expect(list.some((p) => p.type === 'fixed_line' && p.sms_capable === false)).toBe(true);
    for (let i = 0; i < list.length; i++) {
        if (list[i].sms_capable === false) {
            await expect(options.nth(i)).toBeDisabled();
            // the type, as /phones/ gives it (issue 13): a landline says so
            await expect(options.nth(i)).toContainText(list[i].type === 'fixed_line'
                ? 'cannot take SMS: landline' : 'cannot take SMS');
        }
        else {
            await expect(options.nth(i)).toBeEnabled();
        }
    }
    // a patient who does not exist: the error, and nothing of the patient
    // before to send to
    await page.getByRole('textbox', { name: 'Patient' }).fill('9999');
    await page.getByRole('button', { name: 'Open' }).click();
    await expect(conv.getByRole('alert')).toContainText('no patient');
    await expect(options).toHaveCount(0);
    await expect(conv.getByRole('button', { name: 'Send' })).toBeDisabled();
    await expect(conv.getByRole('textbox', { name: 'Message' })).toBeDisabled();
});

test('keyboard: Phone, Template, Message, Send in that order; Ctrl+Enter sends; new messages are announced @browser-only', async ({ page }) => {
    await login(page);
    const conv = await openPatient(page, 17);
    const log = conv.getByRole('log', { name: 'Conversation' });
    await expect(log).toHaveAttribute('aria-live', 'polite');
    await conv.getByRole('combobox', { name: 'Phone' }).focus();
    const order = [];
    for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => document.activeElement.labels?.[0]?.textContent
                                             || document.activeElement.textContent));
    }
    expect(order).toEqual(['Template', 'Message', 'Send']);
    await conv.getByRole('textbox', { name: 'Message' }).focus();
    const text = unique('Sent with the keyboard');
    await page.keyboard.type(text);
    await page.keyboard.press('Control+Enter');
    await expect(log.getByRole('article').filter({ hasText: text })).toContainText('Delivered');
});

test('every control of every view has a name; one view at a time @browser-only', async ({ page }) => {
    await login(page);
    for (const view of ['Conversations', 'Inbox', 'Bulk', 'History', 'Templates', 'Opt-outs', 'Settings']) {
        await page.getByRole('link', { name: view }).click();
        await expect(page.getByRole('link', { name: view })).toHaveAttribute('aria-current', 'page');
        await expect(page.getByRole('heading', { level: 1 })).toHaveText(view);   // the others hidden
        if (view === 'Conversations') {
            await openPatient(page, 17);
        }
        const unnamed = await page.evaluate(() => [...document.querySelectorAll(
            'main :is(input, select, textarea, button)')]
            .filter((el) => el.offsetParent !== null)
            .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                              || el.getAttribute('aria-labelledby')
                              || (el.tagName === 'BUTTON' && el.textContent.trim())))
            .map((el) => el.outerHTML.slice(0, 80)));
        expect(unnamed, view).toEqual([]);
    }
});

test('a failed message says why', async ({ page }) => {
    await login(page);
    const conv = await openPatient(page, 17);
    const failed = conv.getByRole('log', { name: 'Conversation' }).getByRole('article')
        .filter({ hasText: 'about your referral' });
    await expect(failed).toContainText('Failed');
    await expect(failed).toContainText('Invalid Number');
});

test('the counter matches POST /preview/ for shared vectors @browser-only', async ({ page }) => {
    const { cases } = JSON.parse(readFileSync(`${dataDir}/text_vectors.json`, 'utf8'));
    const wanted = ['single_space', 'gsm7_160_single', 'gsm7_161_two_segments', 'euro_sign',
                    'emoji_single', 'ucs2_70_single', 'ucs2_71_two_segments'];
    let picked = cases.filter((v) => wanted.includes(v.name));
    // and a spread of others: plain texts the server counts without smart encoding
    picked = picked.concat(cases.filter((v) => v.expect && !v.smart && v.max_parts === 5
        && v.text && !/[\r\x00-\x09\x0b-\x1f]/.test(v.text) && v.text.length < 400)
        .filter((_, i) => i % 37 === 0));
    expect(picked.length).toBeGreaterThan(5);
    await login(page);
    const conv = await openPatient(page, 17);
    const box = conv.getByRole('textbox', { name: 'Message' });
    const counter = conv.getByRole('status', { name: 'Message length' });
    for (const v of picked) {
        await box.fill(v.text);
        const server = (await apiCall(page, 'POST', 'preview/', { message: v.text })).body;
        expect(server.segments, v.name).toBe(v.expect.segments);
        const enc = server.encoding === 'UCS-2' ? 'Unicode' : 'GSM-7';
        const seg = `${server.segments} segment${server.segments === 1 ? '' : 's'}`;
        await expect(counter, v.name).toContainText(`${server.characters} character`);
        await expect(counter, v.name).toContainText(enc);
        await expect(counter, v.name).toContainText(seg);
        await expect(counter, v.name).toContainText(`${server.remaining} left`);
    }
    // past SMSMaxParts: the true count and a warning, and no maxlength
    await box.fill('x'.repeat(153 * 6));
    await expect(counter).toContainText('6 segments');
    await expect(counter).toContainText('Too long');
    expect(await box.getAttribute('maxlength')).toBeNull();
});

test('a template fills the message with the patient\'s name', async ({ page }) => {
    await login(page);
    const name = unique('Orthotics ready');
    const t = await apiCall(page, 'POST', 'templates/',
                            { name, body: 'Hi {first_name}, your orthotics are ready at WalkEasy.' });
    expect(t.status).toBe(201);
    const conv = await openPatient(page, 17);
    await conv.getByRole('combobox', { name: 'Template' }).selectOption({ label: name });
    await expect(conv.getByRole('textbox', { name: 'Message' }))
        .toHaveValue('Hi Ann, your orthotics are ready at WalkEasy.');
    await apiCall(page, 'DELETE', `templates/${t.body.id}/`);
});

test('send: the bubble appears and turns Delivered; one Idempotency-Key per message, a double click sends once', async ({ page }) => {
    await login(page);
    const conv = await openPatient(page, 17);
    const keys = [];
    page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().includes('/patient/17/send')) {
            keys.push(r.headers()['idempotency-key']);
        }
    });
    const text = unique('See you at 10:30');
    await conv.getByRole('textbox', { name: 'Message' }).fill(text);
    await conv.getByRole('button', { name: 'Send' }).dblclick();
    const bubble = conv.getByRole('log', { name: 'Conversation' }).getByRole('article')
        .filter({ hasText: text });
    await expect(bubble).toHaveCount(1);
    await expect(bubble).toContainText('Delivered');
    await expect(conv.getByRole('textbox', { name: 'Message' })).toHaveValue('');
    const text2 = unique('Second message');
    await conv.getByRole('textbox', { name: 'Message' }).fill(text2);
    await conv.getByRole('button', { name: 'Send' }).click();
    await expect(conv.getByRole('article').filter({ hasText: text2 })).toContainText('Delivered');
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(keys.every(Boolean)).toBe(true);
    expect(new Set(keys).size).toBe(2);      // a double click reuses its key
    const stored = (await apiCall(page, 'GET', 'messages/?patient_id=17&limit=50')).body.messages
        .filter((m) => m.body === text);
    expect(stored).toHaveLength(1);
});

test('an inbound reply appears within one poll, without a reload, with since and If-None-Match', async ({ page }) => {
    test.skip(!webhookSecret, 'SMS_UI_WEBHOOK_SECRET is not set');
    await login(page);
    const conv = await openPatient(page, 17);
    const polls = [];
    page.on('request', (r) => {
        if (r.url().includes('/patient/17/conversation/')) {
            polls.push({ url: r.url(), inm: r.headers()['if-none-match'] });
        }
    });
    // polls every 10 s by default; this test waits one 2 s poll instead
    expect(await conv.evaluate((el) => el.pollMs)).toBe(10_000);
    await conv.evaluate((el) => { el.setAttribute('poll-seconds', '2'); el.startPolling(); });
    const reply = unique('Running 5 minutes late');
    const q = new URLSearchParams({ secret: webhookSecret, to: 'WalkEasy', from: '61412345678',
                                    message: reply });
    const hook = await page.request.get(`/api/sms/webhook/inbound/?${q}`);
    expect(hook.status()).toBe(200);
    const bubble = conv.getByRole('log', { name: 'Conversation' }).getByRole('article')
        .filter({ hasText: reply });
    await expect(bubble).toBeVisible({ timeout: 3_500 });   // one poll and some slack
    expect(await bubble.getAttribute('class')).toContain('sms-in');
    expect(polls.some((p) => p.url.includes('since=') && p.inm)).toBe(true);
    // no re-render: the older bubbles are the same elements
    const first = conv.getByRole('article').first();
    await first.evaluate((el) => { el.dataset.marker = 'kept'; });
    await conv.getByRole('button', { name: 'Refresh' }).click();
    await expect(first).toHaveAttribute('data-marker', 'kept');
});

test('inbox: the unread badge, the Replies table, mark read/unread, a row opens the conversation, which marks what it shows read', async ({ page }) => {
    test.skip(!webhookSecret, 'SMS_UI_WEBHOOK_SECRET is not set');
    await login(page);
    // a reminder to Bob (18) and his unclear answer, through the webhook
    const sent = await apiCall(page, 'POST', 'patient/18/send/', { message: unique('Bob, see you Friday 9:00?') });
    expect(sent.status).toBe(201);
    const text = unique('Can we make it 10 instead');
    const q = new URLSearchParams({ secret: webhookSecret, to: 'WalkEasy', from: '61413000111',
                                    message: text, ref: String(sent.body.id) });
    const hook = await (await page.request.get(`/api/sms/webhook/inbound/?${q}`)).json();
    expect(hook.intent).toBe('unclear');
    const counts = async () => (await apiCall(page, 'GET', 'inbox/counts')).body;
    const before = await counts();
    expect(before.unread).toBeGreaterThan(0);
    // the navigation link keeps its name; its badge and description give the count
    await login(page);
    const link = page.getByRole('link', { name: 'Inbox', exact: true });
    await expect(link.locator('.sms-badge')).toHaveText(String(before.unread));
    await expect(link).toHaveAccessibleDescription(new RegExp(`^${before.unread} unread repl`));
    await link.click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Inbox');
    const table = page.getByRole('table', { name: 'Replies' });
    await expect(table.getByRole('columnheader')).toHaveText(
        ['Patient', 'Number', 'Reply', 'Intent', 'Replied to', 'Received', 'Read']);
    const row = table.getByRole('row').filter({ hasText: text });
    await expect(row).toContainText('Bob Ng');
    await expect(row).toContainText('0413 000 111');
    await expect(row).toContainText('Unclear');
    await expect(row).toContainText('Bob, see you Friday');
    await expect(row).toContainText('Unread');
    await page.screenshot({ path: `${shots}/inbox-light-desktop.png`, fullPage: true });
    // mark read: the row says who, the server agrees, the badge counts one fewer
    await row.getByRole('button', { name: 'Mark read' }).click();
    await expect(row).toContainText('Read by demo');
    await expect(link.locator('.sms-badge')).toHaveText(String(before.unread - 1));
    let item = (await apiCall(page, 'GET', 'inbox/?state=all&limit=20')).body.replies
        .find((r) => r.id === hook.id);
    expect(item.read_by).toBe('demo');
    // a read reply leaves "Unread" and "Unclear"; "All" still has it
    const show = page.getByRole('combobox', { name: 'Show' });
    await show.selectOption('unclear');
    await expect(table).not.toContainText(text);
    await show.selectOption('all');
    await expect(row).toContainText('Read by demo');
    await row.getByRole('button', { name: 'Mark unread' }).click();
    await expect(row.getByRole('button', { name: 'Mark read' })).toBeVisible();
    await expect(link.locator('.sms-badge')).toHaveText(String(before.unread));
    await show.selectOption('unclear');
    await expect(row).toContainText('Unread');
    // a click on the row opens Bob's conversation; the unread bubble is
    // marked, and marked read once shown
    await row.getByRole('cell', { name: text }).click();
    await expect(page).toHaveURL(/#conversations\/18$/);
    const bubble = page.locator('sms-conversation').getByRole('log', { name: 'Conversation' })
        .getByRole('article').filter({ hasText: text });
    await expect(bubble).toBeVisible();
    await expect(bubble).toHaveAttribute('data-unread', /.+/);
    await expect(bubble).toContainText(/Unread|New/);
    await expect(bubble).toHaveAttribute('data-unread', 'read');
    await expect(bubble).toContainText('New');
    item = (await apiCall(page, 'GET', 'inbox/?state=all&limit=20')).body.replies
        .find((r) => r.id === hook.id);
    expect(item.read_by).toBe('demo');
    await expect(link.locator('.sms-badge')).toHaveText(String(before.unread - 1));
});

test('polling pauses while the tab is hidden and catches up when it is shown again @browser-only', async ({ page }) => {
    await login(page);
    const conv = await openPatient(page, 17);
    let polls = 0;
    page.on('request', (r) => { if (r.url().includes('/patient/17/conversation/')) polls++; });
    // poll every second for this test, then hide the tab
    await conv.evaluate((el) => { el.setAttribute('poll-seconds', '1'); el.startPolling(); });
    await expect.poll(() => polls, { timeout: 3_000 }).toBeGreaterThan(0);
    await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.waitForTimeout(300);
    const hiddenAt = polls;
    await page.waitForTimeout(2_500);
    expect(polls).toBe(hiddenAt);
    await page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
    });
    await expect.poll(() => polls, { timeout: 1_000 }).toBeGreaterThan(hiddenAt);
});

test('a send refused by the server shows its reason inline', async ({ page }) => {
    await login(page);
    await apiCall(page, 'POST', 'optouts/', { number: '0413 555 010' });
    const conv = await openPatient(page, 17);
    await conv.getByRole('combobox', { name: 'Phone' }).selectOption('61413555010');
    await conv.getByRole('textbox', { name: 'Message' }).fill('Hello from the clinic');
    await conv.getByRole('button', { name: 'Send' }).click();
    await expect(conv.getByRole('alert')).toContainText('opted out');
    await apiCall(page, 'DELETE', 'optouts/61413555010/');
});

test('bulk: 50 numbers with 3 invalid; Check shows the rejects, then progress to done', async ({ page }) => {
    await login(page);
    await page.getByRole('link', { name: 'Bulk' }).click();
    const lines = ['to,first_name'];
    for (let i = 0; i < 47; i++) {
        lines.push(`04${String(20000000 + i * 7919).padStart(8, '0')},Pat${i}`);
    }
    lines.push('0412 34X 678,Bad1', '12,Bad2', 'not a number,Bad3');
    await page.getByRole('textbox', { name: 'Recipients' }).fill(lines.join('\n'));
    await page.getByRole('textbox', { name: 'Message' }).fill(unique('Clinic closed Friday'));
    await page.getByRole('button', { name: 'Check' }).click();
    const summary = page.getByRole('status', { name: 'Bulk summary' });
    await expect(summary).toContainText('47 accepted');
    await expect(summary).toContainText('3 rejected');
    await expect(page.getByRole('table', { name: 'Rejected recipients' }).getByRole('row')).toHaveCount(4);
    // the check stored nothing
    const before = (await apiCall(page, 'GET', 'messages/?limit=1')).body.messages[0].id;
    await page.getByRole('button', { name: 'Send to all' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm bulk send' });
    await expect(dialog).toBeVisible();
    await page.screenshot({ path: `${shots}/bulk-confirm.png` });
    await dialog.getByRole('button', { name: 'Send now' }).click();
    const bar = page.getByRole('progressbar', { name: 'Batch progress' });
    await expect(bar).toBeVisible();
    await expect(page.getByText(/47 of 47 final/)).toBeVisible({ timeout: 20_000 });
    expect(await bar.evaluate((el) => el.value)).toBe(47);
    const after = (await apiCall(page, 'GET', 'messages/?limit=1')).body.messages[0].id;
    expect(after - before).toBe(47);
});

test('bulk: an uploaded CSV fills a template per row', async ({ page }) => {
    await login(page);
    const name = unique('Bulk recall');
    const t = await apiCall(page, 'POST', 'templates/',
                            { name, body: 'Hi {first_name}, your {item} is ready.' });
    expect(t.status).toBe(201);
    await page.getByRole('link', { name: 'Bulk' }).click();
    await page.getByLabel('Upload CSV').setInputFiles({
        name: 'recall.csv', mimeType: 'text/csv',
        buffer: Buffer.from('to,first_name,item\n0412 345 678,Ann,orthotic\n'
                            + '0413 000 111,Bob,insole\n0413 000 222,Cy,\n'),
    });
    await expect(page.getByRole('textbox', { name: 'Recipients' })).toHaveValue(/0413 000 111,Bob/);
    await page.getByRole('combobox', { name: 'Template' }).selectOption({ label: name });
    await page.getByRole('button', { name: 'Check' }).click();
    const summary = page.getByRole('status', { name: 'Bulk summary' });
    await expect(summary).toContainText('2 accepted');
    await expect(summary).toContainText('1 rejected');     // Cy has no {item}
    await expect(page.getByRole('table', { name: 'Rejected recipients' })).toContainText('item');
    await apiCall(page, 'DELETE', `templates/${t.body.id}/`);
});

test.describe('in Sydney', () => {
test.use({ timezoneId: 'Australia/Sydney' });

test('history: the filters and paging; dates are the clinic\'s days', async ({ page }) => {
    await login(page);
    // a reminder to Bob (18) that he confirms with "Y", through the webhook
    const reminder = unique('Bob, history reminder. Reply Y or N');
    if (webhookSecret) {
        const sent = await apiCall(page, 'POST', 'patient/18/send/', { message: reminder });
        expect(sent.status).toBe(201);
        const q = new URLSearchParams({ secret: webhookSecret, to: 'WalkEasy', from: '61413000111',
                                        message: 'Y', ref: String(sent.body.id) });
        expect((await page.request.get(`/api/sms/webhook/inbound/?${q}`)).status()).toBe(200);
    }
    await page.getByRole('link', { name: 'History' }).click();
    const table = page.getByRole('table', { name: 'Messages' });
    for (const col of ['To', 'Patient', 'Message', 'Status', 'Sent']) {
        await expect(table.getByRole('columnheader', { name: col })).toBeVisible();
    }
    await expect(table.getByRole('row')).toHaveCount(21);   // header + a page of 20
    await page.getByRole('combobox', { name: 'Status' }).selectOption('failed');
    await expect(table.getByRole('row').nth(1)).toContainText('Failed');
    const rows = table.getByRole('row');
    const n = await rows.count();
    for (let i = 1; i < n; i++) {
        await expect(rows.nth(i)).toContainText('Failed');
    }
    await page.getByRole('combobox', { name: 'Status' }).selectOption('');
    const firstPage = await table.getByRole('row').nth(1).textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect(table.getByRole('row').nth(1)).not.toHaveText(firstPage);
    // a message's status events
    await table.getByRole('row').nth(1).getByRole('button').click();
    await expect(page.getByRole('list', { name: 'Status history' })).toContainText('Queued');
    // number and patient: every row is theirs
    const filter = page.getByRole('button', { name: 'Filter' });
    const everyRow = async (column, text) => {
        await expect(rows.nth(1).getByRole('cell').nth(column)).toContainText(text);
        for (let i = 1; i < await rows.count(); i++) {
            await expect(rows.nth(i).getByRole('cell').nth(column)).toContainText(text);
        }
    };
    await page.getByLabel('Phone number').fill('0413 000 111');
    await filter.click();
    await everyRow(0, '0413 000 111');
    await page.getByLabel('Phone number').fill('');
    await page.getByLabel('Patient id').fill('18');
    await filter.click();
    await everyRow(1, '18');
    if (webhookSecret) {
        // the latest reply's intent, beside the status, as the conversation says it
        await expect(rows.filter({ hasText: reminder }).getByRole('cell').nth(3)).toContainText('Confirms');
    }
    await page.getByLabel('Patient id').fill('');
    // From and Until are local days: 2 March 2027 in Sydney (AEDT, UTC+11)
    // is 13:00 UTC on the 1st to 13:00 UTC on the 2nd
    const asked = page.waitForRequest((r) => r.url().includes('/messages/?') && r.url().includes('since='));
    await page.getByLabel('From').fill('2027-03-02');
    await page.getByLabel('Until').fill('2027-03-02');
    await filter.click();
    const q = new URL((await asked).url()).searchParams;
    expect([q.get('since'), q.get('until')]).toEqual(['2027-03-01T13:00:00Z', '2027-03-02T13:00:00Z']);
    await expect(table).toContainText('No messages match');
    // a refused filter shows why, and no rows of the filter before
    await page.getByLabel('From').fill('');
    await page.getByLabel('Until').fill('');
    await page.getByLabel('Phone number').fill('garbage');
    await filter.click();
    await expect(page.locator('sms-history').getByRole('alert')).toContainText('letter');
    await expect(rows).toHaveCount(1);
});
});

test('templates: create, edit, delete', async ({ page }) => {
    await login(page);
    await page.getByRole('link', { name: 'Templates' }).click();
    const name = unique('Reminder');
    await page.getByRole('textbox', { name: 'Name' }).fill(name);
    await page.getByRole('textbox', { name: 'Body' }).fill('Hi {first_name}, see you {date}.');
    await page.getByRole('button', { name: 'Save' }).click();
    const table = page.getByRole('table', { name: 'Templates' });
    const row = table.getByRole('row').filter({ hasText: name });
    await expect(row).toContainText('{first_name} {date}');
    await row.getByRole('button', { name: `Edit ${name}` }).click();
    await page.getByRole('textbox', { name: 'Body' }).fill('Hi {first_name}, see you on {date} at {time}.');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(row).toContainText('{time}');
    await row.getByRole('button', { name: `Delete ${name}` }).click();
    await row.getByRole('button', { name: `Confirm delete ${name}` }).click();
    await expect(table.getByRole('row').filter({ hasText: name })).toHaveCount(0);
});

test('opt-outs: add and remove', async ({ page }) => {
    await login(page);
    await page.getByRole('link', { name: 'Opt-outs' }).click();
    await page.getByRole('textbox', { name: 'Number' }).fill('0499 000 321');
    await page.getByRole('button', { name: 'Add' }).click();
    const table = page.getByRole('table', { name: 'Opt-outs' });
    const row = table.getByRole('row').filter({ hasText: '0499 000 321' });
    await expect(row).toHaveCount(1);
    await row.getByRole('button', { name: 'Remove 0499 000 321' }).click();
    await expect(row).toHaveCount(0);
});

test('settings: provider, balance, configuration without secrets, test SMS', async ({ page }) => {
    await login(page);
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByText('sandbox').first()).toBeVisible();
    await expect(page.getByText(/Balance:/)).toBeVisible();
    // the queue depth from health: the logged-in page gets health's details
    await expect(page.getByText(/OK · \d+ waiting/)).toBeVisible();
    // the demo sets no SMSSendWindow: messages go at any time
    await expect(page.getByRole('definition').filter({ hasText: 'any time' })).toBeVisible();
    // the module's version, configure.ac's (GET /settings/ "version")
    await expect(page.getByRole('definition').filter({ hasText: /^mod_sms \d+\.\d+\.\d+/ })).toBeVisible();
    const config = page.getByRole('table', { name: 'Configuration' });
    await expect(config.getByRole('row').filter({ hasText: 'SMSSendWindow' })).toContainText('(unset)');
    await expect(config.getByRole('row').filter({ hasText: 'SMSWebhookSecret' })).toContainText('set');
    await expect(config).not.toContainText(webhookSecret || 'no-secret-given');
    await page.getByRole('textbox', { name: 'Test number' }).fill('0412 345 678');
    await page.getByRole('button', { name: 'Send test SMS' }).click();
    await expect(page.getByRole('status', { name: 'Test result' })).toContainText(/Sent|Delivered/);
    await page.getByRole('textbox', { name: 'Test number' }).fill('0412 34');
    await page.getByRole('button', { name: 'Send test SMS' }).click();
    await expect(page.getByRole('status', { name: 'Test result' })).toContainText('Failed');
});

test('a 401 from the API sends the app to the login page', async ({ page }) => {
    await login(page);
    await openPatient(page, 17);
    await page.context().clearCookies();
    await page.locator('sms-conversation').getByRole('button', { name: 'Refresh' }).click();
    await expect(page).toHaveURL(/\/login\.html/);
});

test('the CSRF token is fetched, and renewed once on a 403 csrf_failed @browser-only', async ({ page }) => {
    await login(page);
    const conv = await openPatient(page, 17);
    let tokenFetches = 0;
    let failedOnce = false;
    page.on('request', (r) => { if (r.url().includes('/csrf-token/')) tokenFetches++; });
    // the first send carries a stale token: the server answers 403 csrf_failed
    await page.route('**/api/sms/patient/17/send/', async (route) => {
        if (!failedOnce) {
            failedOnce = true;
            await route.fulfill({ status: 403, contentType: 'application/json',
                body: JSON.stringify({ error: { code: 'csrf_failed', message: 'stale', field: null } }) });
            return;
        }
        await route.continue();
    });
    const text = unique('After a token renewal');
    await conv.getByRole('textbox', { name: 'Message' }).fill(text);
    await conv.getByRole('button', { name: 'Send' }).click();
    await expect(conv.getByRole('article').filter({ hasText: text })).toContainText('Delivered');
    expect(failedOnce).toBe(true);
    expect(tokenFetches).toBeGreaterThanOrEqual(1);
});

test('a long thread opens on its newest 50; scrolling up loads older pages in place, each message once; polls stay since', async ({ page }) => {
    test.skip(!webhookSecret, 'SMS_UI_WEBHOOK_SECRET is not set');
    test.setTimeout(60_000);
    await login(page);
    // Zoë (19): 120 messages, sent and received in turn
    const tag = Date.now().toString(36);
    const names = [];
    for (let i = 1; i <= 120; i++) {
        const body = `Page ${tag} ${String(i).padStart(3, '0')}`;
        names.push(body);
        if (i % 2) {
            expect((await apiCall(page, 'POST', 'patient/19/send/', { message: body })).status)
                .toBeLessThan(300);
        }
        else {
            const q = new URLSearchParams({ secret: webhookSecret, to: 'WalkEasy',
                                            from: '61414222333', message: body });
            expect((await page.request.get(`/api/sms/webhook/inbound/?${q}`)).status()).toBe(200);
        }
    }
    const urls = [];
    page.on('request', (r) => {
        if (r.url().includes('/patient/19/conversation/')) {
            urls.push(r.url());
        }
    });
    const conv = await openPatient(page, 19);
    const log = conv.getByRole('log', { name: 'Conversation' });
    const articles = log.getByRole('article');
    const bodies = async () => (await log.locator('.sms-body').allTextContents())
        .filter((t) => t.startsWith(`Page ${tag}`));
    await expect(articles).toHaveCount(50);
    expect(await bodies()).toEqual(names.slice(70));
    // to the top: the next 50 arrive above, and the bubble that was at the
    // top stays where it was on the screen
    const topOf = (text) => log.locator('article', { hasText: text }).evaluate(
        (el) => el.getBoundingClientRect().top);
    const before = await log.evaluate((el, text) => {
        el.scrollTop = 0;
        const a = [...el.querySelectorAll('article')].find((x) => x.textContent.includes(text));
        return a.getBoundingClientRect().top;
    }, names[70]);
    await expect(articles).toHaveCount(100);
    expect(Math.abs((await topOf(names[70])) - before)).toBeLessThanOrEqual(1);
    expect(await log.evaluate((el) => el.scrollTop)).toBeGreaterThan(100);
    expect(await bodies()).toEqual(names.slice(20));
    // once more: the oldest 20, then nothing further is asked for
    await log.evaluate((el) => { el.scrollTop = 0; });
    await expect(articles).toHaveCount(120);
    expect(await bodies()).toEqual(names);
    const pages = urls.filter((u) => u.includes('before=')).length;
    expect(pages).toBe(2);
    await log.evaluate((el) => { el.scrollTop = 0; el.dispatchEvent(new Event('scroll')); });
    await page.waitForTimeout(300);
    expect(urls.filter((u) => u.includes('before=')).length).toBe(pages);
    // polling with since is unchanged: a new reply arrives at the bottom
    await conv.evaluate((el) => { el.setAttribute('poll-seconds', '1'); el.startPolling(); });
    const reply = `Page ${tag} reply`;
    const q = new URLSearchParams({ secret: webhookSecret, to: 'WalkEasy', from: '61414222333',
                                    message: reply });
    expect((await page.request.get(`/api/sms/webhook/inbound/?${q}`)).status()).toBe(200);
    await expect(articles).toHaveCount(121, { timeout: 3_500 });
    expect(await bodies()).toEqual([...names, reply]);
    const polls = urls.filter((u) => u.includes('since='));
    expect(polls.length).toBeGreaterThan(0);
    expect(polls.every((u) => !u.includes('before=') && !u.includes('limit='))).toBe(true);
});
