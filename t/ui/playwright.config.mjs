// Playwright for the mod_sms staff UI: Debian's chromium (never a
// downloaded browser), one worker (the tests share one demo site and go
// in order), against the URL t/ui/run started (SMS_UI_URL).
import { defineConfig } from '@playwright/test';

const out = process.env.SMS_UI_OUT || '/tmp/mod_sms-ui';

export default defineConfig({
    testDir: '.',
    // one login through the form for the whole run (global-setup.mjs);
    // the login and 401 tests start without it
    globalSetup: './global-setup.mjs',
    testMatch: /.*\.spec\.mjs$/,
    outputDir: `${out}/test-results`,
    timeout: 30_000,
    expect: { timeout: 5_000 },
    fullyParallel: false,
    workers: 1,
    retries: 0,
    reporter: [['list']],
    use: {
        baseURL: process.env.SMS_UI_URL || 'http://127.0.0.1:8080',
        browserName: 'chromium',
        launchOptions: {
            executablePath: process.env.SMS_CHROMIUM || '/usr/bin/chromium',
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
                   '--no-first-run', '--disable-background-networking',
                   '--disable-component-update', '--disable-sync'],
        },
        viewport: { width: 1280, height: 860 },
        storageState: `${out}/session.json`,
        trace: 'off',
        screenshot: 'only-on-failure',
    },
});
