#!/bin/bash
# All test backends at once, for manual use.
# Usage: all.sh install          install/build every backend into the cache (idempotent), and nginx (the
#                                L7 gRPC proxy that tests/mesh starts itself; see nginx.sh)
#        all.sh start [BASE]     start each backend in BASE/<kind> (BASE default /tmp/didmeta-backends) on fixed
#                                ports: postgres 55432, ferretdb 27018, opensearch 9250, elasticsearch 9251;
#                                prints `export DIDMETA_<KIND>_URL=...` lines, so: eval "$(all.sh start)"
#        all.sh stop [BASE]      stop every backend that has a BASE/<kind>/pid
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASE=${2:-/tmp/didmeta-backends}
declare -A PORT=( [postgres]=55432 [ferretdb]=27018 [opensearch]=9250 [elasticsearch]=9251 )
KINDS=(postgres ferretdb opensearch elasticsearch)
INSTALL_ONLY=(nginx)

case ${1:-} in
  install)
    for k in "${KINDS[@]}" "${INSTALL_ONLY[@]}"; do
      "$HERE/$k.sh" install || { rc=$?; echo "ERROR: installing the $k backend failed (exit $rc); its messages are above" >&2; exit "$rc"; }
    done ;;
  start)
    for k in "${KINDS[@]}"; do
      url=$("$HERE/$k.sh" start "$BASE/$k" "${PORT[$k]}" | tail -1)
      echo "export DIDMETA_${k^^}_URL=$url"
    done ;;
  stop) for k in "${KINDS[@]}"; do [ ! -s "$BASE/$k/pid" ] || "$HERE/$k.sh" stop "$BASE/$k"; done ;;
  *) sed -n '2,/^set /{/^#/p}' "$0" >&2; exit 2 ;;
esac
