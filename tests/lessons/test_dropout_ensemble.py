"""dropout-ensemble: the measures are differences inside one unit, a unit's nets of one width pair,
and Srivastava's width condition holds for the wide net; the figure's grouped bars
(trainlab.lab.plots.setting_bars) stand where they should."""

import dataclasses
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from trainlab.lab import plots
from trainlab.lab.lesson import load_lesson

lesson = load_lesson("dropout-ensemble")
module = lesson.module


def test_the_wide_net_is_wide_enough_for_its_dropout():
    config = module.Config()
    assert module.settings(config) == ("100-100", "500-500")
    # Srivastava et al. 2014: with dropout p a net needs about n/p units where n do without (here n = 100)
    assert max(config.widths) >= 100 / config.dropout
    assert config.long_epochs / config.epochs == pytest.approx(
        301 / 201, abs=0.01
    )  # the book's ratio


def test_the_measures_on_a_hand_built_run():
    config = module.Config()
    run = {
        "status": "completed",
        "members": [0.90, 0.91, 0.92],
        "ensemble": 0.93,
        "single": 0.905,
        "dropout": 0.935,
    }
    assert module.ENSEMBLE_GAIN.of(run, config) == pytest.approx(0.03)
    assert module.DROPOUT_GAIN.of(run, config) == pytest.approx(0.03)
    assert module.AGAINST_ENSEMBLE.of(run, config) == pytest.approx(0.005)
    assert math.isnan(module.DROPOUT_GAIN.of({**run, "status": "diverged"}, config))


def test_a_unit_trains_every_member_and_the_dropout_net_from_the_first_members_start():
    config = dataclasses.replace(module.Config().quick(), widths=(32,), epochs=2, long_epochs=3)
    run = module.train(config, "32-32", 0)
    assert run["status"] == "completed" and len(run["members"]) == config.members
    assert len(set(run["members"])) > 1  # the members differ by seed
    assert all(0.1 < value <= 1 for value in (run["ensemble"], run["single"], run["dropout"]))
    assert module.train(config, "32-32", 0) == run


NUMBERS = {"narrow": {"a": [0.5, 0.7], "b": [0.6]}, "wide": {"a": [0.8], "b": []}}


class FakeRuns:
    settings = ("narrow", "wide")

    def values(self, setting, key):
        return np.array(NUMBERS[setting][key])


def test_setting_bars_group_the_series_around_each_settings_tick():
    ax = Figure().subplots()
    lows, highs, *rest = plots.setting_bars(
        ax, FakeRuns(), {"a": "A", "b": "B"}, str.upper, step=0.2
    )
    assert lows.tolist() == [0.5, 0.8] and highs.tolist() == [0.7, 0.8]
    assert rest[0][0] == 0.6 and math.isnan(rest[0][1])  # an empty series is a NaN bar
    (a_x, a_y), (b_x, _) = (container.lines[0].get_xydata().T for container in ax.containers)
    assert a_x.tolist() == pytest.approx([-0.1, 0.9]) and a_y.tolist() == pytest.approx([0.6, 0.8])
    assert b_x.tolist() == pytest.approx([0.1, 1.1])  # side by side, centred on the ticks 0 and 1
    assert [t.get_text() for t in ax.get_xticklabels()] == ["NARROW", "WIDE"]
    assert ax.get_xlim() == (-0.5, 1.5)
    assert ax.get_legend_handles_labels()[1] == ["A", "B"]
