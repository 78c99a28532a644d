"""Gather the report's figures from the workspace and write report.html."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from centric.errors import CentricError
from centric.services.summary import observation_end


class ReportError(CentricError):
    """Nothing to report on yet."""


def report_context(store, settings, lang: str | None = None) -> dict:
    """Everything the report shows, in `lang` (default: the workspace's language): figures already
    formatted for the reader, charts drawn with their titles and units, plain words per section."""
    from centric._version import __version__
    from centric.i18n import fmt_money, fmt_number, fmt_percent, label, normalise, translator
    from centric.report import charts, plain_words
    from centric.schema import INPUT_TABLES

    if not store.has_rows("customer_summary"):
        raise ReportError("no customer summary yet: load orders with `centric ingest`, then `centric run`")
    lang = normalise(lang) or normalise(getattr(settings, "language", None)) or "en"
    _ = translator(lang).gettext
    cur = settings.currency
    import pandas as pd

    from centric.queries import shop_board
    from centric.queries.revenue import monthly_revenue, shop_totals

    db = store.ibis()
    totals = db.execute(shop_totals(db.table("orders"))).iloc[0]
    purchases = int(totals["purchases"] or 0)
    revenue, returns, guest_revenue = (float(totals[k] or 0) for k in ("revenue", "returns", "guest_revenue"))
    summary = db.table("customer_summary")
    buyers, avg_orders, repeat_rate, last = _row(db, shop_board.totals(summary), "buyers", "avg_orders",
                                                 "repeat_rate", "observed_until")
    aov = float(revenue) / max(purchases, 1)
    guest_share = float(guest_revenue) / max(float(revenue), 1e-9)
    kpis = [
        {"label": _("Customers who bought"), "value": fmt_number(buyers, lang)},
        {"label": _("Orders"), "value": fmt_number(purchases, lang)},
        {"label": _("Revenue"), "value": fmt_money(revenue, cur, lang, 0)},
        {"label": _("Average order value"), "value": fmt_money(aov, cur, lang)},
        {"label": _("Repeat-purchase rate"), "value": fmt_percent(repeat_rate or 0, lang)},
        {"label": _("Orders per customer"), "value": fmt_number(avg_orders or 0, lang, 2)},
        {"label": _("Returns"), "value": fmt_money(returns, cur, lang, 0)},
        {"label": _("Guest revenue share"), "value": fmt_percent(guest_share, lang)},
    ]
    by_month = db.execute(monthly_revenue(db.table("orders")))
    months = revenue_months(pd.to_datetime(by_month["month"]), by_month["revenue"], by_month["returns"], last)
    revenue_chart = charts.line_chart(
        [m["month"] for m in months],
        {_("Revenue"): [m["revenue"] for m in months], _("Returns"): [m["returns"] for m in months]},
        _("Revenue by month (%(currency)s)") % {"currency": cur},
        partial_last=bool(months and months[-1]["partial"]), lang=lang, months=True,
        y_format=lambda v: _compact_money(v, cur, lang),
    )
    segments = db.execute(shop_board.by_segment(summary)).to_dict("records")
    for s in segments:
        s["label"] = label(s["rfm_segment"], lang)
    segment_chart = charts.hbar_chart([s["label"] for s in segments], [s["customers"] for s in segments],
                                      _("Customers per RFM segment"), lang=lang)
    top = db.execute(shop_board.top_customers(summary, 15)).to_dict("records")
    for c in top:
        c["segment_label"] = label(c["rfm_segment"], lang)
    dist = db.execute(shop_board.orders_histogram(summary, 10))
    orders_chart = charts.hbar_chart([_("%(n)s orders") % {"n": k} for k in dist["orders"]],
                                     dist["customers"].tolist(), _("Customers by number of orders"), lang=lang)
    table_counts = [{"table": t, "rows": store.count(t)} for t in INPUT_TABLES]
    quarantine = db.execute(shop_board.quarantine_reasons(db.table("quarantine"), 30)).to_dict("records")
    from centric.services.report_sections import sections_context

    context = {
        "lang": lang,
        "clv": clv_context(store, settings, lang), "personas": personas_context(store, lang, cur),
        "kpi_board": kpi_context(store, lang, cur),
        "listening": listening_context(store, lang), "journey": journey_context(store, lang=lang),
        "consent": consent_context(store, settings, lang),
        "shop_name": settings.shop_name, "currency": cur, "version": __version__,
        "observed_until": str(last)[:16] if last else "–",
        "generated_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "kpis": kpis, "revenue_chart": revenue_chart, "revenue_months": months, "revenue_total": revenue,
        "segments": segments, "segment_chart": segment_chart,
        "top_customers": top, "orders_chart": orders_chart, "table_counts": table_counts, "quarantine": quarantine,
        **sections_context(store, settings, lang),
    }
    context["plain"] = plain_words.for_report(context, {
        "buyers": buyers, "purchases": purchases, "revenue": revenue, "returns": returns, "aov": aov,
        "repeat_rate": repeat_rate or 0, "avg_orders": avg_orders or 0, "currency": cur}, lang)
    return context


def _compact_money(value, currency, lang):
    from centric.i18n import fmt_compact, fmt_money

    return fmt_compact(value, lang, currency) if abs(value) >= 1e4 else fmt_money(value, currency, lang, 0)


def consent_context(store, settings, lang: str = "en") -> dict | None:
    """What each analysis left out for want of consent (consent_exclusions), in `lang`, or None before any ran."""
    from centric.report.notes import consent_line
    from centric.services.consent import exclusions

    frame = exclusions(store)
    if frame.empty:
        return None
    customers = store.count("customers")
    rows = [{**r, "computed_at": str(r["computed_at"])[:16], "message": consent_line(r, lang),
             "share": int(r["customers_left_out"]) / customers if customers else None}
            for r in frame.to_dict("records")]
    return {"rows": rows, "default": settings.consent_default, "customers": customers}


def partial_month(observed_until) -> str | None:
    """YYYY-MM of the month the data end in when they end before its last day, else None."""
    import pandas as pd

    if observed_until is None:
        return None
    end = pd.Timestamp(observed_until)
    return end.strftime("%Y-%m") if end.normalize() < (end + pd.offsets.MonthEnd(0)).normalize() else None


def revenue_months(month_starts, revenue, returns, observed_until) -> list[dict]:
    """One entry per month (YYYY-MM, revenue, returns, partial). The last month is partial when the
    data end before its last day: drawn dashed and labelled so, not read as a fall in sales."""
    import pandas as pd

    partial = partial_month(observed_until)
    return [{"month": pd.Timestamp(start).strftime("%Y-%m"), "revenue": float(r or 0), "returns": float(x or 0),
             "partial": pd.Timestamp(start).strftime("%Y-%m") == partial}
            for start, r, x in zip(month_starts, revenue, returns)]


def write_report(store, settings, path: Path, lang: str | None = None) -> Path:
    from centric.report.render import render_report, write_html

    context = report_context(store, settings, lang)
    return write_html(render_report(context, context["lang"]), path)


def _table(store, name: str):
    return store.ibis().execute(store.ibis().table(name))


def _row(db, expr, *columns) -> tuple:
    """The one row of an aggregate expression, as plain Python values (None for NULL)."""
    record = _plain(db.execute(expr).to_dict("records"))[0]
    return tuple(record[c] for c in columns)


def _plain(records: list[dict]) -> list[dict]:
    """NaN (missing) as None, so the report's filters print a dash."""
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in records]


def clv_context(store, settings, lang: str = "en") -> dict | None:
    """The customer-value section: headline figures that agree with the holdout check, the check
    itself (models and baselines, boundary notes, conditional expectations, churn-band shares),
    tracking plot, CLV distribution, value by channel."""
    import numpy as np

    from centric.i18n import fmt_money, fmt_number, fmt_percent, label, translator
    from centric.report import charts, notes

    _ = translator(lang).gettext
    if not store.has_rows("customer_value"):
        return None
    cur = settings.currency
    value = _table(store, "customer_value")
    models = _table(store, "clv_models")
    calibration = _table(store, "clv_calibration")
    total = float(value["predicted_clv"].sum())
    customers = len(value)
    horizon = float(value["churn_horizon_days"].dropna().iloc[0]) if value["churn_horizon_days"].notna().any() else None
    source = str(value["churn_source"].dropna().iloc[0]) if value["churn_source"].notna().any() else ""
    high_share = float((value["churn_risk"] == "high").mean())
    mean_alive = float(value["p_alive"].mean()) if value["p_alive"].notna().any() else None
    kpis = [
        {"label": _("Predicted lifetime value of all customers, next %(days)s days") % {"days": settings.clv_horizon_days},
         "value": fmt_money(total, cur, lang, 0)},
        {"label": _("Mean lifetime value per customer"), "value": fmt_money(total / max(customers, 1), cur, lang)},
    ]
    if mean_alive is not None:
        kpis.append({"label": _("Mean chance of still being a customer"), "value": fmt_percent(mean_alive, lang)})
    if value["p_no_purchase"].notna().any() and horizon:
        kpis.append({"label": _("Expected to buy within %(days)s days") % {"days": fmt_number(horizon, lang)},
                     "value": fmt_percent(1 - value["p_no_purchase"].mean(), lang)})
    kpis += [
        {"label": _("Customers at high churn risk"), "value": fmt_percent(high_share, lang)},
        {"label": _("Orders expected in the next 365 days"), "value": fmt_number(value["expected_orders_365d"].sum(), lang)},
    ]
    tracking = _table(store, "clv_tracking").sort_values("week")
    tracking_chart = None
    calibration_end = ""
    if len(tracking):
        tracking_chart = charts.line_chart(
            [_("w%(week)s") % {"week": w} for w in tracking["week"]],
            {_("actual"): tracking["actual"].tolist(), _("model"): tracking["predicted"].round(1).tolist()},
            _("Repeat purchases per week"), lang=lang,
        )
        cal = tracking[~tracking["in_holdout"].astype(bool)]
        calibration_end = _("week %(week)s") % {"week": int(cal["week"].max())} if len(cal) else ""
    edges = [10, 50, 100, 250, 500, 1000]
    money = [fmt_money(e, cur, lang, 0) for e in edges]
    labels = [f"< {money[0]}"] + [f"{a}–{b}" for a, b in zip(money, money[1:])] + [f"{money[-1]}+"]
    counts = np.bincount(np.searchsorted(edges, value["predicted_clv"].to_numpy(), side="right"), minlength=7)
    distribution_chart = charts.hbar_chart([labels[b] for b in range(7) if counts[b]],
                                           [int(n) for n in counts if n],
                                           _("Customers by predicted lifetime value"), lang=lang)
    rollups = _table(store, "clv_rollups")
    channels = _plain(rollups[rollups["dimension"] == "acquisition_channel"]
                      .sort_values("total_clv", ascending=False).to_dict("records"))
    for c in channels:
        c["label"] = label(c["group_name"], lang)
    channel_chart = charts.hbar_chart([c["label"] for c in channels], [float(c["total_clv"] or 0) for c in channels],
                                      _("Predicted lifetime value by acquisition channel (%(currency)s)") % {"currency": cur},
                                      lang=lang, value_format=lambda v: _compact_money(v, cur, lang))
    checked = models[models["kind"].isin(["model", "baseline"]) & models["holdout_days"].notna()]
    spend = models[models["kind"] == "spend"]
    chosen = models[models["kind"].isin(["model", "baseline"]) & models["chosen"].fillna(False).astype(bool)]
    model = str(chosen["model"].iloc[0]) if len(chosen) else str(value["model"].iloc[0])
    records = _plain(models.to_dict("records"))
    spend_row = next((r for r in records if r.get("kind") == "spend"), None)
    freq = calibration[calibration["kind"] == "frequency"]
    by_frequency = []
    if len(freq):
        wide = freq.pivot_table(index=["group_order", "group_name"], columns="source", values="predicted").reset_index()
        first = freq.drop_duplicates("group_order").set_index("group_order")
        for rec in wide.sort_values("group_order").to_dict("records"):
            row = first.loc[rec["group_order"]]
            by_frequency.append({"group": rec["group_name"], "customers": int(row["customers"]),
                                 "actual": float(row["actual"]),
                                 "predicted": [rec.get(n) for n in _sources(checked)]})
    bands = calibration[calibration["kind"] == "churn_band"].sort_values("group_order").to_dict("records")
    for b in bands:
        b["label"] = label(b["group_name"], lang)
    return {
        "model": model, "horizon": settings.clv_horizon_days, "kpis": kpis, "tracking_chart": tracking_chart,
        "calibration_end": calibration_end, "distribution_chart": distribution_chart, "channel_chart": channel_chart,
        "channels": channels, "high_share": high_share, "mean_alive": mean_alive, "total": total, "customers": customers,
        "spend_note": _("the Gamma-Gamma model") if len(spend) else _("each order's mean value"),
        "checked": _plain(checked.to_dict("records")), "sources": _sources(checked), "by_frequency": by_frequency,
        "bands": bands, "churn_horizon": horizon, "churn_source": source,
        "churn_note": notes.churn_note(records, lang, horizon),
        "holdout_from": str(checked["holdout_from"].iloc[0])[:10] if len(checked) else "",
        "boundary_notes": notes.boundary_notes(records, lang),
        "spend_check": ({**spend_row, "note": notes.spend_note(spend_row, lang)} if spend_row else None),
        "tracking_note": tracking_note(chosen, lang),
    }


def tracking_note(chosen, lang: str = "en") -> str:
    """Plain words when the chosen model's holdout total misses the actual by more than 15%: a buying
    rate that rose or fell after calibration (a season, growth, a change in the shop) is something a
    model of steady buying rates cannot foresee from the calibration period."""
    if not len(chosen) or chosen["holdout_actual"].isna().all() or chosen["holdout_predicted"].isna().all():
        return ""
    actual, predicted = float(chosen["holdout_actual"].iloc[0]), float(chosen["holdout_predicted"].iloc[0])
    if actual <= 0 or abs(predicted / actual - 1) <= 0.15:
        return ""
    from centric.i18n import fmt_number, fmt_percent, translator

    _ = translator(lang).gettext
    if actual > predicted:
        text = _("In the holdout, customers made %(actual)s repeat purchases, %(gap)s above the %(predicted)s the "
                 "model expected: the shop's buying rate changed after the calibration period (a season, growth or "
                 "a change in the shop), which a model of steady buying rates cannot foresee. Read its forecasts "
                 "as the calibration period's pace carried forward.")
    else:
        text = _("In the holdout, customers made %(actual)s repeat purchases, %(gap)s below the %(predicted)s the "
                 "model expected: the shop's buying rate changed after the calibration period (a season, growth or "
                 "a change in the shop), which a model of steady buying rates cannot foresee. Read its forecasts "
                 "as the calibration period's pace carried forward.")
    return text % {"actual": fmt_number(actual, lang), "gap": fmt_percent(abs(actual / predicted - 1), lang, 0),
                   "predicted": fmt_number(predicted, lang)}


def _sources(checked) -> list[str]:
    return [str(m) for m in checked["model"]]


def personas_context(store, lang: str = "en", currency: str | None = None) -> list[dict] | None:
    """The persona cards, when `centric personas` has run, with name and summary in `lang`."""
    from centric.report.personas import localise_cards, localise_partition
    from centric.services.personas import load_cards

    return localise_partition(localise_cards(load_cards(store), lang, currency), lang) if store.has_rows("personas") else None


def kpi_context(store, lang: str = "en", currency: str | None = None) -> list[dict] | None:
    """The KPI board (latest complete month, or all time), when `centric kpis` has run."""
    from centric.i18n import fmt_month, label, translator
    from centric.report.figures import kpi_text
    from centric.services.kpis import board

    _ = translator(lang).gettext
    if not store.has_rows("kpis"):
        return None
    rows = board(_table(store, "kpis")).to_dict("records")
    for r in rows:
        r["trend"] = r["trend"] if isinstance(r["trend"], str) else None
        r["shown"] = kpi_text(r["value"], r["unit"], lang, currency)
        r["target_shown"] = kpi_text(r["target"], r["unit"], lang, currency)
        r["label"] = label(r["kpi"], lang)
        r["status_label"] = label(r["status"], lang)
        r["period_shown"] = (fmt_month(r["period"][7:], lang, long=True) if str(r["period"]).startswith("latest:")
                             else _("all time") if r["period"] == "all" else fmt_month(r["period"], lang, long=True)
                             if len(str(r["period"])) == 7 else str(r["period"]))
    return rows



def listening_context(store, lang: str = "en") -> dict | None:
    """Scores with intervals, NPS by month, the themes that cost NPS points, rising negative themes and
    verbatims per top theme, when `centric listen` has run. Texts are escaped by the template."""
    from centric.queries import listening_board as board
    from centric.report import charts
    from centric.services.listen import verbatims

    if not store.has_rows("feedback_insights"):
        return None
    db = store.ibis()
    survey_scores = db.table("survey_scores")
    scores = db.execute(board.headline(survey_scores)).to_dict("records")
    monthly = db.execute(board.by_month(survey_scores, "nps"))
    from centric.i18n import translator

    _ = translator(lang).gettext
    partial = partial_month(observation_end(store))
    periods = monthly["period"].tolist()
    nps_chart = charts.line_chart(periods, {"NPS": monthly["value"].round(1).tolist()},
                                  _("NPS by month (points, -100 to 100)"), lang=lang, months=True,
                                  partial_last=bool(periods) and periods[-1] == partial) if len(monthly) > 1 else None
    drivers = db.execute(board.top_drivers(db.table("feedback_drivers"), 8)).to_dict("records")
    rising = db.execute(board.rising(db.table("feedback_trends"))).to_dict("records")
    mix = db.execute(board.sentiment_mix(db.table("feedback_insights")))
    quotes = []
    for theme in [d["theme"] for d in drivers[:3]]:
        frame = verbatims(store, theme=theme, sentiment="negative", limit=2)
        quotes += [{"theme": theme, "language": r.language, "text": r.text} for r in frame.itertuples()]
    return {"scores": scores, "nps_chart": nps_chart, "drivers": drivers, "rising": rising,
            "sentiment": mix.to_dict("records"), "quotes": quotes}


def journey_context(store, months: int = 12, lang: str = "en") -> dict | None:
    """Stage and status counts now, moves, the strongest significant drivers of each move and the cohort
    retention grid, when `centric journey` has run. The stage counts add up to the customers in
    journey_stages (one open row each), and so do the status counts."""
    from centric.queries import journey_board as board
    from centric.queries.transitions import MOVES
    from centric.report import charts

    if not store.has_rows("journey_stages"):
        return None
    db = store.ibis()
    stages_table = db.table("journey_stages")
    stages = db.execute(board.now(stages_table, "stage")).to_dict("records")
    statuses = db.execute(board.now(stages_table, "status"))
    buyers = int(statuses.loc[statuses["status"] != "prospect", "customers"].sum())
    statuses = statuses[statuses["status"] != "prospect"].to_dict("records")
    moves = db.execute(board.moves(db.table("stage_transitions"))).to_dict("records")
    drivers = db.execute(board.top_drivers(db.table("journey_drivers")))
    order = {label: i for i, label in enumerate(MOVES.values())}  # in the order of the journey
    drivers = drivers.sort_values("transition", key=lambda s: s.map(order), kind="stable")
    drivers = drivers.astype(object).where(drivers.notna(), None)
    rates = db.execute(board.monthly_rates(db.table("stage_transition_rates"), [
        ("first_purchase", "repeat"), ("at_risk", "won_back"), ("at_risk", "lapsed")]))
    rates = rates.pivot(index="month", columns="move", values="rate").sort_index().tail(24).fillna(0.0)
    partial = partial_month(observation_end(store))
    labels = [m.strftime("%Y-%m") for m in rates.index]
    from centric.i18n import fmt_number, transition_label, translator

    _ = translator(lang).gettext
    rates_chart = charts.line_chart(labels, {transition_label(move, lang): rates[move].round(1).tolist()
                                             for move in rates.columns},
                                    _("Monthly transition rates (%)"), lang=lang, months=True,
                                    y_format=lambda v: fmt_number(v, lang) + " %",
                                    partial_last=bool(labels) and labels[-1] == partial) if len(rates) > 1 else None
    grid = db.execute(board.cohort_grid(db.table("cohorts"), months))
    rows = []
    for cohort, g in grid.groupby("cohort"):
        cells = dict(zip(g["month_offset"], g["retention"]))
        start = cohort.year * 12 + cohort.month - 1
        partial_offset = None
        if partial is not None:  # the cell of the month the data end in, when it is not complete
            year, month = (int(part) for part in partial.split("-"))
            partial_offset = year * 12 + month - 1 - start
        rows.append({"cohort": cohort.strftime("%Y-%m"), "size": int(g["cohort_size"].iloc[0]),
                     "cells": [cells.get(k) for k in range(months + 1)], "partial_offset": partial_offset})
    return {"stages": stages, "customers": sum(s["customers"] for s in stages), "statuses": statuses, "buyers": buyers,
            "moves": moves, "rates_chart": rates_chart, "drivers": drivers.to_dict("records"),
            "cohorts": rows[-18:], "partial_month": partial,
            "offsets": list(range(months + 1))}
