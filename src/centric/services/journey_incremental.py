"""The journey's incremental form: stages recomputed for the affected customers only, exactly.

Rule: a customer's journey_stages rows depend only on that customer's own input rows and on the
observation end (queries/journey_inputs.py). The affected customers are
- those whose input rows changed since the last build (new, changed or removed: their rows or digest
  differ from journey_inputs; new customers have none there, removed ones are no longer read), and
- those whose rows change only because the observation end moved (a record dated between the last
  end and this one, or a last purchase whose at-risk or lapsed threshold falls between them).
Their rows are recomputed (services/journey.py stage_rows, the same code as a full build); every
other customer's rows are kept as they are. What is counted from the rows (stage_transitions,
stage_transition_rates) is then recounted from all the rows and the cohorts recomputed whole (each
one cheap pass, measured in docs/cli.md). The paths likewise: a visitor's visits depend only on their
own events, so the visits per visitor and path (path_visits) of the visitors whose events changed
(path_inputs) are recounted, the others' kept, and path_edges and top_paths summed from them.

Recomputed whole instead (and said why): no saved state (the stages were never built, or built on
Spark), an erasure since the last build, the stage settings changed ([journey] loyal_purchases,
at_risk_days, lapsed_days), the observation end moved back, or more than half the customers affected.
"""

from __future__ import annotations

import pandas as pd

WHOLE_SHARE = 0.5  # above this share of customers affected, a whole build is as cheap and simpler


def update_journey(store, settings) -> tuple[object | None, str]:
    """(JourneyResult, what was recomputed) when the incremental form applies; (None, why not) when the
    caller must build the journey whole."""
    from centric.services.journey import journey_reads, stage_settings
    from centric.services.run_ledger import load_model

    saved = load_model(store, "journey_stages")
    if saved is None or not store.has_rows("journey_inputs"):
        return None, "no saved stage inputs"
    state = saved[0]
    if state.get("erasures") != store.count("erasures"):
        return None, "an erasure since the last build"
    if state.get("settings") != stage_settings(settings):
        return None, "the [journey] stage settings changed"
    reads = journey_reads(store, settings)
    try:
        return _update(store, settings, reads, state)
    finally:
        reads.release()


def _update(store, settings, reads, state) -> tuple[object | None, str]:
    from centric.queries.journey_inputs import crossing, customer_digests
    from centric.services.journey import derived_tables, digest_text, finish, save_stage_state, stage_rows

    before, end = pd.Timestamp(state["end"]), pd.Timestamp(reads.end)
    if end < before:
        return None, f"the observation end moved back ({before:%Y-%m-%d %H:%M} -> {end:%Y-%m-%d %H:%M})"
    db = store.ibis()
    now = digest_text(db.execute(customer_digests(reads.tables)))
    changed = _changed(now, db.execute(db.table("journey_inputs")), "customer_id")
    new = int((changed["_merge"] == "left_only").sum())
    gone = int((changed["_merge"] == "right_only").sum())
    timed = set(db.execute(crossing(reads.tables, before.to_pydatetime(), end.to_pydatetime(),
                                    settings.journey_at_risk_days, settings.journey_lapsed_days))["customer_id"])
    affected = set(changed["customer_id"]) | timed
    only_timed = len(timed - set(changed["customer_id"]))
    total = max(len(now), 1)
    if len(affected) > WHOLE_SHARE * total:
        return None, f"{len(affected):,} of {len(now):,} customers affected"
    stored = db.execute(db.table("journey_stages"))
    kept = stored[~stored["customer_id"].isin(affected)]
    if affected:
        ids = pd.DataFrame({"customer_id": sorted(affected)})
        only = {name: _only(t, ids) for name, t in reads.tables.items()}
        fresh = stage_rows(store, settings, only, reads.end)
        rows = pd.concat([kept, fresh], ignore_index=True) if len(fresh) else kept.reset_index(drop=True)
    else:
        rows = kept.reset_index(drop=True)
    rows = rows.astype({"entered_at": "datetime64[ns]", "left_at": "datetime64[ns]"})
    contents = derived_tables(store, settings, reads, rows, paths=False)
    contents["journey_inputs"] = now[["customer_id", "rows", "digest"]]
    paths, paths_why = update_paths(store, settings, reads.events)
    contents.update(paths)
    store.replace_tables(contents)
    save_stage_state(store, settings, reads.end)
    result = finish(store, reads, rows, contents["stage_transitions"])
    why = (f"stages of {len(affected):,} of {len(now):,} customers recomputed ({len(changed) - new - gone:,} with "
           f"changed data, {new:,} new, {gone:,} gone, {only_timed:,} whose status moved with time), the other "
           "customers' rows kept; moves, rates and cohorts recounted; " + paths_why)
    return result, why


def update_paths(store, settings, events) -> tuple[dict, str]:
    """path_visits of the visitors whose events changed (path_inputs) recounted, the others' kept, and
    path_edges and top_paths summed from them; the paths counted whole without a saved state or when more
    than half the visitors changed. Returns (tables to write, what was done)."""
    import ibis

    from centric.queries.journey_inputs import user_digests
    from centric.queries.paths import user_paths
    from centric.services.journey import digest_text, paths_of, visit_paths

    if not store.has_rows("events"):
        return {}, "no events for paths"
    if not store.has_rows("path_inputs"):
        return visit_paths(store, settings, events, keep=True), "paths counted whole (no saved visits)"
    db = store.ibis()
    now = digest_text(db.execute(user_digests(events)))
    changed = _changed(now, db.execute(db.table("path_inputs")), "user_id")
    if len(changed) > WHOLE_SHARE * max(len(now), 1):
        return (visit_paths(store, settings, events, keep=True),
                f"paths counted whole ({len(changed):,} of {len(now):,} visitors changed)")
    old = db.execute(db.table("path_visits"))
    kept = old[~old["user_id"].isin(set(changed["user_id"]))]
    if len(changed):
        users = ibis.memtable(pd.DataFrame({"user": sorted(changed["user_id"])}))
        visits = pd.concat([kept, db.execute(user_paths(events, users=users))], ignore_index=True)
    else:
        visits = kept.reset_index(drop=True)
    return ({**paths_of(store, visits), "path_visits": visits, "path_inputs": now},
            f"paths of {len(changed):,} of {len(now):,} visitors recounted")


def _changed(now: pd.DataFrame, last: pd.DataFrame, key: str) -> pd.DataFrame:
    """The keys whose rows or digest differ between two digests frames (_merge: left_only for new keys,
    right_only for keys gone)."""
    both = now.merge(last, on=key, how="outer", suffixes=("", "_last"), indicator=True)
    return both[(both["_merge"] != "both") | (both["rows"] != both["rows_last"]) | (both["digest"] != both["digest_last"])]


def _only(table, ids: pd.DataFrame):
    """The rows of `table` of the customers in ids (an Ibis semi join on a small in-memory table)."""
    import ibis

    return table.semi_join(ibis.memtable(ids), "customer_id")
