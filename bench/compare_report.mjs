#!/usr/bin/env node
// Summarizes parley-bench JSON lines (bench/compare.sh's build/bench/compare-*.jsonl) as the
// Markdown tables of bench/RESULTS.md. Several files may be given (several runs): each figure
// says how many steps it comes from, and steps flagged `contaminated` (another task took > 5%
// of a pinned core) are left out of the CPU and latency figures whenever clean ones exist.
//
//   node bench/compare_report.mjs build/bench/compare-*.jsonl
import fs from 'node:fs';

const rows = process.argv.slice(2).flatMap((f) =>
  fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
const servers = [...new Set(rows.map((r) => r.server))];
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const k = (x) => (Number.isFinite(x) ? `${(x / 1000).toFixed(1)}k` : '–');
// Clean steps when there are any, else all of them (marked).
const prefer = (steps) => {
  const clean = steps.filter((s) => !s.contaminated);
  return clean.length ? { steps: clean, mark: '' } : { steps, mark: steps.length ? ' ⚠' : '' };
};

console.log('| shape | server | CPU µs/delivery @20k (user + kernel) | p50 / p99 ms @20k | max sustained deliveries/s | p99 ms at half of it | steps |');
console.log('|---|---|---|---|---|---|---|');
for (const shape of ['small', 'big']) {
  for (const server of servers) {
    const at20 = rows.filter((r) => r.server === server && r.label === `fanout-${shape}` && r.mode === 'load');
    const { steps, mark } = prefer(at20);
    const ramp = rows.filter((r) => r.server === server && r.label === `ramp-${shape}` && r.mode === 'load');
    const passed = ramp.filter((r) => r.pass && !r.half_of_max);
    // The best clean pass; a contaminated pass only when no clean step passed.
    const bestOf = (xs) => xs.reduce((m, r) => (r.deliveries_per_s > (m?.deliveries_per_s ?? 0) ? r : m), null);
    const best = bestOf(passed.filter((r) => !r.contaminated)) ?? bestOf(passed);
    const half = prefer(ramp.filter((r) => r.half_of_max));
    if (!steps.length && !ramp.length) continue;
    const cpu = median(steps.map((s) => s.server_cpu_us_per_delivery));
    const user = median(steps.map((s) => s.server_user_us_per_delivery));
    const sys = median(steps.map((s) => s.server_sys_us_per_delivery));
    const failed = ramp.filter((r) => !r.pass && !r.half_of_max);
    // The lowest failing offered rate above the best pass: why it failed, and whether it was clean.
    const above = failed.filter((r) => !best || r.offered_deliveries_per_s > best.offered_deliveries_per_s);
    const low = above.reduce((m, r) => (m && m.offered_deliveries_per_s <= r.offered_deliveries_per_s ? m : r), null);
    const limit = low
      ? ` (failed at ${k(low.offered_deliveries_per_s)}${above.every((r) => r.contaminated) ? ' ⚠' : ''}: p99 ${f1(low.lat_p99_ms)} ms, server ${f1(low.server_cpu_pct)}% CPU)`
      : '';
    console.log(`| ${shape === 'small' ? '100 rooms of 10' : '1 room of 1,000'} | ${server} | ` +
      `${f2(cpu)} (${f2(user)} + ${f2(sys)})${mark} | ` +
      `${f2(median(steps.map((s) => s.lat_p50_ms)))} / ${f2(median(steps.map((s) => s.lat_p99_ms)))}${mark} | ` +
      `${best ? k(best.deliveries_per_s) + (best.contaminated ? ' ⚠' : '') : '–'}${limit} | ` +
      `${half.steps.length ? f2(median(half.steps.map((s) => s.lat_p99_ms))) + ` @${k(half.steps[0].offered_deliveries_per_s)}` + half.mark : '–'} | ` +
      `${at20.filter((x) => !x.contaminated).length}/${at20.length} clean @20k, ${ramp.filter((x) => !x.contaminated).length}/${ramp.length} clean in ramps |`);
  }
}
console.log('\n| server | connections | connect wall s (per s) | connect p50 / p99 ms | server RSS before → held MiB | KiB per connection | server CPU µs per connect |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows.filter((x) => x.mode === 'idle')) {
  console.log(`| ${r.server} | ${r.connected}/${r.clients} | ${f2(r.connect_wall_s)} (${Math.round(r.connect_per_s)}) | ` +
    `${f1(r.connect_p50_ms)} / ${f1(r.connect_p99_ms)} | ${f1(r.server_rss_before_kib / 1024)} → ${f1(r.server_rss_held_kib / 1024)} | ` +
    `${f2(r.rss_kib_per_conn)} | ${f1(r.server_cpu_us_per_connect)} |`);
}
