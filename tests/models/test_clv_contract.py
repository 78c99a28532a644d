"""The estimator contract of the guide: hyperparameters only in __init__, JSON not pickle, typed errors."""

from __future__ import annotations

import inspect
import json

import numpy as np
import pandas as pd
import pytest

from centric.models.clv import (BetaGeo, BetaGeoBetaBinom, ConvergenceError, DataError, GammaGamma, ModifiedBetaGeo,
                                ParetoNBD, ShiftedBetaGeo)

ALL = [BetaGeo, ModifiedBetaGeo, ParetoNBD, GammaGamma, BetaGeoBetaBinom, ShiftedBetaGeo]


@pytest.mark.parametrize("model", ALL)
def test_init_stores_only_hyperparameters(model):
    m = model(penalizer=0.1)
    assert vars(m) == {"penalizer": 0.1, "tol": 1e-10, "max_iter": 2000}
    assert set(inspect.signature(model).parameters) == {"penalizer", "tol", "max_iter"}


def test_fit_returns_self_keeps_no_data_and_round_trips_json(cdnow_summary, capsys):
    m = BetaGeo()
    assert m.fit(cdnow_summary) is m
    assert capsys.readouterr() == ("", "")  # never prints
    for value in vars(m).values():
        assert not isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)) or np.size(value) < 10
    state = json.loads(m.to_json())
    assert state["model"] == "BetaGeo" and set(state["params"]) == {"r", "alpha", "a", "b"}
    again = BetaGeo.from_json(m.to_json())
    assert again.params_ == m.params_
    np.testing.assert_allclose(again.p_alive(cdnow_summary), m.p_alive(cdnow_summary))
    with pytest.raises(DataError):
        ParetoNBD.from_json(m.to_json())


def test_standard_errors_are_positive_and_plausible(cdnow_summary):
    m = BetaGeo().fit(cdnow_summary)
    se = m.standard_errors_
    assert all(0 < se[k] < m.params_[k] for k in se)
    summary = m.summary()
    assert list(summary.columns) == ["estimate", "std_error"]


def test_penalizer_shrinks_parameters(cdnow_summary):
    free = BetaGeo().fit(cdnow_summary).params_
    shrunk = BetaGeo(penalizer=0.1).fit(cdnow_summary).params_
    assert sum(v**2 for v in shrunk.values()) < sum(v**2 for v in free.values())


def test_failed_fit_raises_a_typed_error_with_the_optimiser_result(cdnow_summary):
    with pytest.raises(ConvergenceError) as info:
        BetaGeo(max_iter=1).fit(cdnow_summary)
    assert info.value.result is not None and hasattr(info.value.result, "x")


@pytest.mark.parametrize("rows, message", [
    ({"frequency": [1, 2], "recency": [5, 50], "T": [10, 20]}, "recency must not be larger"),
    ({"frequency": [0, 2], "recency": [3, 5], "T": [10, 20]}, "frequency 0"),
    ({"frequency": [-1, 2], "recency": [0, 5], "T": [10, 20]}, "whole number"),
    ({"frequency": [0.5, 2], "recency": [0, 5], "T": [10, 20]}, "whole number"),
    ({"frequency": [1, None], "recency": [0, 5], "T": [10, 20]}, "missing"),
    ({"frequency": [0, 0], "recency": [0, 0], "T": [10, 20]}, "repeat purchases"),
    ({"recency": [0, 5], "T": [10, 20]}, "column 'frequency'"),
])
def test_bad_data_gets_a_clear_error(rows, message):
    with pytest.raises(DataError, match=message):
        BetaGeo().fit(pd.DataFrame(rows))


def test_predictions_need_a_fit():
    with pytest.raises(RuntimeError, match="not fitted"):
        BetaGeo().p_alive({"frequency": [1], "recency": [1], "T": [2]})


def test_weights_equal_repeated_rows(cdnow_summary):
    counted = cdnow_summary.groupby(["frequency", "recency", "T"]).size().rename("weights").reset_index()
    a = BetaGeo().fit(cdnow_summary)
    b = BetaGeo().fit(counted)
    for k in a.params_:
        assert a.params_[k] == pytest.approx(b.params_[k], rel=1e-6)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-9)


def test_frequency_recency_matrix_shape(cdnow_summary):
    m = BetaGeo().fit(cdnow_summary)
    grid = m.frequency_recency_matrix(T=39, max_frequency=10)
    assert grid.shape == (40, 11)
    assert np.isnan(grid.iloc[5, 0])  # frequency 0 with recency > 0 cannot happen
    assert grid.iloc[-1, 10] > grid.iloc[0, 10]  # a recent buyer is more likely alive


def test_sbg_derl_equals_the_discounted_survival_sum():
    m = ShiftedBetaGeo()
    m.params_ = {"alpha": 0.704, "beta": 1.182}
    d = 0.1
    for renewals in (0, 1, 4):
        n = renewals + 1
        t = np.arange(n, 20_000)
        # FH (2010): evaluated just before the n-th renewal decision, so the first term is undiscounted
        brute = (m.survival(t) / m.survival(n - 1) / (1 + d) ** (t - n)).sum()
        assert m.derl(d, renewals)[()] == pytest.approx(brute, rel=1e-6)


def test_bg_bb_expectation_matches_the_new_customer_curve():
    m = BetaGeoBetaBinom()
    m.params_ = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
    # a never-seen customer's expected transactions in n opportunities grow and are bounded by n
    e = m.expected_purchases_new_customer(np.arange(1, 12))
    assert (np.diff(e) > 0).all() and (e <= np.arange(1, 12)).all()
    p = m.p_alive({"frequency": [6, 0], "recency": [6, 0], "periods": [6, 6]})
    assert p[0] > 0.9 and p[1] < 0.2
