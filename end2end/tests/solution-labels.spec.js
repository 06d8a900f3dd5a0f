// Issue #13 in a real browser: a model's stored solution enters the label queue with its
// automatic labels as suggestions; `a` accepts them all, any step can then be changed, and
// the admin's report compares the automatic labels with the person's.

import { test, expect, gotoHydrated, logIn } from '../fixtures.js';

const ROW = JSON.stringify({
  question: 'Ann has 3 boxes of 4 apples and eats 2. How many apples are left?',
  answer: 'Ann has 3 * 4 = <<3*4=12>>12 apples.\nShe has 12 - 2 = <<12-2=10>>10 left.\n#### 10',
}) + '\n';

test("a model's solution is labelled from its suggestions with one key, then corrected; the report compares", async ({ page, browser, baseURL }) => {
  const name = `solution-labels-${Date.now()}-${Math.floor(Math.random() * 1000)}`;
  let res = await page.request.post(`${baseURL}/api/datasets?name=${name}`, { data: ROW, headers: { 'content-type': 'text/plain' } });
  expect(res.status()).toBe(201);
  const id = (await res.json()).dataset_id;
  res = await page.request.post(`${baseURL}/api/jobs`, { data: { dataset_id: id, rounds: 1, per_problem: 1, seed: 5 } });
  expect(res.status()).toBe(201);
  const job = (await res.json()).id;
  await expect.poll(async () => (await (await page.request.get(`${baseURL}/api/jobs/${job}`)).json()).state).toBe('done');
  res = await page.request.post(`${baseURL}/api/datasets/${id}/settings`, { data: { public: false, guidelines: '', overlap: 1, gold_percent: 0 } });
  expect(res.status()).toBe(200);
  const variants = await (await page.request.get(`${baseURL}/api/datasets/${id}/variants`)).json();
  const variant = variants.items[0].id;
  // A slip in the first line: the automatic labeler marks it −1.
  res = await page.request.post(`${baseURL}/api/variants/${variant}/solutions`, {
    data: { model: 'tiny-model', solution: 'First, 3 + 4 = 8.\nThen 8 * 2 = 16.\n#### 16' },
  });
  expect(res.status()).toBe(201);
  const stored = await res.json();
  const suggested = stored.steps.map((s) => s.rating);
  expect(suggested[0]).toBe(-1);

  const context = await browser.newContext({ baseURL });
  const ann = await context.newPage();
  await logIn(ann, 'ann1', baseURL);
  await gotoHydrated(ann, `/d/${id}/label`);
  const item = ann.locator('article.label-item');
  await expect(item.locator('.solution-head .model')).toHaveText('tiny-model');
  const steps = item.locator('li.step');
  await expect(steps).toHaveCount(suggested.length);
  await expect(item.locator('.suggestion')).toHaveCount(suggested.length);
  await expect(steps.first().locator('.suggestion')).toHaveAttribute('data-suggested', '-1');
  await expect(steps.first()).toHaveAttribute('data-rating', 'unrated');

  // `a` takes every suggestion.
  await ann.keyboard.press('a');
  const word = { 1: 'good', 0: 'neutral', '-1': 'bad' };
  for (let i = 0; i < suggested.length; i++) {
    await expect(steps.nth(i)).toHaveAttribute('data-rating', word[suggested[i]]);
  }
  // Then the person changes the first step to neutral (the cursor is on it).
  await ann.keyboard.press('0');
  await expect(steps.first()).toHaveAttribute('data-rating', 'neutral');
  // What the server holds is what the screen shows.
  await expect.poll(async () => {
    const t = await (await ann.request.get(`/api/datasets/${id}/labels/next`)).json();
    return JSON.stringify(t.task?.ratings);
  }).toBe(JSON.stringify([0, ...suggested.slice(1)]));
  const labelled = (await (await ann.request.get(`/api/datasets/${id}/labels/next`)).json()).task.item_id;
  await ann.keyboard.press('Enter');
  // (The labeling is finished once the server offers another item, or none: closing the
  // context before the submission landed lost it now and then.)
  await expect.poll(async () => {
    const t = await (await ann.request.get(`/api/datasets/${id}/labels/next`)).json();
    return t.task?.item_id !== labelled;
  }).toBe(true);
  await context.close();

  // The admin's report: the person's first error is not the automatic one (step 1).
  await gotoHydrated(page, `/d/${id}`);
  const auto = page.locator('section.annotation .report .automatic-agreement');
  await expect(auto).toContainText('Over 1 finished labelings of 1 model solutions');
  await expect(auto.locator('.first-error-accuracy')).toHaveText('0 of 1');
});
