// Behaviour where PROTOCOL.md leaves room and Parley decided (docs/API.md says the same):
// auth on logout, REST-held presence for the compatibility API, metrics access, rejoin replay.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, expectStatus, expectError, createRoom, joinRoom, postMessage, tryUpgrade, messageOf, twoMembers,
} from './lib/harness.mjs';

describe('decisions', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.dispose(); });

  it('logout needs the Bearer access token like every non-auth endpoint', async () => {
    const a = await srv.registerUser('lo');
    expectError(await srv.api('POST', '/api/auth/logout', { refresh_token: a.refresh }), 401, 'unauthorized', 'no token:');
    // Refused logout changed nothing: the refresh token still works.
    expectStatus(await srv.api('POST', '/api/auth/refresh', { refresh_token: a.refresh }), 200);
  });

  it('/updateStatus without a WebSocket holds the status; typing shows until replaced', async () => {
    const a = await srv.registerUser('st');
    const b = await srv.registerUser('sw');
    const status = async () => expectStatus(await srv.api('GET', `/getStatus?userId=${a.id}`, undefined, b.token), 200).json.status;
    assert.equal(await status(), 'offline', 'never connected');
    expectStatus(await srv.api('POST', '/updateStatus', { userId: a.id, status: 'away' }, a.token), 200);
    assert.equal(await status(), 'away');
    expectStatus(await srv.api('POST', '/updateStatus', { userId: a.id, status: 'typing' }, a.token), 200);
    assert.equal(await status(), 'typing');
    expectStatus(await srv.api('POST', '/updateStatus', { userId: a.id, status: 'online' }, a.token), 200);
    assert.equal(await status(), 'online');
    expectStatus(await srv.api('POST', '/updateStatus', { userId: a.id, status: 'offline' }, a.token), 200);
    assert.equal(await status(), 'offline');
  });

  it('compatibility writes without senderId / userId are 400, not 403', async () => {
    const a = await srv.registerUser('cm');
    const room = await createRoom(srv, a);
    expectError(await srv.api('POST', '/sendMessage', { message: 'x', roomId: room.id }, a.token), 400, 'bad_request');
    expectError(await srv.api('POST', '/updateStatus', { status: 'away' }, a.token), 400, 'bad_request');
  });

  it('/metrics is served to loopback in Prometheus text format', async () => {
    const res = expectStatus(await srv.api('GET', '/metrics'), 200);
    assert.match(String(res.headers['content-type']), /text\/plain/);
    for (const name of ['parley_ws_connections', 'parley_deliveries_total', 'parley_messages_stored_total',
      'parley_store_commit_seconds_bucket']) {
      assert.ok(res.text.includes(name), `${name} missing from /metrics`);
    }
  });

  it('the WebSocket Authorization scheme is case-insensitive, like REST', async () => {
    const a = await srv.registerUser('bc');
    const up = await tryUpgrade(srv.baseUrl, '/ws', { Authorization: `bearer ${a.token}` });
    assert.equal(up.status, 101);
  });

  it('a rejoin never replays a seq the connection already received', async () => {
    const a = await srv.registerUser('rj');
    const b = await srv.registerUser('rk');
    const room = await createRoom(srv, a);
    await joinRoom(srv, b, room.id);
    const ws = await srv.connectWs('/ws', b.token);
    ws.send({ type: 'join', room_id: room.id });
    await ws.next('joined');
    const first = await postMessage(srv, a, room.id, 'one');
    assert.equal(messageOf(await ws.next('message')).seq, first.seq);
    // Asking again from 0 replays nothing already delivered (seq 1 came live).
    ws.send({ type: 'join', room_id: room.id, since_seq: 0 });
    await ws.next('joined');
    const second = await postMessage(srv, a, room.id, 'two');
    const next = messageOf(await ws.next('message'));
    assert.equal(next.seq, second.seq, 'the next message is the new one, not a replay of seq 1');
  });
});

describe('configuration', { timeout: 60_000 }, () => {
  it('settings come from flags, a TOML file and the environment, in that order of precedence', async () => {
    const fs = await import('node:fs/promises');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-cfg-'));
    const file = path.join(dir, 'parley.toml');
    await fs.writeFile(file, 'heartbeat-s = 7\nmax-content-chars = 10\n');
    const env = { PARLEY_HEARTBEAT_S: '9', PARLEY_MAX_CONTENT_CHARS: '5', PARLEY_TYPING_TTL_MS: '700' };
    const srv = await startServer({ config: file, env, 'max-content-chars': 3 });
    try {
      const a = await srv.registerUser('cf');
      const room = await createRoom(srv, a);
      const ws = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
      assert.equal((await ws.next('hello')).heartbeat_s, 7, 'the file overrides the environment');
      // Set only in the environment: typing expires after 700 ms, not the default 6 s.
      const b = await srv.registerUser('cg');
      await joinRoom(srv, b, room.id);
      const wsB = await srv.connectWs(`/ws/chat/${room.id}`, b.token);
      await wsB.next('joined');
      ws.send({ type: 'typing_start', room_id: room.id });
      await wsB.next('typing_start');
      const started = Date.now();
      await wsB.next('typing_stop', 3000);
      assert.ok(Date.now() - started < 3000, 'typing expired by the environment setting');
      expectStatus(await srv.api('POST', '/api/messages', { room_id: room.id, content: 'abc' }, a.token), 201);
      expectError(await srv.api('POST', '/api/messages', { room_id: room.id, content: 'abcd' }, a.token), 400, 'bad_request',
        'the flag (3) overrides the file (10) and the environment (5):');
    } finally {
      await srv.dispose();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('upgrade guards', { timeout: 60_000 }, () => {
  let srv;
  before(async () => {
    srv = await startServer({ 'allowed-origins': 'https://chat.example.com', 'max-connections-per-user': 2, 'log-level': 'debug' });
  });
  after(async () => { await srv?.dispose(); });

  it('browser upgrades need an allowed Origin (own origin or the allow-list); native clients send none', async () => {
    const a = await srv.registerUser('or');
    const path = `/ws?token=${a.token}`;
    const evil = await tryUpgrade(srv.baseUrl, path, { Origin: 'https://evil.example.net' });
    expectError({ ...evil, text: evil.body }, 403, 'forbidden', 'foreign origin:');
    assert.equal((await tryUpgrade(srv.baseUrl, path, { Origin: srv.baseUrl })).status, 101, 'own origin');
    assert.equal((await tryUpgrade(srv.baseUrl, path, { Origin: 'https://chat.example.com' })).status, 101, 'allow-listed');
    assert.equal((await tryUpgrade(srv.baseUrl, path)).status, 101, 'no Origin (native client)');
  });

  it('connections per user are limited; other users are unaffected', async () => {
    const a = await srv.registerUser('cl');
    const b = await srv.registerUser('cm');
    const first = await srv.connectWs('/ws', a.token);
    const second = await srv.connectWs('/ws', a.token);
    await first.next('hello');
    await second.next('hello');
    const third = await tryUpgrade(srv.baseUrl, `/ws?token=${a.token}`);
    expectError({ ...third, text: third.body }, 429, 'rate_limited', 'third connection:');
    assert.equal((await tryUpgrade(srv.baseUrl, `/ws?token=${b.token}`)).status, 101);
  });

  it('logs never contain tokens, passwords or message bodies', async () => {
    const a = await srv.registerUser('lg');
    const room = await createRoom(srv, a);
    const ws = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    await ws.next('joined');
    ws.send({ type: 'message', room_id: room.id, content: 'secret-body-text-42', client_id: 'l1' });
    await ws.next('ack');
    await srv.api('GET', `/api/messages?room_id=${room.id}`, undefined, a.token);
    const logs = srv.logs();
    assert.match(logs, /ws upgrade/, 'debug logging is on, so requests were logged');
    for (const secret of [a.token, a.refresh, a.password, 'secret-body-text-42']) {
      assert.ok(!logs.includes(secret), `the log contains ${secret.slice(0, 12)}…`);
    }
  });
});

describe('typing and presence storms', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'signal-rate-burst': 5, 'signal-rate-per-s': 0.5 }); });
  after(async () => { await srv?.dispose(); });

  it('toggling typing relays at most the per-user burst of starts, and the last stop still arrives', async () => {
    const { a, b, room } = await twoMembers(srv, 'ta', 'tb');
    const wsA = await srv.chatWs(room, a);
    const wsB = await srv.chatWs(room, b);
    for (let i = 0; i < 40; i++) {
      wsA.send({ type: 'typing_start', room_id: room.id });
      wsA.send({ type: 'typing_stop', room_id: room.id });
    }
    wsA.send({ type: 'ping' });
    await wsA.next('pong');  // every frame above has been handled
    // A marker message: everything relayed before it has reached B when it arrives.
    wsA.send({ type: 'message', room_id: room.id, content: 'marker', client_id: 'mk' });
    await wsB.next((f) => f.type === 'message' && f.content === 'marker');
    const starts = wsB.frames.filter((f) => f.type === 'typing_start').length;
    assert.ok(starts >= 1 && starts <= 6, `typing_start relayed ${starts} times for 40 toggles (burst 5)`);
    const typing = wsB.frames.filter((f) => f.type === 'typing_start' || f.type === 'typing_stop').map((f) => f.type);
    assert.equal(typing.filter((t) => t === 'typing_stop').length, starts, `one stop per relayed start: ${typing}`);
    assert.equal(typing.at(-1), 'typing_stop', 'the indicator ends stopped');
    assert.equal(wsA.frames.filter((f) => f.type === 'error').length, 0, 'typing is throttled silently');
  });

  it('status changes over the limit are refused with rate_limited', async () => {
    const a = await srv.registerUser('sa');
    const ws = await srv.connectWs('/ws', a.token);
    await ws.next('hello');
    for (let i = 0; i < 10; i++) ws.send({ type: 'status', status: i % 2 ? 'online' : 'away' });
    const err = await ws.next('error');
    assert.equal(err.code, 'rate_limited');
    assert.equal(err.ref, 'status');
  });
});
