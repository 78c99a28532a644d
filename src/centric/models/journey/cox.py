"""Cox proportional hazards with time-varying covariates: how much a driver speeds a move up.

The hazard of moving at time t is h0(t) exp(x(t)'beta) (Cox 1972, "Regression models and life
tables", JRSS B 34). Data come in the counting-process form of Andersen & Gill (1982): one row per
interval (start, stop] in which a customer's covariates are constant, the event only on the row
where it happened, so a touchpoint counts only from the moment it occurred (no immortal time: a
customer who joined the loyalty programme on day 20 was not a member on days 0-20).

Ties are handled by Efron's approximation (1977, JASA 72), the default of R's coxph and of
lifelines, or by Breslow's (1974). The partial likelihood is maximised by Newton-Raphson with
step halving; an optional ridge penalty 0.5 * sum(penalty_j beta_j^2) keeps rare or collinear
drivers finite (Verweij & van Houwelingen 1994, "Penalized likelihood in Cox regression", Stat.
Med. 13). Standard errors come from H^-1 I H^-1, H the penalised and I the unpenalised
information (Gray 1992, JASA 87); without a penalty this is the usual inverse information.

Risk-set sums are taken once per distinct event time from suffix sums over rows sorted by stop
and by start (at risk at t: start < t <= stop), and the information's first term as
X' diag(w c) X with c_i the sum over the event times a row is at risk for, so a fit costs
O(n p^2) per iteration however many event times there are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class CoxError(ValueError):
    """No events, or the data cannot be fitted."""


@dataclass
class CoxFit:
    beta: np.ndarray
    se: np.ndarray
    loglik: float  # partial log-likelihood at beta (unpenalised)
    loglik_null: float  # at beta = 0
    iterations: int
    events: int


class _Problem:
    """The data of one fit, with what does not depend on beta worked out once."""

    def __init__(self, start, stop, event, X, ties):
        self.X = X
        self.times, self.group = np.unique(stop[event], return_inverse=True)  # distinct event times
        self.event_rows = np.flatnonzero(event)
        self.x_events = X[self.event_rows].sum(axis=0)
        # Efron's fractions l/d for l = 0..d-1 in each group of d tied events (Breslow: all 0)
        d = np.bincount(self.group, minlength=len(self.times))
        self.tie_group = np.repeat(np.arange(len(self.times)), d)
        offsets = np.arange(len(self.tie_group)) - np.repeat(np.cumsum(d) - d, d)
        self.fraction = offsets / np.repeat(d, d) if ties == "efron" else np.zeros(len(self.tie_group))
        # each row's at-risk times: the event times in (start, stop]
        self.first_time = np.searchsorted(self.times, start, side="right")
        self.last_time = np.searchsorted(self.times, stop, side="right")
        # at risk at t: start < t <= stop. Sums over them = suffix sums over rows by stop (stop >= t)
        # less suffix sums over rows by start (start >= t); the orders and cut points do not change
        self.by_stop = np.argsort(stop, kind="stable")
        self.by_start = np.argsort(start, kind="stable")
        self.at_stop = np.searchsorted(stop[self.by_stop], self.times, side="left")
        self.at_start = np.searchsorted(start[self.by_start], self.times, side="left")

    def risk_sums(self, values):
        """Sum of values (one per row) over the rows at risk at each event time."""
        zero = np.zeros((1,) + values.shape[1:])
        suffix_stop = np.concatenate([np.cumsum(values[self.by_stop][::-1], axis=0)[::-1], zero])
        suffix_start = np.concatenate([np.cumsum(values[self.by_start][::-1], axis=0)[::-1], zero])
        return suffix_stop[self.at_stop] - suffix_start[self.at_start]

    def evaluate(self, beta):
        """Partial log-likelihood, score and information at beta."""
        X, T = self.X, len(self.times)
        eta = X @ beta
        shift = eta.max() if len(eta) else 0.0
        w = np.exp(eta - shift)
        wx = w[:, None] * X
        s0 = self.risk_sums(w)
        s1 = self.risk_sums(wx)
        rows, g = self.event_rows, self.group
        d0 = np.bincount(g, weights=w[rows], minlength=T)
        d1 = np.zeros((T, X.shape[1]))
        np.add.at(d1, g, wx[rows])
        a, tg = self.fraction, self.tie_group
        den = s0[tg] - a * d0[tg]
        loglik = float(eta[rows].sum() - np.log(den).sum() - shift * len(rows))

        def per_time(values):
            return np.bincount(tg, weights=values, minlength=T)

        r1, ra = per_time(1 / den), per_time(a / den)
        score = self.x_events - (s1 * r1[:, None]).sum(axis=0) + (d1 * ra[:, None]).sum(axis=0)
        cum = np.concatenate([[0.0], np.cumsum(r1)])
        c = cum[self.last_time] - cum[self.first_time]
        c[rows] -= ra[g]
        info = X.T @ (X * (w * c)[:, None])
        r2, ra2, raa = per_time(1 / den**2), per_time(a / den**2), per_time(a * a / den**2)
        cross = s1.T @ (d1 * ra2[:, None])
        info -= s1.T @ (s1 * r2[:, None]) - cross - cross.T + d1.T @ (d1 * raa[:, None])
        return loglik, score, info


def fit_cox(start, stop, event, X, penalty=0.0, ties: str = "efron", max_iter: int = 50,
            tol: float = 1e-9) -> CoxFit:
    """Fit the (optionally ridge-penalised) Cox model on counting-process rows (start, stop].

    penalty: a number or one per column (0 leaves a column unpenalised)."""
    if ties not in ("efron", "breslow"):
        raise CoxError(f"ties must be 'efron' or 'breslow', not {ties!r}")
    start = np.asarray(start, float)
    stop = np.asarray(stop, float)
    event = np.asarray(event, bool)
    X = np.asarray(X, float).reshape(len(stop), -1)
    if not event.any():
        raise CoxError("no one moved: nothing to fit")
    if (stop <= start).any():
        raise CoxError("every interval must end after it starts (stop > start)")
    p = X.shape[1]
    pen = np.broadcast_to(np.asarray(penalty, float), (p,)).copy()
    problem = _Problem(start, stop, event, X, ties)
    beta = np.zeros(p)
    loglik_null, score, info = problem.evaluate(beta)
    loglik, objective = loglik_null, loglik_null
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        step = np.linalg.lstsq(info + np.diag(pen), score - pen * beta, rcond=None)[0]
        for _ in range(30):  # step halving: the penalised likelihood must not fall
            trial = beta + step
            t_loglik, t_score, t_info = problem.evaluate(trial)
            t_objective = t_loglik - 0.5 * float(pen @ trial**2)
            if np.isfinite(t_objective) and t_objective >= objective - 1e-12:
                break
            step /= 2
        else:
            break  # no step raises it: beta is the optimum to working precision
        converged = abs(t_objective - objective) < tol * (1 + abs(objective))
        beta, loglik, score, info, objective = trial, t_loglik, t_score, t_info, t_objective
        if converged:
            break
    h_inv = np.linalg.pinv(info + np.diag(pen))
    cov = h_inv @ info @ h_inv
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    return CoxFit(beta, se, loglik, loglik_null, iteration, int(event.sum()))


def counting_process(durations, events, changes=None, columns=()):
    """Counting-process rows from one duration per subject and the times covariates change.

    durations, events: per subject (time watched, whether it ended in the move).
    changes: a frame of subject (position 0..n-1), time and column: each row adds 1 to that
    column from that time on (a touchpoint that happened then); changes at or before 0 count from
    the start, changes at or after the subject's end are ignored.
    Returns (subject, start, stop, event, Z) with Z the covariates on each interval."""
    import pandas as pd

    durations = np.asarray(durations, float)
    events = np.asarray(events, bool)
    n, columns = len(durations), list(columns)
    if changes is None or len(changes) == 0 or not columns:
        return np.arange(n), np.zeros(n), durations, events, np.zeros((n, len(columns)))
    ch = changes[changes["time"] < durations[changes["subject"].to_numpy()]]
    ch = ch.assign(time=ch["time"].clip(lower=0.0))
    code = pd.Categorical(ch["column"], categories=columns).codes
    ch = ch.assign(code=code)[code >= 0]
    steps = (ch.groupby(["subject", "time", "code"]).size().unstack("code", fill_value=0)
             .reindex(columns=range(len(columns)), fill_value=0))
    cut_subject = steps.index.get_level_values(0).to_numpy()
    cut_time = steps.index.get_level_values(1).to_numpy(float)
    # every subject has a row starting at 0; each change time starts a new one
    subject = np.concatenate([np.arange(n), cut_subject])
    begin = np.concatenate([np.zeros(n), cut_time])
    added = np.vstack([np.zeros((n, len(columns))), steps.to_numpy(float)])
    order = np.lexsort((begin, subject))
    subject, begin, added = subject[order], begin[order], added[order]
    # a change at 0 merges into the starting row
    same = np.r_[False, (subject[1:] == subject[:-1]) & (begin[1:] == begin[:-1])]
    keep_id = np.cumsum(~same) - 1
    merged = np.zeros((int(keep_id[-1]) + 1, len(columns)))
    np.add.at(merged, keep_id, added)
    subject, begin = subject[~same], begin[~same]
    Z = pd.DataFrame(merged).groupby(subject).cumsum().to_numpy()
    last = np.r_[subject[1:] != subject[:-1], True]
    end = np.where(last, durations[subject], np.r_[begin[1:], 0.0])
    return subject, begin, end, events[subject] & last, Z
