"""Every notebook in notebooks/ runs top to bottom in a real Jupyter kernel, without an error.

The notebooks are jupytext percent scripts (notebooks/*.py); each is read as a notebook and executed cell by
cell in the python3 kernel of this interpreter, from the notebooks/ folder as Jupyter Lab would. The time
each takes is printed (pytest -s): all of them must run within 10 minutes on 2 cores; a cell that takes longer
than SECONDS_EACH fails.
"""

import resource
import time
from pathlib import Path

import pytest
from kernel_helpers import ROOT, execute

jupytext = pytest.importorskip("jupytext")

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.py"))
SECONDS_EACH = 120  # generous: a notebook is meant to take about a minute at most on a loaded machine


def kernel_cpu_seconds() -> float:
    """CPU time of the finished child processes (the kernel, once shut down): unlike wall time, not inflated
    by other work on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_there_is_a_notebook_for_each_part_of_the_chapters():
    assert len(NOTEBOOKS) == 12, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path):
    notebook = jupytext.read(path)
    started, cpu_before = time.perf_counter(), kernel_cpu_seconds()
    execute(notebook, timeout=SECONDS_EACH, cwd=path.parent)
    print(f"{path.name}: {time.perf_counter() - started:.1f} s wall, "
          f"{kernel_cpu_seconds() - cpu_before:.1f} s CPU in the kernel")
    figures = sum("image/png" in output.get("data", {}) for cell in notebook.cells if cell.cell_type == "code"
                  for output in cell.outputs)
    assert figures >= 1, "every notebook shows at least one figure inline"
