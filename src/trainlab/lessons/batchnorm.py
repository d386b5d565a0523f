"""Batch normalization against the initial weight scale (the book's 4x4 grid), and against depth.

Speed is measured at a fixed budget, each net run in full for it: the training accuracy averaged
over the 20 epochs (the area under the curve of Figure 6-19). A net that diverged has learned
nothing from then on: its remaining epochs count at chance (10 %)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from trainlab.figures import accuracy_axis
from trainlab.lab import plots
from trainlab.lab.claims import Claim, Measure
from trainlab.lab.data import CHANCE_ACCURACY, data_of
from trainlab.lab.lesson import DLFS, Lesson
from trainlab.lab.nets import after_divergence, paired_mlp
from trainlab.lab.settings import DataConfig, option

LESSON = Lesson(
    name="batchnorm", title="Batch normalization, the initial weight scale and depth", book=DLFS,
    section="6.3.3 The effect of batch normalization (and Hands-On ML 11.1.3)",
    figure="Figure 6-19",
    description=(
        "The book's experiment: a 784-{hidden_units}x{depth}-10 ReLU net, with batch norm after "
        "every hidden affine layer and without, trained on the first {train_samples} {dataset} "
        "training images by SGD (η = {lr}, batches of {batch_size} drawn at random, {epochs} "
        "epochs) from weights drawn with standard deviation 10^0 ... 10^-4 ({scales} scales); "
        "batch norm's ε is the book's 10e-7. Then Hands-On ML's question, whether batch norm "
        "matters more for deep nets than shallow ones: the same training from He initialization "
        "for {depths} hidden layers. For one seed both nets start from the same weights and see "
        "the same batches ({seeds} seeds). Speed is the training accuracy (inference mode) "
        "averaged over the {epochs} epochs; a net 'learns' when it ends above {level} training "
        "accuracy."),
)

GRID = "weight scales"


@dataclass
class Config(DataConfig):
    train_samples: int | None = option(1000, ge=1, meaning="the whole training set")
    hidden_units: int = option(100, ge=1)
    depth: int = option(5, ge=1)  # the book's five hidden layers (the grid of weight scales)
    # He-initialised nets (HOML: 2 is shallow; its ex. 11.8: 20)
    depths: tuple[int, ...] = option((2, 5, 20), ge=1)
    scales: int = option(16, ge=2)  # np.logspace(0, -4, scales)
    lr: float = option(0.01, gt=0)
    batch_size: int = option(100, ge=1)
    epochs: int = option(20, ge=1)
    # the book's 10e-7 (trainlab's 1e-5 stalls the tiny scales)
    batchnorm_epsilon: float = option(1e-6, gt=0)
    level: float = option(0.5, gt=0, lt=1)
    # The grid's share of scales where batch norm is faster moves by a scale (0.06) from seed to
    # seed; five paired seeds put its 95 % interval within about ±0.05. The depth gains differ by
    # 0.2 or more.
    seeds: int = option(5, ge=1)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "train_samples": 500, "epochs": 8,
                             "scales": 4, "depths": (2, 20), "seeds": 2}
    NOTEBOOK: ClassVar[dict] = {"scales": 8, "epochs": 15, "depths": (2, 20), "seeds": 3}


BREAKS = {"lr": 1000.0, "epochs": 2, "scales": 2}  # every net without batch norm overflows


def settings(config: Config) -> tuple[str, ...]:
    return (GRID, *(f"{d} layers" for d in dict.fromkeys(config.depths)))


def label(setting: str) -> str:
    return "the book's grid of weight scales" if setting == GRID else f"{setting}, He initialization"


def weight_scales(config: Config) -> list[float]:
    return np.logspace(0, -4, config.scales).tolist()


def train(config: Config, setting: str, seed: int) -> dict:
    """The batch-norm net and the plain one from the same start: at every weight scale, or at He init."""
    data = data_of(config)

    def pair(depth: int, init: float | str) -> dict:
        arms = {}
        for arm, batchnorm in (("batchnorm", True), ("plain", False)):
            model = paired_mlp((config.hidden_units,) * depth, init=init, batchnorm=batchnorm,
                               seed=seed, batchnorm_epsilon=config.batchnorm_epsilon)
            model.compile("sgd", lr=config.lr, metrics=["accuracy"])
            before = model.accuracy(data.x_train, data.y_train)
            history = model.fit(data.x_train, data.y_train, epochs=config.epochs,
                                batch_size=config.batch_size, sampling="iid", verbose=0)
            arms[arm], arms[f"{arm}_status"] = [before, *history.metrics.get("accuracy", [])], history.status
        return arms

    if setting == GRID:
        runs = [pair(config.depth, scale) for scale in weight_scales(config)]
        return {"scales": weight_scales(config), **{key: [r[key] for r in runs] for key in runs[0]}}
    return pair(int(setting.split()[0]), "he_normal")


def speed(curve: list[float], config: Config) -> float:
    """The training accuracy averaged over the epochs (chance after a divergence)."""
    return float(after_divergence(curve, config.epochs + 1, CHANCE_ACCURACY)[1:].mean())


def final(curve: list[float], config: Config) -> float:
    return float(after_divergence(curve, config.epochs + 1, CHANCE_ACCURACY)[-1])


def per_scale(run: dict, arm: str, of) -> list[float]:
    """``of(curve)`` for each weight scale (a grid run), or the one value of a run at He init."""
    curves = run[arm] if "scales" in run else [run[arm]]
    return [of(curve) for curve in curves]


def share_faster(run: dict, config: Config) -> float:
    if "scales" not in run:
        return float("nan")
    bn, plain = (per_scale(run, arm, lambda c: speed(c, config)) for arm in ("batchnorm", "plain"))
    return float(np.mean(np.greater(bn, plain)))


def learned(run: dict, arm: str, config: Config) -> float:
    if "scales" not in run:
        return float("nan")
    return float(sum(v > config.level for v in per_scale(run, arm, lambda c: final(c, config))))


def arm_speed(arm: str):
    return lambda run, c: float(np.mean(per_scale(run, arm, lambda curve: speed(curve, c))))


SHARE_FASTER = Measure("the share of the weight scales at which the batch-norm net's training "
                       "accuracy, averaged over the {epochs} epochs, is above the plain net's",
                       share_faster, percent=True, short="scales where batch norm is faster")
LEARNED_GAIN = Measure("the number of weight scales at which the net learns (ends above {level} "
                       "training accuracy) with batch norm, minus without",
                       lambda run, c: learned(run, "batchnorm", c) - learned(run, "plain", c),
                       unit="scales", short="scales learned: with - without")
BN_SPEED = Measure("the batch-norm net's training accuracy averaged over the epochs",
                   arm_speed("batchnorm"), percent=True, short="speed with batch norm")
PLAIN_SPEED = Measure("the plain net's training accuracy averaged over the epochs",
                      arm_speed("plain"), percent=True, short="speed without")
GAIN = Measure("batch norm's gain in speed: the training accuracy averaged over the {epochs} "
               "epochs, with batch norm minus without",
               lambda run, c: BN_SPEED.of(run, c) - PLAIN_SPEED.of(run, c), percent=True,
               short="gain in speed")
TABLE = (BN_SPEED, PLAIN_SPEED, GAIN, SHARE_FASTER, LEARNED_GAIN)

CLAIMS = (
    Claim("faster-almost-always", "With batch norm learning progresses faster in almost every case: "
          "in nearly all 16 panels of Figure 6-19 (initial weight scales 1 to 1e-4) the batch-norm "
          "net's training accuracy rises faster (read here as: at more than three quarters of the "
          "scales).", "DLfS 6.3.3, Figure 6-19", SHARE_FASTER, a=GRID, expect=">", b=0.75),
    Claim("less-dependent-on-init", "Batch norm makes learning far less dependent on the initial "
          "weights: without it the net learns nothing at many of the scales of Figure 6-19.",
          "DLfS 6.3.1 and 6.3.3, Figure 6-19", LEARNED_GAIN, a=GRID, expect=">", b=0.0),
    Claim("deep-nets-gain-more", "Batch norm is unlikely to do much for a shallow net of two hidden "
          "layers, but it can make a tremendous difference for a deeper one (such as the 20 hidden "
          "layers of 100 He-initialized units of the chapter's exercise 8).", "HOML 11.1.3", GAIN,
          a="20 layers", expect=">", b="2 layers",
          why="At 20 layers of 100 units the batch-norm net learns far slower than the plain one "
          "under the same SGD (η = 0.01): in a deep stack of dense layers without skip connections "
          "batch norm makes the gradients at initialization grow with depth (Yang et al. 2019), "
          "while He initialization already keeps the plain net's signal in range. The book's "
          "evidence comes from convolutional nets trained with larger learning rates; with Nadam (η "
          "= 5e-4, the exercise's optimizer) the 20-layer batch-norm net is also the slower one on "
          "these 1,000 images."),
)


def notes(runs) -> list[str]:
    config, lines = runs.config, []
    for setting in runs.settings:
        for arm in ("batchnorm", "plain"):
            statuses = [s for run in runs.of(setting) for s in np.atleast_1d(run[f"{arm}_status"])]
            diverged = statuses.count("diverged")
            if diverged:
                lines.append(f"{label(setting)}: the net "
                             f"{'with' if arm == 'batchnorm' else 'without'} batch norm diverged "
                             f"(the loss became NaN or inf) in {diverged} of {len(statuses)} runs.")
        finals = [v for run in runs.of(setting) for arm in ("batchnorm", "plain")
                  for v in per_scale(run, arm, lambda c: final(c, config))]
        if finals and max(finals) < 2 * CHANCE_ACCURACY:
            lines.append(f"{label(setting)}: no net learned (every training accuracy ended below "
                         "20 %): the nets did not learn.")
    if GRID in runs.settings and runs.of(GRID):
        scales, grid = runs.of(GRID)[0]["scales"], runs.of(GRID)
        ahead = [np.mean([speed(r["plain"][i], config) > speed(r["batchnorm"][i], config)
                          for r in grid]) > 0.5 for i in range(len(scales))]
        idle = [max(final(r[arm][i], config) for r in grid for arm in ("batchnorm", "plain"))
                < 2 * CHANCE_ACCURACY for i in range(len(scales))]
        for picked, text in ((ahead, "the plain net learned faster in most seeds"),
                             (idle, "neither net learned")):
            chosen = [f"{s:.3g}" for s, keep in zip(scales, picked, strict=True) if keep]
            if chosen:
                lines.append(f"At the weight scale{'s' * (len(chosen) > 1)} {', '.join(chosen)} {text}.")
    return lines


def plot(runs) -> dict:
    config, figures = runs.config, {}
    colours = {"batchnorm": plots.style(0), "plain": plots.style(1)}
    names = {"batchnorm": "Batch Normalization", "plain": "Normal (without BatchNorm)"}
    epochs = np.arange(config.epochs + 1)
    if runs.of(GRID):
        scales = runs.of(GRID)[0]["scales"]
        figure, axes = plots.panels(len(scales), 4, height=2.5)
        shown = []
        for i, (ax, scale) in enumerate(zip(axes, scales, strict=True)):
            for arm in ("batchnorm", "plain"):
                curves = np.array([list(r[arm][i]) + [np.nan] * (len(epochs) - len(r[arm][i]))
                                   for r in runs.of(GRID)])
                plots.mean_curve(ax, curves, x=epochs, label=names[arm],
                                 linestyle="-" if arm == "batchnorm" else "--", **colours[arm])
                shown.append(curves)
            ax.set_title(f"W: {scale:.3g}", fontsize="small")
            ax.grid(alpha=0.3)
        for i, ax in enumerate(axes):
            accuracy_axis(ax, shown, label=None if i % 4 else "accuracy")
        plots.legend_outside(axes[min(3, len(axes) - 1)], fontsize="small")
        figure.suptitle(f"Training accuracy over {config.epochs} epochs for {len(scales)} initial weight "
                        f"scales (784-{config.hidden_units}x{config.depth}-10, {config.dataset}; mean of "
                        f"{len(runs.seeds)} " "seeds and their range; x: a net that diverged)")
        figures["accuracy_grid"] = figure
    depths = [s for s in runs.settings if s != GRID and runs.of(s)]
    if depths:
        figure, axes = plots.panels(len(depths), len(depths), width=4.2, height=3.4)
        for ax, setting in zip(axes, depths, strict=True):
            for arm in ("batchnorm", "plain"):
                curves = runs.curves(setting, arm)  # shorter where every seed diverged early
                plots.mean_curve(ax, curves, x=epochs[: curves.shape[1]], label=names[arm], **colours[arm])
            ax.set(title=setting, xlabel="epochs")
            ax.grid(alpha=0.3)
        for ax in axes:
            accuracy_axis(ax, [runs.curves(s, arm) for s in depths for arm in ("batchnorm", "plain")],
                          label="training accuracy")
        plots.legend_outside(axes[-1], fontsize="small")
        figure.suptitle("From He initialization: does batch norm matter more for deep nets? (SGD "
                        f"η = {config.lr:g}, mean of {len(runs.seeds)} seeds and their range)")
        figures["depth"] = figure
    return figures
