// File uploads and downloads (PROTOCOL.md "Files", message `attachment`): streamed multipart
// uploads, type by content, image dimensions and thumbnails, safe serving (Range, ETag,
// nosniff, attachment disposition), capability names, attachments in messages, and the limits.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  startServer, expectStatus, expectError, assertMessageShape, createRoom, joinRoom, fullHistory, stripMeta, waitFor, serverLogTail, twoMembers,
} from './lib/harness.mjs';
import {
  MiB, makeImage, imageSize, jpegSize, bombPng, multipartBody, rawRequest, upload, postMultipart, download,
  memoryOf,
} from './lib/media.mjs';

const NAME = /^[A-Za-z0-9_-]{22}(\.[a-z0-9]{1,8})?$/;
const THUMB_SIDE = 320;

/** Asserts the upload reply's shape for a file of `bytes`; returns the JSON. */
function assertUploaded(res, bytes, { mime, type, ext }) {
  expectStatus(res, 200, 'upload:');
  const f = res.json;
  assert.ok(f && typeof f === 'object', res.text);
  assert.match(f.filename, NAME, `filename shape: ${res.text}`);
  assert.ok(f.filename.endsWith(ext), `extension ${ext} from the sniffed type: ${f.filename}`);
  assert.equal(f.url, `/api/files/${f.filename}`);
  assert.equal(f.size, bytes.length);
  assert.equal(f.mime_type, mime);
  assert.equal(f.type, type);
  return f;
}

/** Downloads `url` and asserts 200 and the exact bytes; returns the response. */
async function expectDownload(srv, url, bytes, what = url) {
  const res = await download(srv, url);
  assert.equal(res.status, 200, `${what}: GET ${url} -> ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.body.length, bytes.length, `${what}: downloaded length`);
  assert.ok(res.body.equals(bytes), `${what}: the download is byte-identical to the upload`);
  return res;
}

/** Fetches a thumbnail and returns {format, width, height, bytes, res}. */
async function fetchThumbnail(srv, url) {
  assert.equal(typeof url, 'string', `thumbnail_url: ${url}`);
  assert.match(url, /^\/api\/files\/[A-Za-z0-9_-]{22}\.(jpg|png)$/);
  const res = await download(srv, url);
  assert.equal(res.status, 200, `GET ${url}: ${res.status} ${res.text.slice(0, 200)}`);
  const size = imageSize(res.body);
  assert.equal(res.headers['content-type'], size.format === 'png' ? 'image/png' : 'image/jpeg', 'thumbnail Content-Type');
  return { ...size, bytes: res.body, res };
}

/** Longest side THUMB_SIDE and the source's aspect ratio (to rounding). */
function assertThumbOf(thumb, width, height) {
  assert.equal(Math.max(thumb.width, thumb.height), THUMB_SIDE, `thumbnail longest side: ${thumb.width}x${thumb.height}`);
  const expectShort = Math.round((Math.min(width, height) * THUMB_SIDE) / Math.max(width, height));
  assert.ok(Math.abs(Math.min(thumb.width, thumb.height) - expectShort) <= 1,
    `thumbnail ${thumb.width}x${thumb.height} keeps the ${width}x${height} aspect ratio`);
  assert.equal(thumb.width >= thumb.height, width >= height, 'thumbnail orientation follows the image');
}

const textBytes = (n, line = 'plain text line for the upload tests\n') => Buffer.from(line.repeat(Math.ceil(n / line.length)).slice(0, n));

// ---------------------------------------------------------------------------------------------

describe('uploads: images, types and serving', { timeout: 60_000 }, () => {
  let srv;
  let user;
  let png;        // 640x480 PNG
  let pngFile;    // its upload reply
  before(async () => {
    // one user uploads a lot here: the per-user upload rate limit is tested on its own below
    srv = await startServer({ 'upload-burst': 1000, 'uploads-per-minute': 1000 });
    user = await srv.registerUser('up');
    png = await makeImage('png', 640, 480);
    pngFile = assertUploaded(await upload(srv, user.token, png, { filename: 'gradient.png', contentType: 'image/png' }), png,
      { mime: 'image/png', type: 'image', ext: '.png' });
  });
  after(async () => { await srv?.dispose(); });

  it('PNG: 200 with filename/url/size/mime_type/type/width/height/thumbnail_url; download byte-identical', async () => {
    assert.equal(pngFile.width, 640);
    assert.equal(pngFile.height, 480);
    assert.equal(pngFile.original_filename, 'gradient.png');
    const res = await expectDownload(srv, pngFile.url, png, 'PNG');
    assert.equal(res.headers['content-type'], 'image/png');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(!/attachment/i.test(res.headers['content-disposition'] ?? ''), 'images are served inline');
    assert.ok(res.headers['cache-control'], 'Cache-Control is set');
    const thumb = await fetchThumbnail(srv, pngFile.thumbnail_url);
    assertThumbOf(thumb, 640, 480);
    assert.deepEqual([thumb.width, thumb.height], [320, 240]);
    assert.notEqual(pngFile.thumbnail_url, pngFile.url);
  });

  it('JPEG: dimensions, thumbnail 320 on the longest side with the aspect ratio kept', async () => {
    const jpg = await makeImage('jpg', 1000, 700);
    const f = assertUploaded(await upload(srv, user.token, jpg, { filename: 'photo.jpg', contentType: 'image/jpeg' }), jpg,
      { mime: 'image/jpeg', type: 'image', ext: '.jpg' });
    assert.equal(f.width, 1000);
    assert.equal(f.height, 700);
    const res = await expectDownload(srv, f.url, jpg, 'JPEG');
    assert.equal(res.headers['content-type'], 'image/jpeg');
    const thumb = await fetchThumbnail(srv, f.thumbnail_url);
    assertThumbOf(thumb, 1000, 700);
    // a portrait one, and one already smaller than the box (not enlarged)
    const tall = await makeImage('jpg', 300, 900);
    const ft = assertUploaded(await upload(srv, user.token, tall, { filename: 'tall.jpg' }), tall, { mime: 'image/jpeg', type: 'image', ext: '.jpg' });
    assert.deepEqual([ft.width, ft.height], [300, 900]);
    assertThumbOf(await fetchThumbnail(srv, ft.thumbnail_url), 300, 900);
    const small = await makeImage('png', 100, 60);
    const fs2 = assertUploaded(await upload(srv, user.token, small, { filename: 's.png' }), small, { mime: 'image/png', type: 'image', ext: '.png' });
    const st = await fetchThumbnail(srv, fs2.thumbnail_url);
    assert.deepEqual([st.width, st.height], [100, 60], 'an image smaller than the box keeps its size');
  });

  it('JPEG with EXIF orientation 6: width/height and the thumbnail are upright (swapped vs the stored pixels)', async () => {
    const jpg = await makeImage('jpg', 800, 600, { orientation: 6 });
    assert.deepEqual(jpegSize(jpg), { width: 800, height: 600 }, 'stored pixels are landscape');
    const f = assertUploaded(await upload(srv, user.token, jpg, { filename: 'rotated.jpg', contentType: 'image/jpeg' }), jpg,
      { mime: 'image/jpeg', type: 'image', ext: '.jpg' });
    // Our decision: the displayed size, the same shape as the thumbnail.
    assert.deepEqual([f.width, f.height], [600, 800], `dimensions as displayed: ${JSON.stringify(f)}`);
    await expectDownload(srv, f.url, jpg, 'rotated JPEG (the original is kept as uploaded)');
    const thumb = await fetchThumbnail(srv, f.thumbnail_url);
    assert.deepEqual([thumb.width, thumb.height], [240, 320], 'thumbnail rotated upright: portrait');
    assert.equal(thumb.bytes.indexOf(Buffer.from('Exif\0\0')), -1, 'thumbnail carries no EXIF (no second rotation by viewers)');
  });

  it('downloads ignore a query string; a non-ASCII filename is given as RFC 6266 filename*', async () => {
    const text = Buffer.from('ein kleiner Text\n');
    const res = await upload(srv, user.token, text, { filename: 'über naïve.txt', contentType: 'text/plain' });
    expectStatus(res, 200, 'upload:');
    const got = await download(srv, `${res.json.url}?v=2`);
    assert.equal(got.status, 200, 'a cache-busting parameter does not change the file');
    assert.deepEqual(got.body, text);
    const disposition = String(got.headers['content-disposition']);
    assert.match(disposition, /^attachment; filename="[\x20-\x7e]+"; /, `ASCII fallback: ${disposition}`);
    assert.ok(disposition.includes("filename*=UTF-8''%C3%BCber%20na%C3%AFve.txt"), disposition);
  });

  it('GIF and WebP: dimensions and a thumbnail', async () => {
    for (const [ext, mime] of [['gif', 'image/gif'], ['webp', 'image/webp']]) {
      const img = await makeImage(ext, 500, 250);
      const f = assertUploaded(await upload(srv, user.token, img, { filename: `x.${ext}` }), img, { mime, type: 'image', ext: `.${ext}` });
      assert.deepEqual([f.width, f.height], [500, 250], ext);
      await expectDownload(srv, f.url, img, ext);
      assertThumbOf(await fetchThumbnail(srv, f.thumbnail_url), 500, 250);
    }
  });

  it('a multipart body built by hand as an iOS client does (Boundary-<UUID>, quoted filename, per-part Content-Type)', async () => {
    const jpg = await makeImage('jpg', 400, 300);
    const boundary = `Boundary-${randomUUID().toUpperCase()}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\n`),
      Buffer.from('Content-Disposition: form-data; name="file"; filename="photo.jpg"\r\n'),
      Buffer.from('Content-Type: image/jpeg\r\n\r\n'),
      jpg,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: srv.port, method: 'POST', path: '/api/upload-file', agent: false, timeout: 10_000,
        headers: {
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': String(body.length),
          Authorization: `Bearer ${user.token}`,
        },
      }, (r) => {
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => { const text = Buffer.concat(chunks).toString(); resolve({ status: r.statusCode, text, json: JSON.parse(text) }); });
      });
      req.on('timeout', () => req.destroy(new Error('upload timed out')));
      req.on('error', reject);
      req.end(body);
    });
    const f = assertUploaded(res, jpg, { mime: 'image/jpeg', type: 'image', ext: '.jpg' });
    assert.equal(f.original_filename, 'photo.jpg');
    assert.deepEqual([f.width, f.height], [400, 300]);
    await expectDownload(srv, f.url, jpg, 'iOS upload');

    // other shapes real clients send: extra fields around the file, a bare UUID boundary
    // (OkHttp), chunked transfer encoding (no Content-Length)
    const mp = multipartBody([
      { name: 'caption', data: 'hello' },
      { name: 'file', filename: 'a b.png', contentType: 'image/png', data: png },
      { name: 'room_id', data: '7' },
    ], { boundary: randomUUID() });
    const f2 = assertUploaded(await postMultipart(srv, user.token, mp.body, mp.contentType), png, { mime: 'image/png', type: 'image', ext: '.png' });
    assert.equal(f2.original_filename, 'a b.png');
    await expectDownload(srv, f2.url, png, 'file among other fields');

    const chunked = await new Promise((resolve, reject) => {
      const mp3 = multipartBody([{ name: 'file', filename: 'c.png', contentType: 'image/png', data: png }]);
      const req = http.request({
        host: '127.0.0.1', port: srv.port, method: 'POST', path: '/api/upload-file', agent: false, timeout: 10_000,
        headers: { 'Content-Type': mp3.contentType, Authorization: `Bearer ${user.token}`, 'Transfer-Encoding': 'chunked' },
      }, (r) => {
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => { const text = Buffer.concat(chunks).toString(); resolve({ status: r.statusCode, text, json: JSON.parse(text) }); });
      });
      req.on('timeout', () => req.destroy(new Error('upload timed out')));
      req.on('error', reject);
      for (let i = 0; i < mp3.body.length; i += 7000) req.write(mp3.body.subarray(i, i + 7000));
      req.end();
    });
    const f3 = assertUploaded(chunked, png, { mime: 'image/png', type: 'image', ext: '.png' });
    await expectDownload(srv, f3.url, png, 'chunked upload');
  });

  it('type by content: HTML named x.png is stored as HTML, not an image, and served as an attachment with nosniff; unknown types -> 415', async () => {
    const html = Buffer.from('<!DOCTYPE html>\n<html><head><title>x</title></head><body><script>alert(document.cookie)</script></body></html>\n');
    const h = assertUploaded(await upload(srv, user.token, html, { filename: 'x.png', contentType: 'image/png' }), html,
      { mime: 'text/html', type: 'file', ext: '.html' });
    assert.equal(h.width, undefined, 'not measured as an image');
    assert.equal(h.thumbnail_url, undefined, 'no thumbnail');
    const page = await expectDownload(srv, h.url, html, 'html');
    assert.match(page.headers['content-type'], /^text\/html\b/, 'the sniffed type, not the claimed image/png');
    assert.match(page.headers['content-disposition'] ?? '', /^attachment\b/i, 'downloaded, never rendered');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.match(page.headers['content-security-policy'] ?? '', /sandbox/);

    // Bytes of no accepted type (here: random, sniffed as application/octet-stream) -> 415.
    expectError(await upload(srv, user.token, randomBytes(4096), { filename: 'x.png', contentType: 'image/png' }), 415,
      'unsupported_media_type', 'random bytes as x.png:');

    const text = textBytes(2000);
    const f = assertUploaded(await upload(srv, user.token, text, { filename: 'x.png', contentType: 'image/png' }), text,
      { mime: 'text/plain', type: 'document', ext: '.txt' });
    assert.equal(f.width, undefined, 'no width for a document');
    assert.equal(f.height, undefined);
    assert.equal(f.thumbnail_url, undefined, 'no thumbnail for a document');
    const res = await expectDownload(srv, f.url, text, 'text');
    assert.match(res.headers['content-type'], /^text\/plain\b/, 'served with the sniffed type, not image/png');
    assert.match(res.headers['content-disposition'] ?? '', /^attachment\b/i, 'not rendered inline');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });

  it('a truncated JPEG -> 415; a decompression-bomb PNG (100000x100000) -> 415 quickly; the server lives on', async () => {
    const jpg = await makeImage('jpg', 1200, 900);
    const half = jpg.subarray(0, Math.floor(jpg.length / 2));
    expectError(await upload(srv, user.token, half, { filename: 'half.jpg', contentType: 'image/jpeg' }), 415, 'unsupported_media_type', 'truncated JPEG:');

    const bomb = bombPng(100_000, 100_000);
    const res = await upload(srv, user.token, bomb, { filename: 'bomb.png', contentType: 'image/png' });
    expectError(res, 415, 'unsupported_media_type', 'bomb PNG:');
    assert.ok(res.ms < 3000, `refused in ${res.ms} ms (must not decode)`);

    // garbage that merely starts like a PNG
    const fake = Buffer.concat([bomb.subarray(0, 16), randomBytes(3000)]);
    expectError(await upload(srv, user.token, fake, { filename: 'fake.png' }), 415, 'unsupported_media_type', 'corrupt PNG:');

    assert.ok(srv.running, 'the server is still running');
    await expectDownload(srv, pngFile.url, png, 'after the bad images');
  });

  it('Range and ETag: 206 with Content-Range, suffix ranges, 416, If-None-Match -> 304, HEAD', async () => {
    const size = png.length;
    let res = await download(srv, pngFile.url, { Range: 'bytes=0-9' });
    assert.equal(res.status, 206, res.text.slice(0, 200));
    assert.equal(res.headers['content-range'], `bytes 0-9/${size}`);
    assert.equal(res.headers['content-length'], '10');
    assert.ok(res.body.equals(png.subarray(0, 10)), 'the first 10 bytes');
    assert.equal(res.headers['content-type'], 'image/png');

    res = await download(srv, pngFile.url, { Range: 'bytes=-5' });
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-range'], `bytes ${size - 5}-${size - 1}/${size}`);
    assert.ok(res.body.equals(png.subarray(size - 5)), 'the last 5 bytes');

    res = await download(srv, pngFile.url, { Range: 'bytes=100-' });
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-range'], `bytes 100-${size - 1}/${size}`);
    assert.ok(res.body.equals(png.subarray(100)));

    res = await download(srv, pngFile.url, { Range: `bytes=${size}-` });
    assert.equal(res.status, 416, res.text);
    assert.equal(res.headers['content-range'], `bytes */${size}`);

    res = await download(srv, pngFile.url);
    assert.equal(res.status, 200);
    const etag = res.headers.etag;
    assert.match(etag ?? '', /^(W\/)?"[^"]+"$/, `ETag: ${etag}`);
    assert.equal(res.headers['accept-ranges'], 'bytes');

    res = await download(srv, pngFile.url, { 'If-None-Match': etag });
    assert.equal(res.status, 304);
    assert.equal(res.body.length, 0, '304 has no body');
    assert.equal(res.headers.etag, etag);
    res = await download(srv, pngFile.url, { 'If-None-Match': '"something-else"' });
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(png));

    res = await download(srv, pngFile.url, {}, 'HEAD');
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(size));
    assert.equal(res.headers['content-type'], 'image/png');
    assert.equal(res.body.length, 0, 'HEAD has no body');

    // the thumbnail has its own validator too
    const t = await download(srv, pngFile.thumbnail_url);
    assert.ok(t.headers.etag);
    assert.equal((await download(srv, pngFile.thumbnail_url, { 'If-None-Match': t.headers.etag })).status, 304);
  });

  it('names that are not a stored file -> 404 (path tricks, encoded slashes, random names, changed extension)', async () => {
    const stem = pngFile.filename.slice(0, 22);
    const paths = [
      '/api/files/..%2f..%2fetc%2fpasswd',
      '/api/files/../../etc/passwd',
      '/api/files/%2e%2e',
      '/api/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/api/files/..',
      '/api/files/',
      `/api/files/${randomBytes(16).toString('base64url')}`,
      `/api/files/${randomBytes(16).toString('base64url')}.png`,
      `/api/files/${stem}.jpg`,
      `/api/files/${stem}`,
      `/api/files/${stem}.png/`,
      `/api/files/${stem}.png%00`,
      `/api/files/.incoming`,
      `/api/files/../parley.db`,
    ];
    for (const p of paths) {
      const res = await rawRequest(srv.baseUrl, { method: 'GET', path: p });
      assert.equal(res.status, 404, `GET ${p} -> ${res.status} ${res.text.slice(0, 200)}`);
      assert.ok(!res.body.includes('root:'), `GET ${p} leaked a file`);
    }
    // and the real one still works
    assert.equal((await download(srv, pngFile.url)).status, 200);
  });
});

// ---------------------------------------------------------------------------------------------

describe('uploads: size limit, streaming and memory', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'max-upload-bytes': 10 * MiB }); });
  after(async () => { await srv?.dispose(); });

  /**
   * Streams a one-part upload whose file part is `fileSize` bytes of text, `step` bytes at a
   * time honouring backpressure, awaiting `between()` after each step (a chat round-trip) so the
   * chat provably flows while the upload is in mid-stream. Resolves {status, json, text, sent}
   * as soon as the response arrives (the rest of the body is not sent then).
   */
  function streamUpload(token, fileSize, { chunked = false, step = MiB, between = async () => {} } = {}) {
    const boundary = `Boundary-${randomUUID().toUpperCase()}`;
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const block = textBytes(step);
    const headers = { 'Content-Type': `multipart/form-data; boundary=${boundary}`, Authorization: `Bearer ${token}` };
    if (!chunked) headers['Content-Length'] = String(head.length + fileSize + tail.length);
    return new Promise((resolve, reject) => {
      let done = false;
      let sent = 0;
      const req = http.request({ host: '127.0.0.1', port: srv.port, method: 'POST', path: '/api/upload-file', headers, agent: false, timeout: 20_000 });
      const timer = setTimeout(() => { req.destroy(); reject(new Error(`no upload response within 30 s (sent ${sent})\n${serverLogTail()}`)); }, 30_000);
      req.on('response', (r) => {
        done = true;
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString();
          let json;
          try { json = JSON.parse(text); } catch {}
          resolve({ status: r.statusCode, headers: r.headers, text, json, sent });
          req.destroy();
        });
      });
      // Once the server has answered it may close while we still write: that is expected.
      req.on('error', (e) => { if (!done) { clearTimeout(timer); reject(e); } });
      (async () => {
        const drained = () => new Promise((r) => {
          const go = () => { req.off('drain', go); req.off('close', go); r(); };
          req.on('drain', go);
          req.on('close', go);
        });
        if (!req.write(head)) await drained();
        let left = fileSize;
        while (left > 0 && !done && !req.destroyed) {
          const n = Math.min(left, block.length);
          sent += n;
          left -= n;
          if (!req.write(n === block.length ? block : block.subarray(0, n))) await drained();
          if (!done) await between();
        }
        if (!done && !req.destroyed) req.end(tail);
      })().catch((e) => { if (!done) { clearTimeout(timer); reject(e); } });
    });
  }

  it('10 MiB + 1 byte -> 413 too_large while another user chats; memory stays flat; no partial file left', async (t) => {
    const uploader = await srv.registerUser('big');
    const b = await srv.registerUser('b');
    const c = await srv.registerUser('c');
    const room = await createRoom(srv, b);
    await joinRoom(srv, c, room.id);
    const wsB = await srv.connectWs(`/ws/chat/${room.id}`, b.token);
    const wsC = await srv.connectWs(`/ws/chat/${room.id}`, c.token);
    await wsB.next('joined');
    await wsC.next('joined');
    let roundTrips = 0;
    const chat = async () => {
      const ack = await wsC.sendMessage(room.id, `during upload ${roundTrips}`);
      await wsB.next((f) => f.type === 'message' && f.id === ack.id);
      roundTrips++;
    };
    // warm-up: one ordinary upload and chat, so the baseline includes the steady state
    const warm = textBytes(100_000);
    expectStatus(await upload(srv, uploader.token, warm, { filename: 'warm.txt' }), 200);
    await chat();

    const pid = srv.proc.pid;
    const before = memoryOf(pid);
    let peakRss = before.rss;
    const res = await streamUpload(uploader.token, 10 * MiB + 1, {
      between: async () => { await chat(); peakRss = Math.max(peakRss, memoryOf(pid).rss); },
    });
    expectError(res, 413, 'too_large', '10 MiB + 1:');
    assert.ok(roundTrips >= 10, `chat round-trips completed while the upload streamed: ${roundTrips}`);
    // and after it
    await chat();
    const afterMem = memoryOf(pid);
    peakRss = Math.max(peakRss, afterMem.rss);
    const growth = peakRss - before.rss;
    const hwmGrowth = afterMem.hwm - before.hwm;
    t.diagnostic(`RSS before ${(before.rss / MiB).toFixed(1)} MiB, peak growth ${(growth / MiB).toFixed(2)} MiB, VmHWM growth ${(hwmGrowth / MiB).toFixed(2)} MiB, ${roundTrips} chat round-trips during the upload`);
    assert.ok(growth < 5 * MiB, `RSS grew by ${(growth / MiB).toFixed(2)} MiB (before ${(before.rss / MiB).toFixed(1)} MiB)`);
    assert.ok(hwmGrowth < 5 * MiB, `peak RSS (VmHWM) grew by ${(hwmGrowth / MiB).toFixed(2)} MiB`);

    // the partial file is gone: nothing in .incoming, and only the warm-up file was stored
    const filesDir = path.join(srv.dataDir, 'files');
    await waitFor(() => fs.readdirSync(path.join(filesDir, '.incoming')).length === 0, { what: 'the partial upload to be removed' });
    const stored = fs.readdirSync(filesDir).filter((n) => n !== '.incoming');
    assert.equal(stored.length, 1, `stored files: ${stored}`);

    // exactly at the limit is fine
    const exact = await streamUpload(uploader.token, 10 * MiB);
    assert.equal(exact.status, 200, exact.text);
    assert.equal(exact.json.size, 10 * MiB);
    assert.equal(exact.json.mime_type, 'text/plain');

    await wsB.close();
    await wsC.close();
  });

  it('chunked (no Content-Length) 10 MiB + 1 -> 413 before the whole body is needed', async (t) => {
    const u = await srv.registerUser('chunk');
    // 30 MiB on offer: the server must answer once the file part crosses 10 MiB
    const res = await streamUpload(u.token, 30 * MiB, { chunked: true });
    expectError(res, 413, 'too_large', 'chunked oversize:');
    t.diagnostic(`413 after ${(res.sent / MiB).toFixed(1)} MiB written`);
    assert.ok(res.sent < 20 * MiB, `answered after ${(res.sent / MiB).toFixed(1)} MiB of 30 were offered`);
    assert.ok(srv.running);
  });

  it('a declared Content-Length over the limit -> 413 without the body being sent', async () => {
    const u = await srv.registerUser('decl');
    const boundary = `Boundary-${randomUUID()}`;
    const res = await new Promise((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port: srv.port, method: 'POST', path: '/api/upload-file', agent: false, timeout: 10_000,
        headers: {
          'Content-Type': `multipart/form-data; boundary=${boundary}`,
          'Content-Length': String(50 * MiB),
          Authorization: `Bearer ${u.token}`,
        },
      }, (r) => {
        const chunks = [];
        r.on('data', (ch) => chunks.push(ch));
        r.on('end', () => { const text = Buffer.concat(chunks).toString(); resolve({ status: r.statusCode, text, json: JSON.parse(text) }); req.destroy(); });
      });
      req.on('timeout', () => req.destroy(new Error('no answer to the headers alone within 10 s')));
      req.on('error', (e) => { if (!req.res) reject(e); });
      req.flushHeaders();  // headers only; the body never comes
    });
    expectError(res, 413, 'too_large', 'declared 50 MiB:');
  });

  it('Expect: 100-continue (curl): 100 then 200 for a good upload; 413 instead of 100 when the declared length is over', async () => {
    const u = await srv.registerUser('cont');
    const data = textBytes(50_000);
    const send = (mp, contentLength) => new Promise((resolve, reject) => {
      let continued = false;
      const req = http.request({
        host: '127.0.0.1', port: srv.port, method: 'POST', path: '/api/upload-file', agent: false, timeout: 10_000,
        headers: {
          'Content-Type': mp.contentType, 'Content-Length': String(contentLength), Authorization: `Bearer ${u.token}`,
          Expect: '100-continue',
        },
      }, (r) => {
        const chunks = [];
        r.on('data', (ch) => chunks.push(ch));
        r.on('end', () => { const text = Buffer.concat(chunks).toString(); resolve({ status: r.statusCode, text, json: JSON.parse(text), continued }); req.destroy(); });
      });
      req.on('continue', () => { continued = true; req.end(mp.body); });
      req.on('timeout', () => req.destroy(new Error('Expect: 100-continue upload timed out')));
      req.on('error', (e) => { if (!req.res) reject(e); });
      req.flushHeaders();
    });
    const mp = multipartBody([{ name: 'file', filename: 'c.txt', contentType: 'text/plain', data }]);
    const ok = await send(mp, mp.body.length);
    assert.equal(ok.continued, true, 'the server sent 100 Continue');
    assertUploaded(ok, data, { mime: 'text/plain', type: 'document', ext: '.txt' });
    const big = await send(mp, 20 * MiB);
    assert.equal(big.continued, false, 'no 100 Continue for a body that will be refused');
    expectError(big, 413, 'too_large', 'Expect with 20 MiB declared:');
  });
});

// ---------------------------------------------------------------------------------------------

describe('uploads: attachments in messages', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.dispose(); });

  async function setup() {
    const { a, b, room } = await twoMembers(srv);
    const wsA = await srv.chatWs(room, a);
    const wsB = await srv.chatWs(room, b);
    return { a, b, room, wsA, wsB };
  }

  /** The attachment object as the server must describe an upload. */
  function expectedAttachment(f) {
    return {
      type: f.type, filename: f.filename, original_filename: f.original_filename, url: f.url, size: f.size,
      mime_type: f.mime_type, thumbnail_url: f.thumbnail_url ?? null, width: f.width ?? null, height: f.height ?? null,
      duration: null,
    };
  }

  it('an image message over WebSocket reaches the other user with message_type "image" and the server\'s own metadata', async () => {
    const { a, b, room, wsA, wsB } = await setup();
    const jpg = await makeImage('jpg', 640, 400);
    const f = assertUploaded(await upload(srv, a.token, jpg, { filename: 'pic.jpg', contentType: 'image/jpeg' }), jpg,
      { mime: 'image/jpeg', type: 'image', ext: '.jpg' });
    // a lying description: only the url may count
    const ack = await wsA.sendMessage(room.id, '', {
      attachment: { url: f.url, size: 1, mime_type: 'text/html', type: 'file', width: 1, height: 1, thumbnail_url: '/evil' },
    });
    const got = await wsB.next((x) => x.type === 'message' && x.id === ack.id);
    assertMessageShape(got);
    assert.equal(got.message_type, 'image');
    assert.equal(got.content, '');
    assert.deepEqual(got.attachment, expectedAttachment(f), 'attachment filled from the server\'s record');
    assert.deepEqual([got.attachment.width, got.attachment.height], [640, 400]);
    await expectDownload(srv, got.attachment.url, jpg, 'attachment url');
    assertThumbOf(await fetchThumbnail(srv, got.attachment.thumbnail_url), 640, 400);

    // with a caption, and referenced by filename alone
    const ack2 = await wsA.sendMessage(room.id, 'look', { attachment: { filename: f.filename } });
    const got2 = await wsB.next((x) => x.type === 'message' && x.id === ack2.id);
    assert.equal(got2.content, 'look');
    assert.equal(got2.message_type, 'image');
    assert.deepEqual(got2.attachment, expectedAttachment(f));

    // history returns the attachment
    const hist = await fullHistory(srv, b, room.id);
    const h = hist.find((m) => m.id === ack.id);
    assert.ok(h, 'in history');
    assert.equal(h.message_type, 'image');
    assert.deepEqual(h.attachment, expectedAttachment(f));
    await wsA.close();
    await wsB.close();
  });

  it('REST POST /api/messages with attachment as the url string; a document attachment; delete -> tombstone without attachment', async () => {
    const { a, b, room, wsA, wsB } = await setup();
    const png = await makeImage('png', 300, 200);
    const f = assertUploaded(await upload(srv, a.token, png, { filename: 'p.png' }), png, { mime: 'image/png', type: 'image', ext: '.png' });
    const res = await srv.api('POST', '/api/messages', { room_id: room.id, content: '', attachment: f.url }, a.token);
    expectStatus(res, 201, 'REST image message:');
    const m = res.json;
    assertMessageShape(m);
    assert.equal(m.message_type, 'image');
    assert.deepEqual(m.attachment, expectedAttachment(f));
    const live = await wsB.next((x) => x.type === 'message' && x.id === m.id);
    assert.deepEqual(live.attachment, m.attachment);
    assert.equal(live.message_type, 'image');

    const txt = textBytes(500);
    const d = assertUploaded(await upload(srv, b.token, txt, { filename: 'notes.txt' }), txt, { mime: 'text/plain', type: 'document', ext: '.txt' });
    const doc = expectStatus(await srv.api('POST', '/api/messages', { room_id: room.id, content: 'notes', attachment: d.url }, b.token), 201).json;
    assert.equal(doc.message_type, 'document');
    assert.deepEqual(doc.attachment, expectedAttachment(d));
    assert.equal(doc.attachment.thumbnail_url, null);

    // delete: tombstone without content or attachment
    expectStatus(await srv.api('DELETE', `/api/messages/${m.id}`, undefined, a.token), 204, 'delete:');
    await wsB.next((x) => x.type === 'message_deleted' && x.id === m.id);
    const hist = await fullHistory(srv, b, room.id);
    const t = hist.find((x) => x.id === m.id);
    assert.equal(t.deleted, true);
    assert.equal(t.content, '');
    assert.equal(t.attachment, null, `tombstone has no attachment: ${JSON.stringify(t)}`);
    assert.deepEqual(hist.find((x) => x.id === doc.id).attachment, expectedAttachment(d), 'other messages untouched');
    await wsA.close();
    await wsB.close();
  });

  it('content may be empty only with an attachment; an attachment naming no stored file -> 400 / error frame', async () => {
    const { a, room, wsA, wsB } = await setup();
    expectError(await srv.api('POST', '/api/messages', { room_id: room.id, content: '' }, a.token), 400, 'bad_request', 'empty content:');
    expectError(await srv.api('POST', '/api/messages', { room_id: room.id, content: '   ' }, a.token), 400, 'bad_request', 'blank content:');
    const missing = `/api/files/${randomBytes(16).toString('base64url')}.png`;
    for (const attachment of [missing, { url: missing }, 'not a file', '/api/files/../../etc/passwd', { url: 'https://evil.example/x.png' }]) {
      const res = await srv.api('POST', '/api/messages', { room_id: room.id, content: 'x', attachment }, a.token);
      expectError(res, 400, 'bad_request', `attachment ${JSON.stringify(attachment)}:`);
    }
    expectError(await srv.api('POST', '/api/messages', { room_id: room.id, content: 'x', attachment: 42 }, a.token), 400, 'bad_request', 'attachment 42:');

    for (const frame of [{ content: '', attachment: { url: missing } }, { content: '' }]) {
      const client_id = randomUUID();
      wsA.send({ type: 'message', room_id: room.id, client_id, ...frame });
      const err = await wsA.next((x) => x.type === 'error' || (x.type === 'ack' && x.client_id === client_id));
      assert.equal(err.type, 'error', `${JSON.stringify(frame)} -> ${JSON.stringify(stripMeta(err))}`);
      assert.equal(err.code, 'bad_request');
      assert.equal(err.ref, client_id);
    }
    await wsB.expectNoFrame('message', 300);
    await wsA.close();
    await wsB.close();
  });
});

// ---------------------------------------------------------------------------------------------

describe('uploads: auth, rate, quota and malformed bodies', { timeout: 60_000 }, () => {
  const servers = [];
  after(async () => { for (const s of servers) await s.dispose(); });
  const start = async (opts) => { const s = await startServer(opts); servers.push(s); return s; };

  it('unauthenticated or bad token -> 401', async () => {
    const srv = await start();
    const data = textBytes(1000);
    expectError(await upload(srv, undefined, data, { filename: 'a.txt' }), 401, 'unauthorized', 'no token:');
    expectError(await upload(srv, 'not-a-token', data, { filename: 'a.txt' }), 401, 'unauthorized', 'bad token:');
  });

  it('--upload-burst 2 --uploads-per-minute 1: the third upload -> 429 rate_limited with Retry-After; others unaffected', async () => {
    const srv = await start({ 'upload-burst': 2, 'uploads-per-minute': 1 });
    const u = await srv.registerUser('rl');
    const data = textBytes(1000);
    expectStatus(await upload(srv, u.token, data, { filename: '1.txt' }), 200, 'first:');
    expectStatus(await upload(srv, u.token, data, { filename: '2.txt' }), 200, 'second:');
    const res = await upload(srv, u.token, data, { filename: '3.txt' });
    expectError(res, 429, 'rate_limited', 'third:');
    const retry = Number(res.headers['retry-after']);
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After: ${res.headers['retry-after']}`);
    const other = await srv.registerUser('rl2');
    expectStatus(await upload(srv, other.token, data, { filename: 'o.txt' }), 200, 'another user:');
  });

  it('--upload-quota-bytes 20000: once a user has used the quota, further uploads -> 413; other users unaffected', async () => {
    const srv = await start({ 'upload-quota-bytes': 20_000 });
    const u = await srv.registerUser('q');
    expectStatus(await upload(srv, u.token, textBytes(12_000), { filename: '1.txt' }), 200, 'first 12000:');
    expectStatus(await upload(srv, u.token, textBytes(8_000), { filename: '2.txt' }), 200, 'second 8000 (exactly the quota):');
    expectError(await upload(srv, u.token, textBytes(100), { filename: '3.txt' }), 413, 'too_large', 'beyond the quota:');
    const other = await srv.registerUser('q2');
    expectStatus(await upload(srv, other.token, textBytes(15_000), { filename: 'o.txt' }), 200, 'another user has their own quota:');
  });

  it('--upload-quota-bytes 20000: the upload that would take the user past the quota -> 413, also when concurrent', async () => {
      const srv = await start({ 'upload-quota-bytes': 20_000 });
      const u = await srv.registerUser('q');
      expectStatus(await upload(srv, u.token, textBytes(15_000), { filename: '1.txt' }), 200, 'first 15000:');
      const second = await upload(srv, u.token, textBytes(15_000), { filename: '2.txt' });
      expectError(second, 413, 'too_large', 'second 15000 (30000 > 20000):');
      // Uploads racing each other: the quota holds for their sum.
      const v = await srv.registerUser('qc');
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => upload(srv, v.token, textBytes(6_000), { filename: `${i}.txt` })));
      const accepted = results.filter((r) => r.status === 200).length;
      assert.equal(accepted, 3, `3 x 6000 fit in 20000, not more: ${results.map((r) => r.status)}`);
      for (const r of results.filter((x) => x.status !== 200)) expectError(r, 413, 'too_large', 'over the quota:');
    });

  it('malformed multipart -> 400 bad_request (no closing boundary, no boundary parameter, no file field, empty file, not multipart)', async () => {
    const srv = await start();
    const u = await srv.registerUser('mp');
    const data = textBytes(1000);

    const open = multipartBody([{ name: 'file', filename: 'a.txt', contentType: 'text/plain', data }], { closing: false });
    expectError(await postMultipart(srv, u.token, open.body, open.contentType), 400, 'bad_request', 'no closing boundary:');

    const ok = multipartBody([{ name: 'file', filename: 'a.txt', contentType: 'text/plain', data }]);
    expectError(await postMultipart(srv, u.token, ok.body, 'multipart/form-data'), 400, 'bad_request', 'no boundary parameter:');
    expectError(await postMultipart(srv, u.token, ok.body, 'application/json'), 400, 'bad_request', 'not multipart:');
    expectError(await postMultipart(srv, u.token, ok.body, 'multipart/form-data; boundary=other-boundary'), 400, 'bad_request', 'boundary not in body:');

    const nofile = multipartBody([{ name: 'document', filename: 'a.txt', contentType: 'text/plain', data }]);
    expectError(await postMultipart(srv, u.token, nofile.body, nofile.contentType), 400, 'bad_request', 'no file field:');

    const empty = multipartBody([{ name: 'file', filename: 'empty.txt', contentType: 'text/plain', data: Buffer.alloc(0) }]);
    expectError(await postMultipart(srv, u.token, empty.body, empty.contentType), 400, 'bad_request', 'empty file:');

    const noDisposition = Buffer.from(`--${ok.boundary}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${ok.boundary}--\r\n`);
    expectError(await postMultipart(srv, u.token, noDisposition, ok.contentType), 400, 'bad_request', 'part without Content-Disposition:');

    // nothing was stored, and the server still accepts a good one
    const filesDir = path.join(srv.dataDir, 'files');
    assert.deepEqual(fs.readdirSync(filesDir).filter((n) => n !== '.incoming'), []);
    assert.deepEqual(fs.readdirSync(path.join(filesDir, '.incoming')), []);
    expectStatus(await postMultipart(srv, u.token, ok.body, ok.contentType), 200, 'well-formed:');
  });
});

describe('uploads: slow readers', { timeout: 60_000 }, () => {
  it('a download slower than the idle timeout in total still completes: the timeout applies per write step', async () => {
    const srv = await startServer({ 'http-idle-timeout-s': 2 });
    try {
      const u = await srv.registerUser('slow');
      const data = textBytes(9 * MiB);
      const res = await upload(srv, u.token, data, { filename: 'big.txt', contentType: 'text/plain' });
      expectStatus(res, 200, 'upload:');
      // The reader takes ~4 s in all (a pause after each MiB, each well under the 2 s timeout).
      const started = Date.now();
      const received = await new Promise((resolve, reject) => {
        const req = http.get(`${srv.baseUrl}${res.json.url}`, (r) => {
          let total = 0;
          let sincePause = 0;
          r.on('data', (chunk) => {
            total += chunk.length;
            sincePause += chunk.length;
            if (sincePause >= MiB) {
              sincePause = 0;
              r.pause();
              setTimeout(() => r.resume(), 450); // throttles the reader; not synchronisation
            }
          });
          r.on('end', () => resolve(total));
          r.on('error', reject);
          r.on('aborted', () => reject(new Error(`download cut off after ${total} bytes`)));
        });
        req.on('error', reject);
      });
      assert.ok(Date.now() - started > 2000, 'the transfer outlasted one idle timeout');
      assert.equal(received, data.length, 'the whole file arrived');
    } finally {
      await srv.dispose();
    }
  });
});
