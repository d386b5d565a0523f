"""Golden numbers: every optimizer gives bit for bit the parameters and state it gave when they were recorded.

The goldens pin the exact floating-point results of each update rule (with and without clipping, float32 and
float64, a parameter large enough for the block-wise path, a learning rate and momentum that change every
step as a schedule would set them), so that a rewrite for readability or speed cannot change a single bit
unnoticed. They are SHA-256 digests (first 16 hex digits) of the raw bytes of each array, in
``tests/data/optimizer_goldens.json``; ``tests/data/optimizer_state_v1.npz`` is a state_dict saved by the
code of that time, which must keep loading.

Record them again only on purpose (a deliberate change of the numbers, stated in the commit):
``python tests/test_optimizer_goldens.py --record``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import trainlab as tl

DATA = Path(__file__).parent / "data"
GOLDENS = DATA / "optimizer_goldens.json"
SAVED_STATE = DATA / "optimizer_state_v1.npz"
SHAPES = {"W": (300, 256), "b": (256,), "V": (20, 7)}  # W: 76,800 entries, above the block size
STEPS = 6
CLIPPING = {"none": {}, "norm": {"clip_norm": 40.0}, "value": {"clip_value": 0.5}}
RECORDED = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamax", "nadam", "adamw",  # before
            "adadelta", "amsgrad", "radam", "lion"]  # recorded after the rewrite that added them


def digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def run(name: str, clipping: str, dtype: str) -> dict[str, str]:
    """Digests of the parameters, the state and the gradient norms after STEPS updates.

    One BLAS thread: the gradient norm is a BLAS dot product, whose rounding depends on how many threads
    share the sum.
    """
    with threadpool_limits(1):
        return _run(name, clipping, dtype)


def _run(name: str, clipping: str, dtype: str) -> dict[str, str]:
    rng = np.random.default_rng(2024)
    params = {key: rng.standard_normal(shape).astype(dtype) for key, shape in SHAPES.items()}
    optimizer = tl.get_optimizer(name, **CLIPPING[clipping])
    base_lr = optimizer.lr * 10
    norms = []
    for step in range(STEPS):
        # gradient scales vary so that clip_norm=40 binds at some steps and not at others
        grads = {key: (rng.standard_normal(shape) * 0.3 * (step % 3)).astype(dtype) for key, shape in SHAPES.items()}
        grads["b"] += np.asarray(0.1, dtype)  # never all zero
        optimizer.lr = base_lr / (1 + step)
        if optimizer.momentum is not None:
            optimizer.momentum = 0.95 - 0.02 * step
        optimizer.update(params, grads)
        norms.append(optimizer.grad_norm)
    arrays = {f"param/{key}": value for key, value in params.items()}
    arrays.update({f"state/{key}": value for key, value in optimizer.state_dict()["arrays"].items()})
    result = {key: digest(arrays[key]) for key in sorted(arrays)}
    result["grad_norms"] = digest(np.array(norms))
    return result


def cases():
    return [(name, clipping, dtype) for name in RECORDED for clipping in CLIPPING for dtype in ("float32", "float64")]


def saved_state_run() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], tl.Optimizer]:
    rng = np.random.default_rng(7)
    params = {"dense1.W": rng.standard_normal((5, 3)), "dense1.b": rng.standard_normal(3)}
    optimizer = tl.Adam(lr=0.05, beta_1=0.8, clip_norm=3.0)
    for _ in range(4):
        optimizer.update(params, {key: rng.standard_normal(p.shape) for key, p in params.items()})
    return params, {key: rng.standard_normal(p.shape) for key, p in params.items()}, optimizer


def record() -> None:
    DATA.mkdir(exist_ok=True)
    goldens = {"/".join(case): run(*case) for case in cases()}
    GOLDENS.write_text(json.dumps(goldens, indent=0, sort_keys=True) + "\n")
    if SAVED_STATE.exists():  # saved by the first version: never replaced
        return
    params, grads, optimizer = saved_state_run()
    state = optimizer.state_dict()
    before = {k: v.copy() for k, v in params.items()}
    optimizer.update(params, grads)
    np.savez(SAVED_STATE, metadata=json.dumps({k: v for k, v in state.items() if k != "arrays"}),
             **{f"arrays/{k}": v for k, v in state["arrays"].items()},
             **{f"before/{k}": v for k, v in before.items()}, **{f"after/{k}": v for k, v in params.items()},
             **{f"grads/{k}": v for k, v in grads.items()})


@pytest.mark.parametrize(("name", "clipping", "dtype"), cases())
def test_update_is_bitwise_the_recorded_one(name, clipping, dtype):
    expected = json.loads(GOLDENS.read_text())[f"{name}/{clipping}/{dtype}"]
    assert run(name, clipping, dtype) == expected


def test_state_saved_by_the_first_version_still_loads_and_continues():
    with np.load(SAVED_STATE, allow_pickle=False) as saved:
        state = {**json.loads(str(saved["metadata"])), "arrays": part(saved, "arrays")}
        params, grads, after = part(saved, "before"), part(saved, "grads"), part(saved, "after")
    optimizer = tl.Adam()
    optimizer.load_state_dict(state)
    assert (optimizer.lr, optimizer.beta_1, optimizer.clip_norm, optimizer.iterations) == (0.05, 0.8, 3.0, 4)
    optimizer.update(params, grads)  # the fifth update, as the first version made it
    for key, value in after.items():
        np.testing.assert_array_equal(params[key], value)


def part(saved, prefix: str) -> dict[str, np.ndarray]:
    return {k.removeprefix(f"{prefix}/"): saved[k] for k in saved.files if k.startswith(f"{prefix}/")}


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit(__doc__)
    record()
