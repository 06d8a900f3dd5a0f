// Starts the real `graft serve` for the browser tests and the benchmarks: the binary from
// GRAFT_BIN (default target/debug/graft), on 127.0.0.1:0 (a free port), from the repository
// root so it serves target/site, with a fresh temporary data folder when the binary has
// `--data-dir`. The URL comes from the first line it prints:
// `graft: serving N problems on http://ADDR`.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The accounts every test server has: [name, role, password]. */
export const ACCOUNTS = [
  ['admin', 'admin', 'admin-password'],
  ['ann1', 'annotator', 'password-123'],
  ['ann2', 'annotator', 'password-123'],
];

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The `graft` binary the tests run: GRAFT_BIN (relative to the current folder), else the
 * repository's target/debug/graft. */
export function graftBin() {
  const bin = process.env.GRAFT_BIN;
  return bin ? path.resolve(bin) : path.join(repoRoot, 'target/debug/graft');
}

/** The site root the server serves: LEPTOS_SITE_ROOT (relative to the current folder), else
 * target/site (cargo-leptos's and scripts/build-site's). */
export function siteRoot() {
  const root = process.env.LEPTOS_SITE_ROOT;
  return root ? path.resolve(root) : path.join(repoRoot, 'target/site');
}

/**
 * Starts the server. Resolves to `{ url, dataDir, child, stop }` once it printed its address;
 * `stop()` kills it and removes the data folder.
 */
export async function startServer({ log = process.stderr } = {}) {
  const bin = graftBin();
  if (!existsSync(bin)) {
    throw new Error(`${bin} does not exist: run scripts/build-site (or set GRAFT_BIN)`);
  }
  const wasm = path.join(siteRoot(), 'pkg', 'graft.wasm');
  if (!existsSync(wasm)) {
    throw new Error(`${wasm} does not exist, so pages would never hydrate: run scripts/build-site`);
  }
  const help = execFileSync(bin, ['serve', '--help'], { encoding: 'utf8' });
  const args = ['serve', '--addr', '127.0.0.1:0'];
  let dataDir = null;
  if (help.includes('--data-dir')) {
    dataDir = mkdtempSync(path.join(tmpdir(), 'graft-e2e-'));
    args.push('--data-dir', dataDir);
  }
  const env = { ...process.env, LEPTOS_SITE_ROOT: siteRoot() };
  delete env.GRAFT_ADDR;
  delete env.GRAFT_DATABASE_URL;
  if (dataDir && execFileSync(bin, ['--help'], { encoding: 'utf8' }).includes('user')) {
    for (const [name, role, password] of ACCOUNTS) {
      execFileSync(bin, ['user', 'add', name, '--role', role, '--password-stdin', '--data-dir', dataDir], {
        input: `${password}\n`,
        env,
        stdio: ['pipe', 'ignore', 'inherit'],
      });
    }
  }
  const child = spawn(bin, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'inherit'] });

  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} printed no address within 60 s`));
    }, 60_000);
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${bin} ${args.join(' ')} exited (${signal || code}) before printing its address`));
    };
    child.once('exit', onExit);
    child.once('error', onExit);
    let first = true;
    lines.on('line', (line) => {
      if (first) {
        first = false;
        clearTimeout(timer);
        child.off('exit', onExit);
        const m = line.match(/http:\/\/\S+/);
        if (m) resolve(m[0]);
        else reject(new Error(`no address in the first line of ${bin}: ${JSON.stringify(line)}`));
      } else if (log) {
        log.write(`[graft] ${line}\n`);
      }
    });
  });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, dataDir, child, stop };
}
