#!/usr/bin/env bash
# Load through the balancer against one replica direct, in one run: scripts/cluster.sh up (two
# replicas sharing PostgreSQL behind nginx), then the bench driver's closed-loop throughput step
# (`../shared/bench/loadgen/loadgen.py throughput`, POST /predict-image of a 640x480 hand photo)
# first against replica 1 directly, then through nginx; prints requests/s and p50/p99 of each.
#
#   ./scripts/bench-cluster.sh                  1, 2 and 4 clients, 10 s each
#   BENCH_ARGS="-c 1,2,4 -t 20" ./scripts/bench-cluster.sh
#
# Needs ../shared/bench's Python venv (`bash ../shared/bench/peer/setup.sh`). On a machine with
# fewer cores than replicas the balancer adds its own cost and nothing else: two replicas on two
# cores share the same cores one replica already uses.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench="${SIGNBRIDGE_BENCH:-$root/../shared/bench}"
py="${PEER_VENV:-/tmp/signbridge-peer/venv}/bin/python"
scratch="${BENCH_SCRATCH:-/tmp/signbridge-bench}"
args=(${BENCH_ARGS:--c 1,2,4 -t 10})
export SIGNBRIDGE_CLUSTER_DIR="${SIGNBRIDGE_CLUSTER_DIR:-/tmp/signbridge-cluster-bench}"
mkdir -p "$scratch"
if [ ! -f "$scratch/inputs/hand_640x480.jpg" ]; then
  "$py" "$bench/loadgen/make_inputs.py" --out "$scratch/inputs" \
    --main "$root/../shared/data/images/letters/A/A0.jpg" > /dev/null
fi
base=$("$root/scripts/cluster.sh" up | tail -n 1)
trap '"$root/scripts/cluster.sh" down' EXIT
replica=$(grep '^REPLICA_1_URL=' "$SIGNBRIDGE_CLUSTER_DIR/cluster.env" | cut -d= -f2-)
for target in "direct=$replica" "nginx=$base"; do
  name=${target%%=*}
  url=${target#*=}
  "$py" "$bench/loadgen/loadgen.py" throughput --url "$url" \
    --image "$scratch/inputs/hand_640x480.jpg" "${args[@]}" --out "$scratch/cluster-$name.json" > /dev/null
done
"$py" - "$scratch/cluster-direct.json" "$scratch/cluster-nginx.json" <<'PY'
import json, sys
direct, nginx = (json.load(open(p)) for p in sys.argv[1:])
print("| clients | one replica direct: req/s, p50 / p99 ms | nginx + two replicas: req/s, p50 / p99 ms |")
print("|---|---|---|")
for d, n in zip(direct, nginx):
    cell = lambda r: f"{r['rps']}, {r['latency_ms']['p50']} / {r['latency_ms']['p99']}"
    print(f"| {d['concurrency']} | {cell(d)} | {cell(n)} |")
PY
