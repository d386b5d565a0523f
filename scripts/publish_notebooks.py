"""Execute the notebooks and publish them as HTML pages, for a class to read without Jupyter.

    python scripts/publish_notebooks.py                      # every notebook -> docs/notebooks/NAME.html
    python scripts/publish_notebooks.py 03_updates 04_initial_weights
    python scripts/publish_notebooks.py --notebooks DIR --out DIR --timeout 600

Each notebook of ``notebooks/`` (a jupytext percent script) is executed top to bottom in a fresh
kernel of this Python, from its own folder, as ``jupyter nbconvert --execute`` would, then written
as one self-contained HTML page (figures embedded) by nbconvert. Sliders
(``trainlab.widgets.interact``) show the figure of their initial values. ``index.html`` lists the
pages with each notebook's title; ``published.json`` records when, with which trainlab, and how long
each took. A notebook that fails is reported and left out; the command then exits 1. Needs
``pip install -e ".[notebooks,publish]"`` (jupytext, ipykernel, nbclient, nbconvert).
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbclient
import nbconvert

import trainlab
from trainlab.textio import write_json, write_text

ROOT = Path(__file__).resolve().parents[1]


def title_of(notebook) -> str:
    """The notebook's first Markdown heading, without its #s."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def execute(notebook, folder: Path, timeout: int) -> None:
    """Run every cell in a fresh python3 kernel started in ``folder``; the first error or timeout raises."""
    client = nbclient.NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    # the inline backend draws the figures (MPLBACKEND=Agg would stop it); widgets follow what is detected
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("MPLBACKEND", "TRAINLAB_WIDGETS")
    }
    client.execute(env=env)


def publish(path: Path, out: Path, timeout: int) -> dict:
    notebook = jupytext.read(path)
    started = time.perf_counter()
    execute(notebook, path.parent, timeout)
    seconds = time.perf_counter() - started
    page, _ = nbconvert.HTMLExporter(embed_images=True).from_notebook_node(notebook)
    write_text(out / f"{path.stem}.html", page)
    return {
        "name": path.stem,
        "title": title_of(notebook),
        "page": f"{path.stem}.html",
        "seconds": round(seconds, 1),
    }


def index_page(entries: list[dict], stamp: str) -> str:
    items = "".join(
        f"<li><a href='{html.escape(e['page'])}'>{html.escape(e['name'])}</a>: "
        f"{html.escape(e['title'])}</li>"
        for e in entries
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>trainlab "
        "notebooks</title>"
        "<style>body { font-family: system-ui, sans-serif; max-width: 800px; margin: 2em auto; "
        "padding: 0 1em; }"
        "</style></head><body><h1>trainlab notebooks</h1>"
        f"<p>Executed on {html.escape(stamp)} with trainlab {html.escape(trainlab.__version__)} "
        "(<code>python scripts/publish_notebooks.py</code>).</p>"
        f"<ol>{items}</ol></body></html>"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", help="notebooks to publish (default: all), e.g. 03_updates"
    )
    parser.add_argument(
        "--notebooks", default=str(ROOT / "notebooks"), help="the notebooks' folder"
    )
    parser.add_argument(
        "--out", default=str(ROOT / "docs" / "notebooks"), help="where the pages go"
    )
    parser.add_argument(
        "--timeout", type=int, default=600, help="seconds a cell may take (default 600)"
    )
    args = parser.parse_args(argv)
    folder, out = Path(args.notebooks), Path(args.out)
    paths = sorted(folder.glob("[0-9]*.py"))
    if args.names:
        paths = [p for p in paths if p.stem in args.names or p.name in args.names]
        missing = set(args.names) - {p.stem for p in paths} - {p.name for p in paths}
        if missing:
            parser.error(f"no such notebook in {folder}: {', '.join(sorted(missing))}")
    if not paths:
        parser.error(f"no notebooks (NN_name.py) in {folder}")
    entries, failed = [], []
    for path in paths:
        print(f"{path.name} ...", end=" ", flush=True)
        try:
            entries.append(publish(path, out, args.timeout))
        except (
            nbclient.exceptions.CellExecutionError,
            nbclient.exceptions.CellTimeoutError,
            nbclient.exceptions.DeadKernelError,
        ) as error:
            failed.append(path.name)
            last_line = re.sub(
                r"\x1b\[[0-9;]*m", "", str(error).strip().splitlines()[-1]
            )  # no terminal colours
            print(f"FAILED: {last_line}")
            continue
        print(f"{entries[-1]['seconds']} s -> {out / entries[-1]['page']}")
    if (
        args.names and (out / "published.json").exists()
    ):  # a partial run keeps the other pages listed
        earlier = json.loads((out / "published.json").read_text())["notebooks"]
        done = {e["name"] for e in entries}
        entries = sorted(
            [*entries, *(e for e in earlier if e["name"] not in done)], key=lambda e: e["name"]
        )
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    write_text(out / "index.html", index_page(entries, stamp))
    write_json(
        out / "published.json",
        {
            "executed": stamp,
            "trainlab": trainlab.__version__,
            "python": sys.version.split()[0],
            "notebooks": entries,
        },
    )
    print(
        f"{len(entries)} page(s) in {out}/ (index.html)"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
