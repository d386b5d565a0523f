import os

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # figures render headless in every test

settings.register_profile(
    "trainlab", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "trainlab"))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
