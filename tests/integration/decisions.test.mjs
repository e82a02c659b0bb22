// Behaviour where PROTOCOL.md leaves room and Parley decided (docs/API.md says the same):
// auth on logout, REST-held presence for the compatibility API, metrics access, rejoin replay.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, expectStatus, expectError, createRoom, joinRoom, postMessage, tryUpgrade, messageOf,
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
