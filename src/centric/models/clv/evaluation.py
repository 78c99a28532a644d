"""Holdout validation of the transaction models, and a comparison table that picks a default.

As in Fader, Hardie & Lee (2005, sec. 4): fit on a calibration period, then compare
- conditional expectations: mean predicted vs actual holdout repeat purchases, by calibration
  frequency (their Figure 4) and per customer (mean absolute error);
- tracking: cumulative and per-period repeat purchases of the whole cohort, actual against the
  model's unconditional expectation summed over customers by their first-purchase time (Figure 3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from centric.models.clv.base import ConvergenceError, DataError, as_float_column


def holdout_by_frequency(model, calibration: pd.DataFrame, actual_holdout, duration: float,
                         max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases per calibration frequency (last bin is x >= max)."""
    predicted = model.expected_purchases(calibration, duration)
    x = as_float_column(calibration, "frequency")
    frame = pd.DataFrame({"frequency": np.minimum(x, max_frequency).astype(int),
                          "actual": np.asarray(actual_holdout, dtype=float), "predicted": predicted})
    out = frame.groupby("frequency").agg(customers=("actual", "size"), actual=("actual", "mean"),
                                         predicted=("predicted", "mean")).reset_index()
    out["frequency"] = out["frequency"].astype(str)
    out.loc[out.index[-1], "frequency"] = f"{max_frequency}+" if x.max() >= max_frequency else out["frequency"].iloc[-1]
    return out


def holdout_error(model, calibration: pd.DataFrame, actual_holdout, duration: float) -> dict[str, float]:
    """Per-customer MAE and RMSE of holdout purchases, and the error of their total."""
    predicted = model.expected_purchases(calibration, duration)
    actual = np.asarray(actual_holdout, dtype=float)
    return {
        "mae": float(np.mean(np.abs(predicted - actual))),
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
        "total_actual": float(actual.sum()),
        "total_predicted": float(predicted.sum()),
    }


def tracking_curve(model, first_purchase, repeat_times, horizon: float, step: float = 1.0) -> pd.DataFrame:
    """Per-period and cumulative repeat purchases, actual vs expected.

    first_purchase: each customer's first purchase time; repeat_times: the time of every repeat
    purchase (same unit and origin). Expected repeat purchases by time t are
    sum_i E[X(t - first_i)] over customers acquired before t.
    """
    births = np.asarray(first_purchase, dtype=float)
    repeats = np.asarray(repeat_times, dtype=float)
    edges = np.arange(step, horizon + step / 2, step)
    ages, counts = np.unique(births, return_counts=True)
    predicted_cum = np.array([
        (counts[ages < t] * model.expected_purchases_new_customer(t - ages[ages < t])).sum() for t in edges
    ])
    actual_cum = np.array([(repeats <= t).sum() for t in edges], dtype=float)
    return pd.DataFrame({
        "period_end": edges,
        "actual": np.diff(np.concatenate([[0.0], actual_cum])),
        "predicted": np.diff(np.concatenate([[0.0], predicted_cum])),
        "actual_cumulative": actual_cum,
        "predicted_cumulative": predicted_cum,
    })


def compare_models(models: dict, calibration: pd.DataFrame, actual_holdout=None, duration: float | None = None,
                   ) -> pd.DataFrame:
    """Fit each model on the calibration data; one row each with log-likelihood, BIC and holdout error.

    The default (column `chosen`) is the lowest holdout MAE when a holdout is given, else the lowest BIC.
    A model that fails to converge is listed with its error rather than stopping the comparison.
    """
    rows = []
    for name, model in models.items():
        row = {"model": name}
        try:
            model.fit(calibration)
        except (ConvergenceError, DataError) as exc:
            row["error"] = str(exc)
            rows.append(row)
            continue
        row.update(log_likelihood=model.log_likelihood_, bic=model.bic(), n_params=model.n_params)
        if actual_holdout is not None and duration is not None:
            err = holdout_error(model, calibration, actual_holdout, duration)
            row.update(holdout_mae=err["mae"], holdout_total_actual=err["total_actual"],
                       holdout_total_predicted=err["total_predicted"])
        rows.append(row)
    table = pd.DataFrame(rows)
    if "bic" not in table.columns:
        raise ConvergenceError("no model could be fitted", None)
    key = "holdout_mae" if "holdout_mae" in table.columns else "bic"
    table["chosen"] = False
    table.loc[table[key].idxmin(), "chosen"] = True
    return table
