// Bad input and abuse: refused upgrades, malformed frames, oversize frames and bodies, invalid
// UTF-8, rate limits, floods, half-open connections. The server must survive all of it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  startServer, expectStatus, expectError, createRoom, postMessage, waitFor, uniqueName, twoMembers,
} from './lib/harness.mjs';

async function assertStillServing(srv) {
  assert.ok(srv.running, `server process died:\n${srv.logs().slice(-3000)}`);
  const h = expectStatus(await srv.api('GET', '/healthz'), 200, 'healthz after bad input:');
  assert.deepEqual(h.json, { status: 'ok' });
  const { a, b, room } = await twoMembers(srv, 'ok_a', 'ok_b');
  const wsA = await srv.chatWs(room, a);
  const wsB = await srv.chatWs(room, b);
  const ack = await wsA.sendMessage(room.id, 'still alive?');
  const got = await wsB.next((f) => f.type === 'message' && f.id === ack.id);
  assert.equal(got.content, 'still alive?');
  await wsA.close();
  await wsB.close();
}

/** Opens a connection bound to a fresh room; returns {user, room, ws}. */
async function freshConn(srv) {
  const user = await srv.registerUser('bad');
  const room = await createRoom(srv, user);
  const ws = await srv.connectWs(`/ws/chat/${room.id}`, user.token);
  await ws.next('joined');
  return { user, room, ws };
}

describe('bad input', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'max-body-bytes': 4096 }); });
  after(async () => { await srv?.dispose(); });

  it('WebSocket upgrade with a missing / invalid token -> HTTP 401 before the upgrade', async () => {
    const a = await srv.registerUser('up');
    const room = await createRoom(srv, a);
    for (const base of ['/ws', `/ws/chat/${room.id}`]) {
      for (const [q, what] of [['', 'no token'], ['?token=garbage', 'garbage'], [`?token=${encodeURIComponent(a.refresh)}`, 'refresh token']]) {
        const up = await srv.tryUpgrade(`${base}${q}`);
        assert.equal(up.status, 401, `${base} with ${what}: expected 401, got ${up.status}`);
      }
      const hdr = await srv.tryUpgrade(base, { Authorization: 'Bearer garbage' });
      assert.equal(hdr.status, 401, `${base} with a garbage Authorization header`);
      const ok = await srv.tryUpgrade(`${base}?token=${encodeURIComponent(a.token)}`);
      assert.equal(ok.status, 101, `${base} with a valid token upgrades`);
    }
  });

  it('WebSocket to a room the user cannot see -> 404 before the upgrade', async () => {
    const a = await srv.registerUser('owner');
    const b = await srv.registerUser('stranger');
    const priv = await createRoom(srv, a, { private: true });
    const up = await srv.tryUpgrade(`/ws/chat/${priv.id}?token=${encodeURIComponent(b.token)}`);
    assert.equal(up.status, 404, 'private room of others');
    const up2 = await srv.tryUpgrade(`/ws/chat/987654321987?token=${encodeURIComponent(b.token)}`);
    assert.equal(up2.status, 404, 'missing room');
    // the member can connect
    const ok = await srv.tryUpgrade(`/ws/chat/${priv.id}?token=${encodeURIComponent(a.token)}`);
    assert.equal(ok.status, 101);
  });

  it('malformed JSON / non-object / unknown type / wrong field types -> error frames, connection stays usable', async () => {
    const { room, ws } = await freshConn(srv);
    const expectErr = async (send, what, code) => {
      send();
      const e = await ws.next('error');
      assert.equal(typeof e.code, 'string', `${what}: error.code`);
      assert.match(e.code, /^[a-z_]+$/, `${what}: snake_case code`);
      assert.equal(typeof e.message, 'string', `${what}: error.message`);
      if (code) assert.equal(e.code, code, `${what}: ${JSON.stringify(e)}`);
      return e;
    };
    await expectErr(() => ws.sendRaw('{"type":"message", "room_id": '), 'truncated JSON', 'bad_request');
    await expectErr(() => ws.sendRaw('this is not json'), 'not JSON', 'bad_request');
    await expectErr(() => ws.sendRaw(''), 'empty frame', 'bad_request');
    for (const raw of ['[1,2,3]', '42', '"hello"', 'null', 'true']) {
      await expectErr(() => ws.sendRaw(raw), `non-object ${raw}`, 'bad_request');
    }
    await expectErr(() => ws.send({ room_id: room.id, content: 'no type' }), 'missing type', 'bad_request');
    await expectErr(() => ws.send({ type: 42 }), 'numeric type', 'bad_request');
    const unk = await expectErr(() => ws.send({ type: 'frobnicate' }), 'unknown type');
    if (unk.ref !== undefined) assert.equal(unk.ref, 'frobnicate', 'ref names the type it answers');

    const cid = randomUUID();
    const e1 = await expectErr(() => ws.send({ type: 'message', room_id: String(room.id) + 'x', content: 'x', client_id: cid }), 'room_id string', 'bad_request');
    // Our decision: an error answering a message frame that carries a usable client_id references
    // that client_id (PROTOCOL: "the client_id or type it answers"), so a client with pipelined
    // sends can tell which one failed.
    if (e1.ref !== undefined) assert.equal(e1.ref, cid, 'ref of a refused message is its client_id');
    await expectErr(() => ws.send({ type: 'message', room_id: room.id, content: 123, client_id: randomUUID() }), 'content number', 'bad_request');
    await expectErr(() => ws.send({ type: 'message', room_id: room.id, content: { a: 1 }, client_id: randomUUID() }), 'content object', 'bad_request');
    await expectErr(() => ws.send({ type: 'message', room_id: room.id, content: 'x', client_id: 99 }), 'client_id number', 'bad_request');
    await expectErr(() => ws.send({ type: 'message', content: 'x' }), 'missing room_id', 'bad_request');
    await expectErr(() => ws.send({ type: 'join', room_id: 'lobby' }), 'join with string room_id', 'bad_request');
    await expectErr(() => ws.send({ type: 'read', room_id: room.id, seq: 'x' }), 'read with string seq', 'bad_request');
    await expectErr(() => ws.send({ type: 'typing_start', room_id: null }), 'typing_start null room', 'bad_request');
    await expectErr(() => ws.send({ type: 'edit', message_id: 'x', content: 'y' }), 'edit string id', 'bad_request');
    await expectErr(() => ws.send({ type: 'delete' }), 'delete without id', 'bad_request');

    assert.equal(ws.closeInfo, null, 'still open');
    const ack = await ws.sendMessage(room.id, 'valid after garbage');
    assert.equal(ack.seq, 1, 'none of the bad frames stored anything');
    ws.send({ type: 'ping' });
    await ws.next('pong');
    await ws.close();
  });

  it('a binary frame gets an answer (or a 1003 close), never a crash', async () => {
    // PROTOCOL is silent on binary frames. Our decision: the server may read a binary frame as
    // JSON (pong), refuse it with an error frame, or close with 1003 Unsupported Data; it must
    // neither ignore it silently nor fail the connection in any other way.
    const { ws } = await freshConn(srv);
    ws.sendRaw(Buffer.from(JSON.stringify({ type: 'ping' })), { binary: true });
    let outcome;
    try {
      outcome = await ws.next((x) => x.type === 'error' || x.type === 'pong');
    } catch (e) {
      if (!ws.closeInfo) throw e;
      outcome = { closed: ws.closeInfo };
    }
    if (outcome.closed) {
      assert.equal(outcome.closed.code, 1003, 'closed with 1003 Unsupported Data');
    } else {
      ws.send({ type: 'ping' });
      await ws.next('pong');
      await ws.close();
    }
    assert.ok(srv.running);
  });

  it('a frame of exactly 64 KiB is read; 64 KiB + 1 byte closes with 1009', async () => {
    const { room, ws } = await freshConn(srv);
    const frameOf = (size) => {
      const skeleton = JSON.stringify({ type: 'message', room_id: room.id, client_id: 'big', content: '' });
      const s = JSON.stringify({ type: 'message', room_id: room.id, client_id: 'big', content: 'a'.repeat(size - skeleton.length) });
      assert.equal(Buffer.byteLength(s), size);
      return s;
    };
    ws.sendRaw(frameOf(65536));
    const e = await ws.next('error'); // content far over 4000 code points, but the frame itself is fine
    assert.equal(e.code, 'bad_request');
    assert.equal(ws.closeInfo, null);
    ws.sendRaw(frameOf(65537));
    const closed = await ws.waitClosed();
    assert.equal(closed.code, 1009, `expected 1009 Message Too Big, got ${closed.code}`);
  });

  it('invalid UTF-8 in a text frame closes with 1007', async () => {
    const { ws } = await freshConn(srv);
    ws.sendRaw(Buffer.from([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])); // {"t":"\xff\xfe"}
    const closed = await ws.waitClosed();
    assert.equal(closed.code, 1007, `expected 1007 Invalid Payload, got ${closed.code}`);
  });

  it('REST: invalid JSON / non-object / invalid UTF-8 bodies -> 400 bad_request', async () => {
    const a = await srv.registerUser('rj');
    const room = await createRoom(srv, a);
    const bodies = [
      ['{"room_id": 1, "content": ', 'truncated JSON'],
      ['not json at all', 'not JSON'],
      ['[1,2]', 'array'],
      ['"text"', 'string'],
      ['null', 'null'],
      [Buffer.concat([Buffer.from(`{"room_id":${room.id},"content":"`), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 'invalid UTF-8'],
    ];
    for (const [body, what] of bodies) {
      expectError(await srv.api('POST', '/api/messages', body, a.token), 400, 'bad_request', `POST /api/messages ${what}:`);
      expectError(await srv.api('POST', '/api/rooms', body, a.token), 400, 'bad_request', `POST /api/rooms ${what}:`);
      expectError(await srv.api('POST', '/api/auth/login', body), 400, 'bad_request', `login ${what}:`);
    }
    expectError(await srv.api('POST', '/api/auth/register', ''), 400, 'bad_request', 'empty register body:');
    const hist = expectStatus(await srv.api('GET', `/api/messages?room_id=${room.id}`, undefined, a.token), 200).json;
    assert.equal(hist.messages.length, 0);
  });

  it('REST body over --max-body-bytes (4096) -> 413 too_large', async () => {
    const a = await srv.registerUser('big');
    const room = await createRoom(srv, a);
    const body = JSON.stringify({ room_id: room.id, content: 'x'.repeat(5000) });
    expectError(await srv.api('POST', '/api/messages', body, a.token), 413, 'too_large', 'POST /api/messages 5 KB:');
    expectError(await srv.api('POST', '/api/auth/register', { username: uniqueName('x'), password: 'p'.repeat(5000) }), 413, 'too_large', 'register 5 KB:');
    // just under the limit is read (and judged on its content)
    const under = JSON.stringify({ room_id: room.id, content: 'y'.repeat(3900) });
    expectStatus(await srv.api('POST', '/api/messages', under, a.token), 201, 'body under the limit:');
  });

  it('unknown rooms, messages and routes -> 404', async () => {
    const a = await srv.registerUser('nf');
    expectError(await srv.api('POST', '/api/messages', { room_id: 987654321987, content: 'x' }, a.token), 404, 'not_found');
    expectError(await srv.api('GET', '/api/messages?room_id=987654321987', undefined, a.token), 404, 'not_found');
    expectError(await srv.api('GET', '/api/rooms/987654321987', undefined, a.token), 404, 'not_found');
    expectError(await srv.api('DELETE', '/api/messages/987654321987', undefined, a.token), 404, 'not_found');
    assert.equal((await srv.api('GET', '/api/no/such/route', undefined, a.token)).status, 404);
  });

  it('after all that, the server still answers /healthz and chat works', async () => {
    await assertStillServing(srv);
  });
});

describe('bad input: expired token on upgrade', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'access-token-ttl-s': 1 }); });
  after(async () => { await srv?.dispose(); });

  it('an expired access token -> HTTP 401 before the upgrade', async () => {
    const a = await srv.registerUser('old');
    const room = await createRoom(srv, a).catch(() => null); // may already be expired on a slow machine
    await waitFor(async () => (await srv.api('GET', '/api/me', undefined, a.token)).status === 401,
      { timeoutMs: 10_000, intervalMs: 100, what: 'the 1 s token to expire' });
    const up = await srv.tryUpgrade(`/ws?token=${encodeURIComponent(a.token)}`);
    assert.equal(up.status, 401, `/ws with an expired token: ${up.status}`);
    if (room) {
      const up2 = await srv.tryUpgrade(`/ws/chat/${room.id}?token=${encodeURIComponent(a.token)}`);
      assert.equal(up2.status, 401, `/ws/chat with an expired token: ${up2.status}`);
    }
  });
});

describe('bad input: rate limits (--msg-rate-burst 5 --msg-rate-per-s 1)', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'msg-rate-burst': 5, 'msg-rate-per-s': 1 }); });
  after(async () => { await srv?.dispose(); });

  it('WS: the 6th rapid message gets an error frame rate_limited; the connection stays', async () => {
    const { room, ws } = await freshConn(srv);
    const ids = Array.from({ length: 6 }, () => randomUUID());
    for (const client_id of ids) ws.send({ type: 'message', room_id: room.id, content: `burst ${client_id}`, client_id });
    for (const client_id of ids.slice(0, 5)) {
      const f = await ws.next((x) => (x.type === 'ack' && x.client_id === client_id) || (x.type === 'error' && x.ref === client_id));
      assert.equal(f.type, 'ack', `message within the burst must be acked: ${JSON.stringify(f)}`);
    }
    const err = await ws.next('error');
    assert.equal(err.code, 'rate_limited', JSON.stringify(err));
    if (err.ref !== undefined) assert.equal(err.ref, ids[5]);
    assert.ok(!ws.frames.some((f) => f.type === 'ack' && f.client_id === ids[5]), 'the 6th was not stored');
    ws.send({ type: 'ping' });
    await ws.next('pong');
    assert.equal(ws.closeInfo, null);
    await ws.close();
  });

  it('REST: the 6th rapid message -> 429 rate_limited with Retry-After; allowed again after it', async () => {
    const a = await srv.registerUser('rl');
    const room = await createRoom(srv, a);
    for (let i = 0; i < 5; i++) await postMessage(srv, a, room.id, `rest ${i}`);
    const res = await srv.api('POST', '/api/messages', { room_id: room.id, content: 'one too many' }, a.token);
    expectError(res, 429, 'rate_limited');
    const ra = res.headers['retry-after'];
    assert.ok(ra !== undefined, 'Retry-After header present');
    assert.match(String(ra), /^\d+$/, 'Retry-After in whole seconds');
    assert.ok(Number(ra) >= 1 && Number(ra) <= 10, `Retry-After ${ra} is sensible for 1 msg/s`);
    // the bucket refills at 1/s: a send succeeds again within Retry-After (+ slack)
    await waitFor(async () => (await srv.api('POST', '/api/messages', { room_id: room.id, content: 'later' }, a.token)).status === 201,
      { timeoutMs: (Number(ra) + 3) * 1000, intervalMs: 250, what: 'a send to be accepted after Retry-After' });
  });

  it('sustained flooding closes the connection with 1008; other users are unaffected', async () => {
    const { room, ws } = await freshConn(srv);
    const deadline = Date.now() + 15_000;
    let sent = 0;
    while (!ws.closeInfo && Date.now() < deadline) {
      for (let i = 0; i < 20 && !ws.closeInfo; i++, sent++) {
        ws.send({ type: 'message', room_id: room.id, content: `flood ${sent}`, client_id: `f${sent}` });
      }
      await new Promise((r) => setTimeout(r, 5)); // pacing of the flood itself (~4000 msg/s), not a wait for an event
    }
    const closed = await ws.waitClosed(5_000).catch(() => null);
    assert.ok(closed, `the server did not close a connection that kept flooding (${sent} messages over 15 s)`);
    assert.equal(closed.code, 1008, `sustained abuse closes with 1008 Policy Violation, got ${closed.code}`);
    assert.ok(ws.frames.some((f) => f.type === 'error' && f.code === 'rate_limited'), 'it was rate limited first');
    await assertStillServing(srv);
  });
});

describe('bad input: half-open connections (--handshake-timeout-s 1)', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'handshake-timeout-s': 1 }); });
  after(async () => { await srv?.dispose(); });

  const closedWithin = (sock, ms) => new Promise((resolve, reject) => {
    const t0 = Date.now();
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`the server kept a silent connection open for ${ms} ms`)); }, ms);
    sock.on('error', () => {}); // a reset counts as closed
    sock.on('close', () => { clearTimeout(timer); resolve(Date.now() - t0); });
    sock.resume();
  });
  const connect = () => new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });

  it('a TCP connection that sends nothing is dropped within the handshake timeout', async () => {
    const s = await connect();
    await closedWithin(s, 6_000);
  });

  it('a request that never finishes its headers is dropped too', async () => {
    const s = await connect();
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await closedWithin(s, 6_000);
  });

  it('a WebSocket that stopped the HTTP handshake half-way is dropped', async () => {
    const s = await connect();
    s.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n');
    await closedWithin(s, 6_000);
  });

  it('the server still serves normally', async () => {
    await assertStillServing(srv);
  });
});
