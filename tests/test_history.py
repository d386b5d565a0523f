"""History as Keras users read it (repr, .history, DataFrame, plot), progress text, and optional
dependencies."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import trainlab as tl


def blobs(n=300, d=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = 3.0 * rng.standard_normal((classes, d))
    y = rng.integers(0, classes, n)
    return (centers[y] + rng.standard_normal((n, d))).astype(np.float32), y


def trained(epochs=4, **fit):
    x, y = blobs()
    model = tl.Sequential([tl.Dense(16), tl.ReLU(), tl.Dense(3)], input_dim=8, seed=0)
    model.compile("adam", lr=1e-2, metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, batch_size=10, validation_split=0.2, verbose=0, **fit)


def test_history_repr_is_one_short_line_with_the_last_metrics():
    history = trained()
    text = repr(history)
    assert len(history.step_loss) == 96 and len(text) < 250 and "\n" not in text
    assert text.startswith("History(completed, epochs 1-4, 96 steps,")
    assert f"val_accuracy={history.metrics['val_accuracy'][-1]:.4g}" in text


def test_history_dict_is_keras_per_epoch_lists_and_matches_the_dataframe():
    pd = pytest.importorskip("pandas")
    history = trained()
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(values) == 4 for values in history.history.values()) and history.epoch == [
        0,
        1,
        2,
        3,
    ]
    frame = history.to_dataframe()
    assert frame.index.name == "epoch" and list(frame.index) == [0, 1, 2, 3]
    pd.testing.assert_frame_equal(frame.reset_index(drop=True), pd.DataFrame(history.history))
    assert frame["loss"].iloc[-1] < frame["loss"].iloc[0]


def test_history_plot_draws_each_metric_with_its_validation_twin():
    history = trained()
    axes = history.plot()
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    (train, val), _ = axes[0].get_lines(), None
    np.testing.assert_allclose(train.get_ydata(), history["loss"])
    np.testing.assert_allclose(val.get_ydata(), history["val_loss"])
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4])
    assert [ax.get_title() for ax in history.plot(["val_accuracy"])] == ["accuracy"]
    with pytest.raises(ValueError, match=r"metrics='acc' is not allowed; choose one of 'loss'"):
        history.plot(["acc"])
    with pytest.raises(ValueError, match="no epochs to plot"):
        tl.History().plot()


def test_live_plot_off_a_notebook_keeps_a_figure_of_the_final_curves():
    live = tl.LivePlot(every=3)
    history = trained(callbacks=[live])
    lines = live.figure.axes[1].get_lines()
    np.testing.assert_allclose(
        lines[1].get_ydata(), history["val_accuracy"]
    )  # drawn after the 4th epoch too
    with pytest.raises(ValueError, match="every must be"):
        tl.LivePlot(every=0)


BLOCKED = """
import sys
BLOCKED = {"IPython", "ipykernel", "ipywidgets", "pandas", "jupyter_client", "jupyter_core", "nbformat",
           "nbclient", "jupytext", "jupyterlab", "notebook"}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked in this test")
sys.meta_path.insert(0, Block())
"""


def test_the_library_imports_and_trains_without_jupyter_pandas_or_ipywidgets():
    script = BLOCKED + textwrap.dedent("""
        import io, matplotlib
        matplotlib.use("Agg")
        import numpy as np
        import trainlab as tl
        from trainlab.lab.lesson import lesson_module, list_lessons
        for name in list_lessons():
            lesson_module(name)
        rng = np.random.default_rng(0)
        x, y = rng.standard_normal((100, 4)).astype("float32"), rng.integers(0, 2, 100)
        model = tl.Sequential([tl.Dense(8), tl.ReLU(), tl.Dense(2)], input_dim=4, seed=0)
        model.compile("sgd", lr=0.1, metrics=["accuracy"])
        live = tl.LivePlot()
        history = model.fit(x, y, epochs=2, batch_size=10, verbose=1, callbacks=[live])
        history.plot()
        try:
            history.to_dataframe()
        except ImportError as error:
            print("ImportError:", error)
        print(history)
        print(sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()[2:]  # after the two epochs' lines
    assert lines[0] == (
        "ImportError: History.to_dataframe() needs pandas: pip install pandas "
        "(or pip install 'trainlab[notebooks]')"
    )
    assert lines[1].startswith("History(completed, epochs 1-2, 20 steps") and lines[2] == "[]"
