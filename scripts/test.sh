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
# One pytest worker per core this process may use, at most 4 (pytest-xdist; none on one core): the suite takes about 9 minutes
# on 2 cores instead of 15. Every test keeps to its own temporary folders, ports and processes. A later
# `-n` among the arguments wins (`bash scripts/test.sh -n 0` runs in one process).
workers=$(.venv/bin/python -c "from trainlab.backend import usable_cores; n = min(4, usable_cores()); print(n if n > 1 else 0)")
.venv/bin/python -m pytest -n "$workers" "$@"
