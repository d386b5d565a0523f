"""optuna-dashboard opens a study trainlab wrote: the real server on 127.0.0.1, its JSON API, stopped after.

Skipped, saying why, when optuna-dashboard is not installed (pip install 'trainlab[test]' installs it).
"""

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tune_helpers import tiny

from trainlab.tune import run_search

pytest.importorskip(
    "optuna_dashboard", reason="optuna-dashboard is not installed: pip install optuna-dashboard"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(url: str, timeout: float = 30.0):
    """GET ``url`` as JSON, retrying while the server starts."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_optuna_dashboard_shows_a_trainlab_study(tmp_path):
    result = run_search(tiny(trials=3, epochs=2, out=str(tmp_path)))
    command = shutil.which(
        "optuna-dashboard", path=str(Path(sys.executable).parent)
    ) or shutil.which("optuna-dashboard")
    assert command, "optuna_dashboard is importable but its command is missing"
    port = free_port()
    server = subprocess.Popen(
        [
            command,
            f"sqlite:///{tmp_path / 'study.db'}",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        studies = get_json(f"http://127.0.0.1:{port}/api/studies")["study_summaries"]
        assert [s["study_name"] for s in studies] == ["hyperparameter-search"]
        assert studies[0]["directions"] == ["maximize"]
        detail = get_json(f"http://127.0.0.1:{port}/api/studies/{studies[0]['study_id']}")
        trials = sorted(detail["trials"], key=lambda trial: trial["number"])
        assert [trial["state"] for trial in trials] == ["Complete"] * 3
        assert [trial["values"][0] for trial in trials] == pytest.approx(
            [t.value for t in result.trials]
        )
        assert [len(trial["intermediate_values"]) for trial in trials] == [2, 2, 2]  # one per epoch
        names = {param["name"] for param in trials[0]["params"]}
        assert names == {"lr", "weight_decay"}
        attrs = {attr["key"] for attr in trials[0]["user_attrs"]}
        assert {
            "slot",
            "val_accuracy",
            "train_loss",
            "status",
        } <= attrs  # trainlab's curves come along
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode is not None
