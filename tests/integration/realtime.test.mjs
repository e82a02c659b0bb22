// Real-time behaviour over WebSocket: both endpoints, join/leave, presence, typing, membership
// events, app-level and protocol-level pings.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, expectStatus, assertMessageShape, assertTimestamp, createRoom, joinRoom, postMessage, isPosInt, twoMembers,
} from './lib/harness.mjs';

const GRACE_MS = 500; // --presence-grace-ms for the main server of this file

describe('realtime', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'presence-grace-ms': GRACE_MS }); });
  after(async () => { await srv?.dispose(); });

  async function anyWs(user) {
    const ws = await srv.connectWs('/ws', user.token);
    await ws.next('hello');
    return ws;
  }

  it('/ws/chat/{id}: hello then joined (members with status), in that order', async () => {
    const { a, b, room } = await twoMembers(srv);
    await postMessage(srv, a, room.id, 'before anyone connected');
    const wsA = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    const joinedA = await wsA.next('joined');
    const hello = wsA.frames[0];
    assert.equal(hello.type, 'hello', 'first frame is hello');
    assert.deepEqual(hello.user, { id: a.id, username: a.username });
    assert.equal(hello.heartbeat_s, 30, 'default heartbeat');
    assert.equal(wsA.frames[1], joinedA, 'second frame is joined');
    assert.equal(joinedA.room_id, room.id);
    assert.equal(joinedA.last_seq, 1);
    assert.equal(joinedA.truncated, false);
    assert.ok(Array.isArray(joinedA.members));

    const wsB = await srv.connectWs(`/ws/chat/${room.id}`, b.token);
    const joinedB = await wsB.next('joined');
    assert.equal(wsB.frames[0].type, 'hello');
    assert.equal(wsB.frames[1], joinedB);
    for (const m of joinedB.members) {
      assert.ok(isPosInt(m.id) && typeof m.username === 'string', JSON.stringify(m));
      assert.ok(['online', 'away', 'offline'].includes(m.status), JSON.stringify(m));
    }
    const mA = joinedB.members.find((m) => m.id === a.id);
    assert.ok(mA, `A (connected) is in B's members list: ${JSON.stringify(joinedB.members)}`);
    assert.equal(mA.username, a.username);
    assert.equal(mA.status, 'online');
    assert.equal(joinedB.members.find((m) => m.id === b.id)?.status, 'online', 'B itself is online');
    // a since_seq-less connect replays nothing
    await wsA.close();
    assert.equal(wsB.frames.filter((f) => f.type === 'message').length, 0, 'no replay without since_seq');
    await wsB.close();
  });

  it('two users, two rooms, chatting both ways on /ws/chat/{id} and on /ws with join frames', async () => {
    const a = await srv.registerUser('a2');
    const b = await srv.registerUser('b2');
    const r1 = await createRoom(srv, a);
    const r2 = await createRoom(srv, b);
    await joinRoom(srv, b, r1.id);
    await joinRoom(srv, a, r2.id);

    // A: one room-bound connection per room. B: one multiplexed connection.
    const a1 = await srv.chatWs(r1, a);
    const a2 = await srv.chatWs(r2, a);
    const bx = await anyWs(b);
    bx.send({ type: 'join', room_id: r1.id });
    const j1 = await bx.next((f) => f.type === 'joined' && f.room_id === r1.id);
    assert.ok(Array.isArray(j1.members));
    bx.send({ type: 'join', room_id: r2.id });
    await bx.next((f) => f.type === 'joined' && f.room_id === r2.id);

    // A -> B in r1
    const ackA = await a1.sendMessage(r1.id, 'hi B in r1');
    const atB = await bx.next((f) => f.type === 'message' && f.id === ackA.id);
    assertMessageShape(atB);
    assert.equal(atB.room_id, r1.id);
    assert.equal(atB.sender, a.username);
    // B -> A in r2
    const ackB = await bx.sendMessage(r2.id, 'hi A in r2');
    const atA = await a2.next((f) => f.type === 'message' && f.id === ackB.id);
    assert.equal(atA.room_id, r2.id);
    assert.equal(atA.content, 'hi A in r2');
    assert.equal(atA.sender_id, b.id);
    // B -> A in r1 (marker for the room-bound check below)
    const ackB1 = await bx.sendMessage(r1.id, 'hi A in r1');
    await a1.next((f) => f.type === 'message' && f.id === ackB1.id);
    // A -> B in r2
    const ackA2 = await a2.sendMessage(r2.id, 'hi B in r2');
    await bx.next((f) => f.type === 'message' && f.id === ackA2.id);
    // A's room-bound connections only carry their own room
    assert.ok(a1.frames.filter((f) => f.type === 'message').every((f) => f.room_id === r1.id), a1.dump());
    assert.ok(a2.frames.filter((f) => f.type === 'message').every((f) => f.room_id === r2.id), a2.dump());
    for (const ws of [a1, a2, bx]) await ws.close();
  });

  it('leave frame stops delivery for that room only; membership stays', async () => {
    const a = await srv.registerUser('la');
    const b = await srv.registerUser('lb');
    const r1 = await createRoom(srv, a);
    const r2 = await createRoom(srv, a);
    await joinRoom(srv, b, r1.id);
    await joinRoom(srv, b, r2.id);
    const bx = await anyWs(b);
    for (const r of [r1, r2]) {
      bx.send({ type: 'join', room_id: r.id });
      await bx.next((f) => f.type === 'joined' && f.room_id === r.id);
    }
    const first = await postMessage(srv, a, r1.id, 'r1 before leave');
    await bx.next((f) => f.type === 'message' && f.id === first.id);

    bx.send({ type: 'leave', room_id: r1.id });
    // no reply is specified for leave; a ping round-trip orders it before the next sends
    bx.send({ type: 'ping' });
    await bx.next('pong');
    const hidden = await postMessage(srv, a, r1.id, 'r1 after leave');
    const shown = await postMessage(srv, a, r2.id, 'r2 after leave');
    await bx.next((f) => f.type === 'message' && f.id === shown.id);
    await bx.expectNoFrame((f) => f.type === 'message' && f.room_id === r1.id, 500);
    assert.ok(!bx.frames.some((f) => f.id === hidden.id));
    // membership stays
    const room = expectStatus(await srv.api('GET', `/api/rooms/${r1.id}`, undefined, b.token), 200).json;
    assert.equal(room.joined, true);
    // re-join resumes delivery
    bx.send({ type: 'join', room_id: r1.id });
    await bx.next((f) => f.type === 'joined' && f.room_id === r1.id);
    const again = await postMessage(srv, a, r1.id, 'r1 after rejoin');
    await bx.next((f) => f.type === 'message' && f.id === again.id);
    await bx.close();
  });

  // A watches through a connection subscribed to the shared room (presence is delivered to
  // connections of users who share a room with B); B's connection is a bare /ws: any open
  // connection makes a user online.
  it('presence: online on connect, offline only after the grace period, with last_seen', async () => {
    const { a, b, room } = await twoMembers(srv);
    const wsA = await srv.chatWs(room, a);
    const isB = (status) => (f) => f.type === 'presence' && f.user_id === b.id && f.status === status;

    const wsB = await anyWs(b);
    const on = await wsA.next(isB('online'));
    assert.equal(on.username, b.username);

    const t0 = Date.now();
    await wsB.close();
    const off = await wsA.next(isB('offline'), 5000);
    const elapsed = off.__at - t0;
    assert.ok(elapsed >= GRACE_MS - 30, `offline came ${elapsed} ms after the close, before the ${GRACE_MS} ms grace`);
    assert.equal(off.username, b.username);
    assertTimestamp(off.last_seen, 'presence.last_seen');
    await wsA.close();
  });

  it('presence: a reconnect within the grace period does not flap offline', async () => {
    const { a, b, room } = await twoMembers(srv);
    const wsA = await srv.chatWs(room, a);
    const isB = (status) => (f) => f.type === 'presence' && f.user_id === b.id && f.status === status;
    let wsB = await anyWs(b);
    await wsA.next(isB('online'));

    const t0 = Date.now();
    await wsB.close(); // resolves once the server has answered the close: B has no connection now
    wsB = await anyWs(b);
    const gap = Date.now() - t0;
    assert.ok(gap < GRACE_MS / 2, `the reconnect itself took ${gap} ms; too slow to test a ${GRACE_MS} ms grace`);
    await wsA.expectNoFrame(isB('offline'), 1500); // 3x the grace period
    // ...and the real disconnect still reports offline
    await wsB.close();
    await wsA.next(isB('offline'), 5000);
    await wsA.close();
  });

  it('status frame away -> presence away (and back online)', async () => {
    const { a, b, room } = await twoMembers(srv);
    const wsA = await srv.chatWs(room, a);
    const wsB = await anyWs(b);
    await wsA.next((f) => f.type === 'presence' && f.user_id === b.id && f.status === 'online');
    wsB.send({ type: 'status', status: 'away' });
    const away = await wsA.next((f) => f.type === 'presence' && f.user_id === b.id && f.status === 'away');
    assert.equal(away.username, b.username);
    wsB.send({ type: 'status', status: 'online' });
    await wsA.next((f) => f.type === 'presence' && f.user_id === b.id && f.status === 'online');
    // an invalid status is an error frame
    wsB.send({ type: 'status', status: 'sleeping' });
    assert.equal((await wsB.next('error')).code, 'bad_request');
    await wsA.close();
    await wsB.close();
  });

  it('typing_start / typing_stop are relayed to others, not back to the sender', async () => {
    const { a, b, room } = await twoMembers(srv);
    const wsA = await srv.chatWs(room, a);
    const wsB = await srv.chatWs(room, b);
    wsB.send({ type: 'typing_start', room_id: room.id });
    const start = await wsA.next('typing_start');
    assert.equal(start.room_id, room.id);
    assert.equal(start.sender, b.username);
    assert.equal(start.sender_id, b.id);
    wsB.send({ type: 'typing_stop', room_id: room.id });
    const stop = await wsA.next('typing_stop');
    assert.equal(stop.room_id, room.id);
    assert.equal(stop.sender_id, b.id);
    assert.equal(stop.sender, b.username);
    await wsB.expectNoFrame((f) => f.type === 'typing_start' || f.type === 'typing_stop', 500);
    await wsA.close();
    await wsB.close();
  });

  it('typing is cleared when the typist sends a message', async () => {
    const { a, b, room } = await twoMembers(srv);
    const wsA = await srv.chatWs(room, a);
    const wsB = await srv.chatWs(room, b);
    wsB.send({ type: 'typing_start', room_id: room.id });
    await wsA.next('typing_start');
    const ack = await wsB.sendMessage(room.id, 'done typing');
    await wsA.next((f) => f.type === 'message' && f.id === ack.id);
    // default TTL is 6 s: a stop within 2 s is the message clearing it
    const stop = await wsA.next('typing_stop', 2000);
    assert.equal(stop.sender_id, b.id);
    await wsA.close();
    await wsB.close();
  });

  it('typing is cleared when the typist disconnects', async () => {
    const { a, b, room } = await twoMembers(srv);
    const wsA = await srv.chatWs(room, a);
    const wsB = await srv.chatWs(room, b);
    wsB.send({ type: 'typing_start', room_id: room.id });
    await wsA.next('typing_start');
    await wsB.close();
    const stop = await wsA.next('typing_stop', 2000); // well before the 6 s TTL
    assert.equal(stop.sender_id, b.id);
    assert.equal(stop.room_id, room.id);
    await wsA.close();
  });

  it('member_joined / member_left events (REST join/leave and /ws/chat auto-join)', async () => {
    const a = await srv.registerUser('mj');
    const c = await srv.registerUser('mc');
    const d = await srv.registerUser('md');
    const room = await createRoom(srv, a);
    const wsA = await srv.chatWs(room, a);

    await joinRoom(srv, c, room.id);
    const j = await wsA.next((f) => f.type === 'member_joined' && f.user?.id === c.id);
    assert.equal(j.room_id, room.id);
    assert.deepEqual(j.user, { id: c.id, username: c.username });
    assert.equal(j.status, 'offline', 'joined over REST without a connection');

    expectStatus(await srv.api('POST', `/api/rooms/${room.id}/leave`, undefined, c.token), 204);
    const l = await wsA.next((f) => f.type === 'member_left' && f.user?.id === c.id);
    assert.equal(l.room_id, room.id);
    assert.deepEqual(l.user, { id: c.id, username: c.username });

    // connecting to /ws/chat/{id} of a public room joins it
    const wsD = await srv.connectWs(`/ws/chat/${room.id}`, d.token);
    await wsD.next('joined');
    const jd = await wsA.next((f) => f.type === 'member_joined' && f.user?.id === d.id);
    assert.equal(jd.room_id, room.id);
    assert.equal(jd.status, 'online', 'joined by connecting');
    const r = expectStatus(await srv.api('GET', `/api/rooms/${room.id}`, undefined, d.token), 200).json;
    assert.equal(r.joined, true);
    assert.equal(r.member_count, 2);
    await wsD.close();
    await wsA.close();
  });

  it('app-level ping -> pong; the Authorization header works for the upgrade', async () => {
    const a = await srv.registerUser('pp');
    const ws = await srv.connectWs('/ws', null, { headers: { Authorization: `Bearer ${a.token}` } });
    const hello = await ws.next('hello');
    assert.equal(hello.user.id, a.id);
    ws.send({ type: 'ping' });
    await ws.next('pong');
    ws.send({ type: 'ping' });
    await ws.next('pong');
    await ws.close();
  });
});

describe('realtime with --heartbeat-s 1 --typing-ttl-ms 500', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'heartbeat-s': 1, 'typing-ttl-ms': 500 }); });
  after(async () => { await srv?.dispose(); });

  it('typing_start expires by itself: typing_stop arrives after the TTL', async () => {
    const a = await srv.registerUser('ta');
    const b = await srv.registerUser('tb');
    const room = await createRoom(srv, a);
    await joinRoom(srv, b, room.id);
    const wsA = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    await wsA.next('joined');
    const wsB = await srv.connectWs(`/ws/chat/${room.id}`, b.token);
    await wsB.next('joined');
    wsB.send({ type: 'typing_start', room_id: room.id });
    const start = await wsA.next('typing_start');
    const stop = await wsA.next('typing_stop', 3000);
    assert.equal(stop.sender_id, b.id);
    assert.equal(stop.room_id, room.id);
    const after = stop.__at - start.__at;
    assert.ok(after >= 400, `typing_stop came ${after} ms after typing_start, before the 500 ms TTL`);
    await wsA.close();
    await wsB.close();
  });

  it('the server sends protocol pings every heartbeat_s; hello announces heartbeat_s', async () => {
    const a = await srv.registerUser('hb');
    const ws = await srv.connectWs('/ws', a.token);
    const hello = await ws.next('hello');
    assert.equal(hello.heartbeat_s, 1);
    await ws.nextPing(3000);
    await ws.nextPing(3000);
    assert.ok(ws.pings >= 2);
    await ws.close();
  });

  it('a client that does not answer pings is dropped within a few heartbeats; others stay', async () => {
    const a = await srv.registerUser('dead');
    const b = await srv.registerUser('alive');
    const mute = await srv.connectWs('/ws', a.token, { autoPong: false });
    const alive = await srv.connectWs('/ws', b.token);
    await mute.next('hello');
    await alive.next('hello');
    const t0 = Date.now();
    await mute.waitClosed(10_000);
    const took = Date.now() - t0;
    assert.ok(mute.pings >= 1, 'the server pinged before dropping');
    assert.ok(took >= 900, `dropped after ${took} ms: that is before it could miss two 1 s heartbeats`);
    assert.equal(alive.closeInfo, null, 'a client answering pings is not dropped');
    alive.send({ type: 'ping' });
    await alive.next('pong');
    await alive.close();
  });
});
