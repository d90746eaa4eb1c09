// Log in once through the real form and keep the session for the tests
// that do not test the login itself (t/ui/playwright.config.mjs).
import { chromium } from '@playwright/test';

export default async function globalSetup(config) {
    const { baseURL, launchOptions } = config.projects[0].use;
    const state = config.projects[0].use.storageState;
    const browser = await chromium.launch(launchOptions);
    const page = await browser.newPage({ baseURL });
    await page.goto('/api/sms/ui/');
    await page.waitForURL(/\/login\.html/);
    await page.getByLabel('User').fill('demo');
    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/api\/sms\/ui\/$/);
    await page.context().storageState({ path: state });
    await browser.close();
}
