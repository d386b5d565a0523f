"""Every lesson on the protocol of trainlab.lab.lesson: declared as it should be, runs as units
through the lab, and every claim's verdict moves with the numbers (agrees, contradicts, unsettled)
and is untested on one seed.

Lesson-specific numbers are tested in tests/lessons/test_NAME.py.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from trainlab.lab.claims import VERDICTS, Claim, evaluate
from trainlab.lab.lesson import Runs, list_lessons, load_lesson
from trainlab.lab.runner import make_config, run_lessons
from trainlab.lab.runs import load_run
from trainlab.lab.settings import DataConfig

LESSONS = Path(__file__).resolve().parent.parent / "src" / "trainlab" / "lessons"
NAMES = list_lessons()


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """Each lesson's --quick run through the runner, in this process (shared by the tests below)."""
    out = tmp_path_factory.mktemp("runs")
    outcomes = {o.name: o for o in run_lessons(NAMES, quick=True, out=out, jobs=1)}
    return out, outcomes


def lines_of(name: str) -> int:
    return len(
        (LESSONS / f"{load_lesson(name).module.__name__.rsplit('.', 1)[1]}.py")
        .read_text()
        .splitlines()
    )


@pytest.mark.parametrize("name", NAMES)
def test_a_lesson_module_is_short(name):
    lines = lines_of(name)
    assert lines <= 250, (
        f"{name}: {lines} lines (a lesson declares; what lessons share belongs in trainlab.lab)"
    )


def test_half_the_lessons_fit_on_a_few_screens():
    """A lesson declares; the median lesson is at most 150 lines (what they share lives in trainlab.lab)."""
    assert float(np.median([lines_of(name) for name in NAMES])) <= 150


@pytest.mark.parametrize("name", NAMES)
def test_the_book_and_quick_settings_are_valid_and_the_quick_run_says_what_it_changed(name):
    lesson = load_lesson(name)
    full, quick = make_config(lesson), make_config(lesson, quick=True)
    assert full.changed() == [] and quick.changed(), name
    assert all("(full size: " in change for change in quick.changed())
    assert "{" not in lesson.describe(quick)
    if isinstance(full, DataConfig):
        assert quick.dataset == "mnist-mini" or quick.train_samples is not None, (
            f"{name}: quick on the full dataset"
        )


@pytest.mark.parametrize("name", NAMES)
def test_a_quick_run_writes_a_complete_folder_with_every_claim_and_its_verdict(name, quick_runs):
    outcome = quick_runs[1][name]
    assert outcome.error is None, f"{name}: {outcome.error}"
    run = load_run(outcome.record.folder)
    lesson = load_lesson(name)
    claims = run.summary["claims"]
    assert [c["id"] for c in claims] == [c.id for c in lesson.claims] and claims, name
    assert all(c["verdict"] in VERDICTS and c["sentence"] for c in claims)
    assert sum(run.summary["verdicts"].values()) == len(claims)
    assert run.figures() and run.summary["rows"]
    text = (run.folder / "summary.md").read_text()
    assert text.startswith(f"# {lesson.title}\n") and "## The book's claims" in text
    metrics = json.loads((run.folder / "metrics.json").read_text())
    config = make_config(lesson, quick=True)
    assert metrics["seeds"] == config.seed_list() and len(metrics["runs"]) == len(
        outcome.record.summary["seeds"]
    ) * (len(lesson.checked_settings(config)) if lesson.about.unit == "setting" else 1)


@pytest.mark.parametrize("name", NAMES)
def test_a_runs_saved_numbers_give_back_its_runs_and_verdicts(name, quick_runs):
    """What the report redraws and collect_results re-judges: Runs rebuilt from config.json and
    metrics.json hold every unit's numbers and give the verdicts the run wrote."""
    run = load_run(quick_runs[1][name].record.folder)
    lesson = load_lesson(name)
    metrics = json.loads((run.folder / "metrics.json").read_text())
    runs = lesson.runs_from(json.loads((run.folder / "config.json").read_text()), metrics)
    assert runs.settings == metrics["settings"] and runs.seeds == metrics["seeds"]
    assert [e.verdict for e in lesson.evaluate(runs)] == [
        c["verdict"] for c in run.summary["claims"]
    ]


@pytest.mark.parametrize("name", NAMES)
def test_one_seed_never_agrees_or_contradicts(name, tmp_path):
    outcome = next(run_lessons([name], quick=True, out=tmp_path, seeds=1))
    assert outcome.error is None, outcome.error
    assert {c["verdict"] for c in outcome.record.summary["claims"]} <= {"untested"}


def synthetic(claim: Claim, values: dict[str, list[float]]) -> Runs:
    """Runs whose measure for ``claim`` gives ``values[setting]`` seed by seed."""
    seeds = list(range(len(next(iter(values.values())))))
    runs = {(setting, seed): {"value": v[seed]} for setting, v in values.items() for seed in seeds}
    return Runs(None, list(values), seeds, runs)


def verdict(claim: Claim, values: dict[str, list[float]]) -> str:
    measured = dataclasses.replace(
        claim, measure=dataclasses.replace(claim.measure, of=lambda run, c: run["value"])
    )
    return evaluate(measured, synthetic(claim, values), None).verdict


@pytest.mark.parametrize(
    ("name", "claim_id"), [(n, c.id) for n in NAMES for c in load_lesson(n).claims]
)
def test_every_declared_claims_verdict_moves_with_the_numbers(name, claim_id):
    claim = next(c for c in load_lesson(name).claims if c.id == claim_id)
    others = [b for b in claim.others if isinstance(b, str)]
    noise = np.array([0.0, 0.3, -0.2, 0.1, -0.15])
    if claim.expect == "in":
        low, high = claim.b
        middle, width = (low + high) / 2, (high - low) / 2
        assert verdict(claim, {claim.a: list(middle + 0.01 * width * noise)}) == "agrees"
        assert verdict(claim, {claim.a: list(high + width + 0.01 * width * noise)}) == "contradicts"
        assert (
            verdict(claim, {claim.a: list(high + 0.5 * width * np.array([1, -1, 1, -1, 1.0]))})
            == "unsettled"
        )
        assert verdict(claim, {claim.a: [middle]}) == "untested"
        return
    if claim.expect == "~":  # level with b, or with each of several settings b
        level = {
            claim.a: list(10 + 0.01 * claim.margin * noise),
            **{b: list(10 + 0.01 * claim.margin * noise[::-1]) for b in others},
        }
        assert verdict(claim, level) == "agrees"
        apart = {**level, claim.a: list(10 + 3 * claim.margin + 0.01 * claim.margin * noise)}
        assert verdict(claim, apart) == "contradicts"
        assert (
            verdict(claim, {setting: values[:1] for setting, values in level.items()}) == "untested"
        )
        return
    sign = -1.0 if claim.expect == "<" else 1.0
    base = 10.0
    threshold = [b for b in claim.others if not isinstance(b, str)]
    reference = float(threshold[0]) if threshold else base
    scale = max(abs(reference), 1.0)

    def values(shift: float, spread: float = 0.01) -> dict[str, list[float]]:
        a = list(reference + shift * scale + spread * scale * noise)
        references = {r: [1.0] * len(noise) for r in claim.relative_to}  # a trend's: a level start
        return {
            claim.a: a,
            **{b: list(reference + spread * scale * noise[::-1]) for b in others},
            **references,
        }

    assert verdict(claim, values(sign * 0.5)) == "agrees"
    assert verdict(claim, values(-sign * 0.5)) == "contradicts"
    assert verdict(claim, values(0.0, spread=0.5)) == "unsettled"
    one = {setting: v[:1] for setting, v in values(sign * 0.5).items()}
    assert verdict(claim, one) == "untested"
    nan = {setting: [math.nan] * 5 for setting in values(0.0)}
    assert verdict(claim, nan) == "untested"


TRAINS_NOTHING = {
    "gradient-descent",
    "gradient-arrows",
    "gradient-check",
    "init-histograms",
    "optimizers-2d",
}


@pytest.mark.parametrize("name", [n for n in NAMES if n not in TRAINS_NOTHING])
def test_a_setting_that_breaks_training_is_reported_and_still_leaves_a_complete_run(name, tmp_path):
    """Every lesson that trains declares BREAKS (changes to its quick settings that make training
    diverge or learn nothing); the run still completes, says so in a note, and no claim agrees on
    the failed runs' behalf where its measure cannot be taken."""
    lesson = load_lesson(name)
    breaks = getattr(lesson.module, "BREAKS", None)
    assert breaks, f"{name} declares no BREAKS"
    overrides = [
        f"{key}={','.join(map(str, value)) if isinstance(value, tuple) else value}"
        for key, value in breaks.items()
    ]
    outcome = next(run_lessons([name], quick=True, out=tmp_path, overrides=overrides))
    assert outcome.error is None, outcome.error
    run = load_run(outcome.record.folder)
    assert any("diverged" in note or "did not learn" in note for note in run.summary["notes"]), (
        run.summary["notes"]
    )
