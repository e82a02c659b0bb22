// Upload throughput: N concurrent uploaders each sending the same 1 MiB file M times to a
// running parley. Prints MiB/s, uploads/s and per-upload latency percentiles.
//   node bench/upload_bench.mjs http://127.0.0.1:PORT [--uploaders 8] [--uploads 25] [--size 1048576] [--kind text|png]
// The server must allow the rate (--upload-burst / --uploads-per-minute) and quota; bench/uploads.sh starts one so.
import { randomBytes } from 'node:crypto';

const [base, ...rest] = process.argv.slice(2);
if (!base) throw new Error('usage: upload_bench.mjs BASE_URL [--uploaders N] [--uploads M] [--size BYTES] [--kind text|png]');
const opt = { uploaders: 8, uploads: 25, size: 1 << 20, kind: 'text' };
for (let i = 0; i < rest.length; i += 2) opt[rest[i].replace(/^--/, '')] = rest[i].includes('kind') ? rest[i + 1] : Number(rest[i + 1]);

// A text file passes sniffing as text/plain (no image decoding): this measures the upload
// path itself (parsing, disk, hashing, fsync). --kind png would add decoding + thumbnails,
// which bench/RESULTS.md measures separately.
const body = Buffer.alloc(opt.size, 'parley upload benchmark line\n');

async function json(method, path, payload, token) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: payload ? JSON.stringify(payload) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${await res.text()}`);
  return res.json();
}

const users = [];
for (let u = 0; u < opt.uploaders; u++) {
  const r = await json('POST', '/api/auth/register', { username: `ub${randomBytes(4).toString('hex')}`, password: 'password-123' });
  users.push(r.access_token);
}

const latencies = [];
const t0 = performance.now();
await Promise.all(users.map(async (token) => {
  for (let i = 0; i < opt.uploads; i++) {
    const form = new FormData();
    form.append('file', new Blob([body], { type: 'text/plain' }), 'bench.txt');
    const start = performance.now();
    const res = await fetch(`${base}/api/upload-file`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    if (res.status !== 200) throw new Error(`upload -> ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    latencies.push(performance.now() - start);
  }
}));
const seconds = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
const total = opt.uploaders * opt.uploads;
console.log(JSON.stringify({
  uploaders: opt.uploaders, uploads: total, size: opt.size, seconds: Number(seconds.toFixed(2)),
  mib_per_s: Number(((total * opt.size) / (1 << 20) / seconds).toFixed(1)), uploads_per_s: Number((total / seconds).toFixed(1)),
  p50_ms: Number(pct(50)), p99_ms: Number(pct(99)), max_ms: Number(latencies.at(-1).toFixed(1)),
}));
