// Messages: send (REST + WS), live delivery, acks, seq, idempotency, history paging, content rules,
// edit/delete, read receipts, and the compatibility API.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  startServer, expectStatus, expectError, assertMessageShape, assertTimestamp, createRoom, joinRoom,
  postMessage, messageOf, stripMeta, fullHistory, isPosInt,
} from './lib/harness.mjs';

describe('messages', { timeout: 60_000 }, () => {
  let srv;
  // generous rate limits: these tests send bursts on purpose
  before(async () => { srv = await startServer({ 'msg-rate-burst': 10_000, 'msg-rate-per-s': 10_000 }); });
  after(async () => { await srv?.dispose(); });

  /** A and B, a public room of A's that B joined, and B listening on /ws/chat/{room}. */
  async function pair() {
    const a = await srv.registerUser('a');
    const b = await srv.registerUser('b');
    const room = await createRoom(srv, a);
    await joinRoom(srv, b, room.id);
    const wsB = await srv.connectWs(`/ws/chat/${room.id}`, b.token);
    await wsB.next('hello');
    await wsB.next('joined');
    return { a, b, room, wsB };
  }
  const history = async (user, query) => {
    const res = await srv.api('GET', `/api/messages?${query}`, undefined, user.token);
    return res;
  };
  const seqs = (ms) => ms.map((m) => m.seq);
  const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('POST /api/messages -> 201 message object, delivered live (flat fields) to other members', async () => {
    const { a, room, wsB } = await pair();
    const t0 = Date.now();
    const res = expectStatus(await srv.api('POST', '/api/messages', { room_id: room.id, content: 'hello there' }, a.token), 201);
    const m = res.json;
    assertMessageShape(m);
    assert.equal(m.seq, 1);
    assert.equal(m.room_id, room.id);
    assert.equal(m.sender, a.username);
    assert.equal(m.sender_id, a.id);
    assert.equal(m.content, 'hello there');
    assert.equal(m.edited_at, null);
    assert.equal(m.deleted, false);
    assert.equal(m.message_type, 'text');
    assert.equal(m.attachment, null);
    assert.equal(m.client_id, null);
    assert.ok(Math.abs(Date.parse(m.timestamp) - t0) < 60_000);

    const live = await wsB.next((f) => f.type === 'message' && f.id === m.id);
    assertMessageShape(live, 'live message frame');
    assert.deepEqual({ ...stripMeta(live), type: undefined }, { ...m, type: undefined }, 'live frame carries the message object flat');
    await wsB.close();
  });

  it('WS message -> ack {client_id,id,seq,room_id,timestamp} before the echo; everyone incl. sender gets it', async () => {
    const { a, room, wsB } = await pair();
    const wsA = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    await wsA.next('joined');
    const client_id = randomUUID();
    wsA.send({ type: 'message', room_id: room.id, content: 'via ws', client_id });
    const ack = await wsA.next('ack');
    assert.equal(ack.client_id, client_id);
    assert.ok(isPosInt(ack.id));
    assert.equal(ack.seq, 1);
    assert.equal(ack.room_id, room.id);
    assertTimestamp(ack.timestamp, 'ack.timestamp');

    const echo = await wsA.next((f) => f.type === 'message' && f.id === ack.id);
    assert.ok(wsA.frames.indexOf(ack) < wsA.frames.indexOf(echo), 'ack comes before the broadcast');
    const got = await wsB.next((f) => f.type === 'message' && f.id === ack.id);
    assertMessageShape(got);
    assert.equal(got.content, 'via ws');
    assert.equal(got.client_id, client_id);
    assert.equal(got.seq, ack.seq);
    assert.equal(got.timestamp, ack.timestamp);
    assert.equal(got.sender_id, a.id);

    // `message` is accepted in place of `content`
    const ack2 = await wsA.sendMessage(room.id, undefined, { message: 'alias field' });
    const got2 = await wsB.next((f) => f.type === 'message' && f.id === ack2.id);
    assert.equal(got2.content, 'alias field');
    await wsA.close();
    await wsB.close();
  });

  it('seq is gapless and increasing across REST and WS senders; every connection sees it in order', async () => {
    const { a, b, room, wsB } = await pair();
    const wsA = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    await wsA.next('joined');
    const N = 20;
    const pending = [];
    for (let i = 0; i < N; i++) {
      pending.push(wsA.sendMessage(room.id, `ws-a ${i}`));
      pending.push(postMessage(srv, b, room.id, `rest-b ${i}`));
    }
    const results = await Promise.all(pending);
    const allSeqs = results.map((r) => r.seq).sort((x, y) => x - y);
    assert.deepEqual(allSeqs, range(1, 2 * N), 'seqs 1..2N, each once');
    for (const ws of [wsA, wsB]) {
      const got = [];
      while (got.length < 2 * N) got.push((await ws.next('message')).seq);
      assert.deepEqual(got, range(1, 2 * N), 'a connection receives strictly increasing seqs without gaps');
    }
    const hist = await fullHistory(srv, a, room.id);
    assert.deepEqual(seqs(hist), range(1, 2 * N));
    await wsA.close();
    await wsB.close();
  });

  it('client_id idempotency over REST: same client_id -> the original message, delivered once', async () => {
    const { a, b, room, wsB } = await pair();
    const client_id = randomUUID();
    const first = await postMessage(srv, a, room.id, 'once', { client_id });
    assert.equal(first.client_id, client_id);
    const again = await srv.api('POST', '/api/messages', { room_id: room.id, content: 'once', client_id }, a.token);
    // PROTOCOL: "returns the original message"; 201 or 200 are both accepted for the repeat.
    assert.ok([200, 201].includes(again.status), `repeat: ${again.status} ${again.text}`);
    assert.equal(again.json.id, first.id);
    assert.equal(again.json.seq, first.seq);
    // the same client_id from ANOTHER user is a different message
    const other = await postMessage(srv, b, room.id, 'mine', { client_id });
    assert.notEqual(other.id, first.id);
    assert.equal(other.seq, first.seq + 1);
    // B saw `first` exactly once (the marker `other` comes after any duplicate broadcast)
    await wsB.next((f) => f.type === 'message' && f.id === other.id);
    assert.equal(wsB.frames.filter((f) => f.type === 'message' && f.id === first.id).length, 1);
    assert.deepEqual(seqs(await fullHistory(srv, a, room.id)), [1, 2]);
    await wsB.close();
  });

  it('client_id idempotency over WS: both acks carry the same id and seq; others receive it once', async () => {
    const { a, room, wsB } = await pair();
    const wsA = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    await wsA.next('joined');
    const client_id = randomUUID();
    const ack1 = await wsA.sendMessage(room.id, 'dup?', { client_id });
    const ack2 = await wsA.sendMessage(room.id, 'dup?', { client_id });
    assert.equal(ack2.id, ack1.id);
    assert.equal(ack2.seq, ack1.seq);
    // also idempotent across transports: REST with the same client_id returns the original
    const rest = await srv.api('POST', '/api/messages', { room_id: room.id, content: 'dup?', client_id }, a.token);
    assert.ok([200, 201].includes(rest.status), `${rest.status} ${rest.text}`);
    assert.equal(rest.json.id, ack1.id);
    const marker = await wsA.sendMessage(room.id, 'marker');
    assert.equal(marker.seq, ack1.seq + 1, 'no seq was consumed by the duplicates');
    await wsB.next((f) => f.type === 'message' && f.id === marker.id);
    assert.equal(wsB.frames.filter((f) => f.type === 'message' && f.id === ack1.id).length, 1, 'delivered once');
    await wsA.close();
    await wsB.close();
  });

  it('history paging: newest page, before_seq, since_seq, since, has_more, limit bounds', async () => {
    const a = await srv.registerUser('h');
    const room = await createRoom(srv, a);
    const sent = [];
    for (let i = 1; i <= 30; i++) sent.push(await postMessage(srv, a, room.id, `m${i}`));
    const q = async (query) => {
      const res = expectStatus(await history(a, `room_id=${room.id}&${query}`), 200, query);
      assert.ok(Array.isArray(res.json.messages));
      assert.equal(typeof res.json.has_more, 'boolean');
      for (const m of res.json.messages) assertMessageShape(m);
      return res.json;
    };
    let p = await q('');
    assert.deepEqual(seqs(p.messages), range(1, 30), 'default limit 50 covers all, ascending');
    assert.equal(p.has_more, false);
    p = await q('limit=10');
    assert.deepEqual(seqs(p.messages), range(21, 30), 'newest 10, ascending');
    assert.equal(p.has_more, true);
    p = await q('limit=10&before_seq=21');
    assert.deepEqual(seqs(p.messages), range(11, 20));
    assert.equal(p.has_more, true);
    p = await q('limit=10&before_seq=11');
    assert.deepEqual(seqs(p.messages), range(1, 10));
    assert.equal(p.has_more, false, 'nothing older than seq 1');
    p = await q('limit=10&since_seq=5');
    assert.deepEqual(seqs(p.messages), range(6, 15), 'oldest 10 strictly after seq 5');
    assert.equal(p.has_more, true);
    p = await q('limit=10&since_seq=25');
    assert.deepEqual(seqs(p.messages), range(26, 30));
    assert.equal(p.has_more, false);
    p = await q('since_seq=30');
    assert.deepEqual(p.messages, []);
    assert.equal(p.has_more, false);
    p = await q('limit=1');
    assert.deepEqual(seqs(p.messages), [30]);
    p = await q('limit=200');
    assert.equal(p.messages.length, 30);

    // since=<timestamp>: strictly after that instant
    const t = sent[9].timestamp;
    p = await q(`since=${encodeURIComponent(t)}&limit=200`);
    const expected = sent.filter((m) => Date.parse(m.timestamp) > Date.parse(t)).map((m) => m.seq);
    assert.deepEqual(seqs(p.messages), expected, `messages strictly after ${t}`);
    assert.ok(!seqs(p.messages).includes(10));
    p = await q(`since=${encodeURIComponent(sent[29].timestamp)}`);
    assert.deepEqual(p.messages, []);
    p = await q(`since=${encodeURIComponent('2000-01-01T00:00:00.000Z')}&limit=5`);
    assert.deepEqual(seqs(p.messages), range(1, 5), 'oldest first after since');
    assert.equal(p.has_more, true);

    for (const bad of ['limit=0', 'limit=201', 'limit=-1', 'limit=abc', 'since_seq=abc', 'before_seq=x', 'since=yesterday']) {
      expectError(await history(a, `room_id=${room.id}&${bad}`), 400, 'bad_request', `${bad}:`);
    }
    expectError(await history(a, 'limit=10'), 400, 'bad_request', 'missing room_id:');
  });

  it('non-members of a public room: history and send -> 403 forbidden (REST and WS)', async () => {
    const a = await srv.registerUser('nm');
    const c = await srv.registerUser('nc');
    const room = await createRoom(srv, a);
    await postMessage(srv, a, room.id, 'members only');
    expectError(await history(c, `room_id=${room.id}`), 403, 'forbidden', 'history:');
    expectError(await srv.api('POST', '/api/messages', { room_id: room.id, content: 'hi' }, c.token), 403, 'forbidden', 'send:');
    const ws = await srv.connectWs('/ws', c.token);
    await ws.next('hello');
    const client_id = randomUUID();
    ws.send({ type: 'message', room_id: room.id, content: 'hi', client_id });
    const err = await ws.next('error');
    assert.equal(err.code, 'forbidden', JSON.stringify(err));
    if (err.ref !== undefined) assert.equal(err.ref, client_id);
    await ws.close();
    assert.equal((await fullHistory(srv, a, room.id)).length, 1, 'nothing was stored');
  });

  it('content rules: 1-4000 code points after trimming', async () => {
    const { a, room, wsB } = await pair();
    for (const [content, what] of [['', 'empty'], ['   \n\t  ', 'whitespace only'], ['a'.repeat(4001), '4001 ASCII'], ['😀'.repeat(4001), '4001 emoji']]) {
      expectError(await srv.api('POST', '/api/messages', { room_id: room.id, content }, a.token), 400, 'bad_request', `${what}:`);
    }
    expectError(await srv.api('POST', '/api/messages', { room_id: room.id }, a.token), 400, 'bad_request', 'missing content:');
    expectError(await srv.api('POST', '/api/messages', { room_id: room.id, content: 42 }, a.token), 400, 'bad_request', 'numeric content:');
    expectError(await srv.api('POST', '/api/messages', { content: 'x' }, a.token), 400, 'bad_request', 'missing room_id:');
    const emoji = await postMessage(srv, a, room.id, '😀'.repeat(4000)); // 4000 code points, 8000 UTF-16 units
    assert.equal([...emoji.content].length, 4000);
    const ascii = await postMessage(srv, a, room.id, 'b'.repeat(4000));
    assert.equal(ascii.content.length, 4000);
    const padded = await postMessage(srv, a, room.id, `  ${'c'.repeat(4000)}  `); // 4000 after trimming
    assert.equal(padded.content.trim(), 'c'.repeat(4000));
    const mixed = await postMessage(srv, a, room.id, 'héllo wörld 中文 👍🏽');
    assert.equal(mixed.content, 'héllo wörld 中文 👍🏽', 'unicode round-trips');
    const live = await wsB.next((f) => f.type === 'message' && f.id === mixed.id);
    assert.equal(live.content, 'héllo wörld 中文 👍🏽');

    // over WS: an error frame that references the client_id; nothing stored
    const wsA = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    await wsA.next('joined');
    const client_id = randomUUID();
    wsA.send({ type: 'message', room_id: room.id, content: '   ', client_id });
    const err = await wsA.next('error');
    assert.equal(err.code, 'bad_request', JSON.stringify(err));
    if (err.ref !== undefined) assert.equal(err.ref, client_id);
    assert.deepEqual(seqs(await fullHistory(srv, a, room.id)), [1, 2, 3, 4]);
    await wsA.close();
    await wsB.close();
  });

  it('edit: sender -> 200 + message_updated; others -> 403; REST and WS', async () => {
    const { a, b, room, wsB } = await pair();
    const m = await postMessage(srv, a, room.id, 'original');
    const res = expectStatus(await srv.api('PATCH', `/api/messages/${m.id}`, { content: 'edited' }, a.token), 200);
    assertMessageShape(res.json);
    assert.equal(res.json.id, m.id);
    assert.equal(res.json.seq, m.seq, 'editing keeps the seq');
    assert.equal(res.json.content, 'edited');
    assertTimestamp(res.json.edited_at, 'edited_at');
    const upd = messageOf(await wsB.next('message_updated'));
    assertMessageShape(upd, 'message_updated');
    assert.equal(upd.id, m.id);
    assert.equal(upd.content, 'edited');
    assert.equal(upd.room_id, room.id);

    expectError(await srv.api('PATCH', `/api/messages/${m.id}`, { content: 'hijack' }, b.token), 403, 'forbidden', 'edit by another user:');
    expectError(await srv.api('PATCH', `/api/messages/${m.id}`, { content: '  ' }, a.token), 400, 'bad_request', 'blank edit:');
    expectError(await srv.api('PATCH', '/api/messages/987654321987', { content: 'x' }, a.token), 404, 'not_found', 'missing message:');

    // WS edit frame
    const wsA = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    await wsA.next('joined');
    wsA.send({ type: 'edit', message_id: m.id, content: 'edited twice' });
    const upd2 = messageOf(await wsB.next('message_updated'));
    assert.equal(upd2.id, m.id);
    assert.equal(upd2.content, 'edited twice');
    // WS edit by someone else -> error frame, no update
    wsB.send({ type: 'edit', message_id: m.id, content: 'hijack' });
    const err = await wsB.next('error');
    assert.equal(err.code, 'forbidden', JSON.stringify(err));
    const hist = await fullHistory(srv, a, room.id);
    assert.equal(hist.find((x) => x.id === m.id).content, 'edited twice');
    await wsA.close();
    await wsB.close();
  });

  it('delete: sender -> 204 + message_deleted; others -> 403; history keeps a tombstone', async () => {
    const { a, b, room, wsB } = await pair();
    const m1 = await postMessage(srv, a, room.id, 'secret one');
    const m2 = await postMessage(srv, a, room.id, 'secret two');
    await postMessage(srv, a, room.id, 'stays');
    expectError(await srv.api('DELETE', `/api/messages/${m1.id}`, undefined, b.token), 403, 'forbidden', 'delete by another user:');
    const res = await srv.api('DELETE', `/api/messages/${m1.id}`, undefined, a.token);
    expectStatus(res, 204);
    const del = await wsB.next('message_deleted');
    assert.equal(del.room_id, room.id);
    assert.equal(del.id, m1.id);
    assert.equal(del.seq, m1.seq);

    const wsA = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    await wsA.next('joined');
    wsB.send({ type: 'delete', message_id: m2.id });
    assert.equal((await wsB.next('error')).code, 'forbidden');
    wsA.send({ type: 'delete', message_id: m2.id });
    const del2 = await wsB.next('message_deleted');
    assert.equal(del2.id, m2.id);
    assert.equal(del2.seq, m2.seq);

    const hist = await fullHistory(srv, b, room.id);
    assert.deepEqual(seqs(hist), [1, 2, 3], 'tombstones keep their place in the sequence');
    for (const t of hist.slice(0, 2)) {
      assertMessageShape(t, 'tombstone');
      assert.equal(t.deleted, true);
      assert.equal(t.content, '');
      assert.equal(t.attachment, null);
    }
    assert.equal(hist[2].deleted, false);
    assert.equal(hist[2].content, 'stays');
    const raw = (await srv.api('GET', `/api/messages?room_id=${room.id}`, undefined, b.token)).text;
    assert.ok(!raw.includes('secret'), 'deleted text is never served again');
    await wsA.close();
    await wsB.close();
  });

  it('read receipts are relayed to other members as `read` frames', async () => {
    const { a, b, room, wsB } = await pair();
    const m = await postMessage(srv, b, room.id, 'read me');
    const wsA = await srv.connectWs(`/ws/chat/${room.id}`, a.token);
    await wsA.next('joined');
    wsA.send({ type: 'read', room_id: room.id, seq: m.seq });
    const r = await wsB.next('read');
    assert.equal(r.room_id, room.id);
    assert.equal(r.user_id, a.id);
    assert.equal(r.username, a.username);
    assert.equal(r.seq, m.seq);
    assert.ok(b.id !== r.user_id);
    await wsA.close();
    await wsB.close();

    // Whoever joins later learns every member's receipt from `joined` and from the member list.
    const again = await srv.connectWs(`/ws/chat/${room.id}`, b.token);
    const joined = await again.next('joined');
    const readSeqs = Object.fromEntries(joined.members.map((mm) => [mm.id, mm.read_seq]));
    assert.deepEqual(readSeqs, { [a.id]: m.seq, [b.id]: 0 }, JSON.stringify(joined));
    const listed = expectStatus(await srv.api('GET', `/api/rooms/${room.id}/members`, undefined, b.token), 200).json;
    assert.deepEqual(Object.fromEntries(listed.members.map((mm) => [mm.id, mm.read_seq])), readSeqs);
    await again.close();
  });

  it('compatibility API: /sendMessage, /getMessages, /updateStatus (typing), /getStatus', async () => {
    const { a, b, room, wsB } = await pair();
    const wsA = await srv.connectWs('/ws', a.token); // A online, so /updateStatus applies to a live user
    await wsA.next('hello');

    // /sendMessage with senderId as id, then as username
    const s1 = expectStatus(await srv.api('POST', '/sendMessage', { message: 'compat one', senderId: a.id, timestamp: new Date().toISOString(), roomId: room.id }, a.token), 201);
    assertMessageShape(s1.json);
    assert.equal(s1.json.content, 'compat one');
    assert.equal(s1.json.sender_id, a.id);
    assert.equal(s1.json.room_id, room.id);
    const live = await wsB.next((f) => f.type === 'message' && f.id === s1.json.id);
    assert.equal(live.content, 'compat one');
    const s2 = expectStatus(await srv.api('POST', '/sendMessage', { message: 'compat two', senderId: a.username, timestamp: new Date().toISOString(), roomId: room.id }, a.token), 201);
    assert.equal(s2.json.seq, s1.json.seq + 1);
    // writes must be made as the caller
    expectError(await srv.api('POST', '/sendMessage', { message: 'spoof', senderId: b.id, timestamp: new Date().toISOString(), roomId: room.id }, a.token), 403, 'forbidden', 'senderId of someone else:');
    expectError(await srv.api('POST', '/sendMessage', { message: 'x', senderId: a.id, timestamp: new Date().toISOString(), roomId: room.id }), 401, 'unauthorized', 'no token:');

    // /getMessages
    const g = expectStatus(await srv.api('GET', `/getMessages?roomId=${room.id}&limit=10`, undefined, b.token), 200).json;
    assert.ok(Array.isArray(g.messages));
    assert.deepEqual(g.messages.map((m) => m.content), ['compat one', 'compat two']);
    for (const m of g.messages) assertMessageShape(m);
    const g2 = expectStatus(await srv.api('GET', `/getMessages?roomId=${room.id}&limit=10&since=${encodeURIComponent(s1.json.timestamp)}`, undefined, b.token), 200).json;
    const exp = [s1.json, s2.json].filter((m) => Date.parse(m.timestamp) > Date.parse(s1.json.timestamp)).map((m) => m.id);
    assert.deepEqual(g2.messages.map((m) => m.id), exp, 'since is an exclusive timestamp bound');

    // /updateStatus typing -> room members see typing_start
    expectStatus(await srv.api('POST', '/updateStatus', { userId: a.id, status: 'typing' }, a.token), 200);
    const ty = await wsB.next('typing_start');
    assert.equal(ty.room_id, room.id);
    assert.equal(ty.sender, a.username);
    assert.equal(ty.sender_id, a.id);

    // /updateStatus away -> /getStatus says away
    expectStatus(await srv.api('POST', '/updateStatus', { userId: a.username, status: 'away' }, a.token), 200);
    const st = expectStatus(await srv.api('GET', `/getStatus?userId=${a.id}`, undefined, b.token), 200).json;
    // userId is echoed as the numeric id (our decision; == tolerates a string id)
    assert.ok(st.userId == a.id, `userId: ${JSON.stringify(st)}`); // eslint-disable-line eqeqeq
    assert.equal(st.username, a.username);
    assert.equal(st.status, 'away');
    assert.ok('last_seen' in st);
    const st2 = expectStatus(await srv.api('GET', `/getStatus?userId=${encodeURIComponent(b.username)}`, undefined, a.token), 200).json;
    assert.equal(st2.username, b.username);
    assert.equal(st2.status, 'online', 'B has an open connection');

    expectError(await srv.api('POST', '/updateStatus', { userId: b.id, status: 'away' }, a.token), 403, 'forbidden', 'status of someone else:');
    expectError(await srv.api('POST', '/updateStatus', { userId: a.id, status: 'sleeping' }, a.token), 400, 'bad_request', 'unknown status:');
    expectError(await srv.api('GET', '/getStatus?userId=no_such_user_xyz', undefined, a.token), 404, 'not_found', 'unknown user:');
    await wsA.close();
    await wsB.close();
  });
});
