"""Splits, shuffling, mini-batches by epochs and by i.i.d. sampling, standardisation and one-hot labels."""

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import trainlab.data
import trainlab.losses
from trainlab.data import (
    Standardizer,
    batch_indices,
    iid_minibatches,
    iterate_minibatches,
    one_hot,
    sample_minibatch,
    shuffle_arrays,
    split_indices,
    stratified_quotas,
    train_val_split,
)

LABELS = np.repeat(np.arange(3), [50, 30, 20])  # 100 samples, classes 50 / 30 / 20
X = np.arange(100 * 2).reshape(100, 2)


# Splits.


def test_split_sizes_and_disjoint_cover():
    (x_train, y_train), (x_val, y_val) = train_val_split(X, LABELS, 0.2, seed=0)
    assert x_train.shape == (80, 2) and x_val.shape == (20, 2)
    assert y_train.shape == (80,) and y_val.shape == (20,)
    rows = np.concatenate([x_train[:, 0], x_val[:, 0]]) // 2
    assert sorted(rows.tolist()) == list(range(100))
    np.testing.assert_array_equal(y_val, LABELS[x_val[:, 0] // 2])  # pairs stay aligned
    (_, _), (x_val, _) = train_val_split(X, LABELS, 7, seed=0)
    assert len(x_val) == 7


def test_split_is_reproducible_with_a_seed():
    first = train_val_split(X, LABELS, 0.3, seed=5)
    second = train_val_split(X, LABELS, 0.3, seed=5)
    other = train_val_split(X, LABELS, 0.3, seed=6)
    np.testing.assert_array_equal(first[1][0], second[1][0])
    assert not np.array_equal(first[1][0], other[1][0])
    generator_split = train_val_split(X, LABELS, 0.3, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(generator_split[1][0], first[1][0])


def test_stratified_split_keeps_class_shares_exactly():
    for seed in range(5):
        (_, y_train), (_, y_val) = train_val_split(X, LABELS, 0.2, stratify=True, seed=seed)
        assert np.bincount(y_val).tolist() == [10, 6, 4]
        assert np.bincount(y_train).tolist() == [40, 24, 16]
    one_hot_labels = np.eye(3)[LABELS]
    (_, _), (_, y_val) = train_val_split(X, one_hot_labels, 0.2, stratify=True)
    assert y_val.sum(axis=0).tolist() == [10, 6, 4]


def test_plain_random_split_does_not_keep_shares_in_general():
    shares = {
        tuple(np.bincount(train_val_split(X, LABELS, 0.2, seed=s)[1][1], minlength=3))
        for s in range(20)
    }
    assert len(shares) > 1


def test_unshuffled_splits_use_no_randomness():
    train, val = split_indices(100, 10, shuffle=False)
    assert val.tolist() == list(range(90, 100))  # Keras' validation_split: the last samples
    assert train.tolist() == list(range(90))
    train, val = split_indices(LABELS, 10, stratify=True, shuffle=False)
    assert np.bincount(LABELS[val]).tolist() == [5, 3, 2]
    assert val.tolist() == [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]  # evenly spread in each class
    assert np.all(np.diff(train) > 0)


@given(st.lists(st.integers(1, 50), min_size=1, max_size=10), st.data())
def test_stratified_quotas_sum_and_follow_shares(counts, data):
    total = sum(counts)
    n_select = data.draw(st.integers(0, total))
    quotas = stratified_quotas(np.array(counts), n_select)
    assert quotas.sum() == n_select
    assert np.all(quotas <= counts) and np.all(quotas >= 0)
    exact = np.array(counts) * n_select / total
    assert np.all(np.abs(quotas - exact) < 1)


def test_split_errors():
    with pytest.raises(ValueError, match="x has 100 samples but y has 3"):
        train_val_split(X, [1, 2, 3])
    with pytest.raises(ValueError, match="val_size must be > 0"):
        train_val_split(X, LABELS, 0.0)
    with pytest.raises(ValueError, match=r"val_size must be in \[0.0, 1.0\)"):
        train_val_split(X, LABELS, 1.0)
    with pytest.raises(ValueError, match="n_val=100 must be smaller than the number of samples"):
        train_val_split(X, LABELS, 100)
    with pytest.raises(ValueError, match="needs the labels"):
        split_indices(100, 5, stratify=True)
    with pytest.raises(TypeError, match="integer class labels"):
        train_val_split(X, LABELS + 0.5, stratify=True)


def test_shuffle_arrays_keeps_pairs_together_and_is_seeded():
    x, y = shuffle_arrays(X, LABELS, seed=3)
    np.testing.assert_array_equal(y, LABELS[x[:, 0] // 2])
    assert not np.array_equal(x, X)
    np.testing.assert_array_equal(shuffle_arrays(X, seed=3)[0], x)
    with pytest.raises(ValueError, match="same length"):
        shuffle_arrays(X, LABELS[:5])


# Mini-batches.


def test_each_epoch_is_a_permutation_covering_every_sample_once():
    x = np.arange(103)
    batches = list(iterate_minibatches(x, x * 10, 10, epochs=3, seed=0))
    assert len(batches) == 3 * 11
    assert [len(b[0]) for b in batches[:11]] == [10] * 10 + [3]
    epochs = [np.concatenate([b[0] for b in batches[i * 11 : (i + 1) * 11]]) for i in range(3)]
    for epoch in epochs:
        assert sorted(epoch.tolist()) == list(range(103))
    assert not np.array_equal(epochs[0], epochs[1])  # a new permutation each epoch
    assert all(np.array_equal(t, xb * 10) for xb, t in batches)


def test_epochs_are_reproducible_and_options():
    x = np.arange(20)
    first = [b[0].tolist() for b in iterate_minibatches(x, x, 6, epochs=2, seed=4)]
    second = [b[0].tolist() for b in iterate_minibatches(x, x, 6, epochs=2, seed=4)]
    assert first == second
    ordered = [b[0].tolist() for b in iterate_minibatches(x, x, 6, shuffle=False, drop_last=True)]
    assert ordered == [list(range(0, 6)), list(range(6, 12)), list(range(12, 18))]
    assert [len(b) for b in batch_indices(20, 6, rng=0)] == [6, 6, 6, 2]
    with pytest.raises(ValueError, match="leaves no batch"):
        batch_indices(5, 6, drop_last=True)
    with pytest.raises(ValueError, match="x has 20 samples but t has 3"):
        next(iterate_minibatches(x, x[:3], 5))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        batch_indices(5, 0)


def test_iid_sampling_like_the_textbooks_random_choice():
    x = np.arange(1000)
    xb, tb = sample_minibatch(x, x + 1, 100, rng=np.random.default_rng(0))
    assert xb.shape == (100,)
    np.testing.assert_array_equal(tb, xb + 1)
    same = sample_minibatch(x, x + 1, 100, rng=np.random.default_rng(0))[0]
    np.testing.assert_array_equal(same, xb)
    # the same draws as the textbook's np.random.choice(train_size, batch_size), from a Generator
    np.testing.assert_array_equal(xb, np.random.default_rng(0).choice(1000, 100))
    # i.i.d. with replacement: a batch as large as the data repeats samples; without, it cannot
    assert len(np.unique(sample_minibatch(x, x, 1000, rng=1)[0])) < 1000
    assert len(np.unique(sample_minibatch(x, x, 1000, rng=1, replace=False)[0])) == 1000
    with pytest.raises(ValueError, match="without replacement"):
        sample_minibatch(x, x, 1001, replace=False)


def test_iid_minibatches_cover_the_data_uniformly():
    x = np.arange(50)
    counts = np.zeros(50, int)
    batches = list(iid_minibatches(x, x, 10, steps=2000, seed=0))
    assert len(batches) == 2000
    for xb, _ in batches:
        counts += np.bincount(xb, minlength=50)
    assert counts.sum() == 20000
    assert counts.min() > 300 and counts.max() < 500  # expected 400 each
    again = [b[0].tolist() for b in iid_minibatches(x, x, 10, steps=5, seed=0)]
    assert again == [b[0].tolist() for b in batches[:5]]


# Standardisation and one-hot labels.


def test_standardizer_is_fitted_on_training_data_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 3.0, (500, 4)).astype(np.float32)
    train[:, 3] = 2.0  # a constant feature
    test = rng.normal(5.0, 3.0, (100, 4)).astype(np.float32)
    scaler = Standardizer()
    z = scaler.fit_transform(train)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z[:, :3].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(z[:, :3].std(axis=0), 1, atol=1e-5)
    assert np.all(z[:, 3] == 0)  # centred, not divided by ~0
    z_test = scaler.transform(test)
    np.testing.assert_allclose(
        z_test,
        (test - train.mean(0)) / np.where(train.std(0) > 0, train.std(0), 1),
        rtol=1e-4,
        atol=1e-4,
    )
    np.testing.assert_allclose(scaler.inverse_transform(z_test), test, rtol=1e-5, atol=1e-5)


def test_standardizer_global_and_errors():
    x = np.arange(12, dtype=np.uint8).reshape(3, 4)
    scaler = Standardizer(per_feature=False).fit(x)
    assert scaler.mean.shape == () and scaler.mean == np.float32(5.5)
    assert scaler.transform(x).dtype == np.float32
    with pytest.raises(RuntimeError, match="before fit"):
        Standardizer().transform(x)
    with pytest.raises(ValueError, match=r"samples of shape \(3,\)"):
        Standardizer().fit(x).transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="eps must be > 0"):
        Standardizer(eps=0)


def test_one_hot_is_the_losses_one():
    assert one_hot is trainlab.losses.one_hot
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])


# Imports run one way: trainlab.data uses leaf modules of the library, never the package root (whose
# __init__ imports trainlab.data: the cycle trainlab <-> data.download that once needed an import
# inside a function), and imports nothing inside functions.

LEAF_MODULES = {"data", "backend", "losses", "textio", "validation"}


def test_the_data_package_imports_in_one_direction():
    folder = Path(trainlab.data.__file__).parent
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text())
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            assert id(node) in top_level, f"{path.name}:{node.lineno}: an import inside a function"
            names = (
                [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            )
            for name in names:
                assert name != "trainlab", f"{path.name}:{node.lineno}: imports the package root"
                if name and name.startswith("trainlab."):
                    assert name.split(".")[1] in LEAF_MODULES, (path.name, name)
