// Browser-test helpers: Debian's chromium driven by playwright-core (never a downloaded browser),
// one context per user, UI steps shared by the tests, screenshots as artifacts, and failure
// messages that carry the page's console errors and the server's log tail.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, serverLogTail, uniqueName, waitFor } from '../../integration/lib/harness.mjs';

export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = process.env.PARLEY_ARTIFACTS
  ? path.join(process.env.PARLEY_ARTIFACTS, 'screenshots')
  : path.join(REPO_ROOT, 'build', 'test-artifacts', 'screenshots');
export const DOCS_SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');
export const UI_TIMEOUT_MS = 15_000;

export async function launch({ media = false } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (scripts/setup.sh installs Debian's chromium)`);
  const args = [
    '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-dev-shm-usage',
  ];
  if (media) {
    args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      // Host candidates as plain loopback addresses: mDNS .local names do not resolve here.
      '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required');
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** A fresh browser context (its own storage: one user) with one page on the server. */
export async function openUser(browser, srv, { viewport = { width: 1180, height: 760 }, colorScheme = 'light', media = false } = {}) {
  const context = await browser.newContext({ baseURL: srv.baseUrl, viewport, colorScheme, permissions: media ? ['camera', 'microphone'] : [] });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.stack || e.message}`));
  // Refused requests (a wrong password's 401, a refused upload) are part of the scenarios; script errors are not.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`); });
  page.on('dialog', (d) => d.accept());
  await page.goto('/');
  return { context, page, errors, srv };
}

/** Registers through the login screen's "Create an account"; resolves when the rooms show. */
export async function registerViaUi(user, prefix) {
  const { page } = user;
  user.username = uniqueName(prefix);
  user.password = `pw-${Math.random().toString(36).slice(2)}x1`;
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('heading', { name: 'Your rooms' }).waitFor();
  return user;
}

export async function createRoomViaUi(user, name, { private: priv = false } = {}) {
  const { page } = user;
  await page.getByRole('textbox', { name: 'New room' }).fill(name);
  if (priv) await page.getByLabel('Private (join by invite only)').check();
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.locator('.chat-title', { hasText: name }).waitFor();
  const id = Number(/#\/room\/(\d+)/.exec(await page.evaluate(() => location.hash))?.[1]);
  return id;
}

export async function joinRoomViaUi(user, idOrInvite, name) {
  const { page } = user;
  await page.getByRole('textbox', { name: 'Join a room' }).fill(String(idOrInvite));
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  await page.locator('.chat-title', { hasText: name }).waitFor();
}

// Two new users in their own pages: alice registers and creates `roomName`, bob joins it by id.
export async function twoUsersInARoom(browser, srv, roomName, openOptions = {}) {
  const alice = await openUser(browser, srv, openOptions);
  const bob = await openUser(browser, srv, openOptions);
  await registerViaUi(alice, 'alice');
  await registerViaUi(bob, 'bob');
  const roomId = await createRoomViaUi(alice, roomName);
  await joinRoomViaUi(bob, roomId, roomName);
  return { alice, bob, users: [alice, bob], roomId };
}

export async function sendViaUi(user, text) {
  const box = user.page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

/** The message list item holding `text`. */
export function message(page, text) {
  return page.locator('.messages .msg', { has: page.locator('.text', { hasText: text }) });
}

export function member(page, username) {
  return page.locator(`.member[data-user="${username}"]`);
}

/** Polls an async predicate until it is truthy or the deadline passes (observed state, not sleeps). */
export function until(fn, what, { timeoutMs = UI_TIMEOUT_MS, intervalMs = 100, users = [] } = {}) {
  return waitFor(fn, { timeoutMs, intervalMs, what, diagnostics: () => diagnostics(users) });
}

export function diagnostics(users = []) {
  const parts = users.map((u) => `--- ${u.username ?? 'user'} page errors ---\n${u.errors.join('\n') || '(none)'}`);
  parts.push(serverLogTail(2000));
  return parts.join('\n');
}

/** Saves a screenshot under the artifacts dir and, when refreshDocs, into docs/screenshots/. */
export async function screenshot(page, name, { refreshDocs = true } = {}) {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  if (refreshDocs && process.env.PARLEY_REFRESH_DOC_SCREENSHOTS !== '0') {
    fs.mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS_SCREENSHOTS, `${name}.png`));
  }
  return file;
}
