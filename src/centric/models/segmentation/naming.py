"""Persona names that follow from the members' own figures, and never repeat.

Rules (docs/segments.md, "Names"):
- a trait is named only when it sets the members apart from the *rest* of the customers: for a value
  (an interest, a category, a city) Cohen's h between its share among the members and among the
  rest is at least 0.2 and at least a quarter of the members have it (shares of all members, known
  value or not); a place the members almost never have while the rest often do (h <= -0.5, at most
  10% of the members) names them "outside" it; for a number (orders, basket)
  Cohen's d between the members' mean and the rest's is at least 0.5, measured in the standard
  deviation of all customers (Cohen 1988, ch. 2 and 6);
- empty or unknown values ("", "unknown", "other", ...) are never a trait;
- the age band named is the band the members' median age falls in, and age is named only when the
  members' ages differ from the rest's (|d| >= 0.2);
- a name is built from the interests (at most two), then the age band and the places (at most
  three, each distinguishing); without a distinguishing interest the strongest other trait leads
  ("Frequent buyers");
- names are unique: personas that would share a name take their next most distinguishing trait in
  turn until they differ; only when no trait is left is a number added.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from centric.models.segmentation.features import long_items
from centric.schema import AGE_BANDS

HEADLINE = ("tags", "categories", "top_category")  # what a persona is named after first
PLACES = ("city", "region", "country")
UNKNOWN = frozenset({"", "unknown", "none", "null", "nan", "n/a", "na", "other", "others", "misc",
                     "miscellaneous", "uncategorized", "uncategorised", "undefined", "(not set)", "-", "?"})
MIN_H = 0.2  # a named value: Cohen's h vs the rest
MIN_SHARE = 0.25  # a named value is held by at least this share of the members
MIN_D = 0.5  # a named number: Cohen's d vs the rest ("medium")
MIN_AGE_D = 0.2
HIGH_LOW = {
    "orders": ("frequent buyers", "one-off buyers"),
    "revenue": ("top spenders", "low spenders"),
    "aov": ("big baskets", "small baskets"),
    "items_per_order": ("many items per order", "few items per order"),
    "app_share": ("app shoppers", "web shoppers"),
    "discount_share": ("discount hunters", "full-price buyers"),
    "evening_share": ("evening shoppers", "daytime shoppers"),
    "weekend_share": ("weekend shoppers", "weekday shoppers"),
    "returns_share": ("frequent returners", "rare returners"),
    "days_since_last_order": ("long quiet", "recent buyers"),
    "predicted_clv": ("high expected value", "low expected value"),
}
GENDERS = {"f": "women", "female": "women", "woman": "women", "m": "men", "male": "men", "man": "men"}
LANGUAGES = {"en": "English", "es": "Spanish", "ca": "Catalan", "pt": "Portuguese", "fr": "French",
             "de": "German", "it": "Italian"}


def is_unknown(value) -> bool:
    return value is None or str(value).strip().lower() in UNKNOWN


def age_band_of(age: float | None) -> str | None:
    """The band (customer_profiles.age_band) a whole-year age falls in; None under 18 or unknown."""
    if age is None or not np.isfinite(age):
        return None
    years = math.floor(age)
    for lo, hi in AGE_BANDS:
        if lo <= years <= hi:
            return f"{lo}-{hi}"
    return "65+" if years >= 65 else "under 18"


def _label(value) -> str:
    return str(value).replace("_", " ")


def _h(p: float, q: float) -> float:
    return 2 * math.asin(math.sqrt(p)) - 2 * math.asin(math.sqrt(q))


def _value_phrase(col: str, value: str) -> str:
    if col in PLACES:
        return f"in {value}"
    if col == "gender":
        return GENDERS.get(str(value).lower(), _label(value))
    if col == "language":
        return f"{LANGUAGES.get(value, value)} speakers"
    if col == "acquisition_channel":
        return f"came via {_label(value)}"
    return f"{_label(col)} {_label(value)}"


def _value_traits(frame: pd.DataFrame, labels: np.ndarray, g, col: str, absent: bool = False
                  ) -> list[tuple[float, str, str]]:
    """(h, column, value) for each value of a categorical or list column that sets group g apart.

    Shares are over all members and all the rest (a member with no known value counts as not having
    it), so "a quarter of the members" means a quarter of all of them. With `absent`, the values the
    members almost never have while the rest often do (h <= -0.5, at most 10% of the members)."""
    rows, items = long_items(frame[col])
    if len(items) == 0:
        return []
    keep = ~np.fromiter((is_unknown(v) for v in items), dtype=bool, count=len(items))
    rows, items = rows[keep], items.to_numpy()[keep]
    inside, outside = labels == g, labels != g
    if len(items) == 0 or not inside.any() or not outside.any():
        return []
    pairs = pd.DataFrame({"item": items, "in": inside[rows]})
    counts = pairs.groupby("item")["in"].agg(["sum", "count"])
    out = []
    for value, r in counts.iterrows():
        p = min(float(r["sum"]) / inside.sum(), 1.0)
        q = min(float(r["count"] - r["sum"]) / outside.sum(), 1.0)
        h = _h(p, q)
        if absent and h <= -0.5 and p <= 0.1:
            out.append((-h, col, str(value)))
        elif not absent and h >= MIN_H and p >= MIN_SHARE:
            out.append((h, col, str(value)))
    return sorted(out, reverse=True)


def _numeric_trait(frame: pd.DataFrame, labels: np.ndarray, g, col: str, threshold: float):
    x = pd.to_numeric(frame[col], errors="coerce").astype(float).to_numpy()
    inside, outside = x[(labels == g) & np.isfinite(x)], x[(labels != g) & np.isfinite(x)]
    if len(inside) == 0 or len(outside) == 0:
        return None
    sd = float(np.std(x[np.isfinite(x)]))
    if not sd > 0:
        return None
    d = (float(inside.mean()) - float(outside.mean())) / sd
    return d if abs(d) >= threshold else None


def candidates(frame: pd.DataFrame, labels: np.ndarray, g, numeric=(), categorical=()) -> dict:
    """What sets group g apart, ready to be named: interests, age, place, and the rest ranked by effect."""
    labels = np.asarray(labels)
    interests, seen = [], set()
    for col in HEADLINE:
        if col in frame:
            for h, _, value in _value_traits(frame, labels, g, col):
                if value.lower() not in seen:
                    seen.add(value.lower())
                    interests.append((h, value))
    interests.sort(reverse=True)
    age = None
    if "age" in frame and _numeric_trait(frame, labels, g, "age", MIN_AGE_D) is not None:
        x = pd.to_numeric(frame["age"], errors="coerce")[labels == g].dropna()
        band = age_band_of(float(x.median())) if len(x) else None
        age = band
    place = None
    for col in PLACES:
        if col in frame and col in categorical:
            found = [v for _, _, v in _value_traits(frame, labels, g, col)[:3]]
            if found:
                place = "in " + (found[0] if len(found) == 1 else ", ".join(found[:-1]) + " & " + found[-1])
                break
            away = _value_traits(frame, labels, g, col, absent=True)
            if away:  # e.g. the foreign customers of a mostly British shop: "outside GB"
                place = f"outside {away[0][2]}"
                break
    others = []
    for col in categorical:
        if col in HEADLINE or col in PLACES or col in ("age_band",) or col not in frame:
            continue
        others += [(h, _value_phrase(c, v)) for h, c, v in _value_traits(frame, labels, g, col)[:1]]
    for col in numeric:
        if col == "age" or col not in frame:
            continue
        d = _numeric_trait(frame, labels, g, col, MIN_D)
        if d is not None:
            high, low = HIGH_LOW.get(col, (f"high {_label(col)}", f"low {_label(col)}"))
            others.append((abs(d), high if d > 0 else low))
    others.sort(key=lambda t: -t[0])
    return {"interests": [v for _, v in interests], "age": age, "place": place,
            "others": [p for _, p in others]}


def _base(c: dict) -> tuple[list[str], list[str]]:
    """(the name's parts, the traits left to tell it apart)."""
    spare = list(c["others"])
    parts = []
    if c["interests"]:
        parts.append(" & ".join(_label(v) for v in c["interests"][:2]) + " lovers")
        spare = [f"{_label(v)} lovers" for v in c["interests"][2:]] + spare
    elif spare:
        parts.append(spare.pop(0))
    if c["age"]:
        parts.append(c["age"])
    if c["place"]:
        parts.append(c["place"])
    if not parts:
        parts.append("customers")
    return parts, spare


def _text(parts: list[str]) -> str:
    s = ", ".join(parts)
    return s[:1].upper() + s[1:]


def unique_names(found: list[dict]) -> list[str]:
    """One name per group from its candidates (as returned by `candidates`), all different."""
    if len(found) == 1 and not (found[0]["interests"] or found[0]["age"] or found[0]["place"] or found[0]["others"]):
        return ["All customers"]
    state = [_base(c) for c in found]
    names = [_text(p) for p, _ in state]
    for _ in range(20):
        clash = pd.Series(names).duplicated(keep=False).to_numpy()
        if not clash.any():
            return names
        grew = False
        for i in np.flatnonzero(clash):
            parts, spare = state[i]
            if spare:
                parts.append(spare.pop(0))
                names[i] = _text(parts)
                grew = True
        if not grew:
            break
    seen: dict[str, int] = {}
    out = []
    for name in names:  # last resort: number the ones no trait tells apart, in persona order
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def name_groups(frame: pd.DataFrame, labels: np.ndarray, numeric=(), categorical=()) -> dict:
    """Group label -> unique name, from the members' own figures."""
    labels = np.asarray(labels)
    groups = sorted(set(labels.tolist()))
    if len(groups) == 1:
        return {groups[0]: "All customers"}
    found = [candidates(frame, labels, g, numeric, categorical) for g in groups]
    return dict(zip(groups, unique_names(found)))
