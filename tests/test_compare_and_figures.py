"""trainlab compare (runs side by side) and the figures' formats, resolution, style and palette."""

import itertools
import json
import os
import re
import shutil
import xml.etree.ElementTree as ElementTree

import matplotlib
import matplotlib.colors
import numpy as np
import pytest
from PIL import Image

from trainlab.cli import main
from trainlab.figures import OKABE_ITO, FigureOptions, figure_style
from trainlab.lab.compare import Comparison, Curve, compare_runs, number_lists
from trainlab.textio import format_cell

# Machado, Oliveira and Fernandes (2009): linear-RGB matrices simulating full dichromacy
DICHROMACY = {
    "deuteranopia": [
        [0.367322, 0.860646, -0.227968],
        [0.280085, 0.672501, 0.047413],
        [-0.011820, 0.042940, 0.968881],
    ],
    "protanopia": [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ],
    "tritanopia": [
        [1.255528, -0.076749, -0.178779],
        [-0.078411, 0.930809, 0.147602],
        [0.004733, 0.691367, 0.303900],
    ],
}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """two-layer-net --quick twice: seed 1, and seed 0 with a larger learning rate."""
    out = tmp_path_factory.mktemp("runs")
    short = [
        "--quick",
        "--seeds",
        "1",
        "--set",
        "iterations=240",
        "--jobs",
        "1",
        "--out",
        str(out),
    ]  # 3 epochs
    assert main(["run", "two-layer-net", "--seed", "1", *short]) == 0
    assert main(["run", "two-layer-net", "--set", "lr=0.5", *short]) == 0
    return sorted((out / "two-layer-net").iterdir())


def test_compare_shows_the_differing_settings_the_results_and_the_curves(
    two_runs, tmp_path, capsys
):
    first, second = two_runs
    assert main(["compare", str(first), str(second), "--out", str(tmp_path / "c.html")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("two-layer-net: 2 runs; 2 setting(s) differ")
    # each run is named by the settings it differs in
    assert f"  seed=1, lr=0.1: {first}\n" in out and f"  seed=0, lr=0.5: {second}\n" in out
    comparison = compare_runs(two_runs)
    assert comparison.labels == ["seed=1, lr=0.1", "seed=0, lr=0.5"]
    assert [key for key, _, differs in comparison.settings][:2] == [
        "seed",
        "lr",
    ]  # those that differ first
    assert [differs for _, _, differs in comparison.settings] == [True, True] + [False] * (
        len(comparison.settings) - 2
    )
    # the key results side by side: a table per result column, a column per run
    summaries = [json.loads((run / "summary.json").read_text()) for run in two_runs]
    headers, rows = summaries[0]["headers"], [summary["rows"] for summary in summaries]
    assert headers[0] == "setting"  # a row per setting: it names the row
    assert [table.title for table in comparison.results] == headers[1:]
    column = headers.index("final test accuracy")
    accuracy = comparison.results[column - 1]
    assert accuracy.rows == [
        [row_a[0], format_cell(row_a[column]), format_cell(row_b[column])]
        for row_a, row_b in zip(*rows, strict=True)
    ]
    table = re.search(
        rf"\nfinal test accuracy +seed=1, lr=0.1 +seed=0, lr=0.5\n(.*\n){{{len(rows[0])}}}", out
    )
    assert table, out
    assert [row[0] for row in comparison.claims] == [
        claim["id"] for claim in summaries[0]["claims"]
    ]
    # curves labelled by setting and seed, on the axes the run's counters name
    metrics = json.loads((first / "metrics.json").read_text())
    assert {"loss", "test_curve", "train_accuracy", "test_accuracy"} <= set(comparison.curves)
    for curve in comparison.curves["train_accuracy"]:
        assert curve.axis == "epoch" and curve.x == [
            float(e) for e in metrics["runs"][0]["run"]["epochs"]
        ]
    assert {curve.axis for curve in comparison.curves["test_curve"]} == {"iteration"}
    labels = {curve.name for curve in comparison.curves["loss"]}
    assert labels == {
        f"{setting}, seed {seed} ({run})"
        for setting in ("sigmoid", "relu", "mse")
        for seed, run in ((1, "seed=1, lr=0.1"), (0, "seed=0, lr=0.5"))
    }
    assert {curve.axis for curve in comparison.curves["loss"]} == {"iteration"}
    page = (tmp_path / "c.html").read_text()
    assert page.count("<tr class='differs'>") == 2 and "<td>seed</td>" in page
    assert page.count("data:image/png;base64,") == len(comparison.curves)


def test_the_figures_name_their_axes_and_smooth_long_curves_with_the_raw_curve_faint(two_runs):
    comparison = compare_runs(two_runs)
    figures = dict(comparison.figures())
    step_axes = figures["loss"].axes[0]
    legend = figures["loss"].legends[0]
    assert step_axes.get_xlabel() == "iteration" and step_axes.get_title() == "two-layer-net: loss"
    assert (
        legend.get_title().get_text() == "smoothed over 12 points,\nthe raw curves faint"
    )  # 240 points / 20
    lines = step_axes.get_lines()
    assert len(lines) == 12 and [line.get_alpha() for line in lines[:2]] == [
        0.2,
        None,
    ]  # raw, then smoothed
    np.testing.assert_allclose(lines[0].get_ydata(), comparison.curves["loss"][0].values)
    assert legend.get_texts()[0].get_text() == "sigmoid, seed 1 (seed=1, lr=0.1)"
    assert figures["train_accuracy"].axes[0].get_xlabel() == "epoch"
    assert len(dict(comparison.figures(smoothing=0))["loss"].axes[0].get_lines()) == 6  # raw only
    lines = dict(comparison.figures(smoothing=2))["test_curve"].axes[0].get_lines()
    assert len(lines) == 12


def test_past_twelve_curves_the_legend_names_the_settings_and_the_runs():
    curves = [
        Curve("loss", run, f"{setting}, seed {seed}", [1.0, 0.5, 0.25], [1, 2, 3], "epoch")
        for run in ("lr=0.1", "lr=0.5")
        for setting in ("sgd", "adam", "nadam")
        for seed in (0, 1, 2)
    ]
    comparison = Comparison(
        "optimizers", ["lr=0.1", "lr=0.5"], ["a", "b"], [], [], curves={"loss": curves}
    )
    figure = dict(comparison.figures())["loss"]
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [
        "sgd",
        "adam",
        "nadam",
        "run lr=0.1",
        "run lr=0.5",
    ]
    assert legend.get_title().get_text() == "each setting's 3 seeds\nin its colour"
    lines = figure.axes[0].get_lines()
    assert len(lines) == 18 and lines[0].get_color() == lines[1].get_color() != lines[3].get_color()
    assert lines[0].get_linestyle() == "-" and lines[9].get_linestyle() == "--"


def test_compare_json_holds_the_settings_results_and_curves(two_runs, tmp_path, capsys):
    assert main(["compare", *map(str, two_runs), "--json", "--out", str(tmp_path / "c.html")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [run["label"] for run in data["runs"]] == ["seed=1, lr=0.1", "seed=0, lr=0.5"]
    assert data["settings"][0] == {"setting": "seed", "values": ["1", "0"], "differs": True}
    assert data["page"] == str(tmp_path / "c.html") and (tmp_path / "c.html").exists()
    step = [c for c in data["curves"] if c["metric"] == "loss" and c["label"] == "relu, seed 1"]
    metrics = json.loads((two_runs[0] / "metrics.json").read_text())
    relu = next(entry for entry in metrics["runs"] if entry["setting"] == "relu")
    assert step[0]["values"] == relu["run"]["loss"] and step[0]["axis"] == "iteration"


def test_claims_are_shown_side_by_side_when_the_summaries_have_them(two_runs, tmp_path):
    copies = []
    for index, (run, verdict) in enumerate(zip(two_runs, ["agrees", "unsettled"], strict=True)):
        copy = tmp_path / "two-layer-net" / f"run{index}"
        shutil.copytree(run, copy)
        summary = json.loads((copy / "summary.json").read_text())
        summary["claims"] = [{"id": "relu-beats-sigmoid", "verdict": verdict, "statement": "..."}]
        (copy / "summary.json").write_text(json.dumps(summary))
        copies.append(copy)
    comparison = compare_runs(copies)
    assert comparison.claims == [["relu-beats-sigmoid", "agrees", "unsettled"]]


def copy_run(run, folder, edit=None):
    """A copy of ``run`` in ``folder`` (created), with ``edit(path)`` applied to it."""
    shutil.copytree(run, folder)
    if edit:
        edit(folder)
    return folder


def test_n1_a_name_in_summary_json_cannot_choose_where_the_page_is_written(
    two_runs, tmp_path, capsys
):
    def rename(folder):
        summary = json.loads((folder / "summary.json").read_text())
        summary["name"] = "x/../../../victim/index"
        (folder / "summary.json").write_text(json.dumps(summary))

    runs = tmp_path / "received" / "runs"
    copies = [copy_run(run, runs / "two-layer-net" / run.name, rename) for run in two_runs]
    before = {p for p in tmp_path.rglob("*")}
    assert main(["compare", *map(str, copies)]) == 0
    written = {p for p in tmp_path.rglob("*")} - before
    assert written == {runs / "compare-x-victim-index.html"}, written
    assert "x/../../../victim/index: 2 runs" in capsys.readouterr().out


N8_CASES = {
    "a folder named 'lr: 0.1'": (lambda f: None, "lr: 0.1", 0, None),
    "config.json holding a list": (
        lambda f: (f / "config.json").write_text("[1, 2]"),
        "run",
        2,
        "config.json holds a JSON list, not an object of settings",
    ),
    "a short result row": (lambda f: short_rows(f), "run", 0, None),
    "a non-UTF-8 folder name": (lambda f: None, os.fsdecode(b"run-\xff"), 0, None),
    "deep JSON in metrics.json": (
        lambda f: (f / "metrics.json").write_text("[" * 100_000 + "]" * 100_000),
        "run",
        2,
        "metrics.json: unreadable JSON (nested deeper than 64 levels)",
    ),
    "deep JSON in summary.json": (
        lambda f: (f / "summary.json").write_text("[" * 100_000 + "]" * 100_000),
        "run",
        2,
        "not a complete run folder",
    ),
}


def short_rows(folder):
    summary = json.loads((folder / "summary.json").read_text())
    summary["rows"] = [row[:1] for row in summary["rows"]]
    (folder / "summary.json").write_text(json.dumps(summary))


@pytest.mark.parametrize("case", N8_CASES)
def test_n8_hostile_run_folders_give_a_result_or_one_clear_line_never_an_internal_error(
    two_runs, tmp_path, capsys, case
):
    edit, name, status, message = N8_CASES[case]
    odd = copy_run(two_runs[1], tmp_path / "two-layer-net" / name, edit)
    assert (
        main(["compare", str(two_runs[0]), str(odd), "--out", str(tmp_path / "c.html")]) == status
    )
    captured = capsys.readouterr()
    assert "internal error" not in captured.err and "Traceback" not in captured.err
    if message:
        assert captured.err.startswith("trainlab compare: error: ") and message in captured.err, (
            captured.err
        )
        assert len(captured.err.strip().splitlines()) == 1
    else:
        assert captured.err == "" and (tmp_path / "c.html").exists()
        captured.out.encode("utf-8")  # printable: no lone surrogates
    if case == "a short result row":  # the rows are numbered, the short run's cells are "-"
        assert re.search(
            r"\nfinal test accuracy .*\nsigmoid, cross-entropy \(ch. 4\) +[\d.]+ % +-\n",
            captured.out,
        ), captured.out


def test_number_lists_finds_every_curve_and_names_it():
    data = {
        "runs": [
            {"label": "adam", "loss": [1, 2, 4], "status": "ok"},
            {"name": "sgd", "loss": [3.0, 2.0]},
            {"activation": "relu", "seed": 3, "status": "completed", "loss": [1.0, 0.5]},
        ],
        "x": [1],
        "flags": [True, False],
        "lr": [0.1, 0.2],
        "nested": {"acc": [0.5, 0.6]},
        "epochs": [1, 2, 3],
        "steps": [0, 10, 20],
    }  # counters are axes, not curves
    assert list(number_lists(data)) == [
        ("adam", "loss", [1.0, 2.0, 4.0]),
        ("sgd", "loss", [3.0, 2.0]),
        ("relu, seed 3", "loss", [1.0, 0.5]),
        ("", "lr", [0.1, 0.2]),
        ("", "acc", [0.5, 0.6]),
    ]


def test_figures_in_png_svg_and_pdf_parse_back(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    assert (
        main(
            [
                "run",
                "init-histograms",
                "--quick",
                "--format",
                "png,svg,pdf",
                "--dpi",
                "72",
                "--style",
                "talk",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    folder = next((tmp_path / "init-histograms").iterdir())
    stems = {path.stem for path in folder.glob("*.png")}
    assert stems and all(
        (folder / f"{stem}.{kind}").is_file() for stem in stems for kind in ("svg", "pdf")
    )
    for stem in stems:
        assert Image.open(folder / f"{stem}.png").info["dpi"] == pytest.approx((72, 72), abs=0.01)
        assert (
            ElementTree.parse(folder / f"{stem}.svg").getroot().tag
            == "{http://www.w3.org/2000/svg}svg"
        )
        pages = pypdf.PdfReader(folder / f"{stem}.pdf").pages
        assert len(pages) == 1 and float(pages[0].mediabox.width) > 100
    summary = json.loads((folder / "summary.json").read_text())
    assert sorted(summary["figures"]) == sorted(
        f"{stem}.{kind}" for stem in stems for kind in ("png", "svg")
    )
    assert set(json.loads((folder / "run.json").read_text())["files"]) >= {
        f"{stem}.pdf" for stem in stems
    }
    assert main(["report", str(tmp_path), "--format", "svg"]) == 0
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/svg+xml;base64,") == len(stems) and "data:image/png" not in page


def test_figure_options_are_checked():
    with pytest.raises(ValueError, match=r"--format png,eps: choose among png, svg, pdf"):
        FigureOptions.parse("png,eps")
    with pytest.raises(ValueError, match="did you mean 'svg'"):
        FigureOptions.parse("sgv")
    with pytest.raises(ValueError, match="--dpi 5: a whole number from 30 to 1200"):
        FigureOptions.parse("png", 5)
    assert FigureOptions.parse(" PNG, pdf ,png") == FigureOptions(("png", "pdf"))


def test_the_talk_style_enlarges_text_and_is_undone_after():
    before = matplotlib.rcParams["font.size"]
    with figure_style("talk"):
        assert matplotlib.rcParams["font.size"] >= 1.4 * before
        assert [
            c.upper() for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        ] == list(OKABE_ITO)
    assert matplotlib.rcParams["font.size"] == before


def simulated(colors, matrix):
    """The colours as a viewer with that dichromacy sees them (sRGB in [0, 1])."""
    linear = lambda c: np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)  # noqa: E731
    encode = lambda c: np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.abs(c) ** (1 / 2.4) - 0.055)  # noqa: E731
    return [
        encode(np.clip(np.array(matrix) @ linear(np.array(matplotlib.colors.to_rgb(c))), 0, 1))
        for c in colors
    ]


def closest_pair(colors, matrix) -> float:
    return min(
        float(np.linalg.norm(a - b))
        for a, b in itertools.combinations(simulated(colors, matrix), 2)
    )


@pytest.mark.parametrize("kind", DICHROMACY)
def test_the_palette_stays_distinguishable_for_colour_blind_viewers(kind):
    assert closest_pair(OKABE_ITO, DICHROMACY[kind]) > 0.1
    assert (
        closest_pair([f"C{i}" for i in range(10)], DICHROMACY[kind]) < 0.1
    )  # matplotlib's default is not
