"""The book's hyperparameter trial (Deep Learning from Scratch 6.5), shared by the search lessons.

A trial trains the 784-100x6-10 ReLU net (He init) by SGD with one learning rate η and weight decay
λ (the loss gains ½·λ·ΣW²), batches of 100 drawn at random, for 50 epochs, and scores it by its
accuracy on a validation set, never on the test set. :func:`log_uniform` draws 10^U(a, b),
:func:`offset_grid` is a grid on the log scale shifted by a random fraction of its step,
:func:`search_points` the values a grid or a random search tries, :func:`best_trial` tries them,
:func:`spearman` ranks two lists of scores alike or not, and :func:`trial_notes` says when the
trials failed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

import trainlab as tl
from trainlab.lab.fitting import Split  # the trials' images: the book's split, one definition


def trial(
    split: Split,
    lr: float,
    weight_decay: float,
    seed: int,
    *,
    hidden: Sequence[int],
    epochs: int,
    batch_size: int,
    curves: bool = True,
) -> tuple[dict, tl.Sequential]:
    """One trial: the trained net and its numbers, ``val`` (the validation accuracy after every
    epoch with ``curves``, else only at the end; its last value is the trial's score), ``train``
    (the same on the training images, with ``curves``) and ``status``. A trial that diverged is
    scored with the weights it was left with."""
    model = tl.mlp(hidden, init="he_normal", weight_decay=weight_decay, seed=seed)
    model.compile("sgd", lr=lr, metrics=["accuracy"])
    history = model.fit(
        split.x_train,
        split.y_train,
        epochs=epochs,
        batch_size=batch_size,
        sampling="iid",
        evaluate_train=curves,
        validation_data=(split.x_valid, split.y_valid) if curves else None,
        verbose=0,
    )
    val = [round(v, 4) for v in history.metrics.get("val_accuracy", [])] if curves else []
    if history.status != "completed" or not curves:
        val.append(round(model.accuracy(split.x_valid, split.y_valid), 4))
    result = {"lr": lr, "weight_decay": weight_decay, "val": val, "status": history.status}
    if curves:
        result["train"] = [round(v, 4) for v in history.metrics.get("accuracy", [])]
    return result, model


def best_trial(
    split: Split, points: Sequence[tuple[float, float]], seed: int, **options: Any
) -> tuple[list[dict], tl.Sequential]:
    """A :func:`trial` (``options``: its keywords; no curves) of each (η, λ) of ``points``, the k-th
    from seed 1000·``seed`` + k. Returns what each gave (``lr``, ``weight_decay``, ``score``: its
    validation accuracy, ``status``) and the net of the best score (the first of equal ones)."""
    trials, best, best_model = [], -1.0, None
    for index, (lr, decay) in enumerate(points):
        run, model = trial(split, lr, decay, seed * 1000 + index, curves=False, **options)
        score = run["val"][-1]
        trials.append({"lr": lr, "weight_decay": decay, "score": score, "status": run["status"]})
        if score > best:
            best, best_model = score, model
    return trials, best_model


def log_uniform(rng: np.random.Generator, low: float, high: float, n: int) -> list[float]:
    """``n`` draws of 10^U(log10 low, log10 high): the book's way of sampling a rate over decades."""
    return (10 ** rng.uniform(np.log10(low), np.log10(high), n)).tolist()


def offset_grid(rng: np.random.Generator, low: float, high: float, n: int) -> list[float]:
    """``n`` points evenly spaced on the log scale from ``low`` to ``high``, one in each of n equal
    cells, all shifted by one random fraction of a cell: a grid that favours no value by where its
    points fall."""
    a, b = np.log10(low), np.log10(high)
    return (10 ** (a + (np.arange(n) + rng.uniform()) * (b - a) / n)).tolist()


def search_points(
    kind: str, rng: np.random.Generator, ranges: Sequence[Sequence[float]], grid_points: int
) -> list[tuple[float, ...]]:
    """The grid_points^P points a search of ``kind`` tries over P parameters, each ranging over
    10^[low, high] for its ``(low, high)`` of ``ranges``: "grid", an :func:`offset_grid` of
    ``grid_points`` values of each parameter, crossed, in a random order; "random", every point
    drawn anew by :func:`log_uniform` (the same budget)."""
    budget, bounds = grid_points ** len(ranges), [10 ** np.array(r) for r in ranges]
    if kind == "grid":
        grid = list(itertools.product(*(offset_grid(rng, *b, grid_points) for b in bounds)))
        return [grid[i] for i in rng.permutation(budget)]
    if kind == "random":
        return list(zip(*(log_uniform(rng, *b, budget) for b in bounds), strict=True))
    raise ValueError(f"kind must be 'grid' or 'random', not {kind!r}")


def trial_notes(
    trials: Sequence[Mapping], score: Callable[[Mapping], float] = lambda t: t["score"]
) -> list[str]:
    """The notes on a search's ``trials``: that no trial learned (the best ``score(trial)``, a
    validation accuracy, below 0.2: near the 10 % of guessing), and how many diverged."""
    notes = []
    if trials and max(score(t) for t in trials) < 0.2:
        notes.append(
            "No trial learned (every validation accuracy near the 10 % of guessing): the nets did "
            "not learn."
        )
    if diverged := sum(t["status"] == "diverged" for t in trials):
        notes.append(
            f"{diverged} trials diverged (the loss became NaN or inf); each is scored with the "
            "weights it was left with."
        )
    return notes


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (ties share their mean rank): 1 when b ranks the items as a does."""
    ranks = [np.argsort(np.argsort(v, kind="stable"), kind="stable").astype(float) for v in (a, b)]
    for values, rank in zip((a, b), ranks, strict=True):
        values = np.asarray(values, dtype=float)
        for value in np.unique(values):
            tied = values == value
            rank[tied] = rank[tied].mean()
    if ranks[0].std() == 0 or ranks[1].std() == 0:
        return float("nan")
    return float(np.corrcoef(*ranks)[0, 1])
