"""The report's sections on funnels, paths, rule segments and surveys (issue 20, part 4).

Each section is None when its data are absent, with the command that fills it named in the report:
- funnel: the Segment eCommerce steps the events hold (Product Viewed > Product Added > Checkout
  Started > Order Completed, at least two of them), ordered, within 7 days (services/funnel.py);
- paths: the most common paths through a visit (`centric journey` writes top_paths);
- rule segments: the saved rule segments with their size and share of revenue (`centric segments`);
- surveys: each survey with its kind, status and answers received.
"""

from __future__ import annotations

from centric.errors import CentricError

FUNNEL_WINDOW = "7d"


def sections_context(store, settings, lang: str) -> dict:
    return {"funnel": funnel_context(store, settings, lang), "paths": paths_context(store, lang),
            "rule_segments": rule_segments_context(store, lang), "surveys": surveys_context(store, lang)}


def funnel_context(store, settings, lang: str) -> dict | None:
    from centric.i18n import label, translator
    from centric.queries.report_sections import FUNNEL_STEPS, funnel_steps_present
    from centric.report import charts
    from centric.services.funnel import run_funnel

    if not store.has_rows("events"):
        return None
    db = store.ibis()
    present = set(db.execute(funnel_steps_present(db.table("events")))["name"])
    steps = [s for s in FUNNEL_STEPS if s in present]
    if len(steps) < 2:
        return None
    try:
        table = run_funnel(store, steps, FUNNEL_WINDOW, settings=settings)
    except CentricError:
        return None
    rows = table[table["group"] == table["group"].iloc[0]].to_dict("records")
    for r in rows:
        r["label"] = label(r["step_name"], lang)
    _ = translator(lang).gettext
    chart = charts.hbar_chart([r["label"] for r in rows], [r["users"] for r in rows],
                              _("People at each step within 7 days"), lang=lang)
    drops = [(r["conversion_from_previous"], r) for r in rows[1:] if r["conversion_from_previous"] is not None]
    worst = min(drops, key=lambda t: t[0])[1] if drops else None
    return {"steps": rows, "chart": chart, "worst": worst, "window_days": 7}


def paths_context(store, lang: str) -> list[dict] | None:
    from centric.i18n import label
    from centric.queries.report_sections import top_paths

    if not store.has_rows("top_paths"):
        return None
    db = store.ibis()
    rows = db.execute(top_paths(db.table("top_paths"))).to_dict("records")
    for r in rows:
        r["steps_shown"] = [label(step.strip(), lang) for step in str(r["path"]).split(" > ")]
    return rows


def rule_segments_context(store, lang: str) -> list[dict] | None:
    from centric.queries.report_sections import rule_segments

    if not store.has_rows("segments"):
        return None
    db = store.ibis()
    rows = db.execute(rule_segments(db.table("segments"))).to_dict("records")
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in rows] or None


def surveys_context(store, lang: str) -> list[dict] | None:
    from centric.i18n import label
    from centric.queries.report_sections import survey_responses

    if not store.has_rows("surveys"):
        return None
    db = store.ibis()
    rows = db.execute(survey_responses(db.table("surveys"), db.table("feedback"))).to_dict("records")
    for r in rows:
        r["kind_label"] = label(r["kind"], lang)
        r["status_label"] = label(r["status"], lang)
        r["answers"] = int(r["answers"] or 0)
    return rows
