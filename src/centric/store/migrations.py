"""Create the canonical tables and upgrade older workspaces without losing data.

The schema version lives in `_centric_meta`. Upgrades are of two kinds: numbered steps in
MIGRATIONS for changes that need care, and the additive step that adds any column the
schema declares and the database lacks (new columns are nullable, so old rows keep their data).
"""

from __future__ import annotations

from centric.schema import ALL_TABLES, Table
from centric.store.sqltext import ident
from centric.store.transactions import StoreError, transaction

SCHEMA_VERSION = 8

# version -> list of SQL statements run to reach that version from the one before.
# 2: the customer-value tables (created like every declared table; nothing to move)
# 8: fx_rates, order_charges, order_reversals (new tables); orders' money columns (added)
# 7: cohorts (new table)
# 6: kpis (new table)
# 5: journey_stages, stage_transitions, journey_drivers (new tables)
# 4: customer_profiles, segments, segment_members, personas, customer_personas (new tables)
MIGRATIONS: dict[int, list[str]] = {1: [], 2: []}


def create_table_sql(table: Table) -> str:
    cols = ", ".join(f"{ident(c.name)} {c.sql_type}" for c in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {ident(table.name)} ({cols})"


def current_version(con) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = '_centric_meta'"
    ).fetchone()[0]
    if not exists:
        return 0
    row = con.execute("SELECT value FROM _centric_meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con) -> int:
    """Bring the database to SCHEMA_VERSION; return the version it was at."""
    before = current_version(con)
    if before > SCHEMA_VERSION:
        raise StoreError(
            f"this workspace has schema version {before}, newer than this centric ({SCHEMA_VERSION}): upgrade centric"
        )
    with transaction(con):
        con.execute("CREATE TABLE IF NOT EXISTS _centric_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute(
            "CREATE TABLE IF NOT EXISTS _ingest_log (source_file VARCHAR, table_name VARCHAR, "
            "fingerprint VARCHAR, rows_read BIGINT, loaded BIGINT, updated BIGINT, unchanged BIGINT, "
            "quarantined BIGINT, ingested_at TIMESTAMP)"
        )
        for table in ALL_TABLES.values():
            con.execute(create_table_sql(table))
        for version in range(before + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS.get(version, []):
                con.execute(statement)
        _add_missing_columns(con)
        con.execute(
            "INSERT OR REPLACE INTO _centric_meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
    return before


def _add_missing_columns(con) -> None:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    present = {(t, c) for t, c in rows}
    for table in ALL_TABLES.values():
        for col in table.columns:
            if (table.name, col.name) not in present:
                con.execute(f"ALTER TABLE {ident(table.name)} ADD COLUMN {ident(col.name)} {col.sql_type}")
