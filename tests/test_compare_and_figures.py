"""trainlab compare (runs side by side) and the figures' formats, resolution, style and palette."""

import itertools
import json
import re
import xml.etree.ElementTree as ElementTree

import matplotlib
import matplotlib.colors
import numpy as np
import pytest
from PIL import Image

from trainlab.cli import main
from trainlab.figures import OKABE_ITO, FigureOptions, figure_style
from trainlab.lab.compare import compare_runs, number_lists

# Machado, Oliveira and Fernandes (2009): linear-RGB matrices simulating full dichromacy
DICHROMACY = {
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """two-layer-net --quick twice: seed 1, and seed 0 with a larger learning rate."""
    out = tmp_path_factory.mktemp("runs")
    short = ["--quick", "--set", "iterations=60", "--out", str(out)]
    assert main(["run", "two-layer-net", "--seed", "1", *short]) == 0
    assert main(["run", "two-layer-net", "--set", "lr=0.5", *short]) == 0
    return sorted((out / "two-layer-net").iterdir())


def test_compare_shows_the_differing_settings_the_results_and_the_curves(two_runs, tmp_path, capsys):
    first, second = two_runs
    assert main(["compare", str(first), str(second), "--out", str(tmp_path / "c.html")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("two-layer-net: 2 runs; 2 setting(s) differ")
    assert re.search(r"seed\s+1\s+0\n", out) and re.search(r"lr\s+0.1\s+0.5\n", out)
    results = [line for line in out.splitlines() if line.startswith((first.name, second.name))]
    rows = [len(json.loads((run / "summary.json").read_text())["rows"]) for run in two_runs]
    assert len(results) == sum(rows)
    comparison = compare_runs(two_runs)
    assert [key for key, _, differs in comparison.settings if differs] == ["seed", "lr"]
    metrics = json.loads((first / "metrics.json").read_text())
    assert set(comparison.curves) == {metric for _, metric, _ in number_lists(metrics)}
    for lines in comparison.curves.values():  # each metric's curves of both runs
        assert {label.split(": ")[0] for label in lines} == {first.name, second.name}
    page = (tmp_path / "c.html").read_text()
    assert page.count("<tr class='differs'>") == 2 and "<td>seed</td>" in page
    assert page.count("data:image/png;base64,") == min(len(comparison.curves), 12) > 0


def test_compare_refuses_runs_of_different_experiments_and_broken_folders(two_runs, tmp_path, capsys):
    assert main(["run", "gradient-descent", "--quick", "--out", str(tmp_path)]) == 0
    other = next((tmp_path / "gradient-descent").iterdir())
    capsys.readouterr()
    assert main(["compare", str(two_runs[0]), str(other)]) == 2
    err = capsys.readouterr().err
    assert "runs of different experiments cannot be compared" in err and f"{other} is gradient-descent" in err
    assert main(["compare", str(two_runs[0]), str(tmp_path)]) == 2
    assert "not a complete run folder (incomplete: no summary.json" in capsys.readouterr().err
    assert main(["compare", str(two_runs[0])]) == 2
    assert "compare needs at least two run folders, got 1" in capsys.readouterr().err


def test_number_lists_finds_every_curve_and_names_it():
    data = {"runs": [{"label": "adam", "loss": [1, 2, 4], "status": "ok"}, {"name": "sgd", "loss": [3.0, 2.0]}],
            "x": [1], "flags": [True, False], "lr": [0.1, 0.2], "nested": {"acc": [0.5, 0.6]},
            "epochs": [1, 2, 3], "steps": [0, 10, 20]}  # counters are axes, not curves
    assert list(number_lists(data)) == [("adam", "loss", [1.0, 2.0, 4.0]), ("sgd", "loss", [3.0, 2.0]),
                                        ("", "lr", [0.1, 0.2]), ("", "acc", [0.5, 0.6])]


def test_figures_in_png_svg_and_pdf_parse_back(tmp_path):
    pypdf = pytest.importorskip("pypdf")
    assert main(["run", "init-histograms", "--quick", "--format", "png,svg,pdf", "--dpi", "72", "--style", "talk",
                 "--out", str(tmp_path)]) == 0
    folder = next((tmp_path / "init-histograms").iterdir())
    stems = {path.stem for path in folder.glob("*.png")}
    assert stems and all((folder / f"{stem}.{kind}").is_file() for stem in stems for kind in ("svg", "pdf"))
    for stem in stems:
        assert Image.open(folder / f"{stem}.png").info["dpi"] == pytest.approx((72, 72), abs=0.01)
        assert ElementTree.parse(folder / f"{stem}.svg").getroot().tag == "{http://www.w3.org/2000/svg}svg"
        pages = pypdf.PdfReader(folder / f"{stem}.pdf").pages
        assert len(pages) == 1 and float(pages[0].mediabox.width) > 100
    summary = json.loads((folder / "summary.json").read_text())
    assert sorted(summary["figures"]) == sorted(f"{stem}.{kind}" for stem in stems for kind in ("png", "svg"))
    assert set(json.loads((folder / "run.json").read_text())["files"]) >= {f"{stem}.pdf" for stem in stems}
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
        assert [c.upper() for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]] == list(OKABE_ITO)
    assert matplotlib.rcParams["font.size"] == before


def simulated(colors, matrix):
    """The colours as a viewer with that dichromacy sees them (sRGB in [0, 1])."""
    linear = lambda c: np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)  # noqa: E731
    encode = lambda c: np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.abs(c) ** (1 / 2.4) - 0.055)  # noqa: E731
    return [encode(np.clip(np.array(matrix) @ linear(np.array(matplotlib.colors.to_rgb(c))), 0, 1)) for c in colors]


def closest_pair(colors, matrix) -> float:
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(simulated(colors, matrix), 2))


@pytest.mark.parametrize("kind", DICHROMACY)
def test_the_palette_stays_distinguishable_for_colour_blind_viewers(kind):
    assert closest_pair(OKABE_ITO, DICHROMACY[kind]) > 0.1
    assert closest_pair([f"C{i}" for i in range(10)], DICHROMACY[kind]) < 0.1  # matplotlib's default is not

