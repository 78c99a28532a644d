"""The listening, journey and value pages' blocks, and the funnel built in the journey page (the same
rules as api/dash_views.py: raw numbers for charts and CSV, formatted text for the page's language,
customer text as data drawn as text)."""

from __future__ import annotations

from centric.api.dash_views import Formatter, _clean, cards, chart, labelled, section, table
from centric.i18n import N_, transition_label
from centric.i18n.persona_text import LANGUAGE_NAMES, persona_name
from centric.report import notes
from centric.services import dashboard as service
from centric.services import dashboard_funnel

RANGES = {"nps": (-100, 100), "csat": (0, 100), "ces": (1, 7)}  # an interval is cut to what the score can be
STAGES = ("visitor", "engaged", "first_purchase", "repeat", "loyal", "advocate")
METRICS = (("nps", N_("Net Promoter Score (points, -100 to 100)"), "points"),
           ("csat", N_("Satisfaction: share answering 4 or 5 of 5 (%)"), "percent"),
           ("ces", N_("Effort: mean answer, 1 to 7 (lower is easier)"), "number"))
WINDOWS = {"1h": N_("1 hour"), "1d": N_("1 day"), "7d": N_("7 days"), "30d": N_("30 days")}
BREAKDOWN_NAMES = {"channel": N_("Channel"), "country": N_("Country"), "acquisition_channel": N_("Acquisition channel"),
                   "persona": N_("Persona"), "rfm_segment": N_("RFM segment")}


def listening_page(snapshot, f, fmt: Formatter, search, language) -> dict:
    _ = fmt._
    data = service.listening(snapshot, f, search, language)
    blocks = []
    overall = {r["metric"]: r for r in data["overall"]}
    items = []
    for metric, label, _unit in METRICS:
        row = overall.get(metric)
        if row:
            value = row["value"]
            items.append({"key": metric, "label": _(label), "value": _clean(value),
                          "text": fmt.share(value / 100) if metric == "csat" and value is not None else fmt.number(value, 1),
                          "note": _("%(n)s answers, ±%(half)s", n=fmt.count(row["n"]), half=fmt.number(1.96 * row["se"], 1))})
    blocks.append({"type": "cards", "items": items})
    for metric, label, unit in METRICS:
        rows = [r for r in data["monthly"] if r["metric"] == metric]
        if not rows:
            continue
        blocks.append(chart(f"{metric}-month", _(label), _("Monthly score with its 95% interval (shaded); months with "
                            "few answers have wide intervals."), "band", unit, [r["period"] for r in rows],
                            [{"name": metric.upper(), "values": [r["value"] for r in rows],
                              "low": [max(r["value"] - 1.96 * r["se"], RANGES[metric][0]) for r in rows],
                              "high": [min(r["value"] + 1.96 * r["se"], RANGES[metric][1]) for r in rows],
                              "n": [r["n"] for r in rows]}], x_kind="month"))
    themes = data["themes"][:15]
    drivers = sorted(data["drivers"], key=lambda d: -(d.get("nps_points_cost") or 0))[:12]
    theme_blocks = [
        chart("themes", _("Themes customers mention"), _("Mentions in the filtered feedback, and how many of them are "
              "negative."), "hbar", "count", [fmt.label(t["theme"]) for t in themes],
              [{"name": _("Mentions"), "values": [t["mentions"] for t in themes]},
               {"name": _("Negative mentions"), "values": [round(t["mentions"] * (t["negative_share"] or 0)) for t in themes]}]),
        chart("theme-cost", _("What each theme costs in NPS points"), _("NPS points gained if the detractors who "
              "mention the theme had been passives (whole shop)."), "hbar", "points", [fmt.label(d["theme"]) for d in drivers],
              [{"name": _("NPS points"), "values": [d["nps_points_cost"] for d in drivers]}]),
        table(fmt, "drivers", _("Themes and NPS"), [("theme", _("Theme"), "text"), ("mentions", _("Mentions"), "count"),
              ("detractor_share", _("Share of detractors"), "share"), ("nps_points_cost", _("NPS points lost"), "number"),
              ("nps_with", _("NPS with"), "number"), ("nps_without", _("NPS without"), "number")],
              labelled(fmt, drivers, "theme")),
    ]
    verb = data["verbatims"]
    verbatims = {"type": "verbatims", "search": search or "", "language": language or "",
                 "languages": [{"code": lng["language"], "n": lng["n"],
                                "name": _(LANGUAGE_NAMES[lng["language"]]) if lng["language"] in LANGUAGE_NAMES
                                else lng["language"]} for lng in verb["languages"]],
                 "items": [{"id": v["feedback_id"], "customer": v["customer_id"], "when": fmt.date(v["received_at"]),
                            "source": fmt.label(v["source"]) if v["source"] else None, "text": v["text"],
                            "lang": v["language"], "sentiment": fmt.label(v["sentiment"]) if v["sentiment"] else None,
                            "sentiment_key": v["sentiment"], "themes": [fmt.label(t) for t in v["themes"] or []],
                            "rating": _clean(v["rating"])} for v in verb["rows"]]}
    surveys = table(fmt, "surveys", _("Surveys and their responses"), [
        ("survey_id", _("Survey"), "text"), ("kind", _("Kind"), "text"), ("status", _("Status"), "text"),
        ("created_at", _("Created"), "date"), ("responses", _("Responses"), "count"),
        ("mean_rating", _("Mean rating"), "number"), ("comments", _("Comments"), "count")],
        labelled(fmt, data["surveys"], "kind", "status"))
    return {"title": _("Listening"), "sections": [
        section("scores", _("NPS, CSAT and CES over time"), blocks,
                _("Scores of the filtered customers' answers; the shaded band is the 95% interval.")),
        section("themes", _("Themes and what they cost"), theme_blocks,
                _("Fix the costliest theme first: it is where detractors come from.")),
        section("verbatims", _("What customers say"), [verbatims],
                _("Search the customers' own words, in their language.")),
        section("surveys", _("Surveys"), [surveys]),
    ]}


def journey_page(snapshot, f, fmt: Formatter) -> dict:
    _ = fmt._
    data = service.journey(snapshot, f)
    order = {s: i for i, s in enumerate(STAGES)}
    links = [link for link in data["flow"]["links"]
             if order.get(link["source"], 99) < order.get(link["target"], -1)]
    back = [link for link in data["flow"]["links"] if link not in links]
    nodes = sorted({n for link in links for n in (link["source"], link["target"])}, key=lambda s: order.get(s, 99))
    current = {r["stage"]: r["customers"] for r in data["flow"]["current"]}
    stages = [s for s in STAGES if s in current] + sorted(s for s in current if s not in order)
    flow = [
        chart("stage-flow", _("How customers move between stages"), _("Moves forward between lifecycle stages in the "
              "chosen dates; the width is the number of customers."), "sankey", "count", [], [],
              nodes=[{"name": n, "label": fmt.label(n)} for n in nodes],
              links=[{"source": lk["source"], "target": lk["target"], "value": lk["customers"]} for lk in links]),
        chart("stage-now", _("Where customers are now"), _("Filtered customers by their current stage."), "hbar", "count",
              [fmt.label(s) for s in stages], [{"name": _("Customers"), "values": [current[s] for s in stages]}]),
    ]
    if back:
        flow.append(table(fmt, "moves-back", _("Other moves (back or sideways)"), [("source", _("From"), "text"),
                          ("target", _("To"), "text"), ("customers", _("Customers"), "count")],
                          labelled(fmt, back, "source", "target")))
    funnel_form = {"type": "funnel", "events": data["events"], "default": dashboard_funnel.default_steps(data["events"]),
                   "windows": ["1h", "1d", "7d", "30d"], "orders": ["ordered", "strict", "any"],
                   "breakdowns": ["", *dashboard_funnel.BREAKDOWNS],
                   "event_labels": {e: fmt.label(e) for e in data["events"]},
                   "breakdown_labels": {b: _(BREAKDOWN_NAMES.get(b, b)) for b in dashboard_funnel.BREAKDOWNS},
                   "window_labels": {w: _(name) for w, name in WINDOWS.items()},
                   "labels": {"window": _("Window"), "order": _("Step order"), "by": _("Breakdown"),
                              "ordered": _("in this order"), "strict": _("strictly in a row"), "any": _("any order")}}
    cohorts = data["cohorts"]
    months = sorted({str(c["cohort"])[:7] for c in cohorts})[-18:]
    offsets = sorted({c["month_offset"] for c in cohorts if 0 < c["month_offset"] <= 12})
    cells = [[offsets.index(c["month_offset"]), months.index(str(c["cohort"])[:7]), round(100 * c["retention"], 1)]
             for c in cohorts if str(c["cohort"])[:7] in months and c["month_offset"] in offsets and c["month_offset"] > 0]
    path_rows = [{**p, "path": " → ".join(fmt.label(step.strip()) for step in str(p["path"] or "").split(" > "))}
                 for p in data["paths"]]
    paths = table(fmt, "paths", _("Most common paths through a visit"), [("path", _("Path"), "text"),
                  ("sessions", _("Visits"), "count"), ("share", _("Share"), "share")], path_rows)
    drivers = table(fmt, "journey-drivers", _("What drives each move"), [
        ("transition", _("Move"), "text"), ("label", _("Driver"), "text"), ("odds_ratio", _("Odds ratio"), "number2"),
        ("moved_share_with", _("Moved, with"), "share"), ("moved_share_without", _("Moved, without"), "share"),
        ("hazard_ratio", _("Speed (hazard ratio)"), "number2"), ("flags", _("Caveats"), "text")],
        [{**d, "transition": transition_label(d["transition"], fmt.lang),
          "label": fmt.label(d["label"]) if d.get("label") else d.get("label")} for d in _top_drivers(data["drivers"])])
    return {"title": _("Journey"), "sections": [
        section("flow", _("Stage flow"), flow),
        section("funnel", _("Build a funnel"), [funnel_form],
                _("Pick the steps, the window and the order; the counts use consented events only.")),
        section("paths", _("Paths"), [paths], _("Whole shop, from the last run.")),
        section("cohorts", _("Cohorts"), [chart("cohorts", _("Share of each month's new buyers who bought again, by "
                "month since their first purchase (%)"), _("Rows are first-purchase months; columns months since."),
                "heatmap", "percent", [str(o) for o in offsets], [], y=months, cells=cells)],
                _("Whole shop, from the last run.")),
        section("drivers", _("Drivers of each move"), [drivers],
                _("An odds ratio above 1 raises the chance of the move; read the caveats before acting.")),
    ]}


def _top_drivers(drivers: list[dict], per_move: int = 5) -> list[dict]:
    """The strongest drivers of each move: significant ones first, then by how far the odds ratio is from 1."""
    import math

    def strength(d):
        ratio = d.get("odds_ratio")
        return (not d.get("significant"), -abs(math.log(ratio)) if ratio and ratio > 0 else 0)
    out = []
    for move in sorted({d["transition"] for d in drivers}):
        out += sorted((d for d in drivers if d["transition"] == move), key=strength)[:per_move]
    return out


def funnel_block(snapshot, f, fmt: Formatter, steps, window, order, by, cache=None) -> dict:
    _ = fmt._
    result = dashboard_funnel.funnel(snapshot, f, steps, window, order, by, cache=cache)
    rows = result["rows"]
    groups = list(dict.fromkeys(r["group"] for r in rows))
    x = [fmt.label(r["step_name"]) for r in rows if r["group"] == groups[0]] if groups else []
    series = [{"name": _("All") if g == groups[0] else fmt.label(g), "values": [r["users"] for r in rows if r["group"] == g]}
              for g in groups[:8]]
    for r in rows:
        r["median_minutes"] = (r["median_seconds_from_first"] / 60) if r["median_seconds_from_first"] is not None else None
    return {"chart": chart("funnel", _("Funnel: people reaching each step"), _("People who did the steps within "
                           "%(window)s of the first.", window=_(WINDOWS[window]) if window in WINDOWS else window),
                           "bar", "count", x, series),
            "table": table(fmt, "funnel-table", _("Funnel steps"), [("group", _("Group"), "text"), ("step_name", _("Step"), "text"),
                           ("users", _("People"), "count"), ("conversion_from_previous", _("From previous step"), "share"),
                           ("conversion_from_first", _("From first step"), "share"),
                           ("median_minutes", _("Median minutes from first"), "number")],
                           [{**r, "step_name": fmt.label(r["step_name"]),
                             "group": _("All") if r["group"] == (groups[0] if groups else None) else fmt.label(r["group"])}
                            for r in rows]),
            "rows": rows}


def _one_source(rows: list[dict], preferred: list[str]) -> list[dict]:
    """The calibration rows of one model or baseline: the first preferred one present, else the first."""
    sources = list(dict.fromkeys(r["source"] for r in rows))
    pick = next((s for s in preferred if s in sources), sources[0] if sources else None)
    return sorted((r for r in rows if r["source"] == pick), key=lambda r: r["group_order"])


def _model_notes(models: list[dict], lang: str) -> list[dict]:
    """The holdout check in the page's language, as the report says it (report/notes.py): why the churn
    source, a boundary fit, and the Gamma-Gamma premise."""
    models = [{k: _clean(v) for k, v in m.items()} for m in models]
    spend = next((m for m in models if m.get("kind") == "spend"), None)
    texts = [notes.churn_note(models, lang), *notes.boundary_notes(models, lang),
             notes.spend_note(spend, lang) if spend else ""]
    return [{"type": "text", "text": t} for t in texts if t]


def value_page(snapshot, f, fmt: Formatter) -> dict:
    _ = fmt._
    data = service.value(snapshot, f)
    risk_order = {"high": 0, "medium": 1, "low": 2}
    risk = sorted(data["risk"], key=lambda r: risk_order.get(r["group_name"], 9))
    seg, per = data["by_segment"], data["by_persona"]
    channels = data["channels"]
    chosen = [m["model"] for m in data["models"] if m.get("chosen")]
    churn_from = [m["model"] for m in data["models"] if m.get("churn_source")]
    freq = _one_source([c for c in data["calibration"] if c["kind"] == "frequency"], chosen)
    band = _one_source([c for c in data["calibration"] if c["kind"] == "churn_band"], churn_from + chosen)
    value_cols = [("group_name", _("Group"), "text"), ("customers", _("Customers"), "count"),
                  ("revenue", _("Revenue"), "money"), ("mean_clv", _("Mean predicted value"), "money"),
                  ("total_clv", _("Total predicted value"), "money"), ("mean_p_alive", _("Still active"), "share"),
                  ("high_churn_share", _("High churn risk"), "share")]
    return {"title": _("Value"), "sections": [
        section("risk", _("Churn risk"), [
            cards(fmt, data["counts"], ["customers", "total_clv"]),
            chart("churn-risk", _("Customers by churn risk"), _("Churn risk bands of the filtered customers."), "bar",
                  "count", [fmt.label(r["group_name"]) for r in risk], [{"name": _("Customers"), "values": [r["customers"] for r in risk]}])],
            _("High risk: no purchase expected soon. Win them back before they lapse.")),
        section("calibration", _("Does the model hold? Holdout check"), [
            {"type": "text", "text": _("Model in use: %(model)s; churn risk from %(churn)s. Each was fitted before a "
                                       "holdout period and checked against what customers then did.",
                                       model=", ".join(chosen) or "–", churn=", ".join(churn_from) or "–")},
            *_model_notes(data["models"], fmt.lang),
            chart("calibration-frequency", _("Purchases in the holdout: actual against predicted"),
                  _("Mean holdout purchases by purchases before it."), "line", "number", [c["group_name"] for c in freq],
                  [{"name": _("Actual"), "values": [c["actual"] for c in freq]},
                   {"name": _("Predicted"), "values": [c["predicted"] for c in freq]}]),
            chart("calibration-churn", _("No purchase in the holdout: actual against predicted (%)"),
                  _("Share with no purchase in each risk band."), "bar", "percent", [fmt.label(c["group_name"]) for c in band],
                  [{"name": _("Actual"), "values": [100 * c["actual"] for c in band]},
                   {"name": _("Predicted"), "values": [100 * c["predicted"] for c in band]}])],
            _("Whole shop: the check is made once per run.")),
        section("cac", _("CLV to acquisition cost by channel"), [
            chart("clv-cac", _("CLV to acquisition cost by channel (×)"), _("Above 3 a channel pays back well; below "
                  "1 it loses money."), "bar", "ratio", [fmt.label(c["group_name"]) for c in channels],
                  [{"name": _("CLV:CAC"), "values": [c["clv_to_cac"] for c in channels]}]),
            table(fmt, "channels", _("Channels"), [("group_name", _("Channel"), "text"), ("customers", _("Customers"), "count"),
                  ("cac", _("Acquisition cost"), "money"), ("mean_clv", _("Mean predicted value"), "money"),
                  ("clv_to_cac", _("CLV:CAC"), "ratio")], labelled(fmt, channels, "group_name"))], _("Whole shop.")),
        section("segments", _("Value by segment and persona"), [
            chart("value-segment", _("Predicted value by RFM segment (%(currency)s)", currency=fmt.currency),
                  _("Sum of predicted customer value of the filtered customers."), "hbar", "money",
                  [fmt.label(s["group_name"]) for s in seg], [{"name": _("Predicted value"), "values": [s["total_clv"] for s in seg]}]),
            table(fmt, "value-by-segment", _("By RFM segment"), value_cols, labelled(fmt, seg, "group_name")),
            chart("value-persona", _("Predicted value by persona (%(currency)s)", currency=fmt.currency),
                  _("Sum of predicted customer value of the filtered customers."), "hbar", "money",
                  [persona_name(s["group_name"], fmt.lang) for s in per], [{"name": _("Predicted value"), "values": [s["total_clv"] for s in per]}]),
            table(fmt, "value-by-persona", _("By persona"), value_cols,
                  [{**s, "group_name": persona_name(s["group_name"], fmt.lang)} for s in per])]),
    ]}
