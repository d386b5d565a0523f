"""The lab's verbs on real lessons: list, run (settings checked before anything is written), report
(one self-contained page, in a headless browser at desktop and phone widths), and what importing
lessons leaves alone. The lessons' own protocol is tested in tests/test_lessons.py, units and the
cache in test_lab_units.py."""

import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.image
import pytest

from trainlab.cli import main
from trainlab.lab.lesson import list_lessons, load_lesson
from trainlab.lab.report import build_report
from trainlab.lab.runner import make_config, run_lessons

QUICKEST = [
    "gradient-descent",
    "gradient-arrows",
    "optimizers-2d",
    "gradient-check",
]  # seconds each, two books'
QUICKEST_HOML = "gradient-clipping"  # a lesson of the other book, for the report's grouping


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """The quickest lessons' --quick runs: name -> the run folder."""
    out = tmp_path_factory.mktemp("runs")
    outcomes = list(run_lessons([*QUICKEST, QUICKEST_HOML], quick=True, out=out, jobs=1))
    assert all(o.error is None for o in outcomes), [o.error for o in outcomes]
    return {o.name: o.record.folder for o in outcomes}


def test_overrides_change_a_setting_and_bad_ones_are_refused_by_name():
    lesson = load_lesson("gradient-descent")
    config = make_config(lesson, overrides=["steps=10", "suitable_lr=0.5"])
    assert (config.steps, config.suitable_lr) == (10, 0.5)
    assert any(change.startswith("steps 10 (full size: ") for change in config.changed())
    with pytest.raises(ValueError, match="has no setting 'step'; did you mean 'steps'"):
        make_config(lesson, overrides=["step=3"])
    with pytest.raises(ValueError, match="expected a value of type int"):
        make_config(lesson, overrides=["steps=many"])
    with pytest.raises(
        ValueError, match="lesson 'nope' does not exist; choose one of: gradient-descent"
    ):
        load_lesson("nope")


@pytest.mark.parametrize(
    ("name", "setting", "message"),
    [
        (
            "two-layer-net",
            "iterations=0",
            "iterations=0 is not allowed: iterations is a whole number >= 1",
        ),
        (
            "overfitting",
            "test_samples=-1",
            "test_samples=-1 is not allowed: test_samples is a whole number >= 1, or "
            "None (the whole test set)",
        ),
        (
            "overfitting",
            "dropout=1",
            "dropout=1.0 is not allowed: dropout is a finite number > 0 and < 1",
        ),
        ("optimizers", "optimizers=sgd,adm", "did you mean 'adam'"),
        (
            "optimizers",
            "learning_rates=0.1",
            "learning_rates=(0.1,) is not allowed: it has 1 items where 12 are needed",
        ),
        ("hyperparameter-search", "lr_range=0.1,0.01", "the values must increase"),
        ("init-compare", "inits=0.01,xavir", "'xavir' is not a known initializer"),
        ("lr-schedules", "dataset=fashion", "did you mean 'fashion-mnist'"),
    ],
)
def test_settings_outside_their_range_are_refused_before_a_folder_exists(
    name, setting, message, tmp_path, capsys
):
    assert main(["run", name, "--quick", "--set", setting, "--out", str(tmp_path / "runs")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_cli_list_run_and_report(tmp_path, capsys):
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in list_lessons())
    assert main(["run", "gradient-descent", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "[agrees]" in out and f"written: {tmp_path / 'gradient-descent'}" in out
    assert main(["report", str(tmp_path)]) == 0
    assert Path(capsys.readouterr().out.strip()) == tmp_path / "report.html"
    assert main(["run", "nope"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "empty")]) == 2


def test_run_pins_blas_threads_and_records_them(tmp_path):
    assert (
        main(["run", "gradient-descent", "--quick", "--threads", "1", "--out", str(tmp_path)]) == 0
    )
    run = json.loads(next(tmp_path.glob("gradient-descent/*/run.json")).read_text())
    assert run["blas_threads"] == [1]
    assert main(["run", "gradient-descent", "--threads", "-1", "--out", str(tmp_path)]) == 2


def copy_runs(quick_runs: dict[str, Path], into: Path) -> int:
    """The quick runs copied under ``into``; how many figures they hold."""
    for name, folder in quick_runs.items():
        shutil.copytree(folder, into / name / folder.name)
    return sum(
        len(json.loads((f / "summary.json").read_text())["figures"]) for f in quick_runs.values()
    )


def test_report_holds_every_run_with_its_figures_and_verdicts(quick_runs, tmp_path):
    figures = copy_runs(quick_runs, tmp_path)
    page = build_report(tmp_path).read_text()
    for name in quick_runs:
        assert html.escape(load_lesson(name).title) in page
    assert page.count("data:image/png;base64,") == figures
    assert "agrees" in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The report in a frame of a given width (headless Chromium's windows are at least 500 px wide); the
# frame's script copies what the report's script measured onto this page's body, scrolls the report
# to its end and clicks its first figure, and records where the contents list is and whether the
# figure viewer opened.
FRAME = """<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="{src}" style="width:{width}px;
height:860px;border:0"></iframe><script>
document.getElementById("f").addEventListener("load", function () {{
  var doc = this.contentDocument, win = this.contentWindow, body = document.body;
  for (var name of doc.body.getAttributeNames()) {{ body.setAttribute(name, doc.body.getAttribute(name)); }}
  body.setAttribute("data-order", Array.from(doc.querySelectorAll("section[data-experiment]"))
    .map(function (s) {{ return s.dataset.experiment; }}).join(","));
  body.setAttribute("data-books", Array.from(doc.querySelectorAll("h2.book"))
    .map(function (h) {{ return h.textContent; }}).join("|"));
  win.scrollTo(0, doc.body.scrollHeight);
  body.setAttribute("data-contents-top", String(doc.getElementById("contents").getBoundingClientRect().top));
  doc.querySelector("figure img").click();
  body.setAttribute("data-viewer-open", String(!doc.getElementById("viewer").hidden));
}});
</script></body></html>"""


def browse(report: Path, width: int, screenshot: Path) -> dict[str, str]:
    """Open ``report`` in headless Chromium in a frame ``width`` px wide: the attributes its scripts wrote."""
    frame = report.parent / f"frame-{width}.html"
    frame.write_text(FRAME.format(src=report.name, width=width))
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--allow-file-access-from-files",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={max(width, 500) + 20},900",
        "--virtual-time-budget=10000",
    ]
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [*command, f"--user-data-dir={profile}", "--dump-dom", frame.as_uri()],
            capture_output=True,
            text=True,
            timeout=180,
        ).stdout
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [*command, f"--user-data-dir={profile}", f"--screenshot={screenshot}", frame.as_uri()],
            capture_output=True,
            timeout=180,
        )
    body = re.search(r"<body[^>]*>", dom)
    assert body, dom[-2000:]
    return dict(re.findall(r'(data-[\w-]+)="([^"]*)"', body.group(0)))


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (scripts/setup.sh --test installs it)",
)
def test_the_report_in_a_headless_browser_at_desktop_and_phone_widths(quick_runs, tmp_path):
    total = copy_runs(quick_runs, tmp_path)
    report = build_report(tmp_path)
    page = report.read_text()
    assert not re.search(
        r"""(src|href)=['"]?(https?:|//)""", page
    )  # one self-contained offline file
    names = [name for name in list_lessons() if name in quick_runs]  # the chapters' order
    books = list(dict.fromkeys(load_lesson(name).book for name in names))
    order = [name for book in books for name in names if load_lesson(name).book == book]
    assert len(books) == 2
    for width in (1280, 400):
        seen = browse(report, width, tmp_path / f"screenshot-{width}.png")
        assert seen["data-window-width"] == str(width)
        assert (
            seen["data-images-loaded"] == seen["data-images-total"] == str(total)
        )  # every figure decoded
        assert seen["data-horizontal-scroll"] == "false"
        assert seen["data-order"] == ",".join(order)  # the chapters' order, grouped by book
        assert seen["data-books"] == "|".join(books)  # grouped by book, each book once
        # the contents stay in view at the end of the page (to within a pixel: sticky layout rounds sub-pixel)
        assert abs(float(seen["data-contents-top"])) < 1.0
        assert seen["data-viewer-open"] == "true"  # a clicked figure opens full size
        shot = matplotlib.image.imread(tmp_path / f"screenshot-{width}.png")
        assert (
            shot.shape[1] == max(width, 500) + 20 and shot.std() > 0.05
        )  # a picture, not a blank page


def test_the_report_shows_the_latest_full_size_run_and_older_ones_with_all(quick_runs, tmp_path):
    source = quick_runs["gradient-descent"]
    for stamp, quick in (
        ("20200101-000000", False),
        ("20210101-000000", True),
        ("20220101-000000", True),
    ):
        folder = tmp_path / "gradient-descent" / stamp
        shutil.copytree(source, folder)
        summary = json.loads((folder / "summary.json").read_text())
        summary["quick"] = quick
        summary["title"] = f"Run of {stamp}"
        (folder / "summary.json").write_text(json.dumps(summary))
        facts = json.loads((folder / "run.json").read_text())
        facts["started"] = stamp
        (folder / "run.json").write_text(json.dumps(facts))
    page = build_report(tmp_path).read_text()
    assert (
        "<h3>Run of 20200101-000000</h3>" in page
    )  # a full-size run comes before newer quick runs
    assert (
        "20210101-000000" not in page
        and "2 older run(s) not shown (trainlab report --all shows them)" in page
    )
    study = tmp_path / "tune" / "my-study"  # a search as trainlab tune writes it
    study.mkdir(parents=True)
    shutil.copy(source / "paths.png", study / "best_curves.png")
    (study / "summary.json").write_text(
        json.dumps(
            {
                "kind": "tune",
                "name": "tune",
                "study": "my-study",
                "title": "Hyperparameter search: my-study",
                "description": "8 trials.",
                "command": "trainlab tune --study my-study",
                "headers": ["rank", "val acc"],
                "rows": [["Best-1", "0.9"]],
                "conclusions": ["Best: trial 3."],
                "notes": [],
                "figures": ["best_curves.png"],
            }
        )
    )
    (study / "run.json").write_text(json.dumps({"finished": "2026-01-01T00:00:00", "seconds": 1.0}))
    page = build_report(tmp_path, all_runs=True).read_text()
    assert "<summary>2 older run(s)</summary>" in page
    searches = page.index("<h2 class='book'>Hyperparameter searches (trainlab tune)</h2>")
    assert (
        page.index("data-experiment='gradient-descent'")
        < searches
        < page.index("data-experiment='tune-my-study'")
    )
    assert (
        page.count("data:image/png;base64,") == 4
    )  # the three gradient-descent runs and the search
    assert page.index("<h4>20220101-000000 <span class='badge quick'") < page.index(
        "<h4>20210101-000000"
    )


def test_importing_the_lessons_leaves_the_matplotlib_backend_alone():
    code = (
        "import importlib, pkgutil, matplotlib; matplotlib.use('pdf'); import trainlab.lessons as e; "
        "[importlib.import_module(f'trainlab.lessons.{m.name}') for m in pkgutil.iter_modules(e.__path__)]; "
        "print(matplotlib.get_backend())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pdf"
