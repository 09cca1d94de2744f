#!/bin/bash
# Single-node Elasticsearch 7.10.2 OSS (Apache-2.0, EOL, bundles log4j 2.11.1 -> formatMsgNoLookups, loopback only),
# Java 17, run as `nobody`; same mechanics as opensearch.sh (which this file sources).
# Usage: elasticsearch.sh install | start DIR PORT | stop DIR   (transport PORT+100; prints http://127.0.0.1:PORT)
# Modules: the org.elasticsearch.plugin *-client jars; analysis-common and lang-painless are not published by
# Elastic, so they come from org.codelibs.elasticsearch.module (Apache-2.0 repackaging of the 7.10.2 modules).
set -euo pipefail
BACKEND=elasticsearch V=7.10.2 GROUP=org.elasticsearch JAVA_OPTS_VAR=ES_JAVA_OPTS
EXTRA_JAVA_OPTS=-Dlog4j2.formatMsgNoLookups=true
DESCRIPTOR_EXTRA="java.version=1.8\nelasticsearch.version=$V\n"
declare -A ART=( [analysis-common]=org.codelibs.elasticsearch.module:analysis-common
  [lang-painless]=org.codelibs.elasticsearch.module:lang-painless
  [reindex]=$GROUP.plugin:reindex-client [mapper-extras]=$GROUP.plugin:mapper-extras-client
  [lang-mustache]=$GROUP.plugin:lang-mustache-client [parent-join]=$GROUP.plugin:parent-join-client
  [percolator]=$GROUP.plugin:percolator-client [rank-eval]=$GROUP.plugin:rank-eval-client
  [aggs-matrix-stats]=$GROUP.plugin:aggs-matrix-stats-client )
# shellcheck source=opensearch.sh
. "$(dirname "${BASH_SOURCE[0]}")/opensearch.sh"
