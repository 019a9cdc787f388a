#!/usr/bin/env bash
# Create .venv (once) and install pathspace with its test tools, CPU torch.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import pathspace, pytest, ruff" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c constraints-cpu.txt -e ".[test]"
fi
