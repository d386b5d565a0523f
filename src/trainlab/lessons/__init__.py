"""The experiments of the reference chapters, one module each; see :mod:`trainlab.lab.lesson`.

``list_experiments()`` gives their names in the order of the chapters; ``get_experiment(name)`` the
module; ``load_experiment(name)`` the module checked against the protocol (:class:`base.Experiment`);
:func:`trainlab.lab.runner.run_experiment` runs one and writes its results.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from trainlab.lab.lesson import Experiment, experiment_of
from trainlab.textio import did_you_mean

# name -> module, in the order of the chapters (Deep Learning from Scratch ch. 4-6, then Hands-On ML ch. 11)
MODULES = {
    "gradient-descent": "gradient_descent",
    "gradient-arrows": "gradient_arrows",
    "two-layer-net": "two_layer_net",
    "gradient-check": "gradient_check",
    "optimizers-2d": "optimizers_2d",
    "optimizers": "optimizers",
    "optimizer-table": "optimizer_table",
    "adagrad-fade": "adagrad_fade",
    "symmetric-weights": "symmetric_weights",
    "init-histograms": "init_histograms",
    "init-compare": "init_compare",
    "batchnorm": "batchnorm",
    "batchnorm-regularizer": "batchnorm_regularizer",
    "overfitting": "overfitting",
    "dropout-ensemble": "dropout_ensemble",
    "hyperparameter-search": "hyperparameter_search",
    "random-vs-grid": "random_vs_grid",
    "activations": "activations",
    "gradient-clipping": "gradient_clipping",
    "pretrained-layers": "pretrained_layers",
    "lr-schedules": "lr_schedules",
    "lr-finder": "lr_finder",
    "regularization": "regularization",
    "l1-sparsity": "l1_sparsity",
    "recipes": "recipes",
}


def list_experiments() -> list[str]:
    """Names of the experiments whose modules are present, in chapter order."""
    return [name for name in MODULES if importlib.util.find_spec(f"{__name__}.{MODULES[name]}") is not None]


def get_experiment(name: str) -> ModuleType:
    """The module of experiment ``name``; a clear error listing the names for an unknown one."""
    available = list_experiments()
    if name not in available:
        raise ValueError(f"experiment {name!r} does not exist; choose one of: {', '.join(available)} (or 'all')"
                         + did_you_mean(name, available))
    return importlib.import_module(f"{__name__}.{MODULES[name]}")


def load_experiment(name: str) -> Experiment:
    """Experiment ``name``, its module checked against the protocol every experiment declares."""
    return experiment_of(get_experiment(name))
