#!/usr/bin/env bash
# Set up for testing and run the whole test suite plus the linter. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export MPLBACKEND=Agg
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
