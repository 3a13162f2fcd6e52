#!/usr/bin/env bash
# On-device mode under load: the server on one core (taskset -c 0), the load driver on the other
# (crates/server/examples/landmark_load.rs): SESSIONS WebSocket sessions sending landmarks at FPS
# frames a second for SECONDS. Prints the round trips (p50/p90/p99), the sessions that stayed up and
# the server's RSS per session. The server is started on 127.0.0.1 and stopped by its pid.
#
#   ./scripts/bench-landmarks.sh                       500 sessions, 10 fps, 30 s (the README's)
#   SESSIONS=1000 RUN_SECONDS=20 ./scripts/bench-landmarks.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sessions="${SESSIONS:-500}"
fps="${FPS:-10}"
seconds="${RUN_SECONDS:-30}"
port="${PORT:-18471}"
scratch="$(mktemp -d)"
[ "${SKIP_BUILD:-}" = 1 ] || cargo build --release --manifest-path "$root/Cargo.toml" -p signbridge -p signbridge-server --example landmark_load
bin="$root/target/release/signbridge"
taskset -c 0 "$bin" serve --host 127.0.0.1 --port "$port" --workers 1 --on-device false \
  --max-sessions $((sessions + 100)) --db "$scratch/bench.sqlite3" > "$scratch/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$scratch"' EXIT
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$port/health" > /dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$scratch/server.log"; exit 1; }
  sleep 0.1
done
taskset -c 1 "$root/target/release/examples/landmark_load" --url "http://127.0.0.1:$port" \
  --sessions "$sessions" --fps "$fps" --seconds "$seconds"
