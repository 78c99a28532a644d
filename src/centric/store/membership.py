"""Segment membership history: who entered and who left a segment at each computation.

`segment_members` keeps one row per stay; a computation closes the stays of customers no longer
selected (left_at) and opens stays for newly selected ones (entered_at), in one transaction with
the segment's row in `segments` (its size and shares, how many entered and left).
"""

from __future__ import annotations

from dataclasses import dataclass

from centric.store.sqltext import idents


@dataclass(frozen=True)
class MembershipChange:
    members: int
    entered: int
    left: int


SEGMENT_COLUMNS = ("segment", "kind", "description", "rule", "customers", "customer_share", "revenue_share",
                   "entered", "left", "computed_at")


def record_segment(store, row: dict, members, at) -> MembershipChange:
    """A segment computed at `at`: its history (`segment_members`) follows `members`, and its
    `segments` row becomes `row` (SEGMENT_COLUMNS but entered, left and computed_at, which the history
    and `at` give), in one transaction: both land or neither does.

    members: an Ibis expression with a customer_id column (compiled from a parsed rule: its values
    are quoted by the compiler), never text assembled from user values; the name, the time and the
    row's values travel as bound parameters."""
    with store.transaction() as con:
        change = _membership(con, store.ibis().compile(members.select("customer_id")), row["segment"], at)
        values = {**row, "entered": change.entered, "left": change.left, "computed_at": at}
        con.execute("DELETE FROM segments WHERE segment = ?", [row["segment"]])
        con.execute(f"INSERT INTO segments ({idents(SEGMENT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in SEGMENT_COLUMNS)})", [values[c] for c in SEGMENT_COLUMNS])
    return change


def _membership(con, members_sql: str, segment: str, at) -> MembershipChange:
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
