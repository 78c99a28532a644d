"""Which language a page is shown in: `?lang=` first, then the browser's Accept-Language (RFC 9110
§12.5.4, q-values, `*`, regional tags such as ca-ES), then the workspace's default, then English.

Only the four catalogued languages (en, es, ca, pt) can be chosen; anything else is skipped.
"""

from __future__ import annotations

from centric.i18n.languages import LANGUAGES, normalise  # noqa: F401 - LANGUAGES re-exported


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags of an Accept-Language header, best first (q descending, then header order);
    tags with q=0 or a malformed q are dropped."""
    if not header:
        return []
    ranked = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
        if 0 < q <= 1:
            ranked.append((-q, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def negotiate(query_lang: str | None, accept_language: str | None, default: str | None = "en") -> str:
    """The language to show: a supported `?lang=`, else the best supported Accept-Language tag
    (`*` means the default), else the default when supported, else English."""
    chosen = normalise(query_lang)
    if chosen:
        return chosen
    fallback = normalise(default) or "en"
    for tag in parse_accept_language(accept_language):
        if tag == "*":
            return fallback
        code = normalise(tag)
        if code:
            return code
    return fallback
