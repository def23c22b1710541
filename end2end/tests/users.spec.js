// Support finds a user from the top-bar search, reads the statuses of its email in order and opens the
// email; the account's client unsubscribes the user from the profile and the next send is suppressed.
const { test } = require('@playwright/test');
const { CSM, signIn, waitForHydration, unique, expect } = require('./helpers');

test('support follows an email from the top-bar search; a client unsubscribes the user', async ({ browser, request }) => {
  const csmContext = await browser.newContext();
  const csm = await csmContext.newPage();
  await signIn(csm, CSM);
  await waitForHydration(csm);
  const name = unique('Profile Co');
  await csm.getByLabel('Name').fill(name);
  await csm.getByRole('button', { name: 'Create account' }).click();
  await expect(csm.getByRole('heading', { name, level: 1 })).toBeVisible();
  const clientId = await csm.locator('#client-id').textContent();
  await waitForHydration(csm);
  await csm.getByRole('button', { name: 'Issue key' }).click();
  const key = await csm.getByLabel('New API key').inputValue();
  await csm.getByLabel('Project name').fill('Shop');
  await csm.getByRole('button', { name: 'Create project' }).click();
  const clientEmail = `${Date.now()}@profile-client.test`;
  await csm.getByLabel('Email').fill(clientEmail);
  await csm.getByLabel('Initial password').fill('client-password-1');
  await csm.getByRole('button', { name: 'Add login' }).click();
  await expect(csm.getByText('Login added.')).toBeVisible();
  await csm.getByRole('link', { name: 'Shop' }).click();
  await expect(csm.getByRole('heading', { name: 'Shop', level: 1 })).toBeVisible();
  const projectId = Number(new URL(csm.url()).pathname.split('/').pop());
  await waitForHydration(csm);
  await csm.getByText('New email type…').click();
  await csm.getByLabel('Name', { exact: true }).fill('Receipt');
  await csm.getByLabel('Subject').fill('Your receipt');
  await csm.getByLabel('HTML body').fill('<p>Thanks, {{ name }}</p>');
  await csm.getByLabel('Text body').fill('Thanks, {{ name }}');
  await csm.getByRole('button', { name: 'Create email type' }).click();
  await expect(csm.getByText('Email type created.')).toBeVisible();
  const typeId = Number(await csm.getByRole('row', { name: /Receipt/ }).locator('code').textContent());

  const supportEmail = `${Date.now()}@support.test`;
  await csm.goto('/staff');
  await waitForHydration(csm);
  await csm.getByLabel('Email').fill(supportEmail);
  await csm.getByLabel('Role').selectOption('support');
  await csm.getByLabel('Initial password').fill('support-password-1');
  await csm.getByRole('button', { name: 'Add login' }).click();
  await expect(csm.getByRole('cell', { name: supportEmail })).toBeVisible();
  await csmContext.close();

  // The product sends; delivery captures the email; the recipient opens it (the tracking pixel).
  const recipient = `${Date.now().toString(36)}.anna@shop.example`;
  const auth = 'Basic ' + Buffer.from(`${clientId}:${key}`).toString('base64');
  const send = () => request.post('/v1/emails', {
    headers: { Authorization: auth },
    data: { project_id: projectId, type_id: typeId, category: 'trigger', user: { email: recipient, name: 'Anna' } },
  });
  const res = await send();
  expect(res.status()).toBe(200);
  const { message_id: messageId } = (await res.json()).data;
  let emailStatus;
  await expect(async () => {
    const r = await request.get(`/v1/emails/${messageId}`, { headers: { Authorization: auth } });
    emailStatus = (await r.json()).data.status;
    expect(emailStatus).toBe('sent');
  }).toPass({ timeout: 15_000 });

  // Support: top-bar search by the address's beginning, the profile, the statuses in order.
  const supportContext = await browser.newContext();
  const support = await supportContext.newPage();
  // Every page hydrates: a hydration mismatch shows up as a page error.
  const pageErrors = [];
  support.on('pageerror', (e) => pageErrors.push(`${support.url()}: ${e.message}`));
  await signIn(support, { email: supportEmail, password: 'support-password-1' });
  await expect(support.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();
  await support.getByRole('searchbox', { name: 'Search users' }).fill(recipient.slice(0, 8));
  await support.getByRole('searchbox', { name: 'Search users' }).press('Enter');
  await expect(support.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
  await support.getByRole('link', { name: recipient }).click();
  await expect(support.getByRole('heading', { name: recipient, level: 1 })).toBeVisible();

  // The open arrives through the pixel of the captured copy.
  await support.getByRole('link', { name: 'Receipt' }).click();
  await expect(support.getByRole('heading', { name: /Receipt/, level: 1 })).toBeVisible();
  const outboxLink = support.getByRole('link', { name: 'Source in the outbox' });
  await outboxLink.click();
  const source = await support.locator('pre.email-source').textContent();
  // The pixel's URL in the source (undoing quoted-printable line breaks and escapes, if any).
  const decoded = source.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const pixel = decoded.match(/https?:\/\/[^"\s]+\/t\/o\/[^"\s]+/)[0];
  expect((await request.get(pixel)).status()).toBe(200);
  await support.goBack();
  await support.reload();
  const history = support.getByRole('region', { name: 'Status history' });
  await expect(history.getByRole('row')).toHaveText([/Time/, /queued/, /sent/, /opened/]);
  await waitForHydration(support);
  await support.getByRole('link', { name: recipient }).first().click();
  await expect(support.getByRole('heading', { name: recipient, level: 1 })).toBeVisible();
  const item = support.getByRole('listitem').filter({ hasText: messageId });
  await expect(item.getByRole('list', { name: 'Status history' }).getByRole('listitem')).toHaveText([/queued/, /sent/, /opened/]);
  // Support reads only.
  await expect(support.locator('summary', { hasText: 'Unsubscribe' })).toHaveCount(0);
  expect(pageErrors).toEqual([]);
  await supportContext.close();

  // The client unsubscribes the user; the next send answers suppressed.
  const clientContext = await browser.newContext();
  const client = await clientContext.newPage();
  await signIn(client, { email: clientEmail, password: 'client-password-1' });
  await expect(client.getByRole('heading', { name: 'Projects', level: 1 })).toBeVisible();
  await client.goto(`/users?q=${encodeURIComponent(recipient)}`);
  await client.getByRole('link', { name: recipient }).click();
  await expect(client.getByRole('heading', { name: recipient, level: 1 })).toBeVisible();
  await waitForHydration(client);
  await client.locator('summary', { hasText: 'Unsubscribe' }).click();
  await client.getByRole('button', { name: 'Unsubscribe' }).click();
  await expect(client.getByText('This user unsubscribed')).toBeVisible();
  const again = await send();
  expect((await again.json()).data.status).toBe('suppressed');

  // Each page hydrates when loaded directly: the profile (both timeline kinds), the email, the
  // project's activity and its page with the chart.
  const errors = [];
  client.on('pageerror', (e) => errors.push(`${client.url()}: ${e.message}`));
  const profileUrl = new URL(client.url()).pathname;
  for (const [path, text] of [
    [profileUrl, 'Unsubscribed'],
    [`${profileUrl}?kind=changes`, 'subscribed'],
    [`/emails/${messageId}`, 'Status history'],
    [`/projects/${projectId}/activity?status=opened`, recipient],
    [`/projects/${projectId}`, 'Emails by status, last 30 days'],
  ]) {
    await client.goto(path);
    await waitForHydration(client);
    await expect(client.getByText(text).first()).toBeVisible();
  }
  expect(errors).toEqual([]);
  await clientContext.close();
});
