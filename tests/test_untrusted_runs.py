"""Run folders are untrusted input (issue 22, finding N4): one malformed folder never stops `trainlab report`.

A run folder may come from another machine or another person, so its names and JSON may be anything:
a folder name that is not UTF-8, a lone surrogate (``"\\ud800"``) in a text, run.json's
``"files": null``, JSON nested a hundred thousand levels deep, a figure name longer than the system
allows. Each of these stopped the report of every run on 43db650. Now a folder that cannot be read
is skipped with one warning naming it, text that UTF-8 cannot hold is shown as U+FFFD, and the other
runs are reported as before. The runs here are made by hand (the report reads files, whatever made
them).
"""

import json
import os
import stat
from pathlib import Path

import pytest

from trainlab.cli import main
from trainlab.textio import read_json

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64  # the report checks the type by the first bytes only
GOOD_TITLE = "A good run from earlier"


def make_run(
    root: Path,
    name: str = "good-run",
    title: str = GOOD_TITLE,
    stamp: str = "20260101-000000",
    folder_name: str | bytes | None = None,
) -> Path:
    """A complete run folder as the runner writes it: summary.json, a figure, and run.json listing them."""
    parent = root / name
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(os.fsdecode(os.path.join(os.fsencode(parent), os.fsencode(folder_name or stamp))))
    folder.mkdir()
    summary = {
        "name": name,
        "title": title,
        "description": "what it shows",
        "command": f"trainlab run {name}",
        "quick": True,
        "headers": ["setting", "value"],
        "rows": [["lr", 0.1]],
        "conclusions": ["It learned."],
        "notes": [],
        "figures": ["curve.png"],
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "curve.png").write_bytes(PNG)
    (folder / "run.json").write_text(
        json.dumps({"started": stamp, "files": ["summary.json", "curve.png"]})
    )
    return folder


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_run(tmp_path / "runs")
    return tmp_path / "runs"


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def report(runs: Path, capsys) -> tuple[str, list[str]]:
    """Run `trainlab report`; the page and the lines on stderr. The good run is on the page."""
    assert main(["report", str(runs)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    page = (runs / "report.html").read_text(encoding="utf-8")
    assert GOOD_TITLE in page and page.count("data:image/png;base64,") >= 1
    return page, err


DEEP = "[" * 100_000 + "]" * 100_000
MALFORMED = {
    "run.json files null": (
        "run.json",
        lambda data: data.update(files=None),
        "'files' must be a list of file names",
    ),
    "run.json files a string": (
        "run.json",
        lambda data: data.update(files="curve.png"),
        "'files' must be a list",
    ),
    "run.json files holds a number": (
        "run.json",
        lambda data: data.update(files=[3]),
        "'files' must be a list",
    ),
    "summary nested 100,000 deep": ("summary.json", DEEP, "nested deeper than 64 levels"),
    "run.json nested 100,000 deep": ("run.json", '{"files": ' + DEEP + "}", "nested deeper than"),
    "summary not UTF-8": (
        "summary.json",
        b'{"title": "\xff"}',
        "unreadable JSON ('utf-8' codec can't decode",
    ),
    "a listed file named by 300 characters": (
        "run.json",
        lambda data: data["files"].append("x" * 300 + ".png"),
        "incomplete: " + "x" * 300 + ".png missing",
    ),
}


@pytest.mark.parametrize("how", MALFORMED)
def test_a_malformed_folder_is_skipped_with_one_line_naming_it(how, runs, capsys):
    file, change, reason = MALFORMED[how]
    bad = make_run(runs, "bad-run", title="The bad run")
    if callable(change):
        edit_json(bad / file, change)
    else:
        (bad / file).write_bytes(change if isinstance(change, bytes) else change.encode())
    page, err = report(runs, capsys)
    assert len(err) == 1 and err[0].startswith(f"trainlab: warning: skipped {bad}: "), err
    assert reason in err[0]
    assert "The bad run" not in page


@pytest.mark.parametrize("where", ["title", "conclusion", "table cell", "note", "folder name"])
def test_text_utf8_cannot_hold_is_shown_replaced(where, runs, capsys):
    """A lone surrogate from JSON ("\\ud800") or from a file name's undecodable bytes (b"\\xff")."""
    bad = make_run(
        runs,
        "odd-run",
        title="The odd run",
        folder_name=b"run-\xff" if where == "folder name" else None,
    )
    changes = {
        "title": lambda s: s.update(title="The odd run \ud800"),
        "conclusion": lambda s: s["conclusions"].append("Odd \udcff text."),
        "table cell": lambda s: s["rows"].append(["\ud800", 1]),
        "note": lambda s: s["notes"].append("\ud83d"),
        "folder name": lambda s: None,
    }
    summary = json.loads((bad / "summary.json").read_text())
    changes[where](summary)
    (bad / "summary.json").write_text(
        json.dumps(summary)
    )  # json writes a surrogate as the escape "\ud800"
    page, err = report(runs, capsys)
    assert err == []
    assert "The odd run" in page and "\ufffd" in page


def test_a_broken_folder_with_a_non_utf8_name_is_skipped_with_one_line(runs, capsys):
    bad = make_run(runs, "bad-run", title="The bad run", folder_name=b"run-\xff")
    (bad / "summary.json").write_text("")
    _, err = report(runs, capsys)
    assert (
        len(err) == 1 and "skipped" in err[0] and "run-\ufffd" in err[0] and "empty file" in err[0]
    )


def test_a_figure_name_over_255_characters_is_left_out_with_one_line(runs, capsys):
    odd = make_run(runs, "odd-run", title="The odd run")
    edit_json(odd / "summary.json", lambda s: s["figures"].append("y" * 300 + ".png"))
    page, err = report(runs, capsys)
    assert len(err) == 1 and "not embedded: it cannot be looked up (File name too long)" in err[0]
    assert "The odd run" in page and page.count("data:image/png;base64,") == 2


def test_read_json_limits_size_and_depth(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"a": [[[1]]], "text": "[[[[[[[[ not nesting"}))
    assert read_json(path, max_depth=4)["a"] == [[[1]]]
    with pytest.raises(
        ValueError, match=rf"^{path}: unreadable JSON \(nested deeper than 3 levels\)$"
    ):
        read_json(path, max_depth=3)
    with pytest.raises(ValueError, match=rf"^{path}: unreadable JSON \(larger than 10 bytes\)$"):
        read_json(path, max_bytes=10)
    path.write_text("[" * 10_000 + "]" * 10_000)
    with pytest.raises(ValueError, match="nested deeper than 64 levels"):
        read_json(path)


@pytest.mark.parametrize("kind", ["FIFO", "symbolic link"])
def test_report_out_never_replaces_a_fifo_or_a_link(kind, runs, tmp_path, capsys):
    """N6: `trainlab report --out PATH` where PATH is a FIFO or a link (in a folder received from
    elsewhere, a link could point anywhere): refused in one line, the FIFO or link and its target
    left as they were."""
    out, target = tmp_path / "out.html", tmp_path / "precious.txt"
    if kind == "FIFO":
        os.mkfifo(out)
    else:
        target.write_text("precious")
        out.symlink_to(target)
    assert main(["report", str(runs), "--out", str(out)]) == 2
    what = "FIFO (named pipe)" if kind == "FIFO" else kind
    hint = "; give the path of the file it points to" if kind == "symbolic link" else ""
    assert capsys.readouterr().err.strip() == (
        f"trainlab report: error: {out} is a {what}, not a regular file: trainlab writes its files "
        "atomically (a new "
        f"file renamed over the old one) and will not replace a {what}{hint}"
    )
    if kind == "FIFO":
        assert stat.S_ISFIFO(os.lstat(out).st_mode)
    else:
        assert out.is_symlink() and target.read_text() == "precious"
