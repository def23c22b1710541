// A client launches a marketing campaign: uploads a small CSV from the project's Campaigns page, checks
// the column mapping and the preview, launches, watches the progress bar reach 100 %, opens a created
// user's profile and finds the campaign's email there. Every page on the way hydrates without errors.
const { test } = require('@playwright/test');
const { CSM, signIn, waitForHydration, unique, expect } = require('./helpers');

test('a client uploads a CSV, launches the campaign and follows it to a user', async ({ browser }) => {
  test.setTimeout(120_000);
  const csmContext = await browser.newContext();
  const csm = await csmContext.newPage();
  await signIn(csm, CSM);
  await waitForHydration(csm);
  const name = unique('Campaign Co');
  await csm.getByLabel('Name').fill(name);
  await csm.getByRole('button', { name: 'Create account' }).click();
  await expect(csm.getByRole('heading', { name, level: 1 })).toBeVisible();
  await waitForHydration(csm);
  await csm.getByLabel('Project name').fill('Shop');
  await csm.getByRole('button', { name: 'Create project' }).click();
  const clientEmail = `${Date.now()}@campaign-client.test`;
  await csm.getByLabel('Email').fill(clientEmail);
  await csm.getByLabel('Initial password').fill('client-password-1');
  await csm.getByRole('button', { name: 'Add login' }).click();
  await expect(csm.getByText('Login added.')).toBeVisible();
  await csm.getByRole('link', { name: 'Shop' }).click();
  await expect(csm.getByRole('heading', { name: 'Shop', level: 1 })).toBeVisible();
  await waitForHydration(csm);
  await csm.getByText('New email type…').click();
  await csm.getByLabel('Name', { exact: true }).fill('Winter sale');
  await csm.getByLabel('Subject').fill('Hello {{ name }}');
  await csm.getByLabel('HTML body').fill('<p>Your code: {{ coupon }}</p>');
  await csm.getByLabel('Text body').fill('Your code: {{ coupon }}');
  await csm.getByRole('button', { name: 'Create email type' }).click();
  await expect(csm.getByText('Email type created.')).toBeVisible();
  await csmContext.close();

  const context = await browser.newContext();
  const client = await context.newPage();
  const errors = [];
  client.on('pageerror', (e) => { console.log('PAGEERROR', client.url(), e.message.slice(0, 400)); errors.push(`${client.url()}: ${e.message}`); });
  await signIn(client, { email: clientEmail, password: 'client-password-1' });
  await expect(client.getByRole('heading', { name: 'Projects', level: 1 })).toBeVisible();
  await client.getByRole('link', { name: 'Shop' }).click();
  await expect(client.getByRole('heading', { name: 'Shop', level: 1 })).toBeVisible();
  await client.getByRole('main').getByRole('link', { name: 'Campaigns' }).click();
  await expect(client.getByRole('heading', { name: 'Campaigns', level: 1 })).toBeVisible();
  await expect(client.getByText(/No campaigns yet/i)).toBeVisible();

  const stamp = Date.now().toString(36);
  const csv = `email;Name;coupon\n${stamp}.ann@shop.example;Ann;A-1\n${stamp}.bob@shop.example;Bob;B-2\nnot-an-address;Nobody;X\n`;
  await client.getByLabel('Campaign name').fill('December');
  await client.getByLabel('Email type').selectOption({ label: 'Winter sale (trigger)' });
  await client.getByLabel('CSV file').setInputFiles({ name: 'december.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await client.getByRole('button', { name: 'Upload CSV' }).click();

  // The draft: the mapping guessed from the header, the first rows.
  await expect(client.getByRole('heading', { name: 'December', level: 1 })).toBeVisible();
  await waitForHydration(client);
  await expect(client.getByLabel('Use of column email')).toHaveValue('email');
  await expect(client.getByLabel('Use of column Name')).toHaveValue('name');
  await expect(client.getByLabel('Use of column coupon')).toHaveValue('data:coupon');
  await expect(client.getByRole('cell', { name: `${stamp}.bob@shop.example`, exact: true })).toBeVisible();
  await client.getByRole('button', { name: 'Launch now' }).click();

  // Live progress to the end: 3 rows read, 2 users created, 1 rejected.
  const progress = client.getByRole('progressbar', { name: 'Import progress' });
  await expect(progress).toBeVisible();
  await expect(client.getByText(/100 % — 3 of 3 rows/)).toBeVisible({ timeout: 20_000 });
  await expect(client.getByRole('link', { name: 'Download rejected rows (CSV)' })).toBeVisible();
  await expect(client.getByText('not-an-address').first()).toBeVisible();

  // The created user's profile shows the campaign's email.
  await client.goto(`/users?q=${encodeURIComponent(`${stamp}.ann@shop.example`)}`);
  await client.getByRole('link', { name: `${stamp}.ann@shop.example` }).click();
  await expect(client.getByRole('heading', { name: `${stamp}.ann@shop.example`, level: 1 })).toBeVisible();
  await expect(client.getByText('campaign', { exact: true }).first()).toBeVisible();
  await expect(client.getByRole('link', { name: 'Winter sale' }).first()).toBeVisible();

  // The campaign pages hydrate when loaded directly.
  await client.goBack();
  await client.goto('/campaigns');
  await waitForHydration(client);
  await expect(client.getByRole('link', { name: 'December' })).toBeVisible();
  await client.getByRole('link', { name: 'December' }).click();
  await waitForHydration(client);
  await expect(client.getByText(/100 % — 3 of 3 rows/)).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});
