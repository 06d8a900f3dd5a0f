// The workbench on a large graph (1,000 nodes, mounted by the bundle's `bench_workbench`, as
// bench.mjs does): fitted to the view, the texts are too small to read and are hidden (class
// `far`); zoomed in, they are back. A value preview and a graft work at that size.

import { test, expect, gotoHydrated } from '../fixtures.js';

test('a 1,000-node graph hides its texts when fitted, shows them zoomed in, and previews', async ({ page }) => {
  await gotoHydrated(page, '/');
  const input = await page.evaluate(async () => (await import('/pkg/graft.js')).bench_workbench(1000));
  const root = page.locator('#bench-workbench');
  const svg = root.locator('svg.graph');
  await expect(root.locator('g.node')).toHaveCount(1000);
  await expect(svg).toHaveClass(/\bfar\b/);
  await expect(root.locator('g.node text.value').first()).toBeHidden();

  // A value preview on the heaviest input: most boxes change.
  await root.locator(`g.node[data-node="${input}"]`).dispatchEvent('click');
  const field = root.locator('form.set-value input[name="value"]');
  await field.fill('1000');
  await root.locator('form.set-value button[type="submit"]').click();
  await expect.poll(() => root.locator('g.node.changed').count()).toBeGreaterThan(500);
  await root.getByRole('button', { name: 'Reset' }).click();
  await expect(root.locator('g.node.changed')).toHaveCount(0);

  // Zoom in with the keyboard: the texts come back.
  await svg.focus();
  for (let i = 0; i < 16; i++) await page.keyboard.press('+');
  await expect(svg).not.toHaveClass(/\bfar\b/);
  await expect(root.locator('g.node text.value').first()).toBeAttached();
  expect(await root.locator('g.node text.value').first().evaluate((t) => getComputedStyle(t).display)).not.toBe('none');
  // Fit (0): hidden again.
  await page.keyboard.press('0');
  await expect(svg).toHaveClass(/\bfar\b/);
});
