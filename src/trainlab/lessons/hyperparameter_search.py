"""The book's hyperparameter search: random lr and weight decay, scored on a validation split, then narrowed."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from matplotlib.figure import Figure

from trainlab.lab.common import departures, learned_accuracy, settings_note
from trainlab.lab.legacy import ExperimentConfig, Summary, option
from trainlab.lab.noise import Spread, order
from trainlab.tune import SearchConfig, SearchResult, TrialRecord, best_trials, narrow, plot_best_curves, plot_scatter
from trainlab.tune import run_search as run_tune_search

NAME = "hyperparameter-search"
TITLE = "Hyperparameter search: learning rate and weight decay"
BOOK = "Deep Learning from Scratch"
SECTION = "6.5 Validating hyperparameters"
FIGURE = "Figure 6-24"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "good values lie around a learning rate of 0.001 to 0.01 and a weight decay of 1e-8 to 1e-6; the "
    "search is then narrowed to them."
)
BOOK_BANDS = {"lr": (1e-3, 1e-2), "weight_decay": (1e-8, 1e-6)}  # where the book finds the good values
DESCRIPTION = (
    "Random search as in the book (Deep Learning from Scratch 6.5): 100 trials with lr from 10^U(-6,-2) "
    "and the weight decay λ from 10^U(-8,-4), each training an MLP 784-100x6-10 (SGD, batches of 100) "
    "for 50 epochs on 500 training samples and scored by its accuracy on a validation split of 20 % "
    "carved from them (never the test set). The Best-20 grid shows the validation and training curves "
    "of the top trials; the ranges are then narrowed to the top trials' and searched again (stage 2). "
    "Runs on trainlab.tune (Optuna)."
)


@dataclass
class Config(ExperimentConfig):
    train_samples: int = option(500, ge=2)
    val_fraction: float = option(0.2, gt=0, lt=1)
    epochs: int = option(50, ge=1)
    trials: int = option(100, ge=1)
    lr_range: tuple[float, ...] = option((1e-6, 1e-2), gt=0, length=2, increasing=True)
    weight_decay_range: tuple[float, ...] = option((1e-8, 1e-4), gt=0, length=2, increasing=True)
    hidden_layers: int = option(6, ge=1)
    hidden_units: int = option(100, ge=1)
    batch_size: int = option(100, ge=1)
    best: int = option(20, ge=1)  # trials in the Best-N grid
    top_k: int = option(5, ge=1)  # trials the narrowed ranges are drawn around
    stage2_trials: int = option(50, ge=1)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "epochs": 8, "trials": 10, "stage2_trials": 5,
                             "hidden_layers": 2, "hidden_units": 50, "batch_size": 50, "best": 6, "top_k": 3}


@dataclass
class Result:
    dataset: str
    stage1: dict[str, Any]  # dataclasses.asdict of trainlab.tune.SearchResult
    stage2: dict[str, Any]
    narrowed: list[list[str]]  # (old range, new range) per searched parameter
    changed: list[str] = field(default_factory=list)  # settings that differ from the full-size ones


def search_config(config: Config, space: tuple[str, ...], trials: int, study: str) -> SearchConfig:
    (lr_low, lr_high), (wd_low, wd_high) = config.lr_range, config.weight_decay_range
    model = (f"hidden_layers={config.hidden_layers}", f"hidden_units={config.hidden_units}",
             f"batch_size={config.batch_size}", "optimizer=sgd")
    return SearchConfig(
        dataset=config.dataset, data_dir=config.data_dir, train_samples=config.train_samples,
        val_fraction=config.val_fraction, epochs=config.epochs, trials=trials, seed=config.seed, study=study,
        space=space or (f"lr={lr_low}..{lr_high}:log", f"weight_decay={wd_low}..{wd_high}:log", *model),
    )


def run(config: Config) -> Result:
    first = run_tune_search(search_config(config, (), config.trials, "stage-1"))
    narrowing = narrow(first, top_k=config.top_k)
    second = run_tune_search(search_config(config, narrowing.space, config.stage2_trials, "stage-2"))
    return Result(first.dataset, seeded_part(first),
                  seeded_part(second), [list(change) for change in narrowing.changes], departures(config))


def seeded_part(search: SearchResult) -> dict[str, Any]:
    """The search as plain data without what differs from run to run on the same seed: timings, the
    worker processes' ids, and the data note (which files were downloaded into which folder of this machine)."""
    data = dataclasses.asdict(search)
    data.update(seconds=0.0, data_note="")
    for trial in data["trials"]:
        trial.update(seconds=None, worker="")
    return data


def as_search_result(data: dict[str, Any]) -> SearchResult:
    """A SearchResult rebuilt from its plain-data form (for the plots of tune)."""
    fields = {key: value for key, value in data.items() if key not in ("config", "trials")}
    return SearchResult(config=SearchConfig.from_dict(data["config"]),
                        trials=[TrialRecord(**trial) for trial in data["trials"]], **fields)


def summarize(result: Result) -> Summary:
    first, second = as_search_result(result.stage1), as_search_result(result.stage2)
    ranked = best_trials(first, len(first.trials))
    rows = [[rank + 1, trial.value, trial.params["lr"], trial.params["weight_decay"], trial.status]
            for rank, trial in enumerate(ranked[:10])]
    best = ranked[0]
    top = ranked[: max(1, min(10, len(ranked)))]
    in_band = sum(1 for trial in top if 1e-3 <= trial.params["lr"] <= 1e-2)
    lowest = sum(1 for trial in ranked if trial.params["lr"] < 1e-4)
    learned_low = [trial for trial in ranked if trial.params["lr"] < 1e-4 and trial.value > 0.3]
    if not learned_accuracy(best.value):
        return Summary(["rank", "validation accuracy", "lr", "weight decay", "status"], rows, [
            f"No trial learned: the best of {len(ranked)} trials of {first.config.epochs} epochs reached a validation "
            f"accuracy of {best.value:.3f}, near the 10 % of guessing, so there is nothing to narrow the ranges "
            "around."], settings_note(result.changed))
    conclusions = [
        f"The best of {len(ranked)} trials reached a validation accuracy of {best.value:.3f} with "
        f"lr = {best.params['lr']:.2g} and weight decay = {best.params['weight_decay']:.2g}.",
        f"{in_band} of the top {len(top)} trials have a learning rate between 1e-3 and 1e-2; "
        f"{len(learned_low)} of the {lowest} trials with lr below 1e-4 got above 0.3 (they barely learn "
        f"in {first.config.epochs} epochs).",
    ]
    conclusions += [band_verdict(ranked, top, name) for name in BOOK_BANDS]
    for old, new in result.narrowed:
        conclusions.append(f"Narrowed from the top trials: {old} became {new}.")
    second_best = best_trials(second, 1)
    conclusions.append(narrowing_verdict([t.value for t in first.complete], [t.value for t in second.complete]))
    if second_best:
        conclusions.append(f"Stage 2 ({len(second.finished)} trials in the narrowed ranges) reached "
                           f"{second_best[0].value:.3f} (stage 1: {best.value:.3f}); its median trial scored "
                           f"{median([t.value for t in second.complete]):.3f} against "
                           f"{median([t.value for t in first.complete]):.3f} in stage 1.")
    return Summary(["rank", "validation accuracy", "lr", "weight decay", "status"], rows, conclusions,
                   settings_note(result.changed))


def band_verdict(ranked: list[TrialRecord], top: list[TrialRecord], name: str) -> str:
    """The book's band for ``name``: do the top trials fall in it more often than all trials do, beyond chance?

    With a share p of all trials in the band, the count k of the n top trials in it would be n·p ± √(n·p·(1-p))
    if the parameter did not matter; a count more than 2 of those standard deviations away is not chance.
    """
    low, high = BOOK_BANDS[name]
    inside = [low <= trial.params[name] <= high for trial in ranked]
    p, k, n = sum(inside) / len(inside), sum(inside[: len(top)]), len(top)
    expected, sd = n * p, math.sqrt(n * p * (1 - p))
    numbers = (f"{k} of the top {n} trials have {name} in the book's {low:g} to {high:g}, against {expected:.1f} "
               f"± {sd:.1f} expected by chance ({sum(inside)} of all {len(ranked)} trials lie there)")
    if k > expected + 2 * sd:
        return f"As in the book, the good values of {name} lie in its band: {numbers}."
    if k < expected - 2 * sd:
        return (f"Unlike the book, the good values of {name} lie outside its band: {numbers}; likely cause: a "
                "different data subset and number of epochs move the best values.")
    return (f"The top trials fall in the book's band for {name} no more often than chance: {numbers}. Within this "
            f"search {name} hardly matters, so the book's band is not tested by a run.")


def narrowing_verdict(first: list[float], second: list[float]) -> str:
    """The book: search again in the narrowed ranges; its trials should score better than the first stage's
    (the trials' scores as the sample, their spread as the noise)."""
    if len(first) < 2 or len(second) < 2:
        return "Too few finished trials to compare the stages: the book's narrowing is not tested by a run."
    numbers = (f"validation accuracy of a trial {Spread.of(second).text()} in the narrowed ranges against "
               f"{Spread.of(first).text()} in the first stage")
    verdict = order(second, first)
    if verdict > 0:
        return f"As in the book, narrowing the ranges paid: {numbers}."
    if verdict < 0:
        return (f"Unlike the book, the trials in the narrowed ranges scored worse: {numbers}; likely cause: the top "
                "trials that set the ranges were lucky draws of a noisy validation score.")
    return f"The stages are within the noise of the trials' scores ({numbers}): the narrowing is not tested by a run."


def median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def plot(result: Result) -> dict[str, Figure]:
    first, second = as_search_result(result.stage1), as_search_result(result.stage2)
    best = min(20, len(first.complete))
    figures = {"best_curves": plot_best_curves(first, n=best), "scatter": plot_scatter(first)}
    if second.complete:
        figures["stage2_scatter"] = plot_scatter(second)
    return figures
