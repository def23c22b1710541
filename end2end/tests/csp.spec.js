// The panel's pages carry a Content-Security-Policy (scripts from the panel with a per-response nonce)
// and still hydrate under it: nothing is blocked, and JavaScript-driven controls work.
const { test } = require('@playwright/test');
const { CSM, signIn, waitForHydration, expect } = require('./helpers');

test('pages hydrate under their Content-Security-Policy', async ({ page }) => {
  // A blocked script, style, frame or connection is reported on the console and as an event.
  const consoleReports = [];
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) consoleReports.push(message.text());
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const noViolations = async () => {
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([]);
    expect(consoleReports).toEqual([]);
  };

  const response = await page.goto('/login');
  const headers = response.headers();
  const policy = headers['content-security-policy'];
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]{16,}' 'wasm-unsafe-eval'/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');
  expect(headers['strict-transport-security']).toBeUndefined();
  // Each response has its own nonce, the one on the page's scripts.
  const nonce = policy.match(/'nonce-([^']+)'/)[1];
  expect(await page.locator(`script[nonce]`).count()).toBeGreaterThan(0);
  const again = await page.request.get('/login');
  expect(again.headers()['content-security-policy']).not.toContain(nonce);
  await waitForHydration(page);
  await noViolations();

  // Signed in: the panel hydrates.
  await signIn(page, CSM);
  await expect(page.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();
  await waitForHydration(page);
  await noViolations();

  // A control that only JavaScript drives reacts: the API docs' response tabs.
  await page.goto('/docs');
  await waitForHydration(page);
  const nav = page.getByRole('navigation', { name: 'API docs' });
  await nav.getByRole('link', { name: /Send a system or trigger email/ }).click();
  await expect(page.getByRole('heading', { name: 'Send a system or trigger email', level: 1 })).toBeVisible();
  const tabs = page.getByRole('tablist', { name: 'Response' });
  await expect(tabs.getByRole('tab', { name: '200' })).toHaveAttribute('aria-selected', 'true');
  await tabs.getByRole('tab', { name: '400' }).click();
  await expect(tabs.getByRole('tab', { name: '400' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel')).toContainText('"user.email": "is not a valid email address"');
  await noViolations();
});
