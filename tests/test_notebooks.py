"""Every notebook in notebooks/ runs top to bottom in a real Jupyter kernel, without an error, and
every conclusion it prints is a claim's verdict that holds (never from one seed; no prediction
contradicted).

The notebooks are jupytext percent scripts (notebooks/*.py); each is read as a notebook and executed
cell by cell in the python3 kernel of this interpreter, from the notebooks/ folder as Jupyter Lab
would. The time each takes is printed (pytest -s): all of them must run within 10 minutes on 2
cores; a cell that takes longer than SECONDS_EACH fails, naming the cell.

They run as ``jupyter nbconvert --execute`` and papermill run them, with no front end to draw
widgets: the sliders of 03 and 04 (``trainlab.widgets.interact``) then run their function once, and
no Output widget exists to hang nbclient (jupyter/nbclient#312). ``TEST_NOTEBOOK_REPEAT=20``
executes each notebook 20 times in a row.
"""

import os
import re
import resource
import time
from pathlib import Path

import pytest
from kernel_helpers import ROOT, execute, texts

jupytext = pytest.importorskip("jupytext")

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.py"))
SECONDS_EACH = (
    120  # generous: a notebook is meant to take about a minute at most on a loaded machine
)


def kernel_cpu_seconds() -> float:
    """CPU time of the finished child processes (the kernel, once shut down): unlike wall time, not
    inflated by other work on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_there_is_a_notebook_for_each_part_of_the_chapters():
    assert len(NOTEBOOKS) == 12, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path):
    for run in range(int(os.environ.get("TEST_NOTEBOOK_REPEAT", "1"))):
        notebook = jupytext.read(path)
        started, cpu_before = time.perf_counter(), kernel_cpu_seconds()
        execute(notebook, timeout=SECONDS_EACH, cwd=path.parent, name=path.name)
        print(
            f"{path.name} (execution {run + 1}): {time.perf_counter() - started:.1f} s wall, "
            f"{kernel_cpu_seconds() - cpu_before:.1f} s CPU in the kernel"
        )
    sliders = [
        cell for cell in notebook.cells if cell.cell_type == "code" and "interact(" in cell.source
    ]
    for cell in sliders:  # no front end here: the function ran once, with the sliders' values
        assert "(no front end draws the sliders here: " in texts(cell), texts(cell)
    figures = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert figures >= 1, "every notebook shows at least one figure inline"
    assert_conclusions_hold(notebook)


VERDICT_LINE = re.compile(
    r"^\[(prediction )?(agrees|contradicts|unsettled|untested)\] (.*)$", re.MULTILINE
)


def assert_conclusions_hold(notebook) -> None:
    """Every conclusion a notebook prints is a claim's verdict (``[verdict] sentence``, from
    trainlab.lab.notebook): none agrees or contradicts on one seed, and no "try this" prediction is
    contradicted by the notebook's own numbers. The prose cannot state a direction of its own: a
    notebook that prints a verdict-like sentence without the engine ("As in the book", "Unlike the
    book") fails too."""
    printed = "\n".join(texts(cell) for cell in notebook.cells if cell.cell_type == "code")
    for prediction, verdict, sentence in VERDICT_LINE.findall(printed):
        if verdict in ("agrees", "contradicts"):
            assert "(1 seed" not in sentence, (
                f"a verdict from one seed: [{prediction}{verdict}] {sentence[:160]}"
            )
        assert not (prediction and verdict == "contradicts"), (
            f"a prediction the numbers contradict: {sentence[:200]}"
        )
    for phrase in ("As in the book", "Unlike the book", "as the book says"):
        assert phrase not in printed, f"a conclusion stated in words, not by a claim: {phrase!r}"
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    for phrase in ("As in the book", "Unlike the book"):
        assert phrase not in markdown, f"prose states a verdict of its own: {phrase!r}"


def test_a_conclusion_from_one_seed_or_a_contradicted_prediction_fails_the_notebook():
    import nbformat

    def notebook_printing(line: str):
        cell = nbformat.v4.new_code_cell("print()")
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=line + "\n")]
        return nbformat.v4.new_notebook(cells=[cell])

    assert_conclusions_hold(
        notebook_printing("[agrees] DLfS 6.1.8: SGD is slowest. Measured as x (3 seeds, paired")
    )
    assert_conclusions_hold(
        notebook_printing("[untested] DLfS 6.1.8: SGD is slowest. Measured as x (1 seed): ...")
    )
    for bad in (
        "[agrees] DLfS 6.1.8: SGD is slowest. Measured as x (1 seed): SGD 3 against Adam 2.",
        "[prediction contradicts] notebook: Adam is faster. Measured as x (3 seeds, paired by seed): ...",
        "Unlike the book, SGD was not clearly the slowest of its four",
    ):
        with pytest.raises(AssertionError):
            assert_conclusions_hold(notebook_printing(bad))
