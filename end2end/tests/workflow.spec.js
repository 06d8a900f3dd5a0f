// The issue #3 workflow in a real browser: dataset → problem → intervene (preview computed in
// the browser, no request) → save a variant → its share link in a fresh context, with and
// without JavaScript; imports (malformed and partly good); jobs; the new-problem editor.

import { test, expect, gotoHydrated } from '../fixtures.js';

/** Requests the page makes to our server from now on (not data: URLs). */
function watchRequests(page) {
  const seen = [];
  const onRequest = (r) => {
    if (!r.url().startsWith('data:')) seen.push(`${r.method()} ${r.url()}`);
  };
  page.on('request', onRequest);
  return { seen, stop: () => page.off('request', onRequest) };
}

async function openFirstDemoProblem(page) {
  await gotoHydrated(page, '/');
  await page.getByRole('link', { name: 'demo', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('demo');
  await page.locator('table.problems tbody tr a').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Problem #');
  await expect(page.locator('svg.graph g.node').first()).toBeVisible();
}

test('intervene in the browser with no request, save a variant, share it', async ({ page, browser, baseURL }) => {
  await openFirstDemoProblem(page);
  const answerBefore = (await page.locator('dd.answer-value').textContent()).trim();

  // Pick the first input node and raise its value by 5.
  const input = page.locator('svg.graph g.node.input').first();
  await input.click();
  const field = page.locator('form.set-value input[name="value"]');
  await expect(field).toBeVisible();
  const old = Number(await field.inputValue());
  const requests = watchRequests(page);
  await field.fill(String(old + 5));
  await page.locator('form.set-value button[type="submit"]').click();

  // The preview: the node shows old → new, the summary shows the new answer.
  await expect(input).toHaveClass(/changed/);
  await expect(input.locator('text.value')).toHaveText(`${old} → ${old + 5}`);
  await expect(page.locator('dd.answer-value')).toContainText('→');
  await expect(page.locator('section.stack ol.ops li')).toHaveCount(1);
  await expect(page.locator('mark.num.changed').first()).toBeVisible();
  requests.stop();
  expect(requests.seen, 'the preview must not call the server').toEqual([]);

  // Undo and redo with the keyboard-free buttons: the stack shrinks and grows.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(page.locator('section.stack ol.ops li')).toHaveCount(0);
  await expect(page.locator('dd.answer-value')).toHaveText(answerBefore);
  await field.fill(String(old + 5));
  await page.locator('form.set-value button[type="submit"]').click();
  await expect(page.locator('section.stack ol.ops li')).toHaveCount(1);

  // Save: the variant page shows its lineage and the side-by-side diff.
  await page.getByRole('button', { name: 'Save as variant' }).click();
  await expect(page).toHaveURL(/\/v\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Variant #');
  await expect(page.locator('section.lineage')).toContainText('Made from problem #');
  await expect(page.locator('table.side-by-side tr.changed').first()).toBeVisible();
  const share = await page.locator('a.share-link').getAttribute('href');
  expect(share).toMatch(/^\/s\/[0-9a-f]{32}$/);

  // A collaborator opens the link in a fresh browser: read-only, but interventions play.
  const other = await browser.newContext({ baseURL });
  const visitor = await other.newPage();
  try {
    await gotoHydrated(visitor, share);
    await expect(visitor.locator('.shared-note')).toBeVisible();
    await expect(visitor.getByRole('heading', { level: 1 })).toContainText('Variant #');
    await expect(visitor.getByRole('button', { name: 'Save as variant' })).toHaveCount(0);
    await visitor.locator('svg.graph g.node.input').first().click();
    const f = visitor.locator('form.set-value input[name="value"]');
    await f.fill('3');
    await visitor.locator('form.set-value button[type="submit"]').click();
    await expect(visitor.locator('section.stack ol.ops li')).toHaveCount(1);
  } finally {
    await other.close();
  }

  // With JavaScript off the share page still shows the question and the whole graph.
  const noJs = await browser.newContext({ baseURL, javaScriptEnabled: false });
  const reader = await noJs.newPage();
  try {
    const response = await reader.goto(share);
    expect(response.status()).toBe(200);
    await expect(reader.locator('p.question')).not.toBeEmpty();
    expect(await reader.locator('svg.graph g.node').count()).toBeGreaterThan(2);
    await expect(reader.locator('svg.graph polyline.edge').first()).toBeAttached();
    await expect(reader.locator('table.side-by-side')).toBeVisible();
  } finally {
    await noJs.close();
  }
});

test('a malformed upload is refused with line-numbered errors', async ({ page }) => {
  await gotoHydrated(page, '/');
  await page.locator('input[type="file"]').setInputFiles({
    name: 'broken.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from('{"answer": "a row with no question"}\nthis is not json\n'),
  });
  await page.getByRole('button', { name: 'Import' }).click();
  const report = page.locator('.import-report.failed');
  await expect(report).toContainText('Nothing imported');
  await expect(report).toContainText('line 1');
  await expect(report).toContainText('line 2');
  await page.reload();
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
  // Other tests import datasets meanwhile: look for this one by name only.
  await expect(page.locator('li.dataset-card').filter({ hasText: 'broken' })).toHaveCount(0);
});

test('an upload with one bad line imports the rest and names the bad line', async ({ page }) => {
  await gotoHydrated(page, '/');
  const good = JSON.stringify({
    question: 'Ann has 3 apples and buys 4 more. How many apples does she have?',
    answer: 'Ann has 3 + 4 = <<3+4=7>>7 apples.\n#### 7',
  });
  await page.locator('input[name="name"]').fill(`upload-${Date.now()}`);
  await page.locator('input[type="file"]').setInputFiles({
    name: 'mixed.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from(`${good}\n{oops\n${good}\n`),
  });
  await page.getByRole('button', { name: 'Import' }).click();
  const report = page.locator('.import-report.ok');
  await expect(report).toContainText('Imported 2 problems');
  await expect(report.locator('ul.line-errors')).toContainText('line 2');
  await report.getByRole('link', { name: 'Open the dataset' }).click();
  await expect(page.locator('table.problems tbody tr')).toHaveCount(2);
});

test('a curriculum job runs with a live progress bar', async ({ page }) => {
  await openFirstDemoProblem(page);
  await page.locator('section.generate input[name="rounds"]').fill('2');
  await page.getByRole('button', { name: 'Generate' }).click();
  const job = page.locator('ul.jobs li.job').first();
  await expect(job).toBeVisible();
  await expect(job).toHaveClass(/done/, { timeout: 30_000 });
  await expect(job.locator('.job-state')).toContainText('1/1 problems');
  await page.reload();
  await expect(page.locator('table.variants tbody tr').first()).toBeVisible();
});

test('the new-problem editor shows the graph as you type and underlines errors', async ({ page }) => {
  await gotoHydrated(page, '/new');
  await expect(page.locator('.editor svg.graph g.node').first()).toBeVisible();
  const code = page.locator('textarea[name="solution"]');
  await code.fill('def solution():\n    a = 3\n    with open("f") as f:\n        a = a - 1\n    return a\n');
  await expect(page.locator('.source-error')).toContainText('line 3');
  await expect(page.locator('mark.squiggle')).toHaveText('with');
  await page.locator('textarea[name="question"]').fill('Tom has 6 pens and gets 7 more. How many pens?');
  await code.fill('def solution():\n    pens = 6\n    more = 7\n    total = pens + more\n    return total\n');
  await expect(page.locator('.editor p.ok')).toContainText('answer 13');
  await expect(page.locator('.editor svg.graph g.node')).toHaveCount(3);
  await page.getByRole('button', { name: 'Save problem' }).click();
  await expect(page).toHaveURL(/\/p\/\d+$/);
  await expect(page.locator('p.question')).toContainText('Tom has 6 pens');
});

test('a graft adds a proxy step to the drawing; undo removes it', async ({ page }) => {
  await openFirstDemoProblem(page);
  const nodes = await page.locator('svg.graph g.node').count();
  const requests = watchRequests(page);
  await page.locator('svg.graph g.node.step').first().click();
  await page.locator('form.graft select[name="op"]').selectOption('add');
  await page.locator('form.graft input[name="k"]').fill('3');
  await page.locator('form.graft button[type="submit"]').click();
  await expect(page.locator('svg.graph g.node')).toHaveCount(nodes + 1);
  await expect(page.locator('svg.graph g.node.proxy.added')).toHaveCount(1);
  await expect(page.locator('section.stack ol.ops li')).toContainText('graft +3');
  // Keyboard: u undoes (outside text fields).
  await page.locator('svg.graph').focus();
  await page.keyboard.press('u');
  await expect(page.locator('svg.graph g.node')).toHaveCount(nodes);
  requests.stop();
  expect(requests.seen).toEqual([]);
});

test('the graph keeps its boxes: a graft moves them and adds one, a value preview only updates them', async ({ page }) => {
  await openFirstDemoProblem(page);
  const boxes = page.locator('svg.graph g.node');
  const before = await boxes.count();
  // Tag every box element: a box drawn again would be a new element, without the tag.
  await page.evaluate(() => {
    for (const g of document.querySelectorAll('svg.graph g.node')) g.__kept = true;
  });
  // Each box is drawn around (0, 0) and placed by its group's translate(x y).
  const look = () => page.evaluate(() => [...document.querySelectorAll('svg.graph g.node')].map((g) => ({
    id: g.dataset.node,
    kept: !!g.__kept,
    at: (g.getAttribute('transform') || '').match(/^translate\((-?\d+) (-?\d+)\)$/)?.slice(1).join(',') ?? 'none',
  })));
  const where = Object.fromEntries((await look()).map((b) => [b.id, b.at]));

  await page.locator('svg.graph g.node.step').first().click();
  await page.locator('form.graft select[name="op"]').selectOption('add');
  await page.locator('form.graft input[name="k"]').fill('3');
  await page.locator('form.graft button[type="submit"]').click();
  await expect(boxes).toHaveCount(before + 1);
  const after = await look();
  expect(after.filter((b) => b.kept)).toHaveLength(before);
  expect(after.filter((b) => !b.kept)).toHaveLength(1);
  // The relayout moved boxes (the new step takes a layer); every box has a place of its own.
  expect(after.every((b) => b.at !== 'none')).toBe(true);
  expect(after.some((b) => b.kept && where[b.id] !== b.at)).toBe(true);
  expect(new Set(after.map((b) => b.at)).size).toBe(after.length);

  // Undo: back to the stored drawing, the same elements in their old places.
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(boxes).toHaveCount(before);
  const undone = await look();
  expect(undone.every((b) => b.kept && where[b.id] === b.at)).toBe(true);

  // A value preview changes values in place.
  const input = page.locator('svg.graph g.node.input').first();
  await input.click();
  const field = page.locator('form.set-value input[name="value"]');
  await field.fill(String(Number(await field.inputValue()) + 5));
  await page.locator('form.set-value button[type="submit"]').click();
  await expect(input).toHaveClass(/changed/);
  expect((await look()).every((b) => b.kept)).toBe(true);
});
