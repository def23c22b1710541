// Browser tests of the Mailroom panel: Playwright drives Debian's chromium against the real server,
// which Playwright starts on a fresh database: E2E_DATABASE_URL (.ci/test passes a SQLite file in a folder
// it removes afterwards, then a PostgreSQL database), else a new SQLite file in the temp folder.
const { defineConfig } = require('@playwright/test');
const os = require('os');
const path = require('path');

const port = process.env.E2E_PORT || '3100';
const baseURL = `http://127.0.0.1:${port}`;
const databaseUrl =
  process.env.E2E_DATABASE_URL || `sqlite://${path.join(os.tmpdir(), `mailroom-e2e-${process.pid}-${Date.now()}.db`)}`;
const serverBin = process.env.E2E_SERVER_BIN || 'target/debug/mailroom';

module.exports = defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-quic',
        '--no-first-run',
        '--disable-sync',
      ],
    },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `${serverBin} serve`,
    cwd: path.join(__dirname, '..'),
    url: `${baseURL}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      ...process.env,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      MAILROOM_DATABASE_URL: databaseUrl,
      MAILROOM_ADMIN_EMAIL: 'csm@example.com',
      MAILROOM_ADMIN_PASSWORD: 'csm-password-123',
      MAILROOM_WEBHOOK_ALLOW_PRIVATE: '1',
      RUST_LOG: 'warn',
    },
  },
});
