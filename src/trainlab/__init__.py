"""trainlab: a NumPy laboratory for the techniques that make neural-network training work.

Layers with hand-written backward passes, losses, initializers, regularizers, optimizers and schedules,
all checked against numerical gradients; and experiments that reproduce the textbook chapters on them.
"""

__version__ = "0.1.0"

from trainlab.activations import ELU, GELU, SELU, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from trainlab.backend import make_rng
from trainlab.base import Layer
from trainlab.gradcheck import check_gradients, numerical_gradient
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
from trainlab.losses import Loss, MeanSquaredError, SoftmaxCrossEntropy, get_loss, one_hot
from trainlab.metrics import accuracy
from trainlab.model import Sequential
from trainlab.optimizers import SGD, Optimizer, get_optimizer
from trainlab.regularizers import L1, L2, L1L2, MaxNorm, Regularizer

__all__ = [
    "ELU", "GELU", "L1", "L1L2", "L2", "SELU", "AlphaDropout", "BatchNorm", "Constant", "Dense", "Dropout",
    "Flatten", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "Initializer", "Layer",
    "LeakyReLU", "LecunNormal", "LecunUniform", "Loss", "MaxNorm", "MeanSquaredError", "Normal", "Ones", "Optimizer", "SGD",
    "ReLU", "Regularizer", "Sequential", "Sigmoid", "Softmax", "SoftmaxCrossEntropy", "Tanh", "Uniform",
    "VarianceScaling", "Zeros", "__version__", "accuracy", "check_gradients", "get_initializer", "get_loss", "get_optimizer",
    "make_rng", "numerical_gradient", "one_hot",
]
