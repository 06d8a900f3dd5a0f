// A loop count read from an input is structural (issue #15): the workbench says so, and
// "Set and save" has the server read the program again; the new variant's lineage says that
// the program was read again, and its loop is unrolled to the new count.

import { test, expect, gotoHydrated } from '../fixtures.js';

const ROW = {
  question: 'Tom saves 15 dollars a week for 12 weeks. How much does he save?',
  code: 'def solution():\n    weekly = 15\n    weeks = 12\n    total = 0\n    for week in range(weeks):\n        total += weekly\n    return total\n',
};

test('a loop count is set on the server, which reads the program again', async ({ page, baseURL }) => {
  const name = `loops-${Date.now()}`;
  const made = await page.request.post(`${baseURL}/api/datasets?name=${name}`, {
    data: JSON.stringify(ROW),
    headers: { 'content-type': 'text/plain' },
  });
  expect(made.status(), await made.text()).toBe(201);
  const id = (await made.json()).dataset_id;
  const list = await (await page.request.get(`${baseURL}/api/datasets/${id}?limit=1`)).json();
  const pid = list.problems[0].id;

  await gotoHydrated(page, `/p/${pid}`);
  const weeks = page.locator('svg.graph g.node[aria-label="weeks = 12"]');
  await weeks.click();
  await expect(page.locator('p.structural')).toContainText('range()');
  // A constant of the ordinary kind offers no form; this one offers "Set and save".
  const field = page.locator('form.set-structural input[name="value"]');
  await field.fill('20');
  await page.locator('form.set-structural button[type="submit"]').click();

  await expect(page).toHaveURL(/\/v\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Variant #');
  await expect(page.locator('body')).toContainText('the program is read again');
  await expect(page.locator('svg.graph g.node[aria-label="weeks = 20"]')).toHaveCount(1);
  await expect(page.locator('svg.graph g.node[aria-label="total_21 = 300"]')).toHaveCount(1);
});
