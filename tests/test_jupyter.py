"""Training as a notebook user sees it, in a real Jupyter kernel: progress, the backend, live plots."""

import sys

import pytest
from kernel_helpers import output_types, run_cells, texts

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FIT = """
import trainlab as tl
data = tl.load_dataset("mnist-mini")
model = tl.Sequential([tl.Dense(20), tl.ReLU(), tl.Dense(10)], input_dim=784, seed=0)
model.compile(optimizer="adam", lr=1e-3, metrics=["accuracy"])
history = model.fit(data.x_train[:600], data.y_train[:600], epochs=2, batch_size=50, \
validation_split=0.2{extra})
"""


def test_a_default_fit_shows_progress_per_epoch_in_the_cell():
    notebook = run_cells(FIT.format(extra=""), "print(history.last())")
    shown = texts(notebook.cells[0])
    assert "epoch 1/2" in shown and "epoch 2/2" in shown
    assert "application/vnd.jupyter.widget-view+json" in output_types(
        notebook.cells[0]
    )  # ipywidgets bars


def test_without_ipywidgets_progress_is_text_with_metrics_elapsed_time_and_eta():
    block = (
        "import sys\nclass Block:\n    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'ipywidgets':\n            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())"
    )
    notebook = run_cells(block, FIT.format(extra=""), "print(history.last())")
    shown = texts(notebook.cells[1])
    last = eval(texts(notebook.cells[2]))  # the dict printed by the last cell
    assert "widget" not in " ".join(output_types(notebook.cells[1]))
    assert "epoch 2/2" in shown and "ETA" in shown and "elapsed" in shown
    assert f"val_accuracy {last['val_accuracy']:.4g}" in shown  # the epoch's metrics, as recorded


def test_importing_trainlab_and_the_experiments_leaves_the_inline_backend():
    notebook = run_cells(
        "%matplotlib inline\nimport matplotlib\nbefore = matplotlib.get_backend()",
        "import importlib, trainlab, trainlab.lessons, trainlab.tune, trainlab.lab.lesson\n"
        "for name in trainlab.lab.lesson.list_lessons():\n"
        "    importlib.import_module('trainlab.lessons.' + trainlab.lessons.MODULES[name])\n"
        "import trainlab.lab.runner, trainlab.lab.report, trainlab.lab.notebook",
        "print(before, matplotlib.get_backend(), before == matplotlib.get_backend())",
    )
    before, after, same = texts(notebook.cells[2]).split()
    assert "inline" in before and same == "True", (before, after)


SHOW_FIGURES = """
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from trainlab.liveplot import show_figures
made_by_pyplot, plain = plt.figure(), Figure()
made_by_pyplot.add_subplot().plot([1, 2])
plain.add_subplot().plot([2, 1])
show_figures({"pyplot": made_by_pyplot, "plain": plain})
"""


def test_live_plot_draws_one_figure_updated_in_place_and_history_plots_once():
    notebook = run_cells(
        "%matplotlib inline",
        FIT.format(extra=", callbacks=[tl.LivePlot()]"),
        "axes = history.plot()",
        "history",
        SHOW_FIGURES,
    )
    figures = [o for o in notebook.cells[1].outputs if "image/png" in o.get("data", {})]
    assert (
        len(figures) == 1
    )  # shown once, redrawn in place (update_display_data), not once per epoch
    assert (
        output_types(notebook.cells[2]).count("image/png") == 1
    )  # pyplot's figure, not shown twice
    assert texts(notebook.cells[3]).startswith("History(completed, epochs 1-2")
    assert (
        output_types(notebook.cells[4]).count("image/png") == 2
    )  # pyplot's and a plain Figure, once each


SLIDERS = """
import ipywidgets as widgets
from trainlab.widgets import interact

def show(n=1, name="a", scale=1.0):
    print(f"shown with n={n}, name={name}, scale={scale}")

interact(show, n=widgets.IntSlider(value=3, min=0, max=5), name="b",
         scale=widgets.FloatLogSlider(value=0.01, base=10, min=-3, max=1))
"""


def test_without_a_front_end_sliders_run_once_with_their_values_and_make_no_widget():
    """Issue 25 (2): executed by nbclient (as nbconvert and papermill do), interact's Output widget
    made the execution hang at random; trainlab.widgets.interact runs the function once instead."""
    notebook = run_cells(SLIDERS)
    shown = texts(notebook.cells[0])
    assert shown.splitlines() == [
        "(no front end draws the sliders here: show(n=3, name='b', scale=0.01); in "
        "Jupyter they are live)",
        "shown with n=3, name=b, scale=0.01",
    ]
    assert not any("widget" in mime for mime in output_types(notebook.cells[0]))


class FakeShell:
    def __init__(self, metadata):
        self.kernel = type("Kernel", (), {"get_parent": lambda _self: {"metadata": metadata}})()
        self.user_ns = {}


def fake_kernel(monkeypatch, metadata):
    import types

    shell = FakeShell(metadata)
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("TRAINLAB_WIDGETS", raising=False)
    return shell


def test_a_front_end_is_recognised_by_its_cell_ids_its_server_session_or_the_setting(monkeypatch):
    from trainlab.widgets import front_end_draws_widgets

    fake_kernel(
        monkeypatch, {"cellId": "8d1f"}
    )  # JupyterLab, Notebook 7, VS Code send the cell's id
    assert front_end_draws_widgets()
    shell = fake_kernel(monkeypatch, {})  # nbclient (nbconvert, papermill) sends none
    assert not front_end_draws_widgets()
    monkeypatch.setenv(
        "JPY_SESSION_NAME", "/home/me/notebooks/03_updates.ipynb"
    )  # a Jupyter server's kernel
    assert front_end_draws_widgets()
    monkeypatch.delenv("JPY_SESSION_NAME")
    shell.user_ns["__vsc_ipynb_file__"] = "03_updates.ipynb"
    assert front_end_draws_widgets()
    monkeypatch.setenv("TRAINLAB_WIDGETS", "0")
    assert not front_end_draws_widgets()
    monkeypatch.setenv("TRAINLAB_WIDGETS", "1")
    assert front_end_draws_widgets()


def test_interact_is_ipywidgets_interact_where_a_front_end_draws_widgets(monkeypatch, capsys):
    ipywidgets = pytest.importorskip("ipywidgets")
    import trainlab.widgets

    calls = []
    monkeypatch.setattr(
        ipywidgets, "interact", lambda function, **controls: calls.append((function, controls))
    )
    monkeypatch.setenv("TRAINLAB_WIDGETS", "1")
    trainlab.widgets.interact(print, n=3)
    assert calls == [(print, {"n": 3})] and capsys.readouterr().out == ""
    monkeypatch.delenv("TRAINLAB_WIDGETS")  # a script: no kernel, no front end
    trainlab.widgets.interact(lambda n: print("n is", n), n=3)
    assert calls == [(print, {"n": 3})] and capsys.readouterr().out.splitlines()[1] == "n is 3"
