"""Figures in a notebook: a live plot of the training curves, redrawn after every epoch; an
experiment's figures.

Our own small callback on matplotlib and IPython.display rather than a library (livelossplot,
hiddenlayer): it needs nothing beyond what a notebook already has, draws exactly what
:meth:`History.plot` draws, and its thirty lines are readable by someone learning what a callback
is.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from trainlab.callbacks import Callback
from trainlab.progress import in_notebook
from trainlab.validation import check_int, explain_keywords


class LivePlot(Callback):
    """Redraw the loss and metric curves (training and validation) every ``every`` epochs.

    In a notebook the figure is shown once and updated in place; elsewhere it is drawn silently and
    kept as ``self.figure`` (save it with ``live.figure.savefig(path)``). The figure is a plain
    matplotlib Figure, not one of pyplot's, so the inline backend does not show it a second time at
    the cell's end.
    """

    @explain_keywords
    def __init__(
        self,
        metrics: Sequence[str] | None = None,
        every: int = 1,
        figsize: tuple[float, float] | None = None,
    ) -> None:
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
                self.handle = display(as_png(self.figure), display_id=True)
            else:
                self.handle.update(as_png(self.figure))

    def on_epoch_end(self, epoch, logs):
        if (epoch + 1 - self.run.first_epoch) % self.every == 0:
            self.redraw()

    def on_train_end(self, logs):
        history = self.run.history
        if history.epochs and (
            self.figure is None or (history.epochs[-1] + 1 - self.run.first_epoch) % self.every
        ):
            self.redraw()


def show_figures(figures: Mapping[str, Any] | Iterable[Any]) -> None:
    """Show each figure once in the notebook cell: e.g. an experiment's ``plot(result)``, {name: Figure}.

    Works alike for pyplot's figures (which the inline backend would otherwise show a second time at
    the cell's end, so they are closed once shown) and for plain Figures (which it would not show at
    all).
    """
    import matplotlib.pyplot as plt  # slow to import: only showing figures needs it
    from IPython.display import display  # optional: only notebooks show figures

    for figure in figures.values() if isinstance(figures, Mapping) else figures:
        display(as_png(figure))
        plt.close(figure)


def as_png(figure: Any) -> Any:
    """The figure as an IPython PNG image: shown by any notebook, whatever matplotlib backend is
    active (a Figure itself is shown only once the inline backend has registered its formatter)."""
    from IPython.display import Image  # optional: only notebooks show images

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return Image(buffer.getvalue(), format="png")
