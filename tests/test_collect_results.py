"""scripts/collect_results.py: docs/results.md counted from the claims' verdicts, evaluated again by
the current code from a run's numbers, and the measured times for `trainlab list`."""

import importlib.util
import json
from pathlib import Path

import pytest

from trainlab.lab.lesson import load_lesson
from trainlab.lab.runner import run_lessons

ROOT = Path(__file__).resolve().parent.parent
SMALL = [
    "optimizers=sgd,momentum,adagrad,adam",
    "learning_rates=0.01,0.01,0.01,0.001",
    "iterations=60",
    "window=10",
    "level=1.5",
    "fast_level=1.0",
]


def load_script(monkeypatch, docs: Path, timings: Path):
    spec = importlib.util.spec_from_file_location(
        "collect_results", ROOT / "scripts" / "collect_results.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "DOCS", docs)
    monkeypatch.setattr(module, "TIMINGS", timings)
    monkeypatch.setattr(module, "UNIT_COSTS", timings.with_name("unit_costs.json"))
    return module


def test_the_page_counts_verdicts_and_the_times_come_from_the_runs(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    outcome = next(
        run_lessons(["optimizers"], out=runs, overrides=SMALL, dataset="mnist-mini", seeds=3)
    )
    quick = next(run_lessons(["optimizers"], out=tmp_path / "quick", quick=True, overrides=SMALL))
    verdicts = outcome.record.summary["verdicts"]
    for path in (runs / ".cache" / "optimizers").glob("*.json"):  # as after an edit of the lesson:
        entry = json.loads(path.read_text())  # every key changes, the numbers do not
        entry["key"] = "0" * 64
        path.with_name(f"old-{path.name}").write_text(json.dumps(entry, indent=1))
        path.unlink()
    (runs / ".cache" / "optimizers" / "damaged.json").write_text("{not json")  # skipped, not fatal
    script = load_script(monkeypatch, tmp_path / "docs", tmp_path / "timings.json")
    monkeypatch.setattr(
        "sys.argv",
        ["collect_results.py", str(runs), "--quick", str(tmp_path / "quick"), "--no-notebook"],
    )
    script.main()
    page = (tmp_path / "docs" / "results.md").read_text()
    row = next(line for line in page.splitlines() if line.startswith("| [`optimizers`]"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2:6] == [
        str(verdicts[v]) for v in ("agrees", "contradicts", "unsettled", "untested")
    ]
    assert (
        sum(verdicts.values()) == 5
        and "As in the book" not in page
        and "Unlike the book" not in page
    )
    claims = outcome.record.summary["claims"]
    for claim in (
        claims
    ):  # every claim's sentence, as the run's own summary says it (the same code evaluated it)
        assert f"- **{claim['verdict']}** (`{claim['id']}`): {claim['sentence']}" in page
    assert (
        tmp_path / "docs" / "results" / "optimizers" / "loss_curves.png"
    ).stat().st_size > 10_000
    timings = json.loads((tmp_path / "timings.json").read_text())
    assert (
        timings["optimizers"]["full"]["units"] == 12
        and timings["optimizers"]["quick"]["units"] == 8
    )
    cpu = sum(  # a full run's time is its units' CPU time, which sharing the machine does not grow
        json.loads(path.read_text())["cpu_seconds"]
        for path in (runs / ".cache" / "optimizers").glob("old-*.json")
    )
    assert timings["optimizers"]["full"]["seconds"] == pytest.approx(cpu, abs=0.051) and cpu > 0
    costs = json.loads((tmp_path / "unit_costs.json").read_text())
    assert sum(c["seconds"] for c in costs) == pytest.approx(cpu, abs=0.1)
    assert len(costs) == 12 and {c["setting"] for c in costs} == {
        "sgd",
        "momentum",
        "adagrad",
        "adam",
    }
    teachers = next(line for line in page.splitlines() if line.startswith("| `optimizers`"))
    assert f"{verdicts['agrees']} of 5 agree" in teachers and quick.record is not None


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ("optimizers-2d", "full size (as the first column)"),  # notebook 03 runs it as it is
        ("optimizers", "sizes written in the notebook's cells (not re-run here)"),
        ("l1-sparsity", "no notebook runs it"),
    ],
)
def test_the_teachers_table_says_how_a_notebook_runs_a_lesson_without_a_notebook_size(
    tmp_path, monkeypatch, name, cell
):
    module = load_script(monkeypatch, tmp_path, tmp_path / "timings.json")
    lesson = load_lesson(name)
    assert lesson.Config.NOTEBOOK == {}
    assert module.teachers_row(lesson, None, None) == [f"`{name}`", "not run", cell, "not run"]
