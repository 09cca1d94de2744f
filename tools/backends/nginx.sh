#!/bin/bash
# nginx (Debian's nginx-light: http_v2 + grpc_pass) as the L7 gRPC proxy of the proxy test (tests/mesh).
# Usage: nginx.sh install   apt-get install nginx-light unless an nginx binary is there; the package's own
#                           service (port 80) is stopped and disabled: tests run their own instance
#        nginx.sh path      print the nginx binary
# Tests start nginx themselves (`nginx -c FILE -p DIR`, `daemon off`), from deploy/proxy/nginx-grpc.conf.
set -euo pipefail
BACKEND=nginx
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

nginx_bin() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true; }

install() {
  with_lock nginx
  local bin; bin=$(nginx_bin)
  if [ -n "$bin" ] && "$bin" -V 2>&1 | grep -q -- --with-http_v2_module; then log "installed: $bin"; return; fi
  # policy-rc.d 101: the package must not start its system service (it would take port 80)
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = 1 ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
  apt_install nginx-light || { [ "$had_policy" = 1 ] || rm -f "$policy"; die "apt-get install nginx-light failed"; }
  [ "$had_policy" = 1 ] || rm -f "$policy"
  bin=$(nginx_bin); [ -n "$bin" ] || die "nginx-light installed but no nginx binary found"
  log "installed: $("$bin" -v 2>&1)"
}

case ${1:-} in
  install) install ;;
  path) b=$(nginx_bin); [ -n "$b" ] || die "not installed; run: $0 install"; echo "$b" ;;
  *) sed -n '2,/^set /{/^#/p}' "$0" >&2; exit 2 ;;
esac
