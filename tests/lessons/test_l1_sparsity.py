"""l1-sparsity: the quick run shows ℓ1's sparsity; the histograms count every weight."""

from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import make_config

lesson = load_lesson("l1-sparsity")
module = lesson.module


def test_l1_leaves_more_weights_near_zero_than_l2_or_nothing_and_l2_keeps_them_small():
    config = make_config(lesson, quick=True)
    runs = {s: module.train(config, s, 0) for s in module.SETTINGS}
    near = {s: module.SPARSE.of(run, config) for s, run in runs.items()}
    assert near["l1"] > 0.1 > near["l2"] and near["l1"] > near["none"]
    assert module.SMALL.of(runs["l2"], config) < module.SMALL.of(runs["none"], config)
    for run in runs.values():
        assert [sum(h) for h in run["histograms"]] == [784 * 32, 32 * 32, 32 * 10]
        assert all(0 <= share <= 1 for share in run["near_zero"])
