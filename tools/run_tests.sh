#!/usr/bin/env bash
# The whole test suite, from a fresh machine: environment, backend servers, lint, types, contract, tests.
# Usage: tools/run_tests.sh [VENV_DIR] [PYTEST_ARGS...]   (called by `make test` and by .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
shift || true

current_step="start"
step() { current_step=$*; printf '\n==> %s\n' "$*"; }
# A failing step says which one it was and with what exit code, not only make's "Error N".
trap 'rc=$?; printf "\n==> FAILED (exit %s) in step: %s\n    command: %s\n" "$rc" "$current_step" "$BASH_COMMAND" >&2' ERR

step "python environment ($venv)"
bash tools/setup_venv.sh "$venv"

step "backend servers (PostgreSQL, FerretDB, OpenSearch, Elasticsearch OSS; cached under ${DIDMETA_CACHE:-$HOME/.cache/didmeta})"
bash tools/backends/all.sh install

step "Rucio 41.5.1 in its own venv, for tests/rucio (cached under ${DIDMETA_CACHE:-$HOME/.cache/didmeta}/rucio-venv-41.5.1)"
bash tools/rucio_venv.sh install

step "polyglot toolchain (Go/TS/Java codegen and clients, grpcurl, grpc-health-probe, chromium; cached under ${DIDMETA_CACHE:-$HOME/.cache/didmeta}/toolchain)"
bash tools/toolchain.sh install

step "ruff"
"$venv/bin/ruff" check .
"$venv/bin/ruff" format --check .

step "mypy --strict"
"$venv/bin/mypy"

step "buf lint"
"$venv/bin/buf" lint

step "pytest"
"$venv/bin/python" -m pytest -p no:cacheprovider "$@"
