#!/bin/bash
# Single-node OpenSearch 2.19.6 (Java 17, run as `nobody`) for tests; elasticsearch.sh reuses this file.
# Usage: opensearch.sh install           fetch the integ-test zip + module jars from Maven Central (Maven repo in
#                                        $CACHE/m2) and assemble a home in $CACHE/opensearch-2.19.6/home, once
#        opensearch.sh start DIR PORT    copy that home to DIR/run, start it on 127.0.0.1:PORT (transport PORT+100,
#                                        -Xms512m -Xmx512m), wait for health yellow; PID in DIR/pid, logs in
#                                        DIR/run/logs; prints http://127.0.0.1:PORT
#        opensearch.sh node DIR PORT NAME PEERS
#                                        one node of a cluster: like start, but discovery through PEERS (the
#                                        other nodes as NAME=HTTP_PORT,..., transport ports HTTP_PORT+100) and
#                                        waits only until its HTTP port answers (a cluster forms once a majority
#                                        of nodes runs); prints http://127.0.0.1:PORT
#        opensearch.sh stop DIR          SIGTERM the PID in DIR/pid and wait for the JVM to exit
set -euo pipefail
if [ "${BASH_SOURCE[0]}" = "$0" ]; then   # run directly; elasticsearch.sh sets these itself and sources this file
  BACKEND=opensearch V=2.19.6 GROUP=org.opensearch JAVA_OPTS_VAR=OPENSEARCH_JAVA_OPTS EXTRA_JAVA_OPTS=
  DESCRIPTOR_EXTRA="java.version=11\nopensearch.version=$V\ncustom.foldername=\n"
  declare -A ART=( [analysis-common]=$GROUP.plugin:analysis-common [lang-painless]=$GROUP.plugin:lang-painless
    [reindex]=$GROUP.plugin:reindex-client [mapper-extras]=$GROUP.plugin:mapper-extras-client
    [lang-mustache]=$GROUP.plugin:lang-mustache-client [parent-join]=$GROUP.plugin:parent-join-client
    [percolator]=$GROUP.plugin:percolator-client [rank-eval]=$GROUP.plugin:rank-eval-client
    [aggs-matrix-stats]=$GROUP.plugin:aggs-matrix-stats-client )
fi
# shellcheck source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
NAME=$BACKEND            # launcher bin/$NAME, config/$NAME.yml, zip top dir $NAME-$V
DIST=$CACHE/$NAME-$V     # zip, module jars, assembled home
declare -A EXT=( [analysis-common]=lang-painless )
declare -A POLICY=(
  [lang-painless]='permission java.lang.RuntimePermission "createClassLoader"; permission java.lang.RuntimePermission "getClassLoader";'
  [lang-mustache]='permission java.lang.RuntimePermission "accessDeclaredMembers"; permission java.lang.reflect.ReflectPermission "suppressAccessChecks";'
  [reindex]='permission java.net.SocketPermission "*", "connect";' )
mvnq() {   # quiet Maven, repo in the cache, output (minus the ANSI resets -q still prints) to stderr
  mvn -q -B "-Dmaven.repo.local=$CACHE/m2" "$@" 2>&1 </dev/null | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2
}
jdk17() { ls -d /usr/lib/jvm/java-17-openjdk-* 2>/dev/null | first_line; }   # 2.x / 7.x do not run on Java 24+

install() {
  with_lock "$NAME"
  if [ -f "$DIST/home/.assembled" ]; then log "cached: $DIST/home"; return; fi
  local need=() m w j b cls
  [ -n "$(jdk17)" ] || need+=(openjdk-17-jdk-headless)
  for c in mvn unzip curl; do command -v $c >/dev/null || need+=("${c/mvn/maven}"); done
  [ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"
  log "downloading $NAME $V + modules from Maven Central (cold: ~30 s)"
  mkdir -p "$DIST/modjars"; cd "$DIST"
  [ -f "$NAME-$V.zip" ] || mvnq dependency:copy -Dartifact="$GROUP.distribution.integ-test-zip:$NAME:$V:zip" -DoutputDirectory="$DIST"
  for m in "${!ART[@]}"; do   # one throwaway pom per module: the module artifact and its runtime deps
    [ -d "modjars/$m" ] && continue
    w=$(mktemp -d)
    cat > "$w/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>local</groupId><artifactId>mod-$m</artifactId><version>1</version><packaging>pom</packaging>
<dependencies><dependency><groupId>${ART[$m]%%:*}</groupId><artifactId>${ART[$m]#*:}</artifactId><version>$V</version>
<exclusions><exclusion><groupId>$GROUP</groupId><artifactId>$NAME</artifactId></exclusion></exclusions>
</dependency></dependencies></project>
POM
    mvnq -f "$w/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$DIST/modjars/$m.tmp"
    mv "modjars/$m.tmp" "modjars/$m"; rm -rf "$w"
  done
  log "assembling $DIST/home"
  rm -rf home home.unz; unzip -q "$NAME-$V.zip" -d home.unz; mv "home.unz/$NAME-$V" home; rmdir home.unz
  local libs; libs=$(ls home/lib | sed -E 's/-[0-9][^-]*(-[0-9]+)?\.jar$//')
  for m in "${!ART[@]}"; do
    mkdir -p "home/modules/$m"
    for j in "modjars/$m"/*.jar; do   # skip jars already in lib/ (duplicate classes fail the jar-hell check)
      b=$(basename "$j" | sed -E 's/-[0-9][^-]*(-[0-9]+)?\.jar$//')
      grep -qx "$b" <<<"$libs" || cp "$j" "home/modules/$m/"
    done
    cls=$(unzip -Z1 "modjars/$m/${ART[$m]#*:}-$V.jar" | grep -E 'Plugin\.class$' | grep -v '\$' | first_line | sed 's#/#.#g; s#\.class$##')
    printf "description=%s module\nversion=%s\nname=%s\nclassname=%s\n${DESCRIPTOR_EXTRA}extended.plugins=%s\nhas.native.controller=false\n" \
      "$m" "$V" "$m" "$cls" "${EXT[$m]:-}" > "home/modules/$m/plugin-descriptor.properties"
    if [ -n "${POLICY[$m]:-}" ]; then printf 'grant {\n  %s\n};\n' "${POLICY[$m]}" > "home/modules/$m/plugin-security.policy"; fi
  done
  touch home/.assembled
}

start() {
  local dir=${1:?DIR} port=${2:?PORT} node=${3:-node-1} peers=${4:-} run i jdk rc=0 discovery health fail peer seeds names
  [ -f "$DIST/home/.assembled" ] || die "not installed; run: $0 install"
  jdk=$(jdk17); [ -n "$jdk" ] || die "no Java 17 in /usr/lib/jvm; run: $0 install"
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  if [ -s "$dir/pid" ] && alive "$(cat "$dir/pid")"; then die "already running in $dir"; fi
  ports_free "$port" $((port + 100)); rm -f "$dir/pid"
  run=$(service_dir nobody "$dir")
  cp -a "$DIST/home/." "$run/"; mkdir -p "$run/data" "$run/logs" "$run/tmp"
  discovery="discovery.type: single-node"
  health="http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=1s" fail=-f
  if [ -n "$peers" ]; then   # a cluster node: every node (this one too) is cluster-manager eligible
    seeds="127.0.0.1:$((port + 100))"; names="$node"
    for peer in ${peers//,/ }; do seeds+=",127.0.0.1:$((${peer#*=} + 100))"; names+=",${peer%%=*}"; done
    discovery="discovery.seed_hosts: [$seeds]
cluster.initial_cluster_manager_nodes: [$names]"
    health="http://127.0.0.1:$port/" fail=   # any HTTP answer: the node runs
  fi
  cat > "$run/config/$NAME.yml" <<YML
cluster.name: didmeta-test
node.name: $node
network.host: 127.0.0.1
http.port: $port
transport.port: $((port + 100))
$discovery
path.data: $run/data
path.logs: $run/logs
cluster.routing.allocation.disk.threshold_enabled: false
YML
  chown -R nobody: "$run"
  cd /tmp
  runuser -u nobody -- env JAVA_HOME="$jdk" OPENSEARCH_JAVA_HOME="$jdk" ES_JAVA_HOME="$jdk" \
    OPENSEARCH_TMPDIR="$run/tmp" ES_TMPDIR="$run/tmp" "$JAVA_OPTS_VAR=-Xms512m -Xmx512m $EXTRA_JAVA_OPTS" \
    "$run/bin/$NAME" -d -p "$run/server.pid" </dev/null >"$run/logs/stdout.log" 2>&1 || rc=$?
  for ((i = 0; i < 600; i++)); do   # up to ~5 min: a loaded 2-core machine starting several JVMs is slow
    [ "$rc" = 0 ] || [ -s "$run/server.pid" ] || break   # launcher failed before the JVM wrote its PID
    if [ -s "$run/server.pid" ] && [ ! -s "$dir/pid" ]; then cp "$run/server.pid" "$dir/pid"; fi
    if [ -s "$dir/pid" ] && curl -s $fail -o /dev/null -m 2 "$health"; then
      log "ready on 127.0.0.1:$port (PID $(cat "$dir/pid"))"; echo "http://127.0.0.1:$port"; return
    fi
    if [ -s "$dir/pid" ] && ! alive "$(cat "$dir/pid")"; then break; fi
    if [ ! -s "$dir/pid" ] && [ "$i" -gt 240 ]; then break; fi
    sleep 0.5
  done
  fail_start "$dir" "$NAME did not become healthy on $port" "$run/logs/stdout.log" "$run/logs/didmeta-test.log"
}

case ${1:-} in
  install) install ;;
  start) start "${2:-}" "${3:-}" ;;
  node) start "${2:-}" "${3:-}" "${4:?NAME}" "${5:?PEERS}" ;;
  stop) stop_pid "${2:?DIR}" TERM ;;
  *) sed -n '2,/^set /{/^#/p}' "$0" >&2; exit 2 ;;
esac
