// What every test file imports instead of '@playwright/test':
//
//   import { test, expect, gotoHydrated } from '../fixtures.js';
//
// - `baseURL` is the server global-setup.js started, so `page.goto('/p/demo-apples')` works.
// - `consoleErrors`: the console errors and uncaught exceptions of `page` so far (the
//   browser's own /favicon.ico 404 left out). Every test fails if the page logged any, unless
//   the file or test says `test.use({ allowConsoleErrors: true })`.
// - `gotoHydrated(page, url)`: goes to `url` and waits until the app is hydrated (clicks
//   before that are lost).

import { test as base, expect } from '@playwright/test';
import { ACCOUNTS } from './server.js';

/** The attribute frontend/src/lib.rs sets on <html> once hydration is done. */
export const HYDRATED = 'html[data-hydrated="true"]';

export const test = base.extend({
  baseURL: async ({}, use) => {
    if (!process.env.GRAFT_URL) throw new Error('GRAFT_URL is not set: run the tests with `npx playwright test` (global-setup.js starts the server)');
    await use(process.env.GRAFT_URL);
  },
  allowConsoleErrors: [false, { option: true }],
  // Who the test is logged in as before it starts (`null`: anonymous). `test.use({ user })`.
  user: ['admin', { option: true }],
  _login: [
    async ({ page, user, baseURL }, use) => {
      if (user) await logIn(page, user, baseURL);
      await use();
    },
    { auto: true },
  ],
  consoleErrors: async ({ page }, use) => {
    const errors = [];
    page.on('console', (msg) => {
      // The browser asks for /favicon.ico on its own; the app has none yet (a 404 there is not
      // the page's error).
      if (msg.type() === 'error' && !msg.location().url.endsWith('/favicon.ico')) errors.push(`console.error: ${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
    await use(errors);
  },
  _checkConsole: [
    async ({ consoleErrors, allowConsoleErrors }, use) => {
      await use();
      if (!allowConsoleErrors) expect(consoleErrors, 'console errors on the page').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Logs `page`'s browser context in as `name` (one of server.js's ACCOUNTS) through the API. */
export async function logIn(page, name, baseURL) {
  const account = ACCOUNTS.find(([n]) => n === name);
  if (!account) throw new Error(`no test account ${name}`);
  const res = await page.request.post(`${baseURL || ''}/api/login`, { data: { name, password: account[2] } });
  if (!res.ok()) throw new Error(`login as ${name}: ${res.status()} ${await res.text()}`);
}

/** Goes to `url` (relative to the server) and waits for the hydration marker. */
export async function gotoHydrated(page, url, { timeout = 30_000 } = {}) {
  const response = await page.goto(url);
  await page.locator(HYDRATED).waitFor({ state: 'attached', timeout });
  return response;
}

/** Makes one variant of the first demo problem (a one-round job) and opens its page. */
export async function openNewVariant(page) {
  await gotoHydrated(page, '/');
  await page.getByRole('link', { name: 'demo', exact: true }).click();
  await page.locator('table.problems tbody tr a').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Problem #');
  await page.locator('section.generate input[name="rounds"]').fill('1');
  await page.locator('section.generate input[name="seed"]').fill(String(Date.now() % 100000));
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.locator('ul.jobs li.job').first()).toHaveClass(/done/, { timeout: 30_000 });
  await page.reload();
  await page.locator(HYDRATED).waitFor({ state: 'attached' });
  await page.locator('table.variants tbody tr a').last().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Variant #');
  await page.locator(HYDRATED).waitFor({ state: 'attached' });
}
