"""The dashboard's data: one function per page, each a few small reads of the published snapshot.

Rule: the dashboard reads the snapshot only (store/dash_reads.py), never the workspace database, so a
page never blocks `ingest` or `run` and `run` never blocks a page. The funnel built in the page gives
the answer of `centric funnel`'s query (queries/funnel.py, windowFunnel semantics) on the snapshot's
consented events (dash_events), so the page and the command agree; it is computed on an in-memory
index of those events (services/dashboard_funnel.py, dashboard_funnel_index.py). Figures come back raw (shares
0-1, money in the workspace currency); the API formats them per language.

Filters (``Filters``): date range (whole days), RFM or rule segment (current members), persona,
acquisition channel, country. Every page applies every filter that concerns its rows; tables read
as published (KPI targets, CLV calibration, drivers, paths, cohorts) are whole-shop and say so.
"""

from __future__ import annotations

import calendar
import datetime as dt
import threading
from dataclasses import asdict, dataclass

from centric.errors import CentricError
from centric.store import dash_reads as r


class DashboardError(CentricError):
    """A bad filter or funnel request, or no snapshot published yet."""


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    segment: str | None = None
    persona: int | None = None
    channel: str | None = None
    country: str | None = None

    @classmethod
    def parse(cls, params) -> "Filters":
        """From query parameters (from, to as YYYY-MM-DD; the others as text); empty means all."""
        def text(name):
            value = (params.get(name) or "").strip()
            return value or None

        def day(name):
            value = text(name)
            if value is None:
                return None
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise DashboardError(f"{name}={value!r} is not a date: use YYYY-MM-DD") from None

        persona = text("persona")
        if persona is not None and not persona.isdigit():
            raise DashboardError(f"persona={persona!r} is not a persona number")
        out = cls(day("from"), day("to"), text("segment"), int(persona) if persona else None, text("channel"),
                  text("country"))
        if out.date_from and out.date_to and out.date_from > out.date_to:
            raise DashboardError("the date range ends before it starts: swap from and to")
        return out

    def as_dict(self) -> dict:
        return asdict(self)

    def query(self) -> dict:
        """The filters as URL parameters (only those set)."""
        out = {"from": self.date_from, "to": self.date_to, "segment": self.segment, "persona": self.persona,
               "channel": self.channel, "country": self.country}
        return {k: str(v) for k, v in out.items() if v is not None}


class _Reading:
    """A cursor on the snapshot for one request; refuses clearly when nothing is published."""

    def __init__(self, snapshot):
        self.cur = snapshot.cursor()
        if self.cur is None or not r.has_table(self.cur, "dash_customers"):
            if self.cur is not None:
                self.cur.close()
            raise DashboardError("nothing to show yet: run `centric run` (it publishes what the dashboard reads)")

    def __enter__(self):
        return self.cur

    def __exit__(self, *exc):
        self.cur.close()


_POOL = None
_POOL_LOCK = threading.Lock()


def _together(snapshot, **reads) -> dict:
    """name -> read(cursor), the reads run at once, each on its own cursor of the snapshot: a page's
    reads are independent, and each of the small dash tables fits in one DuckDB row group, so a read
    runs on one core; together they use every core. The first error is raised."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from concurrent.futures import ThreadPoolExecutor

            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="centric-dash-read")

    def run(read):
        with _Reading(snapshot) as cur:
            return read(cur)

    futures = {name: _POOL.submit(run, read) for name, read in reads.items()}
    return {name: future.result() for name, future in futures.items()}


def filter_options(snapshot) -> dict:
    with _Reading(snapshot) as cur:
        return r.filter_options(cur)


def _month_end(month: str) -> dt.date:
    year, mon = map(int, month.split("-"))
    return dt.date(year, mon, calendar.monthrange(year, mon)[1])


def overview(snapshot, f: Filters) -> dict:
    """The KPI board (whole shop, with targets), sales per month of the filtered customers (the last
    month marked partial when the data stops before its end) and the last complete month against the
    one before."""
    fd = f.as_dict()
    out = _together(snapshot, sales=lambda cur: r.sales_by_month_and_total(cur, fd),
                    counts=lambda cur: r.customer_counts(cur, fd),
                    rest=lambda cur: (r.data_end(cur), r.kpi_board(cur), r.kpi_months(cur)))
    months, totals = out["sales"]
    counts = out["counts"]
    end, board, history = out["rest"]
    for m in months:
        m["aov"] = m["revenue"] / m["orders"] if m["orders"] else None
    partial = None
    if months and end is not None:
        last = months[-1]["month"]
        stop = min(end.date(), f.date_to) if f.date_to else end.date()
        if stop.strftime("%Y-%m") == last and stop < _month_end(last):
            partial = len(months) - 1
    complete = months[:partial] if partial is not None else months
    change = []
    if len(complete) >= 2:
        now, before = complete[-1], complete[-2]
        for key in ("revenue", "orders", "buyers", "aov"):
            a, b = now[key], before[key]
            change.append({"kpi": key, "period": now["month"], "previous_period": before["month"], "value": a,
                           "previous": b, "change": (a - b) / b if a is not None and b else None})
    trends: dict[str, list] = {}
    for row in history:
        trends.setdefault(row["kpi"], []).append((row["period"], row["value"]))
    for row in board:
        row["history"] = trends.get(row["kpi"], [])[-12:]
    totals["aov"] = totals["revenue"] / totals["orders"] if totals["orders"] else None
    return {"months": months, "partial": partial, "totals": totals, "change": change, "board": board,
            "customers": counts, "data_end": end}


def customers(snapshot, f: Filters) -> dict:
    fd = f.as_dict()
    out = _together(snapshot,  # value_groups: counts, RFM groups and persona sizes from one scan
                    groups=lambda cur: (r.table_rows(cur, "personas", order_by="persona_id"),
                                        r.value_groups(cur, fd, ["rfm_segment", "persona_id"])),
                    segments=lambda cur: r.segment_movement(cur, fd), top=lambda cur: r.top_customers(cur, fd))
    personas, v = out["groups"]
    sizes = {int(g["group_name"]): g["customers"] for g in v["groups"]["persona_id"] if g["group_name"] != "(none)"}
    return {"counts": v["counts"], "segments": out["segments"], "rfm": v["groups"]["rfm_segment"], "top": out["top"],
            "personas": [{**p, "filtered_customers": sizes.get(p["persona_id"], 0)} for p in personas]}


def customer(snapshot, customer_id: str) -> dict:
    with _Reading(snapshot) as cur:
        found = r.customer(cur, customer_id)
    if found["customer"] is None:
        raise DashboardError(f"no customer {customer_id!r} in the published snapshot")
    return found


def listening(snapshot, f: Filters, search: str | None = None, language: str | None = None) -> dict:
    fd = f.as_dict()
    search = (search or "").strip() or None
    out = _together(snapshot, scores=lambda cur: r.scores_monthly_and_overall(cur, fd),
                    themes=lambda cur: r.themes(cur, fd),
                    verbatims=lambda cur: r.verbatims(cur, fd, search, language or None),
                    rest=lambda cur: {"drivers": r.table_rows(cur, "feedback_drivers"),
                                      "trends": r.table_rows(cur, "feedback_trends"),
                                      "surveys": r.survey_responses(cur, fd)})
    monthly, overall = out["scores"]
    return {"monthly": monthly, "overall": overall, "themes": out["themes"], "drivers": out["rest"]["drivers"],
            "trends": out["rest"]["trends"], "verbatims": out["verbatims"], "surveys": out["rest"]["surveys"]}


def journey(snapshot, f: Filters) -> dict:
    fd = f.as_dict()
    with _Reading(snapshot) as cur:
        return {"flow": r.stage_flow(cur, fd), "paths": r.table_rows(cur, "top_paths", limit=15),
                "cohorts": r.table_rows(cur, "cohorts", limit=5000), "drivers": r.table_rows(cur, "journey_drivers"),
                "transitions": r.table_rows(cur, "stage_transitions"), "events": r.event_names(cur)}


def value(snapshot, f: Filters) -> dict:
    fd = f.as_dict()
    with _Reading(snapshot) as cur:
        v = r.value_groups(cur, fd, ["churn_risk", "rfm_segment", "persona"])
        return {"counts": v["counts"], "risk": v["groups"]["churn_risk"],
                "by_segment": v["groups"]["rfm_segment"], "by_persona": v["groups"]["persona"],
                "channels": [x for x in r.table_rows(cur, "clv_rollups") if x["dimension"] == "acquisition_channel"],
                "calibration": r.table_rows(cur, "clv_calibration", order_by="group_order"),
                "models": r.table_rows(cur, "clv_models")}
