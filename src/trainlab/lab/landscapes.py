"""Toy loss surfaces for watching optimizers move (the textbook's figures).

- ``elongated_bowl(x, y) = x²/20 + y²``: a valley 20 times flatter along x than along y, whose
  minimum is at (0, 0). :func:`optimizer_path` runs any trainlab optimizer on it from (-7, 2), as
  the textbook does to compare SGD, Momentum, AdaGrad and Adam.
- ``function_2(x) = x0² + x1²``: a round bowl, for plain gradient descent with numerical gradients
  (:func:`gradient_descent`, the textbook's ``gradient_descent(f, init_x, lr, step_num)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from trainlab.backend import Array
from trainlab.gradcheck import numerical_gradient
from trainlab.optimizers import Optimizer
from trainlab.validation import check_int, check_number, check_positive


def elongated_bowl(x: float | Array, y: float | Array) -> float | Array:
    """f(x, y) = x²/20 + y² (works on arrays too, e.g. a grid for a contour plot)."""
    return x**2 / 20.0 + y**2


def elongated_bowl_gradient(
    x: float | Array, y: float | Array
) -> tuple[float | Array, float | Array]:
    """∇f(x, y) = (x/10, 2y)."""
    return x / 10.0, 2.0 * y


def optimizer_path(
    optimizer: Optimizer, steps: int = 30, start: Sequence[float] = (-7.0, 2.0)
) -> Array:
    """The points visited by ``optimizer`` on x²/20 + y² from ``start``: an array of shape (steps + 1, 2).

    Row 0 is the start; row k the point after k updates. The parameters are the textbook's
    ``params = {"x": ..., "y": ...}``, in float64. The optimizer's state is used as given (pass a
    fresh one).
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a trainlab Optimizer, got {optimizer!r}")
    steps = check_int("steps", steps, minimum=0)
    if len(start) != 2:
        raise ValueError(f"start must be a point (x, y), got {start!r}")
    params = {
        "x": np.array([check_number("start[0]", start[0])]),
        "y": np.array([check_number("start[1]", start[1])]),
    }
    grads = {"x": np.zeros(1), "y": np.zeros(1)}
    path = np.empty((steps + 1, 2))
    path[0] = params["x"][0], params["y"][0]
    for k in range(1, steps + 1):
        grads["x"][0], grads["y"][0] = elongated_bowl_gradient(params["x"][0], params["y"][0])
        optimizer.update(params, grads)
        path[k] = params["x"][0], params["y"][0]
    return path


def function_2(x: Array) -> float:
    """f(x) = Σ xᵢ² (the textbook's ``function_2``, x0² + x1² for a point of the plane)."""
    return float(np.sum(np.asarray(x) ** 2))


def gradient_descent(
    f: Callable[[Array], float],
    init_x: Sequence[float] | Array,
    lr: float = 0.01,
    step_num: int = 100,
) -> Array:
    """Plain gradient descent x ← x - lr·∇f(x) with numerical gradients; the path, shape (step_num + 1, n).

    Row 0 is ``init_x``, the last row the final point (what the textbook's version returns). Nothing
    stops a diverging run: with too large a ``lr`` the values grow without bound, which is the
    lesson.
    """
    lr = check_positive("lr", lr)
    step_num = check_int("step_num", step_num, minimum=0)
    x = np.array(init_x, dtype=np.float64).ravel()
    path = np.empty((step_num + 1, x.size))
    path[0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, step_num + 1):
            x -= lr * numerical_gradient(f, x)
            path[k] = x
    return path
