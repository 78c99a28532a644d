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

from centric.store.survey_rules import (Answer, SurveyError, check_answer, check_comment_text,
                                        check_comment_time, check_open)

SURVEY_KINDS = ("survey_answer", "survey_comment")
_FEEDBACK_COLUMNS = ("feedback_id", "customer_id", "order_id", "received_at", "source", "channel", "rating",
                     "rating_scale", "text", "language", "survey_id", "record_id")
_COLUMNS = ", ".join(_FEEDBACK_COLUMNS)


# -- definitions ------------------------------------------------------------------------------
def save_definition(con, definition: dict) -> None:
    """Add or replace a survey; it is open."""
    con.execute("DELETE FROM surveys WHERE survey_id = ?", [definition["survey_id"]])
    con.execute("INSERT INTO surveys (survey_id, kind, status, definition, created_at, closed_at) "
                "VALUES (?, ?, 'open', ?, now()::TIMESTAMP, NULL)",
                [definition["survey_id"], definition["kind"], json.dumps(definition, ensure_ascii=False)])


def set_status(con, survey_id: str, status: str) -> bool:
    """Open or close a survey (closing records when); False when there is no such survey."""
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


def load_survey_records(con, records: list[dict]) -> SurveyLoad:
    """Apply spooled survey records to `feedback`, inside the caller's transaction.

    Answers are applied before comments and each in the order received, so a batch may hold an answer
    and its comment. A record that breaks a rule is returned in ``rejected`` with its reason (the
    loader quarantines it); the others still apply.
    """
    result = SurveyLoad()
    zone = ZoneInfo(con.execute("SELECT current_setting('TimeZone')").fetchone()[0])
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
            if _applied(con, str(rec["id"])):
                result.skipped += 1
            elif rec.get("kind") == "survey_answer":
                replaced = _apply_answer(con, definition, rec, message, received)
                result.added += not replaced
                result.replaced += replaced
            elif rec.get("kind") == "survey_comment":
                result.comments += _apply_comment(con, rec, message, received)
            else:
                raise SurveyError(f"not a survey record: kind {rec.get('kind')!r}")
        except SurveyError as exc:
            result.rejected.append((rec, str(exc)))
        except (KeyError, TypeError, ValueError) as exc:
            result.rejected.append((rec, f"malformed survey record: {type(exc).__name__} {exc}"))
    return result


def _local(received_at: str, zone: ZoneInfo) -> dt.datetime:
    stamp = dt.datetime.fromisoformat(str(received_at))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(zone).replace(tzinfo=None)


def _applied(con, record_id: str) -> bool:
    return con.execute("SELECT EXISTS (SELECT 1 FROM feedback WHERE record_id = ?) "
                       "OR EXISTS (SELECT 1 FROM feedback_history WHERE record_id = ?)",
                       [record_id, record_id]).fetchone()[0]


def _feedback_id(message: dict) -> str:
    feedback_id = str(message["feedback_id"])
    if not feedback_id.startswith(f"{message['survey_id']}:"):
        raise SurveyError("feedback_id does not name the survey it answers")
    return feedback_id


def _current(con, feedback_id: str):
    return con.execute("SELECT received_at, text, record_id FROM feedback WHERE feedback_id = ?",
                       [feedback_id]).fetchone()


def _to_history(con, feedback_id: str, replaced_at: dt.datetime, replaced_by: str) -> None:
    con.execute(f"INSERT INTO feedback_history ({_COLUMNS}, replaced_at, replaced_by) "
                f"SELECT {_COLUMNS}, ?, ? FROM feedback WHERE feedback_id = ?", [replaced_at, replaced_by, feedback_id])


def _apply_answer(con, definition: dict, rec: dict, message: dict, received: dt.datetime) -> bool:
    """Insert or replace one answer; True when an earlier answer was replaced."""
    answer = Answer(survey_id=definition["survey_id"], score=message.get("score"), text=message.get("text"),
                    choices=message.get("choices"), customer_id=message.get("customer_id"),
                    order_id=message.get("order_id"), language=message.get("language"),
                    channel=message.get("channel") or "widget", response_id=message.get("response_id"),
                    send=message.get("send"))
    fields = check_answer(definition, answer)
    feedback_id = _feedback_id(message)
    values = [feedback_id, answer.customer_id, answer.order_id, received, "survey", answer.channel, fields["rating"],
              fields["rating_scale"], fields["text"], answer.language, answer.survey_id, str(rec["id"])]
    if answer.customer_id:
        con.execute("INSERT INTO customers (customer_id, origin) SELECT ?, 'feedback' "
                    "WHERE NOT EXISTS (SELECT 1 FROM customers WHERE customer_id = ?)",
                    [answer.customer_id, answer.customer_id])
    current = _current(con, feedback_id)
    if current is not None and current[0] > received:  # arrived after a newer answer: history only
        con.execute(f"INSERT INTO feedback_history ({_COLUMNS}, replaced_at, replaced_by) "
                    f"VALUES ({', '.join('?' * len(values))}, ?, ?)", values + [current[0], current[2]])
        return True
    if current is not None:
        _to_history(con, feedback_id, received, str(rec["id"]))
        con.execute("DELETE FROM feedback WHERE feedback_id = ?", [feedback_id])
    con.execute(f"INSERT INTO feedback ({_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values)
    return current is not None


def _apply_comment(con, rec: dict, message: dict, received: dt.datetime) -> int:
    """Join the follow-up text to its answer; a changed text replaces the earlier one (kept in history)."""
    text = check_comment_text(message.get("text"))
    feedback_id = _feedback_id(message)
    current = _current(con, feedback_id)
    if current is None:
        raise SurveyError(f"no answer {feedback_id!r} to comment on: the score comes first")
    check_comment_time(current[0], received)
    if current[1] == text:
        return 0  # the same text again (a double submit): nothing changes
    _to_history(con, feedback_id, received, str(rec["id"]))
    con.execute("UPDATE feedback SET text = ?, record_id = ? WHERE feedback_id = ?", [text, str(rec["id"]), feedback_id])
    return 1


SURVEY_HANDLERS = {kind: load_survey_records for kind in SURVEY_KINDS}


def register(handlers: dict) -> None:
    """Add the survey kinds to a loader's dispatch table (``HANDLERS[kind](con, records)``). Give the
    handler an answer and its comment in one call, or answers first: a comment needs its answer."""
    for kind, handler in SURVEY_HANDLERS.items():
        handlers.setdefault(kind, handler)


# Registration with the loader's dispatch table (store/collected.py, written alongside): the lead
# replaces this guard at merge with ``HANDLERS.update(SURVEY_HANDLERS)`` in collected.py (importing
# this module from collected.py while collected.py is half-initialised would make the guard miss).
try:  # pragma: no cover - depends on the merge
    from centric.store.collected import HANDLERS
except ImportError:  # pragma: no cover
    HANDLERS = None
else:  # pragma: no cover
    register(HANDLERS)
