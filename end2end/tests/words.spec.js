// Issue #4 in a real browser, with the offline defaults (the e2e server has no model; the
// real-model paths are covered by server/tests/llm.rs): verbalize and judge a variant from its
// page (buttons and keys), see each check of the verdict; a batch judge job over a dataset
// with its progress bar; variants filtered by verdict.

import { test, expect, gotoHydrated, openNewVariant } from '../fixtures.js';

test('verbalize and judge a variant from its page, by button and by key', async ({ page }) => {
  await openNewVariant(page);
  const words = page.locator('section.words');
  await expect(words.locator('.no-text')).toBeVisible();
  await words.getByRole('button', { name: /Verbalize/ }).click();
  const text = words.locator('blockquote.variant-text');
  await expect(text).toBeVisible();
  expect((await text.textContent()).trim().length).toBeGreaterThan(20);
  await expect(words.locator('.text-source')).toContainText('offline verbalizer');

  // `j` judges: each check on its own row, labelled as an offline verdict.
  await page.locator('h1').click();
  await page.keyboard.press('j');
  const verdict = words.locator('table.verdict');
  await expect(verdict).toBeVisible();
  await expect(verdict.locator('tr')).toHaveCount(4);
  await expect(verdict.locator('tr').nth(0)).toContainText('execution');
  await expect(verdict.locator('tr').nth(0)).toHaveClass(/ok/);
  await expect(verdict.locator('tr').nth(1)).toContainText('consistency');
  await expect(verdict.locator('tr').nth(2)).toContainText('well-posedness lint');
  await expect(verdict.locator('tr').nth(3)).toContainText('no model was used');
  await expect(words.locator('p.verdict-outcome .badge.offline')).toHaveText('offline verdict');
  // Offline is never a pass: linted at best, and it says which checks ran.
  await expect(words.locator('p.verdict-outcome .badge').first()).toHaveText(/^(linted|fail)$/);
  await expect(words.locator('p.verdict-outcome .checks-ran')).toHaveText(
    'checks that ran: exact execution, numbers consistent, well-posedness lint');

  // It was stored: a reload shows the same text and verdict.
  const shown = (await text.textContent()).trim();
  await page.reload();
  await expect(page.locator('section.words blockquote.variant-text')).toHaveText(shown);
  await expect(page.locator('section.words table.verdict')).toBeVisible();
});

test('a batch judge job shows progress and the variants filter by verdict', async ({ page }) => {
  // A dataset of its own: other tests add variants to the demo set while this one runs.
  await gotoHydrated(page, '/');
  const name = `judge-${Date.now()}`;
  const row = (q, a) => JSON.stringify({ question: q, answer: a });
  await page.locator('input[name="name"]').fill(name);
  await page.locator('input[type="file"]').setInputFiles({
    name: 'judge.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from([
      row('Ann has 3 boxes of 4 apples and eats 2. How many apples are left?',
        'Ann has 3 * 4 = <<3*4=12>>12 apples.\nShe has 12 - 2 = <<12-2=10>>10 left.\n#### 10'),
      row('Tom buys 5 pens at $2 each and a book for $7. How much does he spend?',
        'The pens cost 5 * 2 = <<5*2=10>>10 dollars.\nHe spends 10 + 7 = <<10+7=17>>17 dollars.\n#### 17'),
    ].join('\n') + '\n'),
  });
  await page.getByRole('button', { name: 'Import' }).click();
  // Opened by its address: a click on the report's link was once lost on a busy machine,
  // the page staying on the datasets list (the link itself is clicked in workflow.spec.js).
  const open = page.locator('.import-report.ok').getByRole('link', { name: 'Open the dataset' });
  await gotoHydrated(page, await open.getAttribute('href'));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await page.locator('table.problems tbody tr a').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Problem #');
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
  await page.locator('section.generate input[name="rounds"]').fill('2');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.locator('ul.jobs li.job').first()).toHaveClass(/done/, { timeout: 30_000 });

  await page.locator('p.crumbs').getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
  await page.getByRole('button', { name: 'Judge all variants' }).click();
  const job = page.locator('ul.jobs li.job.judge').first();
  await expect(job).toBeVisible();
  await expect(job.locator('progress')).toBeVisible();
  await expect(job).toHaveClass(/done/, { timeout: 60_000 });
  await expect(job.locator('.job-state')).toContainText('verdicts');

  await page.reload();
  const filters = page.locator('nav.verdict-filters');
  await expect(filters.getByRole('link', { name: /^unjudged \(0\)$/ })).toBeVisible();
  // Offline checks never make a pass: a pass needs an independent solver that agreed.
  await expect(filters.getByRole('link', { name: /^pass \(0\)$/ })).toBeVisible();
  const checks = page.locator('p.check-counts');
  await expect(checks).toContainText('0 checked by a solver (0 agreed)');
  await expect(checks).toContainText(/\d+ linted only \(no solver\) · \d+ failed/);
  const rows = page.locator('table.variant-list tbody tr');
  await expect(rows.first()).toBeVisible();
  for (const badge of await rows.locator('td .badge:not(.offline)').allTextContents()) {
    expect(['linted', 'fail']).toContain(badge);
  }
});
