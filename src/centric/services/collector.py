"""The collector's rules: which Segment / RudderStack messages are accepted, and how each is spooled.

Rule: a message is accepted when it is a JSON object of a known call type (identify, track, page,
screen, group, alias) that names somebody (userId or anonymousId; alias: userId and previousId),
carries what its type needs (track: event; group: groupId), and is at most 32 KB of UTF-8 as
spooled. It is stored as sent (every field and value; compact JSON), as one spool record whose id is its ``messageId`` (generated when absent: the record
says ``"generated_id": true`` and the response lists it) with the time it was received; ``sentAt``
and ``timestamp`` stay as the client sent them (a batch's ``sentAt`` is copied onto messages that
lack their own) so the loader can correct the client's clock. ``writeKey`` is never stored. The common
batch (services/collector_fast.py's ``accept_common``) is spooled as one batch record holding its
messages and its ``sentAt`` (store/spool.py), which every reader expands to these same records.

This module also builds what the server needs without opening the workspace database (the spool
writer and the snapshot reader; keys are in services/keys.py), and ``publish`` for the commands that
change what the server shows.
"""

from __future__ import annotations

import datetime as dt
import json
import json.scanner
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pydantic_core import from_json as _from_json
from pydantic_core import to_json as _to_json

from centric.services import collector_fast
from centric.store.snapshot import Snapshot
from centric.store.spool import BATCH_KIND, SpoolWriter, encode, spool_folder

CALL_TYPES = ("identify", "track", "page", "screen", "group", "alias")
SHORT_ROUTES = {"i": "identify", "t": "track", "p": "page", "s": "screen", "g": "group", "a": "alias"}
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_ID_CHARS = 200
_string = json.encoder.encode_basestring  # a str as a JSON string (the C encoder)


@dataclass
class Accepted:
    """What a request's messages came to: lines to spool (one batch record for a common batch: ``ids``
    counts its messages), and the reason for each refused message."""

    lines: list[bytes] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def open_spool(workspace: Path) -> SpoolWriter:
    return SpoolWriter(spool_folder(workspace))


def open_snapshot(workspace: Path) -> Snapshot:
    return Snapshot(workspace)


def publish(store, workspace: Path, known: dict | None = None, plan: dict | None = None,
            whole: bool = False, identities_current: bool = False) -> Path:
    """Publish the tables the server reads (surveys, scores, drivers, KPIs and the dashboard's tables,
    services/dashboard_snapshot.py): run after changing them. `known`: table digests already taken;
    `plan` is filled with what was kept, patched and written whole; `whole` writes every table;
    `identities_current`: the identities were just rebuilt (services/dashboard_snapshot.py)."""
    from centric.services.dashboard_snapshot import publish_all

    return publish_all(store, workspace, known=known, plan=plan, whole=whole, identities_current=identities_current)


def _text(raw: bytes) -> str:
    if not raw.strip():
        raise ValueError("the body is empty: send a JSON object")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"the body is not UTF-8: {exc}") from None


_scan = json.scanner.make_scanner(json.JSONDecoder())  # the C scanner: scan(text, at) -> (value, end)
_space = re.compile(r"[ \t\n\r]*").match


def parse_request(raw: bytes, batch: bool) -> tuple[dict, object]:
    """A request body as (its top-level fields, its messages), for ``accept``.

    A batch body is ``{"batch": [messages], ...}`` (messages None when it has no such list); any
    other body is one message. Raises ValueError with the reason for a body that is not JSON.

    The common case is read by services/collector_fast.py (msgspec: the checked fields only, each
    message's bytes kept; messages: a ``collector_fast.Fast``); every other body by the general path,
    a list of (message, its JSON text or None).

    In the general path, the first try parses the body in one call of pydantic-core's JSON parser (FastAPI's own
    dependency; a third of the time of the stdlib's), and the messages are encoded again when
    spooled (text None). A body it refuses (not JSON, or JSON it does not read the way the stdlib
    does: lone surrogate escapes, nesting deeper than 200) takes the stdlib path, which keeps each
    message's exact text and gives the reason for a bad body.
    """
    fast = collector_fast.parse(raw, batch)
    if fast is not None:
        return fast
    return _parse_general(raw, batch)


def _parse_general(raw: bytes, batch: bool) -> tuple[dict, list[tuple[object, str | None]] | None]:
    try:
        value = _from_json(raw, cache_strings="keys")
    except ValueError:
        pass
    else:
        if not batch:
            return (value if type(value) is dict else {}), [(value, None)]
        if type(value) is dict:
            messages = value.get("batch")
            return value, ([(message, None) for message in messages] if type(messages) is list else None)
    text = _text(raw)
    try:
        if not batch:
            start = _space(text, 0).end()
            value, end = _scan(text, start)
            if _space(text, end).end() != len(text):
                raise ValueError(f"the body is not valid JSON: extra data at character {end}")
            return (value if isinstance(value, dict) else {}), [(value, text[start:end])]
        return _parse_batch(text)
    except StopIteration as stop:
        raise ValueError(f"the body is not valid JSON: expecting a value at character {stop.value}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None
    except RecursionError:  # was a 500
        raise ValueError("the body is nested too deeply to read") from None


def _parse_batch(text: str) -> tuple[dict, list | None]:
    def fail(at):
        raise ValueError(f"the body is not valid JSON (or not a JSON object) at character {at}")

    at = _space(text, 0).end()
    if text[at:at + 1] != "{":
        fail(at)
    at = _space(text, at + 1).end()
    fields: dict = {}
    items = None
    if text[at:at + 1] == "}":
        at += 1
    else:
        while True:
            if text[at:at + 1] != '"':
                fail(at)
            key, at = _scan(text, at)
            at = _space(text, at).end()
            if text[at:at + 1] != ":":
                fail(at)
            at = _space(text, at + 1).end()
            if key == "batch" and text[at:at + 1] == "[":
                items = []
                at = _space(text, at + 1).end()
                if text[at:at + 1] == "]":
                    at += 1
                else:
                    scan, space, add, blank = _scan, _space, items.append, " \t\n\r"
                    while True:  # the hot loop: one turn per message
                        start = at
                        value, at = scan(text, at)
                        add((value, text[start:at]))
                        mark = text[at:at + 1]
                        if mark in blank:
                            at = space(text, at).end()
                            mark = text[at:at + 1]
                        if mark == ",":
                            at += 1
                            if text[at:at + 1] in blank:
                                at = space(text, at).end()
                        elif mark == "]":
                            at += 1
                            break
                        else:
                            fail(at)
                fields[key] = items
            else:
                fields[key], at = _scan(text, at)
            at = _space(text, at).end()
            mark = text[at:at + 1]
            if mark == ",":
                at = _space(text, at + 1).end()
            elif mark == "}":
                at += 1
                break
            else:
                fail(at)
    if _space(text, at).end() != len(text):
        fail(at)
    batch = fields.get("batch")
    return fields, (batch if batch is items and items is not None else None)


_TIME_FIELDS = ("timestamp", "sentAt", "originalTimestamp")
_OBJECT_FIELDS = ("properties", "traits", "context", "integrations")
_CALLS = frozenset(CALL_TYPES)


def _problem(message: object, kind: str | None) -> str | None:
    """Why ``message`` cannot be accepted, or None.

    Written for speed (it runs for every message): each check is a dict lookup and a type test,
    unrolled; the rare fields (previousId, groupId) are looked at only when present."""
    if type(message) is not dict:
        return "a message is a JSON object"
    if type(kind) is not str or kind not in _CALLS:  # a list or object as type: refused, not a crash
        return f"type must be one of {', '.join(CALL_TYPES)}; got {kind!r}"
    get = message.get
    user = get("userId")
    if user is not None and (type(user) is not str or len(user) > MAX_ID_CHARS):
        problem = _id_problem("userId", user)
        if problem:
            return problem
    anonymous = get("anonymousId")
    if anonymous is not None and (type(anonymous) is not str or len(anonymous) > MAX_ID_CHARS):
        problem = _id_problem("anonymousId", anonymous)
        if problem:
            return problem
    previous = group = None
    if "previousId" in message or "groupId" in message:
        previous, group = get("previousId"), get("groupId")
        problem = _id_problem("previousId", previous) or _id_problem("groupId", group)
        if problem:
            return problem
    if kind == "track":
        if (user is None or (type(user) is str and (not user or user.isspace()))) and _blank(anonymous):
            return "a message needs userId or anonymousId"
        event = get("event")
        if type(event) is not str or not event or event.isspace():
            return "a track call needs the event's name in event"
    elif kind == "alias":
        if _blank(user) or _blank(previous):
            return "an alias needs userId and previousId"
    else:
        if _blank(user) and _blank(anonymous):
            return "a message needs userId or anonymousId"
        if kind == "group" and _blank(group):
            return "a group call needs groupId"
    message_id = get("messageId")
    if message_id is not None and (type(message_id) is not str or not message_id or message_id.isspace()
                                   or len(message_id) > MAX_ID_CHARS):
        return f"messageId must be a non-empty string of at most {MAX_ID_CHARS} characters"
    for name in _TIME_FIELDS:  # inlined _is_time: the common case is one fromisoformat per field
        value = get(name)
        if value is not None:
            if type(value) is not str or len(value) > 40:
                return _time_problem(name, value)
            try:
                _fromisoformat(value)
            except ValueError:
                if not _is_time(value):
                    return _time_problem(name, value)
    for name in _OBJECT_FIELDS:
        value = get(name)
        if value is not None and type(value) is not dict:
            return f"{name} must be a JSON object"
    return None


def _time_problem(name: str, value: object) -> str:
    return f"{name} must be an ISO 8601 time such as 2026-11-29T10:00:00.000Z; got {str(value)[:40]!r}"


def _id_problem(name: str, value: object) -> str | None:
    if value is None:
        return None
    if type(value) is not str and type(value) is not int:
        return f"{name} must be a string"
    if type(value) is str and len(value) > MAX_ID_CHARS:
        return f"{name} is longer than {MAX_ID_CHARS} characters"
    return None


def _blank(value: object) -> bool:
    return value is None or value == "" or (type(value) is str and not value.strip())


def _is_time(value: object) -> bool:
    if type(value) is not str or len(value) > 40:
        return False
    try:
        _fromisoformat(value)  # Python 3.11+ reads Z and fractions of any length
        return True
    except ValueError:
        try:
            _fromisoformat(value.replace("z", "+00:00"))
        except ValueError:
            return False
    return True


_fromisoformat = dt.datetime.fromisoformat
ERASED = "this person's data was erased at their request (centric privacy erase): not collected"


def person_ids(message: dict) -> list:
    """The ids of a message that name a person: userId, anonymousId and the e-mail of its traits."""
    ids = [message.get("userId"), message.get("anonymousId"), message.get("previousId")]
    for holder in (message.get("traits"), (message.get("context") or {}).get("traits")
                   if isinstance(message.get("context"), dict) else None):
        if isinstance(holder, dict):
            ids.append(holder.get("email"))
    return [v for v in ids if isinstance(v, (str, int)) and not isinstance(v, bool)]


def accept(items: list[tuple[object, str | None]], source: str, kind: str | None = None, sent_at: object = None,
           received_at: dt.datetime | None = None, suppressed=None) -> Accepted:
    """Check and encode one request's messages, each given with the JSON text it came as (or None).

    ``kind`` forces the call type (single-call routes), else each message's ``type`` says it (batch).
    Bad messages are reported, not raised. ``type``, ``sentAt`` and ``messageId`` are added when a
    message lacks them, ``writeKey`` is taken out, and the message is stored as compact JSON (as the
    text it was sent as, when ``parse_request`` kept one). The 32 KB limit is on those bytes.
    ``suppressed(ids) -> bool`` refuses messages of erased people (pass None when nobody is erased:
    the check is then skipped).

    Written for speed (it runs for every message): the part of each line after the id is built once
    per call type, and a line is one join of bytes.
    """
    out = Accepted()
    received = (received_at or dt.datetime.now(dt.timezone.utc)).isoformat()
    middle = f',"received_at":"{received}","source":{_string(source)},'
    tail = _Tails(middle + '"message":')
    generated_tail = _Tails(middle + '"generated_id":true,"message":')
    batch_sent = _string(sent_at) if isinstance(sent_at, str) and _is_time(sent_at) else None
    if isinstance(items, collector_fast.Fast):
        done = None
        if kind is None and suppressed is None:
            head = f'{{"kind":"{BATCH_KIND}","received_at":"{received}","source":{_string(source)},'.encode()
            done = collector_fast.accept_common(items, head, batch_sent, MAX_MESSAGE_BYTES)
        if done is None:
            done = collector_fast.accept(items, kind, tail, generated_tail, batch_sent, _string, _is_time,
                                         MAX_MESSAGE_BYTES, suppressed, _new_id)
        if done is not None:
            out.lines, out.ids, out.generated = done
            return out
        items = _parse_general(items.body, batch=kind is None)[1]  # a message refused or unusual: say why
    string, problem_of, add_line, add_id, limit = _string, _problem, out.lines.append, out.ids.append, MAX_MESSAGE_BYTES
    to_json = _to_json
    for index, (message, text) in enumerate(items):
        if kind is None:
            call = message.get("type") if type(message) is dict else None
            problem = problem_of(message, call)
        else:
            call = kind
            sent_type = message.get("type", kind) if type(message) is dict else kind
            problem = (f"type {sent_type!r} was sent to the {kind} route" if sent_type not in (None, kind)
                       else problem_of(message, call))
        if problem is None and suppressed is not None and suppressed(person_ids(message)):
            problem = ERASED
        if problem is not None:
            out.errors.append(_error(index, message, problem))
            continue
        if "type" not in message:
            text = _add(message, text, "type", call, f'"{call}"')
        if batch_sent is not None and "sentAt" not in message:
            text = _add(message, text, "sentAt", sent_at, batch_sent)
        message_id = message.get("messageId")
        generated = message_id is None
        if generated:
            message_id = _new_id()
            text = _add(message, text, "messageId", message_id, f'"{message_id}"')
        if text is None or "writeKey" in message:
            message.pop("writeKey", None)
            encoded = to_json(message)  # compact UTF-8; NaN and Infinity as the stdlib writes them
        else:
            if "\n" in text or "\r" in text:  # whitespace between tokens: strict JSON has none inside strings
                text = text.replace("\n", " ").replace("\r", " ")
            encoded = text.encode()
        if len(encoded) > limit:
            out.errors.append(_error(index, message, f"the message is larger than {limit // 1024} KB"))
            continue
        add_line(b"".join((b'{"id":', string(message_id).encode(), generated_tail[call] if generated
                           else tail[call], encoded, b"}\n")))
        add_id(message_id)
        if generated:
            out.generated.append(message_id)
    return out


class _Tails(dict):
    """A call type's part of a line between the id and the message, made when first asked for."""

    def __init__(self, rest: str):
        super().__init__()
        self.rest = rest

    def __missing__(self, call: str) -> bytes:
        value = self[call] = f',"kind":"{call}"{self.rest}'.encode()
        return value


def _new_id() -> str:
    return f"centric-{uuid.uuid4()}"


def _add(message: dict, text: str | None, name: str, value, encoded: str) -> str | None:
    """Set ``message[name] = value`` and, when the message keeps its text, append the field to it too
    (``encoded`` is the value as JSON; the text ends in its closing brace)."""
    message[name] = value
    return None if text is None else f'{text[:-1]},"{name}":{encoded}}}'


def _error(index: int, message: object, reason: str) -> dict:
    error = {"index": index, "reason": reason}
    if isinstance(message, dict) and isinstance(message.get("messageId"), str):
        error["messageId"] = message["messageId"][:MAX_ID_CHARS]
    return error


def client_settings(write_key: str, base_url: str) -> dict:
    """What analytics.js v2 loads from /v1/projects/KEY/settings: send everything to this host."""
    scheme, _, host = base_url.partition("://")
    return {
        "integrations": {"Segment.io": {"apiKey": write_key, "apiHost": host.rstrip("/") + "/v1", "protocol": scheme,
                                        "unbundledIntegrations": [], "addBundledMetadata": True,
                                        "maybeBundledConfigIds": {}, "versionSettings": {"version": "4.4.7",
                                                                                         "componentTypes": []}}},
        "plan": {"track": {"__default": {"enabled": True, "integrations": {}}},
                 "identify": {"__default": {"enabled": True}}, "group": {"__default": {"enabled": True}}},
        "edgeFunction": {}, "analyticsNextEnabled": True, "middlewareSettings": {}, "enabledMiddleware": {},
        "metrics": {"sampleRate": 0, "host": host.rstrip("/") + "/v1"}, "legacyVideoPluginsEnabled": False,
        "remotePlugins": [],
    }


def encode_records(records: list[dict]) -> list[bytes]:
    return [encode(r) for r in records]
