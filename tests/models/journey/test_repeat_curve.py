"""The repeat-purchase curve's Kaplan-Meier estimate reproduces the textbook 6-MP leukaemia numbers
(Freireich et al. 1963, as tabled by Kalbfleisch & Prentice 2002 and Klein & Moeschberger 2003),
equals a brute-force product-limit count on random data, and recovers a planted curve."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centric.models.journey.repeat_curve import kaplan_meier, median_days, repeat_curve

# weeks in remission on 6-MP; False = censored (still in remission when last seen)
SIX_MP = [(6, True), (6, True), (6, True), (6, False), (7, True), (9, False), (10, True), (10, False), (11, False),
          (13, True), (16, True), (17, False), (19, False), (20, False), (22, True), (23, True), (25, False),
          (32, False), (32, False), (34, False), (35, False)]


def test_six_mp_survival_and_greenwood_errors():
    t, e = zip(*SIX_MP)
    km = kaplan_meier(t, e).set_index("day")
    published = {6: (0.857, 0.076), 7: (0.807, 0.087), 10: (0.753, 0.096), 13: (0.690, 0.107),
                 16: (0.627, 0.114), 22: (0.538, 0.128), 23: (0.448, 0.135)}
    assert list(km.index) == sorted(published)
    for day, (s, se) in published.items():
        assert km.loc[day, "survival"] == pytest.approx(s, abs=5e-4)
        n, d = km.loc[day, "at_risk"], km.loc[day, "events"]
        assert (n, d) == {6: (21, 3), 7: (17, 1), 10: (15, 1), 13: (12, 1), 16: (11, 1), 22: (7, 1), 23: (6, 1)}[day]
        greenwood = s * np.sqrt(sum(km.loc[k, "events"] / (km.loc[k, "at_risk"] * (km.loc[k, "at_risk"] - km.loc[k, "events"]))
                                    for k in km.index if k <= day))
        assert greenwood == pytest.approx(se, abs=1.5e-3)
        assert km.loc[day, "low"] < s < km.loc[day, "high"]
    # the log-log interval at week 6 (Klein & Moeschberger 2003, section 4.3): 0.620 to 0.952
    assert km.loc[6, "low"] == pytest.approx(0.620, abs=2e-3) and km.loc[6, "high"] == pytest.approx(0.952, abs=2e-3)
    assert median_days(t, e) == 23


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=40))
def test_product_limit_equals_a_brute_force_count(rows):
    t, e = zip(*rows)
    km = kaplan_meier(t, e)
    s = 1.0
    for day in sorted({d for d, moved in rows if moved}):
        waiting = sum(1 for d, _ in rows if d >= day)
        moved = sum(1 for d, m in rows if d == day and m)
        s *= 1 - moved / waiting
        row = km[km["day"] == day].iloc[0]
        assert (row["at_risk"], row["events"]) == (waiting, moved)
        assert row["survival"] == pytest.approx(s)
        assert 0 <= row["low"] <= row["survival"] + 1e-12 and row["survival"] <= row["high"] + 1e-12 <= 1 + 1e-12


def test_a_planted_curve_is_recovered_under_heavy_censoring():
    """Second purchases at an exponential rate (30% within 30 days); first purchases spread over a
    year, so most customers are watched for less than the 180 days asked about."""
    rng = np.random.default_rng(4)
    n = 20000
    rate = -np.log(0.7) / 30
    wait = rng.exponential(1 / rate, n)
    watched = rng.uniform(0, 365, n)
    moved = wait <= watched
    durations = np.where(moved, wait, watched)
    curve = repeat_curve(durations, moved, days=(30, 90, 180)).set_index("day")
    for day in (30, 90, 180):
        truth = 1 - np.exp(-rate * day)
        assert curve.loc[day, "low"] <= truth <= curve.loc[day, "high"]
        assert curve.loc[day, "repeated_share"] == pytest.approx(truth, abs=0.02)
    naive = moved.mean()  # the share who bought again so far mixes the recent buyers in: far too low
    assert curve.loc[180, "at_risk"] < n / 2 and naive < 1 - np.exp(-rate * 180) - 0.1
    assert median_days(durations, moved) == pytest.approx(np.log(2) / rate, rel=0.08)
