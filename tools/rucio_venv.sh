#!/usr/bin/env bash
# Rucio's own virtual environment for the Rucio integration tests (tests/rucio) and the bench's peer.
# Usage: tools/rucio_venv.sh install   create/refresh ${DIDMETA_CACHE:-~/.cache/didmeta}/rucio-venv-41.5.1
#        tools/rucio_venv.sh python    print that venv's python (after installing if needed)
# Rucio pins its own SQLAlchemy/alembic/psycopg, so it lives apart from didmeta's venv. The venv holds
# rucio[postgresql] plus the third-party packages didmeta's Python client imports (grpcio, protobuf, ...);
# didmeta itself is NOT installed there: the cache is shared by every checkout, so the tests put the
# checkout's namespace folders on PYTHONPATH instead (tests/support/rucio_env.py). Lock-protected (flock)
# like tools/backends: concurrent installs wait for each other.
set -euo pipefail
RUCIO_VERSION=41.5.1
CACHE=${DIDMETA_CACHE:-$HOME/.cache/didmeta}
VENV=$CACHE/rucio-venv-$RUCIO_VERSION
STAMP=$VENV/.didmeta-ready-2
log() { printf '[%s rucio-venv] %s\n' "$(date +%T)" "$*" >&2; }

install() {
  [ -f "$STAMP" ] && return 0
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.rucio-venv.lock"
  flock 9
  [ -f "$STAMP" ] && return 0
  local base=python3.11
  command -v "$base" >/dev/null 2>&1 || base=python3
  log "creating $VENV with rucio[postgresql]==$RUCIO_VERSION (about a minute with a warm pip cache)"
  rm -rf "$VENV"
  "$base" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q "rucio[postgresql]==$RUCIO_VERSION"
  # didmeta's client needs these; they do not clash with Rucio's pins (pip checks below).
  "$VENV/bin/python" -m pip install -q "grpcio>=1.85.1" "grpcio-status>=1.85.1" "protobuf>=7.35.1" \
    "googleapis-common-protos>=1.70" "pydantic>=2.7" "pydantic-settings>=2.3" "pyyaml>=6" "click>=8.1" \
    "pytest>=8"
  "$VENV/bin/python" -m pip check >&2 || log "WARNING: pip check reports conflicts (see above)"
  "$VENV/bin/python" -c "import rucio.version as v; assert v.version_string() == '$RUCIO_VERSION'"
  touch "$STAMP"
  log "ready: $VENV"
}

case "${1:-}" in
  install) install ;;
  python) install; echo "$VENV/bin/python" ;;
  *) echo "usage: $0 install|python" >&2; exit 2 ;;
esac
