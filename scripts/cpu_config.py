"""A second CPU configuration: the loops and kernels this CPU would not pick by itself, for the
numerics tests (scripts/test.sh) and the verdict check (scripts/check_portable_verdicts.py).

NumPy picks its SIMD loops and OpenBLAS its kernels per CPU (``numpy.show_runtime()`` shows which);
two choices can round a sum, and some elementwise functions, differently. Running the numerics a
second time on other choices, on the same machine, shows that the tests hold on a CPU that picks
them:

- a CPU with AVX-512 (it picks SkylakeX or newer kernels and AVX-512 loops): OpenBLAS's Haswell
  kernels and NumPy's AVX2 loops
  (``OPENBLAS_CORETYPE=Haswell NPY_DISABLE_CPU_FEATURES="AVX512_SPR AVX512_ICL X86_V4"``);
- a CPU with AVX2 but no AVX-512: the SSE kernels (Prescott) and NumPy's SSE loops;
- any other CPU: the generic kernels OpenBLAS has for its family (ARMV8 on 64-bit ARM), or none.

``python scripts/cpu_config.py`` prints the assignments as ``export`` lines for a shell's ``eval``
(nothing when there is no second configuration) and, on standard error, what they choose.
"""

from __future__ import annotations

import platform
import shlex
import sys

# NumPy's dispatch targets above AVX2 (NumPy 2.4 names, and the older ones: names NumPy does not
# know are ignored)
ABOVE_AVX2 = "AVX512_SPR AVX512_ICL X86_V4 AVX512_CNL AVX512_CLX AVX512_SKX AVX512CD AVX512F"
ABOVE_SSE = f"{ABOVE_AVX2} X86_V3 AVX2 FMA3 AVX"


def cpu_features() -> tuple[dict[str, bool], list[str]]:
    """The CPU's features as NumPy sees them, and NumPy's dispatch targets
    (``numpy.show_runtime()``'s "found" are the targets whose features are there)."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # NumPy 1.x
        from numpy.core import _multiarray_umath as umath  # type: ignore[no-redef]
    return dict(umath.__cpu_features__), list(umath.__cpu_dispatch__)


def openblas_architecture() -> str | None:
    """The kernels OpenBLAS picked (SkylakeX, Haswell, ...), or None without OpenBLAS."""
    from threadpoolctl import threadpool_info

    return next(
        (
            pool.get("architecture")
            for pool in threadpool_info()
            if pool.get("internal_api") == "openblas"
        ),
        None,
    )


def second_configuration() -> dict[str, str]:
    """Environment variables that make NumPy and OpenBLAS pick other loops and kernels than this
    CPU's own (empty where there is no known second choice)."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        features, _ = cpu_features()
        if features.get("AVX512F"):
            return {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": ABOVE_AVX2}
        if features.get("AVX2"):
            return {"OPENBLAS_CORETYPE": "Prescott", "NPY_DISABLE_CPU_FEATURES": ABOVE_SSE}
        return {}
    if machine in ("aarch64", "arm64") and (openblas_architecture() or "").upper() != "ARMV8":
        return {"OPENBLAS_CORETYPE": "ARMV8"}
    return {}


def describe() -> str:
    import numpy as np

    features, targets = cpu_features()
    found = [name for name in targets if features.get(name)]
    return (
        f"OpenBLAS {openblas_architecture()} kernels, NumPy {np.__version__} loops for "
        f"{', '.join(found) or 'its baseline'}"
    )


if __name__ == "__main__":
    second = second_configuration()
    print(f"this CPU: {describe()}", file=sys.stderr)
    print(
        "second configuration: " + (" ".join(f"{k}={v!r}" for k, v in second.items()) or "none"),
        file=sys.stderr,
    )
    for key, value in second.items():
        print(f"export {key}={shlex.quote(value)}")
