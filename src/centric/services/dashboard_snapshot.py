"""What `centric run` (and every command that changes what the server shows) publishes for
`centric serve`: the API's tables plus the dashboard's (store/snapshot.py, queries/dashboard.py).

Rule: the snapshot is the server's only view of the workspace, and it is published whole and
atomically. The dashboard's events are the ones recorded under analytics consent (the purpose of the
funnel, services/consent.py), so nothing the shop may not analyse reaches a page; an erasure
(services/privacy.py) republishes, so the erased person leaves the snapshot too.

Publishing costs what changed, and its result is always the one a whole publish would give:
- the snapshot records what each of its tables was computed from (`SOURCES`: the digest of each
  source table, store/fingerprint.py; the consent default; where the events, feedback and insights
  tables ended);
- a table whose sources are unchanged is kept from the published file, which the new file starts as
  a copy of (`centric run` hands over the digests its ledger already took, so nothing is read twice);
- dash_events (over a million rows on the demo shop) is patched when the events were only appended
  to (proved with the digests: store/snapshot_delta.py) and the identity splits and the consent
  default are unchanged: the rows of the new events, of the anonymous visitors the new events link
  to a customer, and of the customers whose consent records changed (a withdrawal included) are
  deleted and derived again by the same rule as a whole publish. Anything else (an erasure, an
  update of old events, a changed split or default, no state from the last publish, a last publish
  made outside a run, whose identities may not have been rebuilt from the events then) rewrites the
  table whole;
- dash_feedback (a row per text, with its text twice: the costliest of the small tables to write) is
  patched when the feedback and its insights were only appended to (proved the same way; listening
  writes the rows of new texts only): the rows of the appended feedback ids are derived again;
- every other changed table is written whole (they are small next to the events; patching them by a
  comparison with the published copy measured no cheaper, docs/cli.md).
"""

from __future__ import annotations

import logging
from pathlib import Path

from centric.store.snapshot import DASHBOARD_TABLES, SNAPSHOT_TABLES, publish_snapshot

log = logging.getLogger(__name__)
STATE_VERSION = 1
# snapshot table -> the workspace tables its rows are computed from (copied tables: themselves)
SOURCES = {
    **{table: (table,) for table in SNAPSHOT_TABLES + DASHBOARD_TABLES},
    "dash_customers": ("customers", "customer_summary", "customer_value", "customer_personas", "personas"),
    "dash_orders": ("orders",),
    "dash_feedback": ("feedback", "feedback_insights"),
    "dash_events": ("events", "identities", "identity_splits", "consents"),
    "dash_stage_moves": ("journey_stages",),
}
# staged sets of a dash_events patch (TEMP tables, store/snapshot_delta.py)
NEW_EVENTS, LINKED, CONSENT_CHANGED, REACHED, REDERIVED = (
    "_snapshot_new_events", "_snapshot_linked", "_snapshot_consent_changed", "_snapshot_reached",
    "_snapshot_rederived")
# staged set of a dash_feedback patch: the feedback ids of the appended feedback and insights rows
FEEDBACK_IDS = "_snapshot_feedback_ids"
# tables whose appended rows a patch reads (where each ended is recorded at every publish)
APPENDED = ("events", "feedback", "feedback_insights")


def dashboard_expressions(store, settings) -> dict:
    """name -> Ibis expression of the dashboard's row-level tables."""
    from centric.queries import dashboard as q
    from centric.services import consent

    db = store.ibis()
    # the funnel's events (its left-out count is the analyses' to record, not the snapshot's)
    events = consent.consented_events(store, settings, consent.PURPOSES["funnel"])
    return {
        "dash_customers": q.dash_customers(db.table("customers"), db.table("customer_summary"),
                                           db.table("customer_value"), db.table("customer_personas"),
                                           db.table("personas")),
        "dash_orders": q.dash_orders(db.table("orders")),
        "dash_feedback": q.dash_feedback(db.table("feedback"), db.table("feedback_insights")),
        "dash_events": q.dash_events(events, user_keys=_user_keys(store)),
        "dash_stage_moves": q.dash_stage_moves(db.table("journey_stages")),
    }


def _user_keys(store) -> bool:
    return getattr(store, "engine", "duckdb") == "duckdb"


def publish_all(store, workspace: Path, settings=None, known: dict | None = None, plan: dict | None = None,
                whole: bool = False, identities_current: bool = False) -> Path:
    """Publish the API's and the dashboard's tables in one atomic swap; returns the snapshot's path.
    Tables whose sources did not change since the last publish are kept from it, and dash_events is
    patched where it can be (module docstring). `known`: {table: [rows, digest]} already taken (the run
    ledger's) of tables nothing has written since. `plan`, when given, is filled with what was done:
    {"kept": [...], "patched": [...], "written": [...]} (table names). `whole`: write every table (as
    `centric run --full` does). `identities_current`: the identities were rebuilt from the events as they
    are (a run's identities step did it); the next publish patches dash_events only after such a one."""
    from centric.services.workspace_files import load_settings

    settings = settings if settings is not None else load_settings(Path(workspace))
    tables = SNAPSHOT_TABLES + DASHBOARD_TABLES
    derived = dashboard_expressions(store, settings)
    if getattr(store, "engine", "duckdb") != "duckdb":
        return publish_snapshot(store, workspace, tables, derived=derived)
    from centric.store.snapshot import published_state
    from centric.store.snapshot_delta import end_of

    digests = _Digests(store, known)
    now = {"version": STATE_VERSION, "consent_default": bool(settings.consent_default_granted),
           "identities_current": bool(identities_current),
           "sources": {name: {src: digests(src) for src in SOURCES[name]} for name in (*tables, *derived)}}
    now["appended"] = {table: {"rows": digests(table)[0], "digest": digests(table)[1], "end": end_of(store, table)}
                       for table in APPENDED}
    before = None if whole else published_state(workspace)
    if not before or before.get("version") != STATE_VERSION or before.get("consent_default") != now["consent_default"]:
        _fill(plan, [], [], [*tables, *derived])
        return publish_snapshot(store, workspace, tables, derived=derived, built_from=now)
    reuse = [name for name in (*tables, *derived) if before["sources"].get(name) == now["sources"][name]]
    patches, staged = {}, []
    try:
        if "dash_events" not in reuse:
            patch, staged = _events_patch(store, settings, workspace, before, now)
            if patch is not None:
                patches["dash_events"] = patch
        if "dash_feedback" not in reuse:
            patch, more = _feedback_patch(store, before, now)
            staged += more
            if patch is not None:
                patches["dash_feedback"] = patch
        _fill(plan, reuse, sorted(patches), [n for n in (*tables, *derived) if n not in reuse and n not in patches])
        return publish_snapshot(store, workspace, tables, derived=derived, built_from=now, reuse=reuse,
                                patches=patches)
    finally:
        from centric.store.snapshot_delta import drop_staged

        drop_staged(store, staged)


def _fill(plan: dict | None, kept, patched, written) -> None:
    log.info("snapshot: %d tables kept, %s patched, %d written whole", len(kept), patched or "none", len(written))
    if plan is not None:
        plan.update(kept=list(kept), patched=list(patched), written=list(written))


class _Digests:
    """[rows, digest] of a table, taken once (or handed over by the caller)."""

    def __init__(self, store, known: dict | None):
        self.store, self.known = store, dict(known or {})

    def __call__(self, table: str) -> list:
        if table not in self.known:
            self.known.update(self.store.digests([table]))
        return list(self.known[table])


def _events_patch(store, settings, workspace, before: dict, now: dict):
    """(Patch of dash_events, staged names), or (None, staged names) when it must be written whole."""
    from centric.queries import dashboard as q
    from centric.queries.identity import identity_links
    from centric.services.consent import events_of
    from centric.store.snapshot_delta import Patch, only_appended, stage, stage_appended, stage_consent_changes

    old, new = before["sources"].get("dash_events", {}), now["sources"]["dash_events"]
    # the spans of a visitor can have moved only through links in the appended events when the published
    # rows were read with identities rebuilt from the events then (a later rebuild reads more events)
    if not before.get("identities_current") or old.get("identity_splits") != new["identity_splits"]:
        return None, []
    if not only_appended(store, "events", before.get("appended", {}).get("events"), new["events"]):
        return None, []
    staged = [NEW_EVENTS, CONSENT_CHANGED, LINKED, REACHED, REDERIVED]
    stage_appended(store, NEW_EVENTS, "events", before["appended"]["events"]["end"])
    # the published copy of the consents is the one whose digest the last publish recorded
    if not stage_consent_changes(store, workspace, CONSENT_CHANGED, unchanged=old.get("consents") == new["consents"]):
        return None, staged
    db = store.ibis()
    fresh, changed = db.table(NEW_EVENTS), db.table(CONSENT_CHANGED)
    # visitors whose spans may have moved: a new event links them to a customer (queries/identity.py: a
    # visitor's spans come from its own links only, and the old events and the splits are unchanged)
    stage(store, LINKED, identity_links(fresh).select("anonymous_id").distinct())
    # visitors whose anonymous events may read differently: linked anew, or merged into a customer whose
    # consent records changed
    ids = db.table("identities")
    spans = ids.filter((ids.id_type == "anonymous_id") & ids.customer_id.isin(changed.customer_id))
    stage(store, REACHED, db.table(LINKED).union(spans.select(anonymous_id=spans.id_value)).distinct())
    # the events whose dash_events row may differ from the published one: the new ones, those naming a
    # customer whose consent records changed, and the anonymous ones of those visitors (an event naming its
    # customer keeps it whatever the identities say); every other row reads as before
    events, reached = db.table("events"), db.table(REACHED)
    own = events.filter(events.customer_id.isin(changed.customer_id)).select("event_id")
    anonymous = events.filter(events.customer_id.isnull() & events.anonymous_id.isin(reached.anonymous_id))
    stage(store, REDERIVED, fresh.select("event_id").union(own).union(anonymous.select("event_id")).distinct())
    part = events.filter(events.event_id.isin(db.table(REDERIVED).event_id))
    rows = q.dash_events(events_of(store, settings, "funnel", part), user_keys=_user_keys(store))
    return Patch(rows=rows, keys={"event_id": REDERIVED}), staged



def _feedback_patch(store, before: dict, now: dict):
    """(Patch of dash_feedback, staged names), or (None, staged names) when it must be written whole. A
    dash_feedback row is one feedback row with its insights row (queries/dashboard.py): when both tables
    were only appended to since the last publish (listening writes the rows of new texts only), the rows
    of every other feedback id read as before, and those of the appended ids are derived again."""
    from centric.queries import dashboard as q
    from centric.store.snapshot_delta import Patch, only_appended, stage_appended_keys

    tables = ("feedback", "feedback_insights")
    appended, sources = before.get("appended", {}), now["sources"]["dash_feedback"]
    if not all(only_appended(store, table, appended.get(table), sources[table]) for table in tables):
        return None, []
    stage_appended_keys(store, FEEDBACK_IDS, "feedback_id", {table: appended[table]["end"] for table in tables})
    db = store.ibis()
    feedback = db.table("feedback")
    part = feedback.filter(feedback.feedback_id.isin(db.table(FEEDBACK_IDS).feedback_id))
    return (Patch(rows=q.dash_feedback(part, db.table("feedback_insights")), keys={"feedback_id": FEEDBACK_IDS}),
            [FEEDBACK_IDS])
