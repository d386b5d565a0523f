"""Lessons in a notebook: run one at the notebook's size, show its figures, its table and its
claims' verdicts, and test a prediction of the reader's with the same statistics.

    from trainlab.lab.notebook import run_lesson, show, predict
    run = run_lesson("optimizers", dataset="mnist-mini", iterations=600, seeds=3)
    show(run)                                   # figures inline, then one line per claim: [verdict] sentence

Every conclusion a notebook prints comes from the lesson's declared claims
(:mod:`trainlab.lab.claims`), never from prose: with one seed a claim is "untested", whatever its
figure seems to say. A "try this" cell that predicts an outcome states it as a
:class:`~trainlab.lab.claims.Claim` and calls :func:`predict`, which prints
``[prediction agrees] ...`` (or ``contradicts``, ``unsettled``, ``untested``):
tests/test_notebooks.py fails a notebook whose prediction the numbers contradict, or that prints
agrees or contradicts from one seed.
"""

from __future__ import annotations

from trainlab.lab.claims import Claim, Evaluation, evaluate
from trainlab.lab.runner import LessonRun, run_lesson
from trainlab.liveplot import show_figures
from trainlab.textio import markdown_table

__all__ = ["Claim", "LessonRun", "claim_lines", "predict", "run_lesson", "show"]


def claim_lines(evaluations: list[Evaluation], prefix: str = "") -> list[str]:
    """``[verdict] sentence`` for each evaluation (the form the notebook test reads back)."""
    return [f"[{prefix}{e.verdict}] {e.sentence()}" for e in evaluations]


def show(run: LessonRun, *, figures: bool = True, table: bool = True) -> None:
    """The run's figures inline, its notes, its claims with their verdicts, and its table."""
    if figures:
        show_figures(run.figures())
    for note in run.notes():
        print(f"note: {note}")
    for line in claim_lines(run.evaluations):
        print(line)
    if table:
        headers, rows = run.table()
        display_markdown(markdown_table([headers, *rows]))


def predict(run: LessonRun, claim: Claim) -> Evaluation:
    """Evaluate the reader's own ``claim`` on ``run`` and print ``[prediction <verdict>] sentence``."""
    evaluation = evaluate(claim, run.runs, run.config, run.lesson.label)
    evaluation.subject = "the prediction"
    print(claim_lines([evaluation], "prediction ")[0])
    return evaluation


def display_markdown(text: str) -> None:
    """Markdown rendered in Jupyter; the plain text elsewhere."""
    try:
        from IPython.display import Markdown, display  # optional: only in a notebook
    except ImportError:
        print(text)
        return
    display(Markdown(text))
