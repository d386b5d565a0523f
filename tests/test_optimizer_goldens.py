"""Golden numbers: every optimizer gives the parameters, state and gradient norms it gave when they
were recorded, to within a tolerance that holds on every CPU and that no change of an update rule
fits in.

Each case runs six updates of one rule (with and without clipping, float32 and float64, a learning
rate and momentum that change every step as a schedule would set them, gradient entries from 1e-5 to
1 so that ε matters for some and the clipping binds at some steps and not at others, and a parameter
updated block by block). The reference arrays themselves are stored in
``tests/data/optimizer_goldens.npz``; ``tests/data/optimizer_state_v1.npz`` is a state_dict saved by
the first version, which must keep loading.

What is the same on every machine, and what is not (measured: :func:`tolerance`):

- every rule is elementwise, a few correctly rounded operations (+ − × ÷ √, max, sign) per entry and
  step, so on the same inputs it gives the same bits wherever NumPy's loops round correctly; a CPU
  whose loops do not (NumPy picks its SIMD loops per CPU) may differ in the last bit or two of each
  operation;
- the gradient norm is a BLAS dot product, whose rounding depends on the kernel OpenBLAS picks for
  the CPU (SkylakeX or Haswell kernels on one machine, say): two summation orders of ‖g‖² over n
  entries differ by at most 2·γₙ relative (γₙ = n·u/(1 − n·u), u = ε/2), and with ``clip_norm``
  every clipped gradient entry, and so everything after it, inherits that.

Bit for bit is a claim about two runs on one machine (see ``test_reliability.py``,
``test_flat_params.py``); here the comparison is normwise, ‖x − x_ref‖∞ ≤ tol·‖x_ref‖∞ per array,
because the moving averages cancel (m = β·m + (1 − β)·g can be far smaller than its terms, and its
error is relative to them, not to m). ``test_a_changed_rule_fails_the_goldens`` proves that the
tolerance still catches a wrong rule.

Record the references again only on purpose (a deliberate change of the numbers, stated in the
commit): ``python tests/test_optimizer_goldens.py --record``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import trainlab as tl
import trainlab.optimizers.adam as adam_rules
import trainlab.optimizers.adaptive as adaptive_rules

DATA = Path(__file__).parent / "data"
GOLDENS = DATA / "optimizer_goldens.npz"
SAVED_STATE = DATA / "optimizer_state_v1.npz"
SHAPES = {"W": (12, 32), "b": (32,), "V": (5, 3)}
BLOCK_SIZE = 100  # W (384 entries) is updated block by block: three blocks of 100 and a short one
STEPS = 6
CLIPPING = {"none": {}, "norm": {"clip_norm": 4.0}, "value": {"clip_value": 0.5}}
RECORDED = [
    "sgd",
    "momentum",
    "nesterov",
    "adagrad",
    "rmsprop",
    "adam",
    "adamax",
    "nadam",
    "adamw",
    "adadelta",
    "amsgrad",
    "radam",
    "lion",
]
SCALES = np.array([1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0])
ENTRIES = sum(math.prod(shape) for shape in SHAPES.values())  # the length of the ‖g‖² sum


def run(name: str, clipping: str, dtype: str) -> dict[str, np.ndarray]:
    """The parameters, the state and the gradient norms after STEPS updates.

    One BLAS thread: the gradient norm is a BLAS dot product, whose rounding also depends on how
    many threads share the sum.
    """
    with threadpool_limits(1):
        return _run(name, clipping, dtype)


def _run(name: str, clipping: str, dtype: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2024)
    params = {key: rng.standard_normal(shape).astype(dtype) for key, shape in SHAPES.items()}
    # each entry's gradient scale, 1e-5 to 1: ε matters for some. (Picked from a table:
    # ``10.0 ** u`` on an array is NumPy's SIMD power, whose last bit depends on the CPU.)
    scales = {key: SCALES[rng.integers(0, len(SCALES), shape)] for key, shape in SHAPES.items()}
    optimizer = tl.get_optimizer(name, **CLIPPING[clipping])
    optimizer.block_size = BLOCK_SIZE
    base_lr = optimizer.lr * 10
    norms = []
    for step in range(STEPS):
        # ‖g‖ is about 2.5·(step % 3), so that clip_norm=4 binds at some steps and not at others
        grads = {
            key: (rng.standard_normal(shape) * scales[key] * 0.3 * (step % 3)).astype(dtype)
            for key, shape in SHAPES.items()
        }
        grads["b"] += np.asarray(0.1, dtype)  # never all zero
        optimizer.lr = base_lr / (1 + step)
        if optimizer.momentum is not None:
            optimizer.momentum = 0.95 - 0.02 * step
        optimizer.update(params, grads)
        norms.append(optimizer.grad_norm)
    arrays = {f"param/{key}": value for key, value in params.items()}
    arrays.update(
        {f"state/{key}": value for key, value in optimizer.state_dict()["arrays"].items()}
    )
    arrays["grad_norms"] = np.array(norms)  # Python floats: float64 whatever the dtype
    return arrays


def tolerance(dtype: str, clipping: str) -> float:
    """The largest normwise relative difference ‖x − x_ref‖∞ / ‖x_ref‖∞ two CPUs may show.

    - Elementwise rules: 64·ε. Six steps of at most ten operations per entry, each within an ulp or
      two of the correctly rounded result on any CPU; the errors add up, and in the normwise measure
      they are relative to the largest entry. Measured on one machine (its native AVX-512 loops and
      SkylakeX kernels against AVX2 loops with Haswell kernels, and against SSE loops with Prescott
      kernels): 0, bit for bit, for every case without ``clip_norm``.
    - ``clip_norm``: + 2·γₙ for the BLAS sum ‖g‖² over n = 431 entries (two summation orders each
      within γₙ of the exact sum), which scales every clipped entry: 5.1e-5 in float32, 9.6e-14 in
      float64. The rules are linear in g or scale-free in it (m / √v), so that relative error
      carries through six steps without growing. Measured: at most 2.4e-7 in float32 (2 ulps of the
      largest entry), 7.8e-16 in float64.
    - the gradient norms: see :func:`grad_norm_tolerance`. Measured: 6.9e-8 (float32), 1.6e-16 (float64).

    A changed rule (ε in another place, a missing bias correction, another momentum form) moves some
    array by 3e-3 or more of its largest entry (``test_a_changed_rule_fails_the_goldens``): 50 times
    or more the float32 tolerance with ``clip_norm``, the loosest one.
    """
    eps = float(np.finfo(dtype).eps)
    tol = 64 * eps
    if clipping == "norm":
        unit = eps / 2
        tol += 2 * ENTRIES * unit / (1 - ENTRIES * unit)
    return tol


def grad_norm_tolerance(dtype: str) -> float:
    """‖g‖ from a BLAS dot product over n entries: within γₙ/2 + u of the exact norm on any CPU (the
    sum within γₙ, half of that after the square root, and the root rounded), so two CPUs within
    twice that."""
    unit = float(np.finfo(dtype).eps) / 2
    return 2 * (ENTRIES * unit / (1 - ENTRIES * unit) / 2 + unit)


def differences(
    found: dict[str, np.ndarray], expected: dict[str, np.ndarray], dtype: str, clipping: str
) -> dict[str, float]:
    """The arrays whose normwise relative difference exceeds the tolerance, with that difference."""
    assert sorted(found) == sorted(expected)
    worse = {}
    for key, reference in expected.items():
        value = found[key]
        assert value.shape == reference.shape and value.dtype == reference.dtype, key
        limit = grad_norm_tolerance(dtype) if key == "grad_norms" else tolerance(dtype, clipping)
        scale = float(np.max(np.abs(reference)))
        error = float(np.max(np.abs(value.astype(np.float64) - reference.astype(np.float64)))) / (
            scale or 1.0
        )
        if not error <= limit:  # NaN too
            worse[key] = error
    return worse


def cases():
    return [
        (name, clipping, dtype)
        for name in RECORDED
        for clipping in CLIPPING
        for dtype in ("float32", "float64")
    ]


def case_key(name: str, clipping: str, dtype: str) -> str:
    return f"{name}/{clipping}/{dtype}"


@pytest.fixture(scope="module")
def goldens():
    with np.load(GOLDENS, allow_pickle=False) as saved:
        return {key: saved[key] for key in saved.files}


def expected(
    goldens: dict[str, np.ndarray], name: str, clipping: str, dtype: str
) -> dict[str, np.ndarray]:
    prefix = case_key(name, clipping, dtype) + "|"
    return {
        key.removeprefix(prefix): value for key, value in goldens.items() if key.startswith(prefix)
    }


@pytest.mark.parametrize(("name", "clipping", "dtype"), cases())
def test_update_gives_the_recorded_numbers(goldens, name, clipping, dtype):
    reference = expected(goldens, name, clipping, dtype)
    assert reference, f"no golden recorded for {case_key(name, clipping, dtype)}"
    assert differences(run(name, clipping, dtype), reference, dtype, clipping) == {}


def test_the_gradient_entries_cover_the_regimes_the_goldens_are_for():
    """The scenario itself: clip_norm binds at some steps and not at others; ε is comparable to √v
    for some entries (else a misplaced ε would pass unseen)."""
    norms = run("sgd", "none", "float32")["grad_norms"]
    assert any(norm > CLIPPING["norm"]["clip_norm"] for norm in norms)
    assert any(0 < norm < CLIPPING["norm"]["clip_norm"] for norm in norms if norm > 1)
    h = run("adagrad", "none", "float64")["state/W/h"]
    assert np.sum(np.sqrt(h) < 1e-3) >= 5  # √h within 1e4 of AdaGrad's ε = 1e-7 for several entries


def _adam_eps_inside_the_root(self, theta, m, v, work, bias_1, lr=None):
    c = math.sqrt(1.0 - self.beta_2**self.iterations)
    np.sqrt(v / c**2 + self.eps, out=work)  # √(v̂ + ε) instead of √v̂ + ε
    theta -= (self.lr if lr is None else lr) / bias_1 * m / work


def _adam_without_the_second_bias_correction(self, theta, m, v, work, bias_1, lr=None):
    np.sqrt(v, out=work)
    work += self.eps
    theta -= (self.lr if lr is None else lr) / bias_1 * m / work


def _adam_without_the_first_bias_correction(self, theta, m, v, work, bias_1, lr=None):
    original_descend(self, theta, m, v, work, 1.0, lr)


def _momentum_in_pytorch_form(self, theta, g, v, *, work):
    v *= self.momentum  # b ← β·b + g, θ ← θ − η·b: the same as v ← β·v − η·g only for a constant η
    v += g
    theta -= self.lr * v


def _adagrad_eps_inside_the_root(theta, g, h, eps, lr, work):
    theta -= lr * g / np.sqrt(h + eps)


original_descend = adam_rules.AdamFamily.descend
MUTANTS = {
    "adam: ε inside the root": (
        "adam",
        adam_rules.AdamFamily,
        "descend",
        _adam_eps_inside_the_root,
    ),
    "adam: no 1-β2ᵗ correction": (
        "adam",
        adam_rules.AdamFamily,
        "descend",
        _adam_without_the_second_bias_correction,
    ),
    "nadam: no 1-β2ᵗ correction": (
        "nadam",
        adam_rules.AdamFamily,
        "descend",
        _adam_without_the_second_bias_correction,
    ),
    "adam: no 1-β1ᵗ correction": (
        "adam",
        adam_rules.AdamFamily,
        "descend",
        _adam_without_the_first_bias_correction,
    ),
    "momentum: PyTorch's buffer": ("momentum", tl.Momentum, "rule", _momentum_in_pytorch_form),
    "adagrad: ε inside the root": (
        "adagrad",
        adaptive_rules,
        "descend_scaled",
        _adagrad_eps_inside_the_root,
    ),
}


@pytest.mark.parametrize("mutant", MUTANTS)
@pytest.mark.parametrize(("clipping", "dtype"), [("norm", "float32"), ("none", "float64")])
def test_a_changed_rule_fails_the_goldens(goldens, monkeypatch, mutant, clipping, dtype):
    """A rule changed in a way that matters (but that a casual reading might call the same) fails
    the tolerance, in the loosest case (float32 with clip_norm) as in a strict one, by a wide
    margin."""
    name, owner, attribute, replacement = MUTANTS[mutant]
    monkeypatch.setattr(owner, attribute, replacement)
    worse = differences(
        run(name, clipping, dtype), expected(goldens, name, clipping, dtype), dtype, clipping
    )
    assert worse, f"{mutant} fits the goldens"
    assert max(worse.values()) > 10 * tolerance(dtype, clipping)


def saved_state_run() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], tl.Optimizer]:
    rng = np.random.default_rng(7)
    params = {"dense1.W": rng.standard_normal((5, 3)), "dense1.b": rng.standard_normal(3)}
    optimizer = tl.Adam(lr=0.05, beta_1=0.8, clip_norm=3.0)
    for _ in range(4):
        optimizer.update(params, {key: rng.standard_normal(p.shape) for key, p in params.items()})
    return params, {key: rng.standard_normal(p.shape) for key, p in params.items()}, optimizer


def record() -> None:
    DATA.mkdir(exist_ok=True)
    arrays = {}
    for case in cases():
        for key, value in run(*case).items():
            arrays[f"{case_key(*case)}|{key}"] = value
    np.savez_compressed(GOLDENS, **arrays)
    if SAVED_STATE.exists():  # saved by the first version: never replaced
        return
    params, grads, optimizer = saved_state_run()
    state = optimizer.state_dict()
    before = {k: v.copy() for k, v in params.items()}
    optimizer.update(params, grads)
    np.savez(
        SAVED_STATE,
        metadata=json.dumps({k: v for k, v in state.items() if k != "arrays"}),
        **{f"arrays/{k}": v for k, v in state["arrays"].items()},
        **{f"before/{k}": v for k, v in before.items()},
        **{f"after/{k}": v for k, v in params.items()},
        **{f"grads/{k}": v for k, v in grads.items()},
    )


def test_state_saved_by_the_first_version_still_loads_and_continues():
    """The fifth update of a state saved by the first version, to within the tolerance of
    elementwise rules with clip_norm (the update clips by a 6-entry norm: float64, 2·γ₆ ≈
    1.3e-15)."""
    with np.load(SAVED_STATE, allow_pickle=False) as saved:
        state = {**json.loads(str(saved["metadata"])), "arrays": part(saved, "arrays")}
        params, grads, after = part(saved, "before"), part(saved, "grads"), part(saved, "after")
    optimizer = tl.Adam()
    optimizer.load_state_dict(state)
    assert (optimizer.lr, optimizer.beta_1, optimizer.clip_norm, optimizer.iterations) == (
        0.05,
        0.8,
        3.0,
        4,
    )
    optimizer.update(params, grads)  # the fifth update, as the first version made it
    for key, value in after.items():
        scale = np.abs(value).max()
        np.testing.assert_allclose(
            params[key], value, rtol=0, atol=64 * np.finfo(np.float64).eps * scale
        )


def part(saved, prefix: str) -> dict[str, np.ndarray]:
    return {
        k.removeprefix(f"{prefix}/"): saved[k] for k in saved.files if k.startswith(f"{prefix}/")
    }


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit(__doc__)
    record()
