// Writes docs/problem-page.png: a demo problem's page with one intervention previewed.
// Usage (after scripts/build-site): cd end2end && npm run screenshot

import { chromium } from '@playwright/test';
import path from 'node:path';
import { repoRoot, startServer } from './server.js';

const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1040 } });
  // The deepest demo problem: its dataset page lists depths.
  await page.goto(`${server.url}/`);
  await page.getByRole('link', { name: 'demo', exact: true }).click();
  const rows = page.locator('table.problems tbody tr');
  await rows.first().waitFor();
  let best = { depth: -1, href: null };
  for (const row of await rows.all()) {
    const depth = Number(await row.locator('td.num').first().textContent());
    if (depth > best.depth) best = { depth, href: await row.locator('a').first().getAttribute('href') };
  }
  await page.goto(`${server.url}${best.href}`);
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
  // Preview a graft on the first step: ×2.
  await page.locator('svg.graph g.node.step').first().click();
  await page.locator('form.graft button[type="submit"]').click();
  await page.locator('section.stack ol.ops li').first().waitFor();
  await page.locator('svg.graph g.node.input').first().hover();
  const out = path.join(repoRoot, 'docs/problem-page.png');
  await page.screenshot({ path: out, fullPage: false });
  console.log(`wrote ${out} (${best.href}, depth ${best.depth})`);
} finally {
  await browser.close();
  await server.stop();
}
