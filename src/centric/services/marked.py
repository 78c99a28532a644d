"""The events marked by consent, kept between runs: `marked_events`, updated in proportion to what changed,
always equal to marking every event afresh (services/consent.py `_marked`).

Rule (queries/marked.py says why it is exact): a `centric run` on DuckDB reads the marked events of its
purpose (analytics: profiles, personas' left-out count, the journey) from `marked_events`, brought up to
date at the first read of the run. What it was marked from is kept beside it: the events as they were
(rows, digest and where the table ended: the run ledger's row `marked_events`), the consent records of
the category and the anonymous ids' identity spans (`marked_inputs`). The update
- marks the events appended since (proved to be the only change of the events: store/snapshot_delta.py
  only_appended) and appends them;
- deletes and marks again the events of the customers whose consent records differ from the kept copy
  (a new record, a withdrawal, a backdated one, a record removed), of the anonymous ids whose spans
  differ from it (a visitor newly merged into a customer, a span changed or removed) and of the anonymous
  ids merged into those customers; the copy is compared only when the consents' or identities' digests
  moved;
- marks everything again when it cannot bound the change: no kept marking yet, `--full`, another
  consent default or purpose, events changed or removed rather than appended to, or marked_events not
  holding the rows it was left with (an erasure deletes the person's rows from it at once, like from
  every table: services/privacy.py).
The table and its inputs are written in one transaction, the ledger row after it: a crash between
leaves the older ledger row, which then records fewer rows than marked_events holds whenever new events
were appended (the next run rebuilds), and with none appended its copy of the inputs is already the new
one (nothing is marked twice). Other purposes and other engines are marked afresh by their callers
(services/consent.py).
"""

from __future__ import annotations

STEP = "marked_events"  # its run_ledger row

NEW, DIFF, CUSTOMERS, VISITORS = ("_marked_new_events", "_marked_differing", "_marked_customers",
                                  "_marked_visitors")


def kept_marking(store, purpose: str, default: bool, mark, digests=None, full: bool = False):
    """`marked_events` brought up to date (module rule), as an Ibis table. `mark(events=None)`: the marking
    of every event (or of `events`, a part of them) with the table's columns (services/consent.py);
    `default`: the consent default it applies; `digests`: the run ledger's (Ledger.digests, so the events
    are not hashed twice), else taken here."""
    import time

    from centric.queries import marked as q
    from centric.services.run_ledger import last, record
    from centric.store.connection import ChangedRows, MatchingRows
    from centric.store.snapshot_delta import drop_staged, end_of, stage_appended

    began = time.perf_counter()
    db = store.ibis()
    taken = (digests if digests is not None else store.digests)(["events", "consents", "identities"])
    state = {"purpose": purpose, "default": bool(default),
             "events": {"rows": int(taken["events"][0]), "digest": str(taken["events"][1]),
                        "end": end_of(store, "events")},
             "consents": [int(taken["consents"][0]), str(taken["consents"][1])],
             "identities": [int(taken["identities"][0]), str(taken["identities"][1])]}
    before = None if full else (last(store).get(STEP) or {}).get("inputs") or None
    why = "--full asked for it" if full else _why_whole(store, before, state, taken["events"])
    now_inputs = q.inputs(db.table("consents"), db.table("identities"), purpose)
    staged = []
    try:
        if why is None:
            staged += [NEW, DIFF, CUSTOMERS, VISITORS]
            stage_appended(store, NEW, "events", before["events"]["end"])
            new, events = db.table(NEW), db.table("events")
            # the consent records and spans as kept, unless their tables' digests prove them unchanged
            same = all(before.get(t) == state[t] for t in ("consents", "identities"))
            diff = store.temp_table(DIFF, q.differing(now_inputs, db.table("marked_inputs")).limit(0 if same else None))
            customers = store.temp_table(CUSTOMERS, q.changed_customers(diff))
            visitors = store.temp_table(VISITORS, q.changed_visitors(diff, db.table("identities"), customers))
            counts = [store.count(name) for name in (NEW, DIFF, CUSTOMERS, VISITORS)]
            if counts[2] or counts[3]:
                # the events of those customers and visitors (old and new), and the other new events
                part = events.filter(q.touching(events, customers, visitors)).union(
                    new.filter(~q.touching(new, customers, visitors)), distinct=False)
                value = MatchingRows({"customer_id": customers, "anonymous_id": visitors}, mark(part))
            else:  # only new events: appended
                value = MatchingRows({}, mark(new))
            contents = {"marked_events": value}
            if counts[1]:
                contents["marked_inputs"] = ChangedRows(now_inputs)
            written = store.replace_tables(contents)
            mode = "incremental"
            reason = (f"{counts[0]:,} new events, {counts[2]:,} customers whose consent records changed and "
                      f"{counts[3]:,} visitors whose spans changed or who belong to them: their events marked again")
        else:
            written = store.replace_tables({"marked_events": mark(),
                                            "marked_inputs": ChangedRows(now_inputs)})
            mode, reason = "full", f"every event marked: {why}"
    finally:
        drop_staged(store, staged)
    state["rows"] = int(written["marked_events"])
    record(store, STEP, mode, reason, state, state["rows"], time.perf_counter() - began)
    return db.table("marked_events")


def _why_whole(store, before: dict | None, state: dict, events_now: list) -> str | None:
    """Why the kept marking cannot be updated (None: it can)."""
    from centric.store.snapshot_delta import only_appended

    if not before or "events" not in before or "rows" not in before:
        return "no kept marking yet"
    if before.get("purpose") != state["purpose"]:
        return "another purpose"
    if before.get("default") != state["default"]:
        return "the consent default changed"
    if store.count("marked_events") != int(before["rows"]):
        return "marked_events changed since the last run (an erasure)"
    if not only_appended(store, "events", before["events"], events_now):
        return "events were changed or removed since the last run, not only added to"
    return None
