#!/usr/bin/env bash
# Create (or update) the project's virtual environment with didmeta installed editable plus all extras.
# Usage: tools/setup_venv.sh [VENV_DIR]   (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e '.[dev,mongo,search,arrow]'
"$venv/bin/python" -c "from google.protobuf.internal import api_implementation as a; assert a.Type() == 'upb', a.Type()"
echo "virtual environment ready: $venv"
