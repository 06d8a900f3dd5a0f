// Browser benchmarks of the engine as the web app runs it: `npm run bench` (from end2end/).
//
// Starts `graft serve` (server.js: GRAFT_BIN, default target/debug/graft, serving target/site),
// opens / in Chromium, waits for hydration, then calls the bundle's own exports
// `bench_cascade(nodes, iters)` and `bench_layout(nodes, iters)` (frontend/src/bench.rs; each
// returns mean milliseconds per run, timed with performance.now() inside the wasm). Each case
// runs ROUNDS times after a warm-up; the median and range are printed.
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
const cases = [
  { fn: 'bench_cascade', what: 'cascade (one SetInput, in place)', nodes: 1000, iters: 2000, targetMs: 1 },
  { fn: 'bench_cascade', what: 'cascade (one SetInput, in place)', nodes: 100, iters: 5000 },
  { fn: 'bench_cascade', what: 'cascade (one SetInput, in place)', nodes: 10000, iters: 100 },
  { fn: 'bench_layout', what: 'layout (engine::layout::layout)', nodes: 200, iters: 500, targetMs: 20 },
  { fn: 'bench_layout', what: 'layout (engine::layout::layout)', nodes: 1000, iters: 100 },
];

const wasmPath = path.join(siteRoot(), 'pkg', 'graft.wasm');
const wasmBytes = statSync(wasmPath).size;
const debug = wasmBytes > 2_000_000;
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
    return cases.map((c) => {
      m[c.fn](c.nodes, Math.max(1, Math.floor(c.iters / 10))); // warm-up
      const ms = [];
      for (let r = 0; r < rounds; r++) ms.push(m[c.fn](c.nodes, c.iters));
      return ms;
    });
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
} finally {
  await browser.close();
  await server.stop();
}
if (check && missed) {
  console.error(`bench: ${missed} target(s) missed`);
  process.exit(1);
}
