"""Hyperparameter search on Optuna: validation-based, parallel, resumable, distributed.

>>> from trainlab.tune import SearchConfig, run_search, best_trials, narrow, plot_best_curves, plot_scatter
>>> result = run_search(SearchConfig(dataset="mnist-mini").quick())      # the book's search, small
>>> [(t.number, round(t.value, 3), t.params) for t in best_trials(result, 3)]
>>> stage2 = SearchConfig(dataset="mnist-mini", space=narrow(result, top_k=5).space).quick()
>>> figure = plot_best_curves(result, n=20)                             # the book's Best-20 grid

Modules, each importing only those before it:

* what a search is: :mod:`.params` (the names a space may use), :mod:`.space` (ranges, lists, fixed
  values and their syntax), :mod:`.config` (SearchConfig);
* where and how trials run: :mod:`.budget` (exactly N trials across workers, crashes and resumes),
  :mod:`.storage` (SQLite, PostgreSQL; a failing storage), :mod:`.samplers` (random, TPE, grid;
  pruners), :mod:`.objective` (one trial: data split, the network from :func:`trainlab.mlp`,
  training, its score), :mod:`.workers` (worker processes);
* what comes out: :mod:`.results` (trials as plain data, ranking), :mod:`.narrowing` (a second stage);
* the loop: :mod:`.search` (run_search, the loop every worker runs);
* the files and the command: :mod:`.plots`, :mod:`.report`, :mod:`.command` (``trainlab tune``).

One trial's path: ``search.work`` → Optuna → ``objective.Objective`` (slot from ``budget``, settings
from ``space``) → ``objective.train_trial`` (``trainlab.mlp`` and ``Sequential.fit``). See
docs/tune.md.
"""

import importlib
from typing import TYPE_CHECKING, Any

from trainlab.tune.config import SearchConfig
from trainlab.tune.narrowing import Narrowing, narrow
from trainlab.tune.params import PARAMETERS
from trainlab.tune.results import SearchResult, TrialRecord, best_table, best_trials, load_result
from trainlab.tune.search import run_search
from trainlab.tune.space import BOOK_SPACE, SearchSpace, merge_space, parse_dimension
from trainlab.tune.storage import StorageError

if TYPE_CHECKING:
    from trainlab.tune.plots import (
        plot_best_curves,
        plot_importances,
        plot_optimization_history,
        plot_scatter,
    )
    from trainlab.tune.report import write_outputs

# Figures need matplotlib, which worker processes never use: imported on first use (saves them ~0.3 s).
_LAZY = {
    "plot_best_curves": "plots",
    "plot_importances": "plots",
    "plot_optimization_history": "plots",
    "plot_scatter": "plots",
    "write_outputs": "report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BOOK_SPACE",
    "PARAMETERS",
    "Narrowing",
    "SearchConfig",
    "SearchResult",
    "SearchSpace",
    "StorageError",
    "TrialRecord",
    "best_table",
    "best_trials",
    "load_result",
    "merge_space",
    "narrow",
    "parse_dimension",
    "plot_best_curves",
    "plot_importances",
    "plot_optimization_history",
    "plot_scatter",
    "run_search",
    "write_outputs",
]
