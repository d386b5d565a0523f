"""Every experiment, run with --quick: its files, the shape of its numbers, reproducibility; the report."""

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from trainlab.cli import main
from trainlab.experiments import get_experiment, list_experiments
from trainlab.experiments.report import build_report
from trainlab.experiments.runner import run_experiment

EXPERIMENTS = list_experiments()


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """Each experiment run once with --quick (shared by the tests below)."""
    out = tmp_path_factory.mktemp("runs")
    return {name: run_experiment(name, quick=True, out=out, echo=lambda line: None) for name in EXPERIMENTS}


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_quick_run_writes_config_metrics_figures_and_summary(name, quick_runs):
    record = quick_runs[name]
    files = {path.name for path in record.folder.iterdir()}
    assert {"config.json", "metrics.json", "summary.md", "summary.json", "run.json"} <= files
    summary = json.loads((record.folder / "summary.json").read_text())
    assert summary["figures"] and all((record.folder / figure).stat().st_size > 5000 for figure in summary["figures"])
    assert summary["rows"] and all(len(row) == len(summary["headers"]) for row in summary["rows"])
    assert summary["conclusions"] and all(line.endswith(".") for line in summary["conclusions"])
    text = (record.folder / "summary.md").read_text()
    assert text.startswith(f"# {get_experiment(name).TITLE}") and "## Conclusions" in text
    config = json.loads((record.folder / "config.json").read_text())
    assert config["seed"] == 0


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_same_seed_same_numbers(name, quick_runs, tmp_path):
    again = run_experiment(name, quick=True, out=tmp_path, echo=lambda line: None)
    first = (quick_runs[name].folder / "metrics.json").read_text()
    assert (again.folder / "metrics.json").read_text() == first


def test_every_module_follows_the_experiment_shape():
    for name in EXPERIMENTS:
        module = get_experiment(name)
        assert name == module.NAME
        for attribute in ("TITLE", "DESCRIPTION", "Config", "Result", "run", "plot", "summarize"):
            assert hasattr(module, attribute), (name, attribute)
        config = module.Config()
        assert type(config.quick()) is type(config)


def test_overrides_and_bad_names(tmp_path):
    record = run_experiment("gradient-descent", out=tmp_path, overrides=["steps=10", "learning_rates=0.1,0.5"],
                            echo=lambda line: None)
    metrics = json.loads((record.folder / "metrics.json").read_text())
    assert metrics["learning_rates"] == [0.1, 0.5] and len(metrics["paths"][0]) == 11
    with pytest.raises(ValueError, match="has no setting 'step'"):
        run_experiment("gradient-descent", out=tmp_path, overrides=["step=3"])
    with pytest.raises(ValueError, match="expected a value of type int"):
        run_experiment("gradient-descent", out=tmp_path, overrides=["steps=many"])
    with pytest.raises(ValueError, match="experiment 'nope' does not exist; choose one of: gradient-descent"):
        run_experiment("nope", out=tmp_path)


def test_cli_list_run_and_report(tmp_path, capsys):
    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in EXPERIMENTS)
    assert main(["run", "gradient-descent", "--quick", "--out", str(tmp_path)]) == 0
    assert "converged" in capsys.readouterr().out
    assert main(["report", str(tmp_path)]) == 0
    assert Path(capsys.readouterr().out.strip()) == tmp_path / "report.html"
    assert main(["run", "nope"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "empty")]) == 2


def test_report_holds_every_run_with_its_figures(quick_runs, tmp_path):
    for record in quick_runs.values():
        shutil.copytree(record.folder, tmp_path / record.name / record.folder.name)
    page = build_report(tmp_path).read_text()
    for name in EXPERIMENTS:
        assert get_experiment(name).TITLE in page
    assert page.count("data:image/png;base64,") == sum(
        len(json.loads((r.folder / "summary.json").read_text())["figures"]) for r in quick_runs.values()
    )


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/setup.sh --test installs it)")
def test_a_headless_browser_renders_the_report_and_decodes_every_figure(quick_runs, tmp_path):
    for record in quick_runs.values():
        shutil.copytree(record.folder, tmp_path / record.name / record.folder.name)
    report = build_report(tmp_path)
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", report.as_uri()],
            capture_output=True, text=True, timeout=120,
        ).stdout
    total = sum(len(json.loads((r.folder / "summary.json").read_text())["figures"]) for r in quick_runs.values())
    assert f'data-images-loaded="{total}"' in dom and f'data-images-total="{total}"' in dom
    assert "trainlab experiments" in dom


def test_run_pins_blas_threads_and_records_them(tmp_path):
    assert main(["run", "gradient-descent", "--quick", "--threads", "1", "--out", str(tmp_path)]) == 0
    run = json.loads(next(tmp_path.glob("gradient-descent/*/run.json")).read_text())
    assert run["blas_threads"] == [1]
    assert main(["run", "gradient-descent", "--threads", "-1", "--out", str(tmp_path)]) == 2


def test_hyperparameter_search_trials_stay_in_the_book_ranges_and_narrow(quick_runs):
    metrics = json.loads((quick_runs["hyperparameter-search"].folder / "metrics.json").read_text())
    first, second = metrics["stage1"]["trials"], metrics["stage2"]["trials"]
    assert len(first) == 10 and len(second) == 5
    for trial in first:
        assert 1e-6 <= trial["params"]["lr"] <= 1e-2 and 1e-8 <= trial["params"]["weight_decay"] <= 1e-4
        assert len(trial["val_accuracy"]) == len(trial["train_accuracy"]) == 8
        assert 0.0 <= trial["value"] <= 1.0
    assert metrics["stage1"]["n_train"] + metrics["stage1"]["n_val"] == 500 and metrics["stage1"]["n_val"] == 100
    (old_lr, new_lr), (old_wd, new_wd) = metrics["narrowed"]
    assert old_lr.startswith("lr=") and new_lr.startswith("lr=") and new_lr != old_lr
    assert old_wd.startswith("weight_decay=") and new_wd.startswith("weight_decay=")
    top = sorted(first, key=lambda t: -t["value"])[:3]
    low, high = (float(v) for v in new_lr[3:].split(":")[0].split(".."))
    assert all(low <= t["params"]["lr"] * 1.0001 and t["params"]["lr"] <= high * 1.0001 for t in top)
    assert all(low <= t["params"]["lr"] <= high for t in second)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_book_and_quick_configs_are_valid(name):
    config = get_experiment(name).Config()
    assert config.validate() is config and config.quick().validate() == config.quick()


@pytest.mark.parametrize(("name", "setting", "message"), [
    ("two-layer-net", "iterations=0", "iterations=0 is not allowed: iterations is a whole number >= 1"),
    ("init-compare", "iterations=0", "iterations=0 is not allowed"),
    ("overfitting", "test_samples=-1", "test_samples=-1 is not allowed: test_samples is a whole number >= 1, or "
                                       "None (the whole test set)"),
    ("overfitting", "dropout=1", "dropout=1.0 is not allowed: dropout is a finite number >= 0 and < 1"),
    ("optimizers", "optimizers=sgd,adm", "did you mean 'adam'"),
    ("optimizers", "learning_rates=0.1", "learning_rates=(0.1,) is not allowed: it has 1 items where 8 are needed"),
    ("gradient-descent", "start=1", "start=(1.0,) is not allowed: it has 1 items where 2 are needed"),
    ("hyperparameter-search", "lr_range=0.1,0.01", "the values must increase"),
    ("lr-schedules", "dataset=fashion", "did you mean 'fashion-mnist'"),
    ("init-histograms", "inits=1,2,xavir", "3 items where 7 are needed, one per item of activations"),
    ("init-compare", "inits=0.01,xavir", "'xavir' is not a known initializer"),
])
def test_settings_outside_their_range_are_refused_before_a_folder_exists(name, setting, message, tmp_path):
    with pytest.raises(ValueError, match=re.escape(message)):
        run_experiment(name, quick=True, out=tmp_path, overrides=[setting], echo=lambda line: None)
    assert list(tmp_path.iterdir()) == []
