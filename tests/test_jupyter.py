"""Training as a notebook user sees it, in a real Jupyter kernel: progress, the backend, live plots."""

import pytest
from kernel_helpers import output_types, run_cells, texts

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FIT = """
import trainlab as tl
data = tl.load_dataset("mnist-mini")
model = tl.Sequential([tl.Dense(20), tl.ReLU(), tl.Dense(10)], input_dim=784, seed=0)
model.compile(optimizer="adam", lr=1e-3, metrics=["accuracy"])
history = model.fit(data.x_train[:600], data.y_train[:600], epochs=2, batch_size=50, validation_split=0.2{extra})
"""


def test_a_default_fit_shows_progress_per_epoch_in_the_cell():
    notebook = run_cells(FIT.format(extra=""), "print(history.last())")
    shown = texts(notebook.cells[0])
    assert "epoch 1/2" in shown and "epoch 2/2" in shown
    assert "application/vnd.jupyter.widget-view+json" in output_types(notebook.cells[0])  # ipywidgets bars


def test_without_ipywidgets_progress_is_text_with_metrics_elapsed_time_and_eta():
    block = ("import sys\nclass Block:\n    def find_spec(self, name, path=None, target=None):\n"
             "        if name.split('.')[0] == 'ipywidgets':\n            raise ImportError(name)\n"
             "sys.meta_path.insert(0, Block())")
    notebook = run_cells(block, FIT.format(extra=""), "print(history.last())")
    shown = texts(notebook.cells[1])
    last = eval(texts(notebook.cells[2]))  # the dict printed by the last cell
    assert "widget" not in " ".join(output_types(notebook.cells[1]))
    assert "epoch 2/2" in shown and "ETA" in shown and "elapsed" in shown
    assert f"val_accuracy {last['val_accuracy']:.4g}" in shown  # the epoch's metrics, as recorded


def test_importing_trainlab_and_the_experiments_leaves_the_inline_backend():
    notebook = run_cells(
        "%matplotlib inline\nimport matplotlib\nbefore = matplotlib.get_backend()",
        "import importlib, trainlab, trainlab.lessons, trainlab.tune\n"
        "for name in trainlab.lessons.list_lessons():\n"
        "    importlib.import_module('trainlab.lessons.' + trainlab.lessons.MODULES[name])\n"
        "import trainlab.lab.legacy_runner, trainlab.lab.report",
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
    notebook = run_cells("%matplotlib inline", FIT.format(extra=", callbacks=[tl.LivePlot()]"),
                         "axes = history.plot()", "history", SHOW_FIGURES)
    figures = [o for o in notebook.cells[1].outputs if "image/png" in o.get("data", {})]
    assert len(figures) == 1  # shown once, redrawn in place (update_display_data), not once per epoch
    assert output_types(notebook.cells[2]).count("image/png") == 1  # pyplot's figure, not shown twice
    assert texts(notebook.cells[3]).startswith("History(completed, epochs 1-2")
    assert output_types(notebook.cells[4]).count("image/png") == 2  # pyplot's and a plain Figure, once each

