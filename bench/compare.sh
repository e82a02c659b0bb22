#!/usr/bin/env bash
# Parley beside the reference servers of ../shared/bench-peers (peer_ws.js, peer_socketio.js),
# all measured by the same C++ generator (parley-bench) in one run. Each server is started fresh
# per scenario, pinned to CPU 1; the generator runs pinned to CPU 0; every process is stopped by
# its PID; every run is bounded in time (timeout + the generator's own watchdog).
#
#   bench/compare.sh                  # everything, ~15 min
#   SERVERS="parley ws" SCENARIOS="fanout-small ramp-small" bench/compare.sh
#   WARMUP=2 DURATION=4 bench/compare.sh   # quicker, noisier
#   PARLEY_ARGS="--commit-spacing-us 0" SERVERS=parley bench/compare.sh   # extra `parley serve` flags
# JSON lines: build/bench/compare-<stamp>.jsonl; logs in build/bench/logs-<stamp>/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source "$root/bench/server_flags.sh"
work="$root/build/bench"
mkdir -p "$work"

WARMUP=${WARMUP:-3}
DURATION=${DURATION:-8}
SERVER_CPU=${SERVER_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
SERVERS=${SERVERS:-"parley ws socketio"}
SCENARIOS=${SCENARIOS:-"fanout-small fanout-big ramp-small ramp-big idle idle-max"}
IDLE_MAX=${IDLE_MAX:-19000}  # connections for idle-max: the open-file hard limit here is 20,000

# shared/ is read-only: the peers run from a copy with their npm packages installed.
if [[ ! -d "$work/bench-peers/node_modules" ]]; then
  rm -rf "$work/bench-peers"
  cp -r "$root/../shared/bench-peers" "$work/bench-peers"
  (cd "$work/bench-peers" && npm ci --no-audit --no-fund --loglevel=error)
fi
cmake --preset release >/dev/null
cmake --build --preset release --target parley parley_bench -j "$(nproc)" >/dev/null
bench="$root/build/release/tools/parley-bench"

ulimit -n "$(ulimit -Hn)"
stamp=$(date +%Y%m%d-%H%M%S)
logs="$work/logs-$stamp"
jsonl="$work/compare-$stamp.jsonl"
mkdir -p "$logs"
: >"$jsonl"

SPID="" PORT="" DATA=""
stop_server() {
  [[ -n "$SPID" ]] || return 0
  kill -TERM "$SPID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SPID" 2>/dev/null && { echo "server $SPID did not stop on SIGTERM; SIGKILL"; kill -KILL "$SPID"; }
  wait "$SPID" 2>/dev/null || true
  SPID=""
  [[ -n "$DATA" ]] && rm -rf "$DATA"
  DATA=""
}
trap stop_server EXIT INT TERM

# start_server NAME SCENARIO: a fresh server pinned to SERVER_CPU; sets SPID and PORT.
start_server() {
  local name=$1 log="$logs/server-$1-$2.log"
  case "$name" in
    parley)
      DATA=$(mktemp -d)
      taskset -c "$SERVER_CPU" "$root/build/release/parley" serve --listen 127.0.0.1:0 --data-dir "$DATA" \
        "${parley_bench_flags[@]}" >"$log" 2>&1 &
      SPID=$!
      ;;
    ws | socketio)
      local script=peer_ws.js
      [[ $name == socketio ]] && script=peer_socketio.js
      PORT=$((9200 + RANDOM % 500))
      (cd "$work/bench-peers" && exec taskset -c "$SERVER_CPU" node "$script" --port "$PORT") >"$log" 2>&1 &
      SPID=$!
      ;;
  esac
  for _ in $(seq 100); do
    grep -q listening "$log" 2>/dev/null && break
    kill -0 "$SPID" 2>/dev/null || { echo "server $name died:"; cat "$log"; exit 1; }
    sleep 0.1  # polling the log for its listening line, at most 10 s
  done
  grep -q listening "$log" || { echo "server $name did not start"; cat "$log"; exit 1; }
  [[ $name == parley ]] && PORT=$(grep -oP 'listening on [^ ]+:\K[0-9]+' "$log")
  sleep 1  # let the RSS settle before the baseline is read
}

# gen NAME LABEL SCENARIO ARGS...: parley-bench pinned to GEN_CPU against the running server.
gen() {
  local name=$1 label=$2 scenario=$3
  shift 3
  local proto=$name
  echo "== $name: $label"
  if ! timeout 1200 taskset -c "$GEN_CPU" "$bench" "$scenario" --proto "$proto" --url "ws://127.0.0.1:$PORT" \
    --server-pid "$SPID" --server "$name" --label "$label" --warmup "$WARMUP" --duration "$DURATION" \
    --out "$jsonl" "$@" 2>&1 >/dev/null | tee -a "$logs/bench.log"; then
    echo "parley-bench $label/$name failed" | tee -a "$logs/bench.log"
  fi
}

# Two cores leave no room for anything else: wait (bounded) for a quiet machine before each scenario.
busy_pct() {
  local a b
  read -r _ u n s i w q sq st _ </proc/stat; a=$((u + n + s + q + sq)); b=$((a + i + w + st))
  sleep 2
  read -r _ u n s i w q sq st _ </proc/stat; echo $((100 * (u + n + s + q + sq - a) / (u + n + s + q + sq + i + w + st - b)))
}
wait_quiet() {
  local b
  for _ in $(seq "${QUIET_TRIES:-20}"); do
    b=$(busy_pct)
    ((b <= 10)) && return 0
    echo "machine ${b}% busy; waiting for quiet. Busiest:"; ps -eo pid,pcpu,args --sort=-pcpu | head -3 | cut -c1-120
    sleep 6
  done
  echo "still busy; measuring anyway (steps will be flagged contaminated)"
}

for name in $SERVERS; do
  for sc in $SCENARIOS; do
    [[ $sc == idle-max && $name != parley ]] && continue
    wait_quiet  # before each scenario, at most ~3 min
    case "$sc" in
      fanout-small)  # 20k deliveries/s three times: the common load, CPU per delivery
        start_server "$name" "$sc"; gen "$name" "$sc" fanout --clients 1000 --rooms 100 --rate 2,2,2 ;;
      fanout-big)
        start_server "$name" "$sc"; gen "$name" "$sc" fanout --clients 1000 --rooms 1 --senders 5 --rate 4,4,4 ;;
      ramp-small)  # from 30k deliveries/s, x1.25 per step until one fails, one bisection, then half the max
        start_server "$name" "$sc"; gen "$name" "$sc" ramp --clients 1000 --rooms 100 --rate 3 --refine 1 ;;
      ramp-big)
        start_server "$name" "$sc"; gen "$name" "$sc" ramp --clients 1000 --rooms 1 --senders 5 --rate 6 --refine 1 ;;
      idle)
        start_server "$name" "$sc"; gen "$name" "$sc" connections --clients 10000 --rooms 1000 --src-ips 4 --duration 5 ;;
      idle-max)
        start_server "$name" "$sc"
        gen "$name" "$sc" connections --clients "$IDLE_MAX" --rooms 1900 --src-ips 4 --duration 5 --parley-join ws ;;
    esac
    stop_server
  done
done
echo "== done: $jsonl"
