"""Survey scores, intervals, drivers and rising themes against hand computation and brute force."""

import math

import numpy as np
import pandas as pd
import pytest

from centric.models import listening


def test_nps_value_and_adjusted_wald_interval():
    ratings = [10] * 50 + [8] * 30 + [3] * 20
    result = listening.nps(ratings)
    assert result["value"] == pytest.approx(30.0)
    m = 103
    p, d = 50.75 / m, 20.75 / m
    half = 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / m)
    assert result["low"] == pytest.approx(100 * (p - d - half))
    assert result["high"] == pytest.approx(100 * (p - d + half))
    assert listening.nps([])["value"] is None


def test_nps_interval_covers_the_truth_about_95_percent():
    rng = np.random.default_rng(1)
    probs = np.array([0.25] * 7 + [0.0, 0.0] + [0.0, 0.0])
    probs = np.array([0.3 / 7] * 7 + [0.3, 0.0, 0.2, 0.2])
    probs = probs / probs.sum()
    truth = 100 * (probs[9:].sum() - probs[:7].sum())
    covered = 0
    for _ in range(2_000):
        r = listening.nps(rng.choice(11, size=60, p=probs))
        covered += r["low"] <= truth <= r["high"]
    assert 0.93 <= covered / 2_000 <= 0.975


def test_csat_wilson_and_ces_t():
    result = listening.csat([5, 4, 3, 2, 5])
    assert result["value"] == pytest.approx(60.0)
    assert 0 < result["low"] < 60 < result["high"] < 100
    ces = listening.ces([7, 5, 6, 4])
    assert ces["value"] == pytest.approx(5.5)
    assert ces["low"] < 5.5 < ces["high"]


def test_ces_interval_and_rising_p_values_are_scipy_stats():
    """listening reads Student's t and the normal tail from scipy.special (importing scipy.stats costs a
    fresh process about 0.3 s): the same numbers as scipy.stats.t.ppf and norm.sf."""
    from scipy import stats

    rng = np.random.default_rng(4)
    for n in (2, 3, 5, 30, 1000):
        r = rng.integers(1, 8, n)
        half = stats.t.ppf(0.975, n - 1) * float(np.std(r, ddof=1)) / math.sqrt(n)
        assert listening.ces(r)["high"] - float(np.mean(r)) == pytest.approx(half, rel=1e-12)
    end = pd.Timestamp("2024-06-30")
    previous = _mentions(400, 0.10, rng, end - pd.Timedelta(days=60))
    recent = _mentions(400, 0.25, rng, end - pd.Timedelta(days=30))
    rows = listening.rising_negative_themes(pd.DataFrame(previous + recent), end)
    assert len(rows) and (rows["z"] != 0).all()
    assert rows["p_value"].tolist() == pytest.approx([float(2 * stats.norm.sf(abs(z))) for z in rows["z"]],
                                                     rel=1e-12, abs=1e-300)


def test_drivers_cost_equals_brute_force():
    responses = pd.DataFrame({
        "rating": [0, 2, 5, 9, 10, 7, 6, 10],
        "themes": [["delivery"], ["delivery", "price"], ["price"], ["delivery"], [], ["price"], ["delivery"], []],
    })
    out = listening.drivers(responses).set_index("theme")
    assert out.loc["delivery", "detractor_mentions"] == 3
    assert out.loc["delivery", "nps_points_cost"] == pytest.approx(100 * 3 / 8)
    assert out.loc["delivery", "detractor_share"] == pytest.approx(3 / 4)
    # turning those detractors into passives raises NPS by exactly the cost
    fixed = [7 if r <= 6 and "delivery" in t else r for r, t in zip(responses["rating"], responses["themes"])]
    gain = listening.nps(fixed)["value"] - listening.nps(responses["rating"])["value"]
    assert gain == pytest.approx(out.loc["delivery", "nps_points_cost"])
    assert list(out.index)[0] == "delivery"


def _mentions(n, share, rng, start):
    rows = []
    for i in range(n):
        bad = rng.random() < share
        rows.append({"received_at": start + pd.Timedelta(hours=int(rng.integers(0, 24 * 30))),
                     "aspects": [{"theme": "delivery", "sentiment": "negative" if bad else "positive"}]})
    return rows


def test_rising_theme_is_found_and_a_flat_one_is_not():
    rng = np.random.default_rng(3)
    end = pd.Timestamp("2024-06-30")
    previous = _mentions(400, 0.10, rng, end - pd.Timedelta(days=60))
    rising = pd.DataFrame(previous + _mentions(400, 0.25, rng, end - pd.Timedelta(days=30)))
    flat = pd.DataFrame(previous + _mentions(400, 0.10, rng, end - pd.Timedelta(days=30)))
    assert listening.rising_negative_themes(rising, end).set_index("theme").loc["delivery", "rising"]
    assert not listening.rising_negative_themes(flat, end)["rising"].any()


def test_holm_matches_its_definition():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    adjusted = listening.holm(p)
    assert adjusted.tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_score_table_totals_and_groups():
    frame = pd.DataFrame({
        "rating": [10, 9, 0, 5, 4], "rating_scale": ["nps_0_10"] * 3 + ["csat_1_5"] * 2,
        "received_at": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-03", "2024-01-01", "2024-01-02"]),
        "channel": ["email", "web", "email", "web", "web"],
    })
    table = listening.score_table(frame, by="channel").set_index(["metric", "period", "dimension", "group"])
    assert table.loc[("nps", "all", "all", "all"), "value"] == pytest.approx(100 / 3)
    assert table.loc[("nps", "2024-02", "all", "all"), "n"] == 2
    assert table.loc[("nps", "all", "channel", "email"), "value"] == pytest.approx(0.0)
    assert table.loc[("csat", "all", "all", "all"), "value"] == pytest.approx(100.0)


def test_rising_themes_test_only_themes_mentioned_in_the_windows_and_read_aspects_given_as_json():
    """A theme negative only before both windows is not tested (nor counted in Holm's family); aspects may
    come as JSON text (the incremental run's insights) with the same result as lists."""
    import json

    rng = np.random.default_rng(3)
    end = pd.Timestamp("2024-06-30")
    rows = (_mentions(400, 0.10, rng, end - pd.Timedelta(days=60))
            + _mentions(400, 0.25, rng, end - pd.Timedelta(days=30)))
    old = [{"received_at": end - pd.Timedelta(days=200), "aspects": [{"theme": f"old{i}", "sentiment": "negative"}]}
           for i in range(30)]
    with_old = listening.rising_negative_themes(pd.DataFrame(rows + old), end)
    alone = listening.rising_negative_themes(pd.DataFrame(rows), end)
    assert list(with_old["theme"]) == ["delivery"]
    pd.testing.assert_frame_equal(with_old, alone)
    as_json = pd.DataFrame(rows + old).assign(aspects=lambda f: f["aspects"].map(json.dumps))
    pd.testing.assert_frame_equal(listening.rising_negative_themes(as_json, end), alone)
    assert listening.rising_negative_themes(pd.DataFrame(rows + old).iloc[400:401].assign(aspects=[None]), end).empty
