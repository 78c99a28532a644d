"""The chance model read at a landmark (models/journey/landmark.py) on planted truth.

Customers wait for a move with a constant hazard; a share of them do a touchpoint at a random time
after the span starts, drawn independently of everything. When the touchpoint does nothing, the
"did it at any time in the span" reading finds a driver of not moving (those who wait longer have
more time to do it: waiting-time bias), the landmark reading finds nothing; when the touchpoint
multiplies the hazard from the moment it happens, the landmark reading finds it with its sign."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from centric.models.journey.drivers import fit_drivers
from centric.models.journey.landmark import landmark_sample

COLUMN = "ev_touch"


def simulate(seed: int, hazard_ratio: float, n: int = 2000, rate: float = 1 / 60, share: float = 0.4,
             mean_touch_days: float = 20.0):
    """rows (customer_id, moved, days_to_move, days_observed, days_since_start, other) and touches
    (customer_id, touch, day inside the span). The hazard is `rate`, times hazard_ratio from the touch on."""
    rng = np.random.default_rng(seed)
    follow = rng.uniform(20, 500, n)  # days from the span's start to the end of the data
    touch = np.where(rng.random(n) < share, rng.exponential(mean_touch_days, n), np.inf)
    e = rng.exponential(1.0, n)  # the cumulative hazard at the move
    before = rate * np.where(np.isfinite(touch), touch, np.inf)
    t = np.where(e <= before, e / rate, np.where(np.isfinite(touch), touch, 0) + (e - before) / (rate * hazard_ratio))
    moved = t <= follow
    observed = np.minimum(t, follow)
    rows = pd.DataFrame({"customer_id": np.arange(n), "moved": moved.astype(int),
                         "days_to_move": np.where(moved, t, np.nan), "days_observed": observed,
                         "days_since_start": follow, "other": rng.normal(size=n)})
    inside = touch < observed
    touches = pd.DataFrame({"customer_id": np.flatnonzero(inside), "touch": COLUMN, "day": touch[inside]})
    return rows, touches


def in_the_span(rows, touches):
    """The biased reading: the touchpoint at any time in the span, a control for the time watched."""
    frame = rows.assign(**{COLUMN: rows["customer_id"].isin(touches["customer_id"]).astype(int),
                           "log_days_since_start": np.log1p(rows["days_since_start"])})
    table = fit_drivers(frame, "moved", binary=[COLUMN], numeric=["other"], controls=["log_days_since_start"])
    return table.set_index("driver").loc[COLUMN]


def at_the_landmark(rows, touches, landmark=30, window=90):
    sample = landmark_sample(rows, touches, [COLUMN], landmark, window)
    sample[COLUMN] = (sample[COLUMN] > 0).astype(int)
    table = fit_drivers(sample, "moved_in_window", binary=[COLUMN], numeric=["other"])
    return table.set_index("driver").loc[COLUMN]


SEEDS = range(20)


def test_a_touchpoint_with_no_effect_is_a_driver_in_the_span_and_not_at_the_landmark():
    old = [in_the_span(*simulate(seed, 1.0)) for seed in SEEDS]
    new = [at_the_landmark(*simulate(seed, 1.0)) for seed in SEEDS]
    # the span reading calls it a significant driver of not moving most of the time (17 of 20 here)
    assert sum(r["significant"] and r["odds_ratio"] < 1 for r in old) >= 16, [r["odds_ratio"] for r in old]
    assert np.median([r["odds_ratio"] for r in old]) < 0.7
    # the landmark reading rejects about as often as a 5% test should (at most 3 of 20: binomial p = 0.016)
    assert sum(r["significant"] for r in new) <= 3, [(r["odds_ratio"], r["p_value"]) for r in new]
    assert abs(np.median([np.log(r["odds_ratio"]) for r in new])) < 0.1
    assert sum(r["odds_ratio_low"] < 1 < r["odds_ratio_high"] for r in new) >= 17


@pytest.mark.parametrize("hazard_ratio", [2.0, 0.5])
def test_a_touchpoint_that_changes_the_hazard_is_found_with_its_sign(hazard_ratio):
    new = [at_the_landmark(*simulate(seed, hazard_ratio)) for seed in range(5)]
    for r in new:
        assert r["significant"], r
        assert (r["odds_ratio"] > 1) == (hazard_ratio > 1), r


def test_the_landmark_sample_follows_its_definition():
    rows = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6],
                         "moved": [1, 1, 1, 0, 0, 1],
                         "days_to_move": [10.0, 40.0, 130.0, np.nan, np.nan, 50.0],
                         "days_since_start": [300.0, 300.0, 300.0, 300.0, 100.0, 100.0]})
    touches = pd.DataFrame({"customer_id": [1, 2, 2, 3, 4, 4], "touch": [COLUMN] * 6,
                            "day": [5.0, 20.0, 35.0, 31.0, 1.0, 2.0]})
    got = landmark_sample(rows, touches, [COLUMN], 30, 90).set_index("customer_id")
    # 1 moved before the landmark; 5 and 6 were not watched to day 120 (6 moved, and is still left out)
    assert list(got.index) == [2, 3, 4]
    assert got["moved_in_window"].tolist() == [1, 0, 0]  # 3 moved on day 130, after the window
    assert got[COLUMN].tolist() == [1, 0, 2]  # touches by day 30 only
