// Issue #5 in a real browser: an annotator labels a variant's steps with the keyboard only and
// sees the progress bar move; an admin sees agreement and gold accuracy; a reviewer accepts
// and rejects from the review queue by key.

import { test, expect, gotoHydrated, logIn } from '../fixtures.js';

const row = (q, a) => JSON.stringify({ question: q, answer: a });
const ROWS = [
  row('Ann has 3 boxes of 4 apples and eats 2. How many apples are left?',
    'Ann has 3 * 4 = <<3*4=12>>12 apples.\nShe has 12 - 2 = <<12-2=10>>10 left.\n#### 10'),
  row('Tom buys 5 pens at $2 each and a book for $7. How much does he spend?',
    'The pens cost 5 * 2 = <<5*2=10>>10 dollars.\nHe spends 10 + 7 = <<10+7=17>>17 dollars.\n#### 17'),
].join('\n') + '\n';

/** As the admin (the page's login): a private dataset of its own with two variants. */
async function makeDataset(page, baseURL, settings) {
  const name = `annotate-${Date.now()}-${Math.floor(Math.random() * 1000)}`;
  let res = await page.request.post(`${baseURL}/api/datasets?name=${name}`, { data: ROWS, headers: { 'content-type': 'text/plain' } });
  expect(res.status()).toBe(201);
  const id = (await res.json()).dataset_id;
  res = await page.request.post(`${baseURL}/api/jobs`, { data: { dataset_id: id, rounds: 1, per_problem: 1, seed: 3 } });
  expect(res.status()).toBe(201);
  const job = (await res.json()).id;
  await expect.poll(async () => (await (await page.request.get(`${baseURL}/api/jobs/${job}`)).json()).state).toBe('done');
  res = await page.request.post(`${baseURL}/api/datasets/${id}/settings`, { data: settings });
  expect(res.status()).toBe(200);
  return { id, name };
}

test('an annotator labels steps with the keyboard only and the progress bar moves; the admin sees agreement and gold accuracy', async ({ page, browser, baseURL }) => {
  const { id } = await makeDataset(page, baseURL, { public: false, guidelines: 'Rate each step by its value.', overlap: 2, gold_percent: 25 });

  // The annotator, in a browser of their own.
  const context = await browser.newContext({ baseURL });
  const ann = await context.newPage();
  await logIn(ann, 'ann1', baseURL);
  await gotoHydrated(ann, `/d/${id}/label`);
  await expect(ann.locator('aside.guidelines')).toContainText('Rate each step by its value.');
  await expect(ann.locator('.progress-text')).toHaveText(/^0 of [1-9]\d* done$/);
  const total = Number((await ann.locator('.progress-text').textContent()).match(/of (\d+)/)[1]);
  expect(total).toBeGreaterThanOrEqual(3); // two variants and a gold question

  let done = 0;
  for (let round = 0; round < total; round++) {
    const item = ann.locator('article.label-item');
    await expect(item).toBeVisible();
    const steps = item.locator('li.step');
    const n = await steps.count();
    expect(n).toBeGreaterThan(0);
    if (round === 0) {
      // +1 on every step (each press moves down), then back up and clear the last one.
      for (let i = 0; i < n; i++) await ann.keyboard.press('1');
      await expect(steps.first()).toHaveAttribute('data-rating', 'good');
      await expect(steps.nth(n - 1)).toHaveAttribute('data-rating', 'good');
      await ann.keyboard.press('Backspace');
      await expect(steps.nth(n - 1)).toHaveAttribute('data-rating', 'unrated');
      await ann.keyboard.press('k');
      await ann.keyboard.press('2');
      await expect(steps.nth(Math.max(n - 2, 0))).toHaveAttribute('data-rating', 'bad');
      // `x` flags the item; the note is saved with Enter in its field.
      await ann.keyboard.press('x');
      await expect(item.locator('.badge.flagged')).toBeVisible();
      await item.locator('input[name="flag_note"]').fill('the numbers look odd');
      await item.locator('input[name="flag_note"]').press('Enter');
      await item.locator('h2').click();
    } else {
      // First-error mode on the last step: earlier steps +1, that one −1.
      for (let i = 0; i < n; i++) await ann.keyboard.press('ArrowDown');
      await ann.keyboard.press('f');
      await expect(steps.nth(n - 1)).toHaveAttribute('data-rating', 'bad');
      if (n > 1) await expect(steps.first()).toHaveAttribute('data-rating', 'good');
    }
    await ann.keyboard.press('Enter');
    done += 1;
    if (done < total) {
      await expect(ann.locator('.progress-text')).toHaveText(`${done} of ${total} done`);
      await expect(ann.locator('.label-progress progress')).toHaveAttribute('value', String(done));
    }
  }
  await expect(ann.locator('.queue-empty')).toBeVisible();
  await expect(ann.locator('.progress-text')).toHaveText(`${total} of ${total} done`);

  // A second annotator (through the API) so that agreement is defined.
  const ctx2 = await browser.newContext({ baseURL });
  const ann2 = await ctx2.newPage();
  await logIn(ann2, 'ann2', baseURL);
  for (let i = 0; i < 20; i++) {
    const q = await (await ann2.request.get(`/api/datasets/${id}/labels/next`)).json();
    if (!q.task) break;
    expect(q.task.ratings.every((r) => r === null)).toBe(true); // blind to ann1's labels
    const last = q.task.steps.length - 1;
    await ann2.request.post(`/api/label-items/${q.task.item_id}`, { data: { action: 'first_error', step: last } });
    await ann2.request.post(`/api/label-items/${q.task.item_id}`, { data: { action: 'finish', reason: 'found_error' } });
  }
  await context.close();
  await ctx2.close();

  // The admin's dataset page: agreement and each annotator's gold accuracy.
  await gotoHydrated(page, `/d/${id}`);
  const report = page.locator('section.annotation .report');
  await expect(report.locator('.agreement .method')).toHaveText("Cohen's kappa");
  await expect(report.locator('.agreement')).toContainText('step ratings');
  const rows = report.locator('table.annotators tr.annotator');
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: 'ann1' }).locator('.gold-accuracy')).toHaveText(/^\d+% \(\d of \d\)$/);
  await expect(rows.filter({ hasText: 'ann2' }).locator('.gold-accuracy')).toHaveText(/^\d+% \(\d of \d\)$/);
  await expect(rows.filter({ hasText: 'ann1' }).locator('progress')).toHaveAttribute('value', String(total));
  await expect(rows.filter({ hasText: 'ann1' }).locator('td').nth(3)).toHaveText('1');
  await expect(rows.filter({ hasText: 'ann2' }).locator('td').nth(3)).toHaveText('0');
});

test('a reviewer accepts and rejects from the queue by key; an edit that contradicts the graph is refused', async ({ page, browser, baseURL }) => {
  const { id } = await makeDataset(page, baseURL, { public: false, guidelines: 'Reject anything unclear.', overlap: 1, gold_percent: 0 });
  const context = await browser.newContext({ baseURL });
  const rev = await context.newPage();
  await logIn(rev, 'ann1', baseURL);
  await gotoHydrated(rev, `/d/${id}/review`);
  await expect(rev.locator('aside.guidelines')).toContainText('Reject anything unclear.');
  await expect(rev.locator('.queue-counts .matching')).toHaveText('2 matching');

  // `e` edits; a text that drops the numbers fails the consistency check and is not saved.
  await rev.keyboard.press('e');
  await rev.locator('textarea.edit-text').fill('Someone has some apples. How many are left?');
  await rev.keyboard.press('Control+Enter');
  await expect(rev.locator('.complaints')).toBeVisible();
  await rev.keyboard.press('Escape');

  const first = await rev.locator('article.review-item').getAttribute('data-variant');
  await rev.keyboard.press('a');
  await expect(rev.locator('article.review-item')).not.toHaveAttribute('data-variant', first);
  await expect(rev.locator('.queue-counts .matching')).toHaveText('1 matching');
  await rev.keyboard.press('r');
  await rev.keyboard.press('2');
  await rev.keyboard.press('Enter');
  await expect(rev.locator('.queue-empty')).toBeVisible();
  await expect(rev.locator('.queue-counts .unreviewed')).toHaveText('0 unreviewed');

  const accepted = await (await rev.request.get(`/api/datasets/${id}/review?status=accepted`)).json();
  expect(accepted.matching).toBe(1);
  const rejected = await (await rev.request.get(`/api/datasets/${id}/review?status=rejected`)).json();
  expect(rejected.item.reason).toBe('text does not match the graph');
  await context.close();
});

test.describe('logged out', () => {
  test.use({ user: null });

  test('the login form refuses a wrong password without saying which part was wrong, then logs in', async ({ page }) => {
    await gotoHydrated(page, '/');
    await expect(page.locator('header .login-link')).toBeVisible();
    // Logged out, the demo is readable but offers no write controls.
    await page.getByRole('link', { name: 'demo', exact: true }).click();
    await expect(page.locator('.write-hint')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Generate' })).toHaveCount(0);
    await page.locator('header .login-link').click();
    await expect(page).toHaveURL(/\/login/);
    await page.locator('input[name="name"]').fill('ann1');
    await page.locator('input[name="password"]').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.locator('.login-error')).toHaveText('wrong name or password');
    await page.locator('input[name="password"]').fill('password-123');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.locator('header .account .who')).toContainText('ann1');
    await expect(page.locator('header .account .who')).toContainText('annotator');
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page.locator('header .login-link')).toBeVisible();
  });
});
