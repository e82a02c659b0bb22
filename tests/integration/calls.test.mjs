// WebRTC call signalling (call_* frames): relayed to `to` or to the room with `from` set by the
// server, membership checked, a callee who is offline refused, rate-limited, never stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, createRoom, joinRoom, fullHistory, stripMeta } from './lib/harness.mjs';

describe('call signalling', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'call-rate-burst': 30, 'call-rate-per-s': 0.01 }); });
  after(async () => { await srv?.dispose(); });

  async function connected(user, room) {
    const ws = await srv.connectWs('/ws', user.token);
    await ws.next('hello');
    if (room) {
      ws.send({ type: 'join', room_id: room.id });
      await ws.next('joined');
    }
    return ws;
  }

  /** Alice, bob and carol in one room, each with a connection that follows it. */
  async function threeConnectedMembers(prefix) {
    const [alice, bob, carol] = [await srv.registerUser(`${prefix}a`), await srv.registerUser(`${prefix}b`), await srv.registerUser(`${prefix}c`)];
    const room = await createRoom(srv, alice);
    await joinRoom(srv, bob, room.id);
    await joinRoom(srv, carol, room.id);
    const [wsA, wsB, wsC] = [await connected(alice, room), await connected(bob, room), await connected(carol, room)];
    return { alice, bob, room, wsA, wsB, wsC };
  }

  /** Frames `ws` received before its own copy of a message it sends now (bus order is kept per shard). */
  async function framesUntilOwnMessage(ws, room, text) {
    ws.send({ type: 'message', room_id: room.id, content: text, client_id: text });
    await ws.next((f) => f.type === 'message' && f.content === text);
    return ws.drain();
  }

  it('relays an invite, the answer and ICE to the named member only, with `from` from the server', async () => {
    const { alice, bob, room, wsA, wsB, wsC } = await threeConnectedMembers('c');
    try {
      wsA.send({ type: 'call_invite', room_id: room.id, call_id: 'call-1', to: bob.id, video: true, from: { id: 999, username: 'spoof' } });
      const invite = await wsB.next('call_invite');
      assert.deepEqual(stripMeta(invite), { type: 'call_invite', room_id: room.id, call_id: 'call-1', to: bob.id, video: true, from: { id: alice.id, username: alice.username } });

      wsB.send({ type: 'call_accept', room_id: room.id, call_id: 'call-1', to: alice.id });
      assert.equal((await wsA.next('call_accept')).from.id, bob.id);
      const sdp = 'v=0\r\no=- 46117317 2 IN IP4 127.0.0.1\r\ns=-\r\n';
      wsA.send({ type: 'call_offer', room_id: room.id, call_id: 'call-1', to: bob.id, sdp });
      assert.equal((await wsB.next('call_offer')).sdp, sdp);
      const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
      wsB.send({ type: 'call_ice', room_id: room.id, call_id: 'call-1', to: alice.id, candidate });
      assert.deepEqual((await wsA.next('call_ice')).candidate, candidate);

      const carolSaw = await framesUntilOwnMessage(wsC, room, 'carol-check');
      assert.deepEqual(carolSaw.filter((f) => f.type.startsWith('call_')), [], 'frames with `to` reach only that member');
      const aliceSaw = await framesUntilOwnMessage(wsA, room, 'alice-check');
      assert.ok(!aliceSaw.some((f) => f.type === 'call_invite' || f.type === 'call_offer'), 'the caller does not get its own frames back');
    } finally {
      for (const ws of [wsA, wsB, wsC]) ws.terminate();
    }
  });

  it('without `to`, relays to every other member connected to the room; nothing is stored', async () => {
    const { alice, room, wsA, wsB, wsC } = await threeConnectedMembers('r');
    try {
      wsA.send({ type: 'call_end', room_id: room.id, call_id: 'room-call' });
      for (const ws of [wsB, wsC]) assert.equal((await ws.next('call_end')).from.id, alice.id);
      const aliceSaw = await framesUntilOwnMessage(wsA, room, 'after-end');
      assert.ok(!aliceSaw.some((f) => f.type === 'call_end'));
      const history = await fullHistory(srv, alice, room.id);
      assert.deepEqual(history.map((m) => m.content), ['after-end'], 'signalling is never stored');
    } finally {
      for (const ws of [wsA, wsB, wsC]) ws.terminate();
    }
  });

  it('refuses non-members, a callee who is offline or not in the room, and bad fields', async () => {
    const [alice, bob, outsider, offline] = [await srv.registerUser('xa'), await srv.registerUser('xb'), await srv.registerUser('xo'), await srv.registerUser('xf')];
    const room = await createRoom(srv, alice);
    await joinRoom(srv, bob, room.id);
    await joinRoom(srv, offline, room.id);
    const [wsA, wsB, wsOut] = [await connected(alice, room), await connected(bob, room), await connected(outsider)];
    try {
      const refused = async (ws, frame, code, message) => {
        ws.send(frame);
        const error = await ws.next('error');
        assert.equal(error.ref, frame.type);
        assert.equal(error.code, code, JSON.stringify(error));
        if (message) assert.match(error.message, message);
      };
      await refused(wsOut, { type: 'call_invite', room_id: room.id, call_id: 'c', to: alice.id }, 'forbidden');
      await refused(wsA, { type: 'call_invite', room_id: room.id, call_id: 'c', to: offline.id }, 'not_found', /not online/);
      await refused(wsA, { type: 'call_invite', room_id: room.id, call_id: 'c', to: outsider.id }, 'not_found', /not a member/);
      await refused(wsA, { type: 'call_invite', room_id: room.id, call_id: 'c', to: alice.id }, 'bad_request');
      await refused(wsA, { type: 'call_invite', room_id: room.id, to: bob.id }, 'bad_request', /call_id/);
      await refused(wsA, { type: 'call_invite', room_id: room.id, call_id: 'x'.repeat(129), to: bob.id }, 'bad_request', /call_id/);
      await refused(wsA, { type: 'call_offer', room_id: room.id, call_id: 'c', to: bob.id, sdp: 42 }, 'bad_request', /sdp/);
      await refused(wsA, { type: 'call_offer', room_id: room.id, call_id: 'c', to: 'bob' }, 'bad_request', /"to"/);
      const bobSaw = await framesUntilOwnMessage(wsB, room, 'bob-check');
      assert.deepEqual(bobSaw.filter((f) => f.type.startsWith('call_')), [], 'no refused frame was relayed');
    } finally {
      for (const ws of [wsA, wsB, wsOut]) ws.terminate();
    }
  });

  it('caps signalling frames per user (--call-rate-burst)', async () => {
    const [alice, bob] = [await srv.registerUser('la'), await srv.registerUser('lb')];
    const room = await createRoom(srv, alice);
    await joinRoom(srv, bob, room.id);
    const [wsA, wsB] = [await connected(alice, room), await connected(bob, room)];
    try {
      for (let i = 0; i < 31; i++) wsA.send({ type: 'call_ice', room_id: room.id, call_id: 'c', to: bob.id, candidate: `c${i}` });
      const error = await wsA.next('error');
      assert.equal(error.code, 'rate_limited');
      assert.equal(error.ref, 'call_ice');
      const bobSaw = await framesUntilOwnMessage(wsB, room, 'count-check');
      assert.equal(bobSaw.filter((f) => f.type === 'call_ice').length, 30);
    } finally {
      wsA.terminate();
      wsB.terminate();
    }
  });
});
