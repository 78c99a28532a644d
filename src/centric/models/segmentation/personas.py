"""Buyer persona cards: what a marketer puts on the wall for each cluster of customers.

A card crosses the numbers (who they are, where, how they buy, what they are worth) with what
the group says (themes, sentiment, NPS, quotes in their own language), after the persona method
of Cooper (1999, "The Inmates Are Running the Asylum", ch. 9) and Revella (2015, "Buyer Personas"):
a name, a face of facts, goals and concerns in the customers' words. The name follows from what
sets the members apart from the rest (models/segmentation/naming.py) and is unique; every figure is
computed from the cluster's members, and each card says how stable its persona is
(models/segmentation/stability.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from centric.models.segmentation.explain import traits as explain_traits
from centric.models.segmentation.features import long_items
from centric.models.segmentation.naming import is_unknown, name_groups
from centric.models.segmentation.stability import persona_note

LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "ca": "Catalan", "pt": "Portuguese", "fr": "French",
                  "de": "German", "it": "Italian"}
THEME_NAMES = {"delivery": "delivery", "price": "price and value", "product_quality": "product quality",
               "customer_service": "customer service", "website": "website and checkout",
               "returns": "returns and refunds", "packaging": "packaging", "stock": "stock and availability"}
QUOTE_CHARS = (25, 280)


def _top(frame: pd.DataFrame, col: str, n: int = 3) -> list[dict]:
    """The n most common values (or list items) of a column with the share of rows that have them."""
    if col not in frame or frame.empty:
        return []
    counts = long_items(frame[col])[1].value_counts()
    return [{"value": k, "share": round(float(c) / len(frame), 3)} for k, c in counts.head(n).items()]


def _mean(frame: pd.DataFrame, col: str):
    if col not in frame:
        return None
    x = pd.to_numeric(frame[col], errors="coerce")
    return None if x.notna().sum() == 0 else round(float(x.mean()), 3)


def _nps(frame: pd.DataFrame):
    if "nps" not in frame:
        return None, 0
    x = pd.to_numeric(frame["nps"], errors="coerce").dropna()
    if len(x) == 0:
        return None, 0
    return round(100 * (float((x >= 9).mean()) - float((x <= 6).mean())), 1), int(len(x))


def _label(value: str) -> str:
    return value.replace("_", " ")


def _quotes(feedback: pd.DataFrame | None, themes: list[str], n: int = 3) -> list[dict]:
    """Representative quotes: per top theme the text whose sentiment is closest to the group's median."""
    if feedback is None or feedback.empty:
        return []
    text = feedback["text"].fillna("")
    usable = feedback[text.str.len().between(*QUOTE_CHARS)]
    out, seen = [], set()
    for theme in themes + [None]:
        pool = usable if theme is None else usable[usable["themes"].map(
            lambda v, t=theme: hasattr(v, "__len__") and not isinstance(v, str) and t in list(v))]
        pool = pool[~pool["feedback_id"].isin(seen)]
        if pool.empty:
            continue
        median = float(pool["sentiment_score"].median())
        pick = pool.iloc[int(np.argmin((pool["sentiment_score"] - median).abs().to_numpy()))]
        seen.add(pick["feedback_id"])
        out.append({"text": str(pick["text"]), "language": pick.get("language"), "theme": theme,
                    "sentiment": pick.get("sentiment")})
        if len(out) >= n:
            break
    return out


def build_cards(profiles: pd.DataFrame, labels: np.ndarray, numeric=(), categorical=(),
                feedback: pd.DataFrame | None = None, describe_numeric=(), describe_categorical=(),
                stability: list[float] | None = None) -> list[dict]:
    """One card per cluster label (0 = largest).

    profiles: one row per customer (customer_profiles columns); labels: cluster per row;
    feedback: customer_id, feedback_id, text, language, sentiment, sentiment_score, themes (optional).
    numeric/categorical: the variables clustered on; describe_*: more variables to explain groups by;
    stability: per label, the mean Jaccard of the persona under resampling (models/segmentation/stability.py).
    """
    labels = np.asarray(labels)
    num = list(dict.fromkeys([*numeric, *describe_numeric]))
    cat = list(dict.fromkeys([*categorical, *describe_categorical]))
    table = explain_traits(profiles, labels, [c for c in num if c in profiles], [c for c in cat if c in profiles])
    names = name_groups(profiles, labels, [c for c in numeric if c in profiles],
                        [c for c in categorical if c in profiles])
    total_revenue = float(pd.to_numeric(profiles.get("revenue", pd.Series(dtype=float)), errors="coerce").sum())
    cards = []
    for g in sorted(set(labels.tolist())):
        members = profiles[labels == g]
        gt = table[table["group"] == g]
        revenue = float(pd.to_numeric(members.get("revenue", pd.Series(dtype=float)), errors="coerce").sum())
        fb = None
        if feedback is not None and "customer_id" in members:
            fb = feedback[feedback["customer_id"].isin(set(members["customer_id"]))]
        theme_traits = gt[(gt["variable"] == "themes") & (gt["kind"] == "share")].sort_values("in_group", ascending=False)
        top_themes = theme_traits[theme_traits["in_group"] > 0].head(3)
        nps, nps_n = _nps(members)
        card = {
            "persona_id": int(g) + 1,
            "name": names[g],
            "customers": int(len(members)),
            "customer_share": round(len(members) / len(profiles), 4),
            "revenue_share": round(revenue / total_revenue, 4) if total_revenue else None,
            "demographics": {"age_median": None if "age" not in members else _median(members["age"]),
                             "age_bands": _top(members, "age_band"),
                             "genders": _top(members, "gender")},
            "places": {"cities": _top(members, "city"),
                       "countries": _top(members, "country"),
                       "languages": _top(members, "language")},
            "lifestyle": {"tags": _traits_of(gt, "tags")},
            "habits": {
                "categories": _traits_of(gt, "categories"),
                "acquisition_channels": _top(members, "acquisition_channel"),
                **{k: _mean(members, k) for k in ("orders", "aov", "items_per_order", "app_share", "discount_share",
                                                  "evening_share", "weekend_share", "returns_share")},
            },
            "value": {"revenue_per_customer": round(revenue / len(members), 2) if len(members) else None,
                      "predicted_clv": _mean(members, "predicted_clv"), "p_alive": _mean(members, "p_alive"),
                      "high_churn_risk_share": _share_of(members, "churn_risk", "high")},
            "stage_mix": _top(members, "rfm_segment", n=5),
            "voice": {"themes": [{"theme": r.value, "share": round(r.in_group, 3), "lift": _round(r.lift)}
                                 for r in top_themes.itertuples()],
                      "sentiment_score": _mean(members, "sentiment_score"), "nps": nps, "nps_answers": nps_n},
            "traits": [_trait(r) for r in gt[gt["distinguishing"] & ~gt["value"].map(_unknown_value)].head(12)
                       .itertuples()],
            "stability": _stability(stability, g),
        }
        card["quotes"] = _quotes(fb, [t["theme"] for t in card["voice"]["themes"]])
        card["summary"] = narrative(card)
        cards.append(card)
    return cards


def _unknown_value(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and is_unknown(value)


def _stability(stability, g) -> dict:
    j = None if stability is None or g >= len(stability) or stability[g] is None else float(stability[g])
    return {"jaccard": None if j is None else round(j, 3), "note": persona_note(j)}


def _median(x: pd.Series):
    x = pd.to_numeric(x, errors="coerce").dropna()
    return None if x.empty else round(float(x.median()), 1)


def _round(x):
    return None if x is None or not np.isfinite(x) else round(float(x), 2)


def _share_of(frame: pd.DataFrame, col: str, value: str):
    if col not in frame or frame[col].notna().sum() == 0:
        return None
    return round(float((frame[col] == value).sum() / frame[col].notna().sum()), 3)


def _traits_of(gt: pd.DataFrame, variable: str, n: int = 4) -> list[dict]:
    part = gt[(gt["variable"] == variable) & (gt["kind"] == "share") & (gt["in_group"] >= 0.1)
              & ~gt["value"].map(_unknown_value)]
    part = part.sort_values("effect", ascending=False).head(n)
    return [{"value": r.value, "share": round(r.in_group, 3), "lift": _round(r.lift)} for r in part.itertuples()]


def _trait(r) -> dict:
    return {"variable": r.variable, "value": r.value, "kind": r.kind, "in_group": _round(r.in_group),
            "in_shop": _round(r.in_shop), "lift": _round(r.lift), "effect": _round(r.effect)}


def _pct(x) -> str:
    return f"{100 * x:.0f}%"


def _list(items: list[str]) -> str:
    items = [i for i in items if i]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def narrative(card: dict) -> str:
    """The card in plain sentences."""
    s = [f"{card['customers']:,} customers ({_pct(card['customer_share'])} of customers"
         + (f", {_pct(card['revenue_share'])} of revenue)." if card["revenue_share"] is not None else ").")]
    d, p, h, v, voice = card["demographics"], card["places"], card["habits"], card["value"], card["voice"]
    who = []
    if d["age_median"] is not None:
        who.append(f"median age {d['age_median']:.0f}" + (f", mostly {d['age_bands'][0]['value']}" if d["age_bands"] else ""))
    if d["genders"]:
        who.append(f"{_pct(d['genders'][0]['share'])} {d['genders'][0]['value']}")
    if who:
        s.append("Who: " + "; ".join(who) + ".")
    if p["cities"]:
        s.append("Where: " + _list([f"{c['value']} ({_pct(c['share'])})" for c in p["cities"]]) + "; they speak "
                 + _list([LANGUAGE_NAMES.get(lang["value"], lang["value"]) for lang in p["languages"]]) + ".")
    if card["lifestyle"]["tags"]:
        s.append("Into " + _list([_label(t["value"]) for t in card["lifestyle"]["tags"]]) + ".")
    habits = []
    if h["categories"]:
        habits.append("buy " + _list([_label(c["value"]) for c in h["categories"]]))
    if h.get("app_share") is not None:
        habits.append(f"{_pct(h['app_share'])} of orders on the app")
    if h.get("aov") is not None:
        habits.append(f"{h['aov']:,.0f} per order, {h['orders']:.1f} orders each")
    if h.get("discount_share"):
        habits.append(f"{_pct(h['discount_share'])} of orders discounted")
    if h["acquisition_channels"]:
        habits.append(f"came mostly through {_label(h['acquisition_channels'][0]['value'])}")
    if habits:
        s.append("Habits: " + "; ".join(habits) + ".")
    if v["predicted_clv"] is not None:
        alive = f", P(alive) {v['p_alive']:.2f}" if v.get("p_alive") is not None else ""  # NULL: no model validated
        s.append(f"Value: predicted CLV {v['predicted_clv']:,.0f}{alive}"
                 + (f", {_pct(v['high_churn_risk_share'])} at high churn risk." if v["high_churn_risk_share"] is not None else "."))
    if voice["themes"]:
        said = "They talk about " + _list([THEME_NAMES.get(t["theme"], _label(t["theme"])) for t in voice["themes"]])
        if voice["sentiment_score"] is not None:
            mood = "positive" if voice["sentiment_score"] > 0.05 else "negative" if voice["sentiment_score"] < -0.05 else "mixed"
            said += f", in a {mood} tone ({voice['sentiment_score']:+.2f})"
        if voice["nps"] is not None:
            said += f"; NPS {voice['nps']:+.0f} ({voice['nps_answers']} answers)"
        s.append(said + ".")
    if card.get("stability", {}).get("note"):
        s.append(card["stability"]["note"])
    return " ".join(s)
