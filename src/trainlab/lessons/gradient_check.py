"""Gradient check: backpropagation's gradients against numerical differences, for every layer type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from matplotlib.figure import Figure

import trainlab as tl
from trainlab.activations import ACTIVATIONS
from trainlab.gradcheck import TOLERANCE, every_layer_model, numerical_gradient, relative_error, run_gradcheck
from trainlab.lab.common import departures, load_data, settings_note
from trainlab.lab.legacy import ExperimentConfig, Summary, option

NAME = "gradient-check"
TITLE = "Gradient check: backprop against numerical differences"
BOOK = "Deep Learning from Scratch"
SECTION = "5.7.3 Gradient check"
FIGURE = ""
BOOK_SAYS = (  # what the passage states, for docs/results.md
    "backprop's gradients agree with the numerical ones up to a tiny difference (it prints mean absolute "
    "differences around 1e-10 to 1e-13)."
)
BOOK_LARGEST_DIFF = 1e-10  # the largest mean absolute difference the book prints
DESCRIPTION = (
    "Backpropagation is fast but easy to get wrong; the numerical gradient (f(θ + h) - f(θ - h)) / 2h is "
    "slow but simple. Comparing the two, in float64, checks every hand-written backward pass. First a "
    "small model holding every layer type, activation and penalty of the library (with cross-entropy, "
    "and with a Softmax layer under mean squared error): the relative error ‖g_backprop - g_numeric‖ / "
    "(‖g_backprop‖ + ‖g_numeric‖) of each parameter must stay below 1e-6. Then the book's own check "
    "(chapter 5): a 784-50-10 ReLU net on three MNIST images, with the mean absolute difference of each "
    "parameter's gradient."
)


@dataclass
class Config(ExperimentConfig):
    hidden: int = option(50, ge=1)
    activation: str = option("relu", choices=ACTIVATIONS.names)
    init_std: float = option(0.01, gt=0)
    samples: int = option(3, ge=1)  # the book checks on x_train[:3]
    eps: float = option(1e-5, gt=0, le=0.1)  # step h of the central differences
    every_layer_batch: int = option(16, ge=1)

    QUICK: ClassVar[dict] = {"dataset": "mnist-mini", "hidden": 10}


@dataclass
class Result:
    dataset: str
    tolerance: float
    layer_types: list[str]  # the layer classes of the every-layer model
    penalties: list[str]  # and the penalties in its loss
    roles: dict[str, str]  # Dense layer name -> the layers that follow it up to the next Dense
    check_models: list[str]  # per checked parameter of the every-layer models: the variant's name,
    check_params: list[str]  # the parameter's name,
    check_shapes: list[list[int]]  # its shape,
    check_errors: list[float]  # and its relative error
    hidden: int
    activation: str
    samples: int
    net_params: list[str]  # the two-layer net's parameters,
    net_shapes: list[list[int]]
    net_mean_abs_diff: list[float]  # mean |g_backprop - g_numeric| per parameter (the book's measure)
    net_errors: list[float]  # relative error per parameter
    net_mean_abs_grad: list[float]  # mean |g_backprop|, for scale
    changed: list[str] = field(default_factory=list)  # settings that differ from the full-size ones


def run(config: Config) -> Result:
    rows = run_gradcheck(config.seed, config.every_layer_batch)
    model = every_layer_model(config.seed, softmax_head=True)
    layer_types = list(dict.fromkeys(type(layer).__name__ for layer in model.layers))
    penalties = list(dict.fromkeys(type(layer.regularizer).__name__ for layer in model.layers
                                   if getattr(layer, "regularizer", None) is not None))
    if model.weight_decay:
        penalties.append("weight decay")
    roles, current = {}, None
    for layer in model.layers:
        if isinstance(layer, tl.Dense):
            current = layer.name
            roles[current] = ""
        elif current is not None and not isinstance(layer, tl.Softmax):
            roles[current] = f"{roles[current]} {type(layer).__name__}".strip()

    data = load_data(config.dataset, config.data_dir, train_samples=config.samples, test_samples=1)
    net = tl.Sequential([tl.Dense(config.hidden, init=config.init_std, activation=config.activation),
                         tl.Dense(10, init=config.init_std)],
                        input_dim=data.x_train.shape[1], seed=config.seed, dtype="float64")
    x, t = data.x_train.astype(np.float64), data.y_train
    backprop = {name: grad.copy() for name, grad in net.gradient(x, t).items()}
    numeric = {name: numerical_gradient(lambda _: net.loss(x, t, training=True), param, config.eps)
               for name, param in net.params.items()}
    names = list(backprop)
    return Result(
        dataset=data.name, tolerance=TOLERANCE, layer_types=layer_types, penalties=penalties,
        roles=roles,
        check_models=[row.model for row in rows], check_params=[row.parameter for row in rows],
        check_shapes=[list(row.shape) for row in rows], check_errors=[row.relative_error for row in rows],
        hidden=config.hidden, activation=config.activation, samples=len(x),
        net_params=names, net_shapes=[list(backprop[n].shape) for n in names],
        net_mean_abs_diff=[float(np.mean(np.abs(backprop[n] - numeric[n]))) for n in names],
        net_errors=[relative_error(backprop[n], numeric[n]) for n in names],
        net_mean_abs_grad=[float(np.mean(np.abs(backprop[n]))) for n in names], changed=departures(config),
    )


def shape_text(shape: list[int]) -> str:
    return "x".join(str(n) for n in shape)


def summarize(result: Result) -> Summary:
    tol = result.tolerance
    verdict = lambda error: "ok" if error < tol else "WRONG"  # noqa: E731
    net_label = f"784-{result.hidden}-10 {result.activation}"
    rows = [[model, param, shape_text(shape), error, "", verdict(error)] for model, param, shape, error in zip(
        result.check_models, result.check_params, result.check_shapes, result.check_errors, strict=True)]
    rows += [[net_label, param, shape_text(shape), error, diff, verdict(error)] for param, shape, error, diff in zip(
        result.net_params, result.net_shapes, result.net_errors, result.net_mean_abs_diff, strict=True)]

    conclusions = []
    errors = np.array(result.check_errors)
    worst = int(np.argmax(errors))
    failed = [f"{m}/{p}" for m, p, e in zip(result.check_models, result.check_params, errors, strict=True) if e >= tol]
    layers = ", ".join(result.layer_types)
    penalties = ", ".join(result.penalties) or "no penalty"
    if not failed:
        conclusions.append(
            f"Every one of the {len(errors)} parameters of the two every-layer models (layers {layers}; "
            f"penalties {penalties}) has a backprop gradient that agrees with the numerical one: the largest "
            f"relative error is {errors[worst]:.1e} "
            f"({result.check_params[worst]}, {result.check_models[worst]}), below the tolerance {tol:.0e}."
        )
    else:
        conclusions.append(
            f"{len(failed)} of the {len(errors)} parameters of the every-layer models exceed the tolerance "
            f"{tol:.0e}: {', '.join(failed)}; their backward passes disagree with the numerical gradients."
        )
    diffs = dict(zip(result.net_params, result.net_mean_abs_diff, strict=True))
    scales = dict(zip(result.net_params, result.net_mean_abs_grad, strict=True))
    listing = ", ".join(f"{name} {diff:.1e}" for name, diff in diffs.items())
    entries = sum(int(np.prod(shape)) for shape in result.net_shapes)
    worst_net = max(result.net_errors)
    conclusions.append(
        f"For the book's {net_label} net on {result.samples} {result.dataset} images the mean absolute "
        f"difference between the two gradients is {listing}, against gradients of mean size "
        f"{min(scales.values()):.1e} to {max(scales.values()):.1e}; the largest relative error is "
        f"{worst_net:.1e}, {'below' if worst_net < tol else 'above'} the tolerance."
    )
    conclusions.append(book_verdict(max(diffs.values())))
    conclusions.append(
        f"The numerical gradient of its {entries:,} parameters took {2 * entries:,} evaluations of the loss; "
        f"backpropagation gives all of them from one forward and one backward pass."
    )
    return Summary(["model", "parameter", "shape", "relative error", "mean abs difference", "check"],
                   rows, conclusions, settings_note(result.changed))


def book_verdict(largest: float) -> str:
    """The book's printout against ours: a deterministic check, so 'agree' means the same order of magnitude or
    smaller (within a factor 10 of the book's largest difference)."""
    if largest <= 10 * BOOK_LARGEST_DIFF:
        return (f"As in the book, the two gradients differ by almost nothing: the largest mean absolute difference "
                f"is {largest:.1e}, where the book prints at most about {BOOK_LARGEST_DIFF:.0e}.")
    return (f"Unlike the book, the largest mean absolute difference is {largest:.1e}, more than ten times the "
            f"book's {BOOK_LARGEST_DIFF:.0e}; likely cause: a wrong backward pass, or a step h too small or too "
            "large for float64.")


def plot(result: Result) -> dict[str, Figure]:
    figure = Figure(figsize=(15, 5), layout="constrained")
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})
    models = list(dict.fromkeys(result.check_models))
    params = list(dict.fromkeys(result.check_params))
    labels = [p if p.split(".")[0] not in result.roles else f"{p} ({result.roles[p.split('.')[0]] or 'output'})"
              for p in params]
    width = 0.8 / len(models)
    for i, model in enumerate(models):
        errors = {p: e for m, p, e in zip(result.check_models, result.check_params, result.check_errors,
                                          strict=True) if m == model}
        positions = np.arange(len(params)) + (i - (len(models) - 1) / 2) * width
        left.bar(positions, [max(errors.get(p, np.nan), 1e-16) for p in params], width, label=model)
    left.axhline(result.tolerance, color="tab:red", linestyle="--", label=f"tolerance {result.tolerance:.0e}")
    left.set_yscale("log")
    left.set_xticks(np.arange(len(params)), labels, rotation=90, fontsize="small")
    left.set(title="Every layer type: relative error per parameter", ylabel="relative error (log scale)",
             ylim=(1e-13, 1e-3))
    left.legend(loc="upper right")

    positions = np.arange(len(result.net_params))
    right.bar(positions - 0.2, result.net_mean_abs_diff, 0.4, color="tab:purple", label="mean |Δ| (book)")
    right.bar(positions + 0.2, result.net_errors, 0.4, color="tab:green", label="relative error")
    right.axhline(result.tolerance, color="tab:red", linestyle="--")
    right.set_yscale("log")
    right.set_xticks(positions, result.net_params, rotation=90)
    right.set(title=f"Two-layer net 784-{result.hidden}-10 ({result.activation})", ylim=(1e-15, 1e-3))
    right.legend(loc="upper right")
    figure.suptitle("Backprop vs numerical gradients (float64, central differences)")
    return {"gradient_check": figure}
