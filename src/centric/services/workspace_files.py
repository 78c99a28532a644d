"""Create and open workspaces: the folder, its centric.toml and its database."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from centric.config import CONFIG_FILE, DATABASE_FILE, Settings
from centric.errors import CentricError
from centric.private_files import write_private_json  # noqa: F401 - its callers import it from here


class WorkspaceError(CentricError):
    """The workspace folder is missing or not a centric workspace."""


def init_workspace(path: Path, settings: Settings | None = None, exist_ok: bool = True) -> Settings:
    """Create the folder, centric.toml and an empty database with every canonical table (on Spark, an
    empty first version of every table under the warehouse; Spark itself starts on first use)."""
    from centric.store.connection import Store

    path.mkdir(parents=True, exist_ok=True)
    config = path / CONFIG_FILE
    if config.exists():
        if not exist_ok:
            raise WorkspaceError(f"{path} is already a workspace")
        settings = Settings.load(config)
    else:
        settings = (settings or Settings()).validate()
        settings.save(config)
    if settings.engine == "spark":
        from centric.store.warehouse import Warehouse, table_schemas

        root = Path(settings.warehouse).expanduser().resolve()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        Warehouse(root).create_empty(table_schemas())
        return settings
    Store(path / DATABASE_FILE, settings.timezone).close()
    return settings


def load_settings(path: Path) -> Settings:
    if not (path / CONFIG_FILE).exists():
        raise WorkspaceError(f"{path} is not a centric workspace: run `centric init --workspace {path}` first")
    return Settings.load(path / CONFIG_FILE)


@contextmanager
def open_store(path: Path, read_only: bool = False):
    """The workspace's settings and an open Store, closed on exit."""
    from centric.store.connection import Store

    settings = load_settings(path)
    if settings.engine == "spark":
        from centric.store.spark_store import SparkStore

        store = SparkStore(settings.warehouse, settings.spark_master, settings.timezone, read_only=read_only)
    else:
        store = Store(path / DATABASE_FILE, settings.timezone, read_only=read_only)
    try:
        yield settings, store
    finally:
        store.close()


def secret_file(path: Path) -> str:
    """The secret kept in `path`, created on first use: 32 random bytes as hex, 0600 from the start (no
    moment readable by others), fsync'd; never printed or logged. Two processes racing to create it
    both read the one that won."""
    import os
    import secrets

    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
        handle.flush()
        os.fsync(handle.fileno())
    return path.read_text().strip()
