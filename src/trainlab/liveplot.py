"""A live plot of the training curves: one figure in a notebook cell, redrawn after every epoch.

Our own small callback on matplotlib and IPython.display rather than a library (livelossplot, hiddenlayer):
it needs nothing beyond what a notebook already has, draws exactly what :meth:`History.plot` draws, and
its thirty lines are readable by someone learning what a callback is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainlab.callbacks import Callback, in_notebook
from trainlab.validation import check_int


class LivePlot(Callback):
    """Redraw the loss and metric curves (training and validation) every ``every`` epochs.

    In a notebook the figure is shown once and updated in place; elsewhere it is drawn silently and kept
    as ``self.figure`` (save it with ``live.figure.savefig(path)``). The figure is a plain matplotlib
    Figure, not one of pyplot's, so the inline backend does not show it a second time at the cell's end.
    """

    def __init__(self, metrics: Sequence[str] | None = None, every: int = 1,
                 figsize: tuple[float, float] | None = None) -> None:
        self.metrics = None if metrics is None else list(metrics)
        self.every = check_int("every", every, minimum=1)
        self.figsize = figsize
        self.figure: Any = None  # a matplotlib Figure once drawn
        self.handle: Any = None

    def on_train_begin(self):
        self.figure, self.handle = None, None

    def redraw(self) -> None:
        history = self.run.history
        panels = history.panels(self.metrics)
        if self.figure is None:
            from matplotlib.figure import Figure  # slow to import: only drawing needs it

            self.figure = Figure(figsize=self.figsize or (4.5 * len(panels), 3.4), layout="tight")
            self.figure.subplots(1, len(panels), squeeze=False)
        history.draw(self.figure.axes, self.metrics)
        if in_notebook():
            from IPython.display import display  # optional: present whenever a notebook kernel runs

            if self.handle is None:
                self.handle = display(self.figure, display_id=True)
            else:
                self.handle.update(self.figure)

    def on_epoch_end(self, epoch, logs):
        if (epoch + 1 - self.run.first_epoch) % self.every == 0:
            self.redraw()

    def on_train_end(self, logs):
        history = self.run.history
        if history.epochs and (self.figure is None or (history.epochs[-1] + 1 - self.run.first_epoch) % self.every):
            self.redraw()
