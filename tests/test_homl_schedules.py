"""Hands-On ML ch. 11's learning-rate schedules, typed as the book has them, train as in the book.

Reproduces issue 25 (1): ``LearningRateScheduler(exponential_decay_fn)`` applied the function at
every *step* (learning rates 3.5e-15, 1.1e-27, 3.5e-40 per epoch, accuracy 0.1165 at every epoch, no
warning), and the two-argument form ``fn(epoch, lr)`` failed. Keras calls the function once per
epoch, at the epoch's start, with the epoch counted from 0 (and the current learning rate for the
two-argument form): these tests check the learning rate of every epoch against that rule, and that
the network learns.
"""

import math

import numpy as np
import pytest

import trainlab as tl

# ---- the book's code (HOML 3rd ed., ch. 11, "Learning Rate Scheduling"), unchanged ----------------------


def exponential_decay_fn(epoch):
    return 0.01 * 0.1 ** (epoch / 20)


def exponential_decay(lr0, s):
    def exponential_decay_fn(epoch):
        return lr0 * 0.1 ** (epoch / s)

    return exponential_decay_fn


def exponential_decay_fn_with_lr(epoch, lr):  # the book calls this one exponential_decay_fn too
    return lr * 0.1 ** (1 / 20)


def piecewise_constant_fn(epoch):
    if epoch < 5:
        return 0.01
    elif epoch < 15:
        return 0.005
    else:
        return 0.001


def piecewise_constant(boundaries, values):  # the book's notebook's general version
    boundaries = np.array([0] + boundaries)  # noqa: RUF005  (as the book has it)
    values = np.array(values)

    def piecewise_constant_fn(epoch):
        return values[np.argmax(boundaries > epoch) - 1]

    return piecewise_constant_fn


# ---- a small MNIST problem -------------------------------------------------------------------------------

EPOCHS = 20


@pytest.fixture(scope="module")
def mnist():
    data = tl.load_dataset("mnist-mini")
    return data.x_train[:640], data.y_train[:640], data.x_test[:500], data.y_test[:500]


def train(mnist, callbacks, epochs=EPOCHS, lr=0.01):
    x_train, y_train, x_valid, y_valid = mnist
    model = tl.Sequential(
        [tl.Dense(100, activation="relu", init="he_normal"), tl.Dense(10)], input_dim=784, seed=0
    )
    model.compile(
        optimizer=tl.SGD(learning_rate=lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(
        x_train,
        y_train,
        epochs=epochs,
        validation_data=(x_valid, y_valid),
        callbacks=callbacks,
        verbose=0,
    )
    return history


def learns(history) -> bool:
    """The network learned: validation accuracy well above chance (0.1) and better than after the
    first epoch."""
    accuracy = history.history["val_accuracy"]
    return accuracy[-1] > 0.6 and accuracy[-1] > accuracy[0] + 0.3


def test_the_issue_reproduction_exponential_decay_fn_of_the_epoch(mnist):
    history = train(mnist, [tl.LearningRateScheduler(exponential_decay_fn)])
    np.testing.assert_allclose(
        history.history["lr"], [0.01 * 0.1 ** (epoch / 20) for epoch in range(EPOCHS)]
    )
    assert len(set(history.step_lr[:20])) == 1  # constant within an epoch (20 steps of 32)
    assert learns(history), history.history["val_accuracy"]


def test_the_closure_form_exponential_decay_lr0_s(mnist):
    history = train(mnist, [tl.LearningRateScheduler(exponential_decay(lr0=0.01, s=20))])
    np.testing.assert_allclose(
        history.history["lr"], [0.01 * 0.1 ** (epoch / 20) for epoch in range(EPOCHS)]
    )
    assert learns(history)


def test_the_two_argument_form_gets_the_current_learning_rate(mnist):
    history = train(mnist, [tl.LearningRateScheduler(exponential_decay_fn_with_lr)], lr=0.01)
    # Keras calls it at the start of every epoch, epoch 0 included: epoch e trains with lr0·0.1^((e+1)/20)
    np.testing.assert_allclose(
        history.history["lr"],
        [0.01 * 0.1 ** ((epoch + 1) / 20) for epoch in range(EPOCHS)],
        rtol=1e-12,
    )
    assert learns(history)


@pytest.mark.parametrize(
    "schedule",
    [piecewise_constant_fn, piecewise_constant([5, 15], [0.01, 0.005, 0.001])],
    ids=["piecewise_constant_fn", "piecewise_constant(boundaries, values)"],
)
def test_piecewise_constant(mnist, schedule):
    history = train(mnist, [tl.LearningRateScheduler(schedule)])
    assert history.history["lr"] == [0.01] * 5 + [0.005] * 10 + [0.001] * 5
    assert learns(history)


def keras_reduce_lr_on_plateau(
    val_losses, lr, factor=0.5, patience=5, min_delta=1e-4, cooldown=0, min_lr=0.0
):
    """The learning rate of each epoch under Keras's ReduceLROnPlateau, from the val_loss of each
    epoch (keras/src/callbacks/reduce_lr_on_plateau.py, written out)."""
    best, wait, cooldown_counter, rates = math.inf, 0, 0, []
    for value in val_losses:
        rates.append(lr)
        if cooldown_counter > 0:
            cooldown_counter -= 1
            wait = 0
        if value < best - min_delta:
            best, wait = value, 0
        elif cooldown_counter <= 0:
            wait += 1
            if wait >= patience and lr > min_lr:
                lr, cooldown_counter, wait = max(lr * factor, min_lr), cooldown, 0
    return rates


def test_reduce_lr_on_plateau_factor_half_patience_5(mnist):
    # the book's performance scheduling; a learning rate that is too large makes the plateaus come soon
    history = train(mnist, [tl.ReduceLROnPlateau(factor=0.5, patience=5)], epochs=30, lr=0.3)
    expected = keras_reduce_lr_on_plateau(history.history["val_loss"], 0.3)
    np.testing.assert_allclose(history.history["lr"], expected)
    assert min(expected) < 0.3  # it did reduce


def test_tf_keras_style_schedules_count_steps(mnist):
    # tf.keras.optimizers.schedules.ExponentialDecay(initial_learning_rate=0.01,
    # decay_steps=n_steps, decay_rate=0.1) and PiecewiseConstantDecay(boundaries=[5 * n, 15 * n],
    # values=[0.01, 0.005, 0.001]), given to the optimizer in Keras, go in callbacks here: they are
    # applied at every step.
    batch_size, n_epochs = 32, EPOCHS
    n_steps_per_epoch = math.ceil(len(mnist[0]) / batch_size)
    n_steps = n_epochs * n_steps_per_epoch
    history = train(mnist, [tl.ExponentialDecay(0.01, decay_steps=n_steps, rate=0.1)])
    np.testing.assert_allclose(
        history.step_lr, [0.01 * 0.1 ** (step / n_steps) for step in range(n_steps)]
    )
    assert learns(history)
    boundaries = [5 * n_steps_per_epoch, 15 * n_steps_per_epoch]
    history = train(mnist, [tl.PiecewiseConstant(boundaries, [0.01, 0.005, 0.001])])
    assert history.history["lr"] == [0.01] * 5 + [0.005] * 10 + [0.001] * 5
    # power scheduling, Keras's SGD(learning_rate=0.01, decay=1e-4): lr = 0.01 / (1 + 1e-4 · step)
    history = train(mnist, [tl.PowerDecay(0.01, decay_steps=1 / 1e-4)])
    np.testing.assert_allclose(
        history.step_lr, [0.01 / (1 + 1e-4 * step) for step in range(n_steps)]
    )


def test_a_bare_function_in_callbacks_is_refused_with_the_fix(mnist):
    with pytest.raises(
        TypeError,
        match=r"callbacks\[0\] is the function exponential_decay_fn, not a Callback: "
        r"wrap it, LearningRateScheduler\(exponential_decay_fn\) calls it at every "
        r"epoch \(as Keras does\), .*per='step'\) at every step",
    ):
        train(mnist, [exponential_decay_fn], epochs=1)


def test_per_step_is_available_and_a_bad_return_value_is_named(mnist):
    history = train(
        mnist, [tl.LearningRateScheduler(lambda step, lr: 0.01 / (1 + step), per="step")], epochs=2
    )
    np.testing.assert_allclose(history.step_lr, [0.01 / (1 + step) for step in range(40)])
    with pytest.raises(
        ValueError,
        match=r"LearningRateScheduler: broken\(0\) returned None; a schedule must "
        r"return a positive, finite learning rate",
    ):

        def broken(epoch):
            pass

        train(mnist, [tl.LearningRateScheduler(broken)], epochs=1)


def test_verbose_1_says_each_epochs_learning_rate(mnist, capsys):
    train(mnist, [tl.LearningRateScheduler(piecewise_constant_fn, verbose=1)], epochs=6)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "epoch 1: LearningRateScheduler sets the learning rate to 0.01"
    assert lines[5] == "epoch 6: LearningRateScheduler sets the learning rate to 0.005"
