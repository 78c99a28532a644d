"""What every customer-value model shares: input checks, compression, the fit, standard errors, JSON.

Follows scikit-learn's estimator contract: `__init__` only stores hyperparameters; `fit(data)`
returns self; the learned state ends in `_` and holds no training data; parameters save as JSON.
The fit maximises the log-likelihood over log-parameters (every parameter is positive) with
L-BFGS-B, from an analytic gradient where the model has one. Standard errors come from the
inverse of the observed information (the Hessian of the negative log-likelihood in the natural
parameters, by central differences of the gradient).

The optional penalizer adds penalizer * sum(theta^2) to the mean negative log-likelihood per
customer, as lifetimes does, so a penalised fit matches it.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import OptimizeResult, approx_fprime, minimize


class ConvergenceError(RuntimeError):
    """The optimiser did not converge; `result` is scipy's OptimizeResult for inspection."""

    def __init__(self, message: str, result: OptimizeResult):
        super().__init__(message)
        self.result = result


class DataError(ValueError):
    """The data given to a model is not of the shape or range the model needs."""


@dataclass
class Compressed:
    """Unique rows of the model's columns with how many customers each stands for."""

    columns: dict[str, np.ndarray]
    weights: np.ndarray
    inverse: np.ndarray  # row i of the input is unique row inverse[i]
    factors: dict = field(default_factory=dict)  # per column: its distinct values, for per-value terms

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    @property
    def n_customers(self) -> float:
        return float(self.weights.sum())


def as_float_column(data: pd.DataFrame, name: str) -> np.ndarray:
    if name not in data.columns:
        raise DataError(f"the data needs a column {name!r} (it has: {', '.join(map(str, data.columns))})")
    values = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise DataError(f"column {name!r} has missing or non-numeric values")
    return values


def compress(data: pd.DataFrame, columns: tuple[str, ...], weights: str | None = None) -> Compressed:
    """Group identical rows of `columns` and count them (or add up the `weights` column).

    Each column is factorised on its own (a hash pass), the codes are combined into one integer
    key, and the key is factorised again: far cheaper than grouping on a MultiIndex. The unique rows
    come in the order of their values, not of the input, so a fit depends on the multiset of rows
    alone: the customers in any order, or their weighted distinct rows (the Spark engine's fit
    input, services/clv_scoring.py), give the same arrays and the same fit.
    """
    if len(data) == 0:
        raise DataError("the data has no rows")
    arrays = {c: as_float_column(data, c) for c in columns}
    w = as_float_column(data, weights) if weights and weights in data.columns else np.ones(len(data))
    if (w < 0).any():
        raise DataError("weights must not be negative")
    key = np.zeros(len(data), dtype=np.int64)
    radix = 1
    per_column = {}
    for c in columns:
        codes, uniques = pd.factorize(arrays[c], sort=True)
        per_column[c] = (codes, uniques)
        radix *= max(len(uniques), 1)
        if radix >= 2**62:
            raise DataError("too many distinct values to compress these rows")
        key = key * len(uniques) + codes
    inverse, unique_keys = pd.factorize(key, sort=True)
    first = np.empty(len(unique_keys), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(key))[::-1]  # first row of each unique key
    counts = np.bincount(inverse, weights=w, minlength=len(unique_keys))
    unique_cols = {c: arrays[c][first] for c in columns}
    # each column's own distinct values, indexed per unique row (for terms of one column only)
    factors = {c: Factor(uniques, codes[first]) for c, (codes, uniques) in per_column.items()}
    return Compressed(unique_cols, counts, inverse, factors)


class Factor:
    """A column as its distinct values and, per row, the index of its value."""

    __slots__ = ("values", "index")

    def __init__(self, values: np.ndarray, index: np.ndarray):
        self.values, self.index = np.asarray(values, dtype=float), index

    @classmethod
    def of(cls, column: np.ndarray) -> "Factor":
        codes, uniques = pd.factorize(column, sort=False)
        return cls(uniques, codes)

    def take(self, per_value: np.ndarray) -> np.ndarray:
        return per_value[self.index]


class CLVModel(ABC):
    """Base of the models: subclasses define `_param_names`, `_compress`, `_log_likelihood`."""

    _param_names: tuple[str, ...] = ()

    def __init__(self, penalizer: float = 0.0, tol: float = 1e-10, max_iter: int = 2000):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter

    # ----- what a model defines -------------------------------------------------------------
    @abstractmethod
    def _compress(self, data: pd.DataFrame) -> Compressed:
        """The model's columns of `data`, checked and compressed to unique rows with weights."""

    @abstractmethod
    def _log_likelihood(self, params: np.ndarray, d: Compressed, grad: bool):
        """Per-row log-likelihood, and with grad=True its gradient in the natural parameters (rows x k)."""

    def _initial_params(self, d: Compressed) -> np.ndarray:
        return np.ones(len(self._param_names))

    # ----- the fit ----------------------------------------------------------------------------
    def _weighted(self, params: np.ndarray, d: Compressed, grad: bool):
        """Total log-likelihood (and its gradient in the natural parameters) over the weighted rows.

        The default sums `_log_likelihood`'s rows; a model may compute the sums more cheaply.
        """
        if grad:
            ll, g = self._log_likelihood(params, d, grad=True)
            return d.weights @ ll, d.weights @ g
        out = self._log_likelihood(params, d, grad=False)
        return d.weights @ (out[0] if isinstance(out, tuple) else out)

    def _objective(self, log_params: np.ndarray, d: Compressed, analytic: bool):
        params = np.exp(log_params)
        n = d.n_customers
        if analytic:
            total, g = self._weighted(params, d, grad=True)
            value = -total / n + self.penalizer * np.sum(params**2)
            if not np.isfinite(value) or not np.isfinite(g).all():
                return np.inf, np.zeros_like(params)
            grad_nat = -g / n + 2 * self.penalizer * params
            return value, grad_nat * params  # chain rule to log-parameters
        value = -self._weighted(params, d, grad=False) / n + self.penalizer * np.sum(params**2)
        return value if np.isfinite(value) else np.inf

    def _newton(self, x0: np.ndarray, d: Compressed) -> OptimizeResult:
        """Trust-region Newton steps in log-parameters, from the model's exact Hessian."""
        n = d.n_customers
        last: dict = {}

        def evaluate(phi):
            key = phi.tobytes()
            if last.get("key") != key:
                theta = np.exp(phi)
                total, g, H = self._weighted_hessian(theta, d)
                value = -total / n + self.penalizer * np.sum(theta**2)
                g_nat = -g / n + 2 * self.penalizer * theta
                H_nat = -H / n + 2 * self.penalizer * np.eye(len(theta))
                grad = theta * g_nat
                hess = np.outer(theta, theta) * H_nat + np.diag(grad)
                if not (np.isfinite(value) and np.isfinite(hess).all()):
                    value, grad, hess = np.inf, np.zeros_like(phi), np.eye(len(phi))
                last.update(key=key, value=value, grad=grad, hess=hess)
            return last

        return minimize(lambda phi: (evaluate(phi)["value"], evaluate(phi)["grad"]), x0, jac=True,
                        hess=lambda phi: evaluate(phi)["hess"], method="trust-exact",
                        options={"maxiter": self.max_iter, "gtol": self.tol})

    def _has_gradient(self) -> bool:
        return getattr(self, "_analytic_gradient", False)

    def fit(self, data: pd.DataFrame, initial_params: dict | None = None, standard_errors: bool = True):
        """Maximum likelihood on `data`, from `initial_params` when given (a warm start); standard_errors=False
        skips the parameters' standard errors (k + 1 more gradients: a refit that reports none)."""
        d = self._compress(data)
        self._check_fit_data(d)
        x0 = np.log(np.array([initial_params[p] for p in self._param_names], dtype=float)
                    if initial_params else self._initial_params(d))
        analytic = self._has_gradient()
        if hasattr(self, "_weighted_hessian"):
            result = self._newton(x0, d)
        elif analytic:
            result = minimize(self._objective, x0, args=(d, True), jac=True, method="L-BFGS-B",
                              options={"maxiter": self.max_iter, "ftol": self.tol * 1e-2, "gtol": self.tol})
        else:
            result = minimize(self._objective, x0, args=(d, False), method="L-BFGS-B",
                              options={"maxiter": self.max_iter, "ftol": self.tol * 1e-2, "gtol": self.tol * 10})
        if not result.success and not _converged_enough(result, self.tol):
            raise ConvergenceError(f"{type(self).__name__} did not converge: {result.message}", result)
        params = np.exp(result.x)
        if not np.isfinite(params).all():
            raise ConvergenceError(f"{type(self).__name__} went to a boundary: parameters {params}", result)
        self.params_ = dict(zip(self._param_names, map(float, params)))
        self.log_likelihood_ = float(self._weighted(params, d, grad=False))
        self.n_customers_ = d.n_customers
        self.standard_errors_ = (self._standard_errors(params, d) if standard_errors
                                 else dict.fromkeys(self._param_names, float("nan")))
        self.converged_ = bool(result.success)
        self.n_iter_ = int(result.nit)
        return self

    def _check_fit_data(self, d: Compressed) -> None:
        pass

    def _total_gradient(self, params: np.ndarray, d: Compressed) -> np.ndarray:
        """Gradient of the total negative log-likelihood in the natural parameters."""
        if self._has_gradient():
            return -self._weighted(params, d, grad=True)[1]
        return approx_fprime(params, lambda p: -self._weighted(p, d, grad=False), 1e-7 * np.maximum(params, 1e-3))

    def _standard_errors(self, params: np.ndarray, d: Compressed) -> dict[str, float]:
        k = len(params)
        hessian = np.empty((k, k))
        if hasattr(self, "_weighted_hessian"):
            hessian = -self._weighted_hessian(params, d)[2]
        else:
            at = self._total_gradient(params, d)
            for j in range(k):  # forward differences of the gradient: k + 1 gradients in all
                h = 1e-6 * max(params[j], 1e-6)
                step = params.copy()
                step[j] += h
                hessian[:, j] = (self._total_gradient(step, d) - at) / h
        hessian = (hessian + hessian.T) / 2
        try:
            cov = np.linalg.inv(hessian)
            se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
        except np.linalg.LinAlgError:
            se = np.full(k, np.nan)
        return dict(zip(self._param_names, map(float, se)))

    # ----- shared reporting -------------------------------------------------------------------
    def _require_fit(self) -> np.ndarray:
        if not hasattr(self, "params_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(data) first")
        return np.array([self.params_[p] for p in self._param_names])

    @property
    def n_params(self) -> int:
        return len(self._param_names)

    def bic(self) -> float:
        """Schwarz's criterion: -2 LL + k ln(n), n the number of customers."""
        self._require_fit()
        return -2 * self.log_likelihood_ + self.n_params * np.log(self.n_customers_)

    def summary(self) -> pd.DataFrame:
        self._require_fit()
        return pd.DataFrame({
            "estimate": pd.Series(self.params_),
            "std_error": pd.Series(self.standard_errors_),
        })

    def to_json(self) -> str:
        self._require_fit()
        return json.dumps({
            "model": type(self).__name__,
            "hyperparameters": {"penalizer": self.penalizer, "tol": self.tol, "max_iter": self.max_iter},
            "params": self.params_,
            "standard_errors": self.standard_errors_,
            "log_likelihood": self.log_likelihood_,
            "n_customers": self.n_customers_,
        })

    @classmethod
    def from_json(cls, text: str):
        state = json.loads(text)
        if state.get("model") != cls.__name__:
            raise DataError(f"this JSON holds a {state.get('model')}, not a {cls.__name__}")
        model = cls(**state["hyperparameters"])
        model.params_ = {k: float(v) for k, v in state["params"].items()}
        model.standard_errors_ = state["standard_errors"]
        model.log_likelihood_ = state["log_likelihood"]
        model.n_customers_ = state["n_customers"]
        return model

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}(penalizer={self.penalizer})"


def _converged_enough(result: OptimizeResult, tol: float) -> bool:
    """L-BFGS-B can stop on 'ABNORMAL' line searches at an optimum reached to machine precision."""
    jac = getattr(result, "jac", None)
    return bool(np.isfinite(result.fun) and jac is not None and np.max(np.abs(jac)) < max(tol * 1e3, 1e-6))
