#!/usr/bin/env bash
# Create (or update) the project's virtual environment with didmeta installed editable plus all extras.
# Usage: tools/setup_venv.sh [VENV_DIR]   (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  echo "creating $venv and installing didmeta with its extras (a few minutes the first time; pip is quiet)"
  "$python" -m venv "$venv"
else
  echo "updating didmeta in $venv"
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e '.[dev,mongo,search,arrow,tracing]'
"$venv/bin/python" -c "from google.protobuf.internal import api_implementation as a; assert a.Type() == 'upb', a.Type()"
echo "virtual environment ready: $venv"
