"""Golden numbers: fit, the textbook's Trainer and the hand-written loop give the weights they gave
when they were recorded, to within a tolerance that holds on every CPU and that no change of the
training step fits in.

The goldens pin the results of training (every schedule, clipping, weight decay, a regularizer and a
constraint, dropout and batch norm, both samplings, float64, a cut-short epoch, save, load and
resume), so that a rewrite of the training step or the loop for readability cannot change them
unnoticed. The reference arrays themselves (every weight and buffer, the per-step losses, the
counters) are stored in ``tests/data/training_goldens.npz``.

Training is matrix products (BLAS), and their rounding depends on the kernel OpenBLAS picks for the
CPU, so the numbers agree across machines only to within a tolerance (:data:`TOLERANCE`); the
counters agree exactly. Bit for bit is a claim about two runs on one machine, made inside one test:
resume = uninterrupted and save/load in ``test_reliability.py``. (The first Dense layer has no bias:
before batch norm a bias gets a gradient of zero up to rounding, so its value would be rounding
noise, which Adam's scale-free step grows to the size of η; it differed by 100 % between two kernels
of one machine.)

Record the references again only on purpose (a deliberate change of the numbers, stated in the
commit): ``python tests/test_training_goldens.py --record``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import trainlab as tl

GOLDENS = Path(__file__).parent / "data" / "training_goldens.npz"


def differences(found: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> dict[str, float]:
    """The arrays whose normwise relative difference exceeds the tolerance, with that difference."""
    assert sorted(found) == sorted(expected)
    tolerance = TOLERANCE[found["dense2.W"].dtype.name]
    worse = {}
    for key, reference in expected.items():
        value = found[key]
        assert value.shape == reference.shape and value.dtype == reference.dtype, key
        if key == "counters":
            if not np.array_equal(value, reference):
                worse[key] = float("inf")
            continue
        scale = float(np.max(np.abs(reference)))
        error = float(np.max(np.abs(value.astype(np.float64) - reference.astype(np.float64)))) / (
            scale or 1.0
        )
        if not error <= tolerance:  # NaN too
            worse[key] = error
    return worse


STEPS = 30  # the most updates a case makes (resume: 16 + 5 + 9)
LONGEST_SUM = 16  # the longest reduction of a step: over a batch of 16, or 16 inputs of a unit
TOLERANCE = {
    dtype: STEPS * LONGEST_SUM * float(np.finfo(dtype).eps) for dtype in ("float32", "float64")
}
"""The largest normwise relative difference ‖x - x_ref‖∞ / ‖x_ref‖∞ two CPUs may show, by the model's dtype.

Every step's sums (a matrix product over ≤ 16 terms, a batch mean over 16) are each within γ₁₆ ≈ 16·u
(u = ε/2) of the exact sum whatever the summation order, so two CPUs' steps differ by at most 2·γ₁₆ = 16·ε
relative; over at most 30 steps of a small learning rate those differences add up rather than grow:
30·16·ε, that is 5.7e-5 in float32 and 1.1e-13 in float64. Measured on one machine (its native AVX-512 loops
and SkylakeX kernels against AVX2 loops with Haswell kernels and SSE loops with Prescott kernels): at most
3.0e-6 (25 ε) and 2.1e-14 (96 ε). The per-step losses of a float32
model are float32 sums stored as float64: the float32 tolerance. A changed rule moves some array by 2.7e-4
(batch norm's ε = 1e-3 instead of 1e-5: 4.7 times the tolerance) to 0.8 (its momentum 0.99 instead of 0.9)
of its largest entry (``test_a_changed_training_rule_fails_the_goldens``)."""


def data(n=120, d=8, classes=4, seed=3):
    rng = np.random.default_rng(seed)
    centers = 1.5 * rng.standard_normal((classes, d))
    y = rng.integers(0, classes, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


def model(dtype="float32", seed=7):
    return tl.Sequential(
        [
            tl.Dense(16, init="he_normal", regularizer=tl.L2(1e-3), bias=False),
            tl.BatchNorm(),
            tl.ReLU(),
            tl.Dropout(0.25),
            tl.Dense(12, activation="elu", constraint=tl.MaxNorm(1.5)),
            tl.Dense(4),
        ],
        input_dim=8,
        seed=seed,
        dtype=dtype,
        weight_decay=1e-4,
    )


def outcome(net: tl.Sequential, losses) -> dict[str, np.ndarray]:
    """Every weight and buffer, the per-step losses and the counters. (The optimizer's state is
    pinned by its own goldens, and here through the weights of the resumed run.)"""
    out = {name: np.array(value) for name, value in net.state_dict().items()}
    out["step_loss"] = np.asarray(losses, dtype=np.float64)
    out["counters"] = np.array([net.epochs_done, net.iterations_done])
    return out


SCHEDULES = {
    "none": lambda: [],
    "power": lambda: [tl.PowerDecay(0.05, decay_steps=10)],
    "exponential": lambda: [tl.ExponentialDecay(0.05, decay_steps=20)],
    "piecewise_epoch": lambda: [
        tl.LearningRateScheduler(tl.PiecewiseConstant([1, 2], [0.05, 0.02, 0.01]), per="epoch")
    ],
    "cosine": lambda: [tl.CosineDecay(0.05, warmup_steps=3)],
    "one_cycle": lambda: [tl.OneCycle(0.08)],
    "plateau": lambda: [tl.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5)],
}
OPTIMIZERS = {
    "none": ("momentum", {}),
    "power": ("sgd", {}),
    "exponential": ("adam", {"clip_norm": 1.0}),
    "piecewise_epoch": ("nesterov", {}),
    "cosine": ("rmsprop", {"clip_value": 0.5}),
    "one_cycle": ("nadam", {}),
    "plateau": ("adamw", {}),
}


def fit_with(schedule: str) -> dict[str, np.ndarray]:
    x, y = data()
    net = model()
    name, options = OPTIMIZERS[schedule]
    net.compile(name, lr=0.05 if name in ("sgd", "momentum", "nesterov") else 0.005, **options)
    history = net.fit(
        x,
        y,
        epochs=3,
        batch_size=16,
        validation_split=0.25,
        verbose=0,
        callbacks=SCHEDULES[schedule](),
    )
    return outcome(net, history.step_loss)


def resume(tmp: Path) -> dict[str, np.ndarray]:
    x, y = data()
    net = model().compile("adam", lr=0.01)
    first = net.fit(x, y, epochs=2, batch_size=16, verbose=0).step_loss
    second = net.fit(x, y, iterations=5, batch_size=16, sampling="epoch", verbose=0).step_loss
    net.save(tmp / "m.npz")
    net = tl.load_model(tmp / "m.npz")
    third = net.fit(x, y, iterations=9, batch_size=16, verbose=0).step_loss
    return outcome(net, [*first, *second, *third])


def iid_float64() -> dict[str, np.ndarray]:
    x, y = data()
    net = model(dtype="float64").compile("adagrad", lr=0.05)
    history = net.fit(x, np.eye(4)[y], iterations=20, batch_size=10, sampling="iid", verbose=0)
    return outcome(net, history.step_loss)


def trainer() -> dict[str, np.ndarray]:
    x, y = data()
    net = model()
    run = tl.Trainer(
        net,
        x[:90],
        y[:90],
        x[90:],
        y[90:],
        epochs=2,
        mini_batch_size=15,
        optimizer="Adam",
        optimizer_param={"lr": 0.01},
        evaluate_sample_num_per_epoch=30,
        verbose=False,
    )
    run.train()
    return outcome(net, run.train_loss_list)


def hand_loop() -> dict[str, np.ndarray]:
    x, y = data()
    net = model()
    optimizer = tl.SGD(lr=0.1)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(15):
        batch = rng.choice(len(x), 16)
        grads = net.gradient(x[batch], y[batch])
        losses.append(net.loss(x[batch], y[batch]))
        optimizer.update(net.params, grads)
    return outcome(net, losses)


def compute(tmp: Path) -> dict[str, dict[str, np.ndarray]]:
    with threadpool_limits(1):  # one BLAS thread: the same sums in the same order on one machine
        out = {f"fit/{name}": fit_with(name) for name in SCHEDULES}
        out["resume"] = resume(tmp)
        out["iid_float64"] = iid_float64()
        out["trainer"] = trainer()
        out["hand_loop"] = hand_loop()
    return out


CASES = [*(f"fit/{name}" for name in SCHEDULES), "resume", "iid_float64", "trainer", "hand_loop"]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return compute(tmp_path_factory.mktemp("goldens"))


@pytest.fixture(scope="module")
def goldens():
    with np.load(GOLDENS, allow_pickle=False) as saved:
        return {key: saved[key] for key in saved.files}


def expected(goldens: dict[str, np.ndarray], case: str) -> dict[str, np.ndarray]:
    return {
        key.removeprefix(f"{case}|"): value
        for key, value in goldens.items()
        if key.startswith(f"{case}|")
    }


@pytest.mark.parametrize("case", CASES)
def test_training_gives_the_recorded_numbers(results, goldens, case):
    reference = expected(goldens, case)
    assert reference, f"no golden recorded for {case}"
    assert differences(results[case], reference) == {}


def _l2_without_its_factor_2(self, W):
    return self.l2 * W  # dR/dW of ½·l2·ΣW², not of l2·ΣW²


def _with_setting(cls, method: str, attribute: str, value):
    """``cls.method`` that first sets ``self.attribute = value`` (a default changed in the code)."""
    original = getattr(cls, method)

    def changed(self, *args, **kwargs):
        setattr(self, attribute, value)
        return original(self, *args, **kwargs)

    return changed


TRAINING_MUTANTS = {
    "L2: dR/dW = l2·W": (tl.L1L2, "gradient", lambda: _l2_without_its_factor_2),
    "dropout not inverted": (
        tl.Dropout,
        "forward",
        lambda: _with_setting(tl.Dropout, "forward", "inverted", False),
    ),
    "batch norm momentum 0.99": (
        tl.BatchNorm,
        "forward",
        lambda: _with_setting(tl.BatchNorm, "forward", "momentum", 0.99),
    ),
    "batch norm ε = 1e-3": (
        tl.BatchNorm,
        "forward",
        lambda: _with_setting(tl.BatchNorm, "forward", "epsilon", 1e-3),
    ),
}


@pytest.mark.parametrize("mutant", TRAINING_MUTANTS)
@pytest.mark.parametrize("schedule", ["none", "one_cycle"])
def test_a_changed_training_rule_fails_the_goldens(goldens, monkeypatch, mutant, schedule):
    """A training rule changed in a way that a casual reading might call the same fails the
    tolerance (momentum SGD; Nadam under 1cycle, whose scale-free steps hide a change of scale), by
    4.7 times (batch norm's ε) to 14,000 times it, and 100 times or more the difference measured
    between two CPU kernels."""
    owner, attribute, replacement = TRAINING_MUTANTS[mutant]
    monkeypatch.setattr(owner, attribute, replacement())
    with threadpool_limits(1):
        found = fit_with(schedule)
    worse = differences(found, expected(goldens, f"fit/{schedule}"))
    assert worse, f"{mutant} fits the goldens"
    assert max(worse.values()) > 4 * TOLERANCE["float32"]


def record(folder: Path) -> None:
    arrays = {
        f"{case}|{key}": value
        for case, found in compute(folder).items()
        for key, value in found.items()
    }
    GOLDENS.parent.mkdir(exist_ok=True)
    np.savez_compressed(GOLDENS, **arrays)


if __name__ == "__main__" and "--record" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        record(Path(folder))
    print(f"recorded {GOLDENS}")
