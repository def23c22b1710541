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

  // The project editor: its tabs are links, and Save posts the form.
  await page.getByRole('link', { name: 'Newsletter' }).click();
  await page.getByRole('link', { name: 'Edit', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Edit Newsletter', level: 1 })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'General' })).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('tab', { name: 'Additional' }).click();
  await expect(page).toHaveURL(/\?tab=additional$/);
  await expect(page.getByRole('tab', { name: 'Additional' })).toHaveAttribute('aria-selected', 'true');
  await page.getByLabel('Webhooks', { exact: true }).fill('https://');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('Webhooks must be an absolute URL')).toBeVisible();
  await page.getByLabel('Webhooks', { exact: true }).fill('https://hooks.example.com/nojs');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByLabel('Webhooks', { exact: true })).toHaveValue('https://hooks.example.com/nojs');
  await expect(page.getByText("In effect: this project's URL, https://hooks.example.com/nojs")).toBeVisible();
  await page.getByRole('tab', { name: 'General' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Newsletter EU');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Edit Newsletter EU', level: 1 })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});
