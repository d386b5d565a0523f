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
# The numerics once more on a second CPU configuration, the loops and kernels this CPU does not pick by itself
# (AVX2 loops and OpenBLAS's Haswell kernels on an AVX-512 CPU; scripts/cpu_config.py): the bits differ
# between the two, and the goldens' tolerances, the gradient checks and the optimizer references must hold
# on both (docs/architecture.md). About 20 seconds on two cores.
numerics=(tests/test_optimizer_goldens.py tests/test_training_goldens.py tests/test_optimizers.py
          tests/test_gradients.py tests/test_flat_params.py tests/test_speed.py tests/test_reliability.py
          tests/test_layers.py tests/test_mlp.py)
second=$(.venv/bin/python scripts/cpu_config.py)
if [ -n "$second" ]; then
    (eval "$second" && .venv/bin/python -m pytest -n "$workers" "${numerics[@]}")
fi
