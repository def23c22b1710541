// A CSM creates an account and issues, sees once, and revokes an API key.
const { test } = require('@playwright/test');
const { CSM, signIn, waitForHydration, unique, expect } = require('./helpers');

test('a CSM issues an API key that is shown once, then revokes it', async ({ page }) => {
  await signIn(page, CSM);
  await expect(page.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();
  await expect(page.getByText('CSM', { exact: true })).toBeVisible();
  await waitForHydration(page);

  const name = unique('Acme');
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  const clientId = await page.locator('#client-id').textContent();
  expect(clientId).toMatch(/^cl_[a-z0-9]{20}$/);
  await expect(page.getByText('No API keys yet.')).toBeVisible();

  await page.getByLabel('Label (optional)').fill('production');
  await page.getByRole('button', { name: 'Issue key' }).click();
  await expect(page.getByText('Copy this key now. It will not be shown again.')).toBeVisible();
  const key = await page.getByLabel('New API key').inputValue();
  expect(key).toMatch(/^mr_[A-Za-z0-9]{40}$/);
  const keys = page.getByRole('region', { name: 'API keys' });
  await expect(keys.getByRole('cell', { name: 'production' })).toBeVisible();

  // After a reload only the prefix is left.
  await page.reload();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await expect(page.getByLabel('New API key')).toHaveCount(0);
  expect(await page.content()).not.toContain(key);
  await expect(keys.getByText(`${key.slice(0, 11)}…`, { exact: true })).toBeVisible();
  await expect(keys.getByText('Active', { exact: true })).toBeVisible();

  // Revoking asks first.
  await waitForHydration(page);
  await keys.getByText('Revoke…').click();
  await keys.getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(keys.getByText(/^Revoked /)).toBeVisible();
  const audit = page.getByRole('region', { name: 'Audit trail' });
  await expect(audit.getByText(/Revoked API key mr_/)).toBeVisible();
  await expect(audit.getByText(/Issued API key mr_/)).toBeVisible();
});

test('the page hydrates: the copy button answers without a reload', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, CSM);
  await waitForHydration(page);
  const name = unique('Hydra');
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Copy client_id' }).click();
  await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
  const clientId = await page.locator('#client-id').textContent();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientId);
});
