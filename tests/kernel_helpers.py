"""Run code in a real Jupyter kernel (ipykernel, through nbclient) and read back what the cells showed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]


class CellTooSlowError(AssertionError):
    """A cell ran longer than the timeout (or the kernel stopped answering): names the cell."""


# "python3" is ipykernel's own kernel: it runs in this interpreter (the venv's), whatever the
# machine has registered.
def execute(notebook, timeout: int = 600, cwd: Path | None = None, name: str = "notebook"):
    """Execute ``notebook`` top to bottom in a fresh kernel; raises CellExecutionError on the first
    error, and CellTooSlowError naming the cell (its number and first line) when one runs over
    ``timeout`` seconds."""
    running = {}

    def started(cell, cell_index, **_):
        running.update(
            index=cell_index,
            first_line=cell.source.strip().splitlines()[0] if cell.source.strip() else "",
        )

    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        on_cell_start=started,
        resources={"metadata": {"path": str(cwd or ROOT)}},
    )
    # A notebook draws with the inline backend, as in Jupyter; MPLBACKEND=Agg (set for the tests)
    # would stop it. TRAINLAB_WIDGETS is the reader's own setting: the notebooks run as nbconvert
    # and papermill run them.
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("MPLBACKEND", "TRAINLAB_WIDGETS")
    }
    try:
        client.execute(env=env)
    except (nbclient.exceptions.CellTimeoutError, nbclient.exceptions.DeadKernelError) as error:
        raise CellTooSlowError(
            f"{name}: cell {running.get('index')} ({running.get('first_line')!r}) did not finish "
            f"within {timeout} s: {type(error).__name__}"
        ) from None
    return notebook


def run_cells(*cells: str):
    """Execute the code cells in one fresh kernel; return the notebook with their outputs."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return execute(notebook, timeout=300)


def texts(cell) -> str:
    """Everything a cell showed as text: streams, results and the text form of displays (e.g. widgets)."""
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def output_types(cell) -> list[str]:
    """The MIME types a cell displayed, e.g. ["image/png", "text/plain", ...]."""
    return [mime for output in cell.outputs for mime in output.get("data", {})]
