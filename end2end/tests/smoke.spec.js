// The page renders on the server, the wasm bundle loads, and the app hydrates.

import { test, expect, gotoHydrated } from '../fixtures.js';

test('the problem list hydrates without console errors', async ({ page }) => {
  const wasm = page.waitForResponse((r) => r.url().endsWith('/pkg/graft.wasm'));
  const response = await gotoHydrated(page, '/');
  expect(response.status()).toBe(200);
  expect((await wasm).status()).toBe(200);
  await expect(page).toHaveTitle('Graft');
  await expect(page.getByRole('heading', { level: 1, name: 'Problems' })).toBeVisible();
  await expect(page.locator('li.problem').first()).toBeVisible();
});

test('after hydration, links navigate in the page (client-side router)', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  const link = page.locator('li.problem a').first();
  const id = (await link.textContent()).trim();
  await link.click();
  await expect(page).toHaveURL(`/p/${id}`);
  await expect(page.getByRole('heading', { level: 1, name: id })).toBeVisible();
  await expect(page.locator('figure.graph svg')).toBeVisible();
  // A full page load would have dropped the flag.
  expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
});

test('without JavaScript the server-rendered pages are complete', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1, name: 'Problems' })).toBeVisible();
    const rows = page.locator('li.problem');
    expect(await rows.count()).toBeGreaterThan(0);
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
    await rows.first().locator('a').click();
    await expect(page.locator('figure.graph svg')).toBeVisible();
    await expect(page.locator('dl.metrics')).toContainText('answer');
  } finally {
    await context.close();
  }
});
