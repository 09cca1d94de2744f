# shellcheck shell=bash
# Shared helpers for tools/backends/<kind>.sh -- source it, do not run it.
#   CACHE            ${DIDMETA_CACHE:-$HOME/.cache/didmeta} (downloads, builds, Maven/Go caches)
#   log/die          messages to stderr (stdout is reserved for the URL printed by `start`)
#   with_lock NAME   serialise concurrent `install`s of one backend (flock on $CACHE/.NAME.lock)
#   apt_install PKG… apt-get update + install (only called when something is missing)
#   alive PID        true if PID runs and is not a zombie (PID 1 here may not reap orphans)
#   ports_free PORT…  die unless nothing listens on these 127.0.0.1 ports (a readiness probe would hit it)
#   wait_port PORT SECS PIDFILE   wait until 127.0.0.1:PORT accepts TCP; fail early if the PID dies
#   service_dir USER DIR          print a dir USER can write for the server's files: DIR/run, or when
#                    USER cannot reach DIR (e.g. under a 0700 pytest tmp dir) a /tmp/didmeta-* dir
#                    linked from DIR/run (removed again by stop_pid)
#   stop_pid DIR [SIG]            send SIG (default TERM) to $(cat DIR/pid), wait for exit, KILL after 30 s;
#                                 a no-op without DIR/pid
#   fail_start DIR MSG LOG…       print MSG + the tail of each LOG to stderr, KILL what started (and drop
#                                 a /tmp run dir), exit 1
#   first_line                    print the first line of stdin but read it all: `cmd | head -1` under
#                                 `set -o pipefail` fails at random when head exits first and cmd gets SIGPIPE
# Sourcing it also sets an ERR trap: a failing command is named (script, line, command, exit code).
CACHE=${DIDMETA_CACHE:-$HOME/.cache/didmeta}
BACKEND=${BACKEND:-backend}

set -E
trap 'rc=$?; log "ERROR: step failed (exit $rc) at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND"; exit $rc' ERR

first_line() { awk 'NR == 1'; }

log() { printf '[%s %s] %s\n' "$(date +%T)" "$BACKEND" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

with_lock() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.$1.lock"
  flock 9
}

apt_install() {
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

alive() {
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
  local st; st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

ports_free() {
  local p
  for p in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port 127.0.0.1:$p is already in use"; fi
  done
}

wait_port() {
  local port=$1 secs=$2 pidfile=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if [ -s "$pidfile" ] && ! alive "$(cat "$pidfile")"; then return 1; fi
    sleep 0.1
  done
  return 1
}

service_dir() {
  local user=$1 dir=$2 run
  rm -rf "$dir/run"
  if runuser -u "$user" -- test -x "$dir" 2>/dev/null; then
    mkdir -p "$dir/run"; run=$dir/run
  else
    run=$(mktemp -d "/tmp/didmeta-$BACKEND.XXXXXX"); ln -s "$run" "$dir/run"
  fi
  chown "$user:" "$run"
  echo "$run"
}

stop_pid() {
  local dir=$1 sig=${2:-TERM} pid i
  if [ ! -s "$dir/pid" ]; then log "nothing to stop: no $dir/pid"; return 0; fi
  pid=$(cat "$dir/pid")
  if alive "$pid"; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then log "PID $pid still alive after 30 s, sending KILL"; kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  fi
  rm -f "$dir/pid"
  # KEEP_DATA=1 (postgres.sh halt): the files stay for a later `resume`, wherever they are
  if [ -L "$dir/run" ] && [ -z "${KEEP_DATA:-}" ]; then rm -rf "$(readlink "$dir/run")" "$dir/run"; fi
  log "stopped (PID $pid)"
}

fail_start() {
  local dir=$1 msg=$2 f; shift 2
  log "ERROR: $msg"
  for f in "$@"; do [ -s "$f" ] && { echo "--- last lines of $f:"; tail -n 30 "$f"; } >&2; done
  if [ -s "$dir/pid" ]; then stop_pid "$dir" KILL; elif [ -L "$dir/run" ]; then rm -rf "$(readlink "$dir/run")" "$dir/run"; fi
  exit 1
}
