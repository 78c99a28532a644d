"""`centric segments`: rule segments saved as JSON files in the workspace, and the RFM segments.

A segment file `segments/<slug>.json` holds {"name", "description", "rule"}; the rule language is
in models/segmentation/rules.py. Computing a segment compiles its rule to an Ibis expression over
`customer_profiles`, records who entered and who left (`segment_members`) and its size and revenue
share (`segments`). The RFM segments of customer_summary are kept the same way (kind "rfm").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from centric.errors import CentricError

SEGMENT_FOLDER = "segments"
MAX_NAME = 80


class SegmentError(CentricError):
    """A segment is unknown, badly named, or its rule is not valid."""


@dataclass(frozen=True)
class SegmentDefinition:
    name: str
    rule: dict
    description: str = ""

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "description": self.description, "rule": self.rule},
                          ensure_ascii=False, indent=2) + "\n"


@dataclass
class Preview:
    name: str
    customers: int
    customer_share: float
    revenue_share: float
    sample: pd.DataFrame


def slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return text or "segment"


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or any(ch in name for ch in "\r\n\t"):
        raise SegmentError(f"a segment name is 1 to {MAX_NAME} characters on one line, got {name!r}")
    if name.lower().startswith("rfm:"):
        raise SegmentError("names starting with 'rfm:' are kept for the RFM segments")
    return name


def parse_rule(rule):
    """Parse a rule given as a dict or as JSON text; errors say where and why."""
    from centric.models.segmentation.rules import RuleError, parse
    from centric.schema import CUSTOMER_PROFILES

    if isinstance(rule, str):
        try:
            rule = json.loads(rule)
        except json.JSONDecodeError as exc:
            raise SegmentError(f"the rule is not valid JSON: {exc}") from exc
    try:
        return parse(rule, CUSTOMER_PROFILES)
    except RuleError as exc:
        raise SegmentError(f"invalid rule: {exc}") from exc


def definitions(workspace: Path) -> list[SegmentDefinition]:
    """The saved segment files, by name; a broken file is an error that names it."""
    folder = workspace / SEGMENT_FOLDER
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            definition = SegmentDefinition(_check_name(data["name"]), data["rule"], str(data.get("description", "")))
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise SegmentError(f"{path} is not a segment file ({{\"name\", \"description\", \"rule\"}}): {exc}") from exc
        parse_rule(definition.rule)
        out.append(definition)
    names = [d.name for d in out]
    if len(names) != len(set(names)):
        raise SegmentError(f"two files in {folder} define the same segment name")
    return out


def definition(workspace: Path, name: str) -> SegmentDefinition:
    for d in definitions(workspace):
        if d.name == name:
            return d
    known = ", ".join(d.name for d in definitions(workspace)) or "none yet"
    raise SegmentError(f"no segment named {name!r} (saved: {known}); see `centric segments list`")


def _profiles(store, settings):
    from centric.services.profiles import build_customer_profiles

    if not store.has_rows("customer_profiles"):
        build_customer_profiles(store, settings)
    return store.ibis().table("customer_profiles")


def _members_expr(store, settings, tree):
    """The profiles a parsed rule selects, as an Ibis expression."""
    from centric.queries.segment_rule import compile_rule

    t = _profiles(store, settings)
    return t.filter(compile_rule(tree, t))


def _size(store, profiles) -> pd.Series:
    from centric.queries.segment_rule import size_and_revenue

    return store.ibis().execute(size_and_revenue(profiles)).iloc[0]


def _totals(store) -> pd.Series:
    """Customers and revenue of the whole shop, the denominators of every segment's shares."""
    return _size(store, store.ibis().table("customer_profiles"))


def _shares(store, members, total: pd.Series) -> tuple[int, float, float]:
    got = _size(store, members)
    n = int(got["n"])
    customer_share = n / total["n"] if total["n"] else 0.0
    revenue_share = float(got["revenue"] or 0) / float(total["revenue"]) if total["revenue"] else 0.0
    return n, customer_share, revenue_share


def preview(store, settings, rule, limit: int = 10) -> Preview:
    """How many customers a rule selects, and a few of them, without saving anything."""
    tree = parse_rule(rule)
    members = _members_expr(store, settings, tree)
    n, share, revenue_share = _shares(store, members, _totals(store))
    sample = store.ibis().execute(members.order_by("customer_id").limit(limit).select(
        "customer_id", "country", "city", "age", "orders", "revenue", "rfm_segment"))
    return Preview("(preview)", n, share, revenue_share, sample)


def save(workspace: Path, name: str, rule, description: str = "", replace: bool = False) -> Path:
    """Validate and write a segment file; refuses to overwrite unless replace."""
    name = _check_name(name)
    rule = json.loads(rule) if isinstance(rule, str) else rule
    parse_rule(rule)
    existing = {d.name for d in definitions(workspace)}
    path = workspace / SEGMENT_FOLDER / f"{slug(name)}.json"
    if (name in existing or path.exists()) and not replace:
        raise SegmentError(f"segment {name!r} exists already: pass --replace to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SegmentDefinition(name, rule, description).to_json(), encoding="utf-8")
    return path


def delete(workspace: Path, store, name: str) -> None:
    from centric.store.membership import close_segment

    d = definition(workspace, name)
    (workspace / SEGMENT_FOLDER / f"{slug(d.name)}.json").unlink()
    close_segment(store, d.name, _now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _write_segment(store, name, kind, description, rule, at, total) -> dict:
    """Compute one segment: its members' history and its `segments` row, written together."""
    from centric.store.membership import record_segment

    members = _members_expr(store, None, parse_rule(rule))
    n, share, revenue_share = _shares(store, members, total)
    row = {"segment": name, "kind": kind, "description": description, "rule": json.dumps(rule, ensure_ascii=False),
           "customers": n, "customer_share": share, "revenue_share": revenue_share}
    change = record_segment(store, row, members, at)
    return {**row, "entered": change.entered, "left": change.left, "computed_at": at}


def refresh(workspace: Path, store, settings, rebuild_profiles: bool = True) -> pd.DataFrame:
    """Recompute every saved segment and the RFM segments; returns the `segments` table."""
    from centric.queries.customer_summary import RFM_SEGMENTS
    from centric.queries.segment_rule import segment_names
    from centric.services.profiles import build_customer_profiles
    from centric.store.membership import close_segment

    if rebuild_profiles or not store.has_rows("customer_profiles"):
        build_customer_profiles(store, settings)
    at, total = _now(), _totals(store)
    saved = definitions(workspace)
    for d in saved:
        _write_segment(store, d.name, "rule", d.description, d.rule, at, total)
    for name, _, _ in RFM_SEGMENTS:  # the same path as a rule segment, with the rule written for it
        rule = {"field": "rfm_segment", "op": "=", "value": name}
        _write_segment(store, f"rfm:{name}", "rfm", f"RFM segment {name} (docs/segments.md)", rule, at, total)
    gone = store.ibis().execute(segment_names(store.ibis().table("segments"), "rule"))["segment"]
    for name in set(gone) - {d.name for d in saved}:
        close_segment(store, name, at)
    return table(store)


def table(store) -> pd.DataFrame:
    from centric.queries.segment_rule import segment_listing

    db = store.ibis()
    return db.execute(segment_listing(db.table("segments")))


def members(store, name: str, history: bool = False) -> pd.DataFrame:
    """Current members with their profile (or, with history, every stay with entered_at and left_at)."""
    from centric.queries.segment_rule import current_members, member_stays, segment_row

    db = store.ibis()
    segments, stays = db.table("segments"), db.table("segment_members")
    if db.execute(segment_row(segments, name).count()) == 0:
        raise SegmentError(f"segment {name!r} has not been computed: run `centric segments refresh`")
    if history:
        return db.execute(member_stays(stays, name))
    return db.execute(current_members(stays, db.table("customer_profiles"), db.table("customers"), name))


def export_members(store, settings, name: str, marketing_only: bool, at=None):
    """A segment's current members for an export, and what consent left out. With marketing_only (an
    e-mail or ad audience) only customers who hold marketing consent at `at` (now by default: the
    moment of export, services/consent.py) are kept, whatever their consent when the profile was built;
    the exclusion is recorded when the store is writable."""
    from centric.services import consent

    frame = members(store, name)
    if not marketing_only:
        return frame, None
    frame, left_out = consent.keep_consenting(store, settings, frame, "segment_export", at)
    frame["marketing_consent"] = True  # held at export time, by construction
    if not store.read_only:
        consent.record(store, left_out)
    return frame, left_out


def movement(store, settings, start, end) -> pd.DataFrame:
    """RFM movement between two dates: how many customers went from each segment to each other one.

    Customer summaries are computed as of both dates; a customer with no purchase by `start` is
    counted as '(not yet a customer)'."""
    from centric.queries.customer_summary import customer_summary

    start, end = pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime()
    if start >= end:
        raise SegmentError(f"the first date ({start:%Y-%m-%d}) must come before the second ({end:%Y-%m-%d})")
    orders = store.ibis().table("orders")
    before = store.ibis().execute(customer_summary(orders, start, settings.rfm_cuts).select("customer_id", "rfm_segment"))
    after = store.ibis().execute(customer_summary(orders, end, settings.rfm_cuts).select("customer_id", "rfm_segment"))
    both = after.merge(before, on="customer_id", how="outer", suffixes=("_to", "_from"))
    both["rfm_segment_from"] = both["rfm_segment_from"].fillna("(not yet a customer)")
    both["rfm_segment_to"] = both["rfm_segment_to"].fillna("(none)")
    out = both.groupby(["rfm_segment_from", "rfm_segment_to"]).size().rename("customers").reset_index()
    return out.rename(columns={"rfm_segment_from": "from_segment", "rfm_segment_to": "to_segment"}).sort_values(
        ["from_segment", "customers"], ascending=[True, False]).reset_index(drop=True)
