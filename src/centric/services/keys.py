"""API keys of a workspace: created once, shown once, stored only as a hash, revocable.

Rule: a key is a 32-byte random token shown to the user when it is created and never again; the
workspace keeps its SHA-256 in ``<workspace>/keys.json`` (0600, written atomically), outside the
database, so ``centric serve`` checks keys without opening DuckDB. Kinds:

- ``write``: may send messages to ``/v1/*`` (Segment / RudderStack clients, analytics.js);
- ``read``: may read the read API (``/api/scores``, ``/api/drivers``) and ask for privacy exports;
- ``admin``: passes everywhere; the only kind that may ask for a privacy erasure.

A revoked key fails at once: ``KeyChecker`` rereads the file when it changes (checked at most once a
second). The survey-link signing secret (``.centric-secret``) is a different secret and no key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from centric.errors import CentricError

KEYS_FILE = "keys.json"
KINDS = ("write", "read", "admin")
PREFIX = {"write": "cw_", "read": "cr_", "admin": "ca_"}


class KeyFileError(CentricError):
    """A key command got a bad kind or an unknown key id."""


@dataclass(frozen=True)
class KeyInfo:
    id: str
    kind: str
    name: str
    created: str
    revoked: str | None


def keys_path(workspace: Path) -> Path:
    return Path(workspace) / KEYS_FILE


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _read(workspace: Path) -> list[dict]:
    path = keys_path(workspace)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path} is not valid JSON ({exc}): restore it or delete it and create new keys") from None
    return list(data.get("keys", []))


def _write(workspace: Path, entries: list[dict]) -> None:
    from centric.services.workspace_files import write_private_json

    write_private_json(keys_path(workspace), {"keys": entries})


def create_key(workspace: Path, kind: str, name: str | None = None) -> tuple[KeyInfo, str]:
    """A new key: its description and the token itself (the only time the token exists in clear)."""
    if kind not in KINDS:
        raise KeyFileError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    entries = _read(workspace)
    token = PREFIX[kind] + secrets.token_urlsafe(32)
    taken = {e["id"] for e in entries}
    key_id = secrets.token_hex(4)
    while key_id in taken:
        key_id = secrets.token_hex(4)
    entry = {"id": key_id, "kind": kind, "name": (name or "").strip()[:100], "sha256": _digest(token),
             "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "revoked": None}
    _write(workspace, entries + [entry])
    return _info(entry), token


def list_keys(workspace: Path) -> list[KeyInfo]:
    return [_info(e) for e in _read(workspace)]


def revoke_key(workspace: Path, key_id: str) -> KeyInfo:
    entries = _read(workspace)
    for entry in entries:
        if entry["id"] == key_id:
            if not entry.get("revoked"):
                entry["revoked"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
                _write(workspace, entries)
            return _info(entry)
    raise KeyFileError(f"no key with id {key_id!r}: see `centric keys list`")


def _info(entry: dict) -> KeyInfo:
    return KeyInfo(entry["id"], entry["kind"], entry.get("name") or "", entry["created"], entry.get("revoked"))


class KeyChecker:
    """Answers "which live key is this token?" from the hashed file, rereading it when it changes."""

    def __init__(self, workspace: Path, recheck_seconds: float = 1.0):
        self.path = keys_path(workspace)
        self.workspace = Path(workspace)
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._by_digest: dict[str, KeyInfo] = {}
        self._identity = None
        self._checked = float("-inf")

    def _refresh(self) -> None:
        now = time.monotonic()
        if now - self._checked < self.recheck_seconds:
            return
        with self._lock:
            self._checked = now
            try:
                stat = self.path.stat()
                identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            except FileNotFoundError:
                identity = None
            if identity == self._identity:
                return
            try:
                entries = _read(self.workspace) if identity else []
            except KeyFileError:
                entries = []  # a broken file admits nobody rather than everybody
            self._by_digest = {e["sha256"]: _info(e) for e in entries if not e.get("revoked")}
            self._identity = identity

    def live(self, key_id: str | None, *kinds: str) -> KeyInfo | None:
        """The live key with this id, when it is of one of ``kinds`` (admin always passes), else None:
        a dashboard session stands for a key id and ends when the key is revoked."""
        if not key_id:
            return None
        self._refresh()
        for info in self._by_digest.values():
            if info.id == key_id and (info.kind == "admin" or info.kind in kinds):
                return info
        return None

    def check(self, token: str | None, *kinds: str) -> KeyInfo | None:
        """The key if ``token`` is a live key of one of ``kinds`` (admin always passes), else None."""
        if not token or len(token) > 200:
            return None
        self._refresh()
        info = self._by_digest.get(_digest(token))
        if info is None or (info.kind != "admin" and info.kind not in kinds):
            return None
        return info
