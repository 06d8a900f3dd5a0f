// A problem with more variants than a page holds shows them a page at a time: the first 100
// with the total, and a pager whose links read the next window in place (`?offset=`), in the
// browser after hydration, for the problem's page and its share link alike.

import { test, expect, gotoHydrated } from '../fixtures.js';

const ROW = JSON.stringify({
  question: 'Ann has 3 boxes of 4 apples and eats 2. How many apples are left?',
  answer: 'Ann has 3 * 4 = <<3*4=12>>12 apples.\nShe has 12 - 2 = <<12-2=10>>10 left.\n#### 10',
}) + '\n';

test('a problem with over a page of variants pages through them', async ({ page, baseURL }) => {
  // As the admin (the page's login): one problem, a job of 30 chains of 4 rounds.
  const name = `pages-${Date.now()}-${Math.floor(Math.random() * 1000)}`;
  let res = await page.request.post(`${baseURL}/api/datasets?name=${name}`, { data: ROW, headers: { 'content-type': 'text/plain' } });
  expect(res.status()).toBe(201);
  const id = (await res.json()).dataset_id;
  res = await page.request.post(`${baseURL}/api/jobs`, { data: { dataset_id: id, rounds: 4, per_problem: 30, seed: 5 } });
  expect(res.status()).toBe(201);
  const job = (await res.json()).id;
  await expect.poll(async () => (await (await page.request.get(`${baseURL}/api/jobs/${job}`)).json()).state, { timeout: 60_000 }).toBe('done');
  const pid = (await (await page.request.get(`${baseURL}/api/datasets/${id}`)).json()).problems[0].id;
  const problem = await (await page.request.get(`${baseURL}/api/problems/${pid}`)).json();
  const total = problem.variants_total;
  expect(total).toBeGreaterThan(100);
  expect(problem.variants.length).toBe(100);
  const rest = await (await page.request.get(`${baseURL}/api/problems/${pid}/variants?offset=100`)).json();
  expect(rest.variants.length).toBe(total - 100);

  for (const [url, link] of [[`/p/${pid}`, `/v/${rest.variants[0].id}`], [`/s/${problem.share_token}`, `/s/${rest.variants[0].share_token}`]]) {
    await gotoHydrated(page, url);
    const section = page.locator('section.variants');
    await expect(section.getByRole('heading', { name: `Variants (${total})` })).toBeVisible();
    await expect(section.locator('tbody tr')).toHaveCount(100);
    const pager = section.locator('p.pager');
    await expect(pager).toContainText(`variants 1–100 of ${total}`);
    await expect(pager.getByRole('link', { name: '← previous' })).toHaveCount(0);
    await pager.getByRole('link', { name: 'next →' }).click();
    await expect(page).toHaveURL(/\?offset=100$/);
    await expect(section.locator('tbody tr')).toHaveCount(total - 100);
    await expect(pager).toContainText(`variants 101–${total} of ${total}`);
    await expect(section.locator('tbody tr').first().locator('a')).toHaveAttribute('href', link);
    await expect(pager.getByRole('link', { name: 'next →' })).toHaveCount(0);
    // The problem's workbench stays as it was: only the list was read again.
    await expect(page.locator('.workbench')).toBeVisible();
    await pager.getByRole('link', { name: '← previous' }).click();
    await expect(section.locator('tbody tr')).toHaveCount(100);
  }
});
