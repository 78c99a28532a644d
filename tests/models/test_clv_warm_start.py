"""A warm start (the optimiser started at last run's parameters, services/clv_incremental.py) reaches the
cold start's maximum likelihood: on CDNOW one week later (every customer's T one week longer, a tenth of
them with one more purchase) the warm-started BG/NBD, Pareto/NBD and Gamma-Gamma give the cold fit's
parameters and predictions within a relative 1e-3."""

from __future__ import annotations

import numpy as np
import pytest

from centric.models.clv import BetaGeo, GammaGamma, ParetoNBD


def _week_later(data, seed=0):
    rng = np.random.default_rng(seed)
    later = data.copy()
    later["T"] = later["T"] + 1.0
    bought = rng.random(len(later)) < 0.1
    later.loc[bought, "frequency"] = later.loc[bought, "frequency"] + 1
    later.loc[bought, "recency"] = later.loc[bought, "T"] - rng.random(int(bought.sum()))
    return later


@pytest.mark.parametrize("model", [BetaGeo, ParetoNBD])
def test_warm_start_reaches_the_cold_optimum(cdnow_summary, model):
    before = model().fit(cdnow_summary)
    later = _week_later(cdnow_summary)
    cold = model().fit(later)
    warm = model().fit(later, initial_params=before.params_)
    for name, value in cold.params_.items():
        assert warm.params_[name] == pytest.approx(value, rel=1e-3), name
    np.testing.assert_allclose(warm.expected_purchases(later, 52.0), cold.expected_purchases(later, 52.0), rtol=1e-3)
    assert before.params_ != cold.params_  # the new week moved the optimum: the test compares two real fits


def test_warm_start_gamma_gamma(cdnow_spend):
    repeat = cdnow_spend[cdnow_spend["frequency"] > 0]
    before = GammaGamma().fit(repeat)
    later = repeat.assign(monetary_value=repeat["monetary_value"] * 1.02)
    cold, warm = GammaGamma().fit(later), GammaGamma().fit(later, initial_params=before.params_)
    np.testing.assert_allclose(warm.expected_spend(later), cold.expected_spend(later), rtol=1e-3)
