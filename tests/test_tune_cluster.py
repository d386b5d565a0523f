"""`trainlab tune --cluster`: the search's workers as tasks of a real Dask cluster, against one storage."""

import json
import re
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
    # the two search workers were placed on the two cluster workers, one each (which of them gets
    # more of the 6 trials is a race, and one may get them all)
    ran = re.findall(r"search worker (\d) ran on \S+, process (\d+)", done.stdout)
    assert sorted(index for index, _ in ran) == ["1", "2"] and len({pid for _, pid in ran}) == 2
    assert {t["worker"].rsplit(":", 1)[-1] for t in trials} <= {pid for _, pid in ran}


def test_a_cluster_needs_a_storage_its_workers_share():
    with pytest.raises(ValueError, match="need a storage the processes share"):
        SearchConfig(cluster="tcp://127.0.0.1:1").checked()
