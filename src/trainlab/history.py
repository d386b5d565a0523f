"""What a training run recorded: per-epoch metrics, per-step losses, how it ended; as a table or a figure.

``History.history`` is the dict of per-epoch lists that Keras users know
(``pd.DataFrame(h.history)``), ``to_dataframe()`` the same as a pandas DataFrame, ``plot()`` one
panel per metric with its validation twin. pandas is optional; matplotlib is imported only when a
figure is drawn (it is slow to import).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from trainlab.validation import check_choice


@dataclass(repr=False)
class History:
    """What a run recorded.

    ``metrics[name]`` has one value per epoch: ``loss`` (mean training-mode batch loss, penalties
    included), the compiled metrics on the training data in inference mode, ``val_loss`` / ``val_*``
    on the validation data, and ``lr``. ``step_loss`` / ``step_lr`` have one value per step.
    ``status`` is "completed", "stopped" (by a callback, e.g. early stopping) or "diverged" (the
    loss became NaN or inf at step ``diverged_at``; the weights are those before that step).
    """

    epochs: list[int] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    step_loss: list[float] = field(default_factory=list)
    step_lr: list[float] = field(default_factory=list)
    status: str = "running"
    stop_reason: str = ""
    diverged_at: int | None = None
    restored_epoch: int | None = None
    seconds: float = 0.0

    def __getitem__(self, name: str) -> list[float]:
        return self.metrics[name]

    @property
    def history(self) -> dict[str, list[float]]:
        """Keras's name for the per-epoch metrics: ``{"loss": [...], "val_loss": [...], ...}``."""
        return self.metrics

    @property
    def epoch(self) -> list[int]:
        """Keras's name for the (0-based) epoch numbers."""
        return self.epochs

    def record_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        self.epochs.append(epoch)
        for name, value in logs.items():
            self.metrics.setdefault(name, [math.nan] * (len(self.epochs) - 1)).append(value)

    def last(self) -> dict[str, float]:
        return {name: values[-1] for name, values in self.metrics.items()}

    def __repr__(self) -> str:
        if not self.epochs:
            where = "no epochs"
        else:
            where = (
                f"epochs {self.epochs[0] + 1}-{self.epochs[-1] + 1}"
                if len(self.epochs) > 1
                else f"epoch {self.epochs[0] + 1}"
            )
        last = ", ".join(f"{name}={value:.4g}" for name, value in self.last().items())
        restored = (
            "" if self.restored_epoch is None else f", restored epoch {self.restored_epoch + 1}"
        )
        return (
            f"History({self.status}, {where}, {len(self.step_loss)} steps, {self.seconds:.1f} s"
            f"{restored}{', last: ' + last if last else ''})"
        )

    def to_dataframe(self) -> Any:
        """The per-epoch metrics as a pandas DataFrame, one row per epoch (index ``epoch``, 0-based)."""
        try:
            import pandas as pd  # optional: only this method needs it
        except ImportError:
            raise ImportError(
                "History.to_dataframe() needs pandas: pip install pandas "
                "(or pip install 'trainlab[notebooks]')"
            ) from None
        return pd.DataFrame(self.metrics, index=pd.Index(self.epochs, name="epoch"))

    def panels(self, metrics: Sequence[str] | None = None) -> list[list[str]]:
        """The metrics to draw, grouped by panel: each metric with its ``val_`` twin when recorded.

        By default every recorded metric but the learning rate; ``metrics`` names the ones wanted.
        """
        names = [m for m in self.metrics if m != "lr"] if metrics is None else list(metrics)
        for name in names:
            check_choice("metrics", name, tuple(self.metrics))
        bases = dict.fromkeys(name.removeprefix("val_") for name in names)
        return [[n for n in (base, f"val_{base}") if n in self.metrics] for base in bases]

    def draw(self, axes: Sequence[Any], metrics: Sequence[str] | None = None) -> None:
        """Draw the curves of :meth:`panels` into ``axes`` (one Axes per panel), x = epoch (1-based)."""
        x = [epoch + 1 for epoch in self.epochs]
        for ax, panel in zip(axes, self.panels(metrics), strict=True):
            ax.clear()
            for name in panel:
                ax.plot(
                    x,
                    self.metrics[name],
                    "o-" if len(x) < 30 else "-",
                    markersize=3,
                    label="validation" if name.startswith("val_") else "training",
                )
            ax.set(title=panel[0], xlabel="epoch")
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.grid(alpha=0.3)
            ax.legend()

    def plot(
        self, metrics: Sequence[str] | None = None, figsize: tuple[float, float] | None = None
    ) -> Any:
        """One panel per metric (training and validation curves together); returns the Axes.

        Returns matplotlib Axes (not the Figure) so that a notebook shows the figure once.
        """
        import matplotlib.pyplot as plt  # slow to import; only figures need it

        panels = self.panels(metrics)
        if not panels or not self.epochs:
            raise ValueError(
                "this History has no epochs to plot (did training run for at least one epoch?)"
            )
        figure, axes = plt.subplots(
            1, len(panels), figsize=figsize or (4.5 * len(panels), 3.4), squeeze=False
        )
        self.draw(axes[0], metrics)
        figure.tight_layout()
        return axes[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs": self.epochs,
            "metrics": self.metrics,
            "step_loss": self.step_loss,
            "step_lr": self.step_lr,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "diverged_at": self.diverged_at,
            "restored_epoch": self.restored_epoch,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(**data)
