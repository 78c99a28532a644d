"""The languages centric is written in, and how a language tag reads as one of them.

Rule: en, es, ca and pt only; a tag is reduced to its primary subtag ('ca-ES', 'CA_es' -> 'ca') and
anything else is None (callers fall back to the workspace's language, then English).
"""

from __future__ import annotations

LANGUAGES = ("en", "es", "ca", "pt")


def normalise(tag: str | None) -> str | None:
    """'ca-ES', 'CA_es', 'ca' -> 'ca'; None for anything that is not one of LANGUAGES."""
    if not tag:
        return None
    code = str(tag).strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None
