#!/usr/bin/env bash
# Set up, then run the main job: record real pendulum swings, measure them,
# and reproduce the paper's figures into ./out.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh
mkdir -p out
.venv/bin/pathspace record pendulum --out out/pendulum.npz
.venv/bin/pathspace measure out/pendulum.npz --json out/pendulum.json \
  --plot out/pendulum.png
.venv/bin/pathspace reproduce all --out out
