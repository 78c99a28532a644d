"""What each dashboard page shows, as JSON blocks dash.js draws: cards, charts, tables, persona cards,
a timeline.

Rule: numbers reach the page twice, raw (charts, CSV downloads, tests) and formatted for the page's
language through centric.i18n's fmt_number / fmt_money / fmt_percent / fmt_date / fmt_month; every
message goes through `_` (``gettext_for``: centric.i18n.translator's catalogues, new-style placeholders),
every raw name (segment, stage, channel, event, theme, status) through centric.i18n.label. CSAT is
stored on 0-100 and is shown as a percentage of it (value / 100 to fmt_percent). Customer text (quotes,
verbatims, ids) is data in the JSON, drawn as text by dash.js.
The journey and listening pages' blocks are in api/dash_views_more.py.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from centric.i18n import (LANGUAGES, N_, fmt_date, fmt_money, fmt_month, fmt_number, fmt_percent, label,  # noqa: F401
                          negotiate, translator, transition_label)
from centric.i18n.persona_text import persona_name
from centric.services import dashboard as service
from centric.services.kpis import FLAT  # a change within ±2% reads as steady, as the KPI board's trend


def gettext_for(lang: str):
    """The `_` of a language from centric.i18n's catalogues, new-style like the Jinja pages:
    `_("%(n)s orders", n=3)` translates, then fills the placeholders; without values the message is
    returned as translated (a literal % stays a single %)."""
    gettext = translator(lang).gettext

    def _(message: str, **values) -> str:
        text = gettext(message)
        return text % values if values else text
    return _


PAGE_TITLES = {"overview": N_("Overview"), "customers": N_("Customers"), "listening": N_("Listening"),
               "journey": N_("Journey"), "value": N_("Value")}

KPI_LABELS = {  # the dashboard's own names; every other KPI is named by centric.i18n.label, as in the report
    "nps": N_("Net Promoter Score"), "csat": N_("Satisfaction (CSAT)"), "ces": N_("Effort (CES)"),
    "total_clv": N_("Predicted value of customers"),
}
TIMELINE = 80  # items of the customer page's timeline
MONEY = {"revenue", "aov", "clv", "cac", "total_clv"}
SHARES = {"repeat_customer_rate", "retention_rate", "churn_rate", "p_alive", "first_to_repeat_conversion"}
SEGMENT_KINDS = {"rfm": N_("RFM group"), "rule": N_("Saved rule")}  # segments.kind
TREND = {"up": N_("up"), "down": N_("down"), "flat": N_("flat")}


class Formatter:
    """The page language's `_` and number formats, and the workspace currency."""

    def __init__(self, lang: str, currency: str):
        self.lang, self.currency, self._ = lang, currency, gettext_for(lang)

    def label(self, key) -> str:
        """A raw name (segment, stage, channel, event, theme, status) in the page's language; an RFM
        segment kept as a segment ('rfm:At risk') reads as its RFM group, and a segment's kind as words."""
        if key in (None, ""):
            return "–"
        text = str(key)
        if text in SEGMENT_KINDS:
            return self._(SEGMENT_KINDS[text])
        if text.startswith("rfm:"):
            text = text[4:]
        return label(text, self.lang)

    def kpi_name(self, kpi: str) -> str:
        return self._(KPI_LABELS[kpi]) if kpi in KPI_LABELS else label(kpi, self.lang)

    def month(self, v, long: bool = False) -> str:
        return fmt_month(v, self.lang, long)

    def money(self, v, digits: int = 0):
        return fmt_money(v, self.currency, self.lang, digits)

    def count(self, v):
        return fmt_number(v, self.lang, 0)

    def number(self, v, digits: int = 1):
        return fmt_number(v, self.lang, digits)

    def share(self, v, digits: int = 1):
        return fmt_percent(v, self.lang, digits)

    def signed_share(self, v, digits: int = 1):
        """A change as a percentage with its sign: +1.0%, -1.1%."""
        return ("+" if v > 0 else "") + self.share(v, digits)

    def date(self, v):
        return fmt_date(v, self.lang)

    def cell(self, kind: str, v):
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "–"
        if kind == "money":
            return self.money(v)
        if kind == "money2":
            return self.money(v, 2)
        if kind == "count":
            return self.count(v)
        if kind == "share":
            return self.share(v)
        if kind == "number":
            return self.number(v)
        if kind == "number2":
            return self.number(v, 2)
        if kind == "date":
            return self.date(v)
        if kind == "ratio":
            return self.number(v, 1) + "×"
        return str(v)

    def kpi(self, kpi: str, v):
        if kpi in MONEY:
            return self.cell("money", v)
        if kpi in SHARES:
            return self.cell("share", v)
        if kpi in ("buyers", "orders", "customers"):
            return self.cell("count", v)
        if kpi == "clv_to_cac":
            return self.cell("ratio", v)
        if kpi == "csat":  # stored 0-100: a share of it as a percentage
            return self.cell("share", v / 100 if v is not None else None)
        return self.cell("number", v)


def _period(fmt: Formatter, period) -> str:
    """A KPI board period ('latest:2011-11' or '2011-11') as a month in the page's language."""
    text = str(period or "").replace("latest:", "")
    return fmt.month(text) if len(text) == 7 and text[4] == "-" else text


def _summary(card, summary, fmt: Formatter):
    """A persona's summary in the page's language, written again from its card's figures (the stored
    summary is English); the stored text when the card cannot be read."""
    from centric.i18n.persona_text import persona_summary

    if isinstance(card, dict) and card.get("customers") is not None:
        try:
            return persona_summary(card, fmt.lang, fmt.currency)
        except (KeyError, TypeError, ValueError, IndexError):
            pass
    return summary


def labelled(fmt: Formatter, rows: list[dict], *keys: str) -> list[dict]:
    """Rows with the raw names under `keys` read in the page's language (for tables and charts)."""
    return [{**row, **{k: fmt.label(row.get(k)) for k in keys if row.get(k) not in (None, "")}} for row in rows]


def plain(value):
    """JSON for what json cannot write itself (dates, numpy numbers, decimals)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _clean(value):
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        return _clean(value.item())
    return value


def table(fmt: Formatter, table_id: str, caption: str, columns: list[tuple], rows: list[dict],
          links: dict | None = None) -> dict:
    """A table block: columns (key, label, kind), each cell formatted, raw values kept for the CSV."""
    links = links or {}
    out = []
    for row in rows:
        cells = {}
        for key, _label, kind in columns:
            cell = {"text": fmt.cell(kind, _clean(row.get(key))), "value": _clean(row.get(key))}
            if key in links:
                cell["href"] = links[key](row)
            cells[key] = cell
        out.append(cells)
    return {"type": "table", "id": table_id, "caption": caption,
            "columns": [{"key": k, "label": label, "numeric": kind not in ("text", "date")} for k, label, kind in columns],
            "rows": out}


def chart(chart_id: str, title: str, description: str, kind: str, unit: str, x: list, series: list[dict],
          x_kind: str = "category", partial: int | None = None, **extra) -> dict:
    """A chart block dash.js draws with ECharts; series are {name, values[, low, high]}."""
    clean = [{k: ([_clean(v) for v in val] if isinstance(val, list) else val) for k, val in s.items()} for s in series]
    return {"type": "chart", "id": chart_id, "title": title, "description": description, "kind": kind, "unit": unit,
            "x": x, "x_kind": x_kind, "series": clean, "partial": partial, **extra}


def strings(_) -> dict:
    """The words dash.js writes itself, in the page's language."""
    return {"csv": _("Download CSV"), "png": _("Download PNG"), "data": _("Data table"), "loading": _("Loading…"),
            "error": _("Could not load the data"), "partial": _("partial month"), "empty": _("No data for these filters"),
            "search": _("Search"), "run": _("Show funnel"), "step": _("Step"), "none": _("none"),
            "chart_keys": _("Use the left and right arrow keys to read the values."),
            "customer": _("Customer"), "language": _("Language"), "all": _("All"),
            "from": _("From"), "to": _("To"), "value": _("Value"), "row": _("First-purchase month"),
            "column": _("Months since"), "low": _("low"), "high": _("high"), "interval": _("interval"),
            "answers": _("Answers")}


def options(snapshot) -> dict:
    try:
        return service.filter_options(snapshot)
    except service.DashboardError:
        return {}


def section(section_id: str, title: str, blocks: list, intro: str | None = None) -> dict:
    return {"id": section_id, "title": title, "intro": intro, "blocks": blocks}


def cards(fmt: Formatter, values: dict, keys: list[str]) -> dict:
    _ = fmt._
    return {"type": "cards", "items": [{"key": k, "label": fmt.kpi_name(k), "value": _clean(values.get(k)),
                                        "text": fmt.kpi(k, _clean(values.get(k)))} for k in keys]}


def overview(snapshot, f, fmt: Formatter) -> dict:
    _ = fmt._
    data = service.overview(snapshot, f)
    months = data["months"]
    x = [m["month"] for m in months]
    totals = {**data["totals"], "customers": data["customers"]["customers"], "total_clv": data["customers"]["total_clv"]}
    partial_note = _("The last month is not over: it is marked, not a fall.") if data["partial"] is not None else ""
    sales = [
        cards(fmt, totals, ["revenue", "orders", "buyers", "aov", "customers", "total_clv"]),
        chart("revenue-month", _("Revenue per month (%(currency)s)", currency=fmt.currency),
              _("Net revenue of the filtered customers' orders each month.") + " " + partial_note,
              "bar", "money", x, [{"name": _("Revenue"), "values": [m["revenue"] for m in months]}],
              x_kind="month", partial=data["partial"]),
        chart("orders-month", _("Orders and buyers per month"),
              _("Purchases and distinct buyers each month.") + " " + partial_note, "line", "count", x,
              [{"name": _("Orders"), "values": [m["orders"] for m in months]},
               {"name": _("Buyers"), "values": [m["buyers"] for m in months]}], x_kind="month", partial=data["partial"]),
    ]
    change_rows = [{**c, "label": fmt.kpi_name(c["kpi"])} for c in data["change"]]
    words = []
    for c in data["change"]:
        if c["change"] is None:
            continue
        names = {"kpi": fmt.kpi_name(c["kpi"]), "month": fmt.month(c["period"], True),
                 "previous": fmt.month(c["previous_period"], True)}
        if c["change"] > FLAT:
            words.append(_("%(kpi)s rose %(change)s in %(month)s against %(previous)s.",
                           change=fmt.share(c["change"]), **names))
        elif c["change"] < -FLAT:
            words.append(_("%(kpi)s fell %(change)s in %(month)s against %(previous)s.",
                           change=fmt.share(-c["change"]), **names))
        else:
            words.append(_("%(kpi)s held steady in %(month)s against %(previous)s (%(change)s).",
                           change=fmt.signed_share(c["change"]), **names))
    changed = [table(fmt, "changes", _("Last complete month against the month before"),
                     [("label", _("KPI"), "text"), ("value", _("This month"), "number2"),
                      ("previous", _("Month before"), "number2"), ("change", _("Change"), "share")], change_rows)]
    for row, c in zip(changed[0]["rows"], data["change"]):
        row["value"]["text"] = fmt.kpi(c["kpi"], c["value"])
        row["previous"]["text"] = fmt.kpi(c["kpi"], c["previous"])
    if words:
        changed.insert(0, {"type": "text", "text": " ".join(words)})
    board_rows = []
    for row in data["board"]:
        board_rows.append({"kpi": fmt.kpi_name(row["kpi"]), "value": row["value"],
                           "target": row["target"], "status": fmt.label(row["status"]),
                           "trend": _(TREND.get(row["trend"], row["trend"] or "")),
                           "period": _period(fmt, row["period"]), "_kpi": row["kpi"]})
    board = table(fmt, "kpi-board", _("KPI board: the last complete month, whole shop"),
                  [("kpi", _("KPI"), "text"), ("period", _("Month"), "text"), ("value", _("Value"), "number2"),
                   ("target", _("Target"), "number2"), ("status", _("Status"), "text"), ("trend", _("Trend"), "text")],
                  board_rows)
    for cells, row in zip(board["rows"], board_rows):
        cells["value"]["text"] = fmt.kpi(row["_kpi"], _clean(row["value"]))
        cells["target"]["text"] = fmt.kpi(row["_kpi"], _clean(row["target"]))
    off = [r["kpi"] for r, raw in zip(board_rows, data["board"]) if raw["status"] == "off track"]
    if off:
        advice = _("Off track: %(kpis)s. Start with the customers page's at-risk segments and the listening page's "
                   "costliest themes.", kpis=", ".join(off))
    elif any(raw["status"] == "on track" for raw in data["board"]):
        advice = _("Every KPI with a target is on track.")
    else:
        advice = _("No KPI has a target yet: set them under [kpi_targets] in centric.toml, for example "
                   "repeat_customer_rate = 0.35.")
    return {"title": _("Overview"), "sections": [
        section("sales", _("Sales of the filtered customers"), sales,
                _("Revenue is what customers kept: orders net of returns.")),
        section("changed", _("What changed since the last period"), changed),
        section("board", _("KPI board with targets"), [{"type": "text", "text": advice}, board],
                _("Targets come from centric.toml; the board is for the whole shop and ignores the filters.")),
    ]}


def customers(snapshot, f, fmt: Formatter) -> dict:
    _ = fmt._
    data = service.customers(snapshot, f)
    rfm = data["rfm"]
    segs = data["segments"]
    query = f.query()
    from urllib.parse import quote, urlencode

    def link(row):
        return "/customers/" + quote(str(row["customer_id"]), safe="") + "?" + urlencode({**query, "lang": fmt.lang})
    persona_items = []
    for p in data["personas"]:
        card = p.get("card")
        if isinstance(card, str):
            import json

            card = json.loads(card)
        quotes = [{"text": q.get("text"), "lang": q.get("language"),
                   "theme": fmt.label(q.get("theme")) if q.get("theme") else None}
                  for q in (card or {}).get("quotes", [])[:3]]
        persona_items.append({"id": p["persona_id"], "name": persona_name(p["name"], fmt.lang),
                              "summary": _summary(card, p.get("summary"), fmt),
                              "stats": _("%(n)s customers here (%(share)s of all), %(revenue)s of revenue",
                                         n=fmt.count(p["filtered_customers"]), share=fmt.share(p["customer_share"]),
                                         revenue=fmt.share(p["revenue_share"])),
                              "quotes": quotes})
    return {"title": _("Customers"), "sections": [
        section("who", _("Who they are"), [
            cards(fmt, data["counts"], ["customers", "total_clv"]),
            chart("rfm-segments", _("Customers by RFM segment"), _("How many of the filtered customers are in each "
                  "recency-frequency segment."), "hbar", "count", [fmt.label(r["group_name"]) for r in rfm],
                  [{"name": _("Customers"), "values": [r["customers"] for r in rfm]}])]),
        section("segments", _("Segments and their movement"), [
            chart("segment-movement", _("Customers who entered and left each segment"),
                  _("Moves in the chosen dates; current members below."), "hbar", "count", [fmt.label(s["segment"]) for s in segs],
                  [{"name": _("Entered"), "values": [s["entered"] for s in segs]},
                   {"name": _("Left"), "values": [s["left_"] for s in segs]}]),
            table(fmt, "segments", _("Segments"), [("segment", _("Segment"), "text"), ("kind", _("Kind"), "text"),
                  ("members", _("Members now"), "count"), ("entered", _("Entered"), "count"),
                  ("left_", _("Left"), "count")], labelled(fmt, segs, "segment", "kind"))],
            _("A segment is a saved rule or an RFM group; members are counted among the filtered customers.")),
        section("personas", _("Buyer personas"), [{"type": "personas", "items": persona_items}],
                _("Each persona crosses the numbers with what its customers say, in their own words.")),
        section("top", _("Most valuable customers"), [table(fmt, "top-customers", _("Top customers by predicted value"), [
            ("customer_id", _("Customer"), "text"), ("country", _("Country"), "text"),
            ("acquisition_channel", _("Channel"), "text"), ("rfm_segment", _("Segment"), "text"),
            ("orders", _("Orders"), "count"), ("revenue", _("Revenue"), "money"),
            ("predicted_clv", _("Predicted value"), "money"), ("churn_risk", _("Churn risk"), "text")],
            labelled(fmt, data["top"], "acquisition_channel", "rfm_segment", "churn_risk"),
            links={"customer_id": link})]),
    ]}


def customer(snapshot, customer_id: str, fmt: Formatter) -> dict:
    _ = fmt._
    data = service.customer(snapshot, customer_id)
    c, s, v = data["customer"], data["summary"] or {}, data["value"] or {}
    items = []
    for o in data["orders"]:
        items.append({"at": o["at"], "kind": _("Order"), "text": f"{o['order_id']} · {fmt.label(o['status'])} · "
                      f"{fmt.money(o['net'], 2)}" + (f" · {fmt.label(o['channel'])}" if o["channel"] else "")})
    for e in data["events"]:
        items.append({"at": e["at"], "kind": _("Event"), "text": fmt.label(e["name"]) +
                      (f" · {fmt.label(e['channel'])}" if e["channel"] else "")})
    for fb in data["feedback"]:
        rating = f"{fb['rating']:g} ({fb['rating_scale']}) · " if fb["rating"] is not None else ""
        items.append({"at": fb["at"], "kind": _("Feedback"), "text": rating + (fb["text"] or ""),
                      "lang": fb["language"]})
    for cs in data["consents"]:
        items.append({"at": cs["at"], "kind": _("Consent"), "text": f"{fmt.label(cs['category'])}: " +
                      (_("granted") if cs["granted"] else _("withdrawn")) + (f" · {cs['source']}" if cs["source"] else "")})
    items.sort(key=lambda i: str(i["at"] or ""), reverse=True)
    for i in items:
        i["when"] = fmt.date(i["at"]) if i["at"] else "–"
        i["at"] = plain(i["at"]) if i["at"] else None
    why = []
    if s:
        why.append(_("RFM segment %(segment)s: recency score %(r)s, frequency %(f)s, money %(m)s (5 is best).",
                     segment=fmt.label(s.get("rfm_segment")), r=s.get("r_score"), f=s.get("f_score"), m=s.get("m_score")))
        why.append(_("%(orders)s purchases, the last %(days)s days before the end of the data.",
                     orders=fmt.count(s.get("orders")), days=fmt.count(s.get("days_since_last_order"))))
    if v:
        why.append(_("Churn risk %(risk)s: a %(p)s chance of no purchase in the next %(days)s days (from %(source)s).",
                     risk=fmt.label(v.get("churn_risk")), p=fmt.share(v.get("p_no_purchase")),
                     days=fmt.count(v.get("churn_horizon_days")), source=v.get("churn_source")))
    values = {"orders": c.get("orders"), "revenue": c.get("revenue"), "clv": c.get("predicted_clv"),
              "p_alive": c.get("p_alive")}
    return {"title": _("Customer %(id)s", id=customer_id), "sections": [
        section("scores", _("Scores and why"), [
            cards(fmt, values, ["orders", "revenue", "clv", "p_alive"]),
            {"type": "facts", "items": [[_("Country"), c.get("country")], [_("Channel"), fmt.label(c.get("acquisition_channel"))],
                                         [_("Persona"), persona_name(c["persona"], fmt.lang) if c.get("persona") else "–"],
                                         [_("Segments"), ", ".join(fmt.label(x) for x in data["segments"])],
                                         [_("Churn risk"), fmt.label(c.get("churn_risk"))]]},
            {"type": "list", "items": why}]),
        section("timeline", _("Timeline"), [{"type": "timeline", "items": items[:TIMELINE]}],
                _("Orders, events, feedback and consents, newest first: the latest %(shown)s of %(all)s.",
                  shown=fmt.count(min(len(items), TIMELINE)), all=fmt.count(len(items)))),
    ]}
