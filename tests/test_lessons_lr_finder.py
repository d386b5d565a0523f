"""tl.find_lr: the exponential sweep, the turn-up at the known divergence rate, and an untouched model."""

import numpy as np
import pytest

import trainlab as tl


def linear_problem(n=512, seed=0):
    """y = 3x + noise, x ~ N(0, 1): for L = mean((wx - y)²), plain SGD diverges above η = 1/mean(x²) ≈ 1."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1))
    model = tl.Sequential(
        [tl.Dense(1, bias=False)], input_dim=1, seed=seed, dtype="float64", loss="mse"
    )
    return model.compile("sgd", lr=0.123), x, 3 * x + 0.1 * rng.standard_normal((n, 1))


def test_rates_grow_geometrically_and_the_loss_turns_up_where_sgd_diverges():
    model, x, y = linear_problem()
    result = tl.find_lr(model, x, y, min_lr=1e-4, max_lr=100.0, batch_size=32, steps=400)
    ratios = np.array(result.lrs[1:]) / np.array(result.lrs[:-1])
    np.testing.assert_allclose(ratios, (100.0 / 1e-4) ** (1 / 399), rtol=1e-12)
    assert result.lrs[0] == pytest.approx(1e-4)
    assert result.stopped_early and result.turned_up and result.lrs[-1] < 10.0
    assert 0.2 < result.turn_lr < 2.0  # 2/λ_max of the batch Hessian 2·mean(x²) ≈ 1
    assert result.suggested_lr == pytest.approx(result.turn_lr / 10)
    assert result.losses[0] == pytest.approx(
        float(np.mean((x * model.params["dense1.W"][0, 0] - y) ** 2)), rel=0.5
    )


def test_the_model_and_its_optimizer_are_left_untouched():
    model, x, y = linear_problem()
    model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    before, state = model.state_dict(), model.optimizer.state_dict()
    counters = (
        model.epochs_done,
        model.iterations_done,
        model.optimizer.iterations,
        model.optimizer.lr,
    )
    data_order = model.data_rng.bit_generator.state
    tl.find_lr(model, x, y, steps=50)
    assert (
        model.epochs_done,
        model.iterations_done,
        model.optimizer.iterations,
        model.optimizer.lr,
    ) == counters
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    assert (
        model.optimizer.state_dict().keys() == state.keys()
        and model.data_rng.bit_generator.state == data_order
    )


def test_same_seed_same_sweep_and_a_sweep_that_never_turns_up():
    model, x, y = linear_problem()
    first = tl.find_lr(model, x, y, min_lr=1e-6, max_lr=1e-3, steps=30)
    assert first == tl.find_lr(model, x, y, min_lr=1e-6, max_lr=1e-3, steps=30)
    assert (
        not first.stopped_early and not first.turned_up and len(first.lrs) == 30
    )  # η_max was too small
    assert max(first.smoothed) < 2 * min(first.smoothed)


def test_bad_arguments():
    model, x, y = linear_problem()
    with pytest.raises(ValueError, match="max_lr=0.001 must be above min_lr=0.01"):
        tl.find_lr(model, x, y, min_lr=0.01, max_lr=0.001)
    with pytest.raises(ValueError, match="stop_factor must be > 1"):
        tl.find_lr(model, x, y, stop_factor=0.5)
    with pytest.raises(ValueError, match="x has 512 samples but y has 3"):
        tl.find_lr(model, x, y[:3])
    with pytest.raises(RuntimeError, match="compile the model first"):
        tl.find_lr(tl.Sequential([tl.Dense(1)], input_dim=1), x, y)
