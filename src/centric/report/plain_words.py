"""Plain words for each section of the report: what the numbers mean and what to do about them, in the
shop's language (issue 20, part 5).

Rule: every sentence is computed from the figures the section shows (never a canned claim), names
the figure it rests on, and the advice follows from thresholds stated here, not tuned to a shop:
- repeat-purchase rate below 30%: most buy once, so the second order is the lever; 30-60%: half
  return; above 60%: loyalty to protect;
- returns above 10% of gross sales are worth a look;
- customers at high churn risk above 50%: concentrate on those still likely to buy;
- a channel's lifetime value to acquisition cost of 3 or more is a channel to feed (the common rule of
  thumb for e-commerce), below 1 one that loses money;
- NPS of 50 or more is excellent, above 0 more promoters than detractors, below 0 the opposite.
"""

from __future__ import annotations

from centric.i18n import fmt_money, fmt_number, fmt_percent, fmt_points, label, translator


def for_report(context: dict, shop: dict, lang: str) -> dict:
    """section id -> {"means": text, "do": text}; sections without data are left out."""
    _ = translator(lang).gettext
    out = {"overview": _overview(context, shop, lang, _), "rfm": _rfm(context, lang, _)}
    for key, build in (("value", _value), ("journey", _journey), ("listening", _listening),
                       ("personas", _personas), ("funnel", _funnel), ("paths", _paths), ("surveys", _surveys)):
        words = build(context, shop, lang, _)
        if words:
            out[key] = words
    out["data-quality"] = _quality(context, lang, _)
    return out


def _overview(c, shop, lang, _):
    cur = shop["currency"]
    means = _("%(buyers)s customers placed %(orders)s orders, %(aov)s each on average; %(repeat)s of them "
              "came back for another order.") % {
        "buyers": fmt_number(shop["buyers"], lang), "orders": fmt_number(shop["purchases"], lang),
        "aov": fmt_money(shop["aov"], cur, lang), "repeat": fmt_percent(shop["repeat_rate"], lang)}
    rate = shop["repeat_rate"]
    if rate < 0.3:
        do = _("Most customers buy only once, so the second order is where the growth is: write to first-time "
               "buyers within a month with a reason to come back.")
    elif rate < 0.6:
        do = _("About half the customers come back: thank the repeat buyers (early access, a small gift) and ask "
               "the one-time buyers why they did not return.")
    else:
        do = _("Most customers come back: protect that loyalty and ask your best customers for reviews and "
               "referrals.")
    gross = shop["revenue"] + abs(shop["returns"])
    if gross > 0 and abs(shop["returns"]) / gross > 0.10:
        do += " " + _("Returns take %(share)s of sales: look at the products returned most.") % {
            "share": fmt_percent(abs(shop["returns"]) / gross, lang)}
    months = c.get("revenue_months") or []
    if months and months[-1]["partial"]:
        do += " " + _("The last month is not over yet: compare it with other months only once it is complete.")
    return {"means": means, "do": do}


def _rfm(c, lang, _):
    segments = c.get("segments") or []
    if not segments:
        return None
    biggest = segments[0]
    by_name = {s["rfm_segment"]: s for s in segments}
    champions = by_name.get("Champions", {}).get("share", 0.0)
    means = _("The largest group is %(segment)s, %(share)s of customers; %(champions)s are Champions, who "
              "bought recently and often.") % {"segment": biggest["label"], "share": fmt_percent(biggest["share"], lang),
                                                "champions": fmt_percent(champions, lang)}
    slipping = sum(int(by_name[k]["customers"]) for k in ("At risk", "Can't lose them") if k in by_name)
    if slipping:
        do = _("%(n)s customers who used to buy often have gone quiet (At risk, Cannot lose them): contact them "
               "personally before they are lost.") % {"n": fmt_number(slipping, lang)}
    else:
        do = _("Keep the Champions close and give the Promising and New customers a reason for a second order.")
    return {"means": means, "do": do}


def _value(c, shop, lang, _):
    v = c.get("clv")
    if not v:
        return None
    cur = shop["currency"]
    means = _("Your customers are expected to be worth %(total)s over the next %(days)s days, %(mean)s each on "
              "average; %(high)s are at high risk of never buying again.") % {
        "total": fmt_money(v["total"], cur, lang, 0), "days": fmt_number(v["horizon"], lang),
        "mean": fmt_money(v["total"] / max(v["customers"], 1), cur, lang), "high": fmt_percent(v["high_share"], lang)}
    ratios = [ch for ch in v.get("channels") or [] if ch.get("clv_to_cac") is not None and ch["clv_to_cac"] == ch["clv_to_cac"]]
    if ratios:
        best = max(ratios, key=lambda ch: ch["clv_to_cac"])
        worst = min(ratios, key=lambda ch: ch["clv_to_cac"])
        if best["clv_to_cac"] >= 3:
            do = _("%(channel)s brings customers worth %(ratio)s times what they cost to win: give it more of the "
                   "budget.") % {"channel": label(best["group_name"], lang), "ratio": fmt_number(best["clv_to_cac"], lang, 1)}
        else:
            do = _("No channel brings customers worth three times their cost yet: lower the cost of the dearest "
                   "channels before spending more.")
        if worst["clv_to_cac"] < 1:
            do += " " + _("%(channel)s costs more to win a customer than that customer is expected to bring.") % {
                "channel": label(worst["group_name"], lang)}
    elif v["high_share"] > 0.5:
        do = _("More than half the customers are unlikely to buy again: spend on those still likely to buy (low "
               "and medium risk) rather than on discounts for everyone.")
    else:
        do = _("Send the customers at high risk a reminder or an offer before they lapse; leave the low-risk ones "
               "alone.")
    return {"means": means, "do": do}


def _journey(c, shop, lang, _):
    j = c.get("journey")
    if not j or not j.get("statuses"):
        return None
    by = {s["status"]: int(s["customers"]) for s in j["statuses"]}
    means = _("Of the %(buyers)s customers who have bought, %(active)s are active, %(at_risk)s at risk and "
              "%(lapsed)s lapsed.") % {"buyers": fmt_number(j["buyers"], lang), "active": fmt_number(by.get("active", 0), lang),
                                       "at_risk": fmt_number(by.get("at_risk", 0), lang),
                                       "lapsed": fmt_number(by.get("lapsed", 0), lang)}
    do = _("Write to customers as soon as they become at risk: a message then costs less than winning them back "
           "once they have lapsed.")
    return {"means": means, "do": do}


def _listening(c, shop, lang, _):
    listening = c.get("listening")
    if not listening:
        return None
    nps = next((s for s in listening.get("scores") or [] if s["metric"] == "nps"), None)
    parts = []
    if nps is not None:
        value = float(nps["value"])
        reading = (_("excellent") if value >= 50 else _("more promoters than detractors") if value > 0
                   else _("more detractors than promoters"))
        parts.append(_("Your NPS is %(nps)s: %(reading)s.") % {"nps": fmt_points(value, lang), "reading": reading})
    drivers = listening.get("drivers") or []
    do = ""
    if drivers:
        top = drivers[0]
        do = _("%(theme)s costs you %(points)s NPS points: it is the complaint most worth fixing.") % {
            "theme": label(top["theme"], lang), "points": fmt_points(top["nps_points_cost"], lang)}
    if not parts and not do:
        return None
    return {"means": " ".join(parts) or _("Customers' own words, read on this machine."), "do": do}


def _personas(c, shop, lang, _):
    cards = c.get("personas")
    if not cards:
        return None
    biggest = max(cards, key=lambda card: card["customers"])
    return {"means": _("The largest persona is “%(name)s”, %(share)s of customers.") % {
                "name": biggest["name"], "share": fmt_percent(biggest["customer_share"], lang)},
            "do": _("Write to each persona in its own words: the quotes on its card show what it cares about.")}


def _funnel(c, shop, lang, _):
    f = c.get("funnel")
    if not f:
        return None
    steps = f["steps"]
    first, last = steps[0], steps[-1]
    means = _("%(first)s people did “%(first_step)s”; %(last)s of them went on to “%(last_step)s” within 7 days "
              "(%(rate)s).") % {"first": fmt_number(first["users"], lang), "first_step": first["label"],
                                 "last": fmt_number(last["users"], lang), "last_step": last["label"],
                                 "rate": fmt_percent(last["conversion_from_first"] or 0, lang)}
    w = f.get("worst")
    do = ""
    if w:
        previous = steps[int(w["step"]) - 2]
        do = _("The biggest loss is between “%(from)s” and “%(to)s”: %(lost)s people (%(share)s) stop there, so "
               "improve that page first.") % {"from": previous["label"], "to": w["label"],
                                              "lost": fmt_number(w["dropped"], lang),
                                              "share": fmt_percent(1 - (w["conversion_from_previous"] or 0), lang)}
    return {"means": means, "do": do}


def _paths(c, shop, lang, _):
    paths = c.get("paths")
    if not paths:
        return None
    top = paths[0]
    return {"means": _("The most common visit is %(path)s (%(share)s of visits).") % {
        "path": " → ".join(top["steps_shown"]), "share": fmt_percent(top["share"], lang)}, "do": ""}


def _surveys(c, shop, lang, _):
    surveys = c.get("surveys")
    if not surveys:
        return None
    answers = sum(s["answers"] for s in surveys)
    means = _("%(surveys)s surveys have received %(answers)s answers.") % {
        "surveys": fmt_number(len(surveys), lang), "answers": fmt_number(answers, lang)}
    do = _("Under about 100 answers a score moves a lot from month to month: send the survey link after every "
           "order.") if answers < 100 else ""
    return {"means": means, "do": do}


def _quality(c, lang, _):
    rows = sum(int(q["rows"]) for q in c.get("quarantine") or [])
    if not rows:
        return {"means": _("Every row of the files was loaded."), "do": ""}
    return {"means": _("%(rows)s rows were set aside because they could not be loaded as they are.") % {
                "rows": fmt_number(rows, lang)},
            "do": _("Check the reasons below; fix them where the file is made and load it again (loading a file "
                    "twice changes nothing).")}
