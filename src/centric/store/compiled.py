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
"""

from __future__ import annotations

import threading
from collections import OrderedDict

MAX_ENTRIES = 512

_lock = threading.Lock()
_sql: OrderedDict = OrderedDict()
_counts = {"compiled": 0, "reused": 0}
_backend_class = None


def compile_counts() -> dict[str, int]:
    """{"compiled": expressions turned into SQL, "reused": compiles served from the cache} so far in
    this process (what the tests and benchmarks count)."""
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
                sql = super().compile(expr, limit=limit, params=params, pretty=pretty)
                with _lock:
                    _counts["compiled"] += 1
                    if key is not None:
                        _sql[key] = sql
                        while len(_sql) > MAX_ENTRIES:
                            _sql.popitem(last=False)
                return sql

        _backend_class = CachingBackend
    return _backend_class


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
