// Silent renewal: with 2-second access tokens, the page renews its token on its own (rotating
// the refresh token kept in localStorage), and REST calls and the WebSocket keep working after
// the first token expired; a reload still restores the login.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../integration/lib/harness.mjs';
import { launch, openUser, registerViaUi, createRoomViaUi, sendViaUi, message, until, diagnostics } from './lib/browser.mjs';

let srv;
let browser;
before(async () => {
  srv = await startServer({ 'access-token-ttl-s': 2 });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.dispose();
});

test('the access token is renewed silently', async () => {
  const user = await openUser(browser, srv);
  await registerViaUi(user, 'frank');
  const first = await user.page.evaluate(() => ({ access: window.parley.api.access, refresh: localStorage.getItem('parley.refresh_token') }));
  // Two renewals later the first token has long expired.
  let renewals = 0;
  let last = first.access;
  await until(async () => {
    const now = await user.page.evaluate(() => window.parley.api.access);
    if (now !== last) { renewals++; last = now; }
    return renewals >= 2;
  }, 'two silent renewals', { users: [user], timeoutMs: 20_000 });
  assert.notEqual(await user.page.evaluate(() => localStorage.getItem('parley.refresh_token')), first.refresh, 'the refresh token rotated');
  await until(async () => (await srv.api('GET', '/api/me', undefined, first.access)).status === 401, 'the first access token to expire', { users: [user] });

  await createRoomViaUi(user, 'still here');
  await sendViaUi(user, 'works after renewal');
  await message(user.page, 'works after renewal').and(user.page.locator('[data-status="delivered"]')).waitFor();
  await user.page.reload();
  await message(user.page, 'works after renewal').waitFor();
  assert.deepEqual(user.errors, [], diagnostics([user]));
});
