"""Checks of the journey_stages partition shared by the journey tests on the demo and on real data."""

from __future__ import annotations

# Two rows of one customer that hold the same instant: a row covering no time (a stage passed
# through in an instant, left_at = entered_at) holds none.
OVERLAPS = (
    "SELECT count(*) FROM journey_stages a JOIN journey_stages b ON a.customer_id = b.customer_id "
    "AND a.entered_at < coalesce(b.left_at, 'infinity'::TIMESTAMP) "
    "AND b.entered_at < coalesce(a.left_at, 'infinity'::TIMESTAMP) "
    "AND (a.entered_at, a.stage, a.status) <> (b.entered_at, b.stage, b.status) "
    "WHERE (a.left_at IS NULL OR a.left_at > a.entered_at) AND (b.left_at IS NULL OR b.left_at > b.entered_at)"
)


def overlapping_rows(con) -> int:
    """How many pairs of one customer's journey_stages rows overlap in time (0 for a partition)."""
    return con.execute(OVERLAPS).fetchone()[0]


# A purchase read with plain SQL, as docs/data-model.md ("Money") defines it: a completed order of a
# known customer whose goods were not all given back (or an order of no value at all); its value is
# its net merchandise.
PURCHASE = ("status = 'completed' AND customer_id IS NOT NULL "
            "AND (net_merchandise > 0 OR (merchandise = 0 AND total = 0))")
