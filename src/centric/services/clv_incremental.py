"""An incremental customer-value run: refit the chosen model warm-started, keep the last validation.

Rules:
- A full `build_customer_value` (services/clv.py) validates the models on a holdout, chooses one, fits
  it on the whole history and calibrates churn risk; it saves the choice, the churn source and the
  calibration map (isotonic knots, models/clv/holdout.py ProbabilityCalibration) in `model_states`
  (model "clv").
- An incremental run keeps that validation (clv_models' comparison rows, clv_calibration, clv_tracking
  stay as they were), refits the chosen transaction model on the whole current history starting the
  optimiser at last run's parameters (warm start: the same maximum likelihood, fewer iterations),
  refits Gamma-Gamma the same way, and rescores every customer: customer_value and clv_rollups.
  When the Classifier was chosen (or is the churn source) it is refitted on the latest rolling windows
  as a full run does (services/clv.py _classifier_now; a GLM, no warm start); the baselines need no fit.
- The whole validation runs again (a full run) when: there is no saved state; the observation end
  moved more than REVALIDATE_DAYS (30) since the last validation; or the customers with purchases grew
  by more than NEW_SHARE (20%).
The warm refits compute no standard errors (clv_models keeps the validation's); scoring computes each
customer's P(alive) once for every horizon (models/clv/btyd.py).
A warm-started fit reaches the cold-start optimum to the optimiser's tolerance: tests compare
predicted CLV and expected orders with a full run's within a relative 1e-3 (the churn map is the
last validation's, so p_no_purchase may differ from a full run's by the recalibration: within 0.05).
"""

from __future__ import annotations

import json

import pandas as pd

REVALIDATE_DAYS = 30
NEW_SHARE = 0.20
INCREMENTAL_SOURCES = ("BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "Recency", "PastRate", "Classifier")


def _params(store, model: str) -> dict | None:
    db = store.ibis()
    t = db.table("clv_models")
    frame = db.execute(t.filter((t.model == model) & t.chosen).select(params=t.params.cast("string")))
    return json.loads(frame["params"].iloc[0]) if len(frame) and isinstance(frame["params"].iloc[0], str) else None


def refit_incremental(store, settings, progress=None):
    """(ClvResult, reason) after a warm-started refit and rescoring; (None, why) when the validation must
    run again (the caller then runs build_customer_value)."""
    from centric.models.clv.holdout import PastRateBaseline, ProbabilityCalibration, RecencyBaseline
    from centric.models.clv.validation import ChurnCalibration
    from centric.queries.clv_data import first_purchase_at
    from centric.services.clv import MODEL_NAMES, ClvResult, _classifier_now, _fit, _scalar, _score, build_rollups
    from centric.services.clv_scoring import Customers, totals
    from centric.services.run_ledger import load_model
    from centric.services.summary import observation_end

    say = progress or (lambda _m: None)
    saved = load_model(store, "clv")
    if saved is None or not store.has_rows("clv_models"):
        return None, "no saved validation"
    fitted_on, state = saved
    model, source = state["model"], state["source"]
    if (model not in MODEL_NAMES and model != "Classifier") or source not in INCREMENTAL_SOURCES:
        return None, f"{model} / churn source {source} refits only with the whole validation"
    end = observation_end(store)
    if end is None:
        return None, "no orders"
    moved = (pd.Timestamp(end) - pd.Timestamp(fitted_on["end"])).days
    if moved > REVALIDATE_DAYS or moved < 0:
        return None, f"revalidate: the history moved {moved} days since the last validation (> {REVALIDATE_DAYS})"
    classifier = "Classifier" in (model, source)
    if classifier and "inner_days" not in state:
        return None, "the saved validation lacks the Classifier's window length"
    customers = Customers(store, end, features=classifier)
    grown = len(customers) / max(int(fitted_on["customers"]), 1) - 1
    if grown > NEW_SHARE:
        return None, f"revalidate: {grown:.0%} more customers with purchases than at the last validation"
    horizon = float(state["horizon"])
    now = None
    if classifier:
        say("refitting the Classifier on the latest windows")
        first = pd.Timestamp(_scalar(store, first_purchase_at(store.ibis().table("orders")))).to_pydatetime()
        now = _classifier_now(store, pd.Timestamp(end).to_pydatetime(), first,
                              {"inner_days": state["inner_days"], "holdout": horizon}, settings)
    if model == "Classifier":
        fitted, how = now, "Classifier refitted on the latest windows"
    else:
        say(f"refitting {model} warm-started")
        fitted = _fit(model, customers.fit, initial_params=_params(store, model), standard_errors=False)
        how = f"{model} refitted warm-started from the last parameters"
    churn = ChurnCalibration(horizon)
    churn.map_ = ProbabilityCalibration(increasing=True)
    churn.map_.x_, churn.map_.y_ = state["churn"]["x"], state["churn"]["y"]
    scorer = {"Recency": RecencyBaseline(), "PastRate": PastRateBaseline().fit(), "Classifier": now}.get(source, fitted)
    value, spend_model, spend_params, spend_check = _score(
        store, settings, model, fitted, customers, source in MODEL_NAMES, scorer, churn, horizon, source, end, say,
        spend_initial=_params(store, "GammaGamma"))
    db = store.ibis()
    t = db.table("clv_models")
    models = db.execute(t.mutate(params=t.params.cast("string")))
    chosen = (models["model"] == model) & models["chosen"].fillna(False).astype(bool)
    models.loc[chosen, "params"] = json.dumps(fitted.params_)
    if spend_params:
        models.loc[models["model"] == "GammaGamma", "params"] = json.dumps(spend_params)
    store.replace_tables({"customer_value": value, "clv_models": models})
    count, total_clv, high = totals(store, value)
    build_rollups(store, settings)
    reason = (f"{how} on {count:,} customers; validation of "
              f"{pd.Timestamp(fitted_on['end']):%Y-%m-%d} kept ({moved} days ago)")
    result = ClvResult(model, fitted.params_, count, pd.Timestamp(end).to_pydatetime(), None, None, spend_model,
                       spend_params, total_clv, high, source, state["note"], horizon,
                       None, spend_check)
    return result, reason


