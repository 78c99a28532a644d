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
    """Group identical rows of `columns` and count them (or add up the `weights` column)."""
    arrays = {c: as_float_column(data, c) for c in columns}
    w = as_float_column(data, weights) if weights and weights in data.columns else np.ones(len(data))
    if (w < 0).any():
        raise DataError("weights must not be negative")
    if len(data) == 0:
        raise DataError("the data has no rows")
    frame = pd.DataFrame(arrays)
    codes, uniques = pd.MultiIndex.from_frame(frame).factorize() if len(columns) > 1 else pd.factorize(frame[columns[0]])
    counts = np.bincount(codes, weights=w)
    if len(columns) > 1:
        unique_cols = {c: uniques.get_level_values(i).to_numpy(dtype=float) for i, c in enumerate(columns)}
    else:
        unique_cols = {columns[0]: np.asarray(uniques, dtype=float)}
    return Compressed(unique_cols, counts, codes)


class CLVModel:
    """Base of the models: subclasses define `_param_names`, `_compress`, `_log_likelihood`."""

    _param_names: tuple[str, ...] = ()

    def __init__(self, penalizer: float = 0.0, tol: float = 1e-10, max_iter: int = 2000):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter

    # ----- what a model defines -------------------------------------------------------------
    def _compress(self, data: pd.DataFrame) -> Compressed:
        raise NotImplementedError

    def _log_likelihood(self, params: np.ndarray, d: Compressed, grad: bool):
        """Per-row log-likelihood, and with grad=True its gradient in the natural parameters (rows x k)."""
        raise NotImplementedError

    def _initial_params(self, d: Compressed) -> np.ndarray:
        return np.ones(len(self._param_names))

    # ----- the fit ----------------------------------------------------------------------------
    def _objective(self, log_params: np.ndarray, d: Compressed, analytic: bool):
        params = np.exp(log_params)
        n = d.n_customers
        if analytic:
            ll, g = self._log_likelihood(params, d, grad=True)
            value = -(d.weights @ ll) / n + self.penalizer * np.sum(params**2)
            grad_nat = -(d.weights @ g) / n + 2 * self.penalizer * params
            if not np.isfinite(value):
                return np.inf, np.zeros_like(params)
            return value, grad_nat * params  # chain rule to log-parameters
        ll = self._log_likelihood(params, d, grad=False)
        value = -(d.weights @ ll) / n + self.penalizer * np.sum(params**2)
        return value if np.isfinite(value) else np.inf

    def _has_gradient(self) -> bool:
        return getattr(self, "_analytic_gradient", False)

    def fit(self, data: pd.DataFrame, initial_params: dict | None = None):
        d = self._compress(data)
        self._check_fit_data(d)
        x0 = np.log(np.array([initial_params[p] for p in self._param_names], dtype=float)
                    if initial_params else self._initial_params(d))
        analytic = self._has_gradient()
        if analytic:
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
        ll = self._final_log_likelihood(params, d)
        self.log_likelihood_ = float(d.weights @ ll)
        self.n_customers_ = d.n_customers
        self.standard_errors_ = self._standard_errors(params, d)
        self.converged_ = bool(result.success)
        self.n_iter_ = int(result.nit)
        return self

    def _check_fit_data(self, d: Compressed) -> None:
        pass

    def _final_log_likelihood(self, params: np.ndarray, d: Compressed) -> np.ndarray:
        out = self._log_likelihood(params, d, grad=False)
        return out[0] if isinstance(out, tuple) else out

    def _total_gradient(self, params: np.ndarray, d: Compressed) -> np.ndarray:
        """Gradient of the total negative log-likelihood in the natural parameters."""
        if self._has_gradient():
            _, g = self._log_likelihood(params, d, grad=True)
            return -(d.weights @ g)
        return approx_fprime(params, lambda p: -(d.weights @ self._final_log_likelihood(p, d)),
                             1e-7 * np.maximum(params, 1e-3))

    def _standard_errors(self, params: np.ndarray, d: Compressed) -> dict[str, float]:
        k = len(params)
        hessian = np.empty((k, k))
        for j in range(k):
            h = 1e-5 * max(params[j], 1e-6)
            up, down = params.copy(), params.copy()
            up[j] += h
            down[j] -= h
            hessian[:, j] = (self._total_gradient(up, d) - self._total_gradient(down, d)) / (2 * h)
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
