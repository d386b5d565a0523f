"""trainlab: a NumPy laboratory for the techniques that make neural-network training work.

Layers with hand-written backward passes, losses, initializers, regularizers, optimizers and schedules,
all checked against numerical gradients; and experiments that reproduce the textbook chapters on them.
"""

__version__ = "0.1.0"

from trainlab.activations import ELU, GELU, SELU, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh, get_activation
from trainlab.backend import make_rng
from trainlab.base import Layer
from trainlab.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
)
from trainlab.data import load_dataset, load_mnist
from trainlab.gradcheck import check_gradients, numerical_gradient
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
from trainlab.landscapes import (
    elongated_bowl,
    elongated_bowl_gradient,
    function_2,
    gradient_descent,
    optimizer_path,
)
from trainlab.layers import AlphaDropout, BatchNorm, Dense, Dropout, Flatten
from trainlab.liveplot import LivePlot
from trainlab.losses import Loss, MeanSquaredError, SoftmaxCrossEntropy, get_loss, one_hot
from trainlab.metrics import accuracy
from trainlab.mlp import mlp
from trainlab.model import Ensemble, Sequential
from trainlab.optimizers import (
    SGD,
    AdaGrad,
    Adam,
    AdaMax,
    AdamW,
    Momentum,
    Nadam,
    Nesterov,
    Optimizer,
    RMSProp,
    clip_by_global_norm,
    clip_by_value,
    get_optimizer,
    global_norm,
)
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
from trainlab.training import Trainer

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
    "Adam",
    "AdamW",
    "AlphaDropout",
    "BatchNorm",
    "CSVLogger",
    "Callback",
    "Constant",
    "CosineDecay",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "Ensemble",
    "ExponentialDecay",
    "Flatten",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "History",
    "Identity",
    "Initializer",
    "Layer",
    "LeakyReLU",
    "LearningRateScheduler",
    "LecunNormal",
    "LecunUniform",
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
    "PiecewiseConstant",
    "PlateauReducer",
    "PowerDecay",
    "ProgressBar",
    "RMSProp",
    "ReLU",
    "ReduceLROnPlateau",
    "Regularizer",
    "Schedule",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "SoftmaxCrossEntropy",
    "Tanh",
    "Trainer",
    "Uniform",
    "VarianceScaling",
    "Zeros",
    "__version__",
    "accuracy",
    "check_gradients",
    "clip_by_global_norm",
    "clip_by_value",
    "elongated_bowl",
    "elongated_bowl_gradient",
    "function_2",
    "get_activation",
    "get_initializer",
    "get_loss",
    "get_optimizer",
    "get_schedule",
    "global_norm",
    "gradient_descent",
    "load_dataset",
    "load_mnist",
    "load_model",
    "make_rng",
    "mlp",
    "numerical_gradient",
    "one_hot",
    "optimizer_path",
    "save_model",
]
