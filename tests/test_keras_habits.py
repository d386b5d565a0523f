"""Keras habits, run as a notebook user would (in a real kernel): the same numbers as trainlab's own names."""

import struct
import warnings

import numpy as np
import pytest
from kernel_helpers import run_cells, texts

import trainlab as tl

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def blobs(n=200, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    return (2.0 * rng.standard_normal((classes, d))[y] + rng.standard_normal((n, d))).astype(
        np.float32
    ), y


def fit_with(callback):
    x, y = blobs()
    model = tl.Sequential([tl.Dense(16, activation="relu"), tl.Dense(3)], input_dim=6, seed=0)
    model.compile("adam", learning_rate=0.05)
    history = model.fit(
        x, y, epochs=12, batch_size=20, validation_split=0.3, callbacks=[callback], verbose=0
    )
    return history, model.params["dense2.W"].copy()


def test_restore_best_weights_is_kerass_name_for_restore_best():
    for value in (True, False):
        keras, keras_weights = fit_with(tl.EarlyStopping(patience=2, restore_best_weights=value))
        ours, our_weights = fit_with(tl.EarlyStopping(patience=2, restore_best=value))
        assert keras.history == ours.history and keras.restored_epoch == ours.restored_epoch
        assert (keras.restored_epoch is not None) == value
        np.testing.assert_array_equal(keras_weights, our_weights)
    assert (
        tl.EarlyStopping().restore_best
        and not tl.EarlyStopping(restore_best_weights=False).restore_best
    )
    with pytest.raises(
        ValueError, match="restore_best=True and restore_best_weights=False disagree"
    ):
        tl.EarlyStopping(restore_best=True, restore_best_weights=False)


KERAS = """
import numpy as np
import trainlab as tl

data = tl.load_dataset("mnist-mini")
(x_train, y_train), (x_test, y_test) = tl.load_dataset("mnist-mini")
unpacked_same = all(np.array_equal(a, b) for a, b in
                    ((x_train, data.x_train), (y_train, data.y_train), \
(x_test, data.x_test), (y_test, data.y_test)))

def train(optimizer, callback, **compile_args):
    model = tl.Sequential([tl.Dense(32, activation="relu"), tl.Dense(10)], input_dim=784, seed=0)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", \
metrics=["accuracy"], **compile_args)
    history = model.fit(x_train[:1000], y_train[:1000], epochs=6, batch_size=50, validation_split=0.2,
                        callbacks=[callback], verbose=0)
    return history.history, model.evaluate(x_test, y_test)

keras = train(tl.Adam(learning_rate=3e-3), tl.EarlyStopping(patience=1, restore_best_weights=True))
ours = train(tl.Adam(lr=3e-3), tl.EarlyStopping(patience=1, restore_best=True))
by_name = train("adam", tl.EarlyStopping(patience=1), learning_rate=3e-3)
print(unpacked_same, keras == ours == by_name, keras[1])
"""

SOFTMAX_TWICE = """
model = tl.Sequential([tl.Dense(32, activation="relu"), tl.Dense(10, activation="softmax")], \
input_dim=784, seed=0)
try:
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
except (ValueError, TypeError) as error:
    print(f"raised {type(error).__name__}: {error}")
"""


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
    assert (
        compile_warnings(tl.Dense(3, activation="softmax"), loss="mse")[0] == []
    )  # probabilities fit MSE


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
    assert scores["softmax"] > 2 * scores["logits"], (
        scores
    )  # squashed twice, the loss cannot get low


# -- issue 25 (6): habits that failed, each reproduced ---------------------------------------------


def net(seed=0, dropout=False, **kwargs):
    layers = [tl.Dense(16, activation="relu"), *([tl.Dropout(0.5)] if dropout else []), tl.Dense(3)]
    return tl.Sequential(layers, input_dim=6, seed=seed, **kwargs)


def test_summary_prints_a_table_and_takes_keras_print_fn(capsys):
    model = net()
    assert model.summary() is None
    shown = capsys.readouterr().out
    assert shown == str(model.summary_table()) + "\n"
    assert "dense1 (Dense+ReLU)" in shown and "(None, 16)" in shown and "Total params: 163" in shown
    lines = []
    model.summary(print_fn=lines.append)
    assert lines == shown.splitlines()


def test_summary_is_an_html_table_in_jupyter():
    notebook = run_cells(
        "import trainlab as tl\n"
        "tl.Sequential([tl.Dense(16, activation='relu'), tl.Dense(3)], input_dim=6).summary()"
    )
    outputs = notebook.cells[0].outputs
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert len(html) == 1 and html[0].startswith("<table>")
    assert "<td style='text-align:left'>dense1 (Dense+ReLU)" in html[0]
    assert "Total params: 163" in texts(notebook.cells[0]) and "\\n" not in texts(
        notebook.cells[0]
    )  # not escaped


def weighted_loss_reference(scores, labels, weights):
    """PyTorch's cross-entropy per sample, weighted and averaged over the batch (Keras's
    sum_over_batch_size), and its gradient with respect to the scores."""
    torch = pytest.importorskip("torch")
    y = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    losses = torch.nn.functional.cross_entropy(y, torch.tensor(labels), reduction="none")
    loss = (losses * torch.tensor(weights, dtype=torch.float64)).mean()
    loss.backward()
    return loss.item(), y.grad.numpy()


def test_sample_weights_weight_each_samples_loss_and_gradient_as_keras_and_torch_do():
    rng = np.random.default_rng(1)
    scores, labels, weights = (
        rng.standard_normal((8, 3)),
        rng.integers(0, 3, 8),
        rng.uniform(0, 3, 8),
    )
    loss_function = tl.SoftmaxCrossEntropy()
    loss = loss_function(scores.copy(), labels, weights)
    grad = loss_function.backward()
    expected_loss, expected_grad = weighted_loss_reference(scores, labels, weights)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12)
    one_hot = tl.to_categorical(labels, 3).astype(np.float64)
    assert loss_function(scores.copy(), one_hot, weights) == pytest.approx(expected_loss, rel=1e-12)
    mse = tl.MeanSquaredError()
    assert mse(scores.copy(), one_hot, weights) == pytest.approx(
        np.mean(weights * np.mean((scores - one_hot) ** 2, 1))
    )
    np.testing.assert_allclose(
        mse.backward(), 2 * weights[:, None] * (scores - one_hot) / scores.size
    )


def test_the_models_weighted_gradient_matches_the_numerical_one():
    x, y = blobs(n=12)
    model = net(dtype="float64")
    weights = np.random.default_rng(2).uniform(0, 2, 12)
    analytic = model.loss_and_gradients(x, y, weights)[1][
        "dense2.W"
    ].copy()  # the buffer is reused below
    W = model.params["dense2.W"]
    numerical = tl.numerical_gradient(lambda _: model.loss_and_gradients(x, y, weights)[0], W)
    np.testing.assert_allclose(analytic, numerical, rtol=1e-6, atol=1e-9)


def train_weighted(**fit):
    x, y = blobs()
    model = net().compile("adam", learning_rate=0.05)
    history = model.fit(x, y, epochs=3, batch_size=20, validation_split=0.3, verbose=0, **fit)
    return history, model.params["dense2.W"].copy()


def test_class_weight_and_sample_weight_in_fit():
    x, y = blobs()
    _, plain_weights = train_weighted()
    by_class, class_weights = train_weighted(class_weight={0: 3.0, 2: 0.5})
    by_sample, sample_weights = train_weighted(
        sample_weight=np.select([y == 0, y == 2], [3.0, 0.5], 1.0)
    )
    np.testing.assert_array_equal(
        class_weights, sample_weights
    )  # the same weights, the same training
    assert by_class.history == by_sample.history
    assert not np.array_equal(class_weights, plain_weights)
    _, ones_weights = train_weighted(sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(
        ones_weights, plain_weights, rtol=1e-5
    )  # weights of 1: the plain loss
    _, both_weights = train_weighted(
        class_weight={0: 3.0}, sample_weight=np.where(y == 2, 0.5, 1.0)
    )
    np.testing.assert_array_equal(both_weights, class_weights)  # given both: their product
    model = net().compile("sgd")
    with pytest.raises(
        ValueError,
        match=r"sample_weight must have one weight per sample, shape \(200,\), got \(3,\)",
    ):
        model.fit(x, y, sample_weight=[1, 2, 3], verbose=0)
    with pytest.raises(ValueError, match="class_weight names class 7; the model has classes 0..2"):
        model.fit(x, y, class_weight={7: 2.0}, verbose=0)
    with pytest.raises(ValueError, match="sample_weight must be >= 0"):
        model.fit(x, y, sample_weight=-np.ones(200), verbose=0)


def test_evaluate_takes_sample_weight_and_verbose(capsys):
    x, y = blobs(n=30)
    model = net().compile("sgd")
    weights = np.linspace(0, 2, 30)
    scores = model.evaluate(x, y, verbose=0, sample_weight=weights)
    assert capsys.readouterr().out == ""
    expected, _ = weighted_loss_reference(model.predict(x).astype(np.float64), y, weights)
    assert scores["loss"] == pytest.approx(expected, rel=1e-5)
    assert scores["accuracy"] == model.evaluate(x, y)["accuracy"]  # metrics are not weighted
    model.evaluate(x, y, verbose=1)
    assert capsys.readouterr().out.startswith("evaluate: 30 samples: loss ")
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    model.predict(x, verbose="auto")
    assert capsys.readouterr().out.startswith("predict: 30 samples in ")


def test_initial_epoch_resumes_as_in_keras(tmp_path):
    x, y = blobs()
    seen = []
    recorder = tl.LearningRateScheduler(lambda epoch: seen.append(epoch) or 0.01)
    model = net().compile("sgd")
    history = model.fit(x, y, epochs=5, initial_epoch=3, callbacks=[recorder], verbose=0)
    assert history.epochs == [3, 4] and seen == [3, 4] and model.epochs_done == 5
    # resuming from a checkpoint with Keras's arguments gives the uninterrupted run, bit for bit
    whole = net().compile("adam", learning_rate=0.01)
    whole.fit(x, y, epochs=5, batch_size=32, verbose=0)
    first = net().compile("adam", learning_rate=0.01)
    first.fit(x, y, epochs=3, batch_size=32, verbose=0)
    first.save(tmp_path / "ckpt.npz")
    resumed = tl.load_model(tmp_path / "ckpt.npz")
    resumed.fit(x, y, epochs=5, initial_epoch=3, batch_size=32, verbose=0)
    for name, value in whole.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], value)
    with pytest.raises(ValueError, match="initial_epoch=1, but this model has trained 5 epochs"):
        resumed.fit(x, y, epochs=6, initial_epoch=1, verbose=0)
    with pytest.raises(ValueError, match="with initial_epoch=3, epochs is the epoch to stop at"):
        net().compile("sgd").fit(x, y, epochs=2, initial_epoch=3, verbose=0)


def test_model_checkpoint_takes_keras_filepath(tmp_path, capsys):
    x, y = blobs()
    model = net().compile("adam")
    model.fit(
        x,
        y,
        epochs=2,
        verbose=0,
        validation_split=0.2,
        callbacks=[
            tl.ModelCheckpoint(filepath=str(tmp_path / "w-{epoch:02d}.npz"), verbose=1),
            tl.ModelCheckpoint(tmp_path / "weights.npz", save_weights_only=True),
        ],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-00.npz", "w-01.npz", "weights.npz"]
    said = capsys.readouterr().out.splitlines()
    assert said[-1] == f"epoch 2: ModelCheckpoint saved the model to {tmp_path}/w-01.npz"
    assert tl.load_model(tmp_path / "w-01.npz").optimizer is not None
    assert tl.load_model(tmp_path / "weights.npz").optimizer is None
    with pytest.raises(TypeError, match="give filepath"):
        tl.ModelCheckpoint()


def test_calling_the_model_and_get_set_weights():
    x, _ = blobs(n=10)
    model = net(dropout=True)
    np.testing.assert_array_equal(model(x), model.predict(x))
    assert not np.array_equal(model(x, training=True), model(x))  # dropout is active when training
    other = net(seed=5, dropout=True)
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(6, 16), (16,), (16, 3), (3,)]
    other.set_weights(weights)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    weights[0][...] = 0  # copies: changing them leaves the model as it was
    assert np.any(model.params["dense1.W"] != 0)
    with pytest.raises(
        ValueError, match=r"set_weights: the model has 4 arrays \(dense1.W, dense1.b, "
    ):
        other.set_weights(weights[:2])
    with pytest.raises(
        ValueError, match=r"state\['dense1.W'\] has shape \(3, 16\), the model needs \(6, 16\)"
    ):
        other.set_weights([np.zeros((3, 16)), *weights[1:]])


def test_to_categorical_and_input():
    np.testing.assert_array_equal(tl.to_categorical([0, 2, 1]), [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert tl.to_categorical(np.array([1, 0]), num_classes=4).shape == (2, 4)
    assert tl.to_categorical([1]).dtype == np.float32
    with pytest.raises(ValueError, match="holds label 5 outside the 4 classes"):
        tl.to_categorical([5], num_classes=4)
    keras = tl.Sequential(
        [tl.Input(shape=(6,)), tl.Dense(16, activation="relu"), tl.Dense(3)], seed=0
    )
    assert keras.input_shape == (6,) and str(keras.summary_table()) == str(net().summary_table())
    with pytest.raises(ValueError, match="the input shape is given twice"):
        tl.Sequential([tl.Input(shape=(6,)), tl.Dense(3)], input_dim=6)
    with pytest.raises(ValueError, match="tl.Input.* can only be the first item"):
        tl.Sequential([tl.Dense(3), tl.Input(shape=(6,))])


def test_predict_of_one_sample_says_how_to_make_a_batch():
    x, _ = blobs(n=10)
    model = net()
    with pytest.raises(
        ValueError,
        match=r"x has shape \(6,\): one sample, but the model takes a batch of samples, "
        r"shape \(batch, 6\); for one sample give x\[None\] or x.reshape\(1, 6\)",
    ):
        model.predict(x[0])
    assert model.predict(x[0][None]).shape == (1, 3)
    image_model = tl.Sequential([tl.Flatten(), tl.Dense(3)], input_shape=(4, 5))
    with pytest.raises(ValueError, match=r"x has shape \(4, 5\): one sample.*x.reshape\(1, 4, 5\)"):
        image_model.predict(np.zeros((4, 5)))


def test_raw_pixels_warn_with_the_fix():
    data = tl.load_dataset("mnist-mini")
    model = tl.Sequential(
        [tl.Dense(32, activation="relu"), tl.Dense(10)], input_dim=784, seed=0
    ).compile("sgd")
    raw = (data.x_train[:200] * 255).astype(np.uint8)
    with pytest.warns(
        UserWarning, match=r"x holds values from 0 to 255: raw pixel values\? Divide them by 255"
    ):
        model.fit(raw, data.y_train[:200], verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(data.x_train[:200], data.y_train[:200], verbose=0)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda m, x, y: m.fit(x, y, epoch=3),
            r"fit\(\) got an unexpected keyword argument 'epoch' \(did you mean "
            r"'epochs'\?\); it takes epochs, iterations, batch_size, .*initial_epoch",
        ),
        (
            lambda m, x, y: m.evaluate(x, y, return_dict=True),
            r"Sequential.evaluate\(\) got an unexpected keyword "
            r"argument 'return_dict'; it takes x, y, batch_size, verbose",
        ),
        (
            lambda m, x, y: m.predict(x, steps=1),
            r"Sequential.predict\(\) got an unexpected keyword argument 'steps'; "
            r"it takes x, batch_size, verbose",
        ),
        (
            lambda m, x, y: m.compile("adam", loss_weights=[1]),
            r"compile\(\): optimizer='adam': .*'loss_weights'.*lr, "
            r".*; compile itself takes optimizer, loss, metrics",
        ),
        (
            lambda m, x, y: tl.EarlyStopping(patience=3, baseline=0.5),
            r"EarlyStopping\(\) got an unexpected keyword "
            r"argument 'baseline'; it takes monitor, patience",
        ),
        (
            lambda m, x, y: tl.ModelCheckpoint("a.npz", save_freq=5),
            r"ModelCheckpoint\(\) got an unexpected keyword "
            r"argument 'save_freq'; it takes filepath, monitor",
        ),
    ],
)
def test_an_unknown_keyword_names_the_function_and_what_it_takes(call, message):
    x, y = blobs(n=20)
    model = net().compile("sgd")
    with pytest.raises(TypeError, match=message):
        call(model, x, y)


def read_events(folder):
    """(tag, step, value) of every scalar and the tags of the histograms in the TensorBoard event
    files of ``folder``: the TFRecord framing (length, CRC, data, CRC) read here, each record parsed
    as an Event."""
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
    scalars, histograms = [], set()
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset : offset + 8])
            event = event_pb2.Event.FromString(data[offset + 12 : offset + 12 + length])
            offset += 12 + length + 4
            for value in event.summary.value:
                if value.HasField("histo"):
                    histograms.add(value.tag)
                else:
                    scalars.append((value.tag, event.step, value.simple_value))
    return scalars, histograms


def test_tensorboard_writes_event_files_that_read_back_as_the_history(tmp_path):
    pytest.importorskip("tensorboardX")
    x, y = blobs()
    model = net().compile("adam", learning_rate=0.01)
    history = model.fit(
        x,
        y,
        epochs=3,
        batch_size=20,
        validation_split=0.3,
        verbose=0,
        callbacks=[tl.TensorBoard(tmp_path / "logs", histogram_freq=1, update_freq="batch")],
    )
    train, train_histograms = read_events(tmp_path / "logs" / "train")
    validation, _ = read_events(tmp_path / "logs" / "validation")

    def curve(events, tag):
        return [value for name, _, value in events if name == tag]

    np.testing.assert_allclose(curve(train, "epoch_loss"), history["loss"], rtol=1e-6)
    np.testing.assert_allclose(curve(train, "epoch_accuracy"), history["accuracy"], rtol=1e-6)
    np.testing.assert_allclose(curve(train, "epoch_learning_rate"), history["lr"], rtol=1e-6)
    np.testing.assert_allclose(curve(validation, "epoch_loss"), history["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(
        curve(validation, "epoch_accuracy"), history["val_accuracy"], rtol=1e-6
    )
    assert [step for name, step, _ in train if name == "epoch_loss"] == [0, 1, 2]
    np.testing.assert_allclose(curve(train, "batch_loss"), history.step_loss, rtol=1e-6)
    assert train_histograms == set(model.params)
