#!/usr/bin/env bash
# `buf breaking` of the working tree's contract against the references a v1 change must stay compatible with:
# the branch `main` and the newest release tag (v*), each when it exists in this checkout (`make breaking`).
# Usage: tools/breaking.sh [VENV_DIR]     exit 0 when compatible with every reference checked
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-$ROOT/.venv}
cd "$ROOT"
refs=()
if git rev-parse --verify -q main >/dev/null; then refs+=(".git#branch=main"); fi
tag=$(git tag --list 'v*' --sort=-v:refname | awk 'NR == 1')
if [ -n "$tag" ]; then refs+=(".git#tag=$tag"); fi
if [ ${#refs[@]} -eq 0 ]; then refs+=(".git#ref=HEAD"); fi
for ref in "${refs[@]}"; do
  echo "buf breaking --against $ref"
  "$venv/bin/buf" breaking --against "$ref"
done
