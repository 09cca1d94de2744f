#!/bin/bash
# FerretDB v1.24.2 (MongoDB wire protocol, SQLite handler) for tests.
# Usage: ferretdb.sh install           build $CACHE/bin/ferretdb from the Go module proxy once (cold: 1-3 min)
#        ferretdb.sh start DIR PORT    fresh server on 127.0.0.1:PORT (debug listener PORT+1000), data in DIR,
#                                      PID in DIR/pid, log in DIR/ferretdb.log; prints mongodb://127.0.0.1:PORT/
#        ferretdb.sh stop DIR          SIGTERM the PID in DIR/pid and wait for it to exit
set -euo pipefail
BACKEND=ferretdb
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
VERSION=v1.24.2
BIN=$CACHE/bin/ferretdb

install() {
  with_lock ferretdb
  if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then log "cached: $BIN"; return; fi
  command -v go >/dev/null || die "go (>= 1.24) is needed to build FerretDB"
  export GOPATH=$CACHE/go GOMODCACHE=$CACHE/go/pkg/mod GOCACHE=$CACHE/go-build GOFLAGS=-modcacherw GOTOOLCHAIN=local
  cd "$CACHE"   # outside any Go module
  log "building FerretDB $VERSION (cold: 1-3 min)"
  go mod download github.com/FerretDB/FerretDB@$VERSION
  local src tmp
  src=$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB@$VERSION)
  tmp=$(mktemp -d "$CACHE/ferretdb-src.XXXXXX")
  cp -r "$src/." "$tmp" && chmod -R u+w "$tmp"
  # build/version/version.txt is generated upstream and missing from the module zip: without it the binary panics
  echo "$VERSION" > "$tmp/build/version/version.txt"
  mkdir -p "$CACHE/bin"
  (cd "$tmp" && go build -o "$BIN.tmp" ./cmd/ferretdb)
  mv "$BIN.tmp" "$BIN"; rm -rf "$tmp"
  "$BIN" --version | first_line >&2
}

start() {
  local dir=${1:?DIR} port=${2:?PORT}
  [ -x "$BIN" ] || die "not installed; run: $0 install"
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  if [ -s "$dir/pid" ] && alive "$(cat "$dir/pid")"; then die "already running in $dir"; fi
  ports_free "$port" $((port + 1000))
  rm -rf "$dir/data" "$dir/state" "$dir/pid"; mkdir -p "$dir/data" "$dir/state"
  setsid "$BIN" --handler=sqlite --sqlite-url="file:$dir/data/" --state-dir="$dir/state" \
    --listen-addr="127.0.0.1:$port" --debug-addr="127.0.0.1:$((port + 1000))" \
    --telemetry=disable --log-level=error </dev/null >"$dir/ferretdb.log" 2>&1 &
  echo $! > "$dir/pid"
  wait_port "$port" 30 "$dir/pid" || fail_start "$dir" "FerretDB did not listen on $port" "$dir/ferretdb.log"
  log "ready on 127.0.0.1:$port (PID $(cat "$dir/pid"))"
  echo "mongodb://127.0.0.1:$port/"
}

case ${1:-} in
  install) install ;;
  start) start "${2:-}" "${3:-}" ;;
  stop) stop_pid "${2:?DIR}" TERM ;;
  *) sed -n '2,/^set /{/^#/p}' "$0" >&2; exit 2 ;;
esac
