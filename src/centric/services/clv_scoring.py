"""Customer value per customer: the fits' input on the driver, the scoring where the customers are.

Rule: the models are fitted on the driver from sufficient statistics, and every customer's
customer_value row is computed by one picklable function (`Scoring`) from the fitted models and that
customer's own model data, so the same code gives the same figures on both engines:

- DuckDB: the per-customer model data is one pandas frame; `Scoring` scores it whole.
- Spark: the per-customer model data stays on the cluster. The driver collects only the fits' input,
  one row per distinct (frequency, recency, T, monetary_value) with the number of customers holding
  it (`weights`; the models' likelihoods are weighted sums, so the fit is the one on every customer);
  the fitted models travel inside `Scoring` to the executors, which score their partitions with
  mapInPandas (store.map_partitions), and customer_value is written from Spark without reaching the
  driver.

The Classifier's BG/NBD feature (models/clv/classifier.py) is a BG/NBD fitted on the customers it
scores: on Spark it is fitted once on the driver from the same weighted rows and given to `Scoring`,
so a partition's customers get the feature of the whole population, not of their partition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from centric.errors import CentricError

MONTH_DAYS = 365.25 / 12


class ClvError(CentricError):
    """The workspace's data cannot support the customer-value models (services/clv.py raises it)."""


def as_of_reversals(store, end=None):
    """The order_reversals table when reading purchases as known at a cut-off can differ from the final
    values (queries/clv_data.py, clv_features.py), else None (the same values, without the join): only
    when a credit note is linked and, given `end`, when `end`'s day is before the last order's day (a
    credit note is dated no later than the last order: from that day on every one is known). Without
    `end` (several cut-offs before a scoring one, services/clv.py) only the first condition."""
    from centric.services.summary import observation_end

    if not store.has_rows("order_reversals"):
        return None
    if end is not None:
        last = observation_end(store)
        if last is None or pd.Timestamp(end).date() >= pd.Timestamp(last).date():
            return None
    return store.ibis().table("order_reversals")


def model_data(store, end, holdout_end=None, features: bool = False) -> pd.DataFrame:
    """frequency, recency, T, ... per customer at `end`, on the driver; with features, also the
    Classifier's feature columns at `end` (queries/clv_features.py: purchases up to `end`'s day only).
    Both read the purchases up to `end`'s day as known at its end (no credit note dated later): the
    same values as the final ones when `end` is the last order; at a holdout's calibration end, the
    backtest knows only what was known then."""
    from centric.queries.clv_data import clv_model_data
    from centric.queries.clv_features import FEATURES, customer_features

    db = store.ibis()
    reversals = as_of_reversals(store, end)
    data = db.execute(clv_model_data(db.table("orders"), store.moment("clv_end", end), "days", holdout_end,
                                     reversals).order_by("customer_id"))
    if not features:
        return data
    extra = [c for c in FEATURES if c not in data.columns]
    feats = db.execute(customer_features(db.table("orders"), db.table("order_lines"), end,
                                         customers=db.table("customers"), reversals=reversals)
                       .select("customer_id", *extra))
    merged = data.merge(feats, on="customer_id", how="left")
    if merged[extra].isna().any().any():  # both queries read the same purchases: a gap is a defect
        raise ClvError("the classifier's features do not cover every customer of the model data")
    return merged


def on_spark(store) -> bool:
    return getattr(store, "engine", "duckdb") == "spark"


class Customers:
    """The customers' model data at `end`: a pandas frame on DuckDB (`frame`), an Ibis expression left on
    the cluster on Spark (`expr`); `fit` is what the fits read (the frame itself, or the weighted
    distinct rows)."""

    def __init__(self, store, end, features: bool = False):
        self.store = store
        self.frame = self.expr = None
        if not on_spark(store):
            self.frame = self.fit = model_data(store, end, features=features)
            return
        from centric.queries.clv_data import clv_model_data, fit_rows

        db = store.ibis()
        data = clv_model_data(db.table("orders"), end, "days")
        self.fit = db.execute(fit_rows(data))
        if features:
            from centric.queries.clv_features import FEATURES, customer_features

            extra = [c for c in FEATURES if c not in data.columns]
            feats = customer_features(db.table("orders"), db.table("order_lines"), end,
                                      customers=db.table("customers")).select("customer_id", *extra)
            data = data.left_join(feats, "customer_id").select(*data.columns, *extra)
        self.expr = data

    def __len__(self) -> int:
        return len(self.frame) if self.frame is not None else int(round(self.fit["weights"].sum()))

    def mean(self, column: str) -> float:
        if self.frame is not None:
            return float(self.frame[column].mean())
        w = self.fit["weights"].to_numpy(dtype=float)
        return float(w @ self.fit[column].to_numpy(dtype=float) / w.sum())

    def max(self, column: str) -> float:
        return float(self.fit[column].max())

    def repeaters(self) -> pd.DataFrame:
        """The Gamma-Gamma fit's rows: repeat customers with a positive spend (weighted on Spark)."""
        fit = self.fit
        return fit[(fit["frequency"] > 0) & (fit["monetary_value"] > 0)]

    def repeat_customers(self) -> pd.DataFrame:
        """One row per repeat customer's (frequency, monetary_value), for the spend check (a rank
        correlation: the weighted rows expanded give exactly the per-customer ranks)."""
        rows = self.repeaters()
        if self.frame is not None:
            return self.frame
        return rows.loc[rows.index.repeat(rows["weights"].round().astype(int)), ["frequency", "monetary_value"]]

    @staticmethod
    def count(rows: pd.DataFrame) -> float:
        return float(rows["weights"].sum()) if "weights" in rows.columns else float(len(rows))

    def btyd_feature(self):
        """On Spark, the Classifier's BG/NBD feature model fitted on every customer (None on DuckDB,
        where the classifier fits it on the whole frame it scores)."""
        if self.frame is not None:
            return None
        from centric.models.clv import BetaGeo, ConvergenceError, DataError

        try:
            return BetaGeo().fit(self.fit)
        except (ConvergenceError, DataError):
            return "past_rate"

    def score(self, scoring: "Scoring"):
        """customer_value's rows: a pandas frame on DuckDB, a Spark DataFrame computed by the executors."""
        if self.frame is not None:
            return scoring(self.frame)
        return self.store.map_partitions(self.expr, scoring, "customer_value")


@dataclass
class Scoring:
    """Every customer's customer_value row from the fitted models (see the module docstring)."""

    model: str
    fitted: object  # the transaction model (or the Classifier)
    scorer: object  # what P(no purchase) comes from
    churn: object | None  # its calibration (ChurnCalibration); None: the scorer's own probability
    alive: bool  # P(alive) from `fitted` (else NULL)
    horizon: float
    source: str
    spend: object  # a fitted GammaGamma, or the mean order value (a number)
    clv_horizon: float
    discount: float
    margin: float
    end: object
    btyd: object = None  # the Classifier's BG/NBD feature model (Spark), "past_rate" when it cannot be fitted

    def __call__(self, data: pd.DataFrame) -> pd.DataFrame:
        from centric.models.clv import GammaGamma, discounted_value
        from centric.models.clv.validation import churn_band, risk_score
        data = self._with_btyd(data)
        e90 = self.fitted.expected_purchases(data, 90.0)
        e365 = self.fitted.expected_purchases(data, 365.0)
        alive = self.fitted.p_alive(data) if self.alive else np.full(len(data), np.nan)
        risk = risk_score(self.scorer, data, self.horizon)
        p_none = self.churn.predict(risk) if self.churn is not None else risk
        if isinstance(self.spend, GammaGamma):
            spend = self.spend.expected_spend(data)
        else:
            spend = np.full(len(data), float(self.spend))
        clv = discounted_value(self.fitted, data, spend, horizon=self.clv_horizon, step=MONTH_DAYS, year=365.25,
                               annual_discount=self.discount, margin=self.margin)
        return pd.DataFrame({
            "customer_id": data["customer_id"].astype(str), "model": self.model, "p_alive": alive,
            "expected_orders_90d": e90, "expected_orders_365d": e365, "expected_order_value": spend,
            "predicted_clv": clv, "p_no_purchase": p_none, "churn_horizon_days": self.horizon,
            "churn_source": self.source, "churn_risk": churn_band(p_none), "computed_at": pd.Timestamp(self.end),
        })

    def _with_btyd(self, data: pd.DataFrame) -> pd.DataFrame:
        if self.btyd is None or "bg_expected" in data:
            return data
        classifier = next((m for m in (self.fitted, self.scorer) if hasattr(m, "duration_")), None)
        if classifier is None or "bg_expected" not in classifier.features_:
            return data
        duration = classifier.duration_
        if self.btyd == "past_rate":  # as models/clv/classifier.with_btyd_feature when the fit fails
            T, x = data["T"].to_numpy(dtype=float), data["frequency"].to_numpy(dtype=float)
            return data.assign(bg_expected=np.where(T > 0, x / np.where(T > 0, T, 1.0), 0.0) * duration)
        return data.assign(bg_expected=self.btyd.expected_purchases(data, duration))


def totals(store, value) -> tuple[int, float, int]:
    """(customers, total predicted CLV, customers at high churn risk) of the customer_value just written."""
    if isinstance(value, pd.DataFrame):
        return len(value), float(np.sum(value["predicted_clv"])), int((value["churn_risk"] == "high").sum())
    db = store.ibis()
    t = db.table("customer_value")
    row = db.execute(t.aggregate(n=t.count(), clv=t.predicted_clv.sum(),
                                 high=(t.churn_risk == "high").cast("int64").sum())).iloc[0]
    return int(row["n"]), float(row["clv"] or 0.0), int(row["high"] or 0)
