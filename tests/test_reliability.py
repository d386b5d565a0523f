"""The library's findings of the reliability sweep (issue 10): each test failed before its fix."""

import math
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import trainlab as tl
from trainlab.saving import load_model


def blobs(n=100, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((classes, d))
    y = rng.integers(0, classes, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


def net(seed=0):
    return tl.Sequential(
        [tl.Dense(16), tl.BatchNorm(), tl.ReLU(), tl.Dropout(0.2), tl.Dense(3)],
        input_dim=6,
        seed=seed,
    ).compile("adam", lr=1e-2)


def assert_same_weights(a, b):
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[name], value, err_msg=name)


# -- 1. a fit that ends mid-epoch ------------------------------------------------------------------
@pytest.mark.parametrize("sampling", ["epoch", "iid"])
@pytest.mark.parametrize("k, j", [(5, 5), (3, 11), (7, 7), (1, 20), (13, 2), (6, 1)])
@pytest.mark.parametrize("via_file", [False, True])
def test_k_then_j_iterations_equal_k_plus_j_bitwise(tmp_path, sampling, k, j, via_file):
    x, y = blobs()  # 100 samples in batches of 16: 7 steps per epoch, the last one of 4 samples
    options = {"batch_size": 16, "sampling": sampling, "verbose": 0, "evaluate_train": False}
    straight = net()
    straight.fit(x, y, iterations=k + j, **options)
    split = net()
    first = split.fit(x, y, iterations=k, **options)
    assert len(first.step_loss) == k and split.iterations_done == k and split.epochs_done == k // 7
    if via_file:
        split.save(tmp_path / "m.npz")
        split = load_model(tmp_path / "m.npz")
    second = split.fit(x, y, iterations=j, **options)
    assert len(second.step_loss) == j and second.status == "completed"
    assert split.iterations_done == straight.iterations_done == k + j
    assert split.epochs_done == straight.epochs_done == (k + j) // 7
    assert_same_weights(straight, split)


def test_one_step_at_a_time_trains_every_step():
    x, y = blobs()
    straight, stepped = net(), net()
    straight.fit(x, y, iterations=40, batch_size=16, verbose=0, evaluate_train=False)
    for _ in range(40):
        assert (
            len(
                stepped.fit(
                    x, y, iterations=1, batch_size=16, verbose=0, evaluate_train=False
                ).step_loss
            )
            == 1
        )
    assert stepped.iterations_done == 40 and stepped.epochs_done == 5
    assert_same_weights(straight, stepped)


def test_epochs_after_a_cut_short_epoch_finish_it_first(tmp_path):
    x, y = blobs()
    model = net()
    model.fit(x, y, iterations=5, batch_size=16, verbose=0)
    model.save(tmp_path / "m.npz")
    model = load_model(tmp_path / "m.npz")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert len(history.step_loss) == 2 + 7 and history.epochs == [0, 1]
    assert model.epochs_done == 2 and model.iterations_done == 14
    straight = net()
    straight.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert_same_weights(straight, model)


def test_a_cut_short_epoch_with_other_data_starts_a_new_epoch_with_a_warning():
    x, y = blobs()
    model = net()
    model.fit(x, y, iterations=5, batch_size=16, verbose=0)
    with pytest.warns(UserWarning, match="stopped after 5 of 7 steps of epoch 0"):
        history = model.fit(x[:50], y[:50], epochs=1, batch_size=16, verbose=0)
    assert len(history.step_loss) == 4 and model.epochs_done == 1 and model.iterations_done == 9


# -- 2. one layer instance used twice --------------------------------------------------------------
def test_a_layer_used_twice_is_refused_at_construction():
    dense = tl.Dense(6)
    with pytest.raises(ValueError, match=r"layers\[0\] and layers\[2\] are the same Dense object"):
        tl.Sequential([dense, tl.ReLU(), dense], input_dim=6)
    relu = tl.ReLU()
    with pytest.raises(ValueError, match=r"layers\[1\] and layers\[3\] are the same ReLU"):
        tl.Sequential([tl.Dense(4), relu, tl.Dense(4), relu])
    shared = tl.Tanh()
    with pytest.raises(ValueError, match="same Tanh object"):
        tl.Sequential([tl.Dense(4, activation=shared), tl.Dense(4, activation=shared)])


# -- 7, 8 and the scalar: targets are checked like inputs ------------------------------------------
def test_nan_or_inf_in_one_hot_targets_is_named():
    x, y = blobs(n=20)
    onehot = np.eye(3)[y]
    onehot[4, 1] = np.nan
    model = net()
    with pytest.raises(ValueError, match=r"y contains NaN or inf \(first at index \(4, 1\)"):
        model.fit(x, onehot, epochs=1, verbose=0)
    assert model.iterations_done == 0
    with pytest.raises(ValueError, match="validation_data y contains NaN or inf"):
        model.fit(x, y, epochs=1, verbose=0, validation_data=(x, onehot))
    onehot[4, 1] = np.inf
    with pytest.raises(ValueError, match="y contains NaN or inf"):
        model.evaluate(x, onehot)
    with pytest.raises(ValueError, match="t contains NaN or inf"):
        model.loss(x, onehot)
    with pytest.raises(ValueError, match="t contains NaN or inf"):
        model.gradient(x, onehot)


def test_boolean_labels_are_the_classes_0_and_1():
    x, y = blobs(n=40, classes=2)
    model = tl.Sequential([tl.Dense(2)], input_dim=6, seed=0)
    as_bool = y.astype(bool)
    assert model.loss(x[:2], [True, True]) == model.loss(x[:2], [1, 1])
    assert model.accuracy(x, as_bool) == model.accuracy(x, y)
    np.testing.assert_array_equal(tl.one_hot(np.array([True, False]), 2), [[0, 1], [1, 0]])
    a, b = (tl.Sequential([tl.Dense(2)], input_dim=6, seed=0).compile("sgd") for _ in range(2))
    a.fit(x, as_bool, epochs=2, batch_size=8, verbose=0)
    b.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert_same_weights(a, b)


def test_scalar_and_mislabelled_targets():
    x, y = blobs(n=20)
    model = net()
    with pytest.raises(
        ValueError, match="y must be an array with one target per sample, got the scalar 3"
    ):
        model.fit(x, 3, verbose=0)
    with pytest.raises(ValueError, match="y must be an array with one target per sample"):
        model.evaluate(x, 3)
    y[7] = 5
    with pytest.raises(ValueError, match="y holds label 5 outside the 3 classes"):
        model.fit(x, y, verbose=0)
    assert model.iterations_done == 0


def test_one_hot_checks_its_labels():
    with pytest.raises(ValueError, match="label -1 outside the 10 classes"):
        tl.one_hot(-1, 10)
    with pytest.raises(ValueError, match="label 10 outside"):
        tl.one_hot([1, 10], 10)
    with pytest.raises(ValueError, match="integer class labels, got 1.5"):
        tl.one_hot([1.5], 10)
    with pytest.raises(ValueError, match="n_classes must be >= 1"):
        tl.one_hot([0], 0)
    np.testing.assert_array_equal(tl.one_hot(3, 4), [[0, 0, 0, 1]])


# -- 9. checkpoint filename patterns ---------------------------------------------------------------
def test_checkpoint_patterns_take_the_epochs_logs(tmp_path):
    x, y = blobs()
    model = net()
    pattern = str(tmp_path / "w-{epoch:02d}-{val_loss:.2f}-{accuracy:.3f}.npz")
    history = model.fit(
        x,
        y,
        epochs=2,
        batch_size=16,
        validation_split=0.2,
        verbose=0,
        callbacks=[tl.ModelCheckpoint(pattern)],
    )
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = [
        f"w-{e:02d}-{history['val_loss'][e]:.2f}-{history['accuracy'][e]:.3f}.npz" for e in (0, 1)
    ]
    assert names == sorted(expected)


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("w-{val_loss}.npz", r"\{val_loss\}.*loss, accuracy, lr"),
        ("w-{epoch:.2q}.npz", "cannot format"),
        ("w-{}.npz", "fields must be named"),
    ],
)
def test_bad_checkpoint_patterns_are_refused_before_the_first_step(tmp_path, pattern, message):
    x, y = blobs()
    model = net()
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[tl.ModelCheckpoint(tmp_path / pattern)])
    assert model.iterations_done == 0 and not list(tmp_path.iterdir())


def test_monitors_are_checked_before_the_first_step():
    x, y = blobs()
    for callback in (
        tl.EarlyStopping(monitor="val_loss"),
        tl.ReduceLROnPlateau(monitor="val_acc"),
        tl.ModelCheckpoint("x.npz", monitor="val_loss", save_best_only=True),
    ):
        model = net()
        with pytest.raises(ValueError, match="is not among the epoch's metrics"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
        assert model.iterations_done == 0


# -- 10. schedules past their end; a crash inside the loop -----------------------------------------
def test_a_schedule_past_its_end_holds_its_final_value():
    cosine = tl.CosineDecay(
        0.1, total_steps=10
    )  # its final value would be min_lr = 0: the last positive one
    assert (
        cosine(9) > 0
        and cosine(10) == cosine(11) == cosine(1000) == cosine(9) == cosine.curve(12)[-1]
    )
    for schedule, final in (
        (tl.OneCycle(0.1, total_steps=10), 1e-5),
        (tl.CosineDecay(0.1, total_steps=10, warmup_steps=3, min_lr=0.01), 0.01),
    ):
        assert schedule(10) == pytest.approx(final) and schedule(11) == schedule(1000) == final
    x, y = blobs()
    model = net()
    cosine = tl.CosineDecay(0.01, total_steps=7)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[cosine])
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[cosine])
    assert history.status == "completed" and history.step_lr == [cosine(6)] * 7


class CrashAt(tl.Callback):
    def __init__(self, step):
        self.step = step

    def on_batch_begin(self, iteration):
        if iteration == self.step:
            raise RuntimeError("boom")


def test_a_crash_inside_the_loop_leaves_counters_that_match_the_weights():
    x, y = blobs()
    crashed = net()
    with pytest.raises(RuntimeError, match="boom"):
        crashed.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[CrashAt(10)])
    assert crashed.iterations_done == 10 and crashed.epochs_done == 1
    assert crashed.optimizer.iterations == 10
    crashed.fit(x, y, iterations=11, batch_size=16, verbose=0)
    straight = net()
    straight.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert_same_weights(straight, crashed)


# -- the minor ones --------------------------------------------------------------------------------
def test_a_callback_class_instead_of_an_instance():
    x, y = blobs()
    with pytest.raises(
        TypeError, match=r"callbacks\[0\] is the class EarlyStopping.*EarlyStopping\(\)"
    ):
        net().fit(x, y, verbose=0, callbacks=[tl.EarlyStopping])
    with pytest.raises(TypeError, match=r"callbacks\[1\] is the class CosineDecay"):
        net().fit(x, y, verbose=0, callbacks=[tl.CSVLogger("x.csv"), tl.CosineDecay])
    with pytest.raises(TypeError, match="optimizer is the class Adam.*Adam\\(\\)"):
        net().compile(tl.Adam)
    with pytest.raises(TypeError, match="loss is the class MeanSquaredError"):
        net().compile("sgd", loss=tl.MeanSquaredError)
    with pytest.raises(TypeError, match=r"layers\[1\] is the class ReLU.*ReLU\(\)"):
        tl.Sequential([tl.Dense(3), tl.ReLU])
    with pytest.raises(TypeError, match="init is the class HeNormal"):
        tl.Dense(3, init=tl.HeNormal)
    with pytest.raises(TypeError, match="activation is the class ReLU"):
        tl.Dense(3, activation=tl.ReLU)


def test_an_absurd_finite_loss_is_divergence():
    x, y = blobs()
    model = tl.Sequential([tl.Dense(3)], input_dim=6, seed=0, loss="mse").compile("sgd", lr=1e-3)
    model.params["dense1.W"][...] *= 1e15
    before = model.state_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(x, y, epochs=1, verbose=0)
    assert history.status == "diverged" and history.diverged_at == 0
    assert "above max_loss=1e+10" in history.stop_reason
    assert model.iterations_done == 0
    for name, value in before.items():
        np.testing.assert_array_equal(model.state_dict()[name], value)
    assert math.isfinite(history.step_loss[0]) if history.step_loss else True
    assert model.fit(x, y, epochs=1, verbose=0, max_loss=math.inf).status == "completed"


def test_a_hand_made_checkpoint_with_a_missing_key(tmp_path):
    import json

    model = net()
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as archive:
        arrays = dict(archive)
    meta = json.loads(str(arrays["__trainlab__"]))
    for path in (
        ("progress",),
        ("rng",),
        ("rng", "data_order"),
        ("progress", "iterations_done"),
        ("model",),
    ):
        broken = json.loads(json.dumps(meta))
        parent = broken
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
        np.savez(tmp_path / "bad.npz", **{**arrays, "__trainlab__": np.array(json.dumps(broken))})
        with pytest.raises(
            ValueError, match=f"bad.npz is not a readable trainlab model file: .*{path[-1]}"
        ):
            load_model(tmp_path / "bad.npz")


# -- issue 22, finding N7: a huge epochs= or iterations= costs no memory before the first step -----
class StopAfter(tl.Callback):
    """Stops training after ``steps`` steps by raising (fit leaves counters that match the weights)."""

    class EnoughError(Exception):
        pass

    def __init__(self, steps):
        self.steps, self.started = steps, None

    def on_batch_begin(self, iteration):
        if self.started is None:
            self.started = time.perf_counter()

    def on_batch_end(self, iteration, loss):
        self.steps -= 1
        if self.steps == 0:
            raise self.EnoughError


@pytest.mark.parametrize(
    "how",
    [{"iterations": 10**12}, {"epochs": 10**11}, {"iterations": 10**7}, {"epochs": 10**6}],
    ids=lambda how: f"{next(iter(how))}={next(iter(how.values()))}",
)
def test_a_huge_count_starts_training_at_once_in_constant_memory(how):
    """`fit(iterations=10**12)` (reachable with `--set`) allocated one tuple per epoch before the
    first step: OOM-killed at 22 GB; `epochs=10**7` cost 1.1 GB. The plan of the steps is now
    computed as it goes."""
    x, y = blobs()
    model = net()
    stop = StopAfter(3)
    tracemalloc.start()
    began = time.perf_counter()
    try:
        with pytest.raises(StopAfter.EnoughError):
            model.fit(x, y, batch_size=16, verbose=0, evaluate_train=False, callbacks=[stop], **how)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stop.started - began < 1.0  # the first step started at once
    assert peak < 2 * 2**20, f"{peak / 2**20:.1f} MiB before and during three steps"
    assert model.iterations_done == 3 and model.epochs_done == 0


@given(
    first=st.integers(0, 5),
    start=st.integers(0, 6),
    per_epoch=st.integers(1, 7),
    steps=st.integers(-1, 40),
)
def test_the_planned_pieces_are_those_of_the_plain_loop(first, start, per_epoch, steps):
    from trainlab.epochs import plan_segments

    start = min(start, per_epoch - 1)
    expected, left, epoch, begin = [], steps, first, start
    while left > 0:  # the plain loop that plan_segments replaced
        stop = min(per_epoch, begin + left)
        expected.append((epoch, begin, stop))
        left -= stop - begin
        epoch, begin = epoch + 1, 0
    segments = plan_segments(first, start, per_epoch, steps)
    assert list(segments) == expected and len(segments) == len(expected)
    assert [segments[i] for i in range(-len(expected), 0)] == expected and segments[
        1:3
    ] == expected[1:3]
    for epoch in range(first - 1, first + len(expected) + 1):
        assert segments.steps_in(epoch) == sum(b - a for e, a, b in expected if e == epoch)
