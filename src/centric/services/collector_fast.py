"""The collector's common case, fast: a body read with msgspec, each message spooled as the bytes it came as.

Rule: for a request this module takes, the outcome is the one services/collector.py's rules give (the same
messages accepted, the same fields added, the same spool records); whatever it does not take the
general path in services/collector.py decides. It takes a body when:

- msgspec reads it (strict UTF-8 JSON: no NaN, no lone surrogate escapes) as a batch ``{"batch": [...]}``
  or one message, and every message is an object whose checked fields have the types of the rules
  (``properties``, ``traits``, ``context``, ``integrations`` objects or null);
- every message passes every check (``accept`` gives up on the first one that does not: the general
  path then says why, per message);
- no message carries ``writeKey`` (it is taken out of a stored message: the general path re-encodes it)
  or ``"messageId": null`` (one is generated in its place), and nobody it names is erased.

Why: parsing every message into dicts and encoding it again for its line was most of a request's
CPU time. Here only the checked fields are decoded (``_Message``: every other field, however large,
is skipped by msgspec's C scanner), and a message's spool line is its bytes as received
(``msgspec.Raw``: a view of the body, no copy), with ``type``, ``sentAt`` or ``messageId`` appended
before its closing brace when the rules add them. The bytes are what the client sent, so they are
valid JSON by construction; newlines between tokens become spaces (a spool record is one line).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import UNSET, Meta, Raw, UnsetType

from centric.store.spool import batch_line

MAX_ID_CHARS = 200  # services/collector.py's (a test checks they agree)


# gc=False: the garbage collector never tracks these (they hold strings, numbers and each other: no cycles)
class _Obj(msgspec.Struct, gc=False):
    """Any JSON object: its fields are skipped, not decoded (the check is only "an object")."""


class _Traits(msgspec.Struct, gc=False):
    email: Any = None


class _Context(msgspec.Struct, gc=False):
    traits: _Traits | None = None


# the rules' types, checked by msgspec while it reads (a value of another type: the general path says why)
_Id = Union[Annotated[str, Meta(max_length=MAX_ID_CHARS)], int, None]  # noqa: UP007  (bool is not an int here)
_Time = Union[Annotated[str, Meta(max_length=40)], None]  # noqa: UP007
_Call = Literal["identify", "track", "page", "screen", "group", "alias"]


class _Message(msgspec.Struct, gc=False):
    """The fields of a message the rules look at; UNSET: absent (the rules add some when absent)."""

    type: Union[_Call, None, UnsetType] = UNSET  # noqa: UP007
    userId: _Id = None
    anonymousId: _Id = None
    previousId: _Id = None
    groupId: _Id = None
    event: Any = None
    messageId: Union[Annotated[str, Meta(min_length=1, max_length=MAX_ID_CHARS)], UnsetType] = UNSET  # noqa: UP007
    timestamp: _Time = None
    sentAt: Union[_Time, UnsetType] = UNSET  # noqa: UP007
    originalTimestamp: _Time = None
    properties: _Obj | None = None
    traits: _Traits | None = None
    context: _Context | None = None
    integrations: _Obj | None = None
    writeKey: Any = UNSET


class _Batch(msgspec.Struct, gc=False):
    batch: list[_Message]
    sentAt: Any = None
    writeKey: Any = None


class _BatchRaw(msgspec.Struct, gc=False):
    batch: list[Raw]


_decode_batch = msgspec.json.Decoder(_Batch).decode
_decode_batch_raw = msgspec.json.Decoder(_BatchRaw).decode
_decode_message = msgspec.json.Decoder(_Message).decode
_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, MemoryError)


class Fast:
    """A body this module read: its messages' checked fields, their bytes, and the body itself."""

    __slots__ = ("messages", "raws", "body", "crlf")

    def __init__(self, messages: list, raws: list, body: bytes):
        self.messages = messages
        self.raws = raws
        self.body = body
        self.crlf = b"\n" in body or b"\r" in body


def parse(body: bytes, batch: bool) -> tuple[dict, Fast] | None:
    """(the body's top-level ``writeKey`` and ``sentAt``, its messages) or None: take the general path."""
    try:
        if batch:
            value = _decode_batch(body)
            raws = _decode_batch_raw(body).batch
            return {"writeKey": value.writeKey, "sentAt": value.sentAt}, Fast(value.batch, raws, body)
        message = _decode_message(body)
    except _ERRORS:
        return None
    if message.writeKey is not UNSET:
        return None
    return {}, Fast([message], [body.strip()], body)


def _blank(value: object) -> bool:
    return value is None or value == "" or (type(value) is str and not value.strip())


def _bad_time(value: str, is_time) -> bool:
    """``value`` (a string of at most 40 characters: its type is checked) is not a time the rules read."""
    try:
        _fromisoformat(value)
    except ValueError:
        return not is_time(value)
    return False


_fromisoformat = dt.datetime.fromisoformat


_COMMON_CALLS = frozenset(("track", "identify", "page", "screen"))  # the calls whose only rule on ids is "somebody"


def accept_common(fast: Fast, head: bytes, batch_sent: str | None, max_bytes: int):
    """``accept`` for the common batch, in one lean loop, as ONE spool record, or None: then ``accept`` decides.

    The common batch: every message a track, identify, page or screen call with its ``type`` and
    ``messageId``, its times read by ``fromisoformat`` as they are, no ``writeKey``, no newline in the
    body, nobody erased (the caller asks only then), and every message accepted. For it the rules are
    the few tests below, and the only field the rules add is the batch's ``sentAt``. Anything else
    returns None at the first message that is not common, and ``accept`` (then the general path)
    decides the whole batch again: so this never decides differently, only faster.

    Its messages are spooled as one batch record (store/spool.py, ``batch_line``): ``head`` (the
    record's kind, received_at and source), the batch's ``sentAt`` and the messages' bytes as received,
    joined: no line per message. Expanded (``spool.expand``), it is the records ``accept`` writes, the
    batch's ``sentAt`` added to the messages without one (tests/services/test_collector_fast.py holds
    the two to the same records)."""
    if fast.crlf:
        return None
    sent_size = 0 if batch_sent is None else len(batch_sent) + 10  # `,"sentAt":` and the value, added per message
    ids: list[str] = []
    add_id, fromisoformat, common = ids.append, _fromisoformat, _COMMON_CALLS
    for message, raw in zip(fast.messages, fast.raws):
        call = message.type
        if call not in common:  # alias, group (their own rules on ids), or no type
            return None
        user = message.userId  # a string of at most 200 characters, an integer or None (msgspec checked)
        if user is None or (user.__class__ is str and (not user or user.isspace())):
            anonymous = message.anonymousId
            if anonymous is None or (anonymous.__class__ is str and (not anonymous or anonymous.isspace())):
                return None  # nobody named
        if call == "track":
            event = message.event
            if event.__class__ is not str or not event or event.isspace():
                return None
        message_id = message.messageId
        if message_id is UNSET or message_id.isspace():  # one to generate, or a blank one
            return None
        value = message.timestamp
        if value is not None:
            try:
                fromisoformat(value)
            except ValueError:
                return None
        sent = message.sentAt
        if sent is not UNSET and sent is not None:
            try:
                fromisoformat(sent)
            except ValueError:
                return None
        value = message.originalTimestamp
        if value is not None:
            try:
                fromisoformat(value)
            except ValueError:
                return None
        if message.writeKey is not UNSET:
            return None
        if len(raw) + (sent_size if sent is UNSET else 0) > max_bytes:  # the message as its record holds it
            return None
        add_id(message_id)
    if not ids:
        return None
    return [batch_line(head, None if batch_sent is None else batch_sent.encode(), fast.raws)], ids, []


def accept(fast: Fast, kind: str | None, tails: dict, generated_tails: dict, batch_sent: str | None,
           string, is_time, max_bytes: int, suppressed=None, new_id=None):
    """(lines, ids, generated ids) for every message of ``fast``, or None when any message is refused or
    needs the general path. ``tails``: each call type's line part between the id and the message.
    The types were checked by msgspec (``_Message``); what is left are the rules on values."""
    lines: list[bytes] = []
    ids: list[str] = []
    generated_ids: list[str] = []
    add_line, add_id, join, fromisoformat = lines.append, ids.append, b"".join, _fromisoformat
    sent_bytes = None if batch_sent is None else f',"sentAt":{batch_sent}'.encode()
    crlf = fast.crlf
    suffixes: dict = {}  # (call, type added, sentAt added): what follows a message's bytes but its closing brace
    for message, raw in zip(fast.messages, fast.raws):
        sent_type = message.type
        if kind is None:
            call = sent_type
            if call is None or call is UNSET:
                return None
        else:
            call = kind
            if sent_type is not UNSET and sent_type is not None and sent_type != kind:
                return None
        user, anonymous = message.userId, message.anonymousId
        if call == "track":
            if (user is None or (type(user) is str and (not user or user.isspace()))) and _blank(anonymous):
                return None
            event = message.event
            if type(event) is not str or not event or event.isspace():
                return None
        elif call == "alias":
            if _blank(user) or _blank(message.previousId):
                return None
        else:
            if _blank(user) and _blank(anonymous):
                return None
            if call == "group" and _blank(message.groupId):
                return None
        message_id = message.messageId
        generated = message_id is UNSET
        if not generated and message_id.isspace():
            return None
        value = message.timestamp  # a string of at most 40 characters, or None (msgspec checked)
        if value is not None:
            try:
                fromisoformat(value)
            except ValueError:
                if not is_time(value):
                    return None
        sent = message.sentAt
        if sent is not UNSET and sent is not None and _bad_time(sent, is_time):
            return None
        value = message.originalTimestamp
        if value is not None and _bad_time(value, is_time):
            return None
        if message.writeKey is not UNSET or (suppressed is not None and suppressed(_person_ids(message))):
            return None
        if crlf:
            raw = bytes(raw).replace(b"\n", b" ").replace(b"\r", b" ")
        added_type, added_sent = sent_type is UNSET, sent is UNSET and sent_bytes is not None
        if generated:
            message_id = new_id()
            extra = b"".join((f',"type":"{call}"'.encode() if added_type else b"", sent_bytes if added_sent else b"",
                              f',"messageId":"{message_id}"}}}}\n'.encode()))
        elif added_type or added_sent:
            extra = suffixes.get((call, added_type, added_sent))
            if extra is None:
                extra = suffixes[call, added_type, added_sent] = b"".join((
                    f',"type":"{call}"'.encode() if added_type else b"", sent_bytes if added_sent else b"", b"}}\n"))
        else:
            extra = None
        if extra is None:
            size = len(raw)
            line = join((b'{"id":', string(message_id).encode(), tails[call], raw, b"}\n"))
        else:  # the rules add fields: they go before the message's closing brace (an accepted message has a field)
            size = len(raw) + len(extra) - 3
            # (a copy and a slice: 3x faster than a memoryview of a msgspec.Raw, measured)
            line = join((b'{"id":', string(message_id).encode(), generated_tails[call] if generated else tails[call],
                         raw))[:-1] + extra
        if size > max_bytes:
            return None
        add_line(line)
        add_id(message_id)
        if generated:
            generated_ids.append(message_id)
    return lines, ids, generated_ids


def _person_ids(message: _Message) -> list:
    """services/collector.py's ``person_ids`` for a decoded message."""
    ids = [message.userId, message.anonymousId, message.previousId]
    if message.traits is not None:
        ids.append(message.traits.email)
    if message.context is not None and message.context.traits is not None:
        ids.append(message.context.traits.email)
    return [v for v in ids if isinstance(v, (str, int)) and not isinstance(v, bool)]
