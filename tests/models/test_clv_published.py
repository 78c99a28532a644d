"""Rung 1 of the ladder: the models reproduce the published CDNOW, donations and cohort numbers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from centric.models.clv import (BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD, ShiftedBetaGeo,
                                survivors_from_customers, tracking_curve)
from tests.models.conftest import DATA


def _close(params: dict, expected: dict, rel: float = 2e-3):
    for name, value in expected.items():
        assert params[name] == pytest.approx(value, rel=rel), (name, params[name], value)


def test_bg_nbd_cdnow(cdnow_summary):
    """Fader, Hardie & Lee (2005) Table/sec. 4: r=0.243, alpha=4.414, a=0.793, b=2.426, LL -9582.4."""
    m = BetaGeo().fit(cdnow_summary)
    _close(m.params_, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    assert m.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    one = {"frequency": [2], "recency": [30.43], "T": [38.86]}
    assert m.expected_purchases(one, 39)[0] == pytest.approx(1.226, abs=5e-4)


def test_pareto_nbd_cdnow(cdnow_summary):
    """Fader & Hardie's note: r=0.553, alpha=10.578, s=0.606, beta=11.669, LL -9595.0."""
    m = ParetoNBD().fit(cdnow_summary)
    _close(m.params_, {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    assert m.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)
    one = {"frequency": [26], "recency": [30.86], "T": [31]}
    assert m.expected_purchases(one, 52)[0] == pytest.approx(25.46, abs=5e-3)
    assert m.p_alive(one)[0] == pytest.approx(0.9979, abs=5e-5)


def test_modified_bg_nbd_cdnow(cdnow_summary):
    """Batislam et al. (2007) on CDNOW, as lifetimes' tests pin it: r=0.525, alpha=6.183, a=0.891, b=1.614."""
    m = ModifiedBetaGeo().fit(cdnow_summary)
    _close(m.params_, {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614})


def test_gamma_gamma_cdnow_repeaters(cdnow_spend):
    """Fader, Hardie & Lee (2005), 'RFM and CLV': p=6.25, q=3.74, v=15.44 on the 946 repeaters."""
    repeaters = cdnow_spend[cdnow_spend["frequency"] > 0]
    assert len(repeaters) == 946
    m = GammaGamma().fit(repeaters)
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert m.params_[name] == pytest.approx(value, abs=0.01)
    # the population mean p v / (q - 1) and a customer's shrunk mean lie between her mean and it
    spend = m.expected_spend(repeaters)
    mean = m.population_mean_spend()
    lo = np.minimum(repeaters["monetary_value"], mean)
    hi = np.maximum(repeaters["monetary_value"], mean)
    assert ((spend >= lo - 1e-9) & (spend <= hi + 1e-9)).all()


def test_bg_bb_donations():
    """Fader, Hardie & Shang (2010): alpha=1.204, beta=0.750, gamma=0.657, delta=2.783, LL -33,225.6."""
    m = BetaGeoBetaBinom().fit(pd.read_csv(DATA / "donations.csv"))
    _close(m.params_, {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    assert m.log_likelihood_ == pytest.approx(-33225.6, abs=0.05)


@pytest.mark.parametrize("cohort, alpha, beta", [("regular", 0.704, 1.182), ("highend", 0.668, 3.806)])
def test_shifted_beta_geo_cohorts(cohort, alpha, beta):
    """Fader & Hardie (2007), 'How to project customer retention', the two cohorts of 1,000."""
    customers = pd.read_csv(DATA / "sbg_cohorts.csv")
    survivors = survivors_from_customers(customers[customers["cohort"] == cohort])
    m = ShiftedBetaGeo().fit(survivors)
    _close(m.params_, {"alpha": alpha, "beta": beta})


def test_bg_nbd_cdnow_tracking_holdout(cdnow_orders):
    """Weeks 1-78: the calibration fit's cumulative forecast at week 78 is within 5% of the actual 4,339."""
    import ibis

    from centric.queries.clv_data import clv_model_data, repeat_purchase_times

    con = ibis.duckdb.connect()
    orders = con.create_table("orders", cdnow_orders)
    cal = con.execute(clv_model_data(orders, dt.datetime(1997, 9, 30), "weeks", dt.datetime(1998, 6, 30)))
    assert len(cal) == 2357
    model = BetaGeo().fit(cal)
    _close(model.params_, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, rel=5e-3)
    times = con.execute(repeat_purchase_times(orders, dt.datetime(1997, 1, 1), dt.datetime(1998, 6, 30), "weeks"))
    curve = tracking_curve(model, times.loc[times.is_first, "first_time"], times.loc[~times.is_first, "time"], 78)
    week78 = curve.iloc[-1]
    assert week78["actual_cumulative"] == 4339
    assert abs(week78["predicted_cumulative"] / 4339 - 1) < 0.05
    # the holdout conditional expectations: total within 15%, and rising with calibration frequency
    predicted = model.expected_purchases(cal, 39.0)
    assert abs(predicted.sum() / cal["frequency_holdout"].sum() - 1) < 0.15
