// The server is killed (SIGKILL) and restarted in the middle of a conversation: both pages show
// that they are reconnecting, resume on their own, a message typed meanwhile is sent on reconnect
// and arrives exactly once, and a message posted while they were away is filled in.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, fullHistory } from '../integration/lib/harness.mjs';
import { launch, twoUsersInARoom, sendViaUi, message, until, diagnostics } from './lib/browser.mjs';

let srv;
let browser;
before(async () => {
  srv = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.dispose();
});

test('kill -9 and restart during a conversation', async () => {
  const { alice, bob, users, roomId } = await twoUsersInARoom(browser, srv, 'resilient');
  await sendViaUi(alice, 'before the crash');
  await message(bob.page, 'before the crash').waitFor();

  await srv.kill9();
  for (const u of users) await u.page.locator('#conn-banner', { hasText: 'Reconnecting' }).waitFor();

  await sendViaUi(alice, 'typed while offline');
  await message(alice.page, 'typed while offline').and(alice.page.locator('[data-status="queued"]')).waitFor();

  await srv.restart();
  // Posted over REST as soon as the server is back: whoever is not connected yet gets it on resume.
  const aliceToken = (await srv.api('POST', '/api/auth/login', { username: alice.username, password: alice.password })).json.access_token;
  const posted = await srv.api('POST', '/api/messages', { room_id: roomId, content: 'posted during the resume', client_id: 'rest-1' }, aliceToken);
  assert.equal(posted.status, 201);

  for (const u of users) await until(() => u.page.locator('#conn-banner').isHidden(), `${u.username}'s banner to go`, { users, timeoutMs: 30_000 });
  await message(bob.page, 'typed while offline').waitFor();
  await message(bob.page, 'posted during the resume').waitFor();
  await message(alice.page, 'posted during the resume').waitFor();
  await message(alice.page, 'typed while offline').and(alice.page.locator('[data-status="read"], [data-status="delivered"]')).waitFor();

  // Exactly once: on both pages and in the room's history.
  await sendViaUi(bob, 'welcome back');
  await message(alice.page, 'welcome back').waitFor();
  for (const u of users) {
    assert.equal(await message(u.page, 'typed while offline').count(), 1, `${u.username} shows it once`);
    assert.equal(await message(u.page, 'posted during the resume').count(), 1, `${u.username} shows the REST one once`);
  }
  const history = await fullHistory(srv, { token: aliceToken }, roomId);
  assert.deepEqual(history.map((m) => m.content).sort(),
    ['before the crash', 'typed while offline', 'posted during the resume', 'welcome back'].sort());
  assert.deepEqual([...alice.errors, ...bob.errors].filter((e) => !/WebSocket/.test(e)), [], diagnostics(users));
});
