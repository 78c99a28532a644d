"""The `privacy_requests` table: privacy requests received over the API, and how each ended.

Rule: a spooled `privacy_request` record becomes one row, once per request id (a record loaded
again, or a second record with the same request id, is a duplicate), with status `pending`, inside
the loader's transaction (`load_request_view` is the loader's handler, store/collected.py). Carrying
a request out happens after the load (services/privacy_requests.py), which marks it done or failed
with `finish`. A record without a request id, a known action or a customer is quarantined; the
quarantine keeps the bad field, never the customer.
"""

from __future__ import annotations

from centric.schema import PRIVACY_ACTIONS
from centric.store.sqltext import constant, ident
from centric.store.upsert import MergeCounts

KIND = "privacy_request"


def _field(path: str) -> str:
    return f"nullif(trim(json_extract_string(message, {constant(path)})), '')"


def load_request_view(con, records: str, ctx) -> None:
    """The loader's handler for kind `privacy_request` (see the module rule)."""
    view = ident(records)
    actions = ", ".join(constant(a) for a in PRIVACY_ACTIONS)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _privacy_in AS SELECT _seq, id, {_field('$.request_id')} AS request_id, "
        f"{_field('$.action')} AS action, {_field('$.customer')} AS customer, "
        f"try_cast(received_at AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS requested_at, "
        f"coalesce({_field('$.requested_by')}, source) AS requested_by FROM {view}"
    )
    try:
        ctx.quarantine("privacy_requests",
                       f"SELECT _seq, 'action' AS column_name, action AS value, "
                       f"'action is not one of {'/'.join(PRIVACY_ACTIONS)}' AS reason FROM _privacy_in "
                       f"WHERE action IS NULL OR action NOT IN ({actions}) UNION ALL "
                       f"SELECT _seq, 'request_id', id, 'missing request_id' FROM _privacy_in "
                       f"WHERE request_id IS NULL AND action IN ({actions}) UNION ALL "
                       f"SELECT _seq, 'customer', request_id, 'missing customer' FROM _privacy_in "
                       f"WHERE customer IS NULL AND request_id IS NOT NULL AND action IN ({actions})")
        good = (f"SELECT * FROM _privacy_in WHERE action IN ({actions}) AND request_id IS NOT NULL "
                f"AND customer IS NOT NULL")
        fresh = con.execute(
            f"INSERT INTO privacy_requests (request_id, action, customer_id, customer_hash, requested_at, "
            f"requested_by, status, done_at, note) SELECT request_id, action, customer, NULL, requested_at, "
            f"requested_by, 'pending', NULL, NULL FROM (SELECT *, row_number() OVER (PARTITION BY request_id "
            f"ORDER BY _seq) AS n FROM ({good})) WHERE n = 1 AND request_id NOT IN "
            f"(SELECT request_id FROM privacy_requests)"
        ).fetchone()[0]
        total = con.execute(f"SELECT count(*) FROM ({good})").fetchone()[0]
    finally:
        con.execute("DROP TABLE IF EXISTS _privacy_in")
    ctx.report.add("privacy_requests", MergeCounts(inserted=fresh, unchanged=total - fresh))
    ctx.report.duplicates += total - fresh


def pending(con) -> list[tuple[str, str, str]]:
    """(request_id, action, customer as given) of the requests not carried out yet, oldest first."""
    con = getattr(con, "con", con)  # a Store, or its connection
    return con.execute("SELECT request_id, action, customer_id FROM privacy_requests WHERE status = 'pending' "
                       "ORDER BY requested_at, request_id").fetchall()


def finish(con, request_id: str, status: str, customer_id: str | None, customer_hash: str | None,
           note: str) -> None:
    """Mark a request done or failed; `customer_id` replaces what was given (None keeps no id)."""
    con = getattr(con, "con", con)  # a Store, or its connection
    con.execute("UPDATE privacy_requests SET status = ?, customer_id = ?, customer_hash = ?, "
                "done_at = now() AT TIME ZONE 'UTC', note = ? WHERE request_id = ?",
                [status, customer_id, customer_hash, note[:500], request_id])


def customer_hash(con, request_id: str) -> str | None:
    con = getattr(con, "con", con)  # a Store, or its connection
    row = con.execute("SELECT customer_hash FROM privacy_requests WHERE request_id = ?", [request_id]).fetchone()
    return row[0] if row else None
