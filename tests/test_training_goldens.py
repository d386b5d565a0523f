"""Golden numbers: fit, the textbook's Trainer and the hand-written loop give bit for bit the weights they gave.

The goldens pin the exact floating-point results of training (every schedule, clipping, weight decay, a
regularizer and a constraint, dropout and batch norm, both samplings, float64, a cut-short epoch, save,
load and resume), so that a rewrite of the training step or the loop for readability cannot change a bit
unnoticed. They are SHA-256 digests (first 16 hex digits) of the raw bytes of each weight and buffer and of
the per-step losses, in ``tests/data/training_goldens.json``.

Record them again only on purpose (a deliberate change of the numbers, stated in the commit):
``python tests/test_training_goldens.py --record``.
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

GOLDENS = Path(__file__).parent / "data" / "training_goldens.json"


def digest(values) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()[:16]


def data(n=120, d=8, classes=4, seed=3):
    rng = np.random.default_rng(seed)
    centers = 1.5 * rng.standard_normal((classes, d))
    y = rng.integers(0, classes, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


def model(dtype="float32", seed=7):
    return tl.Sequential([
        tl.Dense(16, init="he_normal", regularizer=tl.L2(1e-3)), tl.BatchNorm(), tl.ReLU(), tl.Dropout(0.25),
        tl.Dense(12, activation="elu", constraint=tl.MaxNorm(1.5)), tl.Dense(4),
    ], input_dim=8, seed=seed, dtype=dtype, weight_decay=1e-4)


def digests(net: tl.Sequential, losses) -> dict[str, str]:
    """Digests of every weight and buffer and of the per-step losses, and the counters. (The optimizer's
    state is pinned by its own goldens, and here through the weights of the resumed run.)"""
    out = {name: digest(value) for name, value in net.state_dict().items()}
    out["step_loss"] = digest(np.asarray(losses, dtype=np.float64))
    out["counters"] = f"{net.epochs_done}/{net.iterations_done}"
    return out


SCHEDULES = {
    "none": lambda: [],
    "power": lambda: [tl.PowerDecay(0.05, decay_steps=10)],
    "exponential": lambda: [tl.ExponentialDecay(0.05, decay_steps=20)],
    "piecewise_epoch": lambda: [tl.LearningRateScheduler(tl.PiecewiseConstant([1, 2], [0.05, 0.02, 0.01]),
                                                         per="epoch")],
    "cosine": lambda: [tl.CosineDecay(0.05, warmup_steps=3)],
    "one_cycle": lambda: [tl.OneCycle(0.08)],
    "plateau": lambda: [tl.ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5)],
}
OPTIMIZERS = {"none": ("momentum", {}), "power": ("sgd", {}), "exponential": ("adam", {"clip_norm": 1.0}),
              "piecewise_epoch": ("nesterov", {}), "cosine": ("rmsprop", {"clip_value": 0.5}),
              "one_cycle": ("nadam", {}), "plateau": ("adamw", {})}


def fit_with(schedule: str) -> dict[str, str]:
    x, y = data()
    net = model()
    name, options = OPTIMIZERS[schedule]
    net.compile(name, lr=0.05 if name in ("sgd", "momentum", "nesterov") else 0.005, **options)
    history = net.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                      callbacks=SCHEDULES[schedule]())
    return digests(net, history.step_loss)


def resume(tmp: Path) -> dict[str, str]:
    x, y = data()
    net = model().compile("adam", lr=0.01)
    first = net.fit(x, y, epochs=2, batch_size=16, verbose=0).step_loss
    second = net.fit(x, y, iterations=5, batch_size=16, sampling="epoch", verbose=0).step_loss
    net.save(tmp / "m.npz")
    net = tl.load_model(tmp / "m.npz")
    third = net.fit(x, y, iterations=9, batch_size=16, verbose=0).step_loss
    return digests(net, [*first, *second, *third])


def iid_float64() -> dict[str, str]:
    x, y = data()
    net = model(dtype="float64").compile("adagrad", lr=0.05)
    history = net.fit(x, np.eye(4)[y], iterations=20, batch_size=10, sampling="iid", verbose=0)
    return digests(net, history.step_loss)


def trainer() -> dict[str, str]:
    x, y = data()
    net = model()
    run = tl.Trainer(net, x[:90], y[:90], x[90:], y[90:], epochs=2, mini_batch_size=15, optimizer="Adam",
                     optimizer_param={"lr": 0.01}, evaluate_sample_num_per_epoch=30, verbose=False)
    run.train()
    return digests(net, run.train_loss_list)


def hand_loop() -> dict[str, str]:
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
    return digests(net, losses)


def compute(tmp: Path) -> dict[str, dict[str, str]]:
    with threadpool_limits(1):  # one BLAS thread: the same sums in the same order everywhere
        out = {f"fit/{name}": fit_with(name) for name in SCHEDULES}
        out["resume"] = resume(tmp)
        out["iid_float64"] = iid_float64()
        out["trainer"] = trainer()
        out["hand_loop"] = hand_loop()
    return out


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return compute(tmp_path_factory.mktemp("goldens"))


@pytest.mark.parametrize("case", [*(f"fit/{name}" for name in SCHEDULES), "resume", "iid_float64", "trainer",
                                  "hand_loop"])
def test_training_gives_the_recorded_numbers(results, case):
    expected = json.loads(GOLDENS.read_text())[case]
    assert results[case] == expected


if __name__ == "__main__" and "--record" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        GOLDENS.parent.mkdir(exist_ok=True)
        GOLDENS.write_text(json.dumps(compute(Path(folder)), indent=1, sort_keys=True) + "\n")
    print(f"recorded {GOLDENS}")
