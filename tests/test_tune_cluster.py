"""`trainlab tune --cluster`: the search's workers as tasks of a real Dask cluster, against one storage."""

import json
import subprocess
import sys

import pytest
from dask_helpers import dask_scheduler_and_workers

from trainlab.tune.config import SearchConfig


def test_a_search_runs_its_workers_on_a_dask_cluster_and_finishes_exactly_its_trials(tmp_path):
    pytest.importorskip("distributed")
    with dask_scheduler_and_workers(tmp_path, workers=2) as address:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "trainlab",
                "tune",
                "--quick",
                "--trials",
                "6",
                "--epochs",
                "2",
                "--cluster",
                address,
                "--out",
                str(tmp_path / "search"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr
    assert f"2 search workers on the Dask cluster at {address}" in done.stdout
    trials = json.loads((tmp_path / "search" / "trials.json").read_text())["trials"]
    assert [t["state"] for t in trials].count("complete") == 6
    assert len({t["worker"] for t in trials}) == 2  # both cluster workers ran trials


def test_a_cluster_needs_a_storage_its_workers_share():
    with pytest.raises(ValueError, match="need a storage the processes share"):
        SearchConfig(cluster="tcp://127.0.0.1:1").checked()
