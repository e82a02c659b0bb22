#!/usr/bin/env bash
# Upload throughput (1 MiB files, 8 concurrent uploaders) against a fresh release parley.
# Extra arguments go to bench/upload_bench.mjs (--uploaders, --uploads, --size).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target parley -j "$(nproc)" >/dev/null
data=$(mktemp -d)
log=$(mktemp)
./build/release/parley serve --listen 127.0.0.1:0 --data-dir "$data" --password-hash-cost minimum \
  --upload-burst 100000 --uploads-per-minute 1000000 --auth-rate-burst 1000 >"$log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data" "$log"' EXIT
port=""
for _ in $(seq 100); do
  port=$(grep -oP 'listening on [^ ]+:\K[0-9]+' "$log" || true)
  [[ -n "$port" ]] && break
  sleep 0.1  # polling the log for the listening line, at most 10 s
done
[[ -n "$port" ]] || { echo "server did not start"; cat "$log"; exit 1; }
node bench/upload_bench.mjs "http://127.0.0.1:$port" "$@"
