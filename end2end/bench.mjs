// Browser benchmarks of the engine and of the workbench as the web app runs them: `npm run
// bench` (from end2end/).
//
// Starts `graft serve` (server.js: GRAFT_BIN, default target/debug/graft, serving target/site),
// opens / in Chromium, waits for hydration, then calls the bundle's own exports
// `bench_cascade(nodes, iters)` and `bench_layout(nodes, iters)` (frontend/src/bench.rs; each
// returns mean milliseconds per run, timed with performance.now() inside the wasm). Each case
// runs ROUNDS times after a warm-up; the median and range are printed.
//
// Then the workbench on a large graph, click → repaint: on a hydrated page, `bench_workbench(N)`
// mounts the real workbench (the app's CSS, its graph view and panel) on a synthetic N-node
// graph; the benchmark selects the heaviest input and, ROUNDS times each, (1) sets its value
// (a value preview: 80% of the nodes change) and (2) grafts a step onto it (a new node and a
// relayout that moves most boxes), each followed by an untimed Reset. The time is from
// dispatching the click (`element.click()`, or a click event on an SVG box, in the page) to the
// end of the first frame painted after the click that shows the result (a requestAnimationFrame
// callback registered before the click, then a zero timeout after it, so the frame's style,
// layout and paint are in, and what the page defers to after that paint is not). A third figure,
// without a target: the preview's text (written after the paint) is there.
//
// Measure the release bundle: `scripts/build-site --release --no-server` first (scripts/test
// does). A debug bundle is measured too, but said so.
//
//   node bench.mjs [--check]    --check: exit 1 when a target is missed

import { chromium } from '@playwright/test';
import { statSync } from 'node:fs';
import path from 'node:path';
import { siteRoot, startServer } from './server.js';

const check = process.argv.includes('--check');
const ROUNDS = Number(process.env.BENCH_ROUNDS || 7);
/** Nodes of the workbench benchmark's graph, and its targets (click → repaint, median). */
const WORKBENCH = { nodes: 1000, previewMs: 50, graftMs: 150 };
const cases = [
  { fn: 'bench_cascade', what: 'cascade (one SetInput, in place)', nodes: 1000, iters: 2000, targetMs: 1 },
  { fn: 'bench_cascade', what: 'cascade (one SetInput, in place)', nodes: 100, iters: 5000 },
  { fn: 'bench_cascade', what: 'cascade (one SetInput, in place)', nodes: 10000, iters: 100 },
  { fn: 'bench_layout', what: 'layout (engine::layout::layout)', nodes: 200, iters: 500, targetMs: 20 },
  { fn: 'bench_layout', what: 'layout (engine::layout::layout)', nodes: 1000, iters: 100 },
];

const wasmPath = path.join(siteRoot(), 'pkg', 'graft.wasm');
const wasmBytes = statSync(wasmPath).size;
// Release bundles are about 2.7 MB (wasm-opt -Oz), debug ones 50 MB and more.
const debug = wasmBytes > 10_000_000;
console.log(`bench: ${wasmPath}: ${(wasmBytes / 1024).toFixed(0)} KiB${debug ? ' — looks like a DEBUG bundle; run scripts/build-site --release --no-server' : ''}`);

const server = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let missed = 0;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url + '/');
  await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached', timeout: 60_000 });
  console.log(`bench: ${await browser.version()} (Chromium), ${server.url}, ${ROUNDS} rounds per case\n`);
  const results = await page.evaluate(async ({ cases, rounds }) => {
    // The module the hydration script imported, already initialised: same URL, same instance.
    const m = await import('/pkg/graft.js');
    // The exports are async (their code is in a chunk loaded on the first call); each call's
    // time is measured inside the wasm, so the awaits do not count.
    const all = [];
    for (const c of cases) {
      await m[c.fn](c.nodes, Math.max(1, Math.floor(c.iters / 10))); // warm-up
      const ms = [];
      for (let r = 0; r < rounds; r++) ms.push(await m[c.fn](c.nodes, c.iters));
      all.push(ms);
    }
    return all;
  }, { cases, rounds: ROUNDS });
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
  for (const [i, c] of cases.entries()) {
    const ms = [...results[i]].sort((a, b) => a - b);
    if (ms.some((x) => !Number.isFinite(x))) throw new Error(`${c.fn}(${c.nodes}) returned ${results[i]}`);
    const median = ms[Math.floor(ms.length / 2)];
    let verdict = '';
    if (c.targetMs !== undefined) {
      const ok = median < c.targetMs;
      if (!ok) missed++;
      verdict = `  target < ${fmt(c.targetMs)} ${ok ? '✓' : '✗'}`;
    }
    console.log(`${c.what.padEnd(34)} ${String(c.nodes).padStart(6)} nodes: median ${fmt(median).padStart(9)} (${fmt(ms[0])} – ${fmt(ms[ms.length - 1])}, ${c.iters} runs each)${verdict}`);
  }

  // The workbench, click → repaint.
  const input = await page.evaluate(async (n) => {
    const m = await import('/pkg/graft.js');
    return m.bench_workbench(n);
  }, WORKBENCH.nodes);
  const root = page.locator('#bench-workbench');
  await root.locator(`g.node[data-node="${input}"]`).waitFor({ timeout: 60_000 });
  const times = await page.evaluate(async ({ input, rounds }) => {
    const root = document.getElementById('bench-workbench');
    const q = (sel) => root.querySelector(sel);
    const afterFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    // Clicks `el`, then waits frame by frame until `done()` holds (60 s at most): milliseconds
    // from the click to the end of that frame. The first frame callback is registered before
    // the click, so it (and the zero timeout after it) runs ahead of anything the page defers
    // to after the next paint: the time ends when the first frame after the click is painted.
    const timeClick = async (el, done, what, t0 = performance.now()) => {
      let frame = afterFrame();
      // SVG elements have no click(): a plain click event, as the browser dispatches one.
      if (el.click) el.click();
      else el.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      for (;;) {
        await frame;
        if (done()) return performance.now() - t0;
        if (performance.now() - t0 > 60_000) throw new Error(`${what}: no result after 60 s`);
        frame = afterFrame();
      }
    };
    // Milliseconds from `t0` to the end of the first frame after `done()` holds.
    const until = async (t0, done, what) => {
      for (;;) {
        await afterFrame();
        if (done()) return performance.now() - t0;
        if (performance.now() - t0 > 60_000) throw new Error(`${what}: no result after 60 s`);
      }
    };
    const untimed = async (el, done, what) => { await timeClick(el, done, what); };
    const setField = (el, value) => {
      el.value = value;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    };
    const node = q(`g.node[data-node="${input}"]`);
    await untimed(node, () => q('.node-panel form.set-value'), 'select the input');
    const none = (sel) => () => !q(sel);
    const reset = () => untimed(q('button.reset'), () => none('g.node.changed')() && none('g.node.added')() && q('button.reset').disabled, 'reset');
    const preview = [];
    const graft = [];
    const words = [];
    // A warm-up round, then `rounds` timed ones.
    for (let r = 0; r <= rounds; r++) {
      setField(q('.node-panel form.set-value input[name="value"]'), String(1000 + r));
      const t0 = performance.now();
      const p = await timeClick(q('.node-panel form.set-value button[type="submit"]'),
        () => root.querySelectorAll('g.node.changed').length > 1, 'value preview', t0);
      const w = await until(t0, () => !q('section.live-words .words-hint'), 'preview text');
      await reset();
      setField(q('.node-panel form.graft select[name="op"]'), 'mul');
      setField(q('.node-panel form.graft input[name="k"]'), '3');
      const g = await timeClick(q('.node-panel form.graft button[type="submit"]'),
        () => !!q('g.node.added'), 'graft');
      await reset();
      if (r > 0) { preview.push(p); graft.push(g); words.push(w); }
    }
    return { preview, graft, words, nodes: root.querySelectorAll('g.node').length };
  }, { input, rounds: ROUNDS });
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  const report = (what, ms, target) => {
    const sorted = [...ms].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    let verdict = '';
    if (target !== undefined) {
      const ok = median < target;
      if (!ok) missed++;
      verdict = `  target < ${fmt(target)} ${ok ? '✓' : '✗'}`;
    }
    console.log(`${what.padEnd(34)} ${String(times.nodes).padStart(6)} nodes: median ${fmt(median).padStart(9)} (${fmt(sorted[0])} – ${fmt(sorted[sorted.length - 1])}, ${ms.length} clicks)${verdict}`);
  };
  console.log('\nworkbench, click → repaint (Set, Graft: end of the first frame painted after the click that shows the result)');
  report('value preview (Set)', times.preview, WORKBENCH.previewMs);
  report('graft + relayout (Graft)', times.graft, WORKBENCH.graftMs);
  report('the preview\'s text follows (Set)', times.words);
} finally {
  await browser.close();
  await server.stop();
}
if (check && missed) {
  console.error(`bench: ${missed} target(s) missed`);
  process.exit(1);
}
