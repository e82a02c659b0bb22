// A video call between two browser contexts with Chromium's fake camera and microphone: ring,
// accept, both sides reach "connected" with the remote video playing, mute and camera off, and a
// clean hang-up on both sides. The server relays call_* frames; media go over loopback.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../integration/lib/harness.mjs';
import { launch, twoUsersInARoom, member, until, screenshot, diagnostics } from './lib/browser.mjs';

let srv;
let browser;
before(async () => {
  srv = await startServer();
  browser = await launch({ media: true });
});
after(async () => {
  await browser?.close();
  await srv?.dispose();
});

test('video call: ring, accept, connect, hang up', async () => {
  const { alice, bob, users } = await twoUsersInARoom(browser, srv, 'calls', { media: true });
  await member(alice.page, bob.username).and(alice.page.locator('[data-status="online"]')).waitFor();

  await alice.page.getByRole('button', { name: `Video call ${bob.username}` }).click();
  const bobCall = bob.page.getByRole('dialog', { name: `Video call with ${alice.username}` });
  await bobCall.getByText(`${alice.username} is calling you`).waitFor();
  await bobCall.getByRole('button', { name: 'Accept' }).click();

  for (const u of users) {
    await u.page.locator('.call[data-state="connected"]').waitFor({ timeout: 30_000 });
    await until(() => u.page.locator('video.remote-video').evaluate((v) => v.readyState >= 2 && v.videoWidth > 0), `${u.username} to see the other's video`, { users, timeoutMs: 30_000 });
  }
  await screenshot(alice.page, 'call');

  const aliceCall = alice.page.getByRole('dialog', { name: `Video call with ${bob.username}` });
  await aliceCall.getByRole('button', { name: 'Mute' }).click();
  await aliceCall.getByRole('button', { name: 'Unmute' }).waitFor();
  assert.equal(await alice.page.evaluate(() => window.parley.calls.active.local.getAudioTracks()[0].enabled), false);
  await aliceCall.getByRole('button', { name: 'Camera off' }).click();
  assert.equal(await alice.page.evaluate(() => window.parley.calls.active.local.getVideoTracks()[0].enabled), false);

  await aliceCall.getByRole('button', { name: 'Hang up' }).click();
  await bob.page.locator('.call .call-status', { hasText: `${alice.username} hung up.` }).waitFor();
  for (const u of users) {
    await until(() => u.page.evaluate(() => window.parley.calls.active === null), `${u.username}'s call to end`, { users });
    await u.page.locator('.call').waitFor({ state: 'hidden' });
  }
  // The camera is released on both sides.
  for (const u of users) {
    assert.equal(await u.page.locator('video.local-video').evaluate((v) => v.srcObject), null);
  }

  // An audio-only call, declined: the caller is told and both sides are free again.
  await bob.page.getByRole('button', { name: `Audio call ${alice.username}` }).click();
  const ringing = alice.page.getByRole('dialog', { name: `Audio call with ${bob.username}` });
  await ringing.getByText(`${bob.username} is calling you (audio)`).waitFor();
  await ringing.getByRole('button', { name: 'Decline' }).click();
  await bob.page.locator('.call .call-status', { hasText: `${alice.username} declined the call.` }).waitFor();
  for (const u of users) await until(() => u.page.evaluate(() => window.parley.calls.active === null), `${u.username} to be free`, { users });
  assert.deepEqual([...alice.errors, ...bob.errors], [], diagnostics(users));
});
