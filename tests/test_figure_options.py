"""--format, --dpi and --style on `trainlab tune` and `trainlab report`: one helper, the same checks
as `run`."""

import base64
import contextlib
import dataclasses
import io
import json
import re
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from PIL import Image
from tune_helpers import tiny_args

from trainlab.cli import build_parser, main
from trainlab.lab.lesson import load_lesson
from trainlab.textio import read_json

pypdf = pytest.importorskip("pypdf")
SVG = "{http://www.w3.org/2000/svg}svg"
TUNE_FIGURES = ("best_curves", "scatter", "importances", "optimization_history")


def figure_actions(command: str) -> dict:
    """The figure options of ``trainlab COMMAND`` as argparse declared them."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    return {
        a.dest: (a.option_strings, a.type, a.choices)
        for a in sub._actions
        if a.dest in ("format", "dpi", "style")
    }


def test_run_tune_and_report_take_the_same_figure_options():
    run, tune, report = (figure_actions(command) for command in ("run", "tune", "report"))
    assert run == tune == report and set(run) == {"format", "dpi", "style"}
    assert run["style"][2] == ["paper", "talk"] and run["dpi"][1] is int


def test_tune_writes_its_figures_in_every_format_at_the_dpi_and_style_asked(tmp_path, capsys):
    out = tmp_path / "search"
    args = tiny_args(
        "--trials",
        "4",
        "--out",
        str(out),
        "--format",
        "svg,png,pdf",
        "--dpi",
        "72",
        "--style",
        "talk",
    )
    assert main(["tune", *args]) == 0
    for name in TUNE_FIGURES:
        image = Image.open(out / f"{name}.png")
        assert image.info["dpi"] == pytest.approx((72, 72), abs=0.01)
        assert ElementTree.parse(out / f"{name}.svg").getroot().tag == SVG
        pages = pypdf.PdfReader(out / f"{name}.pdf").pages
        assert len(pages) == 1 and float(pages[0].mediabox.width) > 100
    summary = read_json(out / "summary.json")
    assert sorted(summary["figures"]) == sorted(
        f"{name}.{kind}" for name in TUNE_FIGURES for kind in ("png", "svg")
    )
    files = set(read_json(out / "run.json")["files"])
    assert {f"{name}.pdf" for name in TUNE_FIGURES} <= files
    assert all((out / f"{name}.pdf").name in capsys.readouterr().out for name in TUNE_FIGURES[:1])
    # the same search again in PNG only: the SVG and PDF files of the first are removed, not left stale
    assert (
        main(
            ["tune", *tiny_args("--trials", "4", "--out", str(out), "--overwrite", "--dpi", "144")]
        )
        == 0
    )
    assert sorted(
        path.name for path in out.glob("*.*") if path.suffix in (".png", ".svg", ".pdf")
    ) == sorted(f"{name}.png" for name in TUNE_FIGURES)
    assert Image.open(out / "best_curves.png").info["dpi"] == pytest.approx((144, 144), abs=0.01)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--dpi", "5"], r"--dpi 5: a whole number from 30 to 1200"),
        (["--dpi", "100000"], r"--dpi 100000: a whole number from 30 to 1200"),
        (["--format", "png,eps"], r"--format png,eps: choose among png, svg, pdf"),
        (["--format", "sgv"], r"did you mean 'svg'"),
    ],
)
def test_tune_refuses_bad_figure_options_before_the_search(option, message, tmp_path, capsys):
    assert main(["tune", *tiny_args("--out", str(tmp_path / "bad"), *option)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("trainlab tune: error: ") and re.search(message, captured.err)
    assert "trial" not in captured.out and not (tmp_path / "bad").exists()


@pytest.fixture(scope="module")
def one_run(tmp_path_factory):
    """two-layer-net --quick (short), saved at the default 110 dpi in the paper style."""
    out = tmp_path_factory.mktemp("runs")
    assert (
        main(["run", "two-layer-net", "--quick", "--set", "iterations=60", "--out", str(out)]) == 0
    )
    return out


def embedded(page: str, kind: str) -> list[bytes]:
    return [
        base64.b64decode(data)
        for data in re.findall(rf"src='data:image/{kind};base64,([^']+)'", page)
    ]


def test_report_draws_the_figures_again_at_the_dpi_and_style_asked(one_run, tmp_path):
    saved = embedded(build(one_run, tmp_path / "saved.html"), "png")
    assert len(saved) == 1 and Image.open(io.BytesIO(saved[0])).info["dpi"] == pytest.approx(
        (110, 110), abs=0.01
    )
    big = embedded(build(one_run, tmp_path / "big.html", "--dpi", "220"), "png")
    assert len(big) == 1 and Image.open(io.BytesIO(big[0])).info["dpi"] == pytest.approx(
        (220, 220), abs=0.05
    )
    small, large = Image.open(io.BytesIO(saved[0])).size, Image.open(io.BytesIO(big[0])).size
    assert large[0] == pytest.approx(2 * small[0], rel=0.03)  # the same figure, twice the pixels
    talk = embedded(build(one_run, tmp_path / "talk.html", "--style", "talk"), "png")
    pixels = [
        np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
        for png in (saved[0], talk[0])
    ]
    assert (
        pixels[0].shape != pixels[1].shape or np.abs(pixels[0] - pixels[1]).mean() > 1
    )  # drawn again: larger text
    svg = embedded(
        build(one_run, tmp_path / "svg.html", "--format", "svg", "--dpi", "150"), "svg\\+xml"
    )
    assert len(svg) == 1 and ElementTree.fromstring(svg[0]).tag == SVG
    assert not list(one_run.rglob("*.svg"))  # the run's folder is left as it was


def build(runs, out, *options) -> str:
    assert main(["report", str(runs), "--out", str(out), *options]) == 0
    return out.read_text()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--dpi", "29"], r"--dpi 29: a whole number from 30 to 1200"),
        (["--format", "pdf"], r"--format pdf: choose among png, svg"),
        (["--dpi", "abc"], r"argument --dpi: invalid int value: 'abc'"),
    ],
)
def test_report_refuses_bad_figure_options_and_writes_nothing(
    one_run, option, message, tmp_path, capsys
):
    out = tmp_path / "report.html"
    with (
        pytest.raises(SystemExit) if "invalid int" in message else contextlib.nullcontext()
    ):  # argparse exits
        assert main(["report", str(one_run), "--out", str(out), *option]) == 2
    assert re.search(message, capsys.readouterr().err) and not out.exists()


def test_a_run_that_cannot_be_redrawn_keeps_its_saved_figures_with_a_warning(
    one_run, tmp_path, capsys
):
    run = next((one_run / "two-layer-net").iterdir())
    copy = tmp_path / "runs" / "two-layer-net" / run.name
    copy.mkdir(parents=True)
    for path in run.iterdir():
        copy.joinpath(path.name).write_bytes(path.read_bytes())
    metrics = read_json(copy / "metrics.json")
    del metrics["runs"]  # numbers this version needs are missing
    (copy / "metrics.json").write_text(json.dumps(metrics))
    page = build(tmp_path / "runs", tmp_path / "r.html", "--dpi", "200")
    image = embedded(page, "png")
    assert len(image) == 1 and Image.open(io.BytesIO(image[0])).info["dpi"] == pytest.approx(
        (110, 110), abs=0.01
    )
    assert f"{copy}: figures not drawn again (its numbers do not fit" in capsys.readouterr().err


def test_a_lessons_runs_are_rebuilt_from_its_saved_numbers(one_run):
    """What the report draws again: a claims-protocol lesson's Runs from config.json and metrics.json."""
    run = next((one_run / "two-layer-net").iterdir())
    lesson = load_lesson("two-layer-net")
    metrics = read_json(run / "metrics.json")
    runs = lesson.runs_from(read_json(run / "config.json"), metrics)
    assert runs.settings == metrics["settings"] and runs.seeds == metrics["seeds"]
    assert [runs.get(entry["setting"], entry["seed"]) for entry in metrics["runs"]] == [
        entry["run"] for entry in metrics["runs"]
    ]
    assert runs.config == dataclasses.replace(lesson.Config().quick(), iterations=60)
