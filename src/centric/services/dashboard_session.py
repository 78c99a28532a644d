"""The dashboard's session: a signed, expiring cookie that stands for a read key.

Rule: `/login` takes a read (or admin) key once; the cookie then carries the key's id and an expiry,
signed with HMAC-SHA256 under a secret derived from the workspace's secret, never the key itself. A
session is good while its signature matches, it has not expired and its key is still live (a revoked
key ends its sessions within a second: KeyChecker rereads the keys file). The cookie is HttpOnly and
SameSite=Strict (api/dashboard.py sets it), so scripts cannot read it and other sites cannot send it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

COOKIE = "centric_session"
LIFETIME_SECONDS = 8 * 3600


def _secret(workspace_secret: str) -> bytes:
    return hmac.new(workspace_secret.encode(), b"centric dashboard session v1", hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(workspace_secret: str, key_id: str, now: float | None = None, lifetime: int = LIFETIME_SECONDS) -> str:
    """A cookie value for the key `key_id`, good for `lifetime` seconds."""
    body = _b64(json.dumps({"k": key_id, "e": int((now or time.time()) + lifetime)}, separators=(",", ":")).encode())
    sig = _b64(hmac.new(_secret(workspace_secret), body.encode(), hashlib.sha256).digest())
    return f"{body}.{sig}"


def key_of(workspace_secret: str, cookie: str | None, now: float | None = None) -> str | None:
    """The key id a cookie stands for, or None when it is missing, forged, malformed or expired."""
    if not cookie or len(cookie) > 512 or "." not in cookie:
        return None
    body, _, sig = cookie.partition(".")
    good = _b64(hmac.new(_secret(workspace_secret), body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(good, sig):
        return None
    try:
        data = json.loads(_unb64(body))
        key_id, expires = str(data["k"]), int(data["e"])
    except (ValueError, KeyError, TypeError):
        return None
    return key_id if expires > (now or time.time()) else None
