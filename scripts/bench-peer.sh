#!/usr/bin/env bash
# SignBridge against the Python original, side by side in one run, one core each (the load driver
# on the other): the peer as written (a gc.collect() per frame) and without that gc call, then
# SignBridge on LiteRT and on tract. Prints the driver's side-by-side table.
#
#   ./scripts/bench-peer.sh              the full driver suite (about 6 minutes per server)
#   LOADGEN_ARGS="-n 300 -t 10 --ws-seconds 10" ./scripts/bench-peer.sh    shorter (the README's)
#
# Needs ../shared/bench and its Python venv (`bash ../shared/bench/peer/setup.sh`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bench="${SIGNBRIDGE_BENCH:-$root/../shared/bench}"
scratch="${BENCH_SCRATCH:-/tmp/signbridge-bench}"
cargo build --release --manifest-path "$root/Cargo.toml"
bin="$root/target/release/signbridge"
cd "$bench"
export LOADGEN_ARGS="${LOADGEN_ARGS:-}"
TAG=peer ./run_peer.sh > /dev/null
TAG=peer-nogc SERVER_ENV="PEER_GC_COLLECT=0" ./run_peer.sh > /dev/null
for engine in litert tract; do
  db="$scratch/bench-$engine.sqlite3"
  rm -f "$db"
  SERVER_CMD="$bin serve --host 127.0.0.1 --port {port} --workers 1 --engine $engine --db $db" \
    TAG="rust-$engine" ./run_peer.sh > /dev/null
done
"${PEER_VENV:-/tmp/signbridge-peer/venv}/bin/python" loadgen/loadgen.py report \
  "$scratch/result-peer.json" "$scratch/result-peer-nogc.json" \
  "$scratch/result-rust-litert.json" "$scratch/result-rust-tract.json"
