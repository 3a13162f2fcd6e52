#!/usr/bin/env bash
# The test suite.
#
#   ./scripts/test.sh          everything, as CI runs it: formatting, lints, unit tests, the server
#                              over stub and real models, golden tests against MediaPipe, the CLI,
#                              training reproducibility, and the browser end-to-end tests
#   ./scripts/test.sh --fast   everyday work (no models, no browsers): formatting, lints, unit
#                              tests and the server over stub models
#
# Installs what the full run needs (Debian's nasm, chromium, firefox-esr, postgresql and nginx,
# and pip if missing, when run as root; the e2e npm packages); the hand models (npm pack) and the LiteRT library
# (pip download) are fetched by the code itself on first use.
# Each step prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
case "${1:-}" in
  "") ;;
  --fast) mode=fast ;;
  *) echo "usage: $0 [--fast]" >&2; exit 2 ;;
esac

started=$SECONDS
step() { echo "== $1 ($((SECONDS - started)) s)"; }

if [ "$mode" = fast ]; then
  step "cargo fmt"
  cargo fmt --all -- --check
  step "cargo clippy"
  cargo clippy --all-targets -- -D warnings
  step "unit tests, and the server over stub models"
  # --lib: every crate's own tests; the `server` binary: the server over real sockets, with stub
  # models (its real-model test is skipped here).
  cargo test --workspace --lib
  cargo test -p signbridge-server --test server -- --skip real_models
  step "done"
  exit 0
fi

apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

# nasm lets the JPEG decoder (libjpeg-turbo, through the mozjpeg crate) build its SIMD code;
# without it the build falls back to the portable C code: the same pixels, decoded more slowly.
# It is needed before the build; the browsers, PostgreSQL, nginx and the e2e npm packages only at
# the end, so they are fetched in the background while Rust compiles (their log:
# target/e2e-setup.log).
if ! command -v nasm >/dev/null 2>&1; then
  step "installing nasm"
  apt_install nasm
fi
# pip fetches the LiteRT library (the default engine); the golden tests run on both engines and,
# under CI, fail rather than skip LiteRT.
if ! { command -v pip3 || command -v pip || python3 -m pip --version; } >/dev/null 2>&1; then
  step "installing pip"
  apt_install python3-pip
fi
mkdir -p target
packages=()
[ -x "${SIGNBRIDGE_CHROMIUM:-/usr/bin/chromium}" ] || packages+=(chromium)
[ -x "${SIGNBRIDGE_FIREFOX:-/usr/bin/firefox-esr}" ] || packages+=(firefox-esr)
# PostgreSQL and nginx: the storage tests on PostgreSQL and the cluster tests (scripts/cluster.sh).
ls -d /usr/lib/postgresql/*/bin > /dev/null 2>&1 || packages+=(postgresql)
command -v nginx > /dev/null 2>&1 || [ -x /usr/sbin/nginx ] || packages+=(nginx)
# At the lowest CPU priority: unpacking the packages must not slow the build down.
(
  renice -n 19 $BASHPID > /dev/null
  if [ "${#packages[@]}" -gt 0 ]; then apt_install "${packages[@]}"; fi
  cd tests/e2e && npm ci --no-audit --no-fund
) > target/e2e-setup.log 2>&1 &
setup_pid=$!

step "cargo fmt"
cargo fmt --all -- --check
# One build of every target (tests, examples, benches), with clippy's lints on our own crates:
# the same lints as `cargo clippy --release --all-targets -- -D warnings`, without compiling the
# dependencies a second time in check mode.
export RUSTC_WORKSPACE_WRAPPER="$PWD/scripts/clippy-rustc"
step "build every target with clippy's lints (warnings are errors)"
cargo test --release --workspace --no-run
# The benchmarks too (built, not run), so that clippy sees them as with --all-targets.
cargo test --release --workspace --benches --no-run
step "fetch the hand models and the LiteRT library (first use only)"
# Once, before the Rust tests and the browser tests below start servers that would each fetch them.
data="${SIGNBRIDGE_DATA:-../shared/data}"
target/release/signbridge detect --engine litert "$data/images/letters/B/B0.jpg" > /dev/null 2>&1 \
  || target/release/signbridge detect --engine litert "$data/images/letters/B/B0.jpg" > /dev/null
step "waiting for the browser and npm set-up"
if ! wait "$setup_pid"; then
  cat target/e2e-setup.log >&2
  echo "browser or npm set-up failed (log above)" >&2
  exit 1
fi
# The browser tests mostly wait for real time (a 19 s clip played to the camera, keep-alive
# sleeps), so the Rust tests run beside them at the lowest CPU priority: the browser tests' server
# and browsers get the cores whenever they need them. The browser tests' output follows the Rust
# tests'.
step "cargo test, with the browser end-to-end tests beside it"
SIGNBRIDGE_E2E_NPM_READY=1 SIGNBRIDGE_BIN="$PWD/target/release/signbridge" \
  bash tests/e2e/run.sh > target/e2e.log 2>&1 &
e2e_pid=$!
rust_status=0
nice -n 19 cargo test --release --workspace || rust_status=$?
e2e_status=0
wait "$e2e_pid" || e2e_status=$?
step "browser end-to-end tests (they ran beside cargo test)"
cat target/e2e.log
if [ "$rust_status" != 0 ] || [ "$e2e_status" != 0 ]; then
  echo "FAILED: cargo test exit $rust_status, browser tests exit $e2e_status" >&2
  exit 1
fi
step "done"
