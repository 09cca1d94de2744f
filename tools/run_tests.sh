#!/usr/bin/env bash
# The whole test suite, from a fresh machine: environment, backend servers, lint, types, contract, tests.
# Usage: tools/run_tests.sh [VENV_DIR] [PYTEST_ARGS...]   (called by `make test` and by .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
shift || true

step() { printf '\n==> %s\n' "$*"; }

step "python environment ($venv)"
bash tools/setup_venv.sh "$venv"

step "backend servers (PostgreSQL, FerretDB, OpenSearch, Elasticsearch OSS; cached under ${DIDMETA_CACHE:-$HOME/.cache/didmeta})"
bash tools/backends/all.sh install

step "ruff"
"$venv/bin/ruff" check .
"$venv/bin/ruff" format --check .

step "mypy --strict"
"$venv/bin/mypy"

step "buf lint"
"$venv/bin/buf" lint

step "pytest"
"$venv/bin/python" -m pytest -p no:cacheprovider "$@"
