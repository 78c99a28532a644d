"""How a privacy export bundle is named and recognised: the one thing the export (which writes
bundles, services/privacy_export.py) and the erasure (which deletes earlier bundles of the person it
erases, services/privacy.py) both need to know.

Rule: a bundle is a folder whose BUNDLE_FILE is a JSON object with "format": FORMAT; anything else
of that name is not one (and is never deleted as one). This module imports nothing of centric, so
the export and the erasure can both use it without importing each other in a cycle.
"""

from __future__ import annotations

import json
from pathlib import Path

BUNDLE_FILE = "centric-export.json"
FORMAT = "centric-privacy-export/1"


def read_manifest(path: Path) -> dict | None:
    """A bundle's JSON file, when it is one (used to find bundles of an erased person)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None
