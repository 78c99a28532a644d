"""The journey's incremental form: stages recomputed for the affected customers only, exactly.

Rule: a customer's journey_stages rows depend only on that customer's own input rows and on the
observation end (queries/journey_inputs.py). The affected customers are
- those whose input rows changed since the last build (new, changed or removed: their rows or digest
  differ from journey_inputs; new customers have none there, removed ones are no longer read), and
- those whose rows change only because the observation end moved (a record dated between the last
  end and this one, or a last purchase whose at-risk or lapsed threshold falls between them).
Their rows are recomputed (services/journey.py stage_rows, the same code as a full build); every
other customer's rows are kept as they are, and of the affected customers only those whose rows differ
(`differing`: most customers with a new event keep the same stages) are deleted and written again. What
is counted from the rows (stage_transitions, stage_transition_rates) is then recounted from all the rows
(their medians need every move) and the cohorts recomputed whole (each one cheap pass, measured in
docs/cli.md). The paths likewise: a visitor's visits depend only on their own events, so the visits per
visitor and path (path_visits) of the visitors whose events changed (path_inputs) are recounted, the
others' kept, and path_edges and top_paths summed from the updated table in the engine (no visit read
back). The events of the affected customers and of the changed visitors are read in one scan
(queries/journey_inputs.py touched_events) and their stages and paths computed from that small table.

Recomputed whole instead (and said why): no saved state (the stages were never built, or built on
Spark), an erasure since the last build, the stage settings changed ([journey] loyal_purchases,
at_risk_days, lapsed_days), the observation end moved back, or more than half the customers affected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from centric.store.connection import RowUpdate

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
    from centric.queries.journey_inputs import changes, crossing, customer_digests, touched_events
    from centric.services.journey import derived_tables, finish, save_stage_state, stage_rows

    before, end = pd.Timestamp(state["end"]), pd.Timestamp(reads.end)
    if end < before:
        return None, f"the observation end moved back ({before:%Y-%m-%d %H:%M} -> {end:%Y-%m-%d %H:%M})"
    db = store.ibis()
    changed = db.execute(changes(customer_digests(reads.tables), db.table("journey_inputs"), "customer_id"))
    customers = store.count("customers")
    new, gone = int((changed["change"] == "new").sum()), int((changed["change"] == "gone").sum())
    timed = set(db.execute(crossing(reads.tables, store.moment("crossing_before", before),
                                    store.moment("crossing_after", end), settings.journey_at_risk_days,
                                    settings.journey_lapsed_days))["customer_id"])
    affected = set(changed["customer_id"]) | timed
    only_timed = len(timed - set(changed["customer_id"]))
    if len(affected) > WHOLE_SHARE * max(customers, 1):
        return None, f"{len(affected):,} of {customers:,} customers affected"
    stored = db.to_pyarrow(db.table("journey_stages")).to_pandas()  # Ibis's own conversion costs 7 times more
    mine = _member(stored["customer_id"], affected)
    kept = stored[~mine]
    fresh = stored.iloc[:0]
    visitors = visitor_changes(store, reads.events)
    # temp tables of fixed names, not memtables: the queries over them compile once (and are kept between runs)
    ids = store.temp_rows("_centric_affected", pd.DataFrame({"customer_id": sorted(affected)}))
    users = None
    if isinstance(visitors, tuple) and len(visitors[0]):
        users = store.temp_rows("_centric_changed_users", pd.DataFrame({"user": sorted(visitors[0]["user_id"])}))
    try:
        # one scan of the events for the affected customers and the changed visitors; both then read that
        events = reads.events
        if affected or users is not None:
            events = store.temp_table("_centric_touched_events", touched_events(reads.events, ids, users))
        if affected:
            only = {name: t.semi_join(ids, "customer_id") for name, t in {**reads.tables, "events": events}.items()}
            fresh = stage_rows(store, settings, only, reads.end)
        paths, paths_why = update_paths(store, settings, reads.events, visitors, events, users)
    finally:
        for name in ("_centric_affected", "_centric_changed_users", "_centric_touched_events"):
            store.drop_temp_table(name)
    rows = pd.concat([kept, fresh], ignore_index=True) if len(fresh) else kept.reset_index(drop=True)
    rows = rows.astype({"entered_at": "datetime64[ns]", "left_at": "datetime64[ns]"})
    contents = derived_tables(store, settings, reads, rows, paths=False)
    # only the rows of the affected customers whose rows differ are written (most customers with new events
    # keep the same stages); the others' stay as they are in the table
    fresh = fresh[list(stored.columns)]
    moved = differing(stored[mine], fresh, "customer_id")
    contents["journey_stages"] = RowUpdate("customer_id", moved, fresh[_member(fresh["customer_id"], moved)])
    contents["journey_inputs"] = RowUpdate("customer_id", changed["customer_id"],
                                           changed.loc[changed["change"] != "gone", ["customer_id", "rows", "digest"]])
    contents.update(paths)
    store.replace_tables(contents)
    save_stage_state(store, settings, reads.end)
    result = finish(store, reads, rows, contents["stage_transitions"])
    why = (f"stages of {len(affected):,} of {customers:,} customers recomputed ({len(changed) - new - gone:,} with "
           f"changed data, {new:,} new, {gone:,} gone, {only_timed:,} whose status moved with time; the rows of "
           f"{len(moved):,} changed), the other customers' rows kept; moves, rates and cohorts recounted; " + paths_why)
    return result, why


def visitor_changes(store, events):
    """(the visitors whose events changed (queries/journey_inputs.py changes: user_id, rows, digest, change),
    visitors now) when the paths can be updated; otherwise why they are counted whole (a str), or None
    without events."""
    from centric.queries.journey_inputs import changes, user_digests

    if not store.has_rows("events"):
        return None
    if not store.has_rows("path_inputs"):
        return "paths counted whole (no saved visits)"
    db = store.ibis()
    changed = db.execute(changes(user_digests(events), db.table("path_inputs"), "user_id"))
    visitors = store.count("path_inputs") + int((changed["change"] == "new").sum()) - int(
        (changed["change"] == "gone").sum())
    if len(changed) > WHOLE_SHARE * max(visitors, 1):
        return f"paths counted whole ({len(changed):,} of {visitors:,} visitors changed)"
    return changed, visitors


def update_paths(store, settings, events, visitors="", touched=None, users=None) -> tuple[dict, str]:
    """path_visits of the visitors whose events changed (path_inputs) recounted, the others' kept, and
    path_edges and top_paths summed from them; the paths counted whole without a saved state or when more
    than half the visitors changed. Returns (tables to write, what was done).
    visitors: visitor_changes(store, events) when the caller has it; touched and users: the changed users'
    events (a table holding at least them) and the users (a table with `user`), when the caller has them."""
    from centric.queries.paths import user_paths
    from centric.services.journey import paths_of, visit_paths

    visitors = visitor_changes(store, events) if visitors == "" else visitors
    if visitors is None:
        return {}, "no events for paths"
    if isinstance(visitors, str):
        return visit_paths(store, settings, events, keep=True), visitors
    changed, count = visitors
    if changed.empty:
        return {}, f"paths of 0 of {count:,} visitors recounted (kept)"
    db = store.ibis()
    own = users is None
    if own:
        users = store.temp_rows("_centric_changed_users", pd.DataFrame({"user": sorted(changed["user_id"])}))
    try:
        fresh = db.execute(user_paths(touched if touched is not None else events, users=users))
    finally:
        if own:
            store.drop_temp_table("_centric_changed_users")
    keys = changed["user_id"]
    # path_visits first: path_edges and top_paths are summed from the table as this write leaves it (paths_of)
    return ({"path_visits": RowUpdate("user_id", keys, fresh[["user_id", "path", "sessions"]]), **paths_of(store),
             "path_inputs": RowUpdate("user_id", keys, changed.loc[changed["change"] != "gone",
                                                                   ["user_id", "rows", "digest"]])},
            f"paths of {len(changed):,} of {count:,} visitors recounted")


def differing(old: pd.DataFrame, new: pd.DataFrame, key: str) -> set:
    """The `key` values whose rows differ between `old` and `new` (same columns, `key` first): another number
    of rows, or a row in one and not in the other. Exact: each key's rows are sorted on every column and
    compared one by one (NaT equals NaT), so a row held twice differs from the same row held once."""
    columns = list(old.columns)
    a, b = (f.sort_values(columns, kind="stable").reset_index(drop=True) for f in (old, new))
    counts = pd.concat([a[key].value_counts().rename("a"), b[key].value_counts().rename("b")], axis=1).fillna(0)
    out = set(counts.index[counts["a"] != counts["b"]])
    same = counts.index[counts["a"] == counts["b"]]
    a, b = a[_member(a[key], same)], b[_member(b[key], same)]  # the same keys with as many rows: aligned by the sort
    unequal = np.zeros(len(a), dtype=bool)
    for c in columns:
        if str(a[c].dtype).startswith("datetime64") or str(b[c].dtype).startswith("datetime64"):
            x, y = a[c].to_numpy("datetime64[ns]"), b[c].to_numpy("datetime64[ns]")
            unequal |= ~((x == y) | (np.isnat(x) & np.isnat(y)))
        else:
            x, y = a[c].to_numpy(object), b[c].to_numpy(object)
            unequal |= ~((x == y) | (pd.isna(x) & pd.isna(y)))
    return out | set(a[key].to_numpy(object)[unequal])


def _member(values, keys) -> np.ndarray:
    """values.isin(keys) as a boolean array (pandas' isin is slow on large sets of text)."""
    keys = set(keys)
    return np.fromiter((v in keys for v in values.tolist()), dtype=bool, count=len(values))
