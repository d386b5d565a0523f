"""Keras habits, run as a notebook user would (in a real kernel): the same numbers as trainlab's own names."""

import warnings

import numpy as np
import pytest
from kernel_helpers import run_cells, texts

import trainlab as tl

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def blobs(n=200, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    return (2.0 * rng.standard_normal((classes, d))[y] + rng.standard_normal((n, d))).astype(np.float32), y


def fit_with(callback):
    x, y = blobs()
    model = tl.Sequential([tl.Dense(16, activation="relu"), tl.Dense(3)], input_dim=6, seed=0)
    model.compile("adam", learning_rate=0.05)
    history = model.fit(x, y, epochs=12, batch_size=20, validation_split=0.3, callbacks=[callback], verbose=0)
    return history, model.params["dense2.W"].copy()


def test_restore_best_weights_is_kerass_name_for_restore_best():
    for value in (True, False):
        keras, keras_weights = fit_with(tl.EarlyStopping(patience=2, restore_best_weights=value))
        ours, our_weights = fit_with(tl.EarlyStopping(patience=2, restore_best=value))
        assert keras.history == ours.history and keras.restored_epoch == ours.restored_epoch
        assert (keras.restored_epoch is not None) == value
        np.testing.assert_array_equal(keras_weights, our_weights)
    assert tl.EarlyStopping().restore_best and not tl.EarlyStopping(restore_best_weights=False).restore_best
    with pytest.raises(ValueError, match="restore_best=True and restore_best_weights=False disagree"):
        tl.EarlyStopping(restore_best=True, restore_best_weights=False)


KERAS = '''
import numpy as np
import trainlab as tl

data = tl.load_dataset("mnist-mini")
(x_train, y_train), (x_test, y_test) = tl.load_dataset("mnist-mini")
unpacked_same = all(np.array_equal(a, b) for a, b in
                    ((x_train, data.x_train), (y_train, data.y_train), (x_test, data.x_test), (y_test, data.y_test)))

def train(optimizer, callback, **compile_args):
    model = tl.Sequential([tl.Dense(32, activation="relu"), tl.Dense(10)], input_dim=784, seed=0)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"], **compile_args)
    history = model.fit(x_train[:1000], y_train[:1000], epochs=6, batch_size=50, validation_split=0.2,
                        callbacks=[callback], verbose=0)
    return history.history, model.evaluate(x_test, y_test)

keras = train(tl.Adam(learning_rate=3e-3), tl.EarlyStopping(patience=1, restore_best_weights=True))
ours = train(tl.Adam(lr=3e-3), tl.EarlyStopping(patience=1, restore_best=True))
by_name = train("adam", tl.EarlyStopping(patience=1), learning_rate=3e-3)
print(unpacked_same, keras == ours == by_name, keras[1])
'''

SOFTMAX_TWICE = '''
model = tl.Sequential([tl.Dense(32, activation="relu"), tl.Dense(10, activation="softmax")], input_dim=784, seed=0)
try:
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
except (ValueError, TypeError) as error:
    print(f"raised {type(error).__name__}: {error}")
'''


def test_keras_habits_run_and_give_the_same_numbers_as_trainlabs_names():
    notebook = run_cells(KERAS, SOFTMAX_TWICE)
    unpacked, same, scores = texts(notebook.cells[0]).split(" ", 2)
    assert unpacked == "True" and same == "True", scores
    assert eval(scores)["accuracy"] > 0.8
    shown = texts(notebook.cells[1])  # a warning (stderr) or the error, as the notebook shows it
    assert "softmax" in shown and "Dense(10)" in shown, shown  # what is wrong, and the fix


def compile_warnings(*layers, loss="sparse_categorical_crossentropy"):
    model = tl.Sequential([tl.Dense(8, activation="relu"), *layers], input_dim=6, seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.compile("adam", loss=loss)
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)], caught


def test_a_softmax_output_before_a_softmax_loss_warns_with_the_fix():
    messages, caught = compile_warnings(tl.Dense(3, activation="softmax"))
    assert len(messages) == 1 and caught[0].filename == __file__  # points at the compile call
    assert "the last layer is Dense(3, activation='softmax')" in messages[0]
    assert "Fix: use Dense(3) (no activation) as the output layer" in messages[0]
    messages, _ = compile_warnings(tl.Dense(3), tl.Softmax(), loss="categorical_crossentropy")
    assert len(messages) == 1 and "Fix: remove that layer" in messages[0]
    assert compile_warnings(tl.Dense(3))[0] == []  # logits: what the loss expects
    assert compile_warnings(tl.Dense(3, activation="softmax"), loss="mse")[0] == []  # probabilities fit MSE


def test_the_double_softmax_trains_worse_which_is_why_it_warns():
    x, y = blobs(n=600)
    scores = {}
    for name, last in (("logits", tl.Dense(3)), ("softmax", tl.Dense(3, activation="softmax"))):
        model = tl.Sequential([tl.Dense(16, activation="relu"), last], input_dim=6, seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.compile("adam", learning_rate=0.01, loss="sparse_categorical_crossentropy")
        model.fit(x[:400], y[:400], epochs=10, batch_size=20, verbose=0)
        scores[name] = model.evaluate(x[400:], y[400:])["loss"]
    assert scores["softmax"] > 2 * scores["logits"], scores  # squashed twice, the loss cannot get low
