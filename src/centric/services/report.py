"""Gather the report's figures from the workspace and write report.html."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from centric.errors import CentricError


class ReportError(CentricError):
    """Nothing to report on yet."""


def report_context(store, settings) -> dict:
    from centric import __version__
    from centric.report import charts
    from centric.schema import INPUT_TABLES

    con = store.con
    if not store.has_rows("customer_summary"):
        raise ReportError("no customer summary yet: load orders with `centric ingest`, then `centric run`")
    cur = settings.currency
    o = con.execute(
        "SELECT count(*) FILTER (WHERE status = 'completed' AND total >= 0), "
        "coalesce(sum(total) FILTER (WHERE status = 'completed' AND total >= 0), 0), "
        "coalesce(-sum(total) FILTER (WHERE status = 'refunded' AND total < 0), 0), "
        "coalesce(sum(total) FILTER (WHERE status = 'completed' AND total >= 0 AND customer_id IS NULL), 0) "
        "FROM orders"
    ).fetchone()
    purchases, revenue, returns, guest_revenue = o
    buyers, avg_orders, repeat_rate, last = con.execute(
        "SELECT count(*), avg(orders), avg(CASE WHEN frequency > 0 THEN 1.0 ELSE 0.0 END), "
        "max(observed_until) FROM customer_summary"
    ).fetchone()
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
    monthly = con.execute(
        "SELECT strftime(date_trunc('month', ordered_at), '%Y-%m') AS m, "
        "sum(total) FILTER (WHERE status = 'completed' AND total >= 0) AS revenue, "
        "-coalesce(sum(total) FILTER (WHERE status = 'refunded' AND total < 0), 0) AS returns "
        "FROM orders GROUP BY 1 ORDER BY 1"
    ).fetchall()
    revenue_chart = charts.line_chart(
        [m for m, _, _ in monthly],
        {"revenue": [float(r or 0) for _, r, _ in monthly], "returns": [float(x or 0) for _, _, x in monthly]},
        f"Revenue by month ({cur})",
    )
    segments = [
        dict(zip(("rfm_segment", "customers", "share", "revenue", "avg_orders", "avg_days_since"), row))
        for row in con.execute(
            "SELECT rfm_segment, count(*), count(*) / sum(count(*)) OVER (), sum(revenue)::DOUBLE, avg(orders), "
            "avg(days_since_last_order) FROM customer_summary GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
    ]
    segment_chart = charts.hbar_chart([s["rfm_segment"] for s in segments], [s["customers"] for s in segments],
                                      "Customers per RFM segment")
    top = store.query_df(
        "SELECT customer_id, orders, revenue::DOUBLE AS revenue, aov, frequency, recency, \"T\", rfm_score, "
        "rfm_segment FROM customer_summary ORDER BY revenue DESC, customer_id LIMIT 15"
    ).to_dict("records")
    dist = con.execute(
        "SELECT CASE WHEN orders >= 10 THEN '10+' ELSE orders::VARCHAR END AS k, count(*) "
        "FROM customer_summary GROUP BY 1 ORDER BY min(orders)"
    ).fetchall()
    orders_chart = charts.hbar_chart([f"{k} orders" for k, _ in dist], [n for _, n in dist], "Customers by number of orders")
    table_counts = [{"table": t, "rows": store.count(t)} for t in INPUT_TABLES]
    quarantine = store.query_df(
        "SELECT table_name, reason, count(*) AS rows FROM quarantine GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 30"
    ).to_dict("records")
    return {
        "clv": clv_context(store, settings), "personas": personas_context(store), "kpi_board": kpi_context(store),
        "listening": listening_context(store), "journey": journey_context(store),
        "shop_name": settings.shop_name, "currency": cur, "version": __version__,
        "observed_until": str(last)[:16] if last else "–",
        "generated_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "kpis": kpis, "revenue_chart": revenue_chart, "segments": segments, "segment_chart": segment_chart,
        "top_customers": top, "orders_chart": orders_chart, "table_counts": table_counts, "quarantine": quarantine,
    }


def write_report(store, settings, path: Path) -> Path:
    from centric.report.render import render_report, write_html

    return write_html(render_report(report_context(store, settings)), path)


def clv_context(store, settings) -> dict | None:
    """The customer-value section: KPIs, tracking plot, CLV distribution, value by channel."""
    from centric.report import charts

    if not store.has_rows("customer_value"):
        return None
    con = store.con
    cur = settings.currency
    model, customers, total, mean_alive, high, e365 = con.execute(
        "SELECT any_value(model), count(*), sum(predicted_clv), avg(p_alive), "
        "avg(CASE WHEN churn_risk = 'high' THEN 1.0 ELSE 0.0 END), sum(expected_orders_365d) FROM customer_value"
    ).fetchone()
    kpis = [
        {"label": f"Predicted CLV, next {settings.clv_horizon_days} days ({cur})", "value": f"{total:,.0f}"},
        {"label": f"Mean CLV per customer ({cur})", "value": f"{total / max(customers, 1):,.2f}"},
        {"label": "Mean P(alive)", "value": f"{100 * mean_alive:.1f}%"},
        {"label": "High churn risk", "value": f"{100 * high:.1f}%"},
        {"label": "Orders expected in 365 days", "value": f"{e365:,.0f}"},
    ]
    tracking = store.query_df("SELECT * FROM clv_tracking ORDER BY week")
    tracking_chart = None
    calibration_end = ""
    if len(tracking):
        tracking_chart = charts.line_chart(
            [f"w{w}" for w in tracking["week"]],
            {"actual": tracking["actual"].tolist(), "model": tracking["predicted"].round(1).tolist()},
            "Repeat purchases per week",
        )
        cal = tracking[~tracking["in_holdout"]]
        calibration_end = f"week {int(cal['week'].max())}" if len(cal) else ""
    bins = con.execute(
        "SELECT CASE WHEN predicted_clv < 10 THEN 0 WHEN predicted_clv < 50 THEN 1 WHEN predicted_clv < 100 THEN 2 "
        "WHEN predicted_clv < 250 THEN 3 WHEN predicted_clv < 500 THEN 4 WHEN predicted_clv < 1000 THEN 5 ELSE 6 END AS b, "
        "count(*) FROM customer_value GROUP BY 1 ORDER BY 1"
    ).fetchall()
    labels = ["< 10", "10-50", "50-100", "100-250", "250-500", "500-1000", "1000+"]
    distribution_chart = charts.hbar_chart([f"{labels[b]} {cur}" for b, _ in bins], [n for _, n in bins],
                                           "Customers by predicted CLV")
    channels = store.query_df(
        "SELECT * FROM clv_rollups WHERE dimension = 'acquisition_channel' ORDER BY total_clv DESC"
    ).to_dict("records")
    channel_chart = charts.hbar_chart([str(c["group_name"]) for c in channels], [float(c["total_clv"]) for c in channels],
                                      f"Predicted CLV by acquisition channel ({cur})")
    models = store.query_df(
        "SELECT * FROM clv_models WHERE error IS NULL AND model <> 'GammaGamma' ORDER BY bic"
    ).to_dict("records")
    spend = con.execute("SELECT count(*) FROM clv_models WHERE model = 'GammaGamma'").fetchone()[0]
    return {
        "model": model, "horizon": settings.clv_horizon_days, "kpis": kpis, "tracking_chart": tracking_chart,
        "calibration_end": calibration_end, "distribution_chart": distribution_chart, "channel_chart": channel_chart,
        "channels": channels, "models": models if len(models) > 1 else [], "spend_note": "the Gamma-Gamma model" if spend else "each order's mean value",
    }


def personas_context(store) -> list[dict] | None:
    """The persona cards, when `centric personas` has run."""
    from centric.services.personas import load_cards

    return load_cards(store) if store.has_rows("personas") else None


def kpi_context(store) -> list[dict] | None:
    """The KPI board (latest complete month, or all time), when `centric kpis` has run."""
    from centric.services.kpis import board, kpi_text

    if not store.has_rows("kpis"):
        return None
    rows = board(store.query_df("SELECT * FROM kpis")).to_dict("records")
    for r in rows:
        r["trend"] = r["trend"] if isinstance(r["trend"], str) else None
        r["shown"] = kpi_text(r["value"], r["unit"])
        r["target_shown"] = kpi_text(r["target"], r["unit"])
    return rows



def listening_context(store) -> dict | None:
    """Scores with intervals, NPS by month, the themes that cost NPS points, rising negative themes and
    verbatims per top theme, when `centric listen` has run. Texts are escaped by the template."""
    from centric.report import charts
    from centric.services.listen import verbatims

    if not store.has_rows("feedback_insights"):
        return None
    scores = store.query_df("SELECT metric, n, value, low, high FROM survey_scores "
                            "WHERE dimension = 'all' AND period = 'all' ORDER BY metric").to_dict("records")
    monthly = store.query_df("SELECT period, value FROM survey_scores WHERE metric = 'nps' AND dimension = 'all' "
                             "AND period <> 'all' ORDER BY period")
    nps_chart = charts.line_chart(monthly["period"].tolist(), {"NPS": monthly["value"].round(1).tolist()},
                                  "NPS by month") if len(monthly) > 1 else None
    drivers = store.query_df("SELECT * FROM feedback_drivers ORDER BY nps_points_cost DESC LIMIT 8").to_dict("records")
    rising = store.query_df("SELECT * FROM feedback_trends WHERE rising ORDER BY z DESC").to_dict("records")
    mix = store.query_df("SELECT sentiment, count(*) AS n FROM feedback_insights GROUP BY 1 ORDER BY 2 DESC")
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
    rates_chart = charts.line_chart([m.strftime("%Y-%m") for m in rates.index],
                                    {move: rates[move].round(1).tolist() for move in rates.columns},
                                    "Monthly transition rates (%)") if len(rates) > 1 else None
    grid = db.execute(board.cohort_grid(db.table("cohorts"), months))
    rows = []
    for cohort, g in grid.groupby("cohort"):
        cells = dict(zip(g["month_offset"], g["retention"]))
        rows.append({"cohort": cohort.strftime("%Y-%m"), "size": int(g["cohort_size"].iloc[0]),
                     "cells": [cells.get(k) for k in range(months + 1)]})
    return {"stages": stages, "customers": sum(s["customers"] for s in stages), "statuses": statuses, "buyers": buyers,
            "moves": moves, "rates_chart": rates_chart, "drivers": drivers.to_dict("records"),
            "cohorts": rows[-18:],
            "offsets": list(range(months + 1))}
