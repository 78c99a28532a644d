"""`centric clv`: fit the customer-value models on the workspace, check them on its own history,
and write what they predict.

1. Calibration/holdout check (Fader, Hardie & Lee 2005, sec. 4): the history is split at a date
   (--holdout-from, --holdout-days, or by default the last third of the history, at most 365 days,
   when the history has at least 120 days). BG/NBD, MBG/NBD and Pareto/NBD are fitted on the
   calibration period and scored on the holdout with the recency and past-rate baselines (total,
   per-customer MAE, AUC and Brier of "buys again", boundary flags), and the Classifier (a
   logistic/Poisson regression on customer features from queries/clv_features.py (P(buy) also on a
   BG/NBD fitted per window: models/clv/classifier.py), trained on rolling windows inside the
   calibration period, not persisted: refitted every run, its coefficients in
   clv_models.params): table `clv_models`. The model used for customer value is chosen by the same
   check one level down (the calibration period cut again: its last holdout-length stretch, or half
   of it, held out), so the holdout scores the choice instead of making it;
   conditional expectations by calibration frequency and churn-band shares: `clv_calibration`;
   the weekly tracking curve of the chosen model: `clv_tracking`. models/clv/validation.py states
   the rule for "works", the choice and the churn source.
2. The chosen model is refitted on the whole history (in days; the Classifier on the windows ending
   at the last order), Gamma-Gamma on the repeat
   customers' spend (its premise checked), and `customer_value` gets expected orders in 90 and 365
   days, expected order value, discounted CLV, P(alive) only from a model that works, and the
   calibrated probability of no purchase over the holdout's length with its churn-risk band.
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

from centric.services.clv_scoring import ClvError  # noqa: F401 - ClvError is this module's
from centric.services.clv_scoring import as_of_reversals
from centric.services.clv_scoring import model_data as _model_data
from centric.services.summary import build_customer_summary, observation_end

MODEL_NAMES = ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD")
MIN_HISTORY_FOR_HOLDOUT_DAYS = 120
MIN_HOLDOUT_DAYS = 28
MAX_AUTO_HOLDOUT_DAYS = 365
MIN_INNER_DAYS = 14
MAX_TRAINING_WINDOWS = 6
UNVALIDATED_CHURN_DAYS = 90


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
    churn_source: str = ""
    churn_note: str = ""
    churn_horizon_days: float = 0.0
    calibration: pd.DataFrame | None = None
    spend_check: dict = field(default_factory=dict)


@dataclass
class Split:
    calibration_end: dt.datetime  # last day of calibration (purchases on this day are calibration)
    holdout_days: int
    history_days: int  # calibration period's length


def _models():
    from centric.models.clv import BetaGeo, ModifiedBetaGeo, ParetoNBD

    return {"BetaGeo": BetaGeo, "ModifiedBetaGeo": ModifiedBetaGeo, "ParetoNBD": ParetoNBD}


def _scalar(store, expr):
    frame = store.ibis().execute(expr)
    return None if frame.empty else frame.iloc[0, 0]


def _fit(name: str, data: pd.DataFrame, initial_params: dict | None = None, standard_errors: bool = True):
    from centric.models.clv import ConvergenceError, DataError

    try:
        return _models()[name]().fit(data, initial_params=initial_params, standard_errors=standard_errors)
    except DataError as exc:
        raise ClvError(f"{name} cannot be fitted on this shop's orders: {exc}") from exc
    except ConvergenceError as exc:
        raise ClvError(f"{name} did not converge on this shop's orders ({exc}); try another --model") from exc


def plan_split(first: dt.datetime, end: dt.datetime, holdout_days: int | None = None,
               holdout_from: dt.date | None = None) -> tuple[Split | None, str]:
    """Where to split the history; (None, why) when it is too short to hold anything out.

    --holdout-from D: calibration is every day before D, the holdout D to the last order.
    --holdout-days N: the last N days. Neither: the last third of the history, at most 365 days,
    and only when the history has at least 120 days (so the holdout has at least 40).
    """
    first_day, end_day = first.date(), end.date()
    history = (end_day - first_day).days
    if holdout_from is not None:
        cal_day = holdout_from - dt.timedelta(days=1)
        holdout = (end_day - cal_day).days
        if cal_day <= first_day or holdout < 1:
            raise ClvError(f"--holdout-from {holdout_from} must fall after the first purchase ({first_day}) and "
                           f"no later than the last order ({end_day}): e.g. --holdout-from "
                           f"{end_day - dt.timedelta(days=max(history // 3, 1))}")
    else:
        if holdout_days is None and history < MIN_HISTORY_FOR_HOLDOUT_DAYS:
            return None, f"history of {history} days is too short to hold out a period"
        holdout = holdout_days or min(MAX_AUTO_HOLDOUT_DAYS, history // 3)
        if holdout >= history or holdout < 1:
            raise ClvError(f"--holdout-days {holdout} leaves no calibration period in a history of {history} days: "
                           f"use fewer, e.g. --holdout-days {max(history // 3, MIN_HOLDOUT_DAYS)}")
        cal_day = end_day - dt.timedelta(days=holdout)
    return Split(dt.datetime.combine(cal_day, dt.time()), holdout, (cal_day - first_day).days), ""


def training_rows(store, cut: dt.datetime, first: dt.datetime, days: int, half: bool = False) -> tuple | None:
    """The Classifier's training rows for a model that may see purchases up to `cut`: features at the
    rolling origins cut - days - k * step (step = days // 3, k = 0, 1, ...; at most MAX_TRAINING_WINDOWS)
    labelled with the purchase days in the `days` after each, stacked (column `window`: k). An origin needs at least days // 2
    of the shop's history before it (the first always runs), so that its customers have a past to learn
    from. With `half`, also the labels of the first days // 2 of each window (for the growth exponent,
    models/clv/classifier.py). Returns (the arguments of RepeatPurchaseClassifier.fit, the rows of the latest
    window alone: the split the recency baseline is calibrated on), or None. Returns as known then
    (queries/clv_features.py): each origin's features as known at the origin, every label as known at
    `cut` (the scoring cut-off; no credit note dated after it)."""
    from centric.queries.clv_data import purchase_days
    from centric.queries.clv_features import customer_features

    db = store.ibis()
    orders, lines, customers = db.table("orders"), db.table("order_lines"), db.table("customers")
    reversals = as_of_reversals(store)  # each origin as known then
    step, half_days = max(days // 3, 1), days // 2
    days_table = None
    if half and half_days >= 1:  # the half-window labels from one read of the purchase days
        days_table = db.execute(purchase_days(orders, dt.datetime.combine(cut.date(), dt.time.max),
                                              reversals, cut.date()))
        days_table["day"] = pd.to_datetime(days_table["day"])
    frames, halves = [], []
    for k in range(MAX_TRAINING_WINDOWS):
        origin = cut - dt.timedelta(days=days + k * step)
        age = (origin.date() - first.date()).days
        if age < 1 or (k > 0 and age < days // 2):
            break
        rows = db.execute(customer_features(orders, lines, origin, origin + dt.timedelta(days=days), customers,
                                            reversals, cut).order_by("customer_id"))
        if len(rows) < 2:
            break
        rows["window"] = k  # the classifier's BG/NBD feature is fitted on each cut-off's rows alone
        frames.append(rows)
        if days_table is not None:
            start = pd.Timestamp(origin.date())
            window = days_table[(days_table["day"] > start) & (days_table["day"] <= start + pd.Timedelta(days=half_days))]
            counts = window.groupby("customer_id").size()
            halves.append(rows["customer_id"].map(counts).fillna(0.0).astype(float))
    if not frames:
        return None
    data = pd.concat(frames, ignore_index=True)
    counts = data["purchases_after"].to_numpy(dtype=float)
    if halves:
        return (data, counts, float(days), pd.concat(halves, ignore_index=True).to_numpy(), float(half_days)), frames[0]
    return (data, counts, float(days)), frames[0]


def _check(store, cal_end: dt.datetime, holdout: int, label_end: dt.datetime, first: dt.datetime, model_names,
           choice=None, candidates=None) -> dict:
    """One calibration/holdout evaluation: calibration to cal_end's day, holdout `holdout` days to label_end."""
    from centric.models.clv.validation import CANDIDATES, evaluate

    history = (cal_end.date() - first.date()).days
    cal = _model_data(store, cal_end, label_end, features=True)
    if not (cal["frequency"] > 0).any():
        raise ClvError("no customer bought twice before the holdout: the models need repeat purchases; "
                       "try a later --holdout-from")
    inner_days = min(holdout, history // 2)
    inner = training = None
    if inner_days >= MIN_INNER_DAYS:
        # the latest window (labels to the end of cal_end's day, the calibration's last day) also calibrates
        # the recency baseline
        rows = training_rows(store, cal_end, first, inner_days, half=holdout > inner_days)
        if rows is not None:
            training, latest = rows
            inner = (latest, latest["purchases_after"].to_numpy(dtype=float), float(inner_days))
    actual = cal["frequency_holdout"].to_numpy()
    table, fitted, predictions = evaluate({n: _models()[n]() for n in model_names}, cal, actual, float(holdout),
                                          float(history), inner, training, choice,
                                          CANDIDATES if candidates is None else candidates)
    return {"cal": cal, "actual": actual, "table": table, "fitted": fitted, "predictions": predictions,
            "inner_days": inner_days}


def evaluate_split(store, split: Split, end: dt.datetime, first: dt.datetime, model_names=MODEL_NAMES,
                   say: Callable[[str], None] = lambda _m: None, candidates=None) -> dict:
    """Choose on a split inside the calibration period, then fit on the calibration period and score on
    the holdout: comparison table, calibration table, tracking curve, the fitted sources and the churn
    calibration. candidates: the baselines that may be chosen (default validation.CANDIDATES; () when
    the user named a model)."""
    from centric.models.clv import ConvergenceError, DataError
    from centric.models.clv.holdout import conditional_expectations
    from centric.models.clv.validation import ChurnCalibration, band_shares, risk_score
    from centric.report.notes import explanation

    cal_end, holdout = split.calibration_end, split.holdout_days
    choice = inner_run = None
    inner_days = min(holdout, split.history_days // 2)
    if inner_days >= MIN_INNER_DAYS:
        say(f"choosing a model: calibration to {cal_end - dt.timedelta(days=inner_days):%Y-%m-%d}, "
            f"checked on the next {inner_days} days")
        try:
            inner_run = _check(store, cal_end - dt.timedelta(days=inner_days), inner_days,
                               dt.datetime.combine(cal_end.date(), dt.time.max), first, model_names,
                               candidates=candidates)
            choice = inner_run["table"]
        except (ClvError, ConvergenceError, DataError):
            choice = None  # too little inside the calibration period: chosen by BIC instead
    say(f"checking the models: calibration to {cal_end:%Y-%m-%d}, holdout {holdout} days")
    run = _check(store, cal_end, holdout, end, first, model_names, choice, candidates)
    cal, actual, table, fitted, predictions = run["cal"], run["actual"], run["table"], run["fitted"], run["predictions"]
    table["holdout_from"] = (cal_end + dt.timedelta(days=1)).date()
    table["holdout_days"] = holdout
    source = str(table.loc[table["churn_source"], "model"].iloc[0])
    none = (actual == 0).astype(float)
    score = risk_score(fitted[source], cal, float(holdout))
    churn = ChurnCalibration(float(holdout)).fit(score, none)  # what customer_value uses: the latest outcomes
    same_length = inner_run is not None and inner_days == holdout
    bands = band_shares(_band_check(inner_run if same_length else None, source, holdout, churn).predict(score), none)
    bands = bands.rename(columns={"band": "group_name"})
    bands["kind"], bands["source"] = "churn_band", source
    freq = conditional_expectations(cal["frequency"], actual, {k: v[0] for k, v in predictions.items()})
    freq["kind"] = "frequency"
    calibration = pd.concat([freq, bands], ignore_index=True)[list(_columns("clv_calibration"))]
    chosen = str(table.loc[table["chosen"], "model"].iloc[0])
    tracking = _tracking(store, fitted[_tracking_model(table, chosen)], first, cal_end, end)
    return {"table": table, "calibration": calibration, "tracking": tracking, "source": source,
            "churn": churn, "chosen": chosen, "note": explanation(table.to_dict("records"), "en"), "holdout": holdout,
            "fitted": fitted, "inner_days": run["inner_days"]}


def _band_check(inner_run, source: str, holdout: int, churn):
    """The calibration whose bands the holdout checks: fitted on the split inside the calibration
    period when that split is as long as the holdout, so the holdout's no-purchase shares per band are
    an out-of-sample test of the banding (the map fitted on the holdout itself would order them by
    construction). Without such a split, the holdout's own map (`churn`): the shares then only show it."""
    from centric.models.clv.validation import ChurnCalibration, risk_score

    if inner_run is None or source not in inner_run["fitted"]:
        return churn
    none = (inner_run["actual"] == 0).astype(float)
    return ChurnCalibration(float(holdout)).fit(risk_score(inner_run["fitted"][source], inner_run["cal"],
                                                           float(holdout)), none)


def _tracking_model(table: pd.DataFrame, chosen: str) -> str:
    """The tracking plot needs expected purchases of customers not yet acquired, which only a transaction
    model has: the chosen one, or when the Classifier is chosen, the fitted transaction model with the
    lowest MAE on the split inside the calibration period (the first fitted one without that split)."""
    if chosen in MODEL_NAMES:
        return chosen
    models = table[(table["kind"] == "model") & table["error"].isna()]
    mae = pd.to_numeric(models["inner_mae"], errors="coerce").round(6)
    return str(models.loc[mae.idxmin(), "model"] if mae.notna().any() else models["model"].iloc[0])


def _tracking(store, fitted, first, cal_end, end) -> pd.DataFrame:
    from centric.models.clv import tracking_curve
    from centric.queries.clv_data import repeat_purchase_times

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
    return curve.drop(columns="period_end")


class _InWeeks:
    """A model fitted in days, asked for new-customer expectations in weeks."""

    def __init__(self, model):
        self.model = model

    def expected_purchases_new_customer(self, t):
        return self.model.expected_purchases_new_customer(np.asarray(t) * 7.0)


def _classifier_now(store, end: dt.datetime, first: dt.datetime, check: dict, settings):
    """The Classifier refitted as in the check on the latest windows (origins end - d - k step, labels up to
    the last order; d as in the check), with the half-window labels for horizons beyond d."""
    from centric.models.clv import DataError
    from centric.models.clv.classifier import RepeatPurchaseClassifier

    days = int(check["inner_days"])
    longest = max(float(settings.clv_horizon_days), 365.0, float(check["holdout"]))
    rows = training_rows(store, end, first, days, half=longest > days)
    if rows is None:
        raise ClvError(f"the classifier cannot be refitted on the last {days} days: too little history")
    try:
        return RepeatPurchaseClassifier().fit(*rows[0])
    except DataError as exc:
        raise ClvError(f"the classifier cannot be refitted on the last {days} days: {exc}") from exc


def _churn_now(check: dict | None, fitted, customers):
    """How P(alive) and the calibrated P(no purchase) are scored on the whole history: (P(alive) from
    `fitted`?, scorer, its calibration or None, horizon days, source, note, facts of an unvalidated model).

    A Classifier churn source is the one refitted on the latest windows (see _classifier_now, passed in
    check["now"]) scoring the features at the end; its calibration map is the one fitted on the
    holdout (as for a model refitted on the whole history). P(alive) only from a transaction model
    that is the validated churn source."""
    from centric.models.clv.diagnostics import boundary
    from centric.report.notes import explanation

    if check is None:
        horizon = float(UNVALIDATED_CHURN_DAYS)
        on_edge, share = boundary(fitted, customers.mean("frequency"), customers.max("T"))
        facts = {"model": type(fitted).__name__, "kind": "model", "chosen": True, "churn_source": True,
                 "boundary": on_edge, "dropout_share": share}
        return (not on_edge, fitted, None, horizon, f"{type(fitted).__name__} (not validated)",
                explanation([facts], "en", horizon), facts)
    horizon = float(check["holdout"])
    source = check["source"]
    if source in MODEL_NAMES:  # the chosen model, refitted on the whole history, works on this shop
        scorer = fitted
    elif source == "Classifier":
        scorer = check.get("now")
    else:
        scorer = check["fitted"][source]
    return source in MODEL_NAMES, scorer, check["churn"], horizon, source, check["note"], {}


def build_customer_value(store, settings, model: str = "auto", holdout_days: int | None = None,
                         progress: Callable[[str], None] | None = None,
                         holdout_from: dt.date | None = None) -> ClvResult:
    from centric.queries.clv_data import first_purchase_at
    from centric.services.clv_scoring import Customers, totals

    say = progress or (lambda _msg: None)
    if model != "auto" and model not in MODEL_NAMES:
        raise ClvError(f"unknown model {model!r}: choose auto or one of {', '.join(MODEL_NAMES)}")
    end = observation_end(store)
    if end is None:
        raise ClvError("no orders yet: load them with `centric ingest orders FILE`, then run `centric clv`")
    first = _scalar(store, first_purchase_at(store.ibis().table("orders")))
    if first is None or pd.isna(first):
        raise ClvError("no completed purchases by known customers yet: nothing to model")
    first = pd.Timestamp(first).to_pydatetime()
    if not store.has_rows("customer_summary"):
        build_customer_summary(store, cuts=settings.rfm_cuts)
    split, why = plan_split(first, end, holdout_days, holdout_from)
    check = None
    if split is None:
        say(f"{why}: nothing can be validated")
        if model == "auto":
            model = "BetaGeo"
    else:
        names = MODEL_NAMES if model == "auto" else (model,)
        check = evaluate_split(store, split, end, first, names, say, candidates=None if model == "auto" else ())
        model = check["chosen"]
    say(f"fitting {model} on the whole history")
    classifier = model == "Classifier" or (check is not None and check["source"] == "Classifier")
    customers = Customers(store, end, features=classifier)
    if len(customers) < 2:
        raise ClvError("fewer than two customers with purchases: nothing to model yet")
    now = _classifier_now(store, end, first, check, settings) if classifier else None
    fitted = now if model == "Classifier" else _fit(model, customers.fit)
    if check is not None:
        check["now"] = now
    alive, scorer, churn, horizon, source, note, facts = _churn_now(check, fitted, customers)

    value, spend_model, spend_params, spend_check = _score(store, settings, model, fitted, customers, alive, scorer,
                                                           churn, horizon, source, end, say)
    table = check["table"] if check else None
    store.replace_tables({
        "customer_value": value,
        "clv_models": _models_table(table, model, fitted.params_, spend_params, spend_check, source, note, facts),
        "clv_tracking": check["tracking"] if check else _empty("clv_tracking"),
        "clv_calibration": check["calibration"] if check else _empty("clv_calibration"),
    })
    count, total_clv, high = totals(store, value)
    save_state(store, model, source, check, note, end, count)
    say("value by RFM segment and acquisition channel")
    build_rollups(store, settings)
    return ClvResult(model, fitted.params_, count, end, split.calibration_end if split else None, table,
                     spend_model, spend_params, total_clv, high, source, note,
                     horizon, check["calibration"] if check else None, spend_check)


def _score(store, settings, model: str, fitted, customers, alive: bool, scorer, churn, horizon, source, end, say,
           spend_initial: dict | None = None):
    """Gamma-Gamma on repeat customers' spend (warm-started from spend_initial when given), then the
    customer_value rows (services/clv_scoring.py: a pandas frame on DuckDB, a Spark DataFrame scored by
    the executors on Spark); returns (value, spend model, its params, spend check)."""
    from centric.models.clv import DataError, GammaGamma
    from centric.models.clv.diagnostics import spend_frequency_check
    from centric.queries.clv_data import mean_purchase_value
    from centric.report.notes import spend_note
    from centric.services.clv_scoring import Scoring

    say("fitting Gamma-Gamma on repeat customers' spend")
    repeaters = customers.repeaters()
    spend_check = spend_frequency_check(customers.repeat_customers())
    spend_check["note"] = spend_note(_spend_facts(spend_check), "en")
    spend_model, spend_params, spend = "mean order value", {}, None
    try:
        if customers.count(repeaters) >= 20:
            # a warm refit (services/clv_incremental.py) reports no standard errors
            spend = GammaGamma().fit(repeaters, initial_params=spend_initial, standard_errors=spend_initial is None)
            spend.expected_spend(repeaters.head(1))  # raises here (not on an executor) when q <= 1
            spend_model, spend_params = "GammaGamma", spend.params_
    except (DataError, RuntimeError):
        spend = None
    if spend is None:
        mean = _scalar(store, mean_purchase_value(store.ibis().table("orders")))
        spend = float(mean) if mean is not None and not pd.isna(mean) else 0.0
    scoring = Scoring(model, fitted, scorer, churn, alive, float(horizon), source, spend,
                      float(settings.clv_horizon_days), settings.clv_discount_rate, settings.clv_margin, end,
                      btyd=customers.btyd_feature() if "Classifier" in (model, source) else None)
    return customers.score(scoring), spend_model, spend_params, spend_check


def save_state(store, model: str, source: str, check, note: str, end, customers: int) -> None:
    """What an incremental run reuses (services/clv_incremental.py): the choice, the churn source and map."""
    from centric.services.run_ledger import drop_model, save_model

    churn = None if check is None else check["churn"].map_
    if check is None or churn is None:
        drop_model(store, "clv")  # nothing validated: a later run validates again when it can
        return
    save_model(store, "clv", {"end": pd.Timestamp(end).isoformat(), "customers": int(customers)},
               {"model": model, "source": source, "note": note, "horizon": float(check["holdout"]),
                "inner_days": int(check["inner_days"]), "churn": {"x": list(churn.x_), "y": list(churn.y_)}})


def _columns(table: str) -> tuple[str, ...]:
    from centric.schema import OUTPUT_TABLES

    return tuple(c.name for c in OUTPUT_TABLES[table].columns)


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in _columns(table)}).iloc[:0]


def _spend_facts(check: dict) -> dict:
    """The spend check as clv_models' columns (what report/notes.py reads)."""
    return {"kind": "spend", "validated": check.get("holds"), "spend_frequency_correlation": check.get("correlation"),
            "spend_frequency_p_value": check.get("p_value"), "spend_frequency_customers": check.get("customers")}


def _models_table(comparison: pd.DataFrame | None, chosen: str, params: dict, spend_params: dict, spend_check: dict,
                  source: str, note: str, facts: dict | None = None) -> pd.DataFrame:
    """clv_models: the facts of each checked model and baseline, with an English `note` built from them
    (report/notes.py; the churn source's note starts with `note`, the churn explanation)."""
    from centric.report.notes import row_note

    rows = []
    if comparison is None:
        rows.append({"model": chosen, "kind": "model", "chosen": True, "churn_source": True, "validated": False,
                     "boundary": (facts or {}).get("boundary"), "dropout_share": (facts or {}).get("dropout_share"),
                     "params": json.dumps(params), "note": note})
    else:
        for rec in comparison.to_dict("records"):
            own = row_note(rec, "en")
            rows.append({
                "model": rec["model"], "kind": rec["kind"], "log_likelihood": rec.get("log_likelihood"),
                "bic": rec.get("bic"), "holdout_from": rec["holdout_from"], "holdout_days": rec["holdout_days"],
                "holdout_actual": rec.get("holdout_total_actual"), "holdout_predicted": rec.get("holdout_total_predicted"),
                "holdout_mae": rec.get("holdout_mae"), "holdout_auc": rec.get("holdout_auc"),
                "holdout_brier": rec.get("holdout_brier"), "dropout_share": rec.get("dropout_share"),
                "inner_mae": rec.get("inner_mae"), "inner_auc": rec.get("inner_auc"),
                "inner_brier": rec.get("inner_brier"),
                "boundary": bool(rec.get("boundary")), "validated": bool(rec.get("validated")),
                "chosen": bool(rec["chosen"]), "churn_source": bool(rec["churn_source"]),
                "same_likelihood_as": rec.get("same_likelihood_as") or None,
                "note": (f"{note} {own}".strip() if rec["churn_source"] else own or None),
                "params": (json.dumps(params) if rec["model"] == chosen else
                           json.dumps(rec["params"]) if isinstance(rec.get("params"), dict) else None),
                "error": rec.get("error") if isinstance(rec.get("error"), str) else None,
            })
    if spend_params:
        rows.append({"model": "GammaGamma", "kind": "spend", "chosen": True, "params": json.dumps(spend_params),
                     "validated": spend_check.get("holds"), "note": spend_check.get("note"),
                     "spend_frequency_correlation": spend_check.get("correlation"),
                     "spend_frequency_p_value": spend_check.get("p_value"),
                     "spend_frequency_customers": spend_check.get("customers")})
    frame = pd.DataFrame(rows)
    for col in _columns("clv_models"):
        if col not in frame.columns:
            frame[col] = None
    frame = frame[list(_columns("clv_models"))]
    for col in ("boundary", "validated", "chosen", "churn_source"):
        frame[col] = frame[col].astype("boolean")
    return frame


def channel_rollups(store) -> pd.DataFrame:
    """clv_rollups by acquisition channel, the most valuable first."""
    t = store.ibis().table("clv_rollups")
    return store.ibis().execute(t.filter(t.dimension == "acquisition_channel").order_by(t.total_clv.desc()))


def build_rollups(store, settings) -> int:
    from centric.queries.clv_rollups import clv_rollups

    db = store.ibis()
    expr = clv_rollups(db.table("customer_value"), db.table("customer_summary"), db.table("customers"),
                       db.table("marketing_spend"), settings.clv_margin)
    return store.replace_table("clv_rollups", expr)
