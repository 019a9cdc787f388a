#!/usr/bin/env bash
# Set up, then lint and run the test suite (longer studies are benchmarks).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q -m "not slow" "$@"
