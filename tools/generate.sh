#!/usr/bin/env bash
# Regenerate every language's code of the contract from proto/ (`make generate`):
#   gen/python (tools/gen_proto.py), gen/go, gen/java, clients/ts/src/gen (buf generate, buf.gen.yaml).
# Usage: tools/generate.sh [VENV_DIR] [OUT_ROOT]
#   OUT_ROOT (default: the repository) lets the freshness test generate into a scratch copy.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$ROOT/.venv}
out=${2:-$ROOT}
venv=$(cd "$venv" && pwd)
bash "$ROOT/tools/toolchain.sh" install
PATH="$(bash "$ROOT/tools/toolchain.sh" bin):$PATH"
"$venv/bin/python" "$ROOT/tools/gen_proto.py" "$out/gen/python"
rm -rf "$out/gen/go/didmeta" "$out/gen/java/org" "$out/clients/ts/src/gen"
cd "$ROOT"
"$venv/bin/buf" generate --output "$out"
