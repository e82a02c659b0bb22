// parley-cli (tools/cli) end to end against the real server: every command, its exit codes, the
// credentials file, token refresh, file upload, `tail`, and `chat` driven through a terminal (tmux).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer, createRoom, twoMembers, decodeJwt, fullHistory, postMessage, waitFor, uniqueName, REPO_ROOT } from './lib/harness.mjs';
import { makeImage } from './lib/media.mjs';

const execFileP = promisify(execFile);
const CLI = process.env.PARLEY_CLI ?? path.join(REPO_ROOT, 'build', 'release', 'tools', 'cli', 'parley-cli');

// Every user of the CLI gets a config home of its own (XDG_CONFIG_HOME), removed at the end.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-cli-it-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));
let homes = 0;
const newHome = () => fs.mkdtempSync(path.join(scratch, `home${++homes}-`));
const credentialsFile = (home) => path.join(home, 'parley', 'credentials.json');
const readCredentials = (home) => JSON.parse(fs.readFileSync(credentialsFile(home), 'utf8'));

function cliEnv(home, srv) {
  const env = { ...process.env, XDG_CONFIG_HOME: home, PARLEY_SERVER: srv.baseUrl, TZ: 'UTC' };
  delete env.TMUX;
  return env;
}

/** Runs parley-cli to its exit: {code, stdout, stderr}. */
function cli(home, srv, args, { input, timeoutMs = 20_000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(CLI, args, { env: { ...cliEnv(home, srv), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => { stdout += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`parley-cli ${args.join(' ')} did not exit in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    proc.on('error', reject);
    proc.stdin.on('error', () => {});  // EPIPE when the CLI exits without reading its input
    proc.stdin.end(input ?? '');
  });
}

/** Asserts exit code `code`; a failure shows what the CLI printed. */
function expectExit(res, code, what = '') {
  assert.equal(res.code, code, `${what} exit code\nstdout: ${res.stdout}\nstderr: ${res.stderr}`);
  return res;
}

/** A failure is exactly one line on stderr, `parley-cli: ...`. */
function expectOneLineError(res, pattern) {
  const lines = res.stderr.split('\n').filter((l) => l.length);
  assert.equal(lines.length, 1, `one line on stderr, got:\n${res.stderr}`);
  assert.match(lines[0], /^parley-cli: /);
  assert.match(lines[0], pattern);
}

/** `parley-cli login` as an existing user; returns the config home. */
async function loginAs(srv, user) {
  const home = newHome();
  expectExit(await cli(home, srv, ['login', user.username, '--password-stdin'], { input: `${user.password}\n` }), 0, 'login');
  return home;
}

const jsonLines = (text) => text.split('\n').filter((l) => l.length).map((l) => JSON.parse(l));

// ---- a terminal for `chat` and the progress bar: tmux on a private socket

class Terminal {
  constructor() { this.socket = path.join(newHome(), 'tmux.sock'); }

  tmux(...args) { return execFileP('tmux', ['-S', this.socket, ...args], { timeout: 10_000 }); }

  /** Runs `args` in a 120x40 terminal; the pane then shows `EXIT=<code>` and stays. */
  async start(env, args) {
    const quoted = [CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const envFlags = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    await this.tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', 'cli', ...envFlags,
      `${quoted}; echo EXIT=$?; sleep 600`);
  }

  async screen() { return (await this.tmux('capture-pane', '-p', '-J', '-t', 'cli')).stdout; }

  /** Polls the screen until `pred(screen)` holds (deadline, no fixed sleeps). */
  async waitFor(pred, what, timeoutMs = 10_000) {
    let last = '';
    try {
      return await waitFor(async () => { last = await this.screen(); return pred(last) && last; }, { timeoutMs, what });
    } catch (e) {
      throw new Error(`${e.message.split('\n')[0]}\n--- screen ---\n${last}`);
    }
  }

  waitForText(text, timeoutMs) { return this.waitFor((s) => s.includes(text), JSON.stringify(text), timeoutMs); }
  type(text) { return this.tmux('send-keys', '-t', 'cli', '-l', text); }
  key(name) { return this.tmux('send-keys', '-t', 'cli', name); }
  async dispose() { await this.tmux('kill-server').catch(() => {}); }
}

describe('parley-cli', { timeout: 170_000 }, () => {
  let srv;
  before(async () => {
    assert.ok(fs.existsSync(CLI), `parley-cli not found at ${CLI} (set PARLEY_CLI)`);
    srv = await startServer({ presenceGraceMs: 200 });
  });
  after(async () => { await srv?.dispose(); });

  it('register stores the login in a 0600 file in a 0700 directory; whoami uses it', async () => {
    const home = newHome();
    const username = uniqueName('reg');
    const res = expectExit(await cli(home, srv, ['register', username, '--password-stdin'], { input: 'pw-registered-1\n' }), 0);
    assert.match(res.stdout, new RegExp(`registered and logged in as ${username}`));
    assert.equal(fs.statSync(credentialsFile(home)).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(credentialsFile(home))).mode & 0o777, 0o700);
    const stored = readCredentials(home);
    assert.equal(stored.server, srv.baseUrl);
    assert.equal(stored.username, username);
    assert.ok(stored.access_token && stored.refresh_token, JSON.stringify(stored));
    const who = expectExit(await cli(home, srv, ['whoami']), 0);
    assert.match(who.stdout, new RegExp(`^${username} \\(user \\d+\\)`));
    // The password logs in again (a fresh home), and a taken name is refused with exit 5.
    expectExit(await cli(newHome(), srv, ['login', username, '--password-stdin'], { input: 'pw-registered-1\n' }), 0);
    const taken = expectExit(await cli(newHome(), srv, ['register', username.toUpperCase(), '--password-stdin'], { input: 'pw-other-123\n' }), 5);
    expectOneLineError(taken, /taken/);
  });

  it('a wrong password exits 3 with one line and stores nothing; logout ends the login', async () => {
    const alice = await srv.registerUser('pw');
    const home = newHome();
    const bad = expectExit(await cli(home, srv, ['login', alice.username, '--password-stdin'], { input: 'wrong-password\n' }), 3);
    expectOneLineError(bad, /invalid username or password/);
    assert.ok(!fs.existsSync(credentialsFile(home)));
    expectOneLineError(expectExit(await cli(home, srv, ['rooms']), 3), /not logged in/);

    const good = await loginAs(srv, alice);
    const { refresh_token: refresh } = readCredentials(good);
    expectExit(await cli(good, srv, ['logout']), 0);
    assert.ok(!fs.existsSync(credentialsFile(good)));
    const reuse = await srv.api('POST', '/api/auth/refresh', { refresh_token: refresh });
    assert.equal(reuse.status, 401, 'the refresh token is revoked on the server');
  });

  it('usage errors exit 1; an unreachable server exits 2', async () => {
    const alice = await srv.registerUser('us');
    const home = await loginAs(srv, alice);
    expectOneLineError(expectExit(await cli(home, srv, ['frobnicate']), 1), /frobnicate/);
    expectExit(await cli(home, srv, ['send']), 1);
    expectOneLineError(expectExit(await cli(home, srv, ['send', '1']), 1), /nothing to send/);
    expectOneLineError(expectExit(await cli(home, srv, ['send', '1', '--file', path.join(scratch, 'missing.png')]), 1), /cannot read/);
    expectOneLineError(expectExit(await cli(home, srv, ['rooms'], { env: { PARLEY_SERVER: 'ftp://x' } }), 1), /not a server URL/);

    const other = await startServer();
    const bob = await other.registerUser('down');
    const downHome = await loginAs(other, bob);
    await other.dispose();
    for (const args of [['rooms'], ['send', '1', 'hi'], ['tail', '1'], ['chat', '1']]) {
      const res = expectExit(await cli(downHome, other, args), 2, args.join(' '));
      expectOneLineError(res, /cannot reach the server at http:\/\/127\.0\.0\.1:\d+: could not connect/);
    }
    const login = expectExit(await cli(newHome(), other, ['login', 'someone', '--password-stdin'], { input: 'whatever-pw\n' }), 2);
    expectOneLineError(login, /cannot reach the server/);
  });

  it('rooms, create, join (id and invite), members, leave', async () => {
    const alice = await srv.registerUser('ra');
    const bob = await srv.registerUser('rb');
    const [a, b] = [await loginAs(srv, alice), await loginAs(srv, bob)];
    const publicName = uniqueName('pub');
    const created = expectExit(await cli(a, srv, ['create', publicName]), 0);
    assert.match(created.stdout, new RegExp(`^created #\\d+ ${publicName}\\n$`));
    const [priv] = jsonLines(expectExit(await cli(a, srv, ['create', uniqueName('priv'), '--private', '--json']), 0).stdout);
    assert.equal(priv.private, true);
    assert.ok(priv.invite);

    const rooms = jsonLines(expectExit(await cli(b, srv, ['rooms', '--json']), 0).stdout);
    const pub = rooms.find((r) => r.name === publicName);
    assert.ok(pub && !pub.joined, 'bob sees the public room, not joined');
    assert.ok(!rooms.some((r) => r.id === priv.id), 'bob does not see the private room');

    expectExit(await cli(b, srv, ['join', String(pub.id)]), 0);
    const byInvite = expectExit(await cli(b, srv, ['join', priv.invite]), 0);
    assert.match(byInvite.stdout, new RegExp(`joined #${priv.id} .* \\(private\\); invite: ${priv.invite}`));
    const human = expectExit(await cli(b, srv, ['rooms']), 0).stdout;
    assert.match(human, new RegExp(`#${pub.id} ${publicName} +public +2 members, \\d+ online +\\(joined\\)`));

    // A room argument is an id or the exact name.
    const members = expectExit(await cli(a, srv, ['members', publicName]), 0).stdout;
    assert.match(members, new RegExp(`^${alice.username} +offline$`, 'm'));
    assert.match(members, new RegExp(`^${bob.username} +offline$`, 'm'));
    const asJson = jsonLines(expectExit(await cli(a, srv, ['members', String(priv.id), '--json']), 0).stdout);
    assert.deepEqual(asJson.map((m) => m.username).sort(), [alice.username, bob.username].sort());

    expectExit(await cli(b, srv, ['leave', String(priv.id)]), 0);
    const after = jsonLines(expectExit(await cli(a, srv, ['members', String(priv.id), '--json']), 0).stdout);
    assert.deepEqual(after.map((m) => m.username), [alice.username]);
    // Gone from the private room: it is not found for bob any more (exit 4).
    expectOneLineError(expectExit(await cli(b, srv, ['members', String(priv.id)]), 4), /room not found/);
    expectOneLineError(expectExit(await cli(b, srv, ['join', 'no-such-invite']), 4), /no room with this invite/);
    expectOneLineError(expectExit(await cli(b, srv, ['leave', 'no room has this name']), 4), /no room named/);
  });

  it('send and history; not a member exits 4', async () => {
    const alice = await srv.registerUser('sa');
    const carol = await srv.registerUser('sc');
    const [a, c] = [await loginAs(srv, alice), await loginAs(srv, carol)];
    const room = await createRoom(srv, alice);
    const sent = expectExit(await cli(a, srv, ['send', String(room.id), 'hello from the CLI']), 0);
    assert.match(sent.stdout, /^sent message \d+ \(seq 1\)$/m);
    const [second] = jsonLines(expectExit(await cli(a, srv, ['send', room.name, '  second  ', '--json']), 0).stdout);
    assert.equal(second.content, 'second');
    assert.equal(second.seq, 2);

    const stored = await fullHistory(srv, alice, room.id);
    assert.deepEqual(stored.map((m) => m.content), ['hello from the CLI', 'second']);
    assert.deepEqual(jsonLines(expectExit(await cli(a, srv, ['history', String(room.id), '--json']), 0).stdout), stored);
    const human = expectExit(await cli(a, srv, ['history', String(room.id), '-n', '1']), 0).stdout;
    assert.match(human, new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\] ${alice.username}: second\\n$`));
    // Terminal control characters from other users are not passed to the terminal; --json keeps them.
    await postMessage(srv, alice, room.id, 'evil \u001b]0;pwned\u0007\u001b[2J\r\u009b31m end');
    const shown = expectExit(await cli(a, srv, ['history', String(room.id), '-n', '1']), 0).stdout;
    assert.match(shown, new RegExp(`${alice.username}: evil \\?\\]0;pwned\\?\\?\\[2J\\?\\?31m end\\n$`));
    const [raw] = jsonLines(expectExit(await cli(a, srv, ['history', String(room.id), '-n', '1', '--json']), 0).stdout);
    assert.equal(raw.content, 'evil \u001b]0;pwned\u0007\u001b[2J\r\u009b31m end');

    for (const args of [['send', String(room.id), 'intruder'], ['history', String(room.id)], ['members', String(room.id)], ['tail', String(room.id)], ['chat', String(room.id)]]) {
      expectOneLineError(expectExit(await cli(c, srv, args), 4, args.join(' ')), /not a member/);
    }
    expectOneLineError(expectExit(await cli(c, srv, ['send', '999999', 'x']), 4), /room not found/);
  });

  it('send --file uploads a real image and attaches it', async () => {
    const alice = await srv.registerUser('fa');
    const a = await loginAs(srv, alice);
    const room = await createRoom(srv, alice);
    const image = path.join(newHome(), 'photo.png');
    await fsp.writeFile(image, await makeImage('png', 64, 48));
    const res = expectExit(await cli(a, srv, ['send', String(room.id), '--file', image, 'a caption']), 0);
    assert.ok(!res.stderr.includes('%'), `no progress bar when stderr is not a terminal: ${res.stderr}`);
    const [message] = await fullHistory(srv, alice, room.id);
    assert.equal(message.content, 'a caption');
    assert.equal(message.message_type, 'image');
    assert.equal(message.attachment.original_filename, 'photo.png');
    assert.equal(message.attachment.size, fs.statSync(image).size);
    assert.deepEqual([message.attachment.width, message.attachment.height], [64, 48]);
    const download = await fetch(new URL(message.attachment.url, srv.baseUrl));
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), await fsp.readFile(image));
    // Without a caption the message is the file alone; history shows it with its URL.
    expectExit(await cli(a, srv, ['send', String(room.id), '--file', image]), 0);
    const human = expectExit(await cli(a, srv, ['history', String(room.id)]), 0).stdout;
    assert.match(human, new RegExp(`${alice.username}: \\[image photo\\.png, [\\d.]+ KB\\] ${srv.baseUrl}/api/files/\\S+\\.png$`, 'm'));
  });

  it('send --file: a refusal while the file streams is reported (413, exit 5), not a connection reset', async () => {
    const small = await startServer({ maxUploadBytes: 64 * 1024 });
    try {
      const alice = await small.registerUser('big');
      const a = await loginAs(small, alice);
      const room = await createRoom(small, alice);
      // 8 MiB: refused from its Content-Length at once; 100 KiB: refused when the file part
      // crosses the limit. Both while the CLI is still writing the body.
      for (const size of [8 * 1024 * 1024, 100 * 1024]) {
        const file = path.join(newHome(), 'big.bin');
        await fsp.writeFile(file, Buffer.alloc(size, 7));
        const res = expectExit(await cli(a, small, ['send', String(room.id), '--file', file]), 5, `${size} bytes`);
        expectOneLineError(res, /exceeds 65536 bytes/);
      }
      assert.deepEqual(await fullHistory(small, alice, room.id), []);
    } finally {
      await small.dispose();
    }
  });

  it('an expired access token is refreshed and the new tokens are written back (still 0600)', async () => {
    const short = await startServer({ accessTokenTtlS: 1 });
    try {
      const alice = await short.registerUser('rf');
      const home = await loginAs(short, alice);
      const before = readCredentials(home);
      await waitFor(async () => (await short.api('GET', '/api/me', undefined, before.access_token)).status === 401,
        { timeoutMs: 10_000, intervalMs: 200, what: 'the stored access token to expire' });
      const res = expectExit(await cli(home, short, ['whoami']), 0);
      assert.match(res.stdout, new RegExp(alice.username));
      const after = readCredentials(home);
      assert.notEqual(after.access_token, before.access_token);
      assert.notEqual(after.refresh_token, before.refresh_token);
      assert.equal(fs.statSync(credentialsFile(home)).mode & 0o777, 0o600);
      assert.deepEqual(fs.readdirSync(path.dirname(credentialsFile(home))), ['credentials.json'], 'no temp file left');
      // (Not checked by using it: with a 1 s lifetime it may already have expired on a slow machine.)
      assert.equal(decodeJwt(after.access_token).payload.name, alice.username);
      // The stored refresh token is the live one: using it works (and rotates it once more).
      assert.equal((await short.api('POST', '/api/auth/refresh', { refresh_token: after.refresh_token })).status, 200);
      // Now the file holds a used token: the next refresh is refused, and the CLI says to log in (exit 3).
      await waitFor(async () => (await short.api('GET', '/api/me', undefined, after.access_token)).status === 401,
        { timeoutMs: 10_000, intervalMs: 200, what: 'the refreshed access token to expire' });
      expectOneLineError(expectExit(await cli(home, short, ['rooms']), 3), /login was rejected.*login/);
    } finally {
      await short.dispose();
    }
  });

  it('a login refreshed by another parley-cli is taken over by a running tail, not refreshed twice (which would revoke it)', async () => {
    const short = await startServer({ accessTokenTtlS: 1 });
    let tail;
    try {
      const alice = await short.registerUser('share');
      const home = await loginAs(short, alice);
      const room = await createRoom(short, alice);
      const before = readCredentials(home);
      tail = spawn(CLI, ['tail', String(room.id)], { env: cliEnv(home, short) });
      let stdout = '';
      let stderr = '';
      tail.stdout.on('data', (d) => { stdout += d; });
      tail.stderr.on('data', (d) => { stderr += d; });
      const exited = new Promise((resolve) => tail.on('exit', (code, signal) => resolve({ code, signal })));
      await waitFor(() => stderr.includes('following'), { timeoutMs: 10_000, what: `tail to start; stderr: ${stderr}` });

      // Another command refreshes the stored login while the tail holds the old tokens.
      await waitFor(async () => (await short.api('GET', '/api/me', undefined, before.access_token)).status === 401,
        { timeoutMs: 10_000, intervalMs: 200, what: 'the stored access token to expire' });
      expectExit(await cli(home, short, ['whoami']), 0);
      assert.notEqual(readCredentials(home).refresh_token, before.refresh_token);

      // The server restarts: the tail reconnects, and its own refresh token has been used.
      const port = short.port;
      await short.restart();
      assert.equal(short.port, port, 'the server came back on its port (the stored login names it)');
      const login = await short.api('POST', '/api/auth/login', { username: alice.username, password: alice.password });
      await postMessage(short, { token: login.json.access_token }, room.id, 'after the restart');
      await waitFor(() => stdout.includes('after the restart'), { timeoutMs: 15_000, what: `the tail to resume; stderr: ${stderr}` });
      expectExit(await cli(home, short, ['whoami']), 0, 'the stored login still works');
      tail.kill('SIGTERM');
      assert.deepEqual(await exited, { code: 0, signal: null }, stderr);
    } finally {
      tail?.kill('SIGKILL');
      await short.dispose();
    }
  });

  it('tail prints new messages as they arrive (--json: as the server sent them) and stops on SIGTERM', async () => {
    const { a: alice, b: bob, room } = await twoMembers(srv, 'ta', 'tb');
    const a = await loginAs(srv, alice);
    await postMessage(srv, alice, room.id, 'before the tail');

    for (const json of [true, false]) {
      const proc = spawn(CLI, ['tail', String(room.id), ...(json ? ['--json'] : [])], { env: cliEnv(a, srv) });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d) => { stdout += d; });
      proc.stderr.on('data', (d) => { stderr += d; });
      const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
      try {
        await waitFor(() => stderr.includes('following'), { timeoutMs: 10_000, what: `tail to follow the room; stderr: ${stderr}` });
        const sent = [await postMessage(srv, bob, room.id, `one ${json}`), await postMessage(srv, alice, room.id, `two ${json}`)];
        await waitFor(() => stdout.split('\n').filter((l) => l).length >= 2, { timeoutMs: 10_000, what: `two lines; stdout: ${stdout}` });
        if (json) {
          assert.deepEqual(jsonLines(stdout), sent);
        } else {
          assert.match(stdout, new RegExp(`^\\[[\\d: -]+\\] ${bob.username}: one false\\n\\[[\\d: -]+\\] ${alice.username}: two false\\n$`));
        }
        proc.kill('SIGTERM');
        assert.deepEqual(await exited, { code: 0, signal: null }, stderr);
      } finally {
        proc.kill('SIGKILL');
      }
    }
  });

  it('login and register ask for the password on the terminal without echoing it', async () => {
    const alice = await srv.registerUser('tty');
    const home = newHome();
    const term = new Terminal();
    try {
      await term.start(cliEnv(home, srv), ['login', alice.username]);
      await term.waitForText(`Password for ${alice.username}: `);
      await term.type(alice.password);
      await term.key('Enter');
      const screen = await term.waitForText('EXIT=');
      assert.match(screen, new RegExp(`logged in as ${alice.username}`));
      assert.match(screen, /EXIT=0/);
      assert.ok(!screen.includes(alice.password), `the password was echoed:\n${screen}`);
      assert.equal(readCredentials(home).username, alice.username);
    } finally {
      await term.dispose();
    }
    const term2 = new Terminal();
    try {
      await term2.start(cliEnv(newHome(), srv), ['register', uniqueName('tty')]);
      await term2.waitForText('Password for ');
      await term2.type('first-password');
      await term2.key('Enter');
      await term2.waitForText('Repeat the password: ');
      await term2.type('other-password');
      await term2.key('Enter');
      const screen = await term2.waitForText('EXIT=');
      assert.match(screen, /parley-cli: the passwords do not match\s+EXIT=1/);
    } finally {
      await term2.dispose();
    }
  });

  it('chat without a terminal sends each line of stdin and leaves at its end', async () => {
    const alice = await srv.registerUser('pipe');
    const a = await loginAs(srv, alice);
    const room = await createRoom(srv, alice);
    const res = expectExit(await cli(a, srv, ['chat', String(room.id)], { input: 'first piped line\nsecond\n' }), 0);
    assert.match(res.stdout, new RegExp(`${alice.username}: first piped line`));
    assert.deepEqual((await fullHistory(srv, alice, room.id)).map((m) => m.content), ['first piped line', 'second']);
  });

  it('progress bar on a terminal', async () => {
    const alice = await srv.registerUser('pb');
    const a = await loginAs(srv, alice);
    const room = await createRoom(srv, alice);
    const image = path.join(newHome(), 'big.jpg');
    await fsp.writeFile(image, await makeImage('jpg', 1200, 900));
    const term = new Terminal();
    try {
      await term.start(cliEnv(a, srv), ['send', String(room.id), '--file', image]);
      const screen = await term.waitForText('EXIT=');
      assert.match(screen, /uploading big\.jpg \[#{30}\] 100% /);
      assert.match(screen, /EXIT=0/);
    } finally {
      await term.dispose();
    }
  });

  it('chat in a terminal: shows messages, typing and presence, sends typing and lines, /quit exits 0', async () => {
    const { a: alice, b: bob, room } = await twoMembers(srv, 'ca', 'cb');
    const a = await loginAs(srv, alice);
    await postMessage(srv, alice, room.id, 'earlier message');
    const ws = await srv.connectWs('/ws', bob.token);
    ws.send({ type: 'join', room_id: room.id });
    await ws.next('joined');

    const term = new Terminal();
    try {
      await term.start(cliEnv(a, srv), ['chat', String(room.id)]);
      await term.waitForText(`* connected as ${alice.username}`);
      await term.waitForText(`${alice.username}: earlier message`);  // recent history first
      await ws.next((f) => f.type === 'presence' && f.username === alice.username && f.status === 'online');

      // Another user's typing indicator and message.
      ws.send({ type: 'typing_start', room_id: room.id });
      await term.waitForText(`${bob.username} is typing…`);
      await ws.sendMessage(room.id, 'hi alice, from bob');
      await term.waitFor((s) => s.includes(`${bob.username}: hi alice, from bob`) && !s.includes('is typing'),
        'the message, and the typing line gone');

      // Typing in the terminal sends typing_start; Enter sends the line.
      await term.type('hello bob');
      await ws.next((f) => f.type === 'typing_start' && f.sender === alice.username);
      await term.waitForText('> hello bob');
      await term.key('Enter');
      const message = await ws.next((f) => f.type === 'message' && f.sender === alice.username);
      assert.equal(message.content, 'hello bob');
      await term.waitForText(`${alice.username}: hello bob`);

      // Backspace edits the line before it is sent.
      await term.type('typo!');
      await term.key('BSpace');
      await term.key('Enter');
      assert.equal((await ws.next((f) => f.type === 'message' && f.sender === alice.username)).content, 'typo');

      // Bob leaves: his presence change shows.
      await ws.close();
      await term.waitForText(`* ${bob.username} is offline`);

      await term.type('/quit');
      await term.key('Enter');
      const screen = await term.waitForText('EXIT=');
      assert.match(screen, /EXIT=0/);
      const history = await fullHistory(srv, alice, room.id);
      assert.deepEqual(history.map((m) => m.content), ['earlier message', 'hi alice, from bob', 'hello bob', 'typo']);
    } finally {
      await term.dispose();
      await ws.close();
    }
  });

  it('chat: Ctrl-D on an empty line leaves; typing stops when the line is erased', async () => {
    const { a: alice, b: bob, room } = await twoMembers(srv, 'da', 'db');
    const a = await loginAs(srv, alice);
    const ws = await srv.connectWs('/ws', bob.token);
    ws.send({ type: 'join', room_id: room.id });
    await ws.next('joined');
    const term = new Terminal();
    try {
      await term.start(cliEnv(a, srv), ['chat', room.name]);
      await term.waitForText('Enter sends');
      await term.type('x');
      await ws.next((f) => f.type === 'typing_start' && f.sender === alice.username);
      await term.key('BSpace');
      await ws.next((f) => f.type === 'typing_stop' && f.sender === alice.username);
      await term.key('C-d');
      const screen = await term.waitForText('EXIT=');
      assert.match(screen, /EXIT=0/);
    } finally {
      await term.dispose();
      await ws.close();
    }
  });
});

describe('parley-cli over https', { timeout: 60_000 }, () => {
  const pki = fs.mkdtempSync(path.join(scratch, 'pki-'));
  let srv;
  before(async () => {
    await execFileP('bash', [path.join(REPO_ROOT, 'tests', 'tools', 'make_test_certs.sh'), pki]);
    srv = await startServer({ 'tls-cert': path.join(pki, 'server.pem'), 'tls-key': path.join(pki, 'server.key') });
  });
  after(async () => { await srv?.dispose(); });

  it('registers, creates a room, sends and reads history with --ca-file; an unrelated CA exits 2', async () => {
    const home = newHome();
    const ca = ['--ca-file', path.join(pki, 'ca.pem')];
    assert.match(srv.baseUrl, /^https:/);
    expectExit(await cli(home, srv, [...ca, 'register', uniqueName('tls'), '--password-stdin'], { input: 'pw-over-tls-1\n' }), 0, 'register');
    const created = expectExit(await cli(home, srv, [...ca, 'create', 'secure room']), 0, 'create');
    const roomId = created.stdout.match(/\d+/)[0];
    expectExit(await cli(home, srv, [...ca, 'send', roomId, 'sent over https']), 0, 'send');
    const history = expectExit(await cli(home, srv, [...ca, 'history', roomId]), 0, 'history');
    assert.match(history.stdout, /sent over https/);

    const untrusted = ['--ca-file', path.join(pki, 'other-ca.pem'), 'login', 'someone', '--password-stdin'];
    const refused = expectExit(await cli(newHome(), srv, untrusted, { input: 'pw-over-tls-1\n' }), 2, 'untrusted CA');
    expectOneLineError(refused, /certificate verify failed/);
  });
});
