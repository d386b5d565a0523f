#!/usr/bin/env bash
# Set up for testing and run the whole test suite plus the linter. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export MPLBACKEND=Agg
# The tests' matrices are tiny: one BLAS thread is as fast, and two threads on a loaded machine (CI runners,
# parallel jobs) can make them ten times slower.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
