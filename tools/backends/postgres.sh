#!/bin/bash
# Throwaway PostgreSQL 15 cluster for tests (trust auth, user postgres, fsync off, TCP only).
# Usage: postgres.sh install           apt-get install postgresql-15 unless an initdb is already there
#        postgres.sh start DIR PORT    initdb + start as user postgres on 127.0.0.1:PORT; cluster and server.log
#                                      in DIR/run; postmaster PID in DIR/pid; prints postgresql://postgres@127.0.0.1:PORT/postgres
#        postgres.sh resume DIR PORT   start the cluster an earlier `start DIR` created, keeping its data
#        postgres.sh replica DIR PORT PRIMARY_PORT
#                                      a streaming replica (pg_basebackup -R, hot standby) of the cluster on
#                                      PRIMARY_PORT, started on PORT; prints its URL like `start`
#        postgres.sh stop DIR          fast shutdown (SIGINT) of the PID in DIR/pid, wait for it to exit
#        postgres.sh halt DIR          the same, keeping the cluster's files for `resume` (stop may delete them)
set -euo pipefail
BACKEND=postgres
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

install() {
  with_lock postgres
  if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then log "installed: $(pgbin)"; return; fi
  apt_install postgresql-15
}

start() {
  local dir=${1:?DIR} port=${2:?PORT} bin run
  bin=$(pgbin); [ -x "$bin/initdb" ] || die "not installed; run: $0 install"
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  if [ -s "$dir/pid" ] && alive "$(cat "$dir/pid")"; then die "already running in $dir"; fi
  ports_free "$port"; rm -f "$dir/pid"
  run=$(service_dir postgres "$dir")
  cd /tmp   # runuser complains when postgres cannot read the current directory
  runuser -u postgres -- "$bin/initdb" -D "$run/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$run/initdb.log" 2>&1 || fail_start "$dir" "initdb failed" "$run/initdb.log"
  launch "$dir" "$run" "$port"
}

# The cluster a previous `start DIR` created, started again with its data (the benchmarks' long-lived catalogues).
resume() {
  local dir=${1:?DIR} port=${2:?PORT} run
  dir=$(cd "$dir" && pwd); run=$(readlink -f "$dir/run")  # a link to /tmp when postgres cannot enter DIR
  [ -f "$run/data/PG_VERSION" ] || die "no cluster in $run/data; use: $0 start DIR PORT"
  if [ -s "$dir/pid" ] && alive "$(cat "$dir/pid")"; then die "already running in $dir"; fi
  ports_free "$port"; rm -f "$dir/pid" "$run/data/postmaster.pid"
  cd /tmp
  launch "$dir" "$run" "$port"
}

# pg_ctl start of the cluster in RUN/data on PORT; its PID in DIR/pid; prints its URL.
launch() {
  local dir=$1 run=$2 port=$3 bin
  bin=$(pgbin)
  # unix_socket_directories='' => TCP only (socket paths under deep test dirs can exceed 107 bytes);
  # max_connections=300: a test session keeps many didmeta servers, each holding its pool (default 100 ran out)
  runuser -u postgres -- "$bin/pg_ctl" -D "$run/data" -l "$run/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 2>&1 || { first_line < "$run/data/postmaster.pid" > "$dir/pid" 2>/dev/null || true
                               fail_start "$dir" "PostgreSQL did not start on $port" "$run/server.log"; }
  first_line < "$run/data/postmaster.pid" > "$dir/pid"
  log "ready on 127.0.0.1:$port (PID $(cat "$dir/pid"))"
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

# A streaming replica of the server listening on PRIMARY_PORT (pg_basebackup -R: hot standby, read-only).
replica() {
  local dir=${1:?DIR} port=${2:?PORT} primary=${3:?PRIMARY_PORT} bin run
  bin=$(pgbin); [ -x "$bin/pg_basebackup" ] || die "not installed; run: $0 install"
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  if [ -s "$dir/pid" ] && alive "$(cat "$dir/pid")"; then die "already running in $dir"; fi
  ports_free "$port"; rm -f "$dir/pid"
  run=$(service_dir postgres "$dir")
  cd /tmp
  runuser -u postgres -- "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$run/data" -R -X stream -c fast \
    --no-sync >"$run/basebackup.log" 2>&1 || fail_start "$dir" "pg_basebackup from port $primary failed" "$run/basebackup.log"
  runuser -u postgres -- "$bin/pg_ctl" -D "$run/data" -l "$run/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='' -c max_connections=300 -c hot_standby=on -c hot_standby_feedback=on" \
    start >/dev/null 2>&1 || { first_line < "$run/data/postmaster.pid" > "$dir/pid" 2>/dev/null || true
                               fail_start "$dir" "the replica did not start on $port" "$run/server.log"; }
  first_line < "$run/data/postmaster.pid" > "$dir/pid"
  log "replica of :$primary ready on 127.0.0.1:$port (PID $(cat "$dir/pid"))"
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

case ${1:-} in
  install) install ;;
  start) start "${2:-}" "${3:-}" ;;
  resume) resume "${2:-}" "${3:-}" ;;
  replica) replica "${2:-}" "${3:-}" "${4:-}" ;;
  stop) stop_pid "${2:?DIR}" INT ;;
  halt) KEEP_DATA=1 stop_pid "${2:?DIR}" INT ;;
  *) sed -n '2,/^set /{/^#/p}' "$0" >&2; exit 2 ;;
esac
