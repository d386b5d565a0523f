"""The toy surfaces of the textbook's optimizer and gradient-descent figures."""

from __future__ import annotations

import numpy as np
import pytest

import trainlab as tl
from trainlab.lab import landscapes


def test_elongated_bowl_and_gradient():
    assert landscapes.elongated_bowl(-7.0, 2.0) == pytest.approx(49 / 20 + 4)
    assert landscapes.elongated_bowl_gradient(-7.0, 2.0) == pytest.approx((-0.7, 4.0))
    grid = landscapes.elongated_bowl(*np.meshgrid(np.linspace(-10, 10, 5), np.linspace(-5, 5, 3)))
    assert grid.shape == (3, 5) and grid.min() == 0.0


def test_sgd_path_has_31_points_and_ends_near_the_minimum():
    path = landscapes.optimizer_path(tl.SGD(lr=0.95))
    assert path.shape == (31, 2)
    np.testing.assert_array_equal(path[0], [-7.0, 2.0])
    np.testing.assert_allclose(path[1], [-7.0 + 0.95 * 0.7, 2.0 - 0.95 * 4.0])  # one hand-made step
    assert np.hypot(*path[-1]) < 0.5 < np.hypot(*path[0])
    assert np.all(
        np.sign(path[1:, 1]) == -np.sign(path[:-1, 1])
    )  # y zigzags across the valley: 1 - 1.9 < 0


@pytest.mark.parametrize(
    ("optimizer", "radius"),
    [
        (tl.Momentum(lr=0.1), 1.5),
        (tl.AdaGrad(lr=1.5), 0.5),
        (tl.Adam(lr=0.3), 1.0),
        (tl.Nesterov(lr=0.1), 1.0),
    ],
)
def test_textbook_optimizers_approach_the_minimum(optimizer, radius):
    path = landscapes.optimizer_path(optimizer, steps=30)
    assert path.shape == (31, 2)
    assert np.hypot(*path[-1]) < radius
    assert landscapes.elongated_bowl(*path[-1]) < 0.05 * landscapes.elongated_bowl(-7.0, 2.0)


def test_optimizer_path_arguments():
    assert landscapes.optimizer_path(tl.SGD(), steps=0).tolist() == [[-7.0, 2.0]]
    assert landscapes.optimizer_path(tl.SGD(lr=0.1), steps=3, start=(1.0, 1.0)).shape == (4, 2)
    with pytest.raises(TypeError, match="optimizer must be a trainlab Optimizer"):
        landscapes.optimizer_path("sgd")
    with pytest.raises(ValueError, match="start must be a point"):
        landscapes.optimizer_path(tl.SGD(), start=(1.0, 2.0, 3.0))


def test_gradient_descent_converges_with_lr_0_1():
    path = landscapes.gradient_descent(
        landscapes.function_2, np.array([-3.0, 4.0]), lr=0.1, step_num=100
    )
    assert path.shape == (101, 2)
    np.testing.assert_array_equal(path[0], [-3.0, 4.0])
    np.testing.assert_allclose(path[1], [-3.0 * 0.8, 4.0 * 0.8], rtol=1e-8)  # x ← x - 0.1·2x
    np.testing.assert_allclose(path[-1], [0.0, 0.0], atol=1e-8)


def test_gradient_descent_blows_up_with_lr_10_and_stalls_with_lr_1e_10():
    too_large = landscapes.gradient_descent(
        landscapes.function_2, [-3.0, 4.0], lr=10.0, step_num=100
    )
    assert np.abs(too_large[-1]).max() > 1e6
    too_small = landscapes.gradient_descent(
        landscapes.function_2, [-3.0, 4.0], lr=1e-10, step_num=100
    )
    np.testing.assert_allclose(too_small[-1], [-3.0, 4.0], rtol=1e-7)
    assert not np.array_equal(too_small[-1], too_small[0])


def test_function_2():
    assert landscapes.function_2(np.array([3.0, 4.0])) == 25.0
