"""The dashboard's funnel index: the snapshot's events held in memory once per published snapshot, so
that a funnel the page never asked before takes tens of milliseconds, not the seconds of compiling
and running the ASOF-join query.

Rule: the index is built from the snapshot only (store/dash_reads.funnel_events: every consented
event with a user and a time), at the server's warm-up or on the first funnel, and thrown away when
a new snapshot is published (Snapshot.version changes). Filters cut its events exactly as
queries/dashboard.filtered_events cuts the table: the date range on the event's time (whole days)
and, when a customer filter is set, only the events of the customers it keeps (anonymous visitors
drop out). The funnel itself is models/journey/funnel_index.py, checked against queries/funnel.py.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

BREAKDOWN_COLUMNS = ("country", "acquisition_channel", "persona", "rfm_segment")
_EPOCH = dt.datetime(1970, 1, 1)


@dataclass
class Built:
    """One snapshot's index, with what the filters and breakdowns need per user number."""

    version: object
    index: object            # models.journey.funnel_index.EventIndex
    lookup: object           # pandas Index of the users' text: customer_id -> user number
    breakdowns: dict         # column -> object array, one value per user number (None: not a customer)
    kept: dict = field(default_factory=dict)  # customer filters -> bool per user number (the last few asked)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _micros(day: dt.date) -> int:
    return (dt.datetime.combine(day, dt.time()) - _EPOCH) // dt.timedelta(microseconds=1)


def build(snapshot, version) -> Built:
    """Read the snapshot's events and customers and index them (a second or two for a million events)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from centric.models.journey.funnel_index import build_index
    from centric.services.dashboard import _Reading
    from centric.store import dash_reads

    with _Reading(snapshot) as cur:
        events = dash_reads.funnel_events(cur)
        customers = dash_reads.customer_columns(cur, list(BREAKDOWN_COLUMNS))
    n = events.num_rows
    text = events.column("user").combine_chunks()
    new = np.ones(n, dtype=bool)  # rows are sorted by user: a user starts where the text changes
    if n > 1:
        new[1:] = pc.not_equal(text.slice(1), text.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    name, names = _codes(events.column("name"))
    channel, channels = _codes(events.column("channel"))
    index = build_index(np.cumsum(new) - 1, text.filter(pa.array(new)).to_numpy(zero_copy_only=False),
                        events.column("ts").to_numpy(), name, names, channel, channels,
                        events.column("known").to_numpy(zero_copy_only=False))
    lookup = pd.Index(index.users)
    rows = lookup.get_indexer(customers.column("customer_id").to_numpy(zero_copy_only=False))
    found = rows >= 0
    breakdowns = {}
    for column in BREAKDOWN_COLUMNS:
        values = np.full(len(index.users), None, dtype=object)
        values[rows[found]] = customers.column(column).to_numpy(zero_copy_only=False)[found]
        breakdowns[column] = values
    return Built(version, index, lookup, breakdowns)


def _codes(column):
    """An Arrow text column as (int32 codes, -1 for null; the distinct values), encoded in Arrow."""
    import pyarrow.compute as pc

    encoded = column.combine_chunks().dictionary_encode()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return codes, encoded.dictionary.to_pylist()


class FunnelIndex:
    """The index of the snapshot read now, built once per published snapshot (by the first caller;
    the others wait for it) and replaced when the snapshot changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._built: Built | None = None

    def get(self, snapshot) -> Built:
        version = snapshot.version()
        built = self._built
        if built is not None and built.version == version:
            return built
        with self._lock:
            built = self._built
            if built is None or built.version != version:
                self._built = None  # the old snapshot's arrays go before the new ones are read
                built = self._built = build(snapshot, version)
            return built


def funnel_rows(built: Built, snapshot, f, steps: list[str], seconds: int, order: str, by: str | None) -> list[dict]:
    """The funnel table's rows (models/journey/funnel.py's funnel_table) for the dashboard's filters
    (Filters) on the index, broken down by `by`."""
    import numpy as np

    from centric.models.journey import funnel_index as fx
    from centric.services.dashboard import _Reading
    from centric.store import dash_reads

    kept_users = None
    filters = f.as_dict()
    who = tuple((k, filters.get(k)) for k in ("country", "channel", "persona", "segment"))
    if any(v is not None for _, v in who):
        with built.lock:  # the same snapshot keeps the same customers for the same filters
            kept_users = built.kept.get(who)
        if kept_users is None:
            with _Reading(snapshot) as cur:
                ids = dash_reads.kept_customer_ids(cur, filters)
            kept_users = np.zeros(len(built.index.users), dtype=bool)
            where = built.lookup.get_indexer(ids) if ids else np.zeros(0, np.int64)
            kept_users[where[where >= 0]] = True
            with built.lock:
                if len(built.kept) >= 16:
                    built.kept.pop(next(iter(built.kept)))
                built.kept[who] = kept_users
    start = _micros(f.date_from) if f.date_from else None
    end = _micros(f.date_to + dt.timedelta(days=1)) if f.date_to else None
    mask = fx.event_mask(built.index, start, end, kept_users)
    found = fx.funnel_arrays(built.index, steps, seconds, order, mask)
    keys = None
    if by == "channel":
        keys = found["channel"]
    elif by is not None:
        keys = built.breakdowns[by][found["user"]]
    return fx.funnel_rows(found, steps, keys, order)
