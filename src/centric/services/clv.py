"""`centric clv`: fit the customer-value models on the workspace and write what they predict.

1. Model choice: the history is split into calibration and holdout (the last third, at most a
   year); BG/NBD, MBG/NBD and Pareto/NBD are fitted on calibration and compared (log-likelihood,
   BIC, holdout error, table `clv_models`); the lowest holdout MAE wins. The weekly tracking
   curve of the winner goes to `clv_tracking`.
2. The chosen model is refitted on the whole history (in days), Gamma-Gamma on the repeat
   customers' spend, and `customer_value` gets P(alive), expected orders in 90 and 365 days,
   expected order value, discounted CLV over the horizon and a churn-risk band.
3. `clv_rollups`: value by RFM segment and by acquisition channel, with CAC and CLV:CAC per
   channel from `marketing_spend`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from centric.errors import CentricError
from centric.queries.customer_summary import purchases
from centric.services.summary import build_customer_summary, observation_end

MODEL_NAMES = ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD")
CHURN_BANDS = ((0.7, "low"), (0.3, "medium"))  # P(alive) at or above -> band; else high
MIN_HISTORY_FOR_HOLDOUT_DAYS = 120
MONTH_DAYS = 365.25 / 12


class ClvError(CentricError):
    """The workspace's data cannot support the customer-value models."""


@dataclass
class ClvResult:
    model: str
    params: dict
    customers: int
    observed_until: dt.datetime
    calibration_end: dt.datetime | None = None
    comparison: pd.DataFrame | None = None
    spend_model: str = ""
    spend_params: dict = field(default_factory=dict)
    total_clv: float = 0.0
    high_risk: int = 0


def _models():
    from centric.models.clv import BetaGeo, ModifiedBetaGeo, ParetoNBD

    return {"BetaGeo": BetaGeo, "ModifiedBetaGeo": ModifiedBetaGeo, "ParetoNBD": ParetoNBD}


def churn_band(p_alive: np.ndarray) -> np.ndarray:
    out = np.full(len(p_alive), "high", dtype=object)
    for threshold, band in reversed(CHURN_BANDS):
        out[p_alive >= threshold] = band
    return out


def _model_data(store, end, holdout_end=None) -> pd.DataFrame:
    from centric.queries.clv_data import clv_model_data

    expr = clv_model_data(store.ibis().table("orders"), end, "days", holdout_end)
    return store.ibis().execute(expr.order_by("customer_id"))


def _fit(name: str, data: pd.DataFrame):
    from centric.models.clv import ConvergenceError, DataError

    try:
        return _models()[name]().fit(data)
    except DataError as exc:
        raise ClvError(f"{name} cannot be fitted on this shop's orders: {exc}") from exc
    except ConvergenceError as exc:
        raise ClvError(f"{name} did not converge on this shop's orders ({exc}); try another --model") from exc


def choose_model(store, end: dt.datetime, first: dt.datetime, holdout_days: int | None,
                 say: Callable[[str], None]) -> tuple[str, pd.DataFrame | None, dt.datetime | None, pd.DataFrame | None]:
    """Compare the models on a calibration/holdout split; returns (name, comparison, calibration end, tracking)."""
    from centric.models.clv import compare_models, tracking_curve
    from centric.queries.clv_data import repeat_purchase_times

    history = (end - first).days
    holdout = holdout_days or min(365, history // 3)
    if history < MIN_HISTORY_FOR_HOLDOUT_DAYS or holdout < 28 or holdout >= history:
        say(f"history of {history} days is too short to hold out a period: using BetaGeo")
        return "BetaGeo", None, None, None
    cal_end = end - dt.timedelta(days=holdout)
    say(f"comparing models: calibration to {cal_end:%Y-%m-%d}, holdout {holdout} days")
    cal = _model_data(store, cal_end, end)
    if not (cal["frequency"] > 0).any():
        raise ClvError("no customer bought twice before the holdout: the models need repeat purchases")
    candidates = {n: m() for n, m in _models().items()}
    table = compare_models(candidates, cal, cal["frequency_holdout"].to_numpy(), float(holdout))
    chosen = str(table.loc[table["chosen"], "model"].iloc[0])
    fitted = candidates[chosen]  # compare_models fitted it on the calibration period
    origin = dt.datetime.combine(first.date(), dt.time())
    times = store.ibis().execute(repeat_purchase_times(store.ibis().table("orders"), origin, end, "weeks"))
    cohort = times[times["first_time"] <= (cal_end - origin).days / 7]
    births = cohort.loc[cohort["is_first"], "first_time"].to_numpy()
    repeats = cohort.loc[~cohort["is_first"], "time"].to_numpy()
    weeks = int((end - origin).days // 7)  # whole weeks only: a part week would look like a drop
    # the fit is in days: a model in days evaluated at 7 t days gives the weekly curve
    curve = tracking_curve(_InWeeks(fitted), births, repeats, float(weeks))
    curve.insert(0, "week", np.arange(1, len(curve) + 1))
    curve["in_holdout"] = curve["period_end"] > (cal_end - origin).days / 7
    return chosen, table, cal_end, curve.drop(columns="period_end")


class _InWeeks:
    """A model fitted in days, asked for new-customer expectations in weeks."""

    def __init__(self, model):
        self.model = model

    def expected_purchases_new_customer(self, t):
        return self.model.expected_purchases_new_customer(np.asarray(t) * 7.0)


def build_customer_value(store, settings, model: str = "auto", holdout_days: int | None = None,
                         progress: Callable[[str], None] | None = None) -> ClvResult:
    from centric.models.clv import DataError, GammaGamma, discounted_value

    say = progress or (lambda _msg: None)
    if model != "auto" and model not in MODEL_NAMES:
        raise ClvError(f"unknown model {model!r}: choose auto or one of {', '.join(MODEL_NAMES)}")
    end = observation_end(store)
    if end is None:
        raise ClvError("no orders yet: load them with `centric ingest orders FILE`, then run `centric clv`")
    first = store.con.execute("SELECT min(ordered_at) FROM orders WHERE status = 'completed'").fetchone()[0]
    if not store.has_rows("customer_summary"):
        build_customer_summary(store, cuts=settings.rfm_cuts)
    comparison = tracking = cal_end = None
    if model == "auto":
        model, comparison, cal_end, tracking = choose_model(store, end, first, holdout_days, say)
    say(f"fitting {model} on the whole history")
    data = _model_data(store, end)
    if len(data) < 2:
        raise ClvError("fewer than two customers with purchases: nothing to model yet")
    fitted = _fit(model, data)
    p_alive = fitted.p_alive(data)
    e90 = fitted.expected_purchases(data, 90.0)
    e365 = fitted.expected_purchases(data, 365.0)

    say("fitting Gamma-Gamma on repeat customers' spend")
    repeaters = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    spend_model, spend_params = "mean order value", {}
    try:
        gg = GammaGamma().fit(repeaters) if len(repeaters) >= 20 else None
        spend = gg.expected_spend(data) if gg is not None else None
        if gg is not None:
            spend_model, spend_params = "GammaGamma", gg.params_
    except (DataError, RuntimeError):
        spend = None
    if spend is None:
        buys = purchases(store.ibis().table("orders"))
        mean = store.ibis().execute(buys.value.mean()) or 0.0
        spend = np.full(len(data), mean)
    clv = discounted_value(fitted, data, spend, horizon=float(settings.clv_horizon_days), step=MONTH_DAYS,
                           year=365.25, annual_discount=settings.clv_discount_rate, margin=settings.clv_margin)
    value = pd.DataFrame({
        "customer_id": data["customer_id"].astype(str), "model": model, "p_alive": p_alive,
        "expected_orders_90d": e90, "expected_orders_365d": e365, "expected_order_value": spend,
        "predicted_clv": clv, "churn_risk": churn_band(p_alive), "computed_at": pd.Timestamp(end),
    })
    store.replace_table("customer_value", value)
    _write_models(store, comparison, model, fitted.params_, spend_params)
    store.replace_table("clv_tracking", tracking if tracking is not None else _empty("clv_tracking"))
    say("value by RFM segment and acquisition channel")
    build_rollups(store, settings)
    return ClvResult(model, fitted.params_, len(value), end, cal_end, comparison, spend_model, spend_params,
                     float(np.sum(clv)), int((value["churn_risk"] == "high").sum()))


def _empty(table: str) -> pd.DataFrame:
    from centric.schema import OUTPUT_TABLES

    return pd.DataFrame({c.name: pd.Series(dtype=object) for c in OUTPUT_TABLES[table].columns}).iloc[:0]


def _write_models(store, comparison: pd.DataFrame | None, chosen: str, params: dict, spend_params: dict) -> None:
    rows = [{"model": "GammaGamma", "chosen": True, "params": json.dumps(spend_params)}] if spend_params else []
    if comparison is None:
        rows.append({"model": chosen, "chosen": True, "params": json.dumps(params)})
    else:
        for rec in comparison.to_dict("records"):
            rows.append({
                "model": rec["model"], "log_likelihood": rec.get("log_likelihood"), "bic": rec.get("bic"),
                "holdout_mae": rec.get("holdout_mae"), "holdout_actual": rec.get("holdout_total_actual"),
                "holdout_predicted": rec.get("holdout_total_predicted"), "chosen": bool(rec["chosen"]),
                "params": json.dumps(params) if rec["model"] == chosen else None,
                "error": rec.get("error") if isinstance(rec.get("error"), str) else None,
            })
    frame = pd.DataFrame(rows)
    for col in ("log_likelihood", "bic", "holdout_mae", "holdout_actual", "holdout_predicted", "error"):
        if col not in frame.columns:
            frame[col] = None
    store.replace_table("clv_models", frame)


def build_rollups(store, settings) -> int:
    from centric.queries.clv_rollups import clv_rollups

    db = store.ibis()
    expr = clv_rollups(db.table("customer_value"), db.table("customer_summary"), db.table("customers"),
                       db.table("marketing_spend"), settings.clv_margin)
    return store.replace_table("clv_rollups", expr)
