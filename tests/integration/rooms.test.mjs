// Rooms: create, list, get, join (by id / invite), leave, members, visibility of private rooms.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, expectStatus, expectError, uniqueName, waitFor, assertRoomShape, assertMessageShape,
  assertTimestamp, createRoom, joinRoom, postMessage, isPosInt,
} from './lib/harness.mjs';

describe('rooms', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'presence-grace-ms': 200 }); });
  after(async () => { await srv?.dispose(); });

  const getRoom = (user, id) => srv.api('GET', `/api/rooms/${id}`, undefined, user.token);
  const listRooms = async (user) => {
    const res = expectStatus(await srv.api('GET', '/api/rooms', undefined, user.token), 200, 'list rooms:');
    assert.ok(Array.isArray(res.json.rooms), `rooms must be an array: ${res.text}`);
    for (const r of res.json.rooms) assertRoomShape(r, 'listed room');
    return res.json.rooms;
  };
  const members = async (user, id) => {
    const res = expectStatus(await srv.api('GET', `/api/rooms/${id}/members`, undefined, user.token), 200, 'members:');
    assert.ok(Array.isArray(res.json.members), `members must be an array: ${res.text}`);
    for (const m of res.json.members) {
      assert.ok(isPosInt(m.id), `member.id: ${JSON.stringify(m)}`);
      assert.equal(typeof m.username, 'string');
      assert.ok(['online', 'away', 'offline'].includes(m.status), `member.status: ${JSON.stringify(m)}`);
      assert.ok('last_seen' in m, `member.last_seen missing: ${JSON.stringify(m)}`);
      if (m.last_seen !== null) assertTimestamp(m.last_seen, 'member.last_seen');
    }
    return res.json.members;
  };

  it('POST /api/rooms creates a public room: 201, exact room object, creator is a member', async () => {
    const a = await srv.registerUser('ra');
    const name = uniqueName('Lobby');
    const t0 = Date.now();
    const res = expectStatus(await srv.api('POST', '/api/rooms', { name }, a.token), 201);
    const r = res.json;
    assertRoomShape(r);
    assert.equal(r.name, name);
    assert.equal(r.private, false);
    assert.equal(r.created_by, a.id);
    assert.ok(Math.abs(Date.parse(r.created_at) - t0) < 60_000, `created_at ${r.created_at} is about now`);
    assert.equal(r.member_count, 1);
    assert.equal(r.online_count, 0, 'the creator has no open connection');
    assert.equal(r.joined, true);
    assert.equal(r.last_seq, 0);
    assert.equal(r.last_message, null);

    const got = expectStatus(await getRoom(a, r.id), 200).json;
    assertRoomShape(got);
    assert.equal(got.id, r.id);
    assert.equal(got.name, name);
    assert.equal(got.created_at, r.created_at);
    const ms = await members(a, r.id);
    assert.deepEqual(ms.map((m) => m.id), [a.id]);
  });

  it('POST /api/rooms private: true -> private room with an invite code for its members', async () => {
    const a = await srv.registerUser('pa');
    const r = await createRoom(srv, a, { private: true });
    assertRoomShape(r);
    assert.equal(r.private, true);
    assert.equal(typeof r.invite, 'string', `members of a private room see "invite": ${JSON.stringify(r)}`);
    assert.match(r.invite, /^[0-9a-f]{32}$/, '128 random bits, as hex (never a leading "-")');
    const got = expectStatus(await getRoom(a, r.id), 200).json;
    assert.equal(got.invite, r.invite);
  });

  it('room creation validation -> 400', async () => {
    const a = await srv.registerUser('rv');
    // Our decision (PROTOCOL is silent on names): a name is required, non-blank, a string;
    // `private` must be a boolean.
    for (const [body, what] of [
      [{}, 'missing name'],
      [{ name: '' }, 'empty name'],
      [{ name: '   ' }, 'blank name'],
      [{ name: 42 }, 'numeric name'],
      [{ name: 'ok', private: 'yes' }, 'private not a boolean'],
    ]) {
      expectError(await srv.api('POST', '/api/rooms', body, a.token), 400, 'bad_request', `${what}:`);
    }
  });

  it('GET /api/rooms: all public rooms + own private rooms, with joined flags', async () => {
    const a = await srv.registerUser('la');
    const b = await srv.registerUser('lb');
    const pub = await createRoom(srv, a);
    const privA = await createRoom(srv, a, { private: true });
    const privB = await createRoom(srv, b, { private: true });

    const la = await listRooms(a);
    const byIdA = new Map(la.map((r) => [r.id, r]));
    assert.equal(byIdA.get(pub.id)?.joined, true, 'A sees its public room, joined');
    assert.equal(byIdA.get(privA.id)?.joined, true, 'A sees its private room, joined');
    assert.equal(byIdA.get(privA.id)?.invite, privA.invite, 'invite is listed for members');
    assert.ok(!byIdA.has(privB.id), "A must not see B's private room");
    assert.equal(new Set(la.map((r) => r.id)).size, la.length, 'no duplicates');

    const lb = await listRooms(b);
    const byIdB = new Map(lb.map((r) => [r.id, r]));
    assert.equal(byIdB.get(pub.id)?.joined, false, "B sees A's public room, not joined");
    assert.ok(!byIdB.has(privA.id), "B must not see A's private room");
    assert.equal(byIdB.get(privB.id)?.joined, true);
    assert.equal(byIdB.get(pub.id)?.invite, undefined);
  });

  it('join a public room by id -> 200 room; joining twice is fine', async () => {
    const a = await srv.registerUser('ja');
    const b = await srv.registerUser('jb');
    const pub = await createRoom(srv, a);
    const before = expectStatus(await getRoom(b, pub.id), 200).json;
    assert.equal(before.joined, false);
    assert.equal(before.member_count, 1);

    const j1 = expectStatus(await srv.api('POST', `/api/rooms/${pub.id}/join`, undefined, b.token), 200).json;
    assertRoomShape(j1);
    assert.equal(j1.id, pub.id);
    assert.equal(j1.joined, true);
    assert.equal(j1.member_count, 2);
    const j2 = expectStatus(await srv.api('POST', `/api/rooms/${pub.id}/join`, undefined, b.token), 200, 'second join:').json;
    assert.equal(j2.joined, true);
    assert.equal(j2.member_count, 2, 'joining twice does not add a second membership');
    const ms = await members(a, pub.id);
    assert.deepEqual(ms.map((m) => m.id).sort((x, y) => x - y), [a.id, b.id].sort((x, y) => x - y));
  });

  it('a private room is 404 everywhere for non-members (REST and WebSocket), like a missing room', async () => {
    const a = await srv.registerUser('ha');
    const b = await srv.registerUser('hb');
    const priv = await createRoom(srv, a, { private: true });
    const missing = 9_000_000_000 + Math.floor(Math.random() * 1_000_000);
    for (const id of [priv.id, missing]) {
      const what = id === priv.id ? 'private room' : 'missing room';
      expectError(await getRoom(b, id), 404, 'not_found', `${what} GET:`);
      expectError(await srv.api('POST', `/api/rooms/${id}/join`, undefined, b.token), 404, 'not_found', `${what} join:`);
      expectError(await srv.api('GET', `/api/rooms/${id}/members`, undefined, b.token), 404, 'not_found', `${what} members:`);
      expectError(await srv.api('GET', `/api/messages?room_id=${id}`, undefined, b.token), 404, 'not_found', `${what} history:`);
      expectError(await srv.api('POST', '/api/messages', { room_id: id, content: 'hi' }, b.token), 404, 'not_found', `${what} send:`);
      expectError(await srv.api('POST', `/api/rooms/${id}/leave`, undefined, b.token), 404, 'not_found', `${what} leave:`);
      const up = await srv.tryUpgrade(`/ws/chat/${id}?token=${encodeURIComponent(b.token)}`);
      assert.equal(up.status, 404, `${what}: /ws/chat upgrade must be refused with 404, got ${up.status}`);
    }
    // join frame on /ws
    const ws = await srv.connectWs('/ws', b.token);
    await ws.next('hello');
    ws.send({ type: 'join', room_id: priv.id });
    const err = await ws.next('error');
    assert.equal(err.code, 'not_found', JSON.stringify(err));
    await ws.expectNoFrame((f) => f.type === 'joined', 300);
    // a later message frame to it is refused the same way
    ws.send({ type: 'message', room_id: priv.id, content: 'sneaky', client_id: 'sneak-1' });
    const err2 = await ws.next('error');
    assert.equal(err2.code, 'not_found', JSON.stringify(err2));
    await ws.close();
    // nothing was written
    const hist = expectStatus(await srv.api('GET', `/api/messages?room_id=${priv.id}`, undefined, a.token), 200).json;
    assert.equal(hist.messages.length, 0);
  });

  it('join a private room by invite -> 200 room; the invite is shown only to members', async () => {
    const a = await srv.registerUser('ia');
    const b = await srv.registerUser('ib');
    const priv = await createRoom(srv, a, { private: true });

    const j = expectStatus(await srv.api('POST', '/api/rooms/join', { invite: priv.invite }, b.token), 200).json;
    assertRoomShape(j);
    assert.equal(j.id, priv.id);
    assert.equal(j.joined, true);
    assert.equal(j.private, true);
    assert.equal(j.member_count, 2);
    assert.equal(j.invite, priv.invite, 'now a member, B sees the invite');
    const got = expectStatus(await getRoom(b, priv.id), 200).json;
    assert.equal(got.invite, priv.invite);
    assert.ok((await listRooms(b)).some((r) => r.id === priv.id), 'the private room is now listed for B');
    // joining again with the invite is fine (our decision: idempotent like join by id)
    expectStatus(await srv.api('POST', '/api/rooms/join', { invite: priv.invite }, b.token), 200, 'second invite join:');

    // B leaves: the room (and so its invite) disappears for B
    expectStatus(await srv.api('POST', `/api/rooms/${priv.id}/leave`, undefined, b.token), 204);
    expectError(await getRoom(b, priv.id), 404, 'not_found', 'after leaving:');
    assert.ok(!(await listRooms(b)).some((r) => r.id === priv.id));
  });

  it('bad invites', async () => {
    const b = await srv.registerUser('bi');
    // Our decision: an unknown invite code is 404 not_found (it names nothing); a missing one is 400.
    expectError(await srv.api('POST', '/api/rooms/join', { invite: 'no-such-invite-code' }, b.token), 404, 'not_found', 'unknown invite:');
    expectError(await srv.api('POST', '/api/rooms/join', {}, b.token), 400, 'bad_request', 'missing invite:');
  });

  it('leave -> 204: membership ends, counts drop, history becomes forbidden', async () => {
    const a = await srv.registerUser('lva');
    const b = await srv.registerUser('lvb');
    const pub = await createRoom(srv, a);
    await joinRoom(srv, b, pub.id);
    const res = await srv.api('POST', `/api/rooms/${pub.id}/leave`, undefined, b.token);
    expectStatus(res, 204);
    assert.equal(res.text, '');
    const r = expectStatus(await getRoom(b, pub.id), 200).json;
    assert.equal(r.joined, false);
    assert.equal(r.member_count, 1);
    assert.deepEqual((await members(a, pub.id)).map((m) => m.id), [a.id]);
    expectError(await srv.api('GET', `/api/messages?room_id=${pub.id}`, undefined, b.token), 403, 'forbidden', 'history after leave:');
    expectError(await srv.api('POST', '/api/messages', { room_id: pub.id, content: 'x' }, b.token), 403, 'forbidden', 'send after leave:');
  });

  it('members show online / away / offline; room online_count follows connections', async () => {
    const a = await srv.registerUser('ma');
    const b = await srv.registerUser('mb');
    const pub = await createRoom(srv, a);
    await joinRoom(srv, b, pub.id);
    const statusOf = async (id) => (await members(a, pub.id)).find((m) => m.id === id)?.status;
    assert.equal(await statusOf(a.id), 'offline');
    assert.equal(await statusOf(b.id), 'offline');
    assert.equal(expectStatus(await getRoom(a, pub.id), 200).json.online_count, 0);

    const wsB = await srv.connectWs('/ws', b.token);
    await wsB.next('hello');
    await waitFor(async () => (await statusOf(b.id)) === 'online', { what: 'B listed online' });
    assert.equal(await statusOf(a.id), 'offline');
    await waitFor(async () => expectStatus(await getRoom(a, pub.id), 200).json.online_count === 1, { what: 'online_count 1' });

    wsB.send({ type: 'status', status: 'away' });
    await waitFor(async () => (await statusOf(b.id)) === 'away', { what: 'B listed away' });

    await wsB.close();
    // server runs with --presence-grace-ms 200
    await waitFor(async () => (await statusOf(b.id)) === 'offline', { what: 'B listed offline after the grace period' });
    const bm = (await members(a, pub.id)).find((m) => m.id === b.id);
    assertTimestamp(bm.last_seen, 'last_seen of a user who was online');
    assert.ok(Math.abs(Date.parse(bm.last_seen) - Date.now()) < 60_000, 'last_seen is recent');
    await waitFor(async () => expectStatus(await getRoom(a, pub.id), 200).json.online_count === 0, { what: 'online_count 0' });
  });

  it('room last_seq and last_message follow the newest message', async () => {
    const a = await srv.registerUser('lm');
    const pub = await createRoom(srv, a);
    await postMessage(srv, a, pub.id, 'first');
    const m2 = await postMessage(srv, a, pub.id, 'second');
    const r = expectStatus(await getRoom(a, pub.id), 200).json;
    assertRoomShape(r);
    assert.equal(r.last_seq, 2);
    assert.ok(r.last_message, 'last_message is set');
    assertMessageShape(r.last_message, 'last_message');
    assert.equal(r.last_message.id, m2.id);
    assert.equal(r.last_message.seq, 2);
    assert.equal(r.last_message.content, 'second');
    const listed = (await listRooms(a)).find((x) => x.id === pub.id);
    assert.equal(listed.last_seq, 2);
    assert.equal(listed.last_message?.id, m2.id);
  });

  it('unknown routes and ids', async () => {
    const a = await srv.registerUser('ur');
    expectError(await srv.api('GET', '/api/rooms/987654321987', undefined, a.token), 404, 'not_found');
    expectError(await srv.api('POST', '/api/rooms/987654321987/join', undefined, a.token), 404, 'not_found');
  });
});
