"""For a class: errors that show the subcommand's usage, a search's best trial on a range's end, the
extras, files others can read (the umask), and the notebooks published as HTML. Issue 25 (4) and
(7)."""

import importlib.util
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import trainlab as tl
from trainlab.cli import main
from trainlab.textio import write_text
from trainlab.tune import SearchConfig
from trainlab.tune.report import summary_data
from trainlab.tune.results import SearchResult, TrialRecord, bound_warnings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "argv, usage, hint",
    [
        (["run", "two-layer-net", "--quik"], "usage: trainlab run ", "did you mean '--quick'?"),
        (
            ["data", "download", "mnist", "--mirrr", "x"],
            "usage: trainlab data download ",
            "did you mean '--mirror'?",
        ),
        (["tune", "--trails", "3"], "usage: trainlab tune ", "did you mean '--trials'?"),
        (["compare", "a", "b", "--jsn"], "usage: trainlab compare ", "did you mean '--json'?"),
    ],
)
def test_a_subcommand_error_shows_that_subcommands_usage(argv, usage, hint, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith(usage), err
    assert (
        f"trainlab {' '.join(usage.split()[2:])}: error: unrecognized arguments" in err
        and hint in err
    )


def search(best_lr, best_wd, space=("lr=1e-6..1e-2:log", "weight_decay=1e-8..1e-4:log")):
    trials = [
        TrialRecord(
            number=0, state="complete", value=0.9, params={"lr": best_lr, "weight_decay": best_wd}
        ),
        TrialRecord(
            number=1, state="complete", value=0.5, params={"lr": 1e-2, "weight_decay": 1e-8}
        ),
    ]
    return SearchResult(config=SearchConfig(trials=2, space=space), trials=trials, study="bounds")


def test_the_best_trial_at_the_end_of_a_range_is_warned_about():
    # the search: lr 0.00886 of 1e-6..1e-2 (1.3 % of 4 decades), weight decay 9.4e-05 of 1e-8..1e-4
    found = bound_warnings(search(0.00886, 9.4e-5))
    assert len(found) == 2
    assert found[0].startswith(
        "the best trial (0) has lr=0.00886, at the upper end of the range searched "
        "(lr=1e-06..0.01:log; 1.3% of its decades away)"
    )
    assert (
        "weight_decay=9.4e-05, at the upper end" in found[1] and "may lie beyond 0.0001" in found[1]
    )
    assert bound_warnings(search(1e-4, 1e-6)) == []  # in the middle: nothing to say
    low = bound_warnings(search(1.2e-6, 1e-6))
    assert len(low) == 1 and "lr=1.2e-06, at the lower end" in low[0]
    linear = bound_warnings(
        search(0.0049, 1e-6, space=("lr=0.001..0.005", "weight_decay=1e-8..1e-4:log"))
    )
    assert len(linear) == 1 and "; 2.5% of its width away)" in linear[0]
    with pytest.warns(UserWarning, match="the best trial .* at the upper end"):
        data = summary_data(search(0.00886, 1e-6), None, 20, [])
    assert data["notes"][-1].startswith("Warning: the best trial (0) has lr=0.00886")


def test_the_dashboard_and_tensorboard_extras_install_their_tools():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert any(r.startswith("optuna-dashboard") for r in extras["dashboard"])
    assert any(r.startswith("tensorboardX") for r in extras["tensorboard"])


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_file_a_run_writes_goes_through_the_same_writer(tmp_path):
    """Issue 25 (4): files others can read. textio's atomic writer is the one place that decides a
    file's mode (issue 22 makes it follow the umask); every file of a run, of compare, of a model, a
    CSV log and the TensorBoard events gets the mode of a file written by it (or the umask's own,
    for files appended to)."""
    old = os.umask(0o022)
    try:
        reference = mode(write_text(tmp_path / "reference.txt", "x"))
        out = tmp_path / "runs"
        for seed in ("0", "1"):
            assert (
                main(["run", "gradient-descent", "--quick", "--seed", seed, "--out", str(out)]) == 0
            )
        runs = sorted((out / "gradient-descent").iterdir())
        assert main(["compare", *map(str, runs), "--out", str(tmp_path / "compare.html")]) == 0
        rng = np.random.default_rng(0)
        x, y = rng.standard_normal((40, 4)).astype(np.float32), rng.integers(0, 2, 40)
        model = tl.Sequential([tl.Dense(2)], input_dim=4, seed=0).compile("sgd")
        callbacks = [tl.ModelCheckpoint(tmp_path / "model.npz"), tl.CSVLogger(tmp_path / "log.csv")]
        if importlib.util.find_spec("tensorboardX"):
            callbacks.append(tl.TensorBoard(tmp_path / "tb"))
        model.fit(x, y, epochs=2, verbose=0, callbacks=callbacks)
        written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "reference.txt"]
        assert len(written) > 10
        appended = {tmp_path / "log.csv", *(tmp_path / "tb").rglob("events.*")}
        for path in written:
            assert mode(path) == (0o644 if path in appended else reference), (path, oct(mode(path)))
    finally:
        os.umask(old)


def test_publish_notebooks_executes_and_writes_html_pages(tmp_path):
    for module in ("jupytext", "nbclient", "nbconvert", "ipykernel"):
        pytest.importorskip(module)
    notebook = tmp_path / "notebooks" / "01_tiny.py"
    notebook.parent.mkdir()
    notebook.write_text("# %% [markdown]\n# # A tiny notebook\n\n# %%\nprint(6 * 7)\n")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "publish_notebooks.py"),
            "--notebooks",
            str(notebook.parent),
            "--out",
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "html" / "01_tiny.html").read_text()
    assert "A tiny notebook" in page and "42" in page
    index = (tmp_path / "html" / "index.html").read_text()
    assert "01_tiny.html" in index and "A tiny notebook" in index
    assert (
        json.loads((tmp_path / "html" / "published.json").read_text())["notebooks"][0]["name"]
        == "01_tiny"
    )
