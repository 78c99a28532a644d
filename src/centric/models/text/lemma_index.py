"""simplemma's dictionaries as an on-disk index: a few lookups without decoding a whole word list.

simplemma keeps a language's dictionary as a compressed front-coded stream; its default factory
decodes all of it (0.16 s of CPU for en, 0.5-0.7 s for ca, es, pt; measured 2026-12-01) before the
first lookup. `IndexedDictionaryFactory` answers `get_dictionary(lang)` (simplemma's
`DictionaryFactory` protocol) with a read-only mapping backed by a sqlite file (stdlib) holding the
same key -> value bytes, one file per language, simplemma version and format. Only the storage
differs: the strategies are simplemma's own (lemmas.py builds `simplemma.Lemmatizer` on it), keys are
encoded and values decoded exactly as simplemma's `MappingStrToByteString` does, so every answer is
simplemma's.

When each path is used (a rent-or-buy rule, ski rental: once an index exists, never more than twice the
cheaper of the two; the process that builds it pays decoding and building, once per machine and version):
- an index file exists and is valid: lookups go to it (about 6-7 us each against about 0.85 us to
  decode one entry, so `SWITCH_RATIO` = 8); once a language has had a count of entries / 8 lookups
  (what decoding would have cost), the mapping loads simplemma's in-memory dictionary (the shared
  `DEFAULT_DICTIONARY_FACTORY`, the one plain `simplemma.lemmatize` uses) and answers from it: a full
  listening fit reading thousands of texts ends up in memory, an incremental run with 5 new words never
  decodes a dictionary;
- no valid index: the dictionary is decoded in memory, as simplemma does, and the index is written from
  it (once per machine, simplemma version and language: in practice during the first full listening fit,
  the first process that decodes the dictionary; 0.4 s of CPU for en, 1.4-2.1 s for ca, es, pt). A file
  is written to a temporary name in the same folder and renamed over the final one (os.replace), so
  processes building at the same time each leave a whole file and readers never see a partial one.
- A file is trusted only if its meta (format, simplemma version, language) matches, its rows are as many
  as its meta says (counting them costs about 10 ms for es) and its size is what sqlite's page count says;
  otherwise it is rebuilt. A sqlite error during a lookup drops the
  file (deleted, rebuilt by the next process that decodes) and answers from memory. sqlite keeps no
  checksum of its rows: a bit flipped inside a row by the disk would go unnoticed (as it would in any
  cache file); a truncated, foreign or half-written file does not.

The folder (disk_cache.py): `$CENTRIC_CACHE_DIR` if set (empty: no disk cache), else
`$XDG_CACHE_HOME/centric`, else `~/.cache/centric`; created with mode 0700, files 0600. A folder owned by
another user or open to others is not used; one that cannot be created or written falls back to simplemma's in-memory
dictionaries silently (an existing valid index in a read-only folder is still read). The four languages'
files take 75 MB (en 4.9, ca 18.6, es 24.2, pt 27.1).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from centric.models.text.disk_cache import CACHE_ENV, cache_dir, drop as _drop, usable_dir  # noqa: F401

#: Bump when the file's layout changes (older files are then ignored and rebuilt).
FORMAT = 1
#: An index lookup costs about this many times what decoding one dictionary entry costs (2026-12-01, this
#: machine: 5.8-7.3 us a lookup, 0.74-0.86 us an entry decoded, en/es/ca/pt); a language's mapping moves to
#: memory after entries // SWITCH_RATIO lookups.
SWITCH_RATIO = 8
#: Temporary files left by a killed build are removed by a later build once this old (seconds).
STALE_TEMP = 3600


@lru_cache(maxsize=1)
def simplemma_version() -> str:
    """simplemma's installed version, as lemmas.version() reads it (that module imports this one)."""
    from importlib import metadata

    try:
        return metadata.version("simplemma")
    except metadata.PackageNotFoundError:  # pragma: no cover - simplemma is a dependency
        return ""


def index_path(folder: Path, lang: str, version: str | None = None) -> Path:
    version = simplemma_version() if version is None else version
    return folder / f"simplemma-{version}-{lang}.f{FORMAT}.sqlite"


def open_index(path: Path, lang: str, version: str | None = None) -> tuple[sqlite3.Connection, int] | None:
    """(read-only connection, entry count) of a valid index file, or None (missing, foreign, truncated,
    of another version or format, not ours, readable by others)."""
    version = simplemma_version() if version is None else version
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    con = None
    try:
        # immutable: the file is never written in place (a new one replaces it), so no locking is needed
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                              check_same_thread=False)
        meta = dict(con.execute("SELECT key, value FROM meta"))
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        count = int(meta.get("count", "-1"))
        if (meta.get("format") != str(FORMAT) or meta.get("simplemma") != version or meta.get("lang") != lang
                or count <= 0 or pages * page_size != info.st_size
                or con.execute("SELECT count(*) FROM entries").fetchone()[0] != count):
            con.close()
            return None
        return con, count
    except (sqlite3.Error, ValueError, TypeError):
        if con is not None:
            con.close()
        return None


def build_index(folder: Path, lang: str, entries: Mapping[bytes, bytes], version: str | None = None) -> Path | None:
    """Write the index of `entries` (simplemma's decoded bytes -> bytes dictionary) for `lang`: to a
    temporary file in `folder`, then renamed over the final name. None when it could not be written."""
    version = simplemma_version() if version is None else version
    final = index_path(folder, lang, version)
    _remove_stale_temps(folder)
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=folder)  # mode 0600
        os.close(handle)
    except OSError:
        return None
    try:
        con = sqlite3.connect(temp)
        try:
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            con.execute("CREATE TABLE entries(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID")
            con.executemany("INSERT INTO entries VALUES (?, ?)", sorted(entries.items()))
            con.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("format", str(FORMAT)), ("simplemma", version), ("lang", lang), ("count", str(len(entries)))])
            con.commit()
        finally:
            con.close()
        os.chmod(temp, 0o600)
        os.replace(temp, final)
        return final
    except (OSError, sqlite3.Error):
        try:
            os.unlink(temp)
        except OSError:
            pass
        return None


def _remove_stale_temps(folder: Path) -> None:
    now = time.time()
    try:
        for path in folder.glob(".simplemma-*.tmp"):
            try:
                if now - path.stat().st_mtime > STALE_TEMP:
                    path.unlink()
            except OSError:
                pass
    except OSError:
        pass


def _in_memory(lang: str):
    from simplemma.strategies.dictionaries.dictionary_factory import DEFAULT_DICTIONARY_FACTORY

    return DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)


class IndexedDictionary(Mapping):
    """simplemma's dictionary of one language, read from an index file until `budget` lookups, then from
    simplemma's in-memory dictionary. Keys and values as simplemma's MappingStrToByteString: key.encode(),
    value.decode()."""

    __slots__ = ("_lang", "_path", "_con", "_count", "_budget", "_memory", "_lock", "lookups")

    def __init__(self, lang: str, path: Path, con: sqlite3.Connection, count: int, budget: int):
        self._lang, self._path, self._con, self._count, self._budget = lang, path, con, count, budget
        self._memory = None
        self._lock = threading.Lock()
        self.lookups = 0

    @property
    def in_memory(self) -> bool:
        return self._memory is not None

    def _to_memory(self, drop: bool = False) -> None:
        with self._lock:
            if self._memory is None:
                self._memory = _in_memory(self._lang)
                if self._con is not None:
                    self._con.close()
                    self._con = None
                if drop:
                    _drop(self._path)

    def get(self, key, default=None):
        memory = self._memory
        if memory is not None:
            return memory.get(key, default)
        encoded = key.encode()  # raises where simplemma's key.encode() raises
        self.lookups += 1
        if self.lookups > self._budget:
            self._to_memory()
            return self._memory.get(key, default)
        try:
            with self._lock:
                if self._con is None:
                    raise sqlite3.Error("closed")
                row = self._con.execute("SELECT v FROM entries WHERE k = ?", (encoded,)).fetchone()
        except sqlite3.Error:
            self._to_memory(drop=True)
            return self._memory.get(key, default)
        return row[0].decode() if row is not None else default

    def __getitem__(self, key):
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key) -> bool:
        return self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        self._to_memory()
        return iter(self._memory)

    def __len__(self) -> int:
        return len(self._memory) if self._memory is not None else self._count


class IndexedDictionaryFactory:
    """simplemma `DictionaryFactory` reading the on-disk index where a valid one exists (see the module's
    docstring for when each path is used). `folder` None: the cache folder (`cache_dir`); `folder` False:
    no disk cache at all (simplemma's in-memory dictionaries)."""

    def __init__(self, folder: Path | None | bool = None, switch_ratio: int = SWITCH_RATIO):
        self._folder_arg = folder
        self._switch_ratio = switch_ratio
        self._dictionaries: dict[str, Mapping] = {}
        self._lock = threading.Lock()
        self.built: list[str] = []

    def _folder(self) -> tuple[Path | None, bool]:
        if self._folder_arg is False:
            return None, False
        return usable_dir(cache_dir() if self._folder_arg is None else Path(self._folder_arg))

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        found = self._dictionaries.get(lang)
        if found is not None:
            return found
        with self._lock:
            found = self._dictionaries.get(lang)
            if found is None:
                found = self._dictionaries[lang] = self._open(lang)
        return found

    def _open(self, lang: str) -> Mapping[str, str]:
        from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

        if lang not in SUPPORTED_LANGUAGES:
            return _in_memory(lang)  # raises simplemma's own ValueError
        folder, writable = self._folder()
        if folder is not None:
            path = index_path(folder, lang)
            opened = open_index(path, lang)
            if opened is not None:
                con, count = opened
                return IndexedDictionary(lang, path, con, count, budget=count // self._switch_ratio)
        memory = _in_memory(lang)
        if folder is not None and writable:
            entries = getattr(memory, "_dict", None)  # simplemma's MappingStrToByteString: bytes -> bytes
            if isinstance(entries, dict) and build_index(folder, lang, entries) is not None:
                self.built.append(lang)
        return memory
