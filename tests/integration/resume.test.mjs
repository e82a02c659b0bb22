// Resume and durability: since_seq replay (both endpoints), replay limit, kill -9 after acks,
// SIGTERM shutdown.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  startServer, expectStatus, assertMessageShape, createRoom, postMessage, fullHistory, twoMembers,
} from './lib/harness.mjs';

const range = (from, to) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** Collects `message` frames of `roomId` until one with id `untilId` (inclusive); returns their seqs. */
async function messagesUntil(ws, roomId, untilId) {
  const got = [];
  for (;;) {
    const f = await ws.next((x) => x.type === 'message' && x.room_id === roomId);
    assertMessageShape(f);
    got.push(f);
    if (f.id === untilId) return got;
  }
}

describe('resume with since_seq', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'replay-limit': 10, 'msg-rate-burst': 10_000, 'msg-rate-per-s': 10_000 }); });
  after(async () => { await srv?.dispose(); });

  async function setup(n) {
    const { a, b, room } = await twoMembers(srv, 'ra', 'rb');
    for (let i = 1; i <= n; i++) await postMessage(srv, a, room.id, `m${i}`);
    return { a, b, room };
  }

  it('/ws/chat/{id}?since_seq=N replays exactly the missed messages, in order, then goes live', async () => {
    const { a, b, room } = await setup(3);
    // B was connected, saw 1..3, then dropped
    let ws = await srv.connectWs(`/ws/chat/${room.id}`, b.token);
    await ws.next('joined');
    await ws.close();
    for (let i = 4; i <= 8; i++) await postMessage(srv, a, room.id, `m${i}`);

    ws = await srv.connectWs(`/ws/chat/${room.id}?since_seq=3`, b.token);
    const joined = await ws.next('joined');
    assert.equal(ws.frames[0].type, 'hello');
    assert.equal(ws.frames[1], joined, 'hello, joined, then the replay');
    assert.equal(joined.last_seq, 8);
    assert.equal(joined.truncated, false);
    const marker = await postMessage(srv, a, room.id, 'live after replay');
    const got = await messagesUntil(ws, room.id, marker.id);
    assert.deepEqual(got.map((m) => m.seq), range(4, 9), 'missed 4..8 then live 9; nothing older, no duplicates');
    assert.deepEqual(got.slice(0, 5).map((m) => m.content), ['m4', 'm5', 'm6', 'm7', 'm8']);
    const firstMsg = ws.frames.findIndex((f) => f.type === 'message');
    assert.ok(firstMsg > ws.frames.indexOf(joined), 'replay comes after joined');
    await ws.close();
  });

  it('join frame with since_seq replays the missed messages on /ws', async () => {
    const { a, b, room } = await setup(6);
    const ws = await srv.connectWs('/ws', b.token);
    await ws.next('hello');
    ws.send({ type: 'join', room_id: room.id, since_seq: 2 });
    const joined = await ws.next((f) => f.type === 'joined' && f.room_id === room.id);
    assert.equal(joined.last_seq, 6);
    assert.equal(joined.truncated, false);
    const marker = await postMessage(srv, a, room.id, 'live');
    const got = await messagesUntil(ws, room.id, marker.id);
    assert.deepEqual(got.map((m) => m.seq), range(3, 7));
    // since_seq equal to last_seq: nothing to replay
    const ws2 = await srv.connectWs('/ws', b.token);
    await ws2.next('hello');
    ws2.send({ type: 'join', room_id: room.id, since_seq: 7 });
    await ws2.next((f) => f.type === 'joined' && f.room_id === room.id);
    const marker2 = await postMessage(srv, a, room.id, 'live 2');
    assert.deepEqual((await messagesUntil(ws2, room.id, marker2.id)).map((m) => m.seq), [8]);
    await ws.close();
    await ws2.close();
  });

  it('since_seq=0 replays everything (within the limit)', async () => {
    const { b, room } = await setup(4);
    const ws = await srv.connectWs(`/ws/chat/${room.id}?since_seq=0`, b.token);
    const joined = await ws.next('joined');
    assert.equal(joined.truncated, false);
    const got = [];
    while (got.length < 4) got.push((await ws.next('message')).seq);
    assert.deepEqual(got, [1, 2, 3, 4]);
    await ws.close();
  });

  it('missing more than --replay-limit (10): joined.truncated true; the replay is gapless and ascending', async () => {
    const { a, b, room } = await setup(25);
    const ws = await srv.connectWs(`/ws/chat/${room.id}?since_seq=2`, b.token); // 23 missed > 10
    const joined = await ws.next('joined');
    assert.equal(joined.truncated, true, JSON.stringify(joined));
    assert.equal(joined.last_seq, 25);
    const marker = await postMessage(srv, a, room.id, 'live');
    const got = (await messagesUntil(ws, room.id, marker.id)).map((m) => m.seq);
    const replayed = got.slice(0, -1);
    assert.ok(replayed.length <= 10, `replayed ${replayed.length} > limit 10: ${replayed}`);
    for (let i = 1; i < got.length; i++) assert.equal(got[i], got[i - 1] + 1, `gapless ascending: ${got}`);
    assert.ok(replayed.every((s) => s > 2), 'nothing at or before since_seq');
    // Our reading: with no gaps on a connection (PROTOCOL guarantee), the replay must end at
    // last_seq, i.e. it is the NEWEST missed messages; older ones are paged through history.
    assert.equal(got[got.length - 1], 26);
    await ws.close();
  });

  it('missing exactly --replay-limit (10) is not truncated', async () => {
    const { b, room } = await setup(15);
    const ws = await srv.connectWs(`/ws/chat/${room.id}?since_seq=5`, b.token);
    const joined = await ws.next('joined');
    assert.equal(joined.truncated, false, '"more than the replay limit" is needed for truncation');
    const got = [];
    while (got.length < 10) got.push((await ws.next('message')).seq);
    assert.deepEqual(got, range(6, 15));
    await ws.close();
  });
});

describe('durability', { timeout: 90_000 }, () => {
  let srv;
  const started = [];
  const fresh = async (opts) => { srv = await startServer(opts); started.push(srv); return srv; };
  after(async () => { for (const s of started) await s.dispose(); });

  it('kill -9 right after the acks: every acknowledged message survives, seqs gapless', async () => {
    await fresh({ 'msg-rate-burst': 100_000, 'msg-rate-per-s': 100_000 });
    const { a, b, room } = await twoMembers(srv, 'ka', 'kb');
    const wsA = await srv.chatWs(room, a);
    const wsB = await srv.chatWs(room, b);

    const PER = 100;
    const sends = [];
    for (let i = 0; i < PER; i++) {
      // pipelined: nothing waits for an ack before the next send
      sends.push(wsA.sendMessage(room.id, `A${i}`, {}, 20_000));
      sends.push(wsB.sendMessage(room.id, `B${i}`, {}, 20_000));
    }
    const acks = await Promise.all(sends);
    const exit = await srv.kill9();
    assert.equal(exit.signal, 'SIGKILL');
    assert.deepEqual(acks.map((x) => x.seq).sort((x, y) => x - y), range(1, 2 * PER), 'acked seqs are 1..N');

    await srv.restart();
    // log in again (our decision: do not rely on access tokens surviving a restart)
    const login = expectStatus(await srv.api('POST', '/api/auth/login', { username: a.username, password: a.password }), 200).json;
    const hist = await fullHistory(srv, { token: login.access_token }, room.id);
    assert.deepEqual(hist.map((m) => m.seq), range(1, 2 * PER), 'history seqs 1..N gapless');
    const byId = new Map(hist.map((m) => [m.id, m]));
    for (const ack of acks) {
      const m = byId.get(ack.id);
      assert.ok(m, `acked message ${ack.id} (seq ${ack.seq}) lost after kill -9`);
      assert.equal(m.seq, ack.seq);
      assert.equal(m.client_id, ack.client_id);
    }
    // refresh tokens are stored server-side, so they survive a crash too (our decision)
    expectStatus(await srv.api('POST', '/api/auth/refresh', { refresh_token: b.refresh }), 200, 'refresh after restart:');
    // and the sequence continues
    const next = await postMessage(srv, { token: login.access_token }, room.id, 'after restart');
    assert.equal(next.seq, 2 * PER + 1);
    await srv.dispose();
  });

  it('SIGTERM: connections close with 1001, acked messages are kept, exit code 0', async () => {
    await fresh({ 'msg-rate-burst': 100_000, 'msg-rate-per-s': 100_000 });
    const a = await srv.registerUser('ta');
    const room = await createRoom(srv, a);
    const ws1 = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    const ws2 = await srv.connectWs('/ws', a.token);
    await ws1.next('joined');
    await ws2.next('hello');

    // messages in flight when the signal arrives: whatever was acked must be durable
    const acks = [];
    for (let i = 0; i < 50; i++) {
      const client_id = randomUUID();
      ws1.send({ type: 'message', room_id: room.id, content: `t${i}`, client_id });
    }
    acks.push(await ws1.next('ack'));
    const exitP = srv.stop('SIGTERM');
    const [c1, c2] = await Promise.all([ws1.waitClosed(10_000), ws2.waitClosed(10_000)]);
    assert.equal(c1.code, 1001, 'room-bound connection closed with 1001 Going Away');
    assert.equal(c2.code, 1001, 'multiplexed connection closed with 1001 Going Away');
    const exit = await exitP;
    assert.equal(exit.signal, null, `exited by itself, not by a signal: ${JSON.stringify(exit)}\n${srv.logs().slice(-3000)}`);
    assert.equal(exit.code, 0, `exit code 0\n${srv.logs().slice(-3000)}`);
    acks.push(...ws1.frames.filter((f) => f.type === 'ack' && !acks.includes(f)));

    await srv.restart();
    const login = expectStatus(await srv.api('POST', '/api/auth/login', { username: a.username, password: a.password }), 200).json;
    const hist = await fullHistory(srv, { token: login.access_token }, room.id);
    const seqs = hist.map((m) => m.seq);
    assert.deepEqual(seqs, range(1, seqs.length), 'gapless after a clean shutdown');
    const ids = new Set(hist.map((m) => m.id));
    for (const ack of acks) assert.ok(ids.has(ack.id), `acked message seq ${ack.seq} lost across SIGTERM`);
  });
});

describe('slow consumer', { timeout: 60_000 }, () => {
  let srv;
  before(async () => {
    // the queue (1100 frames) holds a full replay (limit 1000) plus the handshake frames
    srv = await startServer({
      'outbound-queue-frames': 1100, 'replay-limit': 1000, 'msg-rate-burst': 1_000_000, 'msg-rate-per-s': 1_000_000,
    });
  });
  after(async () => { await srv?.dispose(); });

  it('a consumer too slow for its queue is closed with 1013, then resumes (replay + history) without gaps', async () => {
    const { a, b, room } = await twoMembers(srv, 'fast', 'slow');
    const wsA = await srv.chatWs(room, a);
    let wsB = await srv.chatWs(room, b);

    // B stops reading: the kernel buffers fill (a few MB on loopback), then the server's bounded
    // queue for B. 20 MB of messages is far more than both can absorb.
    wsB.ws._socket.pause();
    const N = 5000;
    const content = 'z'.repeat(4000);
    for (let i = 0; i < N; i += 8) {
      // a window of 8 in flight keeps the (reading) sender well within its own queue
      const batch = [];
      for (let j = i; j < Math.min(N, i + 8); j++) batch.push(wsA.sendMessage(room.id, content, {}, 20_000));
      await Promise.all(batch);
    }
    wsB.ws._socket.resume();
    const closed = await wsB.waitClosed(15_000);
    assert.equal(closed.code, 1013, `slow consumer closed with 1013 Try Again Later, got ${closed.code}`);
    const got = wsB.frames.filter((f) => f.type === 'message').map((f) => f.seq);
    assert.deepEqual(got, range(1, got.length), 'what B received before the close is gapless from 1');
    assert.ok(got.length < N - 1000, `B really fell behind (received ${got.length} of ${N})`);
    await wsA.close();

    // Resume from the last seq seen. More than the replay limit was missed: truncated, and the
    // client pages the rest through history.
    const last = got.length ? got[got.length - 1] : 0;
    wsB = await srv.connectWs(`/ws/chat/${room.id}?since_seq=${last}`, b.token);
    const joined = await wsB.next('joined');
    assert.equal(joined.truncated, true);
    assert.equal(joined.last_seq, N);
    const replayed = [];
    while (!replayed.length || replayed[replayed.length - 1] < N) replayed.push((await wsB.next('message', 10_000)).seq);
    assert.ok(replayed.length <= 1000, `replay within the limit (${replayed.length})`);
    assert.deepEqual(replayed, range(replayed[0], N), 'replay is gapless and ends at last_seq');
    const paged = [];
    let since = last;
    while (since < replayed[0] - 1) {
      const res = expectStatus(await srv.api('GET', `/api/messages?room_id=${room.id}&since_seq=${since}&limit=200`, undefined, b.token), 200);
      const seqs = res.json.messages.map((m) => m.seq).filter((q) => q < replayed[0]);
      assert.ok(seqs.length > 0, 'history has the gap');
      paged.push(...seqs);
      since = seqs[seqs.length - 1];
    }
    assert.deepEqual([...got, ...paged, ...replayed], range(1, N), 'received + paged + replayed = everything, once');
    await wsB.close();
  });
});
