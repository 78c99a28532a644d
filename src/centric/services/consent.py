"""Each analysis declares its purpose and reads only data recorded under consent to it: the one place
where analyses get their events (docs/privacy.md).

- `PURPOSES`: analysis -> consent category. Behaviour analytics (funnel, paths, journey, journey
  drivers, customer profiles' behaviour columns, personas) need analytics; marketing audiences and
  exports need marketing at the moment of export; revenue, CLV, RFM and KPIs read orders, essential
  to run the shop, and need nothing more.
- `consented_tables(store, settings, purpose, names)`: Ibis tables by name, with `events` replaced by
  the events recorded under consent (queries/consent.py holds the time rule). Every service that
  reads events takes them from here, never from `store.ibis().table("events")`.
- `count_events_left_out` / `record`: what was left out, returned to the caller (the CLI prints
  `Exclusion.message()`) and written to `consent_exclusions` (the report and the API read it).
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager, suppress
from dataclasses import dataclass

PURPOSES = {
    "funnel": "analytics", "paths": "analytics", "journey": "analytics", "journey_drivers": "analytics",
    "customer_profiles": "analytics", "personas": "analytics",
    "segment_export": "marketing", "survey_audience": "marketing",
    "customer_summary": "essential", "customer_value": "essential", "kpis": "essential", "revenue": "essential",
}


@dataclass
class Exclusion:
    analysis: str
    purpose: str
    customers_left_out: int = 0
    events_left_out: int = 0
    anonymous_events_left_out: int = 0
    hint: str = ""  # what to do when everything was left out for want of any consent record

    def message(self) -> str:
        """One line for the CLI: "1,204 customers left out: no analytics consent (35,210 events, ...)"."""
        noun = "customer" if self.customers_left_out == 1 else "customers"
        text = f"{self.customers_left_out:,} {noun} left out: no {self.purpose} consent"
        if self.events_left_out:
            text += f" ({self.events_left_out:,} events not recorded under consent"
            if self.anonymous_events_left_out:
                text += (f", {self.anonymous_events_left_out:,} of them from anonymous visitors who did not say yes "
                         "on the cookie banner")
            text += ")"
        return text + (f"; {self.hint}" if self.hint and self.customers_left_out else "")


NO_RECORDS_HINT = ('no {purpose} consent is recorded yet: load consents (`centric ingest consents FILE`), or set '
                   '[consent] default = "granted" in centric.toml if the shop collects consent elsewhere')


def hint(store, settings, purpose: str) -> str:
    """The advice for a workspace whose default denies and whose ledger names no one for `purpose`."""
    if _default(settings) or purpose == "essential":
        return ""
    from centric.queries.consent import has_records

    db = store.ibis()
    return "" if db.execute(has_records(db.table("consents"), purpose)) else NO_RECORDS_HINT.format(purpose=purpose)


def _default(settings) -> bool:
    if settings is None:
        from centric.config import Settings

        settings = Settings()
    return settings.consent_default_granted


def _now(settings) -> dt.datetime:
    """Now, in the shop's time zone (consents.recorded_at is shop local time)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.timezone) if settings is not None else dt.UTC
    return dt.datetime.now(zone).replace(tzinfo=None)


def _marked(store, settings, purpose: str, events=None):
    """Every event (or those of `events`, a part of the events table), each anonymous one first given the
    customer its visitor was merged into (services/identity.py), marked with whether it was recorded
    under consent to `purpose`."""
    from centric.queries.consent import mark_events
    from centric.queries.identity import resolved_events
    from centric.services.identity import person_events

    db = store.ibis()
    resolved = person_events(db) if events is None else resolved_events(events, db.table("identities"))
    return mark_events(resolved, db.table("consents"), purpose, _default(settings))


def consented_tables(store, settings, purpose: str, names) -> dict:
    """Ibis tables by name; `events` (when asked) holds only the events recorded under consent to `purpose`,
    each anonymous one first given the customer its visitor was merged into (services/identity.py): a
    merged event follows that customer's consent ledger, as if the ids had been one from the start."""
    from centric.queries.consent import kept

    db = store.ibis()
    tables = {name: db.table(name) for name in names if name != "events"}
    if "events" in names:
        tables["events"] = kept(_marked(store, settings, purpose))
    return tables


def consented_events(store, settings, purpose: str = "analytics"):
    return consented_tables(store, settings, purpose, ("events",))["events"]


def events_and_left_out(store, settings, analysis: str):
    """The analysis's events (recorded under consent to its purpose) and what they leave out
    (`count_events_left_out`), both from one marked-events expression."""
    from centric.queries.consent import kept

    marked = _marked(store, settings, PURPOSES[analysis])
    return kept(marked), count_events_left_out(store, settings, analysis, marked)


def marked_events(store, settings, analysis: str):
    """Every event marked with `_consented`: recorded under consent to the analysis's purpose (for a caller
    that reads them several times and materialises them once, services/journey.py)."""
    return _marked(store, settings, PURPOSES[analysis])


def events_of(store, settings, analysis: str, events):
    """The analysis's events among `events` (a part of the events table, as an Ibis table): the same rule
    as `events_and_left_out`, for an incremental publish of the snapshot (services/dashboard_snapshot.py)."""
    from centric.queries.consent import kept

    return kept(_marked(store, settings, PURPOSES[analysis], events))


# purpose -> counts, while `counted_once` holds (one `centric run`, whose analyses all read the same events)
_COUNTED: dict | None = None
# purpose -> the marked events materialised once (DuckDB), while `counted_once` holds (`shared_marked`)
_SHARED: dict | None = None
# the run's options for the kept marking (services/marked.py), while `counted_once` holds
_KEPT: dict | None = None
# the columns of the shared marked events: what profiles, personas' left-out count and the journey read
SHARED_COLUMNS = ("event_id", "occurred_at", "customer_id", "anonymous_id", "name", "channel")


@contextmanager
def counted_once(digests=None, full: bool = False):
    """Within this block the left-out counts of a purpose are computed once, and the events marked by
    consent to a purpose are materialised once (`shared_marked`): the analyses of one run that share a
    purpose (profiles, personas and the journey: analytics) read the same events, consents and
    identities, which none of them writes. services/run.py opens it once the steps that change those
    have run; the materialised events are dropped when it closes (the kept marking of analytics,
    `marked_events`, stays for the next run). `digests`: the run ledger's (Ledger.digests); `full`:
    `centric run --full` (the kept marking is rebuilt whole)."""
    global _COUNTED, _SHARED, _KEPT
    outer, _COUNTED = _COUNTED, {}
    outer_shared, _SHARED = _SHARED, {}
    outer_kept, _KEPT = _KEPT, {"digests": digests, "full": bool(full)}
    try:
        yield
    finally:
        shared, _COUNTED, _SHARED, _KEPT = _SHARED, outer, outer_shared, outer_kept
        for store, name, _ in shared.values():
            if name is None:  # the kept marking: a table of the workspace
                continue
            with suppress(Exception):  # a temporary table: it goes with the connection anyway
                store.drop_temp_table(name)


def _shared_key(store, settings, purpose: str) -> tuple:
    return (id(store), purpose, _default(settings))


KEPT_PURPOSE = "analytics"  # services/marked.py: the purpose whose marking is kept between runs


def shared_marked(store, settings, analysis: str):
    """Within `counted_once` on DuckDB: every event marked by consent to the analysis's purpose
    (`_consented`, identity merges applied), with SHARED_COLUMNS only, materialised at the first call of
    the block and shared by the later ones (marking the 1.4 million events of the demo shop costs 0.6 s
    of CPU each time, and a run's profiles, personas and journey all read them). For analytics (the
    purpose of all three) the marking is kept between runs in `marked_events` and only what changed is
    marked again (services/marked.py). None outside the block or on another engine: the caller marks the
    events itself."""
    if _SHARED is None or getattr(store, "engine", "duckdb") != "duckdb":
        return None
    purpose = PURPOSES[analysis]
    key = _shared_key(store, settings, purpose)
    if key not in _SHARED and purpose == KEPT_PURPOSE:
        # kept between runs and updated in proportion to what changed (services/marked.py)
        from centric.services.marked import kept_marking

        def mark(events=None):
            return _marked(store, settings, purpose, events).select(*SHARED_COLUMNS, "_consented")

        _SHARED[key] = (store, None, kept_marking(store, purpose, _default(settings), mark, **(_KEPT or {})))
    if key not in _SHARED:
        # a fixed name: what the analyses read from it compiles to the same SQL in the next run
        name = f"_centric_marked_{purpose}_{'granted' if _default(settings) else 'denied'}"
        marked = _marked(store, settings, purpose).select(*SHARED_COLUMNS, "_consented")
        _SHARED[key] = (store, name, store.temp_table(name, marked))
    return _SHARED[key][2]


def count_events_left_out(store, settings, analysis: str, marked=None) -> Exclusion:
    """What the analysis's event read leaves out (customers with no event under consent, events);
    `marked`: the marked events when the caller has them (`events_and_left_out`)."""
    from centric.queries.consent import left_out_of

    purpose = PURPOSES[analysis]
    out = Exclusion(analysis, purpose, hint=hint(store, settings, purpose))
    if not store.has_rows("events"):
        return out
    key = _shared_key(store, settings, purpose)
    if _COUNTED is not None and key in _COUNTED:
        counts = _COUNTED[key]
    else:
        if marked is None and _SHARED is not None and key in _SHARED:  # already materialised by an analysis
            marked = _SHARED[key][2]
        marked = _marked(store, settings, purpose) if marked is None else marked
        row = store.ibis().execute(left_out_of(marked)).iloc[0]
        counts = tuple(int(row[c]) for c in ("customers_left_out", "events_left_out", "anonymous_events_left_out"))
        if _COUNTED is not None:
            _COUNTED[key] = counts
    out.customers_left_out, out.events_left_out, out.anonymous_events_left_out = counts
    return out


def record(store, exclusion: Exclusion) -> Exclusion:
    from centric.store.exclusions import record_exclusion

    record_exclusion(store, exclusion.analysis, exclusion.purpose, exclusion.customers_left_out,
                     exclusion.events_left_out, exclusion.anonymous_events_left_out)
    return exclusion


def customers_with_purpose(store, settings, purpose: str, until):
    """customer_id of customers who held consent to `purpose` at some moment up to `until` (pandas)."""
    from centric.queries.consent import ever_granted

    db = store.ibis()
    return db.execute(ever_granted(db.table("customers"), db.table("consents"), purpose,
                                   store.moment("consent_until", until), _default(settings)))


def granted_now(store, settings, purpose: str, at: dt.datetime | None = None):
    """customer_id, granted: each customer's consent to `purpose` at `at` (now, shop time, by default), as pandas."""
    from centric.queries.consent import granted_at

    at = at or _now(settings)
    db = store.ibis()
    return db.execute(granted_at(db.table("customers"), db.table("consents"), purpose, at, _default(settings)))


def keep_consenting(store, settings, frame, analysis: str, at: dt.datetime | None = None):
    """The rows of `frame` (with customer_id) whose customer holds consent to the analysis's purpose at `at`
    (now by default: an export or an audience is an act done now), and what was left out."""
    purpose = PURPOSES[analysis]
    state = granted_now(store, settings, purpose, at)
    ok = set(state.loc[state["granted"].astype(bool), "customer_id"])
    mask = frame["customer_id"].isin(ok)
    return frame[mask].reset_index(drop=True), Exclusion(analysis, purpose, int((~mask).sum()),
                                                         hint=hint(store, settings, purpose))


def exclusions(store):
    """consent_exclusions as pandas (empty before any analysis ran)."""
    from centric.store.exclusions import exclusions as read

    return read(store)


def messages(store, analyses=None) -> list[str]:
    """"journey: 582 customers left out: no analytics consent (...)" for each recorded analysis (or those named)."""
    frame = exclusions(store)
    if analyses is not None:
        frame = frame[frame["analysis"].isin(list(analyses))]
    return [line(r) for r in frame.to_dict("records")]


def line(row: dict) -> str:
    """One consent_exclusions row (as a dict) as its message: "journey: 582 customers left out: ..."."""
    left = Exclusion(row["analysis"], row["purpose"], int(row["customers_left_out"]), int(row["events_left_out"]),
                     int(row["anonymous_events_left_out"]))
    return f"{row['analysis']}: {left.message()}"
