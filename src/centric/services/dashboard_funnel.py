"""The funnel built in the dashboard's journey page: steps, window, order and breakdown chosen in the
page, counted on the published snapshot.

Rule: it gives the answer of `centric funnel`'s query (queries/funnel.py: ClickHouse windowFunnel
semantics, the ASOF form on DuckDB) and the same table (models/journey/funnel.py), on the snapshot's
events, which `centric run` published already filtered to analytics consent
(services/dashboard_snapshot.py). The page's funnels run on an in-memory index of those events built
once per published snapshot (services/dashboard_funnel_index.py, models/journey/funnel_index.py: tens
of milliseconds for any steps); `funnel_sql` runs the Ibis query itself, the reference the index is
tested against. It opens nothing but a cursor on the snapshot, so it never waits on `ingest` or `run`
and never blocks them; its data is as fresh as the last publish.
"""

from __future__ import annotations

from centric.services.dashboard import DashboardError, Filters, _Reading
from centric.services.dashboard_funnel_index import FunnelIndex

import threading
from collections import OrderedDict

ORDERS = ("ordered", "strict", "any")
BREAKDOWNS = ("channel", "country", "acquisition_channel", "persona", "rfm_segment")
MAX_STEPS = 6


DEFAULT_STEPS = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed")


def default_steps(events: list[str]) -> list[str]:
    """The funnel the journey page opens with: the shop's purchase steps present, else its first three
    events (most frequent first)."""
    steps = [e for e in DEFAULT_STEPS if e in events]
    return steps if len(steps) >= 2 else list(events[:3])


class FunnelCache:
    """The last funnels asked for, per published snapshot: a funnel scans every consented event, and the
    snapshot changes only when `centric run` publishes, so the same question gets the same answer until
    then. Keyed by the snapshot's identity and the whole request; holds at most `size` answers. A
    question asked again while its first ask still runs waits for that answer instead of running twice
    (the page's default funnel, warmed in the background, is often being computed when the page asks)."""

    def __init__(self, size: int = 64):
        self.size = size
        self._lock = threading.Lock()
        self._answers: OrderedDict = OrderedDict()
        self._running: dict = {}
        self._warmed = None
        self.index = FunnelIndex()  # the snapshot's events in memory (built by the warm-up or the first ask)

    def get(self, key):
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        return None

    def put(self, key, value) -> None:
        with self._lock:
            self._answers[key] = value
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)

    def answer(self, key, compute):
        """The cached answer of `key`, else the one being computed by another thread (waited for), else
        compute() (cached)."""
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
            running = self._running.get(key)
            mine = running is None
            if mine:
                running = self._running[key] = threading.Event()
        if not mine:
            running.wait(timeout=120)
            found = self.get(key)
            return found if found is not None else compute()
        try:
            value = compute()
            self.put(key, value)
            return value
        finally:
            with self._lock:
                self._running.pop(key, None)
            running.set()

    def warm(self, snapshot, events_of) -> threading.Thread | None:
        """Build the funnel index and compute the journey page's default funnel (no filter) in a
        background thread when the snapshot read now has not been warmed yet, so the page's first
        funnel comes from the cache and every other one from the index.
        events_of(snapshot) gives the event names (most frequent first). Returns the thread started."""
        version = snapshot.version()
        with self._lock:
            if version is None or version == self._warmed:
                return None
            self._warmed = version

        def run():
            try:
                funnel(snapshot, Filters(), default_steps(events_of(snapshot)), cache=self)
            except Exception:  # noqa: BLE001 - a warm-up that fails leaves the request to compute and report
                pass

        thread = threading.Thread(target=run, name="centric-funnel-warm", daemon=True)
        thread.start()
        return thread


def event_names(snapshot) -> list[str]:
    """The snapshot's event names, most frequent first (the funnel form's choices)."""
    from centric.store import dash_reads

    with _Reading(snapshot) as cur:
        return dash_reads.event_names(cur)


def funnel(snapshot, f: Filters, steps: list[str], window: str = "7d", order: str = "ordered",
           by: str | None = None, cache: FunnelCache | None = None) -> dict:
    """Users reaching each step (overall and per group of `by`), conversion and time to convert; from
    `cache` when the same funnel was asked of the same snapshot, else on the cache's index of the
    snapshot's events (one built for this call without a cache)."""
    key = (snapshot.version(), f, tuple(steps), window, order, by)
    index = cache.index if cache is not None else FunnelIndex()
    if cache is not None and key[0] is not None:
        return cache.answer(key, lambda: _funnel(snapshot, f, steps, window, order, by, index))
    return _funnel(snapshot, f, steps, window, order, by, index)


def _request(steps, window, order, by) -> tuple[list[str], int]:
    """The cleaned steps and the window in seconds, or a DashboardError saying what is wrong."""
    from centric.models.journey.funnel import parse_window

    steps = [s.strip() for s in steps if s and s.strip()]
    if not 2 <= len(steps) <= MAX_STEPS:
        raise DashboardError(f"a funnel needs 2 to {MAX_STEPS} steps, got {len(steps)}")
    if order not in ORDERS:
        raise DashboardError(f"order is one of {', '.join(ORDERS)}, got {order!r}")
    if by is not None and by not in BREAKDOWNS:
        raise DashboardError(f"breakdown is one of {', '.join(BREAKDOWNS)}, got {by!r}")
    if order == "any" and len(set(steps)) != len(steps):
        raise DashboardError("an any-order funnel needs distinct steps")
    try:
        seconds = parse_window(window)
    except ValueError as exc:
        raise DashboardError(str(exc)) from None
    return steps, seconds


def _funnel(snapshot, f: Filters, steps: list[str], window: str, order: str, by: str | None,
            index: FunnelIndex) -> dict:
    from centric.services.dashboard_funnel_index import funnel_rows

    steps, seconds = _request(steps, window, order, by)
    built = index.get(snapshot)
    rows = funnel_rows(built, snapshot, f, steps, seconds, order, by)
    return {"steps": steps, "window": window, "order": order, "by": by, "rows": rows}


def funnel_sql(snapshot, f: Filters, steps: list[str], window: str = "7d", order: str = "ordered",
               by: str | None = None) -> dict:
    """funnel() by the Ibis query of `centric funnel` on the snapshot (seconds per funnel): the
    reference the in-memory index is checked against (tests/services/test_dashboard_funnel_index.py)."""
    from centric.queries.dashboard import filtered_events
    from centric.queries.funnel import funnel_users

    steps, seconds = _request(steps, window, order, by)
    with _Reading(snapshot) as cur:
        db = snapshot.ibis(cur)
        customers = db.table("dash_customers", database="snapshot")
        events = filtered_events(db.table("dash_events", database="snapshot"), customers,
                                 db.table("segment_members", database="snapshot"), f.as_dict())
        try:
            query = funnel_users(events, steps, seconds, (), "asof", order=order)
        except ValueError as exc:
            raise DashboardError(str(exc)) from None
        users = db.to_pyarrow(query).to_pandas()  # Ibis's own conversion costs more than the query's tail
        if len(users) and users["clash"].any():
            users = db.to_pyarrow(funnel_users(events, steps, seconds, (), "asof", key="exact", order=order)).to_pandas()
        if by is not None and by != "channel":
            column = "persona" if by == "persona" else by
            extra = db.to_pyarrow(customers.select("customer_id", column)).to_pandas()
            users = users.merge(extra.rename(columns={"customer_id": "user"}), on="user", how="left")
    return _answer(users, steps, window, order, by)


def _answer(users, steps, window, order, by) -> dict:
    from centric.models.journey.funnel import funnel_table

    table = funnel_table(users, steps, by, order=order)
    rows = table.to_dict(orient="records")
    for row in rows:
        for key, val in row.items():
            if isinstance(val, float) and val != val:
                row[key] = None
    return {"steps": steps, "window": window, "order": order, "by": by, "rows": rows}
