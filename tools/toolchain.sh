#!/usr/bin/env bash
# The polyglot toolchain: protoc plugins, grpcurl, grpc-health-probe, ghz, the TypeScript packages, the Java
# (Maven) dependencies, and Debian's chromium for the catalogue page's browser test (apt, when missing). Idempotent; everything is cached under ${DIDMETA_CACHE:-$HOME/.cache/didmeta}/toolchain
# (Go module/build caches under $CACHE/go, Maven under $CACHE/m2, npm under $CACHE/npm).
# Usage: tools/toolchain.sh install   install what is missing (serialised by a lock; safe to run concurrently)
#        tools/toolchain.sh bin       print the directory of the installed binaries (put it first on PATH)
#        tools/toolchain.sh env       print `export` lines (PATH, Go/Maven/npm cache variables)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BACKEND=toolchain
# shellcheck source=tools/backends/common.sh
source "$ROOT/tools/backends/common.sh"

BIN=$CACHE/toolchain/bin
# Versions (tested in /work/shared/notes/toolchain.md): keep them in one place.
GO_TOOLS=(
  "google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12 protoc-gen-go"
  "google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2 protoc-gen-go-grpc"
  "github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4 grpcurl"
  "github.com/grpc-ecosystem/grpc-health-probe@v0.4.62 grpc-health-probe"
  "github.com/bojand/ghz/cmd/ghz@v0.120.0 ghz"
)
PROTOC_VERSION=4.36.2      # com.google.protobuf:protoc exe (Java codegen); matches protobuf-java in clients/java/pom.xml
GRPC_JAVA_GEN_VERSION=1.83.1  # io.grpc:protoc-gen-grpc-java exe: the newest whose linux-x86_64 exe is served

go_env() {
  export GOPATH=$CACHE/go GOMODCACHE=$CACHE/go/pkg/mod GOCACHE=$CACHE/go-build GOFLAGS="-modcacherw -buildvcs=false" \
    GOTOOLCHAIN=local GOBIN=$BIN
}
mvn_q() { mvn -q -B -Dstyle.color=never "-Dmaven.repo.local=$CACHE/m2" "$@" </dev/null; }

install_go_tools() {
  command -v go >/dev/null || die "go is not installed (Go >= 1.26 needed: clients/go and gen/go declare go 1.26.0)"
  go_env
  local entry module name
  for entry in "${GO_TOOLS[@]}"; do
    module=${entry% *} name=${entry#* }
    # Reinstall when the pinned version changes: a stamp file per name records the module@version.
    if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/.$name.version" 2>/dev/null)" = "$module" ]; then continue; fi
    log "go install $module"
    go install "$module"
    echo "$module" >"$BIN/.$name.version"
  done
}

maven_exe() {  # GROUP:ARTIFACT:VERSION NAME: copy a classified native executable from Maven Central to $BIN/NAME
  local gav=$1 name=$2 tmp
  if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/.$name.version" 2>/dev/null)" = "$gav" ]; then return 0; fi
  log "maven: $gav:exe:linux-x86_64"
  tmp=$(mktemp -d)
  mvn_q dependency:copy "-Dartifact=$gav:exe:linux-x86_64" "-DoutputDirectory=$tmp" -Dmdep.stripVersion=true
  install -m 0755 "$tmp"/*.exe "$BIN/$name"
  rm -rf "$tmp"
  echo "$gav" >"$BIN/.$name.version"
}

install_java() {
  command -v mvn >/dev/null && command -v java >/dev/null || die "java and maven are not installed"
  maven_exe "com.google.protobuf:protoc:$PROTOC_VERSION" protoc
  maven_exe "io.grpc:protoc-gen-grpc-java:$GRPC_JAVA_GEN_VERSION" protoc-gen-grpc-java
  # The client's own dependencies and plugins (compiles it once; later builds are offline-capable).
  local stamp=$CACHE/toolchain/.java-deps
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(sha256sum "$ROOT/clients/java/pom.xml" | cut -d' ' -f1)" ]; then
    log "maven: clients/java dependencies"
    (cd "$ROOT/clients/java" && mvn_q -DskipTests package)
    sha256sum "$ROOT/clients/java/pom.xml" | cut -d' ' -f1 >"$stamp"
  fi
}

install_node() {
  command -v npm >/dev/null || die "node and npm are not installed"
  local dir=$ROOT/clients/ts stamp
  stamp=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -d "$dir/node_modules" ] && [ "$(cat "$dir/node_modules/.didmeta-lock" 2>/dev/null)" = "$stamp" ]; then return 0; fi
  log "npm ci (clients/ts)"
  (cd "$dir" && npm ci --no-audit --no-fund --cache "$CACHE/npm" --loglevel=error >&2)
  echo "$stamp" >"$dir/node_modules/.didmeta-lock"
}

install_browser() {  # Debian's Chromium for the catalogue page's browser test (Playwright drives it: executable_path)
  if command -v chromium >/dev/null; then return 0; fi
  command -v apt-get >/dev/null || die "chromium is not installed and there is no apt-get to install it"
  apt_install chromium
}

case ${1:-install} in
  install)
    mkdir -p "$BIN"
    with_lock toolchain
    start=$SECONDS
    install_go_tools
    install_node
    install_java
    install_browser
    log "toolchain ready in $BIN ($((SECONDS - start)) s)"
    ;;
  bin) echo "$BIN" ;;
  env)
    go_env
    printf 'export PATH=%q:$PATH GOPATH=%q GOMODCACHE=%q GOCACHE=%q GOFLAGS=%q GOTOOLCHAIN=local\n' \
      "$BIN" "$GOPATH" "$GOMODCACHE" "$GOCACHE" "$GOFLAGS"
    ;;
  *) die "usage: $0 install|bin|env" ;;
esac
