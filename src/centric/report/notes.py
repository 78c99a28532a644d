"""Notes in plain words, in the reader's language: the customer-value check (which model was chosen
and how, where churn risk and P(alive) come from, boundary fits, models the data cannot tell apart,
the Gamma-Gamma premise), what each consent left out, and how stable the personas are.

Rule: the models and services store facts (rows of `clv_models` and `consent_exclusions`: model
names, inner MAE, holdout AUC and Brier, boundary flag and dropout share, same-likelihood groups,
the spend correlation with its p-value and customers; the personas' stability verdict in each card);
every sentence is built here, from those facts only, with gettext messages and Babel number formats
of the language (centric.i18n). English is the same builder with lang "en": the CLI's text,
`clv_models.note` and `personas.stability_note` come from it, so the report, the dashboard and the
command line say the same thing. A missing fact (an older table without a column) leaves its clause
out rather than showing a dash.
"""

from __future__ import annotations

from centric.i18n import N_, fmt_number, fmt_percent, locale_of, translator

UNDER = 0.001  # a dropout share below this reads "under 0.1%"
EDGES = {"ParetoNBD": N_("s → 0 or β → ∞")}  # every other transaction model: a and b
AB_EDGE = N_("a → 0 or b → ∞")


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def _flag(value) -> bool:
    return False if _missing(value) else bool(value)


def _list(names, lang: str) -> str:
    """'A, B and C' in the language (Babel's CLDR list patterns)."""
    from babel.lists import format_list

    return format_list([str(n) for n in names], locale=locale_of(lang))


def _signed(value: float, lang: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(round(float(value), 2), format="+#,##0.00;-#,##0.00", locale=locale_of(lang))


def _share(share, lang: str) -> str:
    """A dropout share as a shop owner reads it: 'under 0.1%' rather than 5.5e-08%."""
    _ = translator(lang).gettext
    if share < UNDER:
        return _("under %(share)s") % {"share": fmt_percent(UNDER, lang)}
    return fmt_percent(share, lang, 1 if share < 0.1 else 0)


def _scores(row: dict, lang: str) -> str:
    _ = translator(lang).gettext
    auc = fmt_number(row.get("holdout_auc"), lang, 3)
    if _missing(row.get("holdout_brier")):
        return _("holdout AUC %(auc)s") % {"auc": auc}
    return _("holdout AUC %(auc)s, Brier %(brier)s") % {"auc": auc, "brier": fmt_number(row["holdout_brier"], lang, 3)}


def boundary_note(row: dict, lang: str) -> str:
    """A transaction model's expected dropout in words; on the boundary, why its P(alive) says nothing."""
    _ = translator(lang).gettext
    share = row.get("dropout_share")
    if _missing(share):
        return ""
    values = {"model": row["model"], "share": _share(float(share), lang),
              "edge": _(EDGES.get(str(row["model"]), AB_EDGE))}
    if _flag(row.get("boundary")):
        return _("No dropout can be seen in this history: %(model)s expects %(share)s of customers to stop buying, "
                 "so it treats every customer as alive. Its P(alive) is not informative here; its purchase forecasts "
                 "are those of a model without dropout (its parameters sit at their edge: %(edge)s).") % values
    return _("%(model)s expects %(share)s of customers to stop buying over this history.") % values


def same_likelihood_note(row: dict, lang: str) -> str:
    others = [n.strip() for n in str(row.get("same_likelihood_as") or "").split(",") if n.strip()]
    if not others:
        return ""
    _ = translator(lang).gettext
    return _("Same likelihood as %(models)s: the data cannot tell these models apart.") % {
        "models": _list(others, lang)}


def row_note(row: dict, lang: str) -> str:
    """What one checked model or baseline is, in words (the `clv_models.note` of rows that are not the
    churn source)."""
    _ = translator(lang).gettext
    name = row.get("model")
    if name == "Recency":
        text = (_("Days since the last purchase, mapped to P(buy) and purchases on a split inside the calibration "
                  "period.") if not _missing(row.get("holdout_mae")) else
                _("Days since the last purchase, as a rank only (too little calibration history to map it to a "
                  "probability)."))
    elif name == "PastRate":
        text = _("Each customer's past repeat rate (x / T) carried forward; P(buy) = 1 - exp(-rate t).")
    elif name == "Classifier":
        text = _("Logistic regression (P(buy)) and Poisson regression (purchases) on customer features (recent "
                 "activity, regularity, spend, basket, returns; P(buy) also on BG/NBD's expected purchases), trained "
                 "on windows inside the calibration period and refitted each run.")
    elif row.get("kind") == "spend":
        return spend_note(row, lang)
    else:
        text = boundary_note(row, lang)
    return " ".join(t for t in (text, same_likelihood_note(row, lang)) if t)


def _reasons(rows: list[dict], lang: str) -> str:
    _ = translator(lang).gettext
    models = [r for r in rows if r.get("kind") == "model"]
    reasons = []
    edge = [r["model"] for r in models if _flag(r.get("boundary"))]
    if edge:
        reasons.append(translator(lang).ngettext(
            "%(models)s sits on the boundary (no dropout visible)",
            "%(models)s sit on the boundary (no dropout visible)", len(edge)) % {"models": _list(edge, lang)})
    weak = [r["model"] for r in rows if (r.get("kind") == "model" or _flag(r.get("chosen")))
            and not _flag(r.get("boundary")) and _missing_text(r.get("error")) and not _flag(r.get("validated"))]
    if weak:
        reasons.append(translator(lang).ngettext(
            "%(models)s ranks holdout buyers no better than the recency baseline",
            "%(models)s rank holdout buyers no better than the recency baseline", len(weak)) % {
            "models": _list(weak, lang)})
    failed = [r["model"] for r in models if not _missing_text(r.get("error"))]
    if failed:
        reasons.append(_("%(models)s could not be fitted") % {"models": _list(failed, lang)})
    return "; ".join(reasons) or _("the chosen model did not pass the holdout")


def _missing_text(value) -> bool:
    return _missing(value) or not str(value).strip()


def explanation(rows: list[dict], lang: str, horizon=None) -> str:
    """Which model was chosen and how, where churn risk and P(alive) come from, and why (rows: the
    clv_models records; horizon: churn_horizon_days, for a run without a holdout)."""
    _ = translator(lang).gettext
    rows = [r for r in rows if r.get("kind") in ("model", "baseline")]
    chosen = next((r for r in rows if _flag(r.get("chosen"))), None)
    source = next((r for r in rows if _flag(r.get("churn_source"))), chosen)
    if chosen is None or source is None:
        return ""
    if all(_missing(r.get("holdout_days")) for r in rows):
        text = _("No holdout could be kept, so nothing is validated: churn risk is the chance of no purchase in "
                 "%(days)s days from %(model)s, uncalibrated.") % {
            "days": fmt_number(90 if _missing(horizon) else horizon, lang), "model": chosen["model"]}
        edge = boundary_note(chosen, lang) if _flag(chosen.get("boundary")) else ""
        return " ".join(t for t in (text, edge) if t)
    if not _missing(chosen.get("inner_mae")):
        how = _("%(model)s was chosen on a split inside the calibration period (MAE %(mae)s there), before the "
                "holdout was looked at.") % {"model": chosen["model"], "mae": fmt_number(chosen["inner_mae"], lang, 3)}
    else:
        how = _("%(model)s was chosen by BIC (too little history to cut the calibration period again).") % {
            "model": chosen["model"]}
    scores = _scores(source, lang)
    if source is chosen:
        if source.get("kind") == "model":
            then = _("The holdout validates it (%(scores)s): churn risk comes from it, and so does P(alive).")
        else:
            then = _("The holdout validates it (%(scores)s): churn risk comes from it; P(alive) is not reported "
                     "(a classifier has no dropout process).")
        return f"{how} {then % {'scores': scores}}"
    picked = (_("the best Brier score on the split inside the calibration period")
              if not _missing(source.get("inner_brier")) else _("the rank an analyst would use"))
    then = _("The holdout does not validate it (%(why)s), so P(alive) is not reported and churn risk comes from the "
             "%(baseline)s baseline (%(picked)s; %(scores)s), calibrated on the holdout.") % {
        "why": _reasons(rows, lang), "baseline": source["model"], "picked": picked, "scores": scores}
    return f"{how} {then}"


def churn_note(rows: list[dict], lang: str, horizon=None) -> str:
    """The churn source's whole note: the explanation, then what the source is (and what it cannot be
    told apart from)."""
    text = explanation(rows, lang, horizon)
    source = next((r for r in rows if r.get("kind") in ("model", "baseline") and _flag(r.get("churn_source"))), None)
    if not text or source is None or all(_missing(r.get("holdout_days")) for r in rows):
        return text
    return " ".join(t for t in (text, row_note(source, lang)) if t)


def boundary_notes(rows: list[dict], lang: str, limit: int = 1) -> list[str]:
    """The notes of checked transaction models on the boundary (the first `limit`)."""
    edge = [r for r in rows if r.get("kind") == "model" and _flag(r.get("boundary"))
            and not _missing(r.get("holdout_days"))]
    return [row_note(r, lang) for r in edge[:limit]]


def spend_note(row: dict, lang: str) -> str:
    """The Gamma-Gamma premise (spend per order independent of frequency) checked, in words."""
    _ = translator(lang).gettext
    rho, p, n = (row.get(k) for k in ("spend_frequency_correlation", "spend_frequency_p_value",
                                      "spend_frequency_customers"))
    if _missing(rho) or _missing(p):
        return _("Too few repeat customers to check that spend does not depend on frequency.")
    pv = (_("p < %(p)s") % {"p": fmt_number(0.001, lang, 3)} if p < 0.001
          else _("p = %(p)s") % {"p": fmt_number(p, lang, 3)})
    stats = (_("rank correlation %(rho)s, %(p)s") % {"rho": _signed(rho, lang), "p": pv} if _missing(n) else
             _("rank correlation %(rho)s, %(p)s, %(n)s repeat customers") % {
                 "rho": _signed(rho, lang), "p": pv, "n": fmt_number(n, lang)})
    if _flag(row.get("validated")) or _missing(row.get("validated")):
        return _("Spend per order does not depend on frequency enough to matter (%(stats)s): the Gamma-Gamma "
                 "premise holds.") % {"stats": stats}
    if rho > 0:
        return _("The Gamma-Gamma premise fails here: frequent buyers spend more per order (%(stats)s), so "
                 "expected order values are biased: too low for frequent buyers, too high for rare ones.") % {
            "stats": stats}
    return _("The Gamma-Gamma premise fails here: frequent buyers spend less per order (%(stats)s), so expected "
             "order values are biased: too high for frequent buyers, too low for rare ones.") % {"stats": stats}


PURPOSES = {"analytics": N_("analytics"), "marketing": N_("marketing"), "personalization": N_("personalization"),
            "essential": N_("essential")}
ANALYSES = {"journey": N_("Journey"), "personas": N_("Personas"), "funnel": N_("Funnel"), "paths": N_("Paths"),
            "segment_export": N_("Segment export"), "survey_audience": N_("Survey audience"),
            "journey_drivers": N_("Journey drivers"), "customer_profiles": N_("Customer profiles")}


def consent_line(row: dict, lang: str) -> str:
    """One consent_exclusions row in words: 'Journey: 582 customers left out: no consent for analytics (...)'."""
    t = translator(lang)
    _ = t.gettext
    n = int(row.get("customers_left_out") or 0)
    events, anonymous = int(row.get("events_left_out") or 0), int(row.get("anonymous_events_left_out") or 0)
    purpose = _(PURPOSES[row["purpose"]]) if row.get("purpose") in PURPOSES else str(row.get("purpose"))
    analysis = _(ANALYSES[row["analysis"]]) if row.get("analysis") in ANALYSES else str(row.get("analysis"))
    text = t.ngettext("%(n)s customer left out: no consent for %(purpose)s",
                      "%(n)s customers left out: no consent for %(purpose)s", n) % {
        "n": fmt_number(n, lang), "purpose": purpose}
    if events and anonymous:
        text += " " + t.ngettext(
            "(%(events)s event not recorded under consent, %(anonymous)s of them from anonymous visitors who did "
            "not say yes on the cookie banner)",
            "(%(events)s events not recorded under consent, %(anonymous)s of them from anonymous visitors who did "
            "not say yes on the cookie banner)", events) % {
            "events": fmt_number(events, lang), "anonymous": fmt_number(anonymous, lang)}
    elif events:
        text += " " + t.ngettext("(%(events)s event not recorded under consent)",
                                 "(%(events)s events not recorded under consent)", events) % {
            "events": fmt_number(events, lang)}
    return _("%(analysis)s: %(text)s") % {"analysis": analysis, "text": text}


def partition_note(facts: dict | None, lang: str) -> str:
    """The personas' stability verdict (models/segmentation/stability.py `verdict`) in words."""
    if not facts or "case" not in facts:
        return ""
    t = translator(lang)
    _ = t.gettext
    case = facts["case"]
    values = {"k": fmt_number(facts.get("k"), lang), "ari": fmt_number(facts.get("ari"), lang, 2),
              "jaccard": fmt_number(facts.get("jaccard"), lang, 2)}
    if case == "too_few":
        return _("Too few customers to test a split: all customers are shown as one persona.")
    if case == "like_noise":
        return _("No stable grouping: the most repeatable split, into %(k)s, is no tighter than the same split of a "
                 "single bell-shaped cloud with the same spread (k-means cuts any cloud into pieces), so all "
                 "customers are shown as one persona.") % values
    if case == "unstable_split":
        return _("No stable grouping: re-clustering random halves of the customers gives different groups each time "
                 "(the best split, into %(k)s, agrees only %(ari)s on the adjusted Rand index, and its least stable "
                 "group keeps %(jaccard)s of its members), so all customers are shown as one persona.") % values
    if case == "unmeasured":
        return _("%(k)s personas; their stability could not be measured on so few customers.") % values
    if case == "stable":
        return _("Stable: re-clustering random halves of the customers finds the same %(k)s personas (adjusted Rand "
                 "index %(ari)s; every persona keeps at least %(jaccard)s of its members, Jaccard).") % values
    weak = list(facts.get("weak") or [])
    values["which"] = _list(weak, lang)
    if facts.get("forced"):
        text = t.ngettext(
            "%(k)s personas were asked for, but not all are stable: persona %(which)s changes when random halves of "
            "the customers are re-clustered (adjusted Rand index %(ari)s, lowest Jaccard %(jaccard)s); treat it as "
            "a rough split, not a distinct group.",
            "%(k)s personas were asked for, but not all are stable: personas %(which)s change when random halves of "
            "the customers are re-clustered (adjusted Rand index %(ari)s, lowest Jaccard %(jaccard)s); treat them "
            "as a rough split, not distinct groups.", len(weak))
    else:
        text = t.ngettext(
            "%(k)s personas, but not all are stable: persona %(which)s changes when random halves of the customers "
            "are re-clustered (adjusted Rand index %(ari)s, lowest Jaccard %(jaccard)s); treat it as a rough split, "
            "not a distinct group.",
            "%(k)s personas, but not all are stable: personas %(which)s change when random halves of the customers "
            "are re-clustered (adjusted Rand index %(ari)s, lowest Jaccard %(jaccard)s); treat them as a rough "
            "split, not distinct groups.", len(weak))
    return text % values
