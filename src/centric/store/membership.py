"""Segment membership history: who entered and who left a segment at each computation.

`segment_members` keeps one row per stay; a computation closes the stays of customers no longer
selected (left_at) and opens stays for newly selected ones (entered_at), in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MembershipChange:
    members: int
    entered: int
    left: int


def record_membership(store, segment: str, members_sql: str, at) -> MembershipChange:
    """Update `segment`'s history to the customer_id values `members_sql` selects, as of time `at`.

    members_sql is a query compiled by Ibis from a parsed rule (values are quoted by the compiler),
    never text assembled from user values; the segment name and time travel as bound parameters.
    """
    with store.transaction() as con:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _members AS SELECT DISTINCT customer_id FROM ({members_sql}) m")
        left = con.execute(
            "UPDATE segment_members SET left_at = ? WHERE segment = ? AND left_at IS NULL "
            "AND customer_id NOT IN (SELECT customer_id FROM _members)", [at, segment]).fetchone()[0]
        entered = con.execute(
            "INSERT INTO segment_members (segment, customer_id, entered_at, left_at) "
            "SELECT ?, customer_id, ?, NULL FROM _members WHERE customer_id NOT IN "
            "(SELECT customer_id FROM segment_members WHERE segment = ? AND left_at IS NULL)",
            [segment, at, segment]).fetchone()[0]
        members = con.execute("SELECT count(*) FROM _members").fetchone()[0]
        con.execute("DROP TABLE _members")
    return MembershipChange(members, entered, left)


def close_segment(store, segment: str, at) -> None:
    """A deleted segment: every open stay ends now and its row in `segments` goes."""
    with store.transaction() as con:
        con.execute("UPDATE segment_members SET left_at = ? WHERE segment = ? AND left_at IS NULL", [at, segment])
        con.execute("DELETE FROM segments WHERE segment = ?", [segment])
