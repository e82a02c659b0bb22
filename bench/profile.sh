#!/usr/bin/env bash
# Where Parley's server CPU goes under fan-out: starts a release `parley` pinned to CPU 1 (as
# bench/compare.sh does), drives it with parley-bench pinned to CPU 0, records the server with
# `perf record -e cpu-clock -g` for PERF_S seconds in the middle of the measured window, and prints
# the split by DSO, the syscalls (with their children) and the top user-space symbols.
#
#   bench/profile.sh                                   # 100 rooms of 10 at 40k deliveries/s
#   bench/profile.sh --clients 1000 --rooms 1 --senders 5 --rate 8    # one room of 1,000 at 40k
#   PARLEY_ARGS="--commit-spacing-us 0" bench/profile.sh               # extra `parley serve` flags
# Needs perf (the software cpu-clock event is enough: this VM has no hardware counters).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work="$root/build/bench"
mkdir -p "$work"
PERF_S=${PERF_S:-8}
args=("$@")
((${#args[@]})) || args=(--clients 1000 --rooms 100 --rate 4)

cmake --preset release >/dev/null
cmake --build --preset release --target parley parley_bench -j "$(nproc)" >/dev/null
ulimit -n "$(ulimit -Hn)"
data=$(mktemp -d)
log="$work/profile-server.log"
source "$root/bench/server_flags.sh"
taskset -c 1 "$root/build/release/parley" serve --listen 127.0.0.1:0 --data-dir "$data" \
  "${parley_bench_flags[@]}" >"$log" 2>&1 &
server=$!
gen=""
cleanup() {
  [[ -n "$gen" ]] && kill "$gen" 2>/dev/null
  kill -TERM "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 100); do
  grep -q listening "$log" && break
  sleep 0.1  # polling the log for the listening line, at most 10 s
done
port=$(grep -oP 'listening on [^ ]+:\K[0-9]+' "$log")
taskset -c 0 "$root/build/release/tools/parley-bench" fanout --proto parley --url "ws://127.0.0.1:$port" \
  --server-pid "$server" --label profile --warmup 2 --duration $((PERF_S + 6)) "${args[@]}" \
  >"$work/profile.jsonl" 2>"$work/profile-bench.log" &
gen=$!
for _ in $(seq 600); do
  grep -q '^step' "$work/profile-bench.log" && break
  kill -0 "$gen" 2>/dev/null || { cat "$work/profile-bench.log"; exit 1; }
  sleep 0.1  # waiting (at most 60 s) for setup and connections: the table header marks the start
done
sleep 3  # into the measured window
taskset -c 0 perf record -e cpu-clock -F 1999 -g -p "$server" -o "$work/perf.data" -- sleep "$PERF_S" 2>/dev/null
wait "$gen" || true
gen=""
tail -2 "$work/profile-bench.log"
report() { perf report -i "$work/perf.data" -g none "$@" 2>/dev/null | grep '%' | cut -c1-160; }
echo "== by DSO"; report --no-children --sort dso | head -8
echo "== syscalls and softirq, with children"
report --children --sort sym | grep -E '\[k\] (__sys_sendmsg|__sys_recvmsg|handle_softirqs|net_rx_action|do_fsync|__x64_sys_pwrite64|do_epoll_wait|schedule)$'
echo "== top user-space symbols"; report --no-children --sort dso,sym | grep -v kernel | head -25
echo "(perf data: $work/perf.data)"
