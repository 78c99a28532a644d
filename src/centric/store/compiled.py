"""Compiled SQL, kept: the Ibis backend a DuckDB Store hands out compiles each distinct expression once
per process.

Turning an Ibis expression into SQL costs tens of milliseconds however small the data (Ibis rewrites
the expression graph in Python), and `centric run` compiles about a hundred expressions, most of them
the same as the last run's (a segment's rule, a KPI, the ledger's reads): on a day's new data that
fixed cost was a fifth of an incremental run. `centric run --every` rounds and the server's reads pay
it again each time.

Rule: the SQL of an expression depends only on the expression itself (its operation graph: every
table's name, namespace and schema, every literal and its type), on the SQL dialect, on the row limit
and parameters asked for, and on the two Ibis options the compiler reads (`sql.fuse_selects`,
`sql.default_limit`). The cache key is exactly those: Ibis operations are immutable, hashable and
compare by structure, so an expression built again over the same tables finds the SQL of the first,
while a table recreated with another schema gives a new `DatabaseTable` operation (its schema is part
of it), hence another key, and is compiled again (`Store.ibis().table(name)` reads the schema each
time). A table recreated with the same schema has the same SQL text, which is still right: SQL names
tables, it does not hold them. Expressions over in-memory tables (`ibis.memtable`) are not kept: each
is unique and keeping one would keep its data alive. The cache is bounded (least recently used out)
and shared by every Store of the process under a lock (the server's threads).

Across processes (`persisted`): `centric run` from cron starts a new process each time, and compiling
its ~80 expressions again cost 1.5-2 s of a 13 s incremental run. While a run holds `persisted(file)`,
an expression the process has not compiled yet is looked up by a **digest** that is the same in every
process: a SHA-256 over the operation graph written out canonically (each operation's importable class
name and every argument: child operations by their digests, tables by name, namespace and schema, data
types with all their parameters, literals by their type and repr), the SQL dialect, the row limit, the
bound parameters, `pretty`, the two Ibis options and the Ibis and sqlglot versions. Python's own hash
cannot serve (it differs per process), and Ibis's equality is only available between live objects.
Only values whose text determines them are written out (str, int, float, bool, None, bytes, Decimal,
dates, times, durations, UUIDs, enums, containers of those); an expression holding anything else (an
in-memory table, a Python callable, a class that is not importable by its name such as a Python UDF)
gets no digest and is compiled as before. A builtin UDF is written out by what its SQL uses (function
name, namespace, return type, argument names). The file keeps digests and SQL texts only, the most
recently added first and at most MAX_ENTRIES, with mode 0600 in the workspace (written to a temporary
file, then moved over it); a file not private to this user is not read. An erasure removes it
(services/privacy.py) and keeps a run that has it open, in any thread, from writing it back (an erasure
requested over the API is carried out inside a run). The context is per thread: a run compiles in the
thread that runs it, so two runs of two workspaces in one process keep their own files. A file of another format
or Ibis/sqlglot version, or one that cannot be read, is ignored.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import hashlib
import json
import os
import sys
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

MAX_ENTRIES = 512
#: The persisted file in a workspace folder (services/run.py).
PERSISTED_FILE = "sql_cache.json"
#: The persisted file's format (`persisted`); a file of another is ignored.
FORMAT = 1

_lock = threading.Lock()
_sql: OrderedDict = OrderedDict()
_counts = {"compiled": 0, "reused": 0, "loaded": 0}
_backend_class = None
#: The `persisted` context of the current thread (a run compiles in the thread that runs it), and every
#: active one by file (an erasure in any thread must stop its file from being written back).
_local = threading.local()
_active: dict[Path, list] = {}


class _Persisted:
    """One `persisted` context: what its file held, what the run used, and whether an erasure forgot it."""

    def __init__(self, path: Path, read: dict[str, str]):
        self.path, self.read, self.used, self.forgotten = path, read, {}, False


def compile_counts() -> dict[str, int]:
    """{"compiled": expressions turned into SQL, "reused": compiles served from the cache, "loaded": those
    served from a persisted file} so far in this process (what the tests and benchmarks count)."""
    with _lock:
        return dict(_counts)


def clear() -> None:
    """Forget every kept SQL text (the counts stay)."""
    with _lock:
        _sql.clear()


def duckdb_backend(con):
    """An Ibis DuckDB backend over `con` whose `compile` (used by execute, to_pyarrow and the Store's
    writes) serves SQL from the process's cache."""
    return _class().from_connection(con)


def _class():
    global _backend_class
    if _backend_class is None:
        from ibis.backends.duckdb import Backend

        class CachingBackend(Backend):
            def compile(self, expr, /, *, limit=None, params=None, pretty=False):
                key = _key(self, expr, limit, params, pretty)
                if key is not None:
                    with _lock:
                        sql = _sql.get(key)
                        if sql is not None:
                            _sql.move_to_end(key)
                            _counts["reused"] += 1
                            return sql
                context = getattr(_local, "context", None)
                digest = _persisted_digest(self, expr, limit, params, pretty) if context is not None else None
                sql = context.read.get(digest) if digest is not None else None
                if sql is not None:
                    with _lock:
                        _counts["loaded"] += 1
                        context.used[digest] = sql
                        if key is not None:
                            _keep(key, sql)
                    return sql
                sql = super().compile(expr, limit=limit, params=params, pretty=pretty)
                with _lock:
                    _counts["compiled"] += 1
                    if digest is not None:
                        context.used[digest] = sql
                    if key is not None:
                        _keep(key, sql)
                return sql

        _backend_class = CachingBackend
    return _backend_class


def _keep(key, sql: str) -> None:
    """Keep one SQL text in the process's cache (under the lock), the least recently used out beyond the bound."""
    _sql[key] = sql
    while len(_sql) > MAX_ENTRIES:
        _sql.popitem(last=False)


def _key(backend, expr, limit, params, pretty):
    """The cache key of a compile (module docstring), or None when it is not to be kept."""
    import ibis
    import ibis.expr.operations as ops

    op = expr.op()
    if op.find(ops.InMemoryTable):
        return None
    bound = ()
    if params:
        try:
            bound = tuple(sorted(((p.op(), v) for p, v in params.items()), key=lambda item: repr(item[0])))
            hash(bound)
        except TypeError:  # a value that cannot be a key: compile every time
            return None
    options = (ibis.options.sql.fuse_selects, ibis.options.sql.default_limit)
    try:
        hash(op)
    except TypeError:
        return None
    return (backend.name, backend.dialect, op, limit, bound, pretty, options)


@contextmanager
def persisted(path: Path):
    """Within (in this thread): compiles the process has not kept are looked up in, and added to, the file
    `path` (module docstring). On exit, when this context compiled something the file lacked, the file is
    rewritten with what this context used first, then what it held before, at most MAX_ENTRIES (so a full
    run and an incremental run, which compile partly different expressions, both find theirs); not when
    an erasure removed the file meanwhile (`forget_persisted`). Per thread: two runs in two threads of one
    process keep their own files. Not re-entrant: an inner call in the same thread is a no-op."""
    if getattr(_local, "context", None) is not None:
        yield
        return
    path = Path(path).resolve()
    context = _Persisted(path, _read_file(path))
    with _lock:
        _active.setdefault(path, []).append(context)
    _local.context = context
    try:
        yield
    finally:
        _local.context = None
        with _lock:
            _active[path].remove(context)
            if not _active[path]:
                del _active[path]
            # written under the lock: an erasure in another thread cannot remove the file between this
            # check and the write
            if not context.forgotten and context.used.keys() - context.read.keys():
                kept = {**context.used, **{k: v for k, v in context.read.items() if k not in context.used}}
                _write_file(path, dict(list(kept.items())[:MAX_ENTRIES]))


def forget_persisted(path: Path) -> None:
    """Remove a persisted file (an erasure: compiled SQL may hold literals), and keep any run that has it
    open, in any thread, from writing it back: the next run compiles again and starts a new file."""
    path = Path(path).resolve()
    with _lock:
        for context in _active.get(path, []):
            context.forgotten = True
            context.read, context.used = {}, {}
    path.unlink(missing_ok=True)


def _versions() -> dict:
    import ibis
    import sqlglot

    return {"format": FORMAT, "ibis": ibis.__version__, "sqlglot": sqlglot.__version__}


def _read_file(path: Path) -> dict[str, str]:
    """The file's entries; none when it is missing, unreadable, of another version, or not private to its
    owner (this user, mode 0600 or stricter: SQL from a file others could write is never run)."""
    from centric.private_files import private_file

    if not private_file(path):
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or {k: data.get(k) for k in _versions()} != _versions():
        return {}
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}


def _write_file(path: Path, entries: dict[str, str]) -> None:
    """Written private and atomically (a reader sees the old or the new); a workspace that cannot be
    written keeps working without it."""
    from centric.private_files import write_private_json

    try:
        write_private_json(path, {**_versions(), "entries": entries})
    except OSError:
        pass


class _Unstable(Exception):
    """A value whose text does not determine it in another process: no digest."""


_ATOMS = (str, int, float, bool, type(None), bytes, decimal.Decimal, _dt.date, _dt.time, _dt.timedelta, uuid.UUID)


def _persisted_digest(backend, expr, limit, params, pretty) -> str | None:
    """The digest of a compile (module docstring), or None when the expression holds a value without one."""
    import ibis

    memo: dict[int, str] = {}
    try:
        bound = sorted(f"{_token(p.op(), memo)}={_token(v, memo)}" for p, v in (params or {}).items())
        text = "|".join([_token(expr.op(), memo), backend.name, str(backend.dialect), repr(limit), ";".join(bound),
                         repr(bool(pretty)), repr(ibis.options.sql.fuse_selects),
                         repr(ibis.options.sql.default_limit), json.dumps(_versions(), sort_keys=True)])
    except _Unstable:
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _token(value, memo: dict[int, str]) -> str:
    """Canonical text of one value (an operation, a data type, a schema, a literal, a container)."""
    from ibis.backends import BaseBackend
    from ibis.common.grounds import Annotable
    from ibis.expr.datashape import DataShape

    if isinstance(value, enum.Enum):
        return f"{_class_name(type(value))}.{value.name}"
    if isinstance(value, _ATOMS):
        return f"{type(value).__module__}.{type(value).__qualname__}:{value!r}"
    if isinstance(value, BaseBackend):  # a table's source: SQL names tables, it does not hold them
        return f"backend:{value.name}"
    if isinstance(value, DataShape):  # Scalar, Columnar, Tabular: singletons without arguments
        return f"shape:{_class_name(type(value))}"
    if isinstance(value, Annotable):
        known = memo.get(id(value))
        if known is None:
            args = ",".join(f"{name}={_token(arg, memo)}" for name, arg in zip(value.__argnames__, value.__args__))
            text = f"{_annotable_name(type(value), memo)}({args})"
            known = memo[id(value)] = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        return known
    if isinstance(value, (tuple, list)):
        return f"{type(value).__qualname__}[" + ",".join(_token(v, memo) for v in value) + "]"
    if isinstance(value, Mapping):
        return (f"{type(value).__qualname__}{{"
                + ",".join(f"{_token(k, memo)}:{_token(v, memo)}" for k, v in value.items()) + "}")
    if isinstance(value, frozenset):
        return "frozenset{" + ",".join(sorted(_token(v, memo) for v in value)) + "}"
    raise _Unstable(type(value).__qualname__)


def _class_name(cls) -> str:
    """module.qualname of a class importable by that name in any process; _Unstable otherwise."""
    module = sys.modules.get(cls.__module__)
    found = module
    for part in cls.__qualname__.split("."):
        found = getattr(found, part, None)
    if found is not cls:
        raise _Unstable(cls.__qualname__)
    return f"{cls.__module__}.{cls.__qualname__}"


def _annotable_name(cls, memo) -> str:
    """An operation's class; a builtin UDF's class (made per call, named with a counter) by what its SQL uses."""
    from ibis.expr.operations.udf import InputType

    if getattr(cls, "__input_type__", None) is InputType.BUILTIN and hasattr(cls, "__func_name__"):
        base = next(b for b in cls.__mro__[1:] if b.__module__.startswith("ibis."))
        return (f"udf:{_class_name(base)}:{cls.__func_name__}:{_token(cls.__udf_namespace__, memo)}:"
                f"{_token(cls.dtype, memo)}:{_token(dict(cls.__config__), memo)}:{cls.__argnames__!r}")
    return _class_name(cls)
