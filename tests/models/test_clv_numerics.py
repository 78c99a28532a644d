"""Numerical soundness: log-space special functions against mpmath, and the models' edge cases."""

from __future__ import annotations

import time
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import hyp2f1

from centric.models.clv import BetaGeo, ModifiedBetaGeo, ParetoNBD, log_hyp2f1
from centric.models.clv.special import log_hyp2f1_beta, pole_bracket

mpmath.mp.dps = 40


def _mp_log_hyp2f1(a, b, c, z) -> float:
    return float(mpmath.log(mpmath.hyp2f1(a, b, c, z)))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(a=st.floats(0.05, 60), b=st.floats(0.05, 60), c=st.floats(0.05, 80), z=st.floats(0, 0.95))
def test_log_hyp2f1_matches_mpmath(a, b, c, z):
    got = log_hyp2f1(a, b, c, z)
    want = _mp_log_hyp2f1(a, b, c, z)
    assert got == pytest.approx(want, rel=1e-7, abs=1e-9)  # scipy's own 2F1 is good to about 1e-9


def test_log_hyp2f1_holds_where_scipy_overflows():
    # the BG/NBD term 2F1(r+x, b+x; a+b+x-1; z) for a customer with 10,000 repeat purchases
    r, a, b, x, z = 0.243, 0.793, 2.426, 10_000.0, 0.5
    with np.errstate(all="ignore"):
        assert not np.isfinite(hyp2f1(r + x, b + x, a + b + x - 1, z))
    got = log_hyp2f1(r + x, b + x, a + b + x - 1, z)
    assert np.isfinite(got)
    with mpmath.workdps(250):  # mpmath itself needs this many digits here
        want = _mp_log_hyp2f1(r + x, b + x, a + b + x - 1, z)
    assert got == pytest.approx(want, rel=1e-10)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(log_a=st.floats(np.log(0.05), np.log(5000)), log_b=st.floats(np.log(0.01), np.log(3000)),
       log_w=st.floats(np.log(1e-12), 0), integer_b=st.booleans())
def test_log_hyp2f1_beta_matches_mpmath_up_to_z_near_1(log_a, log_b, log_w, integer_b):
    """2F1(a, b; a+1; z), the Pareto/NBD case, for z from 0 to 1 - 1e-12 (w = 1 - z), integer b too."""
    a, b, w = np.exp(log_a), np.exp(log_b), np.exp(log_w)
    b = float(np.round(b)) + 1.0 if integer_b else b  # integer b: poles of the textbook 1 - z formula
    got = log_hyp2f1_beta(a, b, 1.0 - w, w)
    with mpmath.workdps(60):
        want = float(mpmath.log(mpmath.hyp2f1(a, b, a + 1, 1 - mpmath.mpf(w))))
    assert got == pytest.approx(want, rel=1e-11, abs=1e-11)


def test_pareto_likelihood_where_2f1_nears_1_is_exact_and_fast():
    """A fit drifting to r, alpha -> infinity (no spread in purchase rates) puts every customer where
    the 2F1 argument |alpha - beta| / (max + t) is within 1e-3 of 1: scipy's 2F1 returns NaN there and
    the power series that used to take over needed minutes per evaluation (a 2,500-customer demo's
    inner-split fit sat at such points). The rows are checked against mpmath's own 2F1 (note eq. 19-20
    at 50 digits; its quadrature is not accurate to 1e-10 on integrands this steep)."""
    from centric.models.clv.simulate import simulate_pareto_nbd

    r, alpha, s, beta = 4000.0, 80000.0, 0.34, 10.0
    rng = np.random.default_rng(11)
    rows = simulate_pareto_nbd(2000, r, alpha, s, beta, rng.uniform(20, 52, 2000), rng)
    K = r + s + rows["frequency"].to_numpy()
    z = (alpha - beta) / (alpha + rows["recency"].to_numpy())
    assert (z > 1 - 1e-3).all()
    with np.errstate(all="ignore"):
        assert np.isnan(hyp2f1(K, s + 1, K + 1, z)).any()
    m = ParetoNBD()
    d = m._compress(rows)
    start = time.perf_counter()
    got = m._log_likelihood(np.array([r, alpha, s, beta]), d, grad=False)
    assert time.perf_counter() - start < 2.0  # milliseconds now; about a minute before
    assert np.isfinite(got).all()
    for i in np.linspace(0, len(d.weights) - 1, 6).astype(int):
        assert got[i] == pytest.approx(_pareto_log_likelihood_mpmath(r, alpha, s, beta, d, i), rel=1e-10)


@pytest.mark.parametrize("a", [1.0, 1 + 1e-12, 1 - 1e-9, 1 + 1e-7, 1 - 1e-5, 1.001])
def test_bg_nbd_expectation_is_continuous_through_the_a_equals_1_pole(a):
    r, b, x, T, t = 0.5, 2.0, 3.0, 40.0, 39.0
    alpha = 5.0
    z = t / (alpha + T + t)
    got = pole_bracket(r + x, b + x, a + b + x - 1, z)[()]
    # the bracket [1 - (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] / (a - 1) at a = 1 + 1e-6, by mpmath
    ref_a = mpmath.mpf(1) + mpmath.mpf("1e-6") if abs(a - 1) < 1e-6 else mpmath.mpf(a)
    c = ref_a + b + x - 1
    ref = (1 - (1 - mpmath.mpf(z)) ** (r + x) * mpmath.hyp2f1(r + x, b + x, c, z)) / (ref_a - 1)
    assert got == pytest.approx(float(ref), rel=1e-5)


EDGE_ROWS = {
    "frequency": [0, 1, 10_000, 5_000, 3, 3],
    "recency": [0, 0, 100.0, 100.0, 40.0, 0.5],
    "T": [0, 40, 100.0, 100.0, 40.0, 40.0],
}


@pytest.mark.parametrize("model, params", [
    (BetaGeo, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    (BetaGeo, {"r": 0.243, "alpha": 4.414, "a": 1e-6, "b": 1e-6}),
    (BetaGeo, {"r": 0.243, "alpha": 4.414, "a": 1.0, "b": 2.426}),
    (ModifiedBetaGeo, {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    (ModifiedBetaGeo, {"r": 0.525, "alpha": 6.183, "a": 1.0, "b": 1e-5}),
    (ParetoNBD, {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}),
    (ParetoNBD, {"r": 0.553, "alpha": 20.0, "s": 1.0, "beta": 2.0}),
    (ParetoNBD, {"r": 0.553, "alpha": 1e-4, "s": 1e-4, "beta": 1e3}),
])
def test_predictions_finite_at_the_edges(model, params):
    m = model()
    m.params_ = params
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warnings either
        for values in (m.p_alive(EDGE_ROWS), m.expected_purchases(EDGE_ROWS, 52.0),
                       m.expected_purchases_new_customer(np.array([0.0, 1.0, 1e4]))):
            assert np.isfinite(values).all(), values
    p = m.p_alive(EDGE_ROWS)
    assert ((p >= 0) & (p <= 1)).all()


def test_bg_nbd_likelihood_and_gradient_finite_for_extreme_rows():
    from centric.models.clv.btyd import compress_rfm
    import pandas as pd

    d = compress_rfm(pd.DataFrame(EDGE_ROWS))
    for params in ([0.243, 4.414, 0.793, 2.426], [1e-6, 1e-6, 1e-6, 1e-6], [50.0, 1e3, 1.0, 50.0]):
        ll, g = BetaGeo()._log_likelihood(np.array(params), d, grad=True)
        assert np.isfinite(ll).all() and np.isfinite(g).all()


@pytest.mark.parametrize("model", [BetaGeo, ModifiedBetaGeo])
def test_analytic_gradient_matches_finite_differences(model, cdnow_summary):
    from centric.models.clv.btyd import compress_rfm

    d = compress_rfm(cdnow_summary)
    m = model()
    theta = np.array([0.4, 5.0, 0.9, 2.0])
    _, g = m._log_likelihood(theta, d, grad=True)
    analytic = d.weights @ g
    for j in range(4):
        h = 1e-6 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        numeric = (d.weights @ m._log_likelihood(up, d, grad=False) - d.weights @ m._log_likelihood(down, d, grad=False)) / (2 * h)
        assert analytic[j] == pytest.approx(numeric, rel=1e-5)


@pytest.mark.parametrize("model, params", [
    (BetaGeo, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    (ModifiedBetaGeo, {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
])
def test_conditional_pmf_sums_to_one_and_matches_the_expectation(model, params):
    m = model()
    m.params_ = params
    n = np.arange(400)
    for x, t_x, T in ((0, 0, 38.86), (2, 30.43, 38.86), (7, 10.0, 38.86)):
        row = {"frequency": [x], "recency": [t_x], "T": [T]}
        p = m.probability_of_n_purchases(row, 39.0, n)
        assert p.min() >= 0
        assert p.sum() == pytest.approx(1.0, abs=1e-10)
        assert (n * p).sum() == pytest.approx(m.expected_purchases(row, 39.0)[0], rel=1e-8)


def test_pareto_likelihood_matches_a_numerical_integral():
    """L = Gamma(r+x) a^r b^s / Gamma(r) [alive term + s * integral], the integral done by mpmath."""
    import pandas as pd

    r, alpha, s, beta = 0.553, 10.578, 0.606, 11.669
    rows = pd.DataFrame({"frequency": [0, 1, 4, 26, 2], "recency": [0, 5.0, 20.0, 30.86, 38.0], "T": [38.86, 38.86, 30.0, 31.0, 38.0]})
    d = ParetoNBD()._compress(rows)
    got = ParetoNBD()._log_likelihood(np.array([r, alpha, s, beta]), d, grad=False)
    for i in range(len(d.weights)):
        assert got[i] == pytest.approx(_pareto_log_likelihood_mpmath(r, alpha, s, beta, d, i), rel=1e-10)


def _pareto_log_likelihood_mpmath(r, alpha, s, beta, d, i) -> float:
    """Row i's Pareto/NBD log-likelihood at 50 digits: Gamma(r+x) a^r b^s / Gamma(r) [alive term +
    s * (J(t_x) - J(T))], J from mpmath's 2F1 (the note's eq. 19-20, as in the test above)."""
    with mpmath.workdps(50):
        x, tx, T = (mpmath.mpf(float(v[i])) for v in (d["frequency"], d["recency"], d["T"]))
        K = r + s + x

        def J(t):
            return mpmath.hyp2f1(K, s + 1, K + 1, (alpha - beta) / (alpha + t)) / (K * (alpha + t) ** K)

        head = mpmath.loggamma(r + x) - mpmath.loggamma(r) + r * mpmath.log(alpha) + s * mpmath.log(beta)
        return float(head + mpmath.log((alpha + T) ** -(r + x) * (beta + T) ** -s + s * (J(tx) - J(T))))


@pytest.mark.parametrize("model", [BetaGeo, ModifiedBetaGeo])
def test_fast_weighted_sums_equal_the_row_wise_likelihood(model, cdnow_summary):
    from centric.models.clv.btyd import compress_rfm

    _assert_fast_sums_match_rows(model(), compress_rfm(cdnow_summary), np.array([0.4, 5.0, 0.9, 2.0]))


def test_gamma_gamma_fast_sums_equal_the_row_wise_likelihood(cdnow_spend):
    from centric.models.clv import GammaGamma

    m = GammaGamma()
    _assert_fast_sums_match_rows(m, m._compress(cdnow_spend), np.array([5.0, 3.0, 12.0]))


def _assert_fast_sums_match_rows(m, d, theta):
    """The model's weighted sums (and gradient) equal the row-wise likelihood weighted by hand."""
    ll, g = m._log_likelihood(theta, d, grad=True)
    total, grad = m._weighted(theta, d, grad=True)
    assert total == pytest.approx(d.weights @ ll, rel=1e-12)
    np.testing.assert_allclose(grad, d.weights @ g, rtol=1e-10)


def test_gamma_gamma_hessian_matches_finite_differences_of_the_gradient(cdnow_spend):
    from centric.models.clv import GammaGamma

    m = GammaGamma()
    d = m._compress(cdnow_spend)
    theta = np.array([5.0, 3.0, 12.0])
    total, g, H = m._weighted_hessian(theta, d)
    assert total == pytest.approx(m._weighted(theta, d, grad=False), rel=1e-12)
    np.testing.assert_allclose(g, m._weighted(theta, d, grad=True)[1], rtol=1e-10)
    for j in range(3):
        h = 1e-6 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        numeric = (m._weighted(up, d, grad=True)[1] - m._weighted(down, d, grad=True)[1]) / (2 * h)
        np.testing.assert_allclose(H[:, j], numeric, rtol=1e-5)


@pytest.mark.parametrize("name", ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"])
def test_scoring_on_distinct_rows_gives_each_customer_the_same_numbers(name, cdnow_summary, monkeypatch):
    """Above DISTINCT_MIN customers, predictions are computed once per distinct (x, t_x, T) and spread
    back (models/clv/btyd.py on_distinct_rows): equal, row for row, to scoring every customer."""
    from centric.models.clv import btyd

    model = {"BetaGeo": BetaGeo, "ModifiedBetaGeo": ModifiedBetaGeo, "ParetoNBD": ParetoNBD}[name]().fit(cdnow_summary)
    many = cdnow_summary.sample(3 * btyd.DISTINCT_MIN, replace=True, random_state=3).reset_index(drop=True)
    grouped = (model.p_alive(many), model.expected_purchases(many, 39.0), model.p_no_purchase(many, t=39.0))
    monkeypatch.setattr(btyd, "DISTINCT_MIN", 10**12)  # every row on its own
    each = (model.p_alive(many), model.expected_purchases(many, 39.0), model.p_no_purchase(many, t=39.0))
    for a, b in zip(grouped, each):
        assert a.shape == (len(many),)
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=0)
    horizons = np.linspace(1, 52, len(many))  # a horizon per customer: evaluated row by row
    np.testing.assert_allclose(model.expected_purchases(many, horizons)[:5],
                               model.expected_purchases(many.iloc[:5], horizons[:5]), rtol=1e-13)
