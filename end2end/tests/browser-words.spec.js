// Issue #11, part 6: words in the browser. The workbench writes the previewed variant's text
// and worked solution with the engine in wasm (no request); the variant page, its share link
// and the review queue show the variant's own text and solution, lint complaints beside the
// text; the workbench on a variant's page starts from the variant and its text.

import { test, expect, gotoHydrated } from '../fixtures.js';

/** Requests the page makes from now on (not data: URLs). */
function watchRequests(page) {
  const seen = [];
  const onRequest = (r) => {
    if (!r.url().startsWith('data:')) seen.push(`${r.method()} ${r.url()}`);
  };
  page.on('request', onRequest);
  return { seen, stop: () => page.off('request', onRequest) };
}

/** Opens the first demo problem's page; returns the dataset's path (`/d/N`). */
async function openFirstDemoProblem(page) {
  await gotoHydrated(page, '/');
  await page.getByRole('link', { name: 'demo', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('demo');
  const dataset = new URL(page.url()).pathname;
  await page.locator('table.problems tbody tr a').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Problem #');
  await expect(page.locator('svg.graph g.node').first()).toBeVisible();
  return dataset;
}

/** Sets the first input of the workbench in `scope` to its value plus `by`; returns the new value. */
async function raiseFirstInput(scope, by) {
  await scope.locator('svg.graph g.node.input').first().click();
  const field = scope.locator('form.set-value input[name="value"]');
  await expect(field).toBeVisible();
  const value = Number(await field.inputValue()) + by;
  await field.fill(String(value));
  await scope.locator('form.set-value button[type="submit"]').click();
  return value;
}

test('the workbench writes the preview\'s text and worked solution in the browser, with no request', async ({ page }) => {
  await openFirstDemoProblem(page);
  const live = page.locator('.workbench section.live-words');
  await expect(live.locator('.words-hint')).toBeVisible();
  const question = (await page.locator('p.linked-question').textContent()).trim();

  const requests = watchRequests(page);
  const value = await raiseFirstInput(page, 5);
  const text = live.locator('blockquote.preview-text');
  await expect(text).toBeVisible();
  await expect(text).toContainText(String(value));
  const first = (await text.textContent()).trim();
  expect(first).not.toEqual(question);
  // The worked solution (or, while the engine cannot write one, why not) and the lint's side.
  await expect(live.locator('section.solution')).toContainText('Worked solution');
  await expect(live.locator('section.solution')).toContainText(/####|No worked solution yet/);
  await expect(live.locator('.lint-side')).toBeVisible();

  // A graft on the same input changes the text again.
  await page.locator('form.graft select[name="op"]').selectOption('add');
  await page.locator('form.graft input[name="k"]').fill('3');
  await page.locator('form.graft button[type="submit"]').click();
  await expect(page.locator('section.stack ol.ops li')).toHaveCount(2);
  await expect(text).not.toHaveText(first);

  // Undo back to no intervention: the hint again.
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(live.locator('.words-hint')).toBeVisible();
  requests.stop();
  expect(requests.seen, 'the text preview must not call the server').toEqual([]);
});

test('a variant shows its own text and solution; its workbench starts from it; share and review show them', async ({ page, browser, baseURL }) => {
  const dataset = await openFirstDemoProblem(page);
  const question = (await page.locator('p.linked-question').textContent()).trim();
  const value = await raiseFirstInput(page, 7);
  await expect(page.locator('section.stack ol.ops li')).toHaveCount(1);
  await page.getByRole('button', { name: 'Save as variant' }).click();
  await expect(page).toHaveURL(/\/v\/\d+$/);
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
  const variantPath = new URL(page.url()).pathname;

  // Not verbalized yet: the page shows the offline text the engine writes for it, its solution.
  const words = page.locator('section.words');
  await expect(words.locator('.no-text')).toBeVisible();
  const offline = words.locator('blockquote.offline-text');
  await expect(offline).toContainText(String(value));
  const own = (await offline.textContent()).trim();
  expect(own).not.toEqual(question);
  await expect(words.locator('section.solution')).toContainText('Worked solution');

  // "Intervene on this variant": the workbench shows the variant's text, not the question.
  const play = page.locator('section.play');
  await expect(play.locator('p.linked-question')).toHaveText(own);
  // Stacking on the variant keeps its own change in the new text (its lineage is replayed).
  await play.locator('svg.graph g.node.input').first().click();
  await play.locator('form.graft select[name="op"]').selectOption('mul');
  await play.locator('form.graft input[name="k"]').fill('2');
  await play.locator('form.graft button[type="submit"]').click();
  const preview = play.locator('section.live-words blockquote.preview-text');
  await expect(preview).toBeVisible();
  await expect(preview).toContainText(String(value));
  await expect(preview).not.toHaveText(own);

  // Verbalize: the stored text replaces the offline one, with the solution beside it.
  await words.getByRole('button', { name: /Verbalize/ }).click();
  await expect(words.locator('blockquote.variant-text')).toBeVisible();
  await expect(words.locator('blockquote.variant-text')).toContainText(String(value));
  await expect(words.locator('section.solution')).toContainText('Worked solution');

  // Reloaded, the page says the same and the workbench shows the stored text.
  await gotoHydrated(page, variantPath);
  const stored = (await page.locator('section.words blockquote.variant-text').textContent()).trim();
  await expect(page.locator('section.play p.linked-question')).toHaveText(stored);

  // The share link, anonymous: the variant's text and solution.
  const share = await page.locator('a.share-link').getAttribute('href');
  const other = await browser.newContext({ baseURL });
  const visitor = await other.newPage();
  try {
    await gotoHydrated(visitor, share);
    await expect(visitor.locator('section.words blockquote.variant-text')).toHaveText(stored);
    await expect(visitor.locator('section.words section.solution')).toContainText('Worked solution');
    await expect(visitor.locator('section.play p.linked-question')).toHaveText(stored);
  } finally {
    await other.close();
  }

  // The review queue: its item shows a text with the solution and the lint's side.
  await gotoHydrated(page, `${dataset}/review?status=all`);
  const item = page.locator('article.review-item');
  await expect(item).toBeVisible();
  await expect(item.locator('.wording section.solution')).toContainText('Worked solution');
  await expect(item.locator('.wording .lint-side')).toBeAttached();
});

test('lint complaints appear beside the preview text, reachable by keyboard', async ({ page }) => {
  await openFirstDemoProblem(page);
  const live = page.locator('.workbench section.live-words');
  // A negative count: the lint must say so (an unnatural value).
  await page.locator('svg.graph g.node.input').first().click();
  await page.locator('form.set-value input[name="value"]').fill('-5');
  await page.locator('form.set-value button[type="submit"]').click();
  await expect(live.locator('blockquote.preview-text')).toContainText('-5');
  const complaints = live.locator('.lint-side ol.lint-list li.lint-finding.unnatural-value');
  await expect(complaints.first()).toBeVisible();
  await expect(complaints.first()).toContainText('negative');
  await expect(live.locator('.lint-clean')).toHaveCount(0);

  // A complaint about one place in the text marks it; its number focuses the mark.
  const marks = live.locator('mark.lint');
  if ((await marks.count()) > 0) {
    const id = await marks.first().getAttribute('id');
    await live.locator('ol.lint-list button.lint-n').first().focus();
    await page.keyboard.press('Enter');
    await expect(page.locator(`#${id}`)).toBeFocused();
    await expect(page.locator(`#${id}`)).toHaveClass(/active/);
  }
});
