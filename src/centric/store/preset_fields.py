"""A preset's fields found among a file's headers, and the SQL texts its transforms make of them."""

from __future__ import annotations

from centric.store.sources import SourceError
from centric.store.validate import text_of


def match_headers(fields: dict[str, tuple[str, ...]], columns: list[str]) -> dict[str, str]:
    """field -> the file's column: the first candidate header present, in any case."""
    by_lower = {c.lower(): c for c in columns}
    found = {}
    for name, candidates in fields.items():
        for candidate in candidates:
            if candidate.lower() in by_lower:
                found[name] = by_lower[candidate.lower()]
                break
    return found


def require_fields(preset_name: str, fields: dict[str, tuple[str, ...]], found: dict[str, str], required) -> None:
    """A clear error naming the headers a required field may come under, when none is in the file."""
    missing = [f for f in required if f not in found]
    if missing:
        wanted = "; ".join(f"{m}: {' or '.join(fields.get(m, ()))}" for m in missing)
        raise SourceError(f"this file does not look like a {preset_name} export: no column for {wanted}")


def field_texts(names, found: dict[str, str], transforms: dict[str, str]) -> dict[str, str]:
    """SQL text of each field: its column's trimmed text (NULL when absent), then the transforms in order."""
    texts = {name: (text_of(found[name]) if name in found else "NULL::VARCHAR") for name in names}
    for name, template in transforms.items():
        texts[name] = "(" + template.format(**{k: f"({v})" for k, v in texts.items()}) + ")"
    return texts
