// Issue #13, point 5 in a real browser: solutions stored through the REST API show on the
// dataset page's Evaluation section as an SVG line chart of accuracy by depth (a line per
// model, a point per depth with its tooltip, a legend) and a table by round and kind; a
// dataset with no solutions says how to get some.

import { test, expect, gotoHydrated } from '../fixtures.js';

const row = (q, a) => JSON.stringify({ question: q, answer: a });
const ROWS = [
  row('Ann has 3 boxes of 4 apples and eats 2. How many apples are left?',
    'Ann has 3 * 4 = <<3*4=12>>12 apples.\nShe has 12 - 2 = <<12-2=10>>10 left.\n#### 10'),
  row('Tom buys 5 pens at $2 each and a book for $7. How much does he spend?',
    'The pens cost 5 * 2 = <<5*2=10>>10 dollars.\nHe spends 10 + 7 = <<10+7=17>>17 dollars.\n#### 17'),
].join('\n') + '\n';

/** As the admin (the page's login): a private dataset of its own; with `rounds`, a curriculum
 * job's variants (one chain per problem). Its id and variants `{id, depth, answer}`. */
async function makeDataset(page, baseURL, rounds) {
  const name = `eval-${Date.now()}-${Math.floor(Math.random() * 1000)}`;
  let res = await page.request.post(`${baseURL}/api/datasets?name=${name}`, { data: ROWS, headers: { 'content-type': 'text/plain' } });
  expect(res.status()).toBe(201);
  const id = (await res.json()).dataset_id;
  if (!rounds) return { id, variants: [] };
  res = await page.request.post(`${baseURL}/api/jobs`, { data: { dataset_id: id, rounds, per_problem: 1, seed: 11 } });
  expect(res.status()).toBe(201);
  const job = (await res.json()).id;
  await expect.poll(async () => (await (await page.request.get(`${baseURL}/api/jobs/${job}`)).json()).state).toBe('done');
  const dataset = await (await page.request.get(`${baseURL}/api/datasets/${id}`)).json();
  const variants = [];
  for (const p of dataset.problems) {
    const problem = await (await page.request.get(`${baseURL}/api/problems/${p.id}`)).json();
    variants.push(...problem.variants.map((v) => ({ id: v.id, depth: v.depth, answer: v.answer })));
  }
  return { id, variants };
}

async function solve(page, baseURL, variant, model, solution) {
  const res = await page.request.post(`${baseURL}/api/variants/${variant}/solutions`, { data: { model, solution } });
  expect(res.status(), await res.text()).toBe(201);
}

test('stored solutions draw a line per model with a point per depth, tooltips, legend and table', async ({ page, baseURL }) => {
  const { id, variants } = await makeDataset(page, baseURL, 2);
  expect(variants.length).toBeGreaterThanOrEqual(2);
  // "alpha": every variant right once and wrong once; "beta": right on the first variant only.
  for (const v of variants) {
    await solve(page, baseURL, v.id, 'alpha', `So the answer is ${v.answer}.\n#### ${v.answer}`);
    await solve(page, baseURL, v.id, 'alpha', '#### -1');
  }
  await solve(page, baseURL, variants[0].id, 'beta', `#### ${variants[0].answer}`);

  const report = await (await page.request.get(`${baseURL}/api/datasets/${id}/eval`)).json();
  expect(report.models.map((m) => m.model)).toEqual(['alpha', 'beta']);
  const alphaDepths = report.models[0].by_depth.map((d) => d.depth);

  await gotoHydrated(page, `/d/${id}`);
  const section = page.locator('section.evaluation');
  await expect(section.getByRole('heading', { name: 'Evaluation' })).toBeVisible();
  const chart = section.locator('svg.eval-chart');
  await expect(chart).toBeVisible();
  await expect(chart.locator('polyline.eval-line')).toHaveCount(2);
  const alpha = chart.locator('g.eval-series[data-model="alpha"]');
  await expect(alpha.locator('g.eval-point circle')).toHaveCount(alphaDepths.length);
  await expect(chart.locator('g.eval-series[data-model="beta"] g.eval-point circle')).toHaveCount(1);
  // Each point's tooltip: model, depth, k/n, accuracy and the interval.
  const first = alpha.locator('g.eval-point').first();
  const depth = alphaDepths[0];
  const n = report.models[0].by_depth[0].n;
  await expect(first.locator('title')).toHaveText(
    new RegExp(`^alpha, depth ${depth}: ${n / 2}/${n} \\(50\\.0%, 95% CI \\d+\\.\\d–\\d+\\.\\d%\\)$`));
  // An error bar per point, distinct colours, a legend, axis labels and ticks.
  await expect(alpha.locator('line.ci')).toHaveCount(3 * alphaDepths.length);
  const colours = await chart.locator('polyline.eval-line').evaluateAll((ls) => ls.map((l) => l.getAttribute('stroke')));
  expect(new Set(colours).size).toBe(2);
  await expect(chart.locator('.legend')).toContainText('alpha');
  await expect(chart.locator('.legend')).toContainText('beta');
  await expect(chart.locator('text.axis-label')).toHaveText(['depth', 'accuracy']);
  await expect(chart.locator('text.tick', { hasText: '100%' })).toHaveCount(1);
  // The table: by round and by kind, pass@k for alpha's two samples a variant.
  const table = section.locator('table.eval-table');
  await expect(table.locator('tr.by-round').first()).toContainText('round 1');
  await expect(table.locator('tr.by-kind').first()).toContainText('kind:');
  await expect(table.locator('tr.pass-at-k')).toHaveCount(1);
  await expect(table.locator('tr.pass-at-k')).toContainText('pass@2 100.0%');
});

test('a dataset with no solutions says so and points at the solve form', async ({ page, baseURL }) => {
  const { id } = await makeDataset(page, baseURL, 0);
  await gotoHydrated(page, `/d/${id}`);
  const empty = page.locator('section.evaluation .eval-empty');
  await expect(empty).toContainText('No model solutions are stored');
  await expect(empty).toContainText('Solve with the model');
  await expect(page.locator('section.evaluation svg.eval-chart')).toHaveCount(0);
});
