#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, unit, golden and integration tests,
# then the browser end-to-end tests. Installs what the tests need (Debian's nasm and chromium, npm
# packages); the hand models are fetched by the code itself (npm pack) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

# nasm lets the JPEG decoder (libjpeg-turbo, through the mozjpeg crate) build its SIMD code;
# without it the build falls back to the portable C code: the same pixels, decoded more slowly.
if ! command -v nasm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== installing nasm"
  (apt-get install -y -q nasm || (apt-get update -q && apt-get install -y -q nasm)) >/dev/null
fi

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --release --all-targets -- -D warnings
echo "== cargo build"
cargo build --release
echo "== cargo test"
cargo test --release --workspace
if [ -f tests/e2e/run.sh ]; then
  echo "== browser end-to-end tests"
  SIGNBRIDGE_BIN="$PWD/target/release/signbridge" bash tests/e2e/run.sh
fi
