"""Surveys in the workspace database: definitions, who to ask, and answers loaded from the spool.

Rule: every survey answer reaches `feedback` through ``load_survey_records``, exactly once, and
nothing it replaces is lost. The server spools records of kind ``survey_answer`` and
``survey_comment``; the loader (`centric ingest --collected`) hands them here inside its own
transaction. One `feedback` row per ``feedback_id`` (one per customer per survey send, or one per
anonymous response id): a later answer replaces the row and the replaced row goes to
`feedback_history` with when and by which record it was replaced. An answer that arrives out of order
(older than the row already there) goes straight to the history. A record already applied (its id is
the row's ``record_id`` or in the history) changes nothing, so loading twice is harmless.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from centric.schema import ALL_TABLES
from centric.store.ingest import create_missing_customers
from centric.store.sqltext import ident, set_variable, var
from centric.store.survey_rules import (Answer, SurveyError, check_answer, check_comment_text,
                                        check_comment_time, check_open)

SURVEY_KINDS = ("survey_answer", "survey_comment")
_FEEDBACK_COLUMNS = ("feedback_id", "customer_id", "order_id", "received_at", "source", "channel", "rating",
                     "rating_scale", "text", "language", "survey_id", "record_id")
_COLUMNS = ", ".join(_FEEDBACK_COLUMNS)


# -- definitions ------------------------------------------------------------------------------
def save_definition(store, definition: dict) -> None:
    """Add or replace a survey, in one transaction; it is open."""
    with store.transaction() as con:
        _save_definition(con, definition)


def _save_definition(con, definition: dict) -> None:
    con.execute("DELETE FROM surveys WHERE survey_id = ?", [definition["survey_id"]])
    con.execute("INSERT INTO surveys (survey_id, kind, status, definition, created_at, closed_at) "
                "VALUES (?, ?, 'open', ?, now()::TIMESTAMP, NULL)",
                [definition["survey_id"], definition["kind"], json.dumps(definition, ensure_ascii=False)])


def set_status(store, survey_id: str, status: str) -> bool:
    """Open or close a survey (closing records when), in one transaction; False when there is no such survey."""
    with store.transaction() as con:
        return _set_status(con, survey_id, status)


def _set_status(con, survey_id: str, status: str) -> bool:
    if con.execute("SELECT 1 FROM surveys WHERE survey_id = ?", [survey_id]).fetchone() is None:
        return False
    con.execute("UPDATE surveys SET status = ?, closed_at = CASE WHEN ? = 'closed' THEN "
                "coalesce(CASE WHEN status = 'closed' THEN closed_at END, now()::TIMESTAMP) END "
                "WHERE survey_id = ?", [status, status, survey_id])
    return True


def list_surveys(store):
    return store.con.execute("SELECT survey_id, kind, status, created_at, closed_at FROM surveys "
                       "ORDER BY created_at").df()


def get_survey(store, survey_id: str) -> dict | None:
    return _get_survey(store.con, survey_id)


def _get_survey(con, survey_id: str) -> dict | None:
    row = con.execute("SELECT definition, status, closed_at FROM surveys WHERE survey_id = ?", [survey_id]).fetchone()
    return None if row is None else definition_of(row[0], row[1], row[2])


def definition_of(definition, status: str, closed_at) -> dict:
    """A definition dict from a `surveys` row (the workspace's or the snapshot's)."""
    out = json.loads(definition) if isinstance(definition, str) else dict(definition)
    out["status"] = status
    out["closed_at"] = closed_at
    return out


# -- who to ask -------------------------------------------------------------------------------
def audience_frame(store, survey_id: str, target: dict, at: dt.datetime | None = None, seed: int = 0):
    """Customers to ask at ``at`` (default: the last order, else now, both naive in the workspace's
    time zone: a TIMESTAMPTZ here would need pytz to reach Python)."""
    con = store.con
    if at is None:
        at = con.execute("SELECT coalesce(max(ordered_at), now()::TIMESTAMP) FROM orders").fetchone()[0]
    days_after = target.get("days_after_order")
    sql = """
        SELECT c.customer_id, c.language, s.rfm_segment, s.last_order_at
        FROM customers c LEFT JOIN customer_summary s USING (customer_id)
        WHERE (?::VARCHAR IS NULL OR s.rfm_segment = ?)
          AND (?::INTEGER IS NULL OR date_diff('day', s.last_order_at, ?::TIMESTAMP) BETWEEN ? AND ? + 6)
          AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.customer_id = c.customer_id AND f.survey_id = ?
                          AND f.received_at > ?::TIMESTAMP - to_days(?))
          AND (hash(c.customer_id || ?) % 10000) < ? * 100
        ORDER BY c.customer_id"""
    params = [target.get("segment"), target.get("segment"), days_after, at, days_after, days_after, survey_id, at,
              int(target["min_days_between_asks"]), f"{survey_id}:{seed}", float(target["sample_percent"])]
    return con.execute(sql, params).df()


# -- answers from the spool -------------------------------------------------------------------
@dataclass
class SurveyLoad:
    """What ``load_survey_records`` did: rows added, rows replaced (now in feedback_history),
    comments joined, records already applied, and records refused with their reason."""

    added: int = 0
    replaced: int = 0
    comments: int = 0
    skipped: int = 0
    rejected: list[tuple[dict, str]] = field(default_factory=list)


def load_records(store, records: list[dict]) -> SurveyLoad:
    """Spooled survey records into `feedback`, in one transaction of the store's (load_survey_records)."""
    with store.transaction() as con:
        return load_survey_records(con, records)


def load_survey_records(con, records: list[dict]) -> SurveyLoad:
    """Apply spooled survey records to `feedback`, inside the caller's transaction.

    Answers are applied before comments and each in the order received, so a batch may hold an answer
    and its comment. A record that breaks a rule is returned in ``rejected`` with its reason (the
    loader quarantines it); the others still apply. The batch is worked out in memory from one read
    of the rows it touches and written back in three set statements.
    """
    result = SurveyLoad()
    if not records:
        return result
    zone = ZoneInfo(con.execute("SELECT current_setting('TimeZone')").fetchone()[0])
    batch = _Batch(con, records)
    ordered = sorted(records, key=lambda r: (r.get("kind") != "survey_answer", str(r.get("received_at"))))
    definitions: dict[str, dict | None] = {}
    for rec in ordered:
        try:
            message = rec["message"]
            survey_id = str(message["survey_id"])
            received = _local(rec["received_at"], zone)
            if survey_id not in definitions:
                definitions[survey_id] = _get_survey(con, survey_id)
            definition = definitions[survey_id]
            if definition is None:
                raise SurveyError(f"no survey {survey_id!r}")
            check_open(definition, received)
            if str(rec["id"]) in batch.applied:
                result.skipped += 1
            elif rec.get("kind") == "survey_answer":
                replaced = batch.answer(definition, rec, message, received)
                result.added += not replaced
                result.replaced += replaced
            elif rec.get("kind") == "survey_comment":
                result.comments += batch.comment(rec, message, received)
            else:
                raise SurveyError(f"not a survey record: kind {rec.get('kind')!r}")
        except SurveyError as exc:
            result.rejected.append((rec, str(exc)))
        except (KeyError, TypeError, ValueError) as exc:
            result.rejected.append((rec, f"malformed survey record: {type(exc).__name__} {exc}"))
    batch.write()
    return result


def _local(received_at: str, zone: ZoneInfo) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(str(received_at))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(zone).replace(tzinfo=None)


def _feedback_id(message: dict) -> str:
    feedback_id = str(message["feedback_id"])
    if not feedback_id.startswith(f"{message['survey_id']}:"):
        raise SurveyError("feedback_id does not name the survey it answers")
    return feedback_id


class _Batch:
    """The `feedback` rows a batch touches, changed in memory, then written back at once."""

    def __init__(self, con, records: list[dict]):
        self.con = con
        ids = [str(r.get("id")) for r in records]
        fids = sorted({str(r["message"]["feedback_id"]) for r in records
                       if isinstance(r.get("message"), dict) and r["message"].get("feedback_id") is not None})
        self.applied = {row[0] for row in con.execute(
            "SELECT record_id FROM feedback WHERE record_id IN (SELECT unnest(?::VARCHAR[])) UNION "
            "SELECT record_id FROM feedback_history WHERE record_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids, ids]).fetchall()}
        cursor = con.execute(f"SELECT {_COLUMNS}, attributes FROM feedback "
                             "WHERE feedback_id IN (SELECT unnest(?::VARCHAR[]))", [fids])
        names = [d[0] for d in cursor.description]
        self.rows: dict[str, dict | None] = {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}
        self.existed = set(self.rows)
        self.dirty: set[str] = set()
        self.history: list[dict] = []
        self.customers: set[str] = set()

    def _retire(self, row: dict, replaced_at: dt.datetime, replaced_by: str) -> None:
        self.history.append({**{c: row[c] for c in _FEEDBACK_COLUMNS}, "replaced_at": replaced_at,
                             "replaced_by": replaced_by})

    def answer(self, definition: dict, rec: dict, message: dict, received: dt.datetime) -> bool:
        """Insert or replace one answer; True when an earlier answer was replaced."""
        answer = Answer(survey_id=definition["survey_id"], score=message.get("score"), text=message.get("text"),
                        choices=message.get("choices"), customer_id=message.get("customer_id"),
                        order_id=message.get("order_id"), language=message.get("language"),
                        channel=message.get("channel") or "widget", response_id=message.get("response_id"),
                        send=message.get("send"))
        fields = check_answer(definition, answer)
        feedback_id = _feedback_id(message)
        record_id = str(rec["id"])
        row = {"feedback_id": feedback_id, "customer_id": answer.customer_id, "order_id": answer.order_id,
               "received_at": received, "source": "survey", "channel": answer.channel, "rating": fields["rating"],
               "rating_scale": fields["rating_scale"], "text": fields["text"], "language": answer.language,
               "survey_id": answer.survey_id, "record_id": record_id, "attributes": None}
        if answer.customer_id:
            self.customers.add(str(answer.customer_id))
        self.applied.add(record_id)
        current = self.rows.get(feedback_id)
        if current is not None and current["received_at"] > received:  # older than the row: history only
            self._retire(row, current["received_at"], current["record_id"])
            return True
        if current is not None:
            self._retire(current, received, record_id)
        self.rows[feedback_id] = row
        self.dirty.add(feedback_id)
        return current is not None

    def comment(self, rec: dict, message: dict, received: dt.datetime) -> int:
        """Join the follow-up text to its answer; a changed text replaces the earlier one (kept in history)."""
        text = check_comment_text(message.get("text"))
        feedback_id = _feedback_id(message)
        current = self.rows.get(feedback_id)
        if current is None:
            raise SurveyError(f"no answer {feedback_id!r} to comment on: the score comes first")
        check_comment_time(current["received_at"], received)
        if current["text"] == text:
            return 0  # the same text again (a double submit): nothing changes
        record_id = str(rec["id"])
        self._retire(current, received, record_id)
        self.rows[feedback_id] = {**current, "text": text, "record_id": record_id}
        self.applied.add(record_id)
        self.dirty.add(feedback_id)
        return 1

    def write(self) -> None:
        con = self.con
        if self.customers:
            set_variable(con, "centric_customers", sorted(self.customers))
            create_missing_customers(con, f"(SELECT unnest({var('centric_customers')}::VARCHAR[]) AS customer_id)",
                                     "feedback")
        if self.history:
            _insert(con, "feedback_history", self.history, list(_FEEDBACK_COLUMNS) + ["replaced_at", "replaced_by"])
        if self.dirty:
            touched = sorted(self.dirty & self.existed)
            if touched:
                con.execute("DELETE FROM feedback WHERE feedback_id IN (SELECT unnest(?::VARCHAR[]))", [touched])
            _insert(con, "feedback", [self.rows[f] for f in sorted(self.dirty)], list(_FEEDBACK_COLUMNS) + ["attributes"])


def _insert(con, table: str, rows: list[dict], columns: list[str]) -> None:
    """Insert dict rows in one statement, each value cast to its column's declared type."""
    import pandas as pd

    types = {c.name: c.sql_type for c in ALL_TABLES[table].columns}
    frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns, dtype=object)
    frame = frame.astype({c: "string" for c in columns if types[c] in ("VARCHAR", "JSON")})
    view = f"_survey_rows_{table}"
    con.register(view, frame)
    try:
        select = ", ".join(f"CAST({ident(c)} AS {types[c]})" for c in columns)
        con.execute(f"INSERT INTO {ident(table)} ({', '.join(map(ident, columns))}) SELECT {select} FROM {ident(view)}")
    finally:
        con.unregister(view)


def load_survey_view(con, records: str, ctx) -> None:
    """The loader's handler (store/collected.py): the survey records of view `records`, all pending
    ones in one call (a comment may sit in an earlier spool file than its answer), refusals
    quarantined with their file and line."""
    from centric.store.upsert import MergeCounts

    rows = con.execute(f"SELECT _seq, id, kind, received_at, source, message FROM {ident(records)} "
                       "ORDER BY _seq").fetchall()
    batch = [{"_seq": r[0], "id": r[1], "kind": r[2], "received_at": r[3], "source": r[4],
              "message": json.loads(r[5]) if isinstance(r[5], str) else r[5]} for r in rows]
    result = load_survey_records(con, batch)
    ctx.report.add("feedback", MergeCounts(inserted=result.added, updated=result.replaced + result.comments,
                                           unchanged=result.skipped))
    ctx.report.duplicates += result.skipped
    if result.rejected:
        con.execute("CREATE OR REPLACE TEMP TABLE _survey_rejected (_seq BIGINT, value VARCHAR, reason VARCHAR)")
        con.executemany("INSERT INTO _survey_rejected VALUES (?, ?, ?)",
                        [(rec.get("_seq"), str(rec.get("id")), reason) for rec, reason in result.rejected])
        try:
            ctx.quarantine("feedback", "SELECT _seq, 'survey' AS column_name, value, reason FROM _survey_rejected")
        finally:
            con.execute("DROP TABLE IF EXISTS _survey_rejected")
