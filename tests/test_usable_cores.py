"""usable_cores: one definition (trainlab.backend), used by `trainlab run --jobs 0` and tune's workers."""

import ast
import os
from pathlib import Path

import pytest

from trainlab import backend
from trainlab.tune.workers import worker_environment

SRC = Path(__file__).resolve().parent.parent / "src" / "trainlab"


def test_usable_cores_is_the_cpu_affinity_else_the_cpu_count(monkeypatch):
    assert backend.usable_cores() == len(os.sched_getaffinity(0))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5})
    assert backend.usable_cores() == 3

    def unsupported(pid):
        raise AttributeError("no sched_getaffinity here")

    monkeypatch.setattr(os, "sched_getaffinity", unsupported)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert backend.usable_cores() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert backend.usable_cores() == 1


@pytest.mark.parametrize(
    ("cores", "workers", "threads"), [({0, 1, 2, 3}, 2, "2"), ({0, 1, 2}, 2, "1"), ({0}, 4, "1")]
)
def test_tune_workers_split_the_usable_cores(monkeypatch, cores, workers, threads):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cores)
    assert worker_environment(workers)["OPENBLAS_NUM_THREADS"] == threads


def test_usable_cores_is_defined_once():
    defined = [
        path.relative_to(SRC).as_posix()
        for path in sorted(SRC.rglob("*.py"))
        if any(
            isinstance(node, ast.FunctionDef) and node.name == "usable_cores"
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert defined == ["backend.py"]
