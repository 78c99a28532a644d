"""Gather the report's figures from the workspace and write report.html."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from centric.errors import CentricError
from centric.services.summary import observation_end


class ReportError(CentricError):
    """Nothing to report on yet."""


def report_context(store, settings) -> dict:
    from centric._version import __version__
    from centric.report import charts
    from centric.schema import INPUT_TABLES

    if not store.has_rows("customer_summary"):
        raise ReportError("no customer summary yet: load orders with `centric ingest`, then `centric run`")
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
    kpis = [
        {"label": "Customers who bought", "value": f"{buyers:,}"},
        {"label": "Orders", "value": f"{purchases:,}"},
        {"label": f"Revenue ({cur})", "value": f"{float(revenue):,.0f}"},
        {"label": f"Average order value ({cur})", "value": f"{float(revenue) / max(purchases, 1):,.2f}"},
        {"label": "Repeat-purchase rate", "value": f"{100 * (repeat_rate or 0):.1f}%"},
        {"label": "Orders per customer", "value": f"{avg_orders or 0:.2f}"},
        {"label": f"Returns ({cur})", "value": f"{float(returns):,.0f}"},
        {"label": "Guest revenue share", "value": f"{100 * float(guest_revenue) / max(float(revenue), 1e-9):.1f}%"},
    ]
    by_month = db.execute(monthly_revenue(db.table("orders")))
    months = revenue_months(pd.to_datetime(by_month["month"]), by_month["revenue"], by_month["returns"], last)
    revenue_chart = charts.line_chart(
        [m["month"] for m in months],
        {"revenue": [m["revenue"] for m in months], "returns": [m["returns"] for m in months]},
        f"Revenue by month ({cur})", partial_last=bool(months and months[-1]["partial"]),
    )
    segments = db.execute(shop_board.by_segment(summary)).to_dict("records")
    segment_chart = charts.hbar_chart([s["rfm_segment"] for s in segments], [s["customers"] for s in segments],
                                      "Customers per RFM segment")
    top = db.execute(shop_board.top_customers(summary, 15)).to_dict("records")
    dist = db.execute(shop_board.orders_histogram(summary, 10))
    orders_chart = charts.hbar_chart([f"{k} orders" for k in dist["orders"]], dist["customers"].tolist(),
                                     "Customers by number of orders")
    table_counts = [{"table": t, "rows": store.count(t)} for t in INPUT_TABLES]
    quarantine = db.execute(shop_board.quarantine_reasons(db.table("quarantine"), 30)).to_dict("records")
    return {
        "clv": clv_context(store, settings), "personas": personas_context(store), "kpi_board": kpi_context(store),
        "listening": listening_context(store), "journey": journey_context(store),
        "consent": consent_context(store, settings),
        "shop_name": settings.shop_name, "currency": cur, "version": __version__,
        "observed_until": str(last)[:16] if last else "–",
        "generated_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "kpis": kpis, "revenue_chart": revenue_chart, "revenue_months": months, "revenue_total": revenue, "segments": segments, "segment_chart": segment_chart,
        "top_customers": top, "orders_chart": orders_chart, "table_counts": table_counts, "quarantine": quarantine,
    }


def consent_context(store, settings) -> dict | None:
    """What each analysis left out for want of consent (consent_exclusions), or None before any ran."""
    from centric.services.consent import exclusions, line

    frame = exclusions(store)
    if frame.empty:
        return None
    customers = store.count("customers")
    rows = [{**r, "computed_at": str(r["computed_at"])[:16], "message": line(r),
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


def write_report(store, settings, path: Path) -> Path:
    from centric.report.render import render_report, write_html

    return write_html(render_report(report_context(store, settings)), path)


def _table(store, name: str):
    return store.ibis().execute(store.ibis().table(name))


def _row(db, expr, *columns) -> tuple:
    """The one row of an aggregate expression, as plain Python values (None for NULL)."""
    record = _plain(db.execute(expr).to_dict("records"))[0]
    return tuple(record[c] for c in columns)


def _plain(records: list[dict]) -> list[dict]:
    """NaN (missing) as None, so the report's filters print a dash."""
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in records]


def clv_context(store, settings) -> dict | None:
    """The customer-value section: headline figures that agree with the holdout check, the check
    itself (models and baselines, boundary notes, conditional expectations, churn-band shares),
    tracking plot, CLV distribution, value by channel."""
    import numpy as np

    from centric.report import charts

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
    kpis = [
        {"label": f"Predicted CLV, next {settings.clv_horizon_days} days ({cur})", "value": f"{total:,.0f}"},
        {"label": f"Mean CLV per customer ({cur})", "value": f"{total / max(customers, 1):,.2f}"},
    ]
    if value["p_alive"].notna().any():
        kpis.append({"label": "Mean P(alive)", "value": f"{100 * value['p_alive'].mean():.1f}%"})
    if value["p_no_purchase"].notna().any() and horizon:
        kpis.append({"label": f"Expected to buy within {horizon:.0f} days",
                     "value": f"{100 * (1 - value['p_no_purchase'].mean()):.1f}%"})
    kpis += [
        {"label": "High churn risk", "value": f"{100 * (value['churn_risk'] == 'high').mean():.1f}%"},
        {"label": "Orders expected in 365 days", "value": f"{value['expected_orders_365d'].sum():,.0f}"},
    ]
    tracking = _table(store, "clv_tracking").sort_values("week")
    tracking_chart = None
    calibration_end = ""
    if len(tracking):
        tracking_chart = charts.line_chart(
            [f"w{w}" for w in tracking["week"]],
            {"actual": tracking["actual"].tolist(), "model": tracking["predicted"].round(1).tolist()},
            "Repeat purchases per week",
        )
        cal = tracking[~tracking["in_holdout"].astype(bool)]
        calibration_end = f"week {int(cal['week'].max())}" if len(cal) else ""
    edges = [10, 50, 100, 250, 500, 1000]
    labels = ["< 10", "10-50", "50-100", "100-250", "250-500", "500-1000", "1000+"]
    counts = np.bincount(np.searchsorted(edges, value["predicted_clv"].to_numpy(), side="right"), minlength=7)
    distribution_chart = charts.hbar_chart([f"{labels[b]} {cur}" for b in range(7) if counts[b]],
                                           [int(n) for n in counts if n], "Customers by predicted CLV")
    rollups = _table(store, "clv_rollups")
    channels = _plain(rollups[rollups["dimension"] == "acquisition_channel"]
                      .sort_values("total_clv", ascending=False).to_dict("records"))
    channel_chart = charts.hbar_chart([str(c["group_name"]) for c in channels], [float(c["total_clv"] or 0) for c in channels],
                                      f"Predicted CLV by acquisition channel ({cur})")
    checked = models[models["kind"].isin(["model", "baseline"]) & models["holdout_days"].notna()]
    spend = models[models["kind"] == "spend"]
    chosen = models[models["kind"].isin(["model", "baseline"]) & models["chosen"].fillna(False).astype(bool)]
    model = str(chosen["model"].iloc[0]) if len(chosen) else str(value["model"].iloc[0])
    source_rows = models[models["churn_source"].fillna(False).astype(bool)]
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
    return {
        "model": model, "horizon": settings.clv_horizon_days, "kpis": kpis, "tracking_chart": tracking_chart,
        "calibration_end": calibration_end, "distribution_chart": distribution_chart, "channel_chart": channel_chart,
        "channels": channels, "spend_note": "the Gamma-Gamma model" if len(spend) else "each order's mean value",
        "checked": _plain(checked.to_dict("records")), "sources": _sources(checked), "by_frequency": by_frequency,
        "bands": bands, "churn_horizon": horizon, "churn_source": source,
        "churn_note": str(source_rows["note"].iloc[0]) if len(source_rows) and source_rows["note"].notna().any() else "",
        "holdout_from": str(checked["holdout_from"].iloc[0])[:10] if len(checked) else "",
        "boundary_notes": [str(n) for n in checked.loc[checked["boundary"].fillna(False).astype(bool), "note"]][:1],
        "spend_check": _plain(spend.to_dict("records"))[0] if len(spend) else None,
        "tracking_note": tracking_note(chosen),
    }


def tracking_note(chosen) -> str:
    """Plain words when the chosen model's holdout total misses the actual by more than 15%: a buying
    rate that rose or fell after calibration (a season, growth, a change in the shop) is something a
    model of steady buying rates cannot foresee from the calibration period."""
    if not len(chosen) or chosen["holdout_actual"].isna().all() or chosen["holdout_predicted"].isna().all():
        return ""
    actual, predicted = float(chosen["holdout_actual"].iloc[0]), float(chosen["holdout_predicted"].iloc[0])
    if actual <= 0 or abs(predicted / actual - 1) <= 0.15:
        return ""
    way = "above" if actual > predicted else "below"
    return (f"In the holdout, customers made {actual:,.0f} repeat purchases, {abs(actual / predicted - 1):.0%} {way} "
            f"the {predicted:,.0f} the model expected: the shop's buying rate changed after the calibration period "
            "(a season, growth or a change in the shop), which a model of steady buying rates cannot foresee. "
            "Read its forecasts as the calibration period's pace carried forward.")


def _sources(checked) -> list[str]:
    return [str(m) for m in checked["model"]]


def personas_context(store) -> list[dict] | None:
    """The persona cards, when `centric personas` has run."""
    from centric.services.personas import load_cards

    return load_cards(store) if store.has_rows("personas") else None


def kpi_context(store) -> list[dict] | None:
    """The KPI board (latest complete month, or all time), when `centric kpis` has run."""
    from centric.report.figures import kpi_text
    from centric.services.kpis import board

    if not store.has_rows("kpis"):
        return None
    rows = board(_table(store, "kpis")).to_dict("records")
    for r in rows:
        r["trend"] = r["trend"] if isinstance(r["trend"], str) else None
        r["shown"] = kpi_text(r["value"], r["unit"])
        r["target_shown"] = kpi_text(r["target"], r["unit"])
    return rows



def listening_context(store) -> dict | None:
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
    nps_chart = charts.line_chart(monthly["period"].tolist(), {"NPS": monthly["value"].round(1).tolist()},
                                  "NPS by month") if len(monthly) > 1 else None
    drivers = db.execute(board.top_drivers(db.table("feedback_drivers"), 8)).to_dict("records")
    rising = db.execute(board.rising(db.table("feedback_trends"))).to_dict("records")
    mix = db.execute(board.sentiment_mix(db.table("feedback_insights")))
    quotes = []
    for theme in [d["theme"] for d in drivers[:3]]:
        frame = verbatims(store, theme=theme, sentiment="negative", limit=2)
        quotes += [{"theme": theme, "language": r.language, "text": r.text} for r in frame.itertuples()]
    return {"scores": scores, "nps_chart": nps_chart, "drivers": drivers, "rising": rising,
            "sentiment": mix.to_dict("records"), "quotes": quotes}


def journey_context(store, months: int = 12) -> dict | None:
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
    rates_chart = charts.line_chart(labels, {move: rates[move].round(1).tolist() for move in rates.columns},
                                    "Monthly transition rates (%)",
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
