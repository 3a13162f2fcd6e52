#!/usr/bin/env bash
# Browser end-to-end tests: installs the npm dependencies (npm ci), makes sure Debian's Chromium and Firefox ESR are there,
# then runs every suite in one node process (`node --test tests/e2e/e2e.test.mjs`) from the repository root.
# Exits non-zero on any failure.
# Environment: SIGNBRIDGE_BIN (default target/release/signbridge), SIGNBRIDGE_DATA (default ../shared/data),
# SIGNBRIDGE_MODELS (passed through to the server), SIGNBRIDGE_CHROMIUM (default /usr/bin/chromium),
# SIGNBRIDGE_FIREFOX (default /usr/bin/firefox-esr).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# scripts/test.sh installs the npm packages in the background while Rust compiles, and says so.
if [ "${SIGNBRIDGE_E2E_NPM_READY:-}" != 1 ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi

chromium="${SIGNBRIDGE_CHROMIUM:-/usr/bin/chromium}"
firefox="${SIGNBRIDGE_FIREFOX:-/usr/bin/firefox-esr}"
missing=()
[ -x "$chromium" ] || missing+=(chromium)
[ -x "$firefox" ] || missing+=(firefox-esr)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "run.sh: installing ${missing[*]} with apt-get" >&2
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  else
    echo "run.sh: ${missing[*]} missing; install with apt-get install -y ${missing[*]} (or set SIGNBRIDGE_CHROMIUM / SIGNBRIDGE_FIREFOX)" >&2
    exit 1
  fi
fi

bin="${SIGNBRIDGE_BIN:-$root/target/release/signbridge}"
if [ ! -x "$bin" ]; then
  echo "run.sh: server binary $bin not found (cargo build --release, or set SIGNBRIDGE_BIN)" >&2
  exit 1
fi

cd "$root"
exec node --test tests/e2e/e2e.test.mjs
