// parley-bench (tools/bench) against the real server and against a tiny broadcast peer written
// here (the plain protocol of shared/bench-peers: ws://HOST/?room=R, every text frame to the room).
// Small, short runs: the output's shape and exact delivery accounting are checked, never speed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { startServer, REPO_ROOT } from './lib/harness.mjs';

const BENCH = process.env.PARLEY_BENCH ?? path.join(REPO_ROOT, 'build', 'release', 'tools', 'parley-bench');

function runBench(args, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BENCH, [...args, '--watchdog', String(timeoutMs / 1000 - 5)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`parley-bench did not exit in ${timeoutMs} ms:\n${err}`)); }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      const lines = out.split('\n').filter((l) => l.trim());
      let json;
      try {
        json = lines.map((l) => JSON.parse(l));
      } catch (e) {
        return reject(new Error(`stdout is not JSON lines (${e.message}):\n${out}\n${err}`));
      }
      resolve({ code, json, err });
    });
    proc.on('error', reject);
  });
}

// Every load step: exact accounting (nothing lost or repeated), deliveries measured, fields present.
function checkLoadStep(step, { clients, rooms, err }) {
  const ctx = JSON.stringify(step) + '\n' + err;
  assert.equal(step.mode, 'load', ctx);
  assert.equal(step.clients, clients, ctx);
  assert.equal(step.rooms, rooms, ctx);
  assert.equal(step.lost, 0, ctx);
  assert.equal(step.dup, 0, ctx);
  assert.equal(step.misrouted, 0, ctx);
  assert.equal(step.disconnects, 0, ctx);
  assert.ok(step.sent > 0, ctx);
  assert.equal(step.received_deliveries, step.expected_deliveries, ctx);
  assert.equal(step.expected_deliveries, step.sent * (clients / rooms), ctx);
  assert.ok(step.deliveries_per_s > 0, ctx);
  for (const k of ['lat_p50_ms', 'lat_p99_ms', 'lat_p999_ms', 'lat_max_ms', 'server_cpu_us_per_delivery',
    'server_user_us_per_delivery', 'server_sys_us_per_delivery', 'gen_cpu_pct']) {
    assert.equal(typeof step[k], 'number', `${k}: ${ctx}`);
  }
  assert.ok(step.lat_p50_ms <= step.lat_p99_ms && step.lat_p99_ms <= step.lat_max_ms, ctx);
  assert.equal(typeof step.pass, 'boolean', ctx);
}

describe('parley-bench', { timeout: 150_000 }, () => {
  before(() => {
    assert.ok(fs.existsSync(BENCH), `parley-bench not found at ${BENCH} (set PARLEY_BENCH)`);
  });

  describe('against parley', () => {
    let srv;
    before(async () => {
      srv = await startServer({ 'msg-rate-burst': 100_000, 'msg-rate-per-s': 100_000, 'api-rate-burst': 100_000,
        'api-rate-per-s': 100_000, 'max-connections-per-user': 100 });
    });
    after(async () => { await srv?.dispose(); });

    it('fanout: 40 clients in 4 rooms, two steps, nothing lost or duplicated', async () => {
      const { code, json, err } = await runBench(['fanout', '--proto', 'parley', '--url', srv.wsUrl,
        '--server-pid', String(srv.proc.pid), '--clients', '40', '--rooms', '4', '--parley-users', '10',
        '--rate', '2,4', '--warmup', '0.5', '--duration', '1', '--drain', '5', '--label', 'it',
        // Correctness only: a busy CI machine may stall a step past the default latency limit.
        '--stop-p99-ms', '60000', '--stop-shortfall', '1']);
      assert.equal(code, 0, err);
      assert.equal(json.length, 2, err);
      json.forEach((step, i) => {
        checkLoadStep(step, { clients: 40, rooms: 4, err });
        assert.equal(step.step, i);
        assert.equal(step.server, 'parley');
        assert.equal(step.label, 'it');
      });
      assert.equal(json[0].connected, 40, err);
      assert.match(err, /step +offered/);  // the human table on stderr
    });
  });

  describe('against a plain broadcast peer', () => {
    let wss;
    let url;
    before(async () => {
      wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      const rooms = new Map();
      wss.on('connection', (ws, req) => {
        const room = new URL(req.url, 'http://peer').searchParams.get('room');
        if (!rooms.has(room)) rooms.set(room, new Set());
        rooms.get(room).add(ws);
        ws.on('message', (data, isBinary) => {
          if (isBinary) return;
          for (const peer of rooms.get(room)) peer.send(data, { binary: false });
        });
        ws.on('close', () => rooms.get(room).delete(ws));
      });
      await new Promise((resolve) => wss.on('listening', resolve));
      url = `ws://127.0.0.1:${wss.address().port}`;
    });
    after(async () => {
      for (const ws of wss?.clients ?? []) ws.terminate();
      await new Promise((resolve) => wss.close(resolve));
    });

    it('ramp: steps up from the first rate, then a step at half the best passing rate', async () => {
      const { code, json, err } = await runBench(['ramp', '--proto', 'ws', '--url', url, '--clients', '20',
        '--rooms', '2', '--rate', '1', '--ramp-factor', '2', '--ramp-max-steps', '2', '--warmup', '0.3',
        '--server-pid', String(process.pid),
        '--duration', '0.7', '--drain', '3']);
      assert.equal(code, 0, err);
      assert.equal(json.length, 3, err);  // two ramp steps (both pass at this load) and the half step
      json.forEach((step) => checkLoadStep(step, { clients: 20, rooms: 2, err }));
      assert.deepEqual(json.map((s) => s.rate_per_sender), [1, 2, 1]);
      assert.deepEqual(json.map((s) => s.half_of_max), [false, false, true]);
    });

    it('connections: idle clients over two source addresses, RSS of the given PID', async () => {
      const { code, json, err } = await runBench(['connections', '--proto', 'ws', '--url', url, '--clients', '50',
        '--rooms', '5', '--src-ips', '2', '--duration', '0.5', '--server-pid', String(process.pid)]);
      assert.equal(code, 0, err);
      assert.equal(json.length, 1, err);
      const r = json[0];
      assert.equal(r.mode, 'idle', err);
      assert.equal(r.connected, 50, err);
      assert.equal(r.connect_failures, 0, err);
      assert.equal(typeof r.rss_kib_per_conn, 'number', err);
      assert.ok(r.server_rss_held_kib > 0, err);
    });
  });

  it('a refused upgrade fails the run with the reason', async () => {
    const srv = await startServer();
    try {
      const { code, json, err } = await runBench(['fanout', '--proto', 'ws', '--url', srv.wsUrl, '--clients', '2',
        '--rooms', '1', '--rate', '1', '--warmup', '0.1', '--duration', '0.1']);
      assert.equal(code, 2, err);
      assert.equal(json[0].mode, 'error', err);
      assert.match(json[0].first_error, /upgrade refused: HTTP\/1.1 40\d/);
    } finally {
      await srv.dispose();
    }
  });
});
