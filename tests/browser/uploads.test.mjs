// Attachments: an image picked with the button shows a preview, uploads, and the other user sees
// the inline thumbnail and the full image on click; a dropped text file arrives as a named
// download with its size; refused types and files over the limit get a clear message.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startServer } from '../integration/lib/harness.mjs';
import { makeImage } from '../integration/lib/media.mjs';
import { launch, twoUsersInARoom, sendViaUi, message, until, screenshot, diagnostics } from './lib/browser.mjs';

const LIMIT = 300_000;
let srv;
let browser;
before(async () => {
  srv = await startServer({ 'max-upload-bytes': LIMIT });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await srv?.dispose();
});

test('images, files, and refused uploads', async () => {
  const { alice, bob, users } = await twoUsersInARoom(browser, srv, 'photos');
  await sendViaUi(bob, 'show me the view');
  await message(alice.page, 'show me the view').waitFor();

  // Image through the attach button: preview, then send with a caption.
  const png = await makeImage('png', 900, 600);
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'view.png', mimeType: 'image/png', buffer: png });
  await alice.page.getByRole('img', { name: 'Preview of view.png' }).waitFor();
  await alice.page.getByRole('textbox', { name: 'Message' }).fill('the view from here');
  await alice.page.getByRole('button', { name: 'Send', exact: true }).click();

  // Bob sees the thumbnail inline (loaded from thumbnail_url), and the full image on click.
  const thumb = bob.page.locator('.msg img.thumb[alt="view.png"]');
  await thumb.waitFor();
  await until(() => thumb.evaluate((img) => img.complete && img.naturalWidth > 0), 'the thumbnail to load', { users });
  const thumbSrc = await thumb.getAttribute('src');
  assert.match(thumbSrc, /^\/api\/files\/[A-Za-z0-9_-]{22}\.(jpg|png)$/);
  assert.ok(await thumb.evaluate((img) => img.naturalWidth <= 320), 'a thumbnail, not the original');
  await message(bob.page, 'the view from here').waitFor();
  await screenshot(bob.page, 'chat-image');
  await bob.page.getByRole('button', { name: 'Open image view.png' }).click();
  const full = bob.page.locator('dialog.viewer img');
  await until(() => full.evaluate((img) => img.complete && img.naturalWidth === 900), 'the full image in the viewer', { users });
  assert.notEqual(await full.getAttribute('src'), thumbSrc);
  await bob.page.keyboard.press('Escape');
  await until(() => bob.page.locator('dialog.viewer').evaluate((d) => !d.open), 'the viewer to close', { users });

  // A text file dropped on the room: a named download with its size.
  await alice.page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['meeting at noon\n'], 'notes.txt', { type: 'text/plain' }));
    document.querySelector('.room-view').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await alice.page.locator('.attachment-preview', { hasText: 'notes.txt' }).waitFor();
  await alice.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  const link = bob.page.locator('a.file', { hasText: 'notes.txt' });
  await link.waitFor();
  assert.match(await link.textContent(), /16 B/);
  assert.equal(await link.getAttribute('download'), 'notes.txt');

  // Pasted into the composer: a preview; on a slow link the progress bar shows the upload going.
  await alice.page.getByRole('textbox', { name: 'Message' }).focus();
  await alice.page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['x'.repeat(200_000)], 'pasted.txt', { type: 'text/plain' }));
    document.activeElement.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  });
  await alice.page.locator('.attachment-preview', { hasText: 'pasted.txt' }).waitFor();
  const cdp = await alice.context.newCDPSession(alice.page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 100 * 1024 });
  await alice.page.getByRole('button', { name: 'Send', exact: true }).click();
  const progress = alice.page.getByRole('progressbar', { name: 'Upload progress' });
  await until(() => progress.evaluate((p) => !p.hidden && p.value > 0 && p.value < 1), 'the progress bar part-way', { users });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await bob.page.locator('a.file', { hasText: 'pasted.txt' }).waitFor();
  await progress.waitFor({ state: 'hidden' });

  // A refused type: a clear message, nothing sent.
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: randomBytes(2000) });
  await alice.page.getByRole('button', { name: 'Send', exact: true }).click();
  await alice.page.getByRole('alert').filter({ hasText: 'This type of file is not accepted' }).waitFor();
  await alice.page.getByRole('button', { name: 'Remove attachment' }).click();

  // Over the server's limit: a clear message too.
  await alice.page.locator('input[type=file]').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: Buffer.concat([png, randomBytes(LIMIT)]) });
  await alice.page.getByRole('button', { name: 'Send', exact: true }).click();
  await alice.page.getByRole('alert').filter({ hasText: /too large/ }).waitFor();
  assert.deepEqual([...alice.errors, ...bob.errors], [], diagnostics(users));
});
