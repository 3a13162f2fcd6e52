#!/usr/bin/env bash
# A throwaway PostgreSQL for the cluster and the tests: Debian's own binaries (initdb, pg_ctl
# under /usr/lib/postgresql/*/bin), a data folder of its own, 127.0.0.1 only, trust
# authentication (local testing only: never expose it).
#
#   scripts/pg.sh start DIR PORT   creates DIR/data on first use, starts the server on PORT and
#                                  creates the database; prints its URL as the last line
#   scripts/pg.sh stop DIR         stops it (fast shutdown: open connections are closed)
#
# Installs Debian's postgresql package when it is missing and this runs as root. initdb refuses
# to run as root, so as root the server runs as the `postgres` user (or `nobody`).
set -euo pipefail

usage() { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "pg.sh: installing postgresql with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  [ -n "$bin" ] || { echo "pg.sh: PostgreSQL not found under /usr/lib/postgresql (apt-get install -y postgresql)" >&2; exit 1; }
  echo "$bin"
}

# Runs a PostgreSQL command as the data folder's owner (not root).
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

cmd="${1:-}"
dir="${2:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || usage
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  id postgres >/dev/null 2>&1 || owner=nobody
fi

case "$cmd" in
  start)
    port="${3:-}"
    [ -n "$port" ] || usage
    bin=$(pg_bin)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then
      chown "$owner" "$dir"
      as_owner test -w "$dir" \
        || { echo "pg.sh: $owner cannot reach $dir (a parent folder is private: chmod 755 it)" >&2; exit 1; }
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U signbridge --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # The socket goes in the data folder's parent, not /var/run/postgresql (which may not exist).
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
      || { tail -n 20 "$dir/postgres.log" >&2; exit 1; }
    if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U signbridge -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'signbridge'" | grep -q 1; then
      "$bin/createdb" -h 127.0.0.1 -p "$port" -U signbridge signbridge
    fi
    echo "postgres://signbridge@127.0.0.1:$port/signbridge"
    ;;
  stop)
    bin=$(pg_bin)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null
    fi
    ;;
  *) usage ;;
esac
