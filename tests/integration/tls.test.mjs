// TLS on the server (--tls-cert/--tls-key): HTTPS and WSS with a CA the test makes itself
// (tests/tools/make_test_certs.sh), refusal of clients that do not trust it, of plain HTTP on
// the TLS port and of TLS below 1.2, and clear start-up errors for bad settings.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer, api, expectStatus, uniqueName, REPO_ROOT } from './lib/harness.mjs';

const pki = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-pki-'));
execFileSync('bash', [path.join(REPO_ROOT, 'tests', 'tools', 'make_test_certs.sh'), pki]);
const file = (name) => path.join(pki, name);
const ca = fs.readFileSync(file('ca.pem'));
const otherCa = fs.readFileSync(file('other-ca.pem'));

// Resolves with whatever the server sends back to `bytes` before it closes (bounded in time).
function rawExchange(port, bytes, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('the server neither answered nor closed')); }, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
  });
}

describe('TLS', { timeout: 90_000 }, () => {
  let srv;
  before(async () => {
    srv = await startServer({ 'tls-cert': file('server.pem'), 'tls-key': file('server.key') });
  });
  after(async () => {
    await srv?.dispose();
    fs.rmSync(pki, { recursive: true, force: true });
  });

  it('serves the REST API over HTTPS to a client trusting the CA', async () => {
    assert.match(srv.baseUrl, /^https:/);
    expectStatus(await api(srv.baseUrl, 'GET', '/healthz', undefined, undefined, { ca }), 200);
    const username = uniqueName('tls');
    const reg = await api(srv.baseUrl, 'POST', '/api/auth/register', { username, password: 'tls-password-1' }, undefined, { ca });
    expectStatus(reg, 201);
    const me = await api(srv.baseUrl, 'GET', '/api/me', undefined, reg.json.access_token, { ca });
    expectStatus(me, 200);
    assert.equal(me.json.username, username);
  });

  it('serves WebSockets over WSS: hello, join, a message and its ack', async () => {
    const reg = await api(srv.baseUrl, 'POST', '/api/auth/register', { username: uniqueName('wss'), password: 'tls-password-1' }, undefined, { ca });
    const token = reg.json.access_token;
    const room = await api(srv.baseUrl, 'POST', '/api/rooms', { name: 'tls room' }, token, { ca });
    expectStatus(room, 201);
    const ws = await srv.connectWs('/ws', token, { ca });
    try {
      assert.equal((await ws.next((f) => f.type === 'hello')).user.id, reg.json.user.id);
      ws.send({ type: 'join', room_id: room.json.id });
      await ws.next((f) => f.type === 'joined');
      ws.send({ type: 'message', room_id: room.json.id, content: 'over tls', client_id: 'tls-1' });
      const ack = await ws.next((f) => f.type === 'ack');
      assert.equal(ack.client_id, 'tls-1');
      const echo = await ws.next((f) => f.type === 'message');
      assert.equal(echo.content, 'over tls');
    } finally {
      ws.close();
    }
  });

  it('is refused by clients that do not trust its CA (HTTPS and WSS)', async () => {
    await assert.rejects(api(srv.baseUrl, 'GET', '/healthz', undefined, undefined, { ca: otherCa }), /certificate/i);
    await assert.rejects(srv.connectWs('/ws', 'any', { ca: otherCa }), /certificate/i);
  });

  it('answers plain HTTP on the TLS port with nothing, and keeps serving', async () => {
    const reply = await rawExchange(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(!reply.toString('latin1').includes('HTTP/1.1'), `plain HTTP got an HTTP reply: ${reply.toString('latin1')}`);
    expectStatus(await api(srv.baseUrl, 'GET', '/healthz', undefined, undefined, { ca }), 200);
  });

  it('refuses TLS 1.1 with a protocol_version alert', () => {
    // SECLEVEL=0 lets this client offer TLS 1.1 at all; the refusal must come from the server.
    const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'],
      { input: '', encoding: 'utf8', timeout: 10_000 });
    assert.match(r.stdout + r.stderr, /alert protocol version/i);
  });
});

describe('TLS settings', { timeout: 30_000 }, () => {
  for (const [what, options, expected] of [
    ['a certificate without a key', { 'tls-cert': 'cert.pem' }, /--tls-cert and --tls-key go together/],
    ['a certificate file that does not exist', { 'tls-cert': '/nonexistent/cert.pem', 'tls-key': '/nonexistent/key.pem' }, /cannot use TLS certificate \/nonexistent\/cert\.pem/],
  ]) {
    it(`refuses to start with ${what}`, async () => {
      const error = await startServer(options).then((s) => { s.dispose(); return null; }, (e) => e);
      assert.ok(error?.exited, 'the server started');
      assert.equal(error.exited.code, 1);
      assert.match(error.message, expected);
    });
  }
});
