#!/usr/bin/env bash
# A local cluster: PostgreSQL, two `signbridge serve` replicas sharing it, and nginx in front.
# The same script the cluster tests use (tests/e2e/suites/cluster.mjs).
#
#   scripts/cluster.sh up              installs what is missing (postgresql, nginx; apt when
#                                      root), builds target/release/signbridge if missing,
#                                      starts it all on free 127.0.0.1 ports; the last line
#                                      printed is the balancer's base URL
#   scripts/cluster.sh kill-replica N  SIGKILL to replica N (1 or 2); returns once it is dead
#   scripts/cluster.sh down            stops all of it by the pids it started and removes
#                                      its temporary data
#
# Environment: SIGNBRIDGE_CLUSTER_DIR (its folder, default /tmp/signbridge-cluster: one cluster
# per folder), SIGNBRIDGE_BIN (the server binary), SIGNBRIDGE_CLUSTER_ARGS (more flags for each
# replica, e.g. "--workers 1"). The folder's cluster.env lists the URLs and pids, for tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${SIGNBRIDGE_CLUSTER_DIR:-/tmp/signbridge-cluster}"
replicas=2

usage() { echo "usage: $0 up | down | kill-replica N" >&2; exit 2; }

install_missing() {
  local missing=()
  ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing+=(postgresql)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ "${#missing[@]}" -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "cluster.sh: installing ${missing[*]} with apt-get" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
  else
    echo "cluster.sh: ${missing[*]} missing (apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (bounded) until URL/health answers 200, or the process PID exits.
wait_healthy() {
  local url="$1" pid="$2" log="$3"
  for _ in $(seq 1 600); do
    if curl -fs -o /dev/null --max-time 2 "$url/health"; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      echo "cluster.sh: the process behind $url exited; its log:" >&2
      tail -n 30 "$log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "cluster.sh: $url not healthy after 120 s; log:" >&2
  tail -n 30 "$log" >&2
  return 1
}

# Stops the process whose pid is in FILE: TERM, then KILL after 5 s.
stop_pid_file() {
  local file="$1" pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

up() {
  install_missing
  local bin="${SIGNBRIDGE_BIN:-$root/target/release/signbridge}"
  if [ ! -x "$bin" ]; then
    echo "cluster.sh: building $bin" >&2
    cargo build --release --manifest-path "$root/Cargo.toml" >&2
  fi
  mkdir -p "$dir"
  # PostgreSQL runs as another user when we are root: it must reach its folder.
  chmod 755 "$dir"
  local pg_port url
  pg_port=$(free_port)
  url=$("$root/scripts/pg.sh" start "$dir/pg" "$pg_port" | tail -n 1)
  {
    echo "DATABASE_URL=$url"
    echo "PG_DIR=$dir/pg"
  } > "$dir/cluster.env.partial"
  local servers="" n port
  # shellcheck disable=SC2206
  local extra=(${SIGNBRIDGE_CLUSTER_ARGS:-})
  for n in $(seq 1 "$replicas"); do
    port=$(free_port)
    "$bin" serve --host 127.0.0.1 --port "$port" --database-url "$url" "${extra[@]}" \
      > "$dir/replica-$n.log" 2>&1 &
    echo $! > "$dir/replica-$n.pid"
    echo "REPLICA_${n}_URL=http://127.0.0.1:$port" >> "$dir/cluster.env.partial"
    echo "REPLICA_${n}_PID=$(cat "$dir/replica-$n.pid")" >> "$dir/cluster.env.partial"
    servers+="server 127.0.0.1:$port max_fails=1 fail_timeout=10s;"$'\n        '
  done
  for n in $(seq 1 "$replicas"); do
    wait_healthy "$(grep "^REPLICA_${n}_URL=" "$dir/cluster.env.partial" | cut -d= -f2-)" \
      "$(cat "$dir/replica-$n.pid")" "$dir/replica-$n.log"
  done
  local lb_port conf
  lb_port=$(free_port)
  mkdir -p "$dir/nginx"
  conf=$(<"$root/deploy/nginx.conf.template")
  conf=${conf//@RUN_DIR@/$dir/nginx}
  conf=${conf//@LISTEN@/127.0.0.1:$lb_port}
  conf=${conf//@SERVERS@/$servers}
  printf '%s\n' "$conf" > "$dir/nginx/nginx.conf"
  local nginx
  nginx=$(command -v nginx || echo /usr/sbin/nginx)
  "$nginx" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log" \
    || { cat "$dir/nginx/error.log" >&2; exit 1; }
  for _ in $(seq 1 50); do [ -s "$dir/nginx/nginx.pid" ] && break; sleep 0.1; done
  echo "NGINX_PID=$(cat "$dir/nginx/nginx.pid")" >> "$dir/cluster.env.partial"
  echo "BASE_URL=http://127.0.0.1:$lb_port" >> "$dir/cluster.env.partial"
  wait_healthy "http://127.0.0.1:$lb_port" "" "$dir/nginx/error.log"
  mv "$dir/cluster.env.partial" "$dir/cluster.env"
  echo "cluster.sh: PostgreSQL $url, replicas and logs in $dir" >&2
  echo "http://127.0.0.1:$lb_port"
}

down() {
  [ -d "$dir" ] || return 0
  stop_pid_file "$dir/nginx/nginx.pid"
  local n
  for n in $(seq 1 "$replicas"); do stop_pid_file "$dir/replica-$n.pid"; done
  if [ -d "$dir/pg" ]; then "$root/scripts/pg.sh" stop "$dir/pg" || true; fi
  rm -rf "$dir"
}

case "${1:-}" in
  up)
    if [ -e "$dir" ]; then
      echo "cluster.sh: $dir exists: a cluster is up there (scripts/cluster.sh down first)" >&2
      exit 1
    fi
    # A failed start leaves nothing running.
    trap 'status=$?; if [ "$status" != 0 ]; then down; fi' EXIT
    up
    ;;
  down) down ;;
  kill-replica)
    n="${2:-}"
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le "$replicas" ] || usage
    [ -f "$dir/replica-$n.pid" ] || { echo "cluster.sh: no replica $n in $dir" >&2; exit 1; }
    pid=$(cat "$dir/replica-$n.pid")
    kill -KILL "$pid"
    # Returns once it is gone (or a zombie: its sockets are closed then), so that the next
    # request finds its port closed rather than a process half-way through dying.
    for _ in $(seq 1 100); do
      state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
      [ -z "$state" ] || [ "$state" = Z ] && break
      sleep 0.05
    done
    ;;
  *) usage ;;
esac
