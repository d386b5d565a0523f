"""Optimizers: state plus an update rule, applied to a model's parameters in place.

``optimizer.update(params, grads)`` moves each ``params[name]`` along ``grads[name]`` (the
textbook's interface, and what the training loop calls)::

    for x, t in batches:
        optimizer.update(model.params, model.gradient(x, t))

An optimizer never knows about schedules: a schedule or a callback sets ``optimizer.lr`` (and, for
1cycle, ``optimizer.momentum``) between steps. Every hyperparameter is validated whenever it is set.

Notation in the docstrings: θ a parameter, g = ∇L(θ) its gradient, η the learning rate, t the update
count (starting at 1), ⊙ elementwise product; squares, roots and divisions of arrays are
elementwise.

Where things are: :mod:`.hyperparameters` declares hyperparameters (default, allowed values,
meaning); :mod:`.base` holds :class:`Optimizer`, which does everything but the formulas (checks, NaN
guard, clipping, ``state_dict``), the registry and :func:`describe`; :mod:`.layout` the optimizer's
memory (state, scratch) and how an update walks the parameters (one rule call per run of parameters
that lie back to back in memory, block by block); each rule is a short ``rule`` method in
:mod:`.sgd` (SGD, Momentum, Nesterov, Lion), :mod:`.adaptive` (AdaGrad, RMSProp, Adadelta) or
:mod:`.adam` (Adam/AMSGrad, AdamW, AdaMax, Nadam, RAdam), and its readable form, the formula line
for line, in :mod:`.reference`; :mod:`.clipping` clips gradients. A new optimizer is one class
(hyperparameters, ``slots``, ``rule``) registered by name, plus its export line here.

All updates happen in place and allocate nothing per step after the first: per-parameter state
(velocities, moments) lives in :attr:`Optimizer.state`, and intermediate results go to scratch
arrays shared by all parameters of one dtype. ``state_dict()`` holds only plain data (JSON metadata
and NumPy arrays), so a checkpoint can store it as JSON plus ``.npz`` without pickle.
"""

from trainlab.optimizers.adam import Adam, AdaMax, AdamFamily, AdamW, Nadam, RAdam
from trainlab.optimizers.adaptive import Adadelta, AdaGrad, RMSProp
from trainlab.optimizers.base import (
    OPTIMIZERS,
    Optimizer,
    OptimizerInfo,
    Preset,
    describe,
    get_optimizer,
)
from trainlab.optimizers.clipping import (
    clip_by_global_norm,
    clip_by_value,
    clip_factor,
    global_norm,
)
from trainlab.optimizers.hyperparameters import (
    FLAG,
    FRACTION,
    NON_NEGATIVE,
    OPTIONAL_POSITIVE,
    POSITIVE,
    Domain,
    Hyperparameter,
)
from trainlab.optimizers.sgd import SGD, Lion, Momentum, Nesterov

__all__ = [
    "FLAG",
    "FRACTION",
    "NON_NEGATIVE",
    "OPTIMIZERS",
    "OPTIONAL_POSITIVE",
    "POSITIVE",
    "SGD",
    "AdaGrad",
    "AdaMax",
    "Adadelta",
    "Adam",
    "AdamFamily",
    "AdamW",
    "Domain",
    "Hyperparameter",
    "Lion",
    "Momentum",
    "Nadam",
    "Nesterov",
    "Optimizer",
    "OptimizerInfo",
    "Preset",
    "RAdam",
    "RMSProp",
    "clip_by_global_norm",
    "clip_by_value",
    "clip_factor",
    "describe",
    "get_optimizer",
    "global_norm",
]
