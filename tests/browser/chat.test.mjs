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
  // The paging test posts 120 messages at once: lift the message rate limit.
  srv = await startServer({ 'msg-rate-burst': 1000, 'msg-rate-per-s': 1000 });
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
  // Read marks survive a reload: `joined` carries every member's read_seq.
  await alice.page.reload();
  await message(alice.page, 'are you there?').and(alice.page.locator('[data-status="read"]')).waitFor();

  // Edit and delete show up live on the other side.
  const mine = message(alice.page, 'how are you?');
  await mine.hover();
  await mine.getByRole('button', { name: 'Edit message' }).click();
  const editor = alice.page.getByRole('textbox', { name: 'Edit message' });
  await editor.fill('never mind');
  await editor.press('Escape'); // Esc cancels: nothing changes
  await editor.waitFor({ state: 'detached' });
  assert.equal(await message(alice.page, 'never mind').count(), 0);
  await mine.focus(); // own messages take focus, which shows their actions (keyboard, touch)
  await mine.getByRole('button', { name: 'Edit message' }).click();
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
  await alice.page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(alice.page, 'chat-dark');
  await alice.page.emulateMedia({ colorScheme: 'light' });

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

test('private rooms by invite, history paging and the new-messages button', async () => {
  const dave = await openUser(browser, srv);
  const erin = await openUser(browser, srv);
  const users = [dave, erin];
  await registerViaUi(dave, 'dave');
  await registerViaUi(erin, 'erin');
  const roomId = await createRoomViaUi(dave, 'secret', { private: true });

  // A private room cannot be joined by id; its invite (copied from the header) lets erin in.
  await erin.page.getByRole('textbox', { name: 'Join a room' }).fill(String(roomId));
  await erin.page.getByRole('button', { name: 'Join', exact: true }).click();
  await erin.page.getByRole('alert').filter({ hasText: 'No such room, or the invite code is wrong.' }).waitFor();
  await dave.page.getByRole('button', { name: 'Copy invite' }).click();
  const toast = await dave.page.locator('.toast', { hasText: /Invite code copied|Copy failed/ }).textContent();
  const invite = /: (\S+)$/.exec(toast)[1];
  const room = await dave.page.evaluate((id) => window.parley.room(id).invite, roomId);
  assert.equal(invite, room);
  await joinRoomViaUi(erin, invite, 'secret');

  // 120 older messages: the newest page shows, scrolling up loads the rest.
  const login = await srv.api('POST', '/api/auth/login', { username: dave.username, password: dave.password });
  const token = login.json.access_token;
  for (let i = 1; i <= 120; i++) {
    const res = await srv.api('POST', '/api/messages', { room_id: roomId, content: `history ${i}`, client_id: `h-${i}` }, token);
    assert.equal(res.status, 201);
  }
  await message(erin.page, 'history 120').waitFor();
  await erin.page.reload();
  await message(erin.page, 'history 120').waitFor();
  assert.equal(await message(erin.page, /^history 1$/).count(), 0, 'only the newest page at first');
  await until(async () => {
    await erin.page.locator('.scroller').evaluate((s) => { s.scrollTop = 0; });
    return (await message(erin.page, /^history 1$/).count()) === 1;
  }, 'older pages to load when scrolled up', { users });
  await erin.page.getByText('This is the beginning of the room.').waitFor();
  assert.equal(await erin.page.locator('.messages .msg').count(), 120);

  // Scrolled up, a new message shows the button instead of moving the view.
  await erin.page.locator('.scroller').evaluate((s) => { s.scrollTop = 0; });
  await sendViaUi(dave, 'fresh news');
  await message(erin.page, 'fresh news').waitFor({ state: 'attached' });
  const jump = erin.page.getByRole('button', { name: 'New messages ↓' });
  await jump.waitFor();
  await jump.click();
  await message(erin.page, 'fresh news').waitFor({ state: 'visible' });
  await until(() => message(erin.page, 'fresh news').isVisible() && jump.isHidden(), 'the view at the bottom', { users });
  await message(dave.page, 'fresh news').and(dave.page.locator('[data-status="read"]')).waitFor();
  assert.deepEqual([...dave.errors, ...erin.errors], [], diagnostics(users));
});
