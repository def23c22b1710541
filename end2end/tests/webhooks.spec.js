// The FAQ's path: a client opens Projects → Edit → Additional, types its receiver's URL in the field
// labelled "Webhooks", saves, and sends a test event that a real receiver answers.
const http = require('http');
const { test } = require('@playwright/test');
const { CSM, signIn, waitForHydration, unique, expect } = require('./helpers');

/** A receiver on a free port that answers every request 200 "ok" and remembers what came. */
async function startReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, received, url: `http://127.0.0.1:${server.address().port}/mailroom-hooks` };
}

test('a client sets its project webhook URL, and a test event reaches the receiver', async ({ browser }) => {
  const receiver = await startReceiver();
  try {
    // The CSM sets up an account with a project and a client login.
    const csmContext = await browser.newContext();
    const csm = await csmContext.newPage();
    await signIn(csm, CSM);
    await waitForHydration(csm);
    const name = unique('Hooks Co');
    await csm.getByLabel('Name').fill(name);
    await csm.getByRole('button', { name: 'Create account' }).click();
    await expect(csm.getByRole('heading', { name, level: 1 })).toBeVisible();
    await waitForHydration(csm);
    await csm.getByLabel('Project name').fill('Web shop');
    await csm.getByRole('button', { name: 'Create project' }).click();
    await expect(csm.getByRole('link', { name: 'Web shop' })).toBeVisible();
    const email = `${Date.now()}@hooks.test`;
    await csm.getByLabel('Email').fill(email);
    await csm.getByLabel('Initial password').fill('client-password-1');
    await csm.getByRole('button', { name: 'Add login' }).click();
    await expect(csm.getByText('Login added.')).toBeVisible();
    await csmContext.close();

    // The client: Projects → Edit → Additional.
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, { email, password: 'client-password-1' });
    await expect(page.getByRole('heading', { name: 'Projects', level: 1 })).toBeVisible();
    await waitForHydration(page);
    await page.getByRole('row', { name: /Web shop/ }).getByRole('link', { name: 'Edit', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Edit Web shop', level: 1 })).toBeVisible();
    await expect(page.getByRole('tab', { name: 'General' })).toHaveAttribute('aria-selected', 'true');
    await page.getByRole('tab', { name: 'Additional' }).click();
    await expect(page).toHaveURL(/\?tab=additional$/);
    await expect(page.getByRole('tab', { name: 'Additional' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', 'tab-additional');
    await expect(page.getByText('In effect: none.')).toBeVisible();

    // A bad URL: the message beside the field, and what was typed stays.
    const field = page.getByLabel('Webhooks', { exact: true });
    await field.fill('ftp://hooks.example/');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByText('Webhooks must use https://, not ftp://')).toBeVisible();
    await expect(field).toHaveValue('ftp://hooks.example/');
    await expect(field).toHaveAttribute('aria-invalid', 'true');

    await field.fill(receiver.url);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByText('Webhook settings saved.')).toBeVisible();
    await expect(page.getByText(`In effect: this project's URL, ${receiver.url}`)).toBeVisible();

    // After a reload the value is still there; the account-wide URL is read-only for a client.
    await page.reload();
    await expect(page.getByLabel('Webhooks', { exact: true })).toHaveValue(receiver.url);
    await expect(page.getByText('Read-only. Contact your CSM to change it.')).toBeVisible();
    await expect(page.getByRole('textbox', { name: /account/i })).toHaveCount(0);
    await waitForHydration(page);

    // The arrow keys move between the tabs.
    await page.getByRole('tab', { name: 'Additional' }).focus();
    await page.keyboard.press('ArrowLeft');
    await expect(page.getByRole('tab', { name: 'General' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tab', { name: 'General' })).toBeFocused();
    await expect(page.getByLabel('From address')).toBeVisible();
    await page.keyboard.press('End');
    await expect(page.getByRole('tab', { name: 'Additional' })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tab', { name: 'Additional' })).toBeFocused();

    // Send test event: the receiver's 200 and answer are shown, and it got a signed webhook.test.
    await page.getByRole('button', { name: 'Send test event' }).click();
    const result = page.locator('.test-result');
    await expect(result).toContainText('200');
    await expect(result).toContainText(/in \d+ ms/);
    await expect(result.getByLabel("Receiver's answer")).toHaveText('ok');
    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0];
    expect(hook.method).toBe('POST');
    expect(hook.url).toBe('/mailroom-hooks');
    expect(hook.headers['webhook-signature']).toMatch(/^v1,/);
    expect(JSON.parse(hook.body).type).toBe('webhook.test');

    // The delivery is in the latest deliveries and on the Deliveries page.
    await expect(page.getByRole('cell', { name: 'webhook.test' })).toBeVisible();
    await page.getByRole('link', { name: 'All deliveries →' }).click();
    await expect(page.getByRole('heading', { name: 'Webhook deliveries', level: 1 })).toBeVisible();
    await expect(page.getByRole('cell', { name: 'Delivered' })).toBeVisible();
    await page.getByRole('link', { name: 'Attempts' }).click();
    await expect(page.getByRole('heading', { name: /webhook\.test/, level: 1 })).toBeVisible();
    await expect(page.getByRole('cell', { name: receiver.url })).toBeVisible();
    await context.close();
  } finally {
    receiver.server.close();
  }
});
