"""Hands-On ML 11.4's regularization recipes on one task, and Monte Carlo dropout's uncertainty."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

import trainlab as tl
from trainlab.experiments.base import ExperimentConfig, Summary, option
from trainlab.experiments.common import hold_out, load_data, progress, standard_error, standardize

NAME = "regularization"
TITLE = "Regularization recipes and MC dropout"
DESCRIPTION = (
    "Hands-On ML 11.4's ways to avoid overfitting, each applied to the same 784-300-100-10 net trained on "
    "Fashion-MNIST (standardized pixels) with Nadam (η = 0.001, batches of 32): the baseline (ELU, He "
    "initialization, no regularization); L2 = 0.001 on every weight matrix (the book's example uses 0.01, "
    "which makes this net underfit); dropout 0.2 before every dense layer; "
    "alpha dropout 0.2 with SELU and LeCun initialization; max-norm 1 on the hidden layers' incoming weights; "
    "and early stopping on the validation loss (patience 5, the best epoch's weights restored). The dropout "
    "net is then used for Monte Carlo dropout: the mean and spread of 100 predictions with dropout on. "
    "To show overfitting within the time budget (two CPU cores, under ten minutes) the nets train on "
    "10,000 of the training images for 20 epochs; 5,000 images are held out for validation, and the test "
    "set is the full one. Accuracies are measured in inference mode (dropout off)."
)

RECIPES = ("baseline", "l2", "dropout", "alpha dropout", "max-norm", "early stopping")
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


@dataclass
class Config(ExperimentConfig):
    dataset: str = "fashion-mnist"
    # None: every training image not held out for validation
    train_samples: int | None = option(10000, ge=1, meaning="every training image not held out")
    validation_samples: int = option(5000, ge=1)
    test_samples: int | None = option(None, ge=1, meaning="the whole test set")  # None: the whole test set
    hidden: tuple[int, ...] = option((300, 100), ge=1)
    lr: float = option(0.001, gt=0)
    batch_size: int = option(32, ge=1)
    epochs: int = option(20, ge=1)
    recipes: tuple[str, ...] = option(RECIPES, choices=RECIPES)
    # Keras's convention, the loss gains l2·ΣW² (the book's 0.01 makes this net underfit)
    l2: float = option(1e-3, ge=0)
    dropout: float = option(0.2, ge=0, lt=1)
    alpha_dropout: float = option(0.2, ge=0, lt=1)
    max_norm: float = option(1.0, gt=0)
    patience: int = option(5, ge=1)
    mc_samples: int = option(100, ge=2)
    mc_images: int = option(6, ge=1)  # shown in the MC dropout figure: half classified correctly, half wrongly

    def quick(self) -> Config:
        return dataclasses.replace(self, train_samples=1000, validation_samples=300, test_samples=500, epochs=3,
                                   patience=1, mc_samples=10)


@dataclass
class RecipeRun:
    recipe: str
    description: str
    epochs: int  # trained
    train_accuracy: list[float]  # per epoch, inference mode
    val_accuracy: list[float]
    val_loss: list[float]
    final_train_accuracy: float  # of the returned model (early stopping: the restored epoch's)
    final_val_accuracy: float
    test_accuracy: float
    status: str
    stop_reason: str
    restored_epoch: int | None  # 1-based


@dataclass
class MonteCarlo:
    samples: int
    plain_accuracy: float  # the dropout net with dropout off
    mc_accuracy: float  # the mean of ``samples`` stochastic predictions
    std_correct: float  # mean std of the top class's probability on correctly classified test images
    std_wrong: float  # ... on misclassified ones
    images: list[list[float]]  # a few test images (pixels in [0, 1])
    labels: list[int]
    mean: list[list[float]]  # their MC mean probabilities
    std: list[list[float]]
    plain: list[list[float]]  # and their plain probabilities


@dataclass
class Result:
    dataset: str
    note: str
    class_names: list[str]
    train_samples: int
    validation_samples: int
    test_samples: int
    runs: list[RecipeRun]
    monte_carlo: MonteCarlo | None


def build(recipe: str, config: Config, seed: int) -> tuple[tl.Sequential, str]:
    """The net of ``recipe`` and a description of it."""
    hidden = list(config.hidden)
    if recipe == "alpha dropout":
        layers: list[tl.Layer] = []
        for units in hidden:
            layers += [tl.AlphaDropout(config.alpha_dropout), tl.Dense(units, init="lecun_normal"), tl.SELU()]
        layers += [tl.AlphaDropout(config.alpha_dropout), tl.Dense(10, init="lecun_normal")]
        return (tl.Sequential(layers, input_dim=784, seed=seed),
                f"SELU, LeCun normal, alpha dropout {config.alpha_dropout:g} before every dense layer")
    regularizer = tl.L2(config.l2) if recipe == "l2" else None
    layers = []
    for units in hidden:
        if recipe == "dropout":
            layers.append(tl.Dropout(config.dropout))
        constraint = tl.MaxNorm(config.max_norm) if recipe == "max-norm" else None
        layers += [tl.Dense(units, init="he_normal", regularizer=regularizer, constraint=constraint), tl.ELU()]
    if recipe == "dropout":
        layers.append(tl.Dropout(config.dropout))
    layers.append(tl.Dense(10, init="glorot_uniform", regularizer=regularizer))
    description = {
        "baseline": "ELU, He normal, no regularization",
        "l2": f"L2({config.l2:g}) on every weight matrix",
        "dropout": f"dropout {config.dropout:g} before every dense layer",
        "max-norm": f"max-norm {config.max_norm:g} on the hidden layers",
        "early stopping": f"the baseline; stop when the validation loss has not improved for {config.patience} "
                          f"epoch{'s' * (config.patience != 1)}, restore the best",
    }
    if recipe not in description:
        raise ValueError(f"unknown recipe {recipe!r}; choose from {', '.join(RECIPES)}")
    return tl.Sequential(layers, input_dim=784, seed=seed), description[recipe]


def monte_carlo(model: tl.Sequential, x_test: np.ndarray, y_test: np.ndarray, pixels: np.ndarray,
                config: Config) -> MonteCarlo:
    """MC dropout on the test set: accuracy against the plain prediction, and the spread of the top class."""
    plain = model.predict_proba(x_test)
    mean, std = model.predict_mc(x_test, samples=config.mc_samples)
    predicted = mean.argmax(axis=1)
    correct = predicted == y_test
    top_std = std[np.arange(len(y_test)), predicted]
    half = config.mc_images // 2
    shown = [*np.flatnonzero(correct)[: config.mc_images - half], *np.flatnonzero(~correct)[:half]]
    return MonteCarlo(
        samples=config.mc_samples,
        plain_accuracy=float(np.mean(plain.argmax(axis=1) == y_test)),
        mc_accuracy=float(np.mean(correct)),
        std_correct=float(top_std[correct].mean()) if correct.any() else float("nan"),
        std_wrong=float(top_std[~correct].mean()) if (~correct).any() else float("nan"),
        images=[pixels[i].tolist() for i in shown], labels=[int(y_test[i]) for i in shown],
        mean=[mean[i].tolist() for i in shown], std=[std[i].tolist() for i in shown],
        plain=[plain[i].tolist() for i in shown],
    )


def run(config: Config) -> Result:
    data = load_data(config.dataset, config.data_dir, test_samples=config.test_samples)
    x_train, y_train, x_valid, y_valid = hold_out(data.x_train, data.y_train, config.validation_samples)
    if config.train_samples is not None:
        x_train, y_train = x_train[: config.train_samples], y_train[: config.train_samples]
    x_train_s, x_valid_s, x_test_s = standardize(x_train, x_valid, data.x_test)
    runs, mc = [], None
    for recipe in progress(config.recipes, "recipes"):
        model, description = build(recipe, config, config.seed)
        model.compile("nadam", lr=config.lr, metrics=["accuracy"])
        callbacks = [tl.EarlyStopping("val_loss", patience=config.patience)] if recipe == "early stopping" else []
        history = model.fit(x_train_s, y_train, epochs=config.epochs, batch_size=config.batch_size,
                            validation_data=(x_valid_s, y_valid), callbacks=callbacks, verbose=0)
        runs.append(RecipeRun(
            recipe=recipe, description=description, epochs=len(history.epochs),
            train_accuracy=history["accuracy"], val_accuracy=history["val_accuracy"], val_loss=history["val_loss"],
            final_train_accuracy=model.accuracy(x_train_s, y_train),
            final_val_accuracy=model.accuracy(x_valid_s, y_valid),
            test_accuracy=model.accuracy(x_test_s, data.y_test), status=history.status,
            stop_reason=history.stop_reason,
            restored_epoch=None if history.restored_epoch is None else history.restored_epoch + 1,
        ))
        if recipe == "dropout":
            mc = monte_carlo(model, x_test_s, data.y_test, data.x_test, config)
    names = list(FASHION_CLASSES) if data.name == "fashion-mnist" else [str(d) for d in range(10)]
    return Result(data.name, data.note, names, len(x_train), len(x_valid), len(data.x_test), runs, mc)


def summarize(result: Result) -> Summary:
    rows = [[r.recipe, r.description, r.epochs, r.final_train_accuracy, r.final_val_accuracy, r.test_accuracy,
             r.final_train_accuracy - r.test_accuracy] for r in result.runs]
    mc = result.monte_carlo
    if mc is not None:
        rows.append([f"MC dropout ({mc.samples} passes)", "the dropout net, mean of predictions with dropout on",
                     "", "", "", mc.mc_accuracy, ""])
    conclusions = []
    by_name = {r.recipe: r for r in result.runs}
    base = by_name.get("baseline")
    top = max(result.runs, key=lambda r: r.test_accuracy)
    if base is None:
        conclusions.append(f"The highest test accuracy is {top.recipe}'s ({top.test_accuracy:.4f}).")
    else:
        gap = base.final_train_accuracy - base.test_accuracy
        conclusions.append(
            f"Without regularization the net {'overfits' if gap >= 0.03 else 'hardly overfits'}: after "
            f"{base.epochs} epochs its training accuracy is {base.final_train_accuracy:.4f} and its test accuracy "
            f"{base.test_accuracy:.4f}, a gap of {gap:.4f}."
        )
        others = [r for r in result.runs if r is not base]
        smaller = [r for r in others if r.final_train_accuracy - r.test_accuracy < gap]
        better = [r for r in others if r.test_accuracy > base.test_accuracy]
        if others:
            gaps = ", ".join(f"{r.recipe} {r.final_train_accuracy - r.test_accuracy:.4f}" for r in others)
            conclusions.append(f"{len(smaller)} of {len(others)} recipes shrank the train-test gap ({gaps}), and "
                               f"{len(better)} raised the test accuracy above the baseline's.")
        noise = 3 * standard_error(base.test_accuracy, result.test_samples)
        conclusions.append(f"The highest test accuracy is {top.recipe}'s ({top.test_accuracy:.4f}, "
                           f"{top.test_accuracy - base.test_accuracy:+.4f} against the baseline; differences below "
                           f"about {noise:.4f}, three standard errors on {result.test_samples} test images, are "
                           "within the noise).")
    stopping = by_name.get("early stopping")
    if stopping is not None:
        if stopping.status == "stopped":
            text = (f"Early stopping ended training after epoch {stopping.epochs} of at most "
                    f"{base.epochs if base else stopping.epochs} and restored the weights of epoch "
                    f"{stopping.restored_epoch}, the one with the lowest validation loss")
        else:
            text = (f"Early stopping did not trigger within {stopping.epochs} epochs; the weights of epoch "
                    f"{stopping.restored_epoch}, the one with the lowest validation loss, were restored")
        if base is not None:
            text += (f"; its test accuracy is {stopping.test_accuracy:.4f} against the fully trained baseline's "
                     f"{base.test_accuracy:.4f}")
        conclusions.append(text + ".")
    if mc is not None:
        ratio = mc.std_wrong / mc.std_correct if mc.std_correct > 0 else float("inf")
        conclusions.append(
            f"MC dropout: the mean of {mc.samples} predictions with dropout on is {mc.mc_accuracy:.4f} accurate "
            f"against {mc.plain_accuracy:.4f} for the plain prediction ({mc.mc_accuracy - mc.plain_accuracy:+.4f})."
        )
        if mc.std_wrong > mc.std_correct:
            conclusions.append(
                f"The spread of the predicted class's probability flags doubtful answers: its standard deviation "
                f"averages {mc.std_wrong:.3f} on misclassified test images and {mc.std_correct:.3f} on correctly "
                f"classified ones ({ratio:.1f} times as large)."
            )
        else:
            conclusions.append(
                f"The spread of the predicted class's probability did not single out the errors: its standard "
                f"deviation averages {mc.std_wrong:.3f} on misclassified test images and {mc.std_correct:.3f} on "
                f"correctly classified ones."
            )
    notes = [result.note] if result.note else []
    notes.append(f"{result.train_samples} training, {result.validation_samples} validation and "
                 f"{result.test_samples} test images; the gap is training minus test accuracy.")
    return Summary(["recipe", "setting", "epochs", "train accuracy", "validation accuracy", "test accuracy",
                    "gap"], rows, conclusions, notes)


def plot(result: Result) -> dict[str, plt.Figure]:
    figures = {}
    n = len(result.runs)
    columns = min(3, n)
    rows = int(np.ceil(n / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.6 * rows), sharey=True, squeeze=False)
    low = min(min(r.val_accuracy + r.train_accuracy) for r in result.runs)
    for ax, r in zip(axes.flat, result.runs, strict=False):
        epochs = np.arange(1, len(r.train_accuracy) + 1)
        ax.plot(epochs, r.train_accuracy, marker="o", markersize=3, label="train")
        ax.plot(epochs, r.val_accuracy, marker="s", markersize=3, label="validation")
        if r.restored_epoch is not None:
            ax.axvline(r.restored_epoch, color="0.5", linestyle=":", label=f"restored (epoch {r.restored_epoch})")
        ax.set(title=f"{r.recipe}: test {r.test_accuracy:.3f}", xlabel="epochs", ylim=(max(0.0, low - 0.02), 1.0))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    figure.suptitle(f"Training and validation accuracy per recipe ({result.dataset}, "
                    f"{result.train_samples} training images)")
    figure.tight_layout()
    figures["accuracy"] = figure

    mc = result.monte_carlo
    if mc is not None and mc.images:
        k = len(mc.images)
        figure, axes = plt.subplots(2, k, figsize=(2.6 * k, 5.2), gridspec_kw={"height_ratios": [1, 1.3]},
                                    squeeze=False)
        classes = np.arange(len(result.class_names))
        for column, (image, label, mean, std, plain) in enumerate(
                zip(mc.images, mc.labels, mc.mean, mc.std, mc.plain, strict=True)):
            predicted = int(np.argmax(mean))
            top, bottom = axes[0, column], axes[1, column]
            top.imshow(np.reshape(image, (28, 28)), cmap="binary")
            top.set_axis_off()
            verdict = "right" if predicted == label else "wrong"
            top.set_title(f"true: {result.class_names[label]}\nMC: {result.class_names[predicted]} ({verdict})",
                          fontsize=9, color="black" if predicted == label else "tab:red")
            bottom.bar(classes, mean, yerr=std, capsize=2, color="tab:blue", alpha=0.8, label="MC mean ± std")
            bottom.plot(classes, plain, "k.", label="plain prediction")
            bottom.set(ylim=(0, 1.05), xticks=classes)
            bottom.set_xticklabels(result.class_names, rotation=90, fontsize=7)
            if column == 0:
                bottom.set_ylabel("probability")
                bottom.legend(fontsize=7, loc="upper left")
        figure.suptitle(f"MC dropout: class probabilities over {mc.samples} passes with dropout on (mean ± std)")
        figure.tight_layout()
        figures["mc_dropout"] = figure
    return figures
