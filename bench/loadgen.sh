#!/usr/bin/env bash
# Measures deliveries/s, latency and server CPU with the shared load generator
# (../shared/bench-peers, the same one the reference servers are measured with).
# Starts a release `parley` pinned to CPU 1 on a fresh data dir, runs the generator pinned to
# CPU 0 against it over loopback, stops the server. Everything is bounded in time.
#
#   bench/loadgen.sh                       # fan-out, 100 rooms of 10, 1,000 clients, 2 and 5 msg/s each
#   bench/loadgen.sh --clients 200 --rooms 20 --rate 1,2 --duration 5
# Extra arguments replace the generator's defaults below. JSON lines go to build/bench/loadgen.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
peers_src="$root/../shared/bench-peers"
work="$root/build/bench"
mkdir -p "$work"

# shared/ is read-only: the generator runs from a copy with its npm packages installed.
if [[ ! -d "$work/bench-peers/node_modules" ]]; then
  rm -rf "$work/bench-peers"
  cp -r "$peers_src" "$work/bench-peers"
  (cd "$work/bench-peers" && npm ci --no-audit --no-fund --loglevel=error)
fi

cmake --preset release >/dev/null
cmake --build --preset release --target parley -j "$(nproc)" >/dev/null

data=$(mktemp -d)
log="$work/server.log"
ulimit -n "$(ulimit -Hn)"
source "$root/bench/server_flags.sh"
taskset -c 1 "$root/build/release/parley" serve --listen 127.0.0.1:0 --data-dir "$data" \
  "${parley_bench_flags[@]}" >"$log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT

port=""
for _ in $(seq 100); do
  port=$(grep -oP 'listening on [^ ]+:\K[0-9]+' "$log" || true)
  [[ -n "$port" ]] && break
  kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1  # polling the log for the listening line, at most 10 s
done
[[ -n "$port" ]] || { echo "server did not start"; cat "$log"; exit 1; }

defaults=(--clients 1000 --rooms 100 --senders 1000 --rate 2,5 --warmup 3 --duration 8)
taskset -c 0 node "$work/bench-peers/loadgen.js" --proto parley --url "ws://127.0.0.1:$port" \
  --server-pid "$server" --server parley --label "${LABEL:-fanout-small}" --out "$work/loadgen.jsonl" \
  "${@:-${defaults[@]}}"
