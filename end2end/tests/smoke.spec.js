// The page renders on the server, the wasm bundle loads, and the app hydrates. Kept to what
// every version of the app has (the header, an <h1> per page, links to other pages), so it
// does not change when the pages do; page features get their own spec files.

import { test, expect, gotoHydrated } from '../fixtures.js';

/** The first link to another page of the app (not `/` itself, not outside). */
const internalLink = (page) => page.locator('a[href^="/"]:not([href="/"]):not([href^="//"])').first();

test('the home page hydrates without console errors', async ({ page }) => {
  const wasm = page.waitForResponse((r) => r.url().endsWith('/pkg/graft.wasm'));
  const response = await gotoHydrated(page, '/');
  expect(response.status()).toBe(200);
  expect((await wasm).status()).toBe(200);
  await expect(page).toHaveTitle(/Graft/);
  await expect(page.locator('header.top')).toContainText('Graft');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
});

test('after hydration, links navigate in the page (client-side router)', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  const link = internalLink(page);
  const href = await link.getAttribute('href');
  await link.click();
  await expect(page).toHaveURL(href);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  // A full page load would have dropped the flag.
  expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
});

test('without JavaScript the server-rendered pages are complete', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    const response = await page.goto('/');
    expect(response.status()).toBe(200);
    await expect(page.locator('header.top')).toContainText('Graft');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
    // Plain links still work: the next page comes whole from the server.
    const link = internalLink(page);
    const href = await link.getAttribute('href');
    await link.click();
    await expect(page).toHaveURL(href);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  } finally {
    await context.close();
  }
});
