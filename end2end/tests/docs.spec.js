// The API docs are public, generated from the OpenAPI document, with a Response window per endpoint.
const { test } = require('@playwright/test');
const { waitForHydration, expect } = require('./helpers');

test('the docs show each endpoint with request and response examples', async ({ page }) => {
  await page.goto('/docs');
  await expect(page.getByRole('heading', { name: 'Getting started', level: 1 })).toBeVisible();
  await expect(page.getByText(/^Authorization: Basic Y2xf/)).toBeVisible();
  await waitForHydration(page);

  const nav = page.getByRole('navigation', { name: 'API docs' });
  await nav.getByRole('link', { name: /Send a system or trigger email/ }).click();
  await expect(page.getByRole('heading', { name: 'Send a system or trigger email', level: 1 })).toBeVisible();
  await expect(page.getByText('curl -X POST https://mailroom.example.com/v1/emails')).toBeVisible();
  await expect(page.getByRole('cell', { name: 'user.email required' })).toBeVisible();

  const tabs = page.getByRole('tablist', { name: 'Response' });
  await expect(tabs.getByRole('tab', { name: '200' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel')).toContainText('"user_created": true');

  await tabs.getByRole('tab', { name: '400' }).click();
  await expect(tabs.getByRole('tab', { name: '400' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel')).toContainText('"user.email": "is not a valid email address"');

  await tabs.getByRole('tab', { name: '401' }).click();
  await expect(page.getByRole('tabpanel')).toContainText('"title": "Unauthorized"');

  await nav.getByRole('link', { name: /Read a user by user_id/ }).click();
  await expect(page.getByRole('heading', { name: 'Read a user by user_id', level: 1 })).toBeVisible();
  await page.getByRole('tablist', { name: 'Response' }).getByRole('tab', { name: '404' }).click();
  await expect(page.getByRole('tabpanel')).toContainText('"title": "Not found"');
});
