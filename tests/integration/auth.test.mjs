// Auth: register / login / refresh / logout / me, token errors, WebSocket revocation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startServer, expectStatus, expectError, uniqueName, decodeJwt, waitFor, isPosInt,
} from './lib/harness.mjs';

function assertAuthBody(body, username, what) {
  const s = JSON.stringify(body);
  assert.equal(typeof body.access_token, 'string', `${what} access_token: ${s}`);
  assert.ok(body.access_token.length > 0);
  assert.equal(typeof body.refresh_token, 'string', `${what} refresh_token: ${s}`);
  assert.ok(body.refresh_token.length > 0);
  assert.equal(body.token_type, 'Bearer', `${what} token_type`);
  assert.equal(typeof body.expires_in, 'number', `${what} expires_in must be a number: ${s}`);
  assert.ok(body.expires_in > 0, `${what} expires_in > 0`);
  assert.ok(body.user && typeof body.user === 'object', `${what} user: ${s}`);
  assert.ok(isPosInt(body.user.id), `${what} user.id must be a positive integer: ${s}`);
  assert.equal(body.user.username, username, `${what} user.username`);
}

// Changes one fully significant character of the signature (not the last one, whose low bits are padding).
function tamperSignature(token) {
  const [h, p, sig] = token.split('.');
  const c = sig[5] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${sig.slice(0, 5)}${c}${sig.slice(6)}`;
}

describe('auth', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { await srv?.dispose(); });

  it('GET /healthz answers 200 {"status":"ok"} without auth', async () => {
    const res = expectStatus(await srv.api('GET', '/healthz'), 200);
    assert.deepEqual(res.json, { status: 'ok' });
    assert.match(String(res.headers['content-type']), /application\/json/);
  });

  it('register -> 201 with tokens, Bearer, expires_in and user {id, username}', async () => {
    const username = uniqueName('reg');
    const res = await srv.api('POST', '/api/auth/register', { username, password: 'correct horse' });
    expectStatus(res, 201);
    assert.match(String(res.headers['content-type']), /application\/json/);
    assertAuthBody(res.json, username, 'register');
    // default access-token lifetime is 15 min
    assert.equal(res.json.expires_in, 900);
    // access tokens are HS256 JWTs with an expiry matching expires_in
    const { header, payload } = decodeJwt(res.json.access_token);
    assert.equal(header.alg, 'HS256');
    assert.equal(typeof payload.exp, 'number');
    const nowS = Date.now() / 1000;
    assert.ok(payload.exp > nowS + 800 && payload.exp < nowS + 1000, `exp ${payload.exp} is about now + 900 s`);
    assert.notEqual(res.json.access_token, res.json.refresh_token);

    const me = expectStatus(await srv.api('GET', '/api/me', undefined, res.json.access_token), 200);
    assert.deepEqual({ id: me.json.id, username: me.json.username }, res.json.user);
  });

  it('login -> 200 with the same body shape; fresh tokens each login', async () => {
    const username = uniqueName('login');
    const reg = expectStatus(await srv.api('POST', '/api/auth/register', { username, password: 'password-1' }), 201);
    const res = expectStatus(await srv.api('POST', '/api/auth/login', { username, password: 'password-1' }), 200);
    assertAuthBody(res.json, username, 'login');
    assert.equal(res.json.user.id, reg.json.user.id);
    assert.notEqual(res.json.refresh_token, reg.json.refresh_token);
    const me = expectStatus(await srv.api('GET', '/api/me', undefined, res.json.access_token), 200);
    assert.equal(me.json.id, reg.json.user.id);
    assert.equal(me.json.username, username);
  });

  it('login with a differently-cased username works and returns the registered spelling', async () => {
    // Our decision: usernames are unique case-insensitively, so login looks them up that way too.
    const username = uniqueName('CaSe');
    expectStatus(await srv.api('POST', '/api/auth/register', { username, password: 'password-1' }), 201);
    const res = expectStatus(await srv.api('POST', '/api/auth/login', { username: username.toUpperCase(), password: 'password-1' }), 200);
    assert.equal(res.json.user.username, username);
  });

  it('username and password validation -> 400 bad_request', async () => {
    const ok = 'goodpassword';
    const bad = [
      [{ username: 'ab', password: ok }, 'username of 2 chars'],
      [{ username: 'a'.repeat(33), password: ok }, 'username of 33 chars'],
      [{ username: 'has space', password: ok }, 'space in username'],
      [{ username: 'bang!name', password: ok }, '! in username'],
      [{ username: 'slash/name', password: ok }, '/ in username'],
      [{ username: 'ünïcode', password: ok }, 'non-ASCII username'],
      [{ username: '1234567', password: ok }, 'all-digit username'],
      [{ username: uniqueName('pw'), password: 'short12' }, 'password of 7 bytes'],
      [{ username: uniqueName('pw'), password: 'x'.repeat(1025) }, 'password of 1025 bytes'],
      [{ username: uniqueName('pw') }, 'missing password'],
      [{ password: ok }, 'missing username'],
      [{ username: 12345, password: ok }, 'username not a string'],
      [{ username: uniqueName('pw'), password: 12345678 }, 'password not a string'],
    ];
    for (const [body, what] of bad) {
      expectError(await srv.api('POST', '/api/auth/register', body), 400, 'bad_request', `${what}:`);
    }
  });

  it('boundary usernames and passwords are accepted', async () => {
    const r = () => Math.random().toString(36).slice(2, 5).padEnd(3, 'x');
    const good = [
      { username: `a${r()}`.slice(0, 3), password: 'x'.repeat(8) },            // 3 chars, 8-byte password
      { username: (`b_${r()}` + 'c'.repeat(40)).slice(0, 32), password: 'y'.repeat(1024) }, // 32 chars, 1024 bytes
      { username: `d.${r()}-_${r()}`, password: 'éééé' },                         // 4 code points = 8 bytes
      { username: `12${r()}3x`, password: 'password' },                            // digits allowed if not all
    ];
    for (const body of good) {
      const res = await srv.api('POST', '/api/auth/register', body);
      // a 3-char name may collide with an earlier run of this loop only in theory (fresh server)
      expectStatus(res, 201, `register ${JSON.stringify(body.username)} (${Buffer.byteLength(body.password)}-byte password):`);
      assert.equal(res.json.user.username, body.username);
    }
  });

  it('duplicate username, case-insensitively -> 409 conflict', async () => {
    const username = uniqueName('Dup');
    expectStatus(await srv.api('POST', '/api/auth/register', { username, password: 'password-1' }), 201);
    expectError(await srv.api('POST', '/api/auth/register', { username, password: 'password-2' }), 409, 'conflict', 'same name:');
    expectError(await srv.api('POST', '/api/auth/register', { username: username.toLowerCase(), password: 'password-2' }), 409, 'conflict', 'lower-cased:');
    expectError(await srv.api('POST', '/api/auth/register', { username: username.toUpperCase(), password: 'password-2' }), 409, 'conflict', 'upper-cased:');
  });

  it('unknown user and wrong password give the same 401', async () => {
    const username = uniqueName('who');
    expectStatus(await srv.api('POST', '/api/auth/register', { username, password: 'password-1' }), 201);
    const wrong = expectError(await srv.api('POST', '/api/auth/login', { username, password: 'password-2' }), 401, 'unauthorized', 'wrong password:');
    const unknown = expectError(await srv.api('POST', '/api/auth/login', { username: uniqueName('nobody'), password: 'password-1' }), 401, 'unauthorized', 'unknown user:');
    assert.deepEqual(unknown.json, wrong.json, 'the two 401 bodies must not tell the cases apart');
  });

  it('refresh rotates: new access + refresh token; the new ones work', async () => {
    const username = uniqueName('rot');
    const reg = expectStatus(await srv.api('POST', '/api/auth/register', { username, password: 'password-1' }), 201).json;
    const res = expectStatus(await srv.api('POST', '/api/auth/refresh', { refresh_token: reg.refresh_token }), 200);
    assertAuthBody(res.json, username, 'refresh');
    assert.notEqual(res.json.refresh_token, reg.refresh_token);
    assert.notEqual(res.json.access_token, reg.access_token);
    expectStatus(await srv.api('GET', '/api/me', undefined, res.json.access_token), 200);
    // and the new refresh token rotates again
    const res2 = expectStatus(await srv.api('POST', '/api/auth/refresh', { refresh_token: res.json.refresh_token }), 200);
    assert.notEqual(res2.json.refresh_token, res.json.refresh_token);
  });

  it('refresh with garbage / missing token -> 401 (garbage) or 400 (missing)', async () => {
    expectError(await srv.api('POST', '/api/auth/refresh', { refresh_token: 'not-a-real-token' }), 401, 'unauthorized');
    const missing = await srv.api('POST', '/api/auth/refresh', {});
    // Our decision: a body without refresh_token is malformed (400); 401 is also acceptable.
    assert.ok([400, 401].includes(missing.status), `missing refresh_token: ${missing.status} ${missing.text}`);
  });

  it('reusing a used refresh token -> 401 and revokes the whole login; its WebSockets close 1008', async () => {
    const username = uniqueName('reuse');
    const reg = expectStatus(await srv.api('POST', '/api/auth/register', { username, password: 'password-1' }), 201).json;
    // A second, independent login of the same user must survive.
    const other = expectStatus(await srv.api('POST', '/api/auth/login', { username, password: 'password-1' }), 200).json;

    const r1 = reg.refresh_token;
    const rot = expectStatus(await srv.api('POST', '/api/auth/refresh', { refresh_token: r1 }), 200).json;
    const r2 = rot.refresh_token;

    // Connections of the login: one with the original access token, one with the rotated one.
    const wsOld = await srv.connectWs('/ws', reg.access_token);
    const wsNew = await srv.connectWs('/ws', rot.access_token);
    const wsOther = await srv.connectWs('/ws', other.access_token);
    for (const ws of [wsOld, wsNew, wsOther]) await ws.next('hello');

    expectError(await srv.api('POST', '/api/auth/refresh', { refresh_token: r1 }), 401, 'unauthorized', 'reuse of r1:');
    // the newer token of that login is dead too
    expectError(await srv.api('POST', '/api/auth/refresh', { refresh_token: r2 }), 401, 'unauthorized', 'r2 after reuse:');

    assert.equal((await wsOld.waitClosed()).code, 1008, 'connection with the original access token');
    assert.equal((await wsNew.waitClosed()).code, 1008, 'connection with the rotated access token');

    // Already issued access tokens stay valid until they expire (PROTOCOL), for REST.
    expectStatus(await srv.api('GET', '/api/me', undefined, rot.access_token), 200, 'access token after revocation:');

    // The other login is untouched: its connection still works and its refresh token rotates.
    wsOther.send({ type: 'ping' });
    await wsOther.next('pong');
    assert.equal(wsOther.closeInfo, null);
    expectStatus(await srv.api('POST', '/api/auth/refresh', { refresh_token: other.refresh_token }), 200, 'other login refresh:');
    await wsOther.close();
  });

  it('logout -> 204, the refresh token is dead and the login\'s WebSockets close 1008', async () => {
    const username = uniqueName('bye');
    const reg = expectStatus(await srv.api('POST', '/api/auth/register', { username, password: 'password-1' }), 201).json;
    const other = expectStatus(await srv.api('POST', '/api/auth/login', { username, password: 'password-1' }), 200).json;
    const ws = await srv.connectWs('/ws', reg.access_token);
    const wsOther = await srv.connectWs('/ws', other.access_token);
    await ws.next('hello');
    await wsOther.next('hello');

    const res = await srv.api('POST', '/api/auth/logout', { refresh_token: reg.refresh_token }, reg.access_token);
    expectStatus(res, 204);
    assert.equal(res.text, '', '204 has no body');

    assert.equal((await ws.waitClosed()).code, 1008);
    expectError(await srv.api('POST', '/api/auth/refresh', { refresh_token: reg.refresh_token }), 401, 'unauthorized', 'refresh after logout:');

    // other login unaffected
    wsOther.send({ type: 'ping' });
    await wsOther.next('pong');
    expectStatus(await srv.api('POST', '/api/auth/refresh', { refresh_token: other.refresh_token }), 200);
    await wsOther.close();
  });

  it('missing, garbage or forged tokens -> 401 {"error":{"code":"unauthorized","message"}}', async () => {
    const user = await srv.registerUser('tok');
    const cases = [
      [undefined, 'no Authorization header'],
      [{ Authorization: 'Bearer' }, 'empty bearer'],
      [{ Authorization: 'Bearer garbage' }, 'garbage token'],
      [{ Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, 'Basic scheme'],
      [{ Authorization: `Bearer ${tamperSignature(user.token)}` }, 'bad signature'],
      [{ Authorization: `Bearer ${user.refresh}` }, 'refresh token used as access token'],
    ];
    // alg=none forgery of the user's own claims
    const [, payload] = user.token.split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    cases.push([{ Authorization: `Bearer ${none}.${payload}.` }, 'alg none']);
    for (const [headers, what] of cases) {
      const res = await srv.api('GET', '/api/me', undefined, undefined, { headers });
      expectError(res, 401, 'unauthorized', `${what}:`);
    }
    // and on other authenticated endpoints
    expectError(await srv.api('GET', '/api/rooms'), 401, 'unauthorized', 'GET /api/rooms:');
    expectError(await srv.api('POST', '/api/rooms', { name: 'x' }), 401, 'unauthorized', 'POST /api/rooms:');
    expectError(await srv.api('GET', '/api/messages?room_id=1'), 401, 'unauthorized', 'GET /api/messages:');
    expectError(await srv.api('POST', '/api/messages', { room_id: 1, content: 'x' }), 401, 'unauthorized', 'POST /api/messages:');
  });
});

describe('auth with 1 s access tokens', { timeout: 60_000 }, () => {
  let srv;
  before(async () => { srv = await startServer({ 'access-token-ttl-s': 1 }); });
  after(async () => { await srv?.dispose(); });

  it('an expired access token -> 401; refresh still works; open WebSockets outlive the expiry', async () => {
    const username = uniqueName('exp');
    const reg = expectStatus(await srv.api('POST', '/api/auth/register', { username, password: 'password-1' }), 201).json;
    assert.equal(reg.expires_in, 1);
    const ws = await srv.connectWs('/ws', reg.access_token);
    await ws.next('hello');

    const expired = await waitFor(async () => {
      const r = await srv.api('GET', '/api/me', undefined, reg.access_token);
      return r.status === 401 ? r : null;
    }, { timeoutMs: 10_000, intervalMs: 100, what: 'the 1 s access token to expire (/api/me -> 401)' });
    expectError(expired, 401, 'unauthorized');

    // The open connection outlives its token's expiry.
    ws.send({ type: 'ping' });
    await ws.next('pong');
    assert.equal(ws.closeInfo, null);

    const ref = expectStatus(await srv.api('POST', '/api/auth/refresh', { refresh_token: reg.refresh_token }), 200).json;
    // Within its 1 s life the fresh token may already have expired on a slow machine; retry a few
    // refreshes until one is observed working.
    let token = ref.access_token;
    let refresh = ref.refresh_token;
    await waitFor(async () => {
      const me = await srv.api('GET', '/api/me', undefined, token);
      if (me.status === 200) return true;
      const again = expectStatus(await srv.api('POST', '/api/auth/refresh', { refresh_token: refresh }), 200).json;
      token = again.access_token;
      refresh = again.refresh_token;
      return false;
    }, { timeoutMs: 10_000, intervalMs: 0, what: 'a refreshed access token to work' });
    await ws.close();
  });
});
