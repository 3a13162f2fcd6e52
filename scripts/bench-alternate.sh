#!/usr/bin/env bash
# SignBridge against the Python peer without its per-frame gc call, measured in alternation: both
# servers run pinned to the same core (only the one under load works), and each round measures
# one, then the other (the order flips every round), with ../shared/bench's own load driver on the
# other core. This virtual machine's speed drifts by up to a third within minutes, so a table from
# servers measured one after another (scripts/bench-peer.sh) can reverse a small gap; medians
# over alternating rounds do not. Prints one table of medians over the rounds.
#
#   ./scripts/bench-alternate.sh                      5 rounds (about 12 minutes)
#   ROUNDS=3 SESSIONS=8,10,12 ./scripts/bench-alternate.sh
#   PRECISION=int8 ./scripts/bench-alternate.sh          SignBridge with --precision int8
#
# Needs ../shared/bench and its Python venv (`bash ../shared/bench/peer/setup.sh`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench="${SIGNBRIDGE_BENCH:-$root/../shared/bench}"
venv="${PEER_VENV:-/tmp/signbridge-peer/venv}"
py="$venv/bin/python"
rounds="${ROUNDS:-5}"
sessions="${SESSIONS:-6,8,10,12}"
engine="${ENGINE:-litert}"
precision="${PRECISION:-exact}"
[[ -x "$py" ]] || { echo "bench-alternate.sh: run bash $bench/peer/setup.sh first" >&2; exit 1; }
[ "${SKIP_BUILD:-}" = 1 ] || cargo build --release --manifest-path "$root/Cargo.toml"
scratch="$(mktemp -d)"
letters="$bench/../data/images/letters"
"$py" "$bench/loadgen/make_inputs.py" --out "$scratch/inputs" --main "$letters/A/A0.jpg" \
  --frames "$letters/H/H0.jpg" "$letters/E/E0.jpg" "$letters/L/L0.jpg" "$letters/L/L7.jpg" \
  "$letters/O/O1.jpg" > /dev/null

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
peer_port="$(free_port)"
ours_port="$(free_port)"
PEER_GC_COLLECT=0 taskset -c 1 "$py" "$bench/peer/server.py" --host 127.0.0.1 --port "$peer_port" \
  > "$scratch/peer.log" 2>&1 &
peer_pid=$!
taskset -c 1 "$root/target/release/signbridge" serve --host 127.0.0.1 --port "$ours_port" \
  --workers 1 --engine "$engine" --precision "$precision" --db "$scratch/bench.sqlite3" > "$scratch/ours.log" 2>&1 &
ours_pid=$!
trap 'kill "$peer_pid" "$ours_pid" 2>/dev/null; wait "$peer_pid" "$ours_pid" 2>/dev/null; rm -rf "$scratch"' EXIT
for port in "$peer_port" "$ours_port"; do
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/health" > /dev/null && break
    sleep 0.1
  done
done

measure() { # name port pid round
  local out="$scratch/$1-$4"
  local url="http://127.0.0.1:$2"
  local driver=(taskset -c 0 "$py" "$bench/loadgen/loadgen.py")
  "${driver[@]}" seq --url "$url" --pid "$3" --image "$scratch/inputs/hand_640x480.jpg" -n 200 > "$out-seq.json" 2>/dev/null
  "${driver[@]}" throughput --url "$url" --pid "$3" --image "$scratch/inputs/hand_640x480.jpg" -c 1,2,4 -t 5 > "$out-tp.json" 2>/dev/null
  "${driver[@]}" ws --url "$url" --pid "$3" --frames "$scratch"/inputs/frames/*.jpg --hold 5 --fps 5 \
    -s "$sessions" --ws-seconds 10 > "$out-ws.json" 2>/dev/null
  echo "round $4: $1 done" >&2
}
for round in $(seq 1 "$rounds"); do
  if (( round % 2 )); then
    measure peer "$peer_port" "$peer_pid" "$round"; measure ours "$ours_port" "$ours_pid" "$round"
  else
    measure ours "$ours_port" "$ours_pid" "$round"; measure peer "$peer_port" "$peer_pid" "$round"
  fi
done
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
echo "RSS at the end: peer $(rss "$peer_pid") MiB, SignBridge $(rss "$ours_pid") MiB"

"$py" - "$scratch" "$rounds" "$engine, $precision" <<'EOF'
import json, statistics, sys
scratch, rounds, engine = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(name, r, kind):
    with open(f"{scratch}/{name}-{r}-{kind}.json") as f:
        return json.load(f)
def rows(name):
    out = {}
    for r in range(1, rounds + 1):
        seq, tp, ws = load(name, r, "seq"), load(name, r, "tp"), load(name, r, "ws")
        vals = {
            "/predict-image p50 (ms)": seq["latency_ms"]["p50"],
            "/predict-image p99 (ms)": seq["latency_ms"]["p99"],
            "server CPU per request (ms)": seq["server_cpu_ms_per_request"],
        }
        for level in tp:
            vals[f"requests/s, {level['concurrency']} client(s)"] = level["rps"]
        held = 0
        for step in ws["steps"]:
            ok = step["frames_answered"] == step["frames_sent"] and step["rtt_ms"]["p99"] < 200
            vals[f"WebSocket p99 at {step['sessions']} sessions (ms)"] = step["rtt_ms"]["p99"]
            if ok:
                held = max(held, step["sessions"])
        vals["most sessions at 5 fps with p99 < 200 ms"] = held
        for k, v in vals.items():
            out.setdefault(k, []).append(v)
    return out
peer, ours = rows("peer"), rows("ours")
print(f"| median of {rounds} alternating rounds | peer without gc | SignBridge, {engine} |")
print("|---|---|---|")
for k in peer:
    fmt = lambda xs: f"{statistics.median(xs):.1f} ({min(xs):.1f}-{max(xs):.1f})"
    print(f"| {k} | {fmt(peer[k])} | {fmt(ours[k])} |")
EOF
