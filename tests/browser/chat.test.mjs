// Two people chatting in two browser contexts: register, create a room, join it by id, messages
// both ways, typing indicators, presence, unread counts, read receipts, live edit and delete, and
// the member list when one leaves. Screenshots of the login screen, the room list and the chat.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../integration/lib/harness.mjs';
import {
  launch, openUser, registerViaUi, createRoomViaUi, joinRoomViaUi, sendViaUi, message, member, until, screenshot, diagnostics,
} from './lib/browser.mjs';

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

test('two users chat in real time', async (t) => {
  const alice = await openUser(browser, srv);
  const bob = await openUser(browser, srv);
  const users = [alice, bob];
  t.after(() => { if (alice.errors.length || bob.errors.length) console.error(diagnostics(users)); });

  await alice.page.getByRole('heading', { name: 'Log in to Parley' }).waitFor();
  await screenshot(alice.page, 'login');
  await registerViaUi(alice, 'alice');
  await registerViaUi(bob, 'bob');

  const roomId = await createRoomViaUi(alice, 'general');
  assert.ok(roomId > 0, 'the room id is in the address');
  await joinRoomViaUi(bob, roomId, 'general');

  // Presence: each sees the other online in the member list.
  await member(alice.page, bob.username).and(alice.page.locator('[data-status="online"]')).waitFor();
  await member(bob.page, alice.username).and(bob.page.locator('[data-status="online"]')).waitFor();

  // Typing both ways, then messages both ways.
  await bob.page.getByRole('textbox', { name: 'Message' }).fill('hi al');
  await alice.page.locator('.typing', { hasText: `${bob.username} is typing…` }).waitFor();
  await bob.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await message(alice.page, 'hi al').waitFor();
  await until(async () => (await alice.page.locator('.typing').textContent()) === '', 'typing to clear after the message', { users });

  await alice.page.getByRole('textbox', { name: 'Message' }).fill('hello bo');
  await bob.page.locator('.typing', { hasText: `${alice.username} is typing…` }).waitFor();
  await alice.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await message(bob.page, 'hello bo').waitFor();
  await sendViaUi(alice, 'how are you?');
  await message(bob.page, 'how are you?').waitFor();

  // Grouping: alice's two messages in a row share one header on bob's side.
  assert.equal(await message(bob.page, 'how are you?').evaluate((el) => el.classList.contains('grouped')), true);

  // Read receipts: bob has the room open at the bottom, so alice's messages turn "read".
  await message(alice.page, 'how are you?').and(alice.page.locator('[data-status="read"]')).waitFor();

  // Bob looks at another room: alice's next message stays "delivered" and bob gets an unread count.
  await createRoomViaUi(bob, 'elsewhere');
  await sendViaUi(alice, 'are you there?');
  await message(alice.page, 'are you there?').and(alice.page.locator('[data-status="delivered"]')).waitFor();
  await bob.page.getByRole('button', { name: 'general, 1 unread' }).waitFor();
  await screenshot(bob.page, 'rooms');
  await bob.page.getByRole('button', { name: 'general, 1 unread' }).click();
  await message(alice.page, 'are you there?').and(alice.page.locator('[data-status="read"]')).waitFor();

  // Edit and delete show up live on the other side.
  const mine = message(alice.page, 'how are you?');
  await mine.hover();
  await mine.getByRole('button', { name: 'Edit message' }).click();
  const editor = alice.page.getByRole('textbox', { name: 'Edit message' });
  await editor.fill('how are you doing?');
  await editor.press('Enter');
  await message(bob.page, 'how are you doing?').locator('.edited').waitFor();

  const doomed = message(alice.page, 'hello bo');
  await doomed.hover();
  await doomed.getByRole('button', { name: 'Delete message' }).click();
  await bob.page.locator('.msg.deleted', { hasText: 'This message was deleted.' }).waitFor();
  await until(async () => (await message(bob.page, 'hello bo').count()) === 0, 'the deleted text to go', { users });

  await sendViaUi(bob, 'all good, thanks');
  await message(alice.page, 'all good, thanks').waitFor();
  await screenshot(alice.page, 'chat-desktop');

  // Phone-sized screen: one pane at a time.
  await bob.page.setViewportSize({ width: 390, height: 760 });
  await until(() => bob.page.locator('.sidebar').isHidden(), 'the room list to hide on a phone with a room open', { users });
  await screenshot(bob.page, 'chat-phone');
  await bob.page.getByRole('button', { name: 'Back to rooms' }).click();
  await bob.page.getByRole('heading', { name: 'Your rooms' }).waitFor();
  await bob.page.setViewportSize({ width: 1180, height: 760 });

  // Bob leaves: alice's member list updates.
  await bob.page.getByRole('button', { name: /^general/ }).click();
  await bob.page.getByRole('button', { name: 'Leave', exact: true }).click();
  await until(async () => (await member(alice.page, bob.username).count()) === 0, 'bob to leave alice\'s member list', { users });
  assert.deepEqual([...alice.errors, ...bob.errors], [], 'no page errors');
});

test('logging in again and staying logged in across reloads', async () => {
  const user = await openUser(browser, srv);
  await registerViaUi(user, 'carol');
  await createRoomViaUi(user, 'notes');
  await sendViaUi(user, 'remember me');
  await message(user.page, 'remember me').waitFor();

  // A reload restores the session from the stored refresh token and reopens the room.
  await user.page.reload();
  await message(user.page, 'remember me').waitFor();
  const stored = await user.page.evaluate(() => localStorage.getItem('parley.refresh_token'));
  assert.ok(stored, 'the refresh token is stored');

  // Logging out revokes it server-side and shows the login screen; logging in works again.
  await user.page.getByRole('button', { name: 'Log out' }).click();
  await user.page.getByRole('heading', { name: 'Log in to Parley' }).waitFor();
  assert.equal(await user.page.evaluate(() => localStorage.getItem('parley.refresh_token')), null);
  const res = await srv.api('POST', '/api/auth/refresh', { refresh_token: stored });
  assert.equal(res.status, 401, 'the old refresh token no longer works');

  await user.page.getByLabel('Username').fill(user.username);
  await user.page.getByLabel('Password').fill('wrong password');
  await user.page.getByRole('button', { name: 'Log in' }).click();
  await user.page.getByRole('alert').filter({ hasText: 'invalid username or password' }).waitFor();
  await user.page.getByLabel('Password').fill(user.password);
  await user.page.getByRole('button', { name: 'Log in' }).click();
  await user.page.getByRole('button', { name: /^notes/ }).waitFor();
  assert.deepEqual(user.errors, []);
});
