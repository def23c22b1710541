// A client login sees its projects and cannot reach the staff screens.
const { test } = require('@playwright/test');
const { CSM, signIn, waitForHydration, unique, expect } = require('./helpers');

test('a client signs in, sees its projects and cannot reach the accounts screens', async ({ browser }) => {
  const csmContext = await browser.newContext();
  const csm = await csmContext.newPage();
  await signIn(csm, CSM);
  await waitForHydration(csm);
  const name = unique('Client Co');
  await csm.getByLabel('Name').fill(name);
  await csm.getByRole('button', { name: 'Create account' }).click();
  await expect(csm.getByRole('heading', { name, level: 1 })).toBeVisible();
  await waitForHydration(csm);
  await csm.getByLabel('Project name').fill('Web shop');
  await csm.getByRole('button', { name: 'Create project' }).click();
  await expect(csm.getByRole('link', { name: 'Web shop' })).toBeVisible();
  const email = `${Date.now()}@client.test`;
  await csm.getByLabel('Email').fill(email);
  await csm.getByLabel('Initial password').fill('client-password-1');
  await csm.getByRole('button', { name: 'Add login' }).click();
  await expect(csm.getByText('Login added.')).toBeVisible();
  const accountUrl = csm.url();
  await csmContext.close();

  const clientContext = await browser.newContext();
  const page = await clientContext.newPage();
  await signIn(page, { email, password: 'client-password-1' });
  await expect(page.getByRole('heading', { name: 'Projects', level: 1 })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Web shop' })).toBeVisible();
  await expect(page.getByText('Client', { exact: true })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Accounts' })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Staff' })).toHaveCount(0);

  // The client adds an email type to its project.
  await page.getByRole('link', { name: 'Web shop' }).click();
  await expect(page.getByRole('heading', { name: 'Web shop', level: 1 })).toBeVisible();
  await expect(page.getByText('No email types yet.')).toBeVisible();
  await waitForHydration(page);
  await page.getByText('New email type…').click();
  await page.getByLabel('Name', { exact: true }).fill('Welcome');
  await page.getByLabel('Subject').fill('Welcome, {{ name }}');
  await page.getByLabel('HTML body').fill('<p>Hello {{ name }}</p>');
  await page.getByLabel('Text body').fill('Hello {{ name }}');
  await page.getByRole('button', { name: 'Create email type' }).click();
  await expect(page.getByText('Email type created.')).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Welcome', exact: true })).toBeVisible();

  // Typing the addresses does not help: the server refuses.
  await page.goto('/accounts');
  await expect(page.getByRole('alert')).toHaveText('You do not have permission to do this.');
  await page.goto(new URL(accountUrl).pathname);
  await expect(page.getByRole('alert')).toHaveText('You do not have permission to do this.');
  await page.goto('/staff');
  await expect(page.getByRole('alert')).toHaveText('You do not have permission to do this.');
  await clientContext.close();
});

test('a wrong password shows a clear message', async ({ page }) => {
  await signIn(page, { email: CSM.email, password: 'not-the-password' });
  await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');
});
