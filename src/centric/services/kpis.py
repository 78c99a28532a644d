"""`centric kpis`: the KPI board, each KPI with its target from centric.toml, status and trend.

Monthly purchase KPIs come from queries/kpis.py; the board's value of a monthly KPI is the last
complete month, its trend that month against the mean of the three before. Lifetime KPIs come from
the other analyses: CLV and P(alive) (customer_value), CAC and CLV:CAC per channel (clv_rollups),
the first-to-second purchase conversion (stage_transitions), NPS, CSAT and CES (survey_scores).
Targets: `[kpi_targets]` in centric.toml, e.g. `repeat_customer_rate = 0.35`; a KPI where lower is
better (churn, CAC, days between orders) is on track at or below its target.
"""

from __future__ import annotations

import pandas as pd

from centric.errors import CentricError

# kpi -> (unit, higher is better)
KPIS = {
    "buyers": ("customers", True), "orders": ("orders", True), "revenue": ("currency", True),
    "aov": ("currency", True), "purchase_frequency": ("orders per buyer", True),
    "repeat_customer_rate": ("share", True), "retention_rate": ("share", True), "churn_rate": ("share", False),
    "days_between_orders": ("days", False), "clv": ("currency", True), "p_alive": ("probability", True),
    "high_churn_risk": ("share", False),
    "cac": ("currency", False), "clv_to_cac": ("ratio", True), "first_to_repeat_conversion": ("share", True),
    "nps": ("points", True), "csat": ("% satisfied", True), "ces": ("1-7", True),
}
MONTHLY = ("buyers", "orders", "revenue", "aov", "purchase_frequency", "repeat_customer_rate", "retention_rate",
           "churn_rate", "days_between_orders")
FLAT = 0.02


class KpiError(CentricError):
    """No orders to measure, or a target for an unknown KPI."""


def _row(kpi, period, value, dimension="all", group="all"):
    return {"kpi": kpi, "period": period, "dimension": dimension, "group": group,
            "value": None if value is None or value != value else float(value)}


def last_complete_month(observed_until) -> pd.Timestamp:
    """The month of the end of observation when the data reach its last day, else the month before."""
    end = pd.Timestamp(observed_until)
    month = end.to_period("M").to_timestamp()
    complete = (end + pd.Timedelta(days=1)).month != end.month
    return month if complete else month - pd.offsets.MonthBegin(1)


def monthly_rows(store, end) -> pd.DataFrame:
    from centric.queries.kpis import monthly_kpis

    months = store.ibis().execute(monthly_kpis(store.ibis().table("orders"), store.moment("kpi_end", end)))
    months["churn_rate"] = 1 - months["retention_rate"]
    rows = [_row(k, pd.Timestamp(m).strftime("%Y-%m"), v) for m, rec in zip(months["month"], months.to_dict("records"))
            for k, v in rec.items() if k in MONTHLY]
    return pd.DataFrame(rows)


def lifetime_rows(store) -> list[dict]:
    from centric.queries import kpi_board, listening_board
    from centric.queries.shop_board import totals

    db = store.ibis()
    rows = []
    s = db.execute(totals(db.table("customer_summary"))).iloc[0]
    if s["buyers"]:
        buyers, orders, revenue = int(s["buyers"]), int(s["orders"]), float(s["revenue"])
        rows += [_row("buyers", "all", buyers), _row("orders", "all", orders), _row("revenue", "all", revenue),
                 _row("aov", "all", revenue / orders), _row("purchase_frequency", "all", orders / buyers),
                 _row("repeat_customer_rate", "all", s["repeat_rate"])]
    if store.has_rows("customer_value"):
        v = db.table("customer_value")
        clv, alive, high = db.execute(v.aggregate(
            clv=v.predicted_clv.mean(), alive=v.p_alive.mean(),
            high=(v.churn_risk == "high").cast("float64").mean())).iloc[0]
        alive = None if pd.isna(alive) else alive
        rows += [_row("clv", "all", clv), _row("high_churn_risk", "all", high)]
        if alive is not None:  # P(alive) only from a model the holdout validates (services/clv.py)
            rows.append(_row("p_alive", "all", alive))
        rollups = db.table("clv_rollups")
        spend, new = db.execute(kpi_board.acquisition_spend(rollups)).iloc[0]
        if _given(spend) and _given(new):
            rows.append(_row("cac", "all", float(spend) / float(new)))  # blended: all spend over the paid channels' new customers
        for r in db.execute(kpi_board.channel_cac(rollups)).itertuples():
            rows += [_row("cac", "all", r.cac, "acquisition_channel", r.group_name),
                     _row("clv_to_cac", "all", r.clv_to_cac, "acquisition_channel", r.group_name)]
    if store.has_rows("stage_transitions"):
        from centric.queries.journey_board import move_share

        conv = db.execute(move_share(db.table("stage_transitions"), "first_purchase", "repeat"))
        if len(conv):
            rows.append(_row("first_to_repeat_conversion", "all", conv["share"][0]))
    if store.has_rows("survey_scores"):
        scores = db.execute(listening_board.overall(db.table("survey_scores")).select("metric", "period", "value"))
        for r in scores.itertuples():
            rows.append(_row(r.metric, r.period, r.value))
    return rows


def _given(value) -> bool:
    """A figure that is there and not zero (SQL NULL reads as None or NaN)."""
    return value is not None and not pd.isna(value) and value != 0


def breakdown_rows(store) -> list[dict]:
    """AOV, repeat-customer rate and CLV per persona and per acquisition channel (customer_profiles)."""
    from centric.queries.kpi_board import value_by

    rows = []
    if not store.has_rows("customer_profiles"):
        return rows
    db = store.ibis()
    profiles, summary = db.table("customer_profiles"), db.table("customer_summary")
    frames = {"acquisition_channel": value_by(profiles, summary)}
    if store.has_rows("customer_personas"):
        frames["persona"] = value_by(profiles, summary, db.table("customer_personas"), db.table("personas"))
    for dimension, expr in frames.items():
        for r in db.execute(expr).to_dict("records"):
            group = None if pd.isna(r["group"]) else r["group"]  # a NULL group reads as NaN when all are NULL
            for kpi in ("aov", "repeat_customer_rate", "clv"):
                rows.append(_row(kpi, "all", r[kpi], dimension, str(group)))
    return rows


def status_of(kpi: str, value, target) -> str:
    if target is None or value is None or target != target or value != value:
        return "no target"
    higher = KPIS[kpi][1]
    return "on track" if (value >= target if higher else value <= target) else "off track"


def build_kpis(store, settings) -> pd.DataFrame:
    from centric.services.summary import build_customer_summary, observation_end

    unknown = sorted(set(settings.kpi_targets) - set(KPIS))
    if unknown:
        raise KpiError(f"[kpi_targets] names unknown KPIs: {', '.join(unknown)}; KPIs are {', '.join(KPIS)}")
    end = observation_end(store)
    if end is None:
        raise KpiError("no orders yet: load them with `centric ingest orders FILE`")
    if not store.has_rows("customer_summary"):
        build_customer_summary(store, cuts=settings.rfm_cuts)
    monthly = monthly_rows(store, end)
    board = pd.DataFrame(lifetime_rows(store) + breakdown_rows(store))
    latest = last_complete_month(end).strftime("%Y-%m")
    rows = [monthly]
    headline = []
    for kpi in MONTHLY:
        series = monthly[(monthly["kpi"] == kpi) & (monthly["period"] <= latest)].dropna(subset=["value"])
        if series.empty:
            continue
        last = series.iloc[-1]
        before = series.iloc[-4:-1]["value"]
        trend = _trend(last["value"], before.mean() if len(before) else None)
        headline.append({**last.to_dict(), "period": f"latest:{last['period']}", "trend": trend})
    table = pd.concat([pd.DataFrame(headline), board, *rows], ignore_index=True)
    table["unit"] = table["kpi"].map(lambda k: KPIS[k][0])
    table["target"] = [settings.kpi_targets.get(k) if d == "all" and not str(p).startswith("20") else None
                       for k, d, p in zip(table["kpi"], table["dimension"], table["period"])]
    table["status"] = [status_of(k, v, t) for k, v, t in zip(table["kpi"], table["value"], table["target"])]
    if "trend" not in table:
        table["trend"] = None
    table = table[["kpi", "period", "dimension", "group", "value", "target", "status", "trend", "unit"]]
    store.replace_table("kpis", table)
    return table


def _trend(value, reference) -> str | None:
    if value is None or reference is None or reference != reference or reference == 0:
        return None
    change = value / reference - 1
    return "flat" if abs(change) < FLAT else "up" if change > 0 else "down"


def board(table: pd.DataFrame) -> pd.DataFrame:
    """The headline: one row per KPI (latest complete month for monthly KPIs, else all time)."""
    overall = table[table["dimension"] == "all"]
    latest = overall[overall["period"].str.startswith("latest:")]
    lifetime = overall[(overall["period"] == "all") & ~overall["kpi"].isin(latest["kpi"])]
    return pd.concat([latest, lifetime], ignore_index=True)
