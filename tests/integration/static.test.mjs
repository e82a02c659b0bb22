// The web client's files served by the binary: index at "/", assets with their content types,
// ETag revalidation (304), HEAD, the security headers (strict CSP, nosniff, no referrer), and
// every API path keeping its meaning (nothing shadowed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, expectError } from './lib/harness.mjs';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { await srv?.dispose(); });

const CSP = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; style-src 'self'; " +
  "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

test('GET / serves the client with strict headers', async () => {
  const res = await srv.api('GET', '/');
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.equal(res.headers['content-security-policy'], CSP);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  assert.equal(res.headers['referrer-policy'], 'no-referrer');
  assert.match(res.headers.etag, /^"[0-9a-f]{32}"$/);
  assert.equal(Number(res.headers['content-length']), Buffer.byteLength(res.text));
  assert.match(res.text, /<script type="module" src="\/js\/main\.js"><\/script>/);
  // The CSP allows no inline code: the page has none.
  assert.doesNotMatch(res.text, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(res.text, /\sstyle=|\son[a-z]+=/i);
  assert.doesNotMatch(res.text, /https?:\/\//, 'nothing from outside the server');
});

test('assets have their types; ETag gives 304; HEAD has no body', async () => {
  const types = { '/app.css': 'text/css; charset=utf-8', '/js/main.js': 'text/javascript; charset=utf-8', '/icon.svg': 'image/svg+xml' };
  for (const [p, type] of Object.entries(types)) {
    const res = await srv.api('GET', p);
    assert.equal(res.status, 200, p);
    assert.equal(res.headers['content-type'], type, p);
    assert.equal(res.headers['content-security-policy'], CSP, p);
    const again = await srv.api('GET', p, undefined, undefined, { headers: { 'If-None-Match': res.headers.etag } });
    assert.equal(again.status, 304, p);
    assert.equal(again.text, '');
    assert.equal(again.headers.etag, res.headers.etag);
    const stale = await srv.api('GET', p, undefined, undefined, { headers: { 'If-None-Match': '"0000"' } });
    assert.equal(stale.status, 200, p);
    const head = await srv.api('HEAD', p);
    assert.equal(head.status, 200, p);
    assert.equal(head.text, '');
    assert.equal(head.headers['content-length'], res.headers['content-length']);
  }
  // A query string (cache busting) serves the same file.
  assert.equal((await srv.api('GET', '/js/main.js?v=2')).status, 200);
});

test('modules import only files that are served', async () => {
  const seen = new Set();
  const queue = ['/js/main.js'];
  while (queue.length) {
    const p = queue.pop();
    if (seen.has(p)) continue;
    seen.add(p);
    const res = await srv.api('GET', p);
    assert.equal(res.status, 200, `${p} is served`);
    for (const m of res.text.matchAll(/^import .* from '(\.\/[^']+)';$/gm)) queue.push(new URL(m[1], `http://x${p}`).pathname);
  }
  assert.ok(seen.size >= 6, [...seen].join(' '));
});

test('API paths and unknown paths keep their JSON answers', async () => {
  expectError(await srv.api('GET', '/api/rooms'), 401, 'unauthorized');
  expectError(await srv.api('GET', '/nope.js'), 401, 'unauthorized');
  expectError(await srv.api('GET', '/js/'), 401, 'unauthorized');
  expectError(await srv.api('POST', '/', {}), 401, 'unauthorized');
  const user = await srv.registerUser('static');
  expectError(await srv.api('GET', '/missing.html', undefined, user.token), 404, 'not_found');
  expectError(await srv.api('DELETE', '/index.html', undefined, user.token), 404, 'not_found');
  assert.equal((await srv.api('GET', '/healthz')).json.status, 'ok');
  assert.equal((await srv.api('GET', '/api/me', undefined, user.token)).json.username, user.username);
});
