"""The collector's rules: which Segment / RudderStack messages are accepted, and how each is spooled.

Rule: a message is accepted when it is a JSON object of a known call type (identify, track, page,
screen, group, alias) that names somebody (userId or anonymousId; alias: userId and previousId),
carries what its type needs (track: event; group: groupId), and encodes to at most 32 KB. It is
stored as sent, as one spool record whose id is its ``messageId`` (generated when absent: the record
says ``"generated_id": true`` and the response lists it) with the time it was received; ``sentAt``
and ``timestamp`` stay as the client sent them (a batch's ``sentAt`` is copied onto messages that
lack their own) so the loader can correct the client's clock. ``writeKey`` is never stored.

This module also builds what the server needs without opening the workspace database: the spool
writer, the snapshot reader and the key checker; and ``publish`` for commands that change what the
server shows.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from centric.store.snapshot import Snapshot, publish_snapshot
from centric.store.spool import SpoolWriter, encode, spool_folder

CALL_TYPES = ("identify", "track", "page", "screen", "group", "alias")
SHORT_ROUTES = {"i": "identify", "t": "track", "p": "page", "s": "screen", "g": "group", "a": "alias"}
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_ID_CHARS = 200
_RECORD_OVERHEAD = 400  # the record's own fields around the message, well above what they take


@dataclass
class Accepted:
    """What a request's messages came to: lines to spool, and the reason for each refused message."""

    lines: list[bytes] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def open_spool(workspace: Path) -> SpoolWriter:
    return SpoolWriter(spool_folder(workspace))


def open_snapshot(workspace: Path) -> Snapshot:
    return Snapshot(workspace)


def publish(store, workspace: Path) -> Path:
    """Publish the tables the server reads (surveys, scores, drivers, KPIs): run after changing them."""
    return publish_snapshot(store, workspace)


def decode_body(raw: bytes) -> object:
    """The JSON of a request body, or ValueError with a reason."""
    if not raw.strip():
        raise ValueError("the body is empty: send a JSON object")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None


def _problem(message: object, kind: str | None) -> str | None:
    """Why ``message`` cannot be accepted, or None."""
    if not isinstance(message, dict):
        return "a message is a JSON object"
    if kind not in CALL_TYPES:
        return f"type must be one of {', '.join(CALL_TYPES)}; got {kind!r}"
    user, anonymous = message.get("userId"), message.get("anonymousId")
    for name, value in (("userId", user), ("anonymousId", anonymous), ("previousId", message.get("previousId")),
                        ("groupId", message.get("groupId"))):
        if value is not None and (not isinstance(value, (str, int)) or isinstance(value, bool)):
            return f"{name} must be a string"
        if value is not None and len(str(value)) > MAX_ID_CHARS:
            return f"{name} is longer than {MAX_ID_CHARS} characters"
    if kind == "alias":
        if _blank(user) or _blank(message.get("previousId")):
            return "an alias needs userId and previousId"
    elif _blank(user) and _blank(anonymous):
        return "a message needs userId or anonymousId"
    if kind == "track" and (not isinstance(message.get("event"), str) or not message["event"].strip()):
        return "a track call needs the event's name in event"
    if kind == "group" and _blank(message.get("groupId")):
        return "a group call needs groupId"
    message_id = message.get("messageId")
    if message_id is not None and (not isinstance(message_id, str) or not message_id.strip()
                                   or len(message_id) > MAX_ID_CHARS):
        return f"messageId must be a non-empty string of at most {MAX_ID_CHARS} characters"
    for name in ("timestamp", "sentAt", "originalTimestamp"):
        value = message.get(name)
        if value is not None and not _is_time(value):
            return f"{name} must be an ISO 8601 time such as 2026-11-29T10:00:00.000Z; got {str(value)[:40]!r}"
    for name in ("properties", "traits", "context", "integrations"):
        if message.get(name) is not None and not isinstance(message[name], dict):
            return f"{name} must be a JSON object"
    return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_time(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def accept(messages: list, source: str, kind: str | None = None, sent_at: object = None,
           received_at: dt.datetime | None = None) -> Accepted:
    """Check and encode ``messages`` (one request's): ``kind`` forces the call type (single-call
    routes), else each message's ``type`` says it (batch). Bad messages are reported, not raised."""
    out = Accepted()
    received = (received_at or dt.datetime.now(dt.timezone.utc)).isoformat()
    for index, message in enumerate(messages):
        if isinstance(message, dict):
            message.pop("writeKey", None)
        call = kind or (message.get("type") if isinstance(message, dict) else None)
        problem = _problem(message, call)
        if problem is None and kind and message.get("type") not in (None, kind):
            problem = f"type {message.get('type')!r} was sent to the {kind} route"
        if problem:
            out.errors.append(_error(index, message, problem))
            continue
        message["type"] = call
        if sent_at is not None and "sentAt" not in message and _is_time(sent_at):
            message["sentAt"] = sent_at
        record = {"id": message.get("messageId"), "kind": call, "received_at": received, "source": source,
                  "message": message}
        if record["id"] is None:
            record["id"] = message["messageId"] = f"centric-{uuid.uuid4()}"
            record["generated_id"] = True
            out.generated.append(record["id"])
        line = encode(record)
        if len(line) > MAX_MESSAGE_BYTES + _RECORD_OVERHEAD:
            out.errors.append(_error(index, message, f"the message is larger than {MAX_MESSAGE_BYTES // 1024} KB"))
            if record.get("generated_id"):
                out.generated.pop()
            continue
        out.lines.append(line)
        out.ids.append(record["id"])
    return out


def _error(index: int, message: object, reason: str) -> dict:
    error = {"index": index, "reason": reason}
    if isinstance(message, dict) and isinstance(message.get("messageId"), str):
        error["messageId"] = message["messageId"][:MAX_ID_CHARS]
    return error


def survey_line(kind: str, message: dict, message_id: str) -> bytes:
    """A survey answer or comment as a spool line (source ``survey``)."""
    return encode({"id": message_id, "kind": kind, "received_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                   "source": "survey", "message": message})


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
