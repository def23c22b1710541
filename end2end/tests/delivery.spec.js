// An email sent through the API is delivered to the captured outbox and read in the panel; the email
// type's page previews the template over sample data.
const { test } = require('@playwright/test');
const { CSM, signIn, waitForHydration, unique, expect } = require('./helpers');

test('a sent email appears in the Outbox, and an email type previews over sample data', async ({ page, request }) => {
  await signIn(page, CSM);
  await waitForHydration(page);
  const name = unique('Outbox Co');
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
  const clientId = await page.locator('#client-id').textContent();
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Issue key' }).click();
  const key = await page.getByLabel('New API key').inputValue();
  await page.getByLabel('Project name').fill('Shop');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('link', { name: 'Shop' }).click();
  await expect(page.getByRole('heading', { name: 'Shop', level: 1 })).toBeVisible();
  const projectId = Number(new URL(page.url()).pathname.split('/').pop());

  // The sender of the project's emails.
  await waitForHydration(page);
  await page.getByLabel('From address').fill('news@shop.example');
  await page.getByLabel('From name').fill('Shop News');
  await page.getByRole('button', { name: 'Save sender' }).click();
  await expect(page.getByText('Sender saved.')).toBeVisible();

  await page.getByText('New email type…').click();
  await page.getByLabel('Name', { exact: true }).fill('Welcome');
  await page.getByLabel('Subject').fill('Welcome, {{ name }}');
  await page.getByLabel('HTML body').fill('<p>Hello <b>{{ name }}</b>, your code is {{ code }}.</p>');
  await page.getByLabel('Text body').fill('Hello {{ name }}, your code is {{ code }}.');
  await page.getByRole('button', { name: 'Create email type' }).click();
  await expect(page.getByText('Email type created.')).toBeVisible();
  const typeId = Number(await page.getByRole('row', { name: /Welcome/ }).locator('code').textContent());

  // The client's product sends through the API.
  const auth = 'Basic ' + Buffer.from(`${clientId}:${key}`).toString('base64');
  const res = await request.post('/v1/emails', {
    headers: { Authorization: auth },
    data: {
      project_id: projectId, type_id: typeId, category: 'trigger',
      user: { email: 'anna@example.com', name: 'Anna' }, data: { code: '424242' },
    },
  });
  expect(res.status()).toBe(200);

  // The delivery workers capture it (no SMTP relay is configured).
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Outbox' }).click();
  await expect(page.getByRole('heading', { name: 'Outbox', level: 1 })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('link', { name: 'Welcome, Anna' })).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await page.getByRole('link', { name: 'Welcome, Anna' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome, Anna', level: 1 })).toBeVisible();
  await expect(page.getByText('Shop News <news@shop.example>')).toBeVisible();
  await expect(page.getByRole('region', { name: 'Text part' }).getByText('Hello Anna, your code is 424242.')).toBeVisible();
  const frame = page.frameLocator('iframe[title="HTML part of the email"]');
  await expect(frame.getByText('Anna', { exact: true })).toBeVisible();

  // The email type's page previews the template over sample data.
  await page.goto(`/projects/${projectId}`);
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Welcome' }).click();
  await expect(page.getByRole('heading', { name: 'Welcome', level: 1 })).toBeVisible();
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByRole('region', { name: 'Rendered preview' });
  await expect(preview.getByText('Welcome, Anna')).toBeVisible();
  await expect(preview.getByText('Hello Anna, your code is 123456.')).toBeVisible();
  await page.getByLabel('Sample data (JSON)').fill('{"user": {"email": "bo@example.com"}}');
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('alert')).toContainText('subject');
});
