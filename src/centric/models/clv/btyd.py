"""Data of the non-contractual "buy till you die" models: frequency, recency and T per customer.

frequency x is the number of repeat purchases, recency t_x the time of the last one and T the
time since the first purchase, all in the same unit (days, weeks, ...), as in Fader, Hardie &
Lee (2005). Customers are compressed to unique (x, t_x, T) rows with weights; each column is
factorised once more so that terms depending on x only, t_x only or T only are computed once per
distinct value (a shop's data has a few dozen distinct x and a few hundred distinct days).
"""

from __future__ import annotations

import functools
from abc import abstractmethod

import numpy as np
import pandas as pd

from centric.models.clv.base import CLVModel, Compressed, DataError, Factor, as_float_column, compress

COLUMNS = ("frequency", "recency", "T")
DISTINCT_MIN = 20_000  # customers below which scoring each row costs less than grouping the rows first


def check_rfm(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    if (x < 0).any() or (np.abs(x - np.round(x)) > 1e-9).any():
        raise DataError("frequency must be a whole number >= 0 (the number of repeat purchases)")
    if (t_x < 0).any() or (T < 0).any():
        raise DataError("recency and T must not be negative")
    if (t_x > T + 1e-9).any():
        raise DataError("recency must not be larger than T (the last purchase cannot follow the end of observation)")
    if ((x == 0) & (t_x > 0)).any():
        raise DataError("a customer with frequency 0 must have recency 0")


def compress_rfm(data: pd.DataFrame) -> Compressed:
    d = compress(data, COLUMNS, weights="weights")
    check_rfm(d["frequency"], d["recency"], d["T"])
    if (d["frequency"] != np.round(d["frequency"])).any():
        d.columns["frequency"] = np.round(d["frequency"])
        d.factors["frequency"] = Factor.of(d["frequency"])
    return d


def rfm_arrays(data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """frequency, recency, T of data given to a prediction (a DataFrame or a mapping of arrays)."""
    if isinstance(data, pd.DataFrame):
        x, t_x, T = (as_float_column(data, c) for c in COLUMNS)
    else:
        x, t_x, T = (np.atleast_1d(np.asarray(data[c], dtype=float)) for c in COLUMNS)
    check_rfm(x, t_x, T)
    return x, t_x, T


def on_distinct_rows(method):
    """A per-customer prediction of these models depends on (x, t_x, T) and the horizon only, so it is
    computed once per distinct (x, t_x, T) row and spread back to the customers. A shop's customers
    share far fewer distinct rows than there are customers (whole purchase counts, and recency and T in
    days bounded by the history), so scoring 2M customers costs about what scoring those rows costs:
    the same numbers, row for row. A horizon given per customer (an array) is evaluated row by row."""

    @functools.wraps(method)
    def wrapper(self, data, *args, **kwargs):
        x, t_x, T = rfm_arrays(data)
        rows = {"frequency": x, "recency": t_x, "T": T}
        if len(x) < DISTINCT_MIN or any(np.size(a) > 1 for a in (*args, *kwargs.values())):
            return method(self, rows, *args, **kwargs)
        distinct = compress(pd.DataFrame(rows), COLUMNS)
        return np.asarray(method(self, {c: distinct[c] for c in COLUMNS}, *args, **kwargs))[distinct.inverse]

    return wrapper


class TransactionModel(CLVModel):
    """Shared by BG/NBD, MBG/NBD and Pareto/NBD: data handling and population summaries."""

    def _compress(self, data: pd.DataFrame) -> Compressed:
        return compress_rfm(data)

    def _check_fit_data(self, d: Compressed) -> None:
        if d.n_customers < 2 or not (d["frequency"] > 0).any():
            raise DataError("fitting needs customers with repeat purchases; none of these has any")

    def _initial_params(self, d: Compressed) -> np.ndarray:
        # rate guess from the data: purchases per unit of time scales alpha (and beta)
        w = d.weights
        rate = (w @ d["frequency"]) / max(w @ d["T"], 1e-9)
        scale = 1.0 / max(rate, 1e-9)
        guess = {"r": 1.0, "alpha": scale, "a": 1.0, "b": 1.0, "s": 1.0, "beta": scale}
        return np.array([guess[p] for p in self._param_names])

    @abstractmethod
    def _alive_and_dead(self, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
        """log of the likelihood's two terms, "alive at T" and "dropped out", up to a common factor."""

    @abstractmethod
    def expected_purchases(self, data, t):
        """E[X(T, T+t) | x, t_x, T]: expected purchases in the next t."""

    @abstractmethod
    def expected_purchases_new_customer(self, t):
        """E[X(t)] for a customer just acquired."""

    def p_alive(self, data):
        """P(alive at T | x, t_x, T): the "alive" term's share of the likelihood (FHL 2005 eq. 11;
        Fader & Hardie's Pareto/NBD note eq. 36-37).

        The last answer is kept with its parameters and rows: scoring asks it again for every horizon
        (expected purchases over 90 and 365 days and each month of the CLV sum multiply by it), and
        for the Pareto/NBD each answer costs a hypergeometric function per row."""
        x, t_x, T = rfm_arrays(data)
        key = (tuple(self._require_fit()), x.tobytes(), t_x.tobytes(), T.tobytes())
        last = self.__dict__.get("_last_p_alive")
        if last is not None and last[0] == key:
            return last[1].copy()
        value = np.asarray(self._p_alive({"frequency": x, "recency": t_x, "T": T}))
        self._last_p_alive = (key, value)
        return value.copy()

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_last_p_alive", None)  # a cache, not part of the model
        return state

    @on_distinct_rows
    def _p_alive(self, data):
        x, t_x, T = rfm_arrays(data)
        alive, dead = self._alive_and_dead(x, t_x, T)
        return np.exp(alive - np.logaddexp(alive, dead))

    def frequency_recency_matrix(self, T: float, max_frequency: int, kind: str = "p_alive", t: float = 1.0,
                                 recency_steps: int | None = None) -> pd.DataFrame:
        """Data to plot a frequency x recency heat map of P(alive) or expected purchases in t.

        Rows are recency (0..T), columns frequency (0..max_frequency), for customers of age T.
        """
        steps = recency_steps or int(np.ceil(T)) + 1
        recency = np.linspace(0.0, T, steps)
        freq = np.arange(max_frequency + 1, dtype=float)
        x, t_x = np.meshgrid(freq, recency)
        x, t_x = x.ravel(), t_x.ravel()
        keep = ~((x == 0) & (t_x > 0))
        frame = {"frequency": x[keep], "recency": t_x[keep], "T": np.full(keep.sum(), float(T))}
        values = self.p_alive(frame) if kind == "p_alive" else self.expected_purchases(frame, t)
        out = np.full(x.shape, np.nan)
        out[keep] = values
        return pd.DataFrame(out.reshape(len(recency), len(freq)), index=pd.Index(recency, name="recency"),
                            columns=pd.Index(freq.astype(int), name="frequency"))
