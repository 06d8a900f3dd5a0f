// Playwright: the tests in tests/ against the real `graft serve` (global-setup.js), in the
// system Chromium (never a downloaded browser). Env: GRAFT_BIN (server binary), CHROMIUM
// (browser, default /usr/bin/chromium), E2E_WORKERS (default 2), E2E_RETRIES (default 0).

import { defineConfig } from '@playwright/test';

const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.js',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  workers: Number(process.env.E2E_WORKERS || 2),
  retries: Number(process.env.E2E_RETRIES || 0),
  outputDir: './test-results',
  reporter: [['list'], ['json', { outputFile: 'playwright-report/results.json' }]],
  use: {
    browserName: 'chromium',
    headless: true,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
