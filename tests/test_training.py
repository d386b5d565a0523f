"""The fit loop: learning, callbacks, divergence, save/load/resume, freezing, MC dropout, ensembles."""

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import trainlab as tl
from trainlab.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
)
from trainlab.ensemble import Ensemble
from trainlab.saving import load_model
from trainlab.training import Trainer


def blobs(n=600, d=10, classes=3, seed=0, noise=1.0):
    """Gaussian clusters: an easy, fast classification problem."""
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((classes, d))
    y = rng.integers(0, classes, n)
    return (centers[y] + noise * rng.standard_normal((n, d))).astype(np.float32), y


def small_model(seed=0, dropout=0.2, **kwargs):
    return tl.Sequential(
        [
            tl.Dense(32, init="he_normal"),
            tl.BatchNorm(),
            tl.ReLU(),
            tl.Dropout(dropout),
            tl.Dense(3),
        ],
        input_dim=10,
        seed=seed,
        **kwargs,
    )


def test_fit_learns_and_records_a_history():
    x, y = blobs()
    model = small_model().compile("sgd", lr=0.05)
    history = model.fit(x, y, epochs=5, batch_size=32, validation_split=0.25, verbose=0)
    assert history.status == "completed" and history.epochs == [0, 1, 2, 3, 4]
    assert set(history.metrics) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert len(history.step_loss) == 5 * math.ceil(450 / 32) == len(history.step_lr)
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.9
    assert model.epochs_done == 5 and model.iterations_done == len(history.step_loss)


def test_training_metrics_are_computed_in_inference_mode():
    x, y = blobs()
    model = small_model(dropout=0.5).compile("sgd", lr=0.05)
    history = model.fit(x, y, epochs=2, batch_size=50, verbose=0)
    scores = model.evaluate(x, y)
    assert history["accuracy"][-1] == scores["accuracy"]
    assert "val_loss" not in history.metrics


def test_iterations_budget_and_iid_sampling():
    x, y = blobs(n=100)
    model = small_model().compile("sgd", lr=0.05)
    history = model.fit(
        x, y, iterations=25, batch_size=10, sampling="iid", verbose=0, evaluate_train=False
    )
    assert len(history.step_loss) == 25 and history.epochs == [0, 1, 2]  # 10 + 10 + 5 steps
    assert set(history.metrics) == {"loss", "lr"}


def test_a_second_fit_continues_the_first():
    x, y = blobs()
    one = small_model().compile("adam", lr=1e-3)
    one.fit(x, y, epochs=4, batch_size=64, verbose=0)
    two = small_model().compile("adam", lr=1e-3)
    two.fit(x, y, epochs=2, batch_size=64, verbose=0)
    history = two.fit(x, y, epochs=2, batch_size=64, verbose=0)
    assert history.epochs == [2, 3]
    for name, value in one.state_dict().items():
        np.testing.assert_array_equal(two.state_dict()[name], value)


def test_resume_from_a_checkpoint_gives_the_same_weights(tmp_path):
    x, y = blobs()
    straight = small_model().compile("adam", lr=1e-3)
    straight.fit(x, y, epochs=4, batch_size=64, validation_split=0.2, verbose=0)

    first = small_model().compile("adam", lr=1e-3)
    first.fit(x, y, epochs=2, batch_size=64, validation_split=0.2, verbose=0)
    first.save(tmp_path / "half.npz")
    resumed = load_model(tmp_path / "half.npz")
    assert resumed.epochs_done == 2 and resumed.optimizer.iterations == first.optimizer.iterations
    history = resumed.fit(x, y, epochs=2, batch_size=64, validation_split=0.2, verbose=0)
    assert history.epochs == [2, 3]
    for name, value in straight.state_dict().items():
        np.testing.assert_allclose(resumed.state_dict()[name], value, atol=1e-6)


def test_early_stopping_stops_and_restores_the_best_weights():
    x, y = blobs(n=300, noise=3.0)  # noisy: the validation loss soon stops improving
    model = small_model(dropout=0.0).compile("sgd", lr=0.3)
    states = []

    class Snapshot(Callback):
        def on_epoch_end(self, epoch, logs):
            states.append(self.run.model.state_dict())

    stopper = EarlyStopping(monitor="val_loss", patience=2)
    history = model.fit(
        x,
        y,
        epochs=100,
        batch_size=16,
        validation_split=0.3,
        verbose=0,
        callbacks=[Snapshot(), stopper],
    )
    assert history.status == "stopped" and "early stopping" in history.stop_reason
    assert len(history.epochs) < 100
    best = int(np.argmin(history["val_loss"]))
    assert (
        history.restored_epoch == best == len(history.epochs) - 3
    )  # patience 2: stopped 3 epochs later
    for name, value in states[best].items():
        np.testing.assert_array_equal(model.state_dict()[name], value)


def test_divergence_is_reported_not_raised_and_prints_no_warnings(capsys):
    x, y = blobs()
    model = tl.Sequential(
        [tl.Dense(64, init=10.0), tl.ReLU(), tl.Dense(64, init=10.0), tl.ReLU(), tl.Dense(3)],
        input_dim=10,
        seed=0,
    ).compile("sgd", lr=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any NumPy RuntimeWarning would fail the test
        history = model.fit(x, y, epochs=20, batch_size=32, verbose=1)
    assert history.status == "diverged"
    assert history.diverged_at is not None and history.diverged_at < 20 * 19
    assert len(history.step_loss) == history.diverged_at
    assert all(np.isfinite(p).all() for p in model.params.values())  # what was learned is kept
    captured = capsys.readouterr()
    assert "Warning" not in captured.err + captured.out


def test_batchnorm_running_averages_survive_divergence():
    x, y = blobs()
    model = tl.Sequential(
        [tl.Dense(64, init=30.0), tl.BatchNorm(), tl.ReLU(), tl.Dense(3, init=30.0)],
        input_dim=10,
        seed=0,
    ).compile("sgd", lr=1e6)
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert history.status == "diverged"
    assert all(np.isfinite(v).all() for v in model.state_dict().values())


def test_learning_rate_scheduler_sets_lr_per_step_and_per_epoch():
    x, y = blobs(n=100)
    model = small_model().compile("sgd", lr=0.1)
    history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=10,
        verbose=0,
        callbacks=[LearningRateScheduler(lambda step: 0.1 / (1 + step), per="step")],
    )
    np.testing.assert_allclose(history.step_lr, [0.1 / (1 + t) for t in range(30)])
    history = model.fit(
        x,
        y,
        epochs=2,
        batch_size=10,
        verbose=0,
        callbacks=[LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1), per="epoch")],
    )
    assert history["lr"] == pytest.approx([0.04, 0.05])  # epochs 3 and 4 of the model


def test_csv_logger_and_checkpoints(tmp_path):
    x, y = blobs(n=200)
    model = small_model().compile("sgd", lr=0.05)
    model.fit(
        x,
        y,
        epochs=3,
        batch_size=50,
        validation_split=0.25,
        verbose=0,
        callbacks=[
            CSVLogger(tmp_path / "log.csv"),
            ModelCheckpoint(tmp_path / "ckpt-{epoch}.npz"),
            ModelCheckpoint(tmp_path / "best.npz", save_best_only=True),
        ],
    )
    lines = (tmp_path / "log.csv").read_text().splitlines()
    assert lines[0] == "epoch,loss,accuracy,val_loss,val_accuracy,lr" and len(lines) == 4
    assert sorted(p.name for p in tmp_path.glob("ckpt-*.npz")) == [
        "ckpt-0.npz",
        "ckpt-1.npz",
        "ckpt-2.npz",
    ]
    assert load_model(tmp_path / "ckpt-2.npz").epochs_done == 3
    assert load_model(tmp_path / "best.npz").epochs_done >= 1
    assert not list(tmp_path.glob(".*.tmp"))


def test_progress_off_a_terminal_is_a_line_per_epoch_on_stdout_as_in_keras(capsys):
    x, y = blobs(n=100)
    model = small_model().compile("sgd", lr=0.05)
    for verbose in ("auto", 1, 2):
        model.fit(x, y, epochs=2, batch_size=50, verbose=verbose)
        captured = capsys.readouterr()
        lines = captured.out.strip().splitlines()
        assert (
            captured.err == ""
            and len(lines) == 2
            and lines[0].startswith(f"epoch {model.epochs_done - 1}/")
        )
        assert "  loss " in lines[0] and "  lr 0.05  (" in lines[0] and "elapsed, ETA" in lines[0]
    model.fit(x, y, epochs=2, batch_size=50, verbose=0)
    assert capsys.readouterr().out == ""


# -- saving ----------------------------------------------------------------------------------------
def test_save_and_load_round_trip(tmp_path):
    x, y = blobs(n=200)
    model = small_model().compile("nadam", lr=2e-3)
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    model.save(tmp_path / "model.npz")
    loaded = load_model(tmp_path / "model.npz")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert type(loaded.optimizer) is type(model.optimizer) and loaded.optimizer.lr == 2e-3
    assert loaded.history.epochs == [0, 1] and loaded.metric_names == ["accuracy"]
    assert str(loaded.summary_table()) == str(model.summary_table())
    model.save(tmp_path / "weights-only.npz", include_optimizer=False)
    assert load_model(tmp_path / "weights-only.npz").optimizer is None


def test_a_save_interrupted_midway_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    x, y = blobs(n=100)
    model = small_model().compile("sgd", lr=0.05)
    path = tmp_path / "ckpt.npz"
    model.save(path)
    before = path.read_bytes()
    model.fit(x, y, epochs=1, batch_size=50, verbose=0)

    def savez_then_interrupt(file, **arrays):
        file.write(b"PK\x03\x04 half of a zip archive")
        raise KeyboardInterrupt

    monkeypatch.setattr("trainlab.saving.np.savez", savez_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == before
    assert load_model(path).epochs_done == 0
    assert list(tmp_path.iterdir()) == [path]  # the temporary file was removed


def test_a_killed_saving_process_never_leaves_a_half_written_checkpoint(tmp_path):
    """SIGKILL a process that saves a large model over and over: the checkpoint always loads."""
    path = tmp_path / "big.npz"
    script = textwrap.dedent(f"""
        import trainlab as tl
        model = tl.Sequential([tl.Dense(1500), tl.Dense(1500)], input_dim=1000, seed=0)
        model.save({str(path)!r})
        print("ready", flush=True)
        while True:
            model.save({str(path)!r})
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        time.sleep(0.7)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    model = load_model(path)
    assert model.params["dense2.W"].shape == (1500, 1500)


def test_loading_something_that_is_not_a_model(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(
        ValueError, match=r"notes.txt is not a trainlab model file \(not an .npz archive\)"
    ):
        load_model(text)
    other = tmp_path / "arrays.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(ValueError, match="is not a trainlab model: it has no __trainlab__ entry"):
        load_model(other)
    with pytest.raises(FileNotFoundError, match="no model file"):
        load_model(tmp_path / "missing.npz")


# -- reuse -----------------------------------------------------------------------------------------
def test_freeze_layers_and_build_on_a_saved_model(tmp_path):
    x, y = blobs()
    base = small_model(dropout=0.0).compile("sgd", lr=0.05)
    base.fit(x, y, epochs=2, batch_size=32, verbose=0)
    base.save(tmp_path / "base.npz")
    reused = load_model(tmp_path / "base.npz")
    for layer in reused.layers[:-1]:
        layer.trainable = False
    frozen_before = {k: v for k, v in reused.state_dict().items() if not k.startswith("dense2")}
    new = tl.Sequential([*reused.layers[:-1], tl.Dense(2, name="head")], input_dim=10, seed=1)
    assert list(new.params) == ["head.W", "head.b"]
    np.testing.assert_array_equal(new.layers[0].params["W"], base.layers[0].params["W"])
    new.compile("sgd", lr=0.05).fit(x, (y == 0).astype(int), epochs=2, batch_size=32, verbose=0)
    for name, value in frozen_before.items():  # frozen weights and BN statistics did not move
        np.testing.assert_array_equal(new.state_dict()[name], value)
    assert new.evaluate(x, (y == 0).astype(int))["accuracy"] > 0.8


# -- MC dropout and ensembles ----------------------------------------------------------------------
def test_mc_dropout_gives_a_spread_only_with_dropout():
    x, y = blobs()
    model = small_model(dropout=0.3).compile("sgd", lr=0.05)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    mean, std = model.predict_mc(x[:50], samples=200)
    assert mean.shape == std.shape == (50, 3)
    np.testing.assert_allclose(mean.sum(axis=1), 1.0, rtol=1e-5)
    assert std.max() > 0.01
    np.testing.assert_allclose(mean, model.predict_proba(x[:50]), atol=0.1)
    no_dropout = small_model(dropout=0.0)
    _, std0 = no_dropout.predict_mc(x[:10], samples=5)
    np.testing.assert_allclose(std0, 0.0, atol=1e-6)
    before = model.state_dict()["batchnorm1.running_mean"]
    model.predict_mc(x[:10], samples=3)  # batch norm stays in inference mode
    np.testing.assert_array_equal(model.state_dict()["batchnorm1.running_mean"], before)


def test_ensemble_averages_probabilities():
    x, y = blobs()
    models = []
    for seed in range(3):
        model = small_model(seed=seed).compile("sgd", lr=0.05)
        model.fit(x, y, epochs=2, batch_size=32, verbose=0)
        models.append(model)
    ensemble = Ensemble(models)
    expected = sum(m.predict_proba(x) for m in models) / 3
    np.testing.assert_allclose(ensemble.predict_proba(x), expected, rtol=1e-6)
    np.testing.assert_array_equal(ensemble.predict(x), expected.argmax(axis=1))
    assert ensemble.accuracy(x, y) > 0.9
    with pytest.raises(ValueError, match="at least one model"):
        Ensemble([])


# -- the textbook's Trainer ------------------------------------------------------------------------
def test_trainer_fills_the_textbook_lists(capsys):
    x, y = blobs(n=500)
    network = tl.Sequential(
        [tl.Dense(20, init="relu"), tl.ReLU(), tl.Dense(3)], input_dim=10, seed=0
    )
    trainer = Trainer(
        network,
        x[:400],
        y[:400],
        x[400:],
        y[400:],
        epochs=3,
        mini_batch_size=100,
        optimizer="Adam",
        optimizer_param={"lr": 0.01},
        evaluate_sample_num_per_epoch=200,
    )
    history = trainer.train()
    assert len(trainer.train_loss_list) == 12 and len(trainer.train_acc_list) == 3 == len(
        trainer.test_acc_list
    )
    assert trainer.test_acc_list[-1] > 0.85 and history.status == "completed"
    assert "test acc" in capsys.readouterr().out


# -- bad input -------------------------------------------------------------------------------------
def test_fit_rejects_bad_arguments():
    x, y = blobs(n=100)
    model = small_model()
    with pytest.raises(RuntimeError, match="compile the model first"):
        model.fit(x, y)
    model.compile("sgd")
    with pytest.raises(ValueError, match="x has 100 samples but y has 99"):
        model.fit(x, y[:99], verbose=0)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        model.fit(x, y, batch_size=0)
    with pytest.raises(ValueError, match="epochs must be >= 0, got -1"):
        model.fit(x, y, epochs=-1)
    for split in (0.0, 1.0, 1.5, -0.2):
        with pytest.raises(ValueError, match="validation_split must be in"):
            model.fit(x, y, validation_split=split)
    with pytest.raises(ValueError, match="sampling='random' is not allowed"):
        model.fit(x, y, sampling="random")
    with pytest.raises(ValueError, match="not both"):
        model.fit(x, y, epochs=1, iterations=3)
    with pytest.raises(
        ValueError, match="metrics='f1' is not a known metric; valid names: acc, accuracy"
    ):
        model.compile("sgd", metrics=["f1"])
    with pytest.raises(ValueError, match="loss='hinge' is not a known loss"):
        model.compile("sgd", loss="hinge")
    with pytest.raises(ValueError, match=r"monitor='val_acc' is not among the epoch's metrics"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[EarlyStopping(monitor="val_acc")])
    with pytest.raises(
        TypeError, match=r"callbacks\[0\] must be a Callback object or a Schedule, got 3"
    ):
        model.fit(x, y, callbacks=[3])


def test_reduce_lr_on_plateau_lowers_the_learning_rate():
    from trainlab.callbacks import ReduceLROnPlateau

    x, y = blobs(n=200)
    model = tl.Sequential([tl.Dense(8), tl.ReLU(), tl.Dense(3)], input_dim=10, seed=0)
    model.compile("sgd", lr=1e-9)  # learns nothing: val_loss is flat
    history = model.fit(
        x,
        y,
        epochs=7,
        batch_size=50,
        validation_split=0.25,
        verbose=0,
        callbacks=[ReduceLROnPlateau(factor=0.5, patience=2, min_delta=1e-3)],
    )
    # epoch 0 sets the best; 1 and 2 are bad: halve after epoch 2; 3 and 4 bad: halve after epoch 4.
    # An epoch logs the lr it trained with.
    assert history["lr"] == pytest.approx([1e-9, 1e-9, 1e-9, 5e-10, 5e-10, 2.5e-10, 2.5e-10])
    with pytest.raises(ValueError, match="factor must be in"):
        ReduceLROnPlateau(factor=1.5)


def test_one_cycle_curve_is_recorded_in_the_history():
    x, y = blobs(n=320)
    schedule = tl.OneCycle(max_lr=0.05, total_steps=40)
    model = small_model().compile("momentum", lr=0.01)
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0, callbacks=[schedule])
    np.testing.assert_allclose(history.step_lr, [schedule(t) for t in range(40)])
    assert max(history.step_lr) == pytest.approx(0.05, rel=0.05)
    assert history.step_lr[0] == pytest.approx(0.005)
    assert history.step_lr[-1] == pytest.approx(
        0.005 - (0.005 - 5e-6) * 3 / 4
    )  # annihilation, 3/4 done
    assert model.optimizer.momentum == pytest.approx(schedule.momentum(39))


def test_a_784_100_10_net_reaches_90_percent_on_mnist_mini_in_seconds():
    data = tl.load_dataset("mnist-mini")
    assert data.x_train.shape == (8000, 784) and data.x_test.shape == (2000, 784)
    model = tl.Sequential(
        [tl.Dense(100, init="he_normal"), tl.ReLU(), tl.Dense(10)], input_dim=784, seed=0
    )
    model.compile("adam", lr=2e-3)
    started = time.perf_counter()
    history = model.fit(
        data.x_train, data.y_train, epochs=5, batch_size=64, validation_split=0.1, verbose=0
    )
    seconds = time.perf_counter() - started
    accuracy = model.accuracy(data.x_test, data.y_test)
    assert accuracy >= 0.90, accuracy
    assert history["val_accuracy"][-1] >= 0.90
    assert seconds < 30  # a couple of seconds on a laptop; generous for a loaded CI machine


def test_a_diverged_model_predicts_and_evaluates_without_warnings():
    x, y = blobs()
    model = tl.Sequential(
        [tl.Dense(64, init=10.0), tl.ReLU(), tl.Dense(64, init=10.0), tl.ReLU(), tl.Dense(3)],
        input_dim=10,
        seed=0,
    ).compile("sgd", lr=10.0)
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    for layer in model.layers:  # push the weights to where the outputs overflow
        for array in layer.params.values():
            array *= 1e15
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = model.evaluate(x, y)
        model.predict(x)
    assert not np.isfinite(scores["loss"])


def test_the_readme_hand_written_loop_runs_the_training_step():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = re.findall(r"```python\n(.*?)```", readme, flags=re.S)[1].replace(
        "steps=1000", "steps=30"
    )
    data = tl.load_dataset("mnist-mini")
    model = tl.Sequential([tl.Dense(50, activation="relu"), tl.Dense(10)], input_dim=784, seed=0)
    namespace = {"tl": tl, "data": data, "model": model}
    before = model.loss(data.x_test[:500], data.y_test[:500])
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["optimizer"].iterations == 30 and math.isfinite(namespace["loss"])
    assert model.loss(data.x_test[:500], data.y_test[:500]) < before


def test_train_step_is_the_textbook_step_plus_constraints_and_the_divergence_check():
    x, y = blobs(n=64)
    a, b = small_model(dropout=0.0), small_model(dropout=0.0)
    a.layers[0].constraint = b.layers[0].constraint = tl.MaxNorm(0.5)
    opt_a, opt_b = tl.Adam(lr=0.01), tl.Adam(lr=0.01)
    for _ in range(3):
        loss = tl.train_step(a, opt_a, x, y)
        loss_b, grads = b.loss_and_gradients(x, y)
        assert loss == loss_b
        opt_b.update(b.params, grads)
        b.apply_constraints()
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[name], value)
    assert np.linalg.norm(a.params["dense1.W"], axis=0).max() <= 0.5 + 1e-6
    before = {name: value.copy() for name, value in a.params.items()}
    with pytest.raises(tl.DivergenceError, match="above max_loss=0.001"):
        tl.train_step(a, opt_a, x, y, max_loss=1e-3)
    for (
        name,
        value,
    ) in before.items():  # the weights; batch norm's running averages saw the (finite) batch
        np.testing.assert_array_equal(a.params[name], value)


def test_fit_options_are_declared_once():
    import inspect

    fit_parameters = list(inspect.signature(tl.Sequential.fit).parameters)
    fields = [f.name for f in __import__("dataclasses").fields(tl.FitOptions)]
    assert fit_parameters == ["model", "x", "y", *fields]
    assert tl.Sequential.fit is __import__("trainlab.training", fromlist=["fit"]).fit
    x, y = blobs(n=50)
    model = small_model().compile("sgd")
    assert (
        len(model.fit(x, y, 2, None, 25, verbose=0).step_loss) == 4
    )  # positional: epochs, iterations, batch
