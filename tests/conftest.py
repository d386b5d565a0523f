import os

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from trainlab.lab.lesson import list_lessons
from trainlab.lab.runner import run_lesson

matplotlib.use("Agg")  # figures render headless in every test

settings.register_profile(
    "trainlab",
    deadline=None,
    derandomize=True,
    max_examples=25,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "trainlab"))


@pytest.fixture(autouse=True, scope="session")
def isolated_data_session(tmp_path_factory):
    """No test writes to the real ~/.cache or reaches the network: a private cache, downloads off.

    Session-scoped so that it is in place before module-scoped fixtures (the experiments' quick
    runs) load data; :func:`isolated_data_cache` then gives each test a fresh cache of its own.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAINLAB_CACHE", str(tmp_path_factory.mktemp("session-cache")))
        patch.setenv("TRAINLAB_OFFLINE", "1")
        yield


@pytest.fixture(autouse=True)
def isolated_data_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("TRAINLAB_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("TRAINLAB_OFFLINE", "1")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def quick_results(isolated_data_session):
    """name -> what each lesson's ``plot`` draws from its --quick run (its Runs), computed once per
    session: the figure tests (tests/test_figure_quality.py) draw them in every style without
    training again."""
    return {name: run_lesson(name, quick=True).runs for name in list_lessons()}
