// Every form works without JavaScript: plain POSTs and redirects.
const { test } = require('@playwright/test');
const { CSM, signIn, unique, expect } = require('./helpers');

test.use({ javaScriptEnabled: false });

test('sign in, create an account and see a field error with JavaScript disabled', async ({ page }) => {
  await signIn(page, CSM);
  await expect(page.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();

  // A blank name comes back with the error beside the field.
  await page.getByLabel('Name').fill('   ');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Name is required')).toBeVisible();

  const name = unique('NoJS');
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();

  await page.getByLabel('Project name').fill('Newsletter');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByRole('link', { name: 'Newsletter' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});
