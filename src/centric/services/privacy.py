"""Privacy requests: give a person everything centric holds about them, or erase them for good.

Rule: what is a person's is decided in one place (store/privacy.py, from the database catalog); the
export writes exactly what the erasure removes. An erasure removes the person and every id merged
into them from the tables, the persona cards, the spool (store/spool_erase.py), the read snapshot,
the SQL kept between runs (store/compiled.py) and the bytes of the database file (store/compact.py), then checks every file of the workspace for
the ids. What remains is one `erasures` row per id: a hash salted with the workspace secret, never
the id. Those hashes close the door: ingest drops rows that carry them (`suppression_secret`), and
the collector and loader call `is_suppressed` (or `Suppression` on the read snapshot).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from centric.config import DATABASE_FILE
from centric.errors import CentricError
from centric.store import compact, erasures
from centric.store import privacy as person
from centric.store import spool_erase
from centric.store.erasures import id_hash
from centric.store.snapshot import Snapshot
from centric.store.spool import SPOOL_DIR

MIN_NEEDLE = 6  # ids shorter than this are not looked for in raw bytes (they occur by chance)


class PrivacyError(CentricError):
    """The person named is not in the workspace, or the request cannot be carried out."""


SALT_FILE = ".centric-erasure-salt"


def _secret(workspace: Path) -> str:
    """The workspace's erasure secret, created once (0600) and never rotated: a new one would orphan every
    hash in `erasures`. Its own file, apart from the secret that signs survey links (that one may be
    rotated), and kept with the workspace (back it up with centric.duckdb)."""
    from centric.services.workspace_files import secret_file

    return secret_file(Path(workspace) / SALT_FILE)


def suppression_secret(store) -> str | None:
    """The secret ingest hashes ids with, or None while nobody has been erased (nothing to drop)."""
    if not erasures.has_erasures(store):
        return None
    return _secret(store.path.parent)


def is_suppressed(workspace: Path, ids, store) -> bool:
    """Whether any of these ids (customer ids, e-mails, anonymous ids) belongs to an erased person,
    read from the open store's `erasures` (the server asks `Suppression`, on the read snapshot)."""
    values = [str(v) for v in ids if v is not None and str(v).strip()]
    if not values or not erasures.has_erasures(store):
        return False
    return bool(erasures.suppressed_hashes(store, [id_hash(_secret(workspace), v) for v in values]))


class Suppression:
    """The erased hashes of the read snapshot, read again when the Snapshot reads a newer file
    (thread-safe reads)."""

    def __init__(self, workspace: Path, snapshot: Snapshot | None = None):
        self.workspace = Path(workspace)
        self.snapshot = snapshot or Snapshot(self.workspace)
        self._hashes: frozenset[str] = frozenset()
        self._version = None
        self._secret: str | None = None

    def _current(self) -> frozenset[str]:
        version = self.snapshot.version()
        if version != self._version:
            # a snapshot published before erasures were in it has none
            rows = self.snapshot.rows("erasures") if version and self.snapshot.has_table("erasures") else []
            self._hashes, self._version = frozenset(r["id_hash"] for r in rows), version
        return self._hashes

    def active(self) -> bool:
        """Whether anybody is erased (the collector skips the per-message check when nobody is)."""
        return bool(self._current())

    def is_suppressed(self, ids) -> bool:
        current = self._current()
        if not current:
            return False
        if self._secret is None:
            self._secret = _secret(self.workspace)
        return any(id_hash(self._secret, str(v)) in current for v in ids if v is not None and str(v).strip())


def resolve(store, customer: str, catalog: dict[str, list[str]] | None = None) -> str:
    found = person.find_customer(store, customer, catalog if catalog is not None else person.catalog(store))
    if found is None:
        raise PrivacyError(f"no customer {customer!r} in this workspace: give a customer id or e-mail "
                           "as the customers table holds them (columns customer_id and email; `centric sql` reads it)")
    return found


def collect(store, workspace: Path, customer_id: str, catalog: dict[str, list[str]] | None = None) -> dict:
    """Everything centric holds about the person: {ids, tables: {table: (columns, rows)}, selections (the
    erasure deletes by them), special, spool, ...}. `catalog`: store/privacy.catalog, when read already."""
    catalog = catalog if catalog is not None else person.catalog(store)
    ids = person.person_ids(store, customer_id, catalog)
    selections = person.selections(store, ids, catalog)
    tables = {t: person.rows(store, t, where, params) for t, (where, params) in selections.items()}
    q_columns, q_rows, q_rowids = person.quarantine_matches(store, ids)
    tables["quarantine"] = (q_columns, q_rows)
    kinds = person.classify(catalog)
    return {
        "ids": ids,
        "tables": tables,
        "selections": selections,
        "quarantine_rowids": q_rowids,
        "persona_quotes": person.persona_quotes(store, ids.feedback_texts),
        "spool": spool_erase.find(Path(workspace) / SPOOL_DIR, spool_erase.mentions(ids.values())),
        "unclassified": sorted(t for t, k in kinds.items() if k == "unclassified"),
        "not_scanned": {t: person.NO_PERSON_DATA[t] for t, k in kinds.items() if k == "none"},
    }


@dataclass
class ErasureResult:
    customer_id: str
    already_erased: bool = False
    rows_deleted: dict[str, int] = field(default_factory=dict)
    ids_erased: dict[str, int] = field(default_factory=dict)
    kept_shared_anonymous_ids: int = 0
    persona_quotes_removed: int = 0
    spool_lines_removed: int = 0
    spool_files_pending: list[str] = field(default_factory=list)
    exports_removed: list[str] = field(default_factory=list)
    report: str = ""
    database_bytes: int = 0
    residue: dict[str, list[str]] = field(default_factory=dict)
    unclassified: list[str] = field(default_factory=list)
    request_id: str | None = None
    erased_at: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.rows_deleted.values())


def erase(workspace: Path, customer: str, request_id: str | None = None, store=None,
          settings=None) -> ErasureResult:
    """Erase the person (module rule); a person already erased is a harmless no-op that still sweeps.

    Without `store` it opens the workspace database itself. With an open `store` (the loader carrying
    out a request over the API) it uses that one and closes it for the rewrite of the file
    (`Store.released`): call it outside any transaction, with no other connection to the database."""
    from contextlib import nullcontext

    from centric.services.workspace_files import load_settings, open_store
    from centric.store.compiled import PERSISTED_FILE, forget_persisted

    workspace = Path(workspace)
    if store is None:
        with open_store(workspace) as (settings, opened):
            result, subject, needles = _erase_open(opened, settings, workspace, customer, request_id)
        released = nullcontext()
    else:
        settings = settings or load_settings(workspace)
        result, subject, needles = _erase_open(store, settings, workspace, customer, request_id)
        released = store.released()
    result.exports_removed = _remove_exports(workspace, subject)
    # SQL kept for the next run (store/compiled.py) may hold literals: it is compiled again instead
    forget_persisted(workspace / PERSISTED_FILE)
    with released:
        result.database_bytes = compact.rewrite_database(workspace / DATABASE_FILE)
        result.residue = residue(workspace, needles)
    return result


def _erase_open(store, settings, workspace: Path, customer: str, request_id: str | None):
    secret = _secret(workspace)
    spool = workspace / SPOOL_DIR
    catalog = person.catalog(store)
    customer_id = person.find_customer(store, customer, catalog)
    if customer_id is not None:
        return _erase_rows(store, settings, workspace, customer_id, secret, request_id, catalog)
    subject = erasures.subject_of(store, id_hash(secret, customer))
    if subject is None:
        resolve(store, customer, catalog)  # raises the one-line error
    # erased before: finish what may not have been done (spool, snapshot, file), with the hashes
    result = ErasureResult(customer.strip(), already_erased=True, request_id=request_id)
    hashes = erasures.all_hashes(store)
    test = spool_erase.hashed(lambda v: id_hash(secret, v), hashes)
    result.spool_lines_removed = spool_erase.erase(spool, test)[0] + _sweep(store, spool, secret)[0]
    result.spool_files_pending = spool_erase.pending(spool)
    _publish(store, workspace)
    compact.checkpoint(store)
    needles = {customer.strip(): "given"} if len(customer.strip()) >= MIN_NEEDLE else {}
    return result, subject, needles


def _erase_rows(store, settings, workspace: Path, customer_id: str, secret: str, request_id: str | None, catalog):
    """Delete the person's rows and record their hashes in one transaction, then clean the report, the
    snapshot and the spool; (result, subject hash, raw ids to look for in files)."""
    spool = workspace / SPOOL_DIR
    data = collect(store, workspace, customer_id, catalog)
    ids: person.PersonIds = data["ids"]
    result = ErasureResult(customer_id, request_id=request_id, unclassified=data["unclassified"],
                           kept_shared_anonymous_ids=len(ids.shared_anonymous_ids))
    subject = id_hash(secret, customer_id)
    hashes = [(id_hash(secret, v), kind) for kind, values in ids.by_kind().items() for v in sorted(values)]
    with store.transaction():
        for table, (where, params) in data["selections"].items():
            result.rows_deleted[table] = person.delete(store, table, where, params)
        result.rows_deleted["quarantine"] = person.delete_rowids(store, "quarantine", data["quarantine_rowids"])
        result.persona_quotes_removed = person.remove_persona_quotes(store, ids.feedback_texts)
        person.remove_text_models(store, ids.feedback_texts)  # vocabularies hold n-grams of their texts
        erasures.record(store, hashes, subject, request_id)
    result.ids_erased = {kind: len(values) for kind, values in ids.by_kind().items() if values}
    result.erased_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    needles = _needles(ids)
    result.report = _refresh_report(store, settings, workspace, needles)
    _publish(store, workspace)
    removed, _ = spool_erase.erase(spool, spool_erase.mentions(ids.values()))
    swept, still = _sweep(store, spool, secret)
    result.spool_lines_removed, result.spool_files_pending = removed + swept, still
    compact.checkpoint(store)
    return result, subject, needles


def sweep(workspace: Path) -> tuple[int, list[str]]:
    """Apply pending spool erasures to files sealed since (call it before loading the spool)."""
    from centric.services.workspace_files import open_store

    with open_store(Path(workspace)) as (_, store):
        return _sweep(store, Path(workspace) / SPOOL_DIR, _secret(workspace))


def _sweep(store, spool: Path, secret: str) -> tuple[int, list[str]]:
    if not spool_erase.pending(spool):
        return 0, []
    hashes = erasures.all_hashes(store)
    return spool_erase.apply_pending(spool, spool_erase.hashed(lambda v: id_hash(secret, v), hashes))


def _needles(ids: person.PersonIds) -> dict[str, str]:
    """Raw strings to look for in files: id -> kind (order ids only when long enough to be telling)."""
    out = {}
    for kind, values in ids.by_kind().items():
        for value in values:
            if len(value) >= MIN_NEEDLE:
                out[value] = kind
    return out


def _refresh_report(store, settings, workspace: Path, needles: dict[str, str]) -> str:
    """The workspace's HTML report, if it names the person: written again without them (or removed)."""
    path = workspace / "report.html"
    if not path.exists() or not _mentions(path, needles):
        return ""
    from centric.services.report import write_report

    try:
        write_report(store, settings, path)
    except Exception:  # noqa: BLE001 - any failure: the old report must not outlive the erasure
        path.unlink(missing_ok=True)
        return "removed (write it again with centric report)"
    if _mentions(path, needles):
        path.unlink()
        return "removed"
    return "rewritten"


def _remove_exports(workspace: Path, subject: str) -> list[str]:
    """Privacy export bundles of this person inside the workspace: their files are deleted."""
    from centric.services.privacy_bundle import BUNDLE_FILE, read_manifest

    removed = []
    for manifest in workspace.rglob(BUNDLE_FILE):
        info = read_manifest(manifest)
        if info is None or info.get("subject_hash") != subject:
            continue
        for name in info.get("files", []):
            target = manifest.parent / Path(name).name
            if target.exists():
                target.unlink()
                removed.append(str(target.relative_to(workspace)))
    return removed


def _mentions(path: Path, needles: dict[str, str]) -> set[str]:
    """Kinds of the needles whose bytes occur in the file (case-insensitive), read in blocks."""
    if not needles:
        return set()
    wanted = {n.lower().encode(): kind for n, kind in needles.items()}
    overlap = max(len(n) for n in wanted)
    found, tail = set(), b""
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            block = tail + chunk.lower()
            found |= {kind for n, kind in wanted.items() if n in block}
            tail = block[-overlap:]
    return found


def residue(workspace: Path, needles: dict[str, str]) -> dict[str, list[str]]:
    """Files of the workspace whose bytes still hold one of the ids: relative path -> kinds of id."""
    out = {}
    for path in sorted(Path(workspace).rglob("*")):
        if path.is_file() and not path.is_symlink():
            kinds = _mentions(path, needles)
            if kinds:
                out[str(path.relative_to(workspace))] = sorted(kinds)
    return out


def _publish(store, workspace: Path) -> None:
    """Republish the whole snapshot (the API's and the dashboard's tables) without the erased person."""
    from centric.services.dashboard_snapshot import publish_all

    publish_all(store, workspace)
