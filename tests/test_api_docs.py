"""The public surface: ``trainlab.__all__`` is the library (no lesson helpers), and docs/api.md,
generated from its docstrings by scripts/api_docs.py, is what the code gives."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import trainlab

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("api_docs", ROOT / "scripts" / "api_docs.py")
api_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_docs)

NOT_THE_LIBRARY = ("trainlab.lab", "trainlab.lessons", "trainlab.tune", "trainlab.cli")


def test_all_is_the_library():
    exported = [name for name in trainlab.__all__ if name != "__version__"]
    assert sorted(exported) == sorted(set(exported))
    for name in exported:
        module = getattr(trainlab, name).__module__
        assert module.startswith("trainlab.") and not module.startswith(NOT_THE_LIBRARY), (
            name,
            module,
        )
        api_docs.group_of(getattr(trainlab, name), name)  # and docs/api.md has a section for it
    assert not {"function_2", "elongated_bowl", "optimizer_path", "gradient_descent"} & set(
        exported
    )
    assert {
        "Sequential",
        "Dense",
        "Adam",
        "train_step",
        "OneCycle",
        "EarlyStopping",
        "load_mnist",
        "check_gradients",
        "describe_optimizer",
    } <= set(exported)


def test_the_api_page_is_current():
    page = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert page == api_docs.render(), "docs/api.md is stale: run python scripts/api_docs.py"
    for name in trainlab.__all__:
        if name != "__version__":
            assert f"### `trainlab.{name}" in page


def test_the_page_shows_signatures_and_docstrings():
    page = api_docs.render()
    signature = "(lr=0.01, *, clip_norm=None, clip_value=None, momentum=0.0, nesterov=False"
    assert f"### `trainlab.SGD{signature}" in page
    assert "*class, a subclass of `trainlab.Optimizer`*. Stochastic gradient descent:" in page
    assert "- `loss_and_gradients(x, t, " in page  # methods, without self
