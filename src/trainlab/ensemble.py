"""Ensembles: several trained models voting together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from trainlab.backend import Array
from trainlab.metrics import accuracy

if TYPE_CHECKING:
    from trainlab.model import Sequential


class Ensemble:
    """Several trained models voting together: the average of their class probabilities.

    Averaging reduces the variance of the prediction; an ensemble of networks trained from different
    seeds is usually more accurate than any one of them.
    """

    def __init__(self, models: Sequence[Sequential]) -> None:
        models = list(models)
        if not models:
            raise ValueError("models is empty; an ensemble needs at least one model")
        for index, model in enumerate(models):
            if not callable(getattr(model, "predict_proba", None)):
                raise TypeError(f"models[{index}] must be a model (a Sequential), got {model!r}")
        self.models = models

    def predict_proba(self, x: Any, batch_size: int | None = 4096) -> Array:
        """The mean of the members' class probabilities."""
        return sum(model.predict_proba(x, batch_size) for model in self.models) / len(self.models)

    def predict(self, x: Any, batch_size: int | None = 4096) -> Array:
        """The most probable class of each sample."""
        return self.predict_proba(x, batch_size).argmax(axis=1)

    def accuracy(self, x: Any, t: Any) -> float:
        return accuracy(self.predict_proba(x), t)
