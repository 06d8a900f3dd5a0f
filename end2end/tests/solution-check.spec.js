// Issue #13, automatic step labels in the browser: the variant page scores a pasted model
// solution against the variant's answer and labels each step (+1 / 0 / −1 with its reason),
// with the engine in wasm and no request.

import { test, expect, gotoHydrated, openNewVariant } from '../fixtures.js';

test('a pasted solution is scored and labelled in the browser', async ({ page }) => {
  await openNewVariant(page);

  // The variant's answer, as the lineage line shows it ("answer 10 → 12").
  const answer = (await page.locator('section.lineage b').first().textContent()).trim();
  const check = page.locator('section.solution-check');
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith('data:')) requests.push(r.url()); });

  // A slip in the first step, the right final answer: correct, first error at step 1.
  await check.locator('textarea[name="model-solution"]').fill(`First, 2 + 2 = 5.\nSo it comes out right.\n#### ${answer}`);
  await expect(check.locator('p.solution-score')).toContainText('correct');
  await expect(check.locator('p.solution-score')).toContainText('first error at step 1');
  const steps = check.locator('ol.auto-labels li');
  await expect(steps).toHaveCount(2);
  await expect(steps.nth(0)).toHaveClass(/minus/);
  await expect(steps.nth(0).locator('.reason')).toContainText('wrong arithmetic');
  await expect(steps.nth(1)).toHaveClass(/zero/);

  // Another number at the end: wrong.
  await check.locator('textarea[name="model-solution"]').fill(`The answer is ${Number(answer) + 1}.`);
  await expect(check.locator('p.solution-score')).toContainText('wrong');
  expect(requests).toEqual([]);
});

test.describe('solve jobs', () => {
  // The refusal is a 400 answer, which the browser logs as a failed resource load.
  test.use({ allowConsoleErrors: true });

  test('the dataset page offers a solve job and says when the server has no model', async ({ page }) => {
    await gotoHydrated(page, '/');
    await page.getByRole('link', { name: 'demo', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('demo');
    await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
    const form = page.locator('form.solve');
    await form.locator('input[name="samples"]').fill('2');
    await form.getByRole('button', { name: 'Solve with the model' }).click();
    // The test server has no model: the refusal says what to do.
    await expect(page.locator('section.generate p.error')).toContainText('a solve job needs a model');
  });
});
