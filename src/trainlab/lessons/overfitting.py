"""Overfitting 300 training images, and what weight decay and dropout (in two forms) do to the gap."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from matplotlib.figure import Figure

from trainlab.figures import accuracy_axis
from trainlab.lab.common import (
    ExperimentData,
    compare,
    departures,
    learned_accuracy,
    load_data,
    mlp,
    pm,
    progress,
    seed_list,
    settings_note,
)
from trainlab.lab.legacy import ExperimentConfig, Summary, option

NAME = "overfitting"
TITLE = "Overfitting, weight decay and dropout"
BOOK = "Deep Learning from Scratch"
SECTION = "6.4 Regularization: overfitting, weight decay, dropout"
FIGURE = "Figures 6-20, 6-21 and 6-23"
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "the plain net reaches 100 % training accuracy while test accuracy stays far below; weight decay and "
    "dropout shrink the gap (training accuracy no longer reaches 100 %)."
)
DESCRIPTION = (
    "Deep Learning from Scratch 6.4 (figures 6-20, 6-21 and 6-23): a 784-100x6-10 ReLU net (He "
    "initialization) is trained on only the first 300 of MNIST's training images with SGD (η = 0.01, batches "
    "of 100 drawn i.i.d.), and tested on all 10,000 test images: once plainly for 201 epochs, once with weight "
    "decay λ = 0.1 (the loss gains ½·λ·ΣW²) for 201 epochs, and with dropout 0.2 after every hidden layer for "
    "301 epochs in two forms: the book's (masks without rescaling in training, outputs scaled by 1 - p in "
    "inference) and the inverted form of Keras and PyTorch (kept units scaled by 1/(1 - p) in training). Each "
    "setting runs from three seeds. Accuracies are measured after every epoch in inference mode; epoch 0 is "
    "before training. The book shows the plain net learning its 300 images by heart while test accuracy stalls "
    "far below, and both regularizers shrinking the gap."
)
SETTINGS = ("plain", "weight decay", "dropout (book)", "dropout (inverted)")


@dataclass
class Config(ExperimentConfig):
    train_samples: int = option(300, ge=1)
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")
    hidden: tuple[int, ...] = option((100, 100, 100, 100, 100, 100), ge=1)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(100, ge=1)
    epochs: int = option(201, ge=1)
    weight_decay: float = option(0.1, ge=0)
    dropout: float = option(0.2, gt=0, lt=1)
    dropout_epochs: int = option(301, ge=1)
    settings: tuple[str, ...] = option(SETTINGS, choices=SETTINGS)
    seeds: int = option(3, ge=1)  # the book runs one; three measure the seed-to-seed noise

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "epochs": 80, "dropout_epochs": 100, "test_samples": 500,
                             "seeds": 1}


@dataclass
class Run:
    """One training run: train and test accuracy per epoch (epoch 0 = before training)."""

    setting: str
    seed: int
    epochs: int  # asked for
    status: str  # "completed" or "diverged"
    train_accuracy: list[float]
    test_accuracy: list[float]

    @property
    def gap(self) -> float:
        return self.train_accuracy[-1] - self.test_accuracy[-1]


@dataclass
class Result:
    dataset: str
    train_samples: int
    test_samples: int
    labels: dict[str, str]  # setting -> its label with the numbers
    changed: list[str]  # settings that differ from the full-size ones
    runs: list[Run]  # per seed, per setting

    def of(self, setting: str) -> list[Run]:
        return [r for r in self.runs if r.setting == setting]

    def final(self, setting: str, what: str) -> list[float]:
        """Per seed: the final "train", "test" accuracy or the "gap" of ``setting``."""
        runs = self.of(setting)
        if what == "gap":
            return [r.gap for r in runs]
        return [getattr(r, f"{what}_accuracy")[-1] for r in runs]

    def failed(self, setting: str) -> bool:
        """Diverged, or did not learn, in any seed."""
        return any(r.status == "diverged" or not learned_accuracy(r.train_accuracy[-1]) for r in self.of(setting))


def labels(config: Config) -> dict[str, str]:
    return {"plain": "no regularization", "weight decay": f"weight decay λ = {config.weight_decay:g}",
            "dropout (book)": f"dropout {config.dropout:g}, the book's form",
            "dropout (inverted)": f"dropout {config.dropout:g}, inverted form"}


def train(config: Config, data: ExperimentData, setting: str, seed: int) -> Run:
    dropout = config.dropout if setting.startswith("dropout") else 0.0
    epochs = config.dropout_epochs if dropout else config.epochs
    model = mlp(config.hidden, init="he_normal", weight_decay=config.weight_decay if setting == "weight decay" else 0.0,
                dropout=dropout, inverted_dropout=setting == "dropout (inverted)", seed=seed)
    model.compile("sgd", lr=config.lr, metrics=["accuracy"])
    before_train = model.evaluate(data.x_train, data.y_train)["accuracy"]
    before_test = model.evaluate(data.x_test, data.y_test)["accuracy"]
    history = model.fit(data.x_train, data.y_train, epochs=epochs, batch_size=config.batch_size, sampling="iid",
                        validation_data=(data.x_test, data.y_test), verbose=0)
    return Run(setting, seed, epochs, history.status, [before_train, *history.metrics.get("accuracy", [])],
               [before_test, *history.metrics.get("val_accuracy", [])])


def run(config: Config) -> Result:
    unknown = set(config.settings) - set(SETTINGS)
    if unknown:
        raise ValueError(f"settings: unknown {sorted(unknown)}; choose from {', '.join(SETTINGS)}")
    data = load_data(config.dataset, config.data_dir, train_samples=config.train_samples,
                     test_samples=config.test_samples)
    jobs = [(s, seed) for seed in seed_list(config.seed, config.seeds) for s in config.settings]
    runs = [train(config, data, s, seed) for s, seed in progress(jobs, "settings")]
    return Result(data.name, len(data.x_train), len(data.x_test), labels(config), departures(config), runs)


# -- summary -----------------------------------------------------------------------------------------------------
def table(result: Result) -> tuple[list[str], list[list]]:
    rows = []
    for setting in dict.fromkeys(r.setting for r in result.runs):
        runs = result.of(setting)
        diverged = sum(r.status == "diverged" for r in runs)
        rows.append([result.labels[setting], runs[0].epochs, pm(result.final(setting, "train"), 3),
                     pm(result.final(setting, "test"), 3), pm(result.final(setting, "gap"), 3),
                     f"{diverged} of {len(runs)}"])
    return ["setting", "epochs", "train accuracy", "test accuracy", "gap (train - test)", "runs diverged"], rows


def failures(result: Result) -> list[str]:
    lines = []
    for setting in dict.fromkeys(r.setting for r in result.runs):
        runs = result.of(setting)
        diverged = [r for r in runs if r.status == "diverged"]
        if diverged:
            lines.append(f"With {result.labels[setting]} training diverged (the loss became NaN or inf) in epoch "
                         f"{len(diverged[0].train_accuracy)} with seed {diverged[0].seed}, so that setting is left "
                         "out of the comparisons.")
        elif result.failed(setting):
            lines.append(f"With {result.labels[setting]} the net did not learn: training accuracy ended at "
                         f"{pm(result.final(setting, 'train'), 3)}, near the 10 % of guessing.")
    return lines


def plain_overfits(result: Result) -> list[str]:
    if not result.of("plain") or result.failed("plain"):
        return []
    train, test, gap = (result.final("plain", w) for w in ("train", "test", "gap"))
    verdict = "overfits" if min(train) >= 0.95 and min(gap) >= 0.1 else "does not clearly overfit"
    agree = "as in the book's figure 6-20" if verdict == "overfits" else "unlike the book's figure 6-20"
    return [f"Without regularization the net {verdict} its {result.train_samples} training images, {agree}: after "
            f"{result.of('plain')[0].epochs} epochs training accuracy is {pm(train)} but test accuracy only "
            f"{pm(test)}, a gap of {pm(gap)}."]


def regularizer(result: Result, setting: str) -> list[str]:
    """What ``setting`` did to train accuracy, test accuracy and the gap, and which lesson that supports."""
    if not result.of(setting) or result.failed(setting) or not result.of("plain") or result.failed("plain"):
        return []
    gap = compare(result.final(setting, "gap"), result.final("plain", "gap"))
    test = compare(result.final(setting, "test"), result.final("plain", "test"))
    train = compare(result.final(setting, "train"), result.final("plain", "train"))
    name = result.labels[setting][0].upper() + result.labels[setting][1:]
    text = (f"{name}: train {pm(result.final(setting, 'train'))}, test {pm(result.final(setting, 'test'))}, "
            f"gap {pm(result.final(setting, 'gap'))} after {result.of(setting)[0].epochs} epochs (against no "
            f"regularization: gap {gap.words()}; test accuracy {test.words()})")
    if gap.sign > 0:
        return [text + ": the gap grew, so this run does not support the book's lesson."]
    if gap.sign == 0:
        return [text + ": the gap did not shrink beyond the noise, so the book's lesson is not tested by a run "
                "of this size."]
    if test.sign > 0:
        return [text + ": the gap shrank and test accuracy rose, the book's lesson."]
    if test.sign == 0:
        return [text + ": the gap shrank at an unchanged test accuracy (the training accuracy fell), as in the book."]
    if np.mean(result.final(setting, "train")) < 0.8:
        return [text + f": the gap shrank only because both accuracies fell (training accuracy {train.words()}), "
                "so the net under-fits; this supports 'a smaller gap' but not 'better generalisation'."]
    return [text + ": the gap shrank, as the book says, but test accuracy fell too: the regularizer traded fit for a "
            "smaller gap, not for a better test score."]


def summarize(result: Result) -> Summary:
    headers, rows = table(result)
    conclusions = [*failures(result), *plain_overfits(result)]
    for setting in ("weight decay", "dropout (book)", "dropout (inverted)"):
        conclusions += regularizer(result, setting)
    return Summary(headers, rows, conclusions, settings_note(result.changed))


# -- figures -----------------------------------------------------------------------------------------------------
def mean_curves(runs: list[Run]) -> tuple[np.ndarray, np.ndarray]:
    """Train and test accuracy per epoch, averaged over the seeds (as far as the shortest run goes)."""
    n = min(len(r.train_accuracy) for r in runs)
    return (np.mean([r.train_accuracy[:n] for r in runs], axis=0),
            np.mean([r.test_accuracy[:n] for r in runs], axis=0))


def plot(result: Result) -> dict[str, Figure]:
    settings = list(dict.fromkeys(r.setting for r in result.runs))
    seeds = len({r.seed for r in result.runs})
    figure = Figure(figsize=(4.6 * len(settings), 4), layout="constrained")
    for ax, setting in zip(figure.subplots(1, len(settings), squeeze=False)[0], settings, strict=True):
        train, test = mean_curves(result.of(setting))
        x = np.arange(len(train))
        every = max(1, len(x) // 20)
        ax.plot(x, train, marker="o", markevery=every, markersize=4, label="train")
        ax.plot(x, test, marker="s", markevery=every, markersize=4, label="test")
        ax.set(title=f"{result.labels[setting]}\ntrain {train[-1]:.2f}, test {test[-1]:.2f}", xlabel="epochs")
        accuracy_axis(ax, [train, test], label="accuracy")
        ax.title.set_fontsize("medium")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    figure.suptitle(f"Train and test accuracy of a deep net trained on {result.train_samples} images "
                    f"({result.dataset}, {result.test_samples:,} test images; mean of {seeds} seed{'s' * (seeds > 1)})")

    gap_figure = Figure(figsize=(6.5, 4), layout="constrained")
    ax = gap_figure.subplots()
    for setting in settings:
        train, test = mean_curves(result.of(setting))
        ax.plot(np.arange(len(train)), train - test, label=result.labels[setting])
    ax.axhline(0, color="0.6", linewidth=0.8)
    ax.set(title="Train-test accuracy gap (a small gap can also mean both accuracies are low)", xlabel="epochs",
           ylabel="train accuracy - test accuracy")
    ax.title.set_fontsize("medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return {"accuracy": figure, "gap": gap_figure}
