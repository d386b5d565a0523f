"""trainlab: a NumPy library for the techniques that make neural-network training work.

Layers with hand-written backward passes, losses, initializers, regularizers, optimizers and
schedules, all checked against numerical gradients; the model, its training step and loop,
callbacks, saving, data and gradient checks. ``__all__`` is the library and nothing else
(docs/api.md lists it, generated from the docstrings by scripts/api_docs.py); the laboratory that
reproduces the textbook chapters lives in :mod:`trainlab.lab` and :mod:`trainlab.lessons`, the
hyperparameter search in :mod:`trainlab.tune`.
"""

__version__ = "0.1.0"

from trainlab.activations import (
    ELU,
    GELU,
    SELU,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    RReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
)
from trainlab.backend import make_rng
from trainlab.base import Layer
from trainlab.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TensorBoard,
)
from trainlab.data import load_dataset, load_mnist
from trainlab.ensemble import Ensemble
from trainlab.gradcheck import check_gradients, layer_gradients, numerical_gradient
from trainlab.history import History
from trainlab.initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Initializer,
    LecunNormal,
    LecunUniform,
    Normal,
    Ones,
    Uniform,
    VarianceScaling,
    Zeros,
    get_initializer,
)
from trainlab.layers import AlphaDropout, BatchNorm, Dense, Dropout, Flatten
from trainlab.liveplot import LivePlot
from trainlab.losses import (
    Loss,
    MeanSquaredError,
    SoftmaxCrossEntropy,
    get_loss,
    one_hot,
    to_categorical,
)
from trainlab.lr_finder import LRFinderResult, find_lr
from trainlab.metrics import accuracy
from trainlab.mlp import mlp
from trainlab.model import Input, Sequential
from trainlab.optimizers import (
    SGD,
    Adadelta,
    AdaGrad,
    Adam,
    AdaMax,
    AdamW,
    Lion,
    Momentum,
    Nadam,
    Nesterov,
    Optimizer,
    RAdam,
    RMSProp,
    clip_by_global_norm,
    clip_by_value,
    get_optimizer,
    global_norm,
)
from trainlab.optimizers import describe as describe_optimizer
from trainlab.progress import ProgressBar
from trainlab.regularizers import L1, L1L2, L2, MaxNorm, Regularizer
from trainlab.saving import load_model, save_model
from trainlab.schedules import (
    CosineDecay,
    ExponentialDecay,
    OneCycle,
    PiecewiseConstant,
    PlateauReducer,
    PowerDecay,
    Schedule,
    get_schedule,
)
from trainlab.step import DivergenceError, train_step
from trainlab.training import FitOptions, Trainer

__all__ = [
    "ELU",
    "GELU",
    "L1",
    "L1L2",
    "L2",
    "SELU",
    "SGD",
    "AdaGrad",
    "AdaMax",
    "Adadelta",
    "Adam",
    "AdamW",
    "AlphaDropout",
    "BatchNorm",
    "CSVLogger",
    "Callback",
    "Constant",
    "CosineDecay",
    "Dense",
    "DivergenceError",
    "Dropout",
    "EarlyStopping",
    "Ensemble",
    "ExponentialDecay",
    "FitOptions",
    "Flatten",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "History",
    "Identity",
    "Initializer",
    "Input",
    "LRFinderResult",
    "Layer",
    "LeakyReLU",
    "LearningRateScheduler",
    "LecunNormal",
    "LecunUniform",
    "Lion",
    "LivePlot",
    "Loss",
    "MaxNorm",
    "MeanSquaredError",
    "ModelCheckpoint",
    "Momentum",
    "Nadam",
    "Nesterov",
    "Normal",
    "OneCycle",
    "Ones",
    "Optimizer",
    "PReLU",
    "PiecewiseConstant",
    "PlateauReducer",
    "PowerDecay",
    "ProgressBar",
    "RAdam",
    "RMSProp",
    "RReLU",
    "ReLU",
    "ReduceLROnPlateau",
    "Regularizer",
    "Schedule",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "Tanh",
    "TensorBoard",
    "Trainer",
    "Uniform",
    "VarianceScaling",
    "Zeros",
    "__version__",
    "accuracy",
    "check_gradients",
    "clip_by_global_norm",
    "clip_by_value",
    "describe_optimizer",
    "find_lr",
    "get_activation",
    "get_initializer",
    "get_loss",
    "get_optimizer",
    "get_schedule",
    "global_norm",
    "layer_gradients",
    "load_dataset",
    "load_mnist",
    "load_model",
    "make_rng",
    "mlp",
    "numerical_gradient",
    "one_hot",
    "save_model",
    "to_categorical",
    "train_step",
]
