// Shared steps: sign in as a person would, by label and role.
const { expect } = require('@playwright/test');

const CSM = { email: 'csm@example.com', password: 'csm-password-123' };

async function signIn(page, { email, password }) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until the page has hydrated (the WebAssembly bundle took over the server-rendered HTML). */
async function waitForHydration(page) {
  await page.waitForFunction(() => window.__mailroomHydrated === true);
}

/** A name that no earlier test used, so tests do not depend on each other's data. */
function unique(prefix) {
  return `${prefix} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

module.exports = { CSM, signIn, waitForHydration, unique, expect };
