// The client library's example program (examples/chat_example.cpp) against the real server:
// it logs in, joins, sends, and exits 0 only after its message was acked and echoed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, createRoom, fullHistory, REPO_ROOT } from './lib/harness.mjs';

const EXAMPLE = process.env.PARLEY_CHAT_EXAMPLE ?? path.join(REPO_ROOT, 'build', 'release', 'parley_chat_example');

function run(args, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    const proc = spawn(EXAMPLE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`example did not exit in ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
    proc.on('error', reject);
  });
}

describe('client example program', { timeout: 60_000 }, () => {
  let srv;
  before(async () => {
    assert.ok(fs.existsSync(EXAMPLE), `example binary not found at ${EXAMPLE} (set PARLEY_CHAT_EXAMPLE)`);
    srv = await startServer();
  });
  after(async () => { await srv?.dispose(); });

  it('logs in, joins, sends, exits 0 after ack + echo; the message is in history once', async () => {
    const alice = await srv.registerUser('ex');
    const room = await createRoom(srv, alice);
    const text = `hello from the example ${Date.now()}`;
    const { code, out } = await run([srv.wsUrl, alice.username, alice.password, String(room.id), text]);
    assert.equal(code, 0, out);
    assert.match(out, /connected as /);
    assert.match(out, /stored as message \d+, seq 1/);
    assert.ok(out.includes(`${alice.username}: ${text}`), out);
    const history = await fullHistory(srv, alice, room.id);
    assert.deepEqual(history.map((m) => m.content), [text]);
  });

  it('a wrong password exits 1 with auth_failed', async () => {
    const bob = await srv.registerUser('ey');
    const room = await createRoom(srv, bob);
    const { code, out } = await run([srv.wsUrl, bob.username, 'wrong-password', String(room.id), 'x']);
    assert.equal(code, 1, out);
    assert.match(out, /error auth_failed/);
  });
});
