"""The Cox model reproduces the published Gehan (1965) leukaemia fit, equals a brute-force partial
likelihood maximised by scipy on random counting-process data with ties, and recovers a planted
hazard ratio of a touchpoint that switches on during follow-up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from centric.models.journey.cox import CoxError, counting_process, fit_cox
from tests.models.journey.test_repeat_curve import SIX_MP

# Gehan's placebo arm (weeks in remission, every one relapsed); the 6-MP arm is SIX_MP
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def gehan():
    t = np.array([w for w, _ in SIX_MP] + PLACEBO, float)
    e = np.array([d for _, d in SIX_MP] + [True] * len(PLACEBO))
    placebo = np.r_[np.zeros(len(SIX_MP)), np.ones(len(PLACEBO))]
    return t, e, placebo[:, None]


@pytest.mark.parametrize("ties, coef, se, lr", [("efron", 1.572, 0.412, 16.35), ("breslow", 1.509, 0.410, None)])
def test_gehan_published_fit(ties, coef, se, lr):
    """Venables & Ripley, MASS 4th ed. section 13.3 (coxph(Surv(time, cens) ~ treat, gehan)): placebo
    against 6-MP, coef 1.572 (se 0.412, likelihood-ratio 16.35) with Efron's ties (R's default); Breslow's
    1.509 (0.410)."""
    t, e, x = gehan()
    fit = fit_cox(np.zeros(len(t)), t, e, x, ties=ties)
    assert fit.beta[0] == pytest.approx(coef, abs=5e-4)
    assert fit.se[0] == pytest.approx(se, abs=5e-4)
    if lr is not None:
        assert 2 * (fit.loglik - fit.loglik_null) == pytest.approx(lr, abs=0.01)
    assert fit.events == 30


def brute_force_loglik(beta, start, stop, event, X, ties):
    """The partial likelihood read off its definition: one loop over the distinct event times."""
    eta = X @ beta
    total = 0.0
    for t in np.unique(stop[event]):
        risk = (start < t) & (t <= stop)
        dying = event & (stop == t)
        d = dying.sum()
        s0, d0 = np.exp(eta[risk]).sum(), np.exp(eta[dying]).sum()
        total += eta[dying].sum()
        for k in range(d):
            total -= np.log(s0 - (k / d if ties == "efron" else 0.0) * d0)
    return total


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(15, 60), p=st.integers(1, 3),
       ties=st.sampled_from(["efron", "breslow"]), penalty=st.sampled_from([0.0, 0.5]))
def test_equals_a_brute_force_partial_likelihood(seed, n, p, ties, penalty):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    start = rng.integers(0, 4, n).astype(float)  # late entry: some rows start after 0
    stop = start + rng.integers(1, 6, n)  # small integers: many ties
    event = rng.random(n) < 0.6
    event[0] = True
    fit = fit_cox(start, stop, event, X, penalty=penalty, ties=ties)

    def objective(b):
        return -brute_force_loglik(b, start, stop, event, X, ties) + 0.5 * penalty * b @ b

    best = optimize.minimize(objective, np.zeros(p), method="BFGS", options={"gtol": 1e-9})
    if np.abs(best.x).max() > 8:  # (quasi-)separation: the unpenalised optimum runs away
        return
    np.testing.assert_allclose(fit.beta, best.x, atol=2e-4)
    assert fit.loglik == pytest.approx(brute_force_loglik(fit.beta, start, stop, event, X, ties), abs=1e-8)
    # the information, checked against a numerical Hessian of the brute-force log-likelihood
    h = 1e-4
    hess = np.zeros((p, p))
    for i in range(p):
        for j in range(p):
            e_i, e_j = np.eye(p)[i] * h, np.eye(p)[j] * h
            hess[i, j] = -(brute_force_loglik(fit.beta + e_i + e_j, start, stop, event, X, ties)
                           - brute_force_loglik(fit.beta + e_i - e_j, start, stop, event, X, ties)
                           - brute_force_loglik(fit.beta - e_i + e_j, start, stop, event, X, ties)
                           + brute_force_loglik(fit.beta - e_i - e_j, start, stop, event, X, ties)) / (4 * h * h)
    h_inv = np.linalg.inv(hess + penalty * np.eye(p))
    np.testing.assert_allclose(fit.se, np.sqrt(np.diag(h_inv @ hess @ h_inv)), rtol=2e-3, atol=1e-6)


def test_splitting_rows_changes_nothing():
    """Cutting a subject's time into pieces with the same covariates is the same data."""
    t, e, x = gehan()
    whole = fit_cox(np.zeros(len(t)), t, e, x)
    cut = np.minimum(t / 2, 5.0)
    start = np.r_[np.zeros(len(t)), cut]
    stop = np.r_[cut, t]
    event = np.r_[np.zeros(len(t), bool), e]
    pieces = fit_cox(start, stop, event, np.vstack([x, x]))
    np.testing.assert_allclose(pieces.beta, whole.beta, atol=1e-10)
    np.testing.assert_allclose(pieces.se, whole.se, atol=1e-10)


def test_counting_process_rows():
    changes = pd.DataFrame({"subject": [0, 0, 0, 1, 2], "time": [2.0, 5.0, 0.0, 9.0, 1.0],
                            "column": ["a", "b", "a", "a", "b"]})
    subject, start, stop, event, Z = counting_process([10.0, 4.0, 3.0], [True, False, True], changes, ["a", "b"])
    got = list(zip(subject, start, stop, event, map(tuple, Z)))
    assert got == [(0, 0.0, 2.0, False, (1, 0)), (0, 2.0, 5.0, False, (2, 0)), (0, 5.0, 10.0, True, (2, 1)),
                   (1, 0.0, 4.0, False, (0, 0)),  # the change at 9 comes after subject 1's end
                   (2, 0.0, 1.0, False, (0, 0)), (2, 1.0, 3.0, True, (0, 1))]
    late = pd.DataFrame({"subject": [0], "time": [20.0], "column": ["a"]})  # only after the end: one row each
    _, start, stop, event, Z = counting_process([10.0, 4.0], [True, False], late, ["a"])
    assert list(stop) == [10.0, 4.0] and not Z.any()


def planted(seed, hazard_ratio, n=6000):
    """Exponential times to a move (base rate 1/60 per day); a touchpoint happens at a random time
    and from then on multiplies the hazard by hazard_ratio; censoring at 120 days."""
    rng = np.random.default_rng(seed)
    touch_at = rng.exponential(40.0, n)
    base = 1 / 60
    first = rng.exponential(1 / base, n)  # time to move under the base hazard
    # after the touchpoint the remaining wait runs hazard_ratio times faster
    moved_at = np.where(first <= touch_at, first, touch_at + (first - touch_at) / hazard_ratio)
    duration = np.minimum(moved_at, 120.0)
    event = moved_at <= 120.0
    changes = pd.DataFrame({"subject": np.arange(n), "time": touch_at, "column": "touch"})
    return duration, event, changes, touch_at


@pytest.mark.parametrize("hazard_ratio", [2.5, 1.0, 0.5])
def test_recovers_a_planted_time_varying_hazard_ratio(hazard_ratio):
    duration, event, changes, _ = planted(7, hazard_ratio)
    subject, start, stop, ev, Z = counting_process(duration, event, changes, ["touch"])
    fit = fit_cox(start, stop, ev, Z)
    low, high = np.exp(fit.beta - 1.96 * fit.se), np.exp(fit.beta + 1.96 * fit.se)
    assert low[0] < hazard_ratio < high[0]
    assert np.exp(fit.beta[0]) == pytest.approx(hazard_ratio, rel=0.12)


def test_a_touchpoint_read_as_known_from_the_start_would_look_like_a_driver():
    """Immortal time: with no effect at all, 'touched before the end' still looks protective or
    harmful when read as a baseline trait; the counting-process rows do not."""
    duration, event, changes, touch_at = planted(11, 1.0)
    touched = (touch_at < duration).astype(float)[:, None]
    naive = fit_cox(np.zeros(len(duration)), duration, event, touched)
    assert abs(naive.beta[0]) > 0.3
    _, start, stop, ev, Z = counting_process(duration, event, changes, ["touch"])
    assert abs(fit_cox(start, stop, ev, Z).beta[0]) < 0.1


def test_bad_input_is_refused():
    with pytest.raises(CoxError, match="no one moved"):
        fit_cox([0, 0], [1, 2], [False, False], [[1.0], [0.0]])
    with pytest.raises(CoxError, match="stop > start"):
        fit_cox([0, 2], [1, 2], [True, False], [[1.0], [0.0]])
    with pytest.raises(CoxError, match="ties"):
        fit_cox([0, 0], [1, 2], [True, False], [[1.0], [0.0]], ties="exact")
