"""The per-user cache folder of the text models (lemma_index.py: simplemma's dictionaries as index files;
language.py: py3langid's model as plain arrays): derived files only, each rebuilt from what the packages
ship when missing or not trusted.

`$CENTRIC_CACHE_DIR` if set (empty: no disk cache), else `$XDG_CACHE_HOME/centric`, else `~/.cache/centric`.
The folder is created with mode 0700 (files 0600); a folder owned by another user, not a folder, or open
to others (any group or other permission bit) is not used: the old in-memory paths then run, silently.
Files are written under a temporary name in the folder and renamed over the final one, so processes
writing at once each leave a whole file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

CACHE_ENV = "CENTRIC_CACHE_DIR"


def cache_dir() -> Path | None:
    """The per-user cache folder (not created here); None when disabled (`CENTRIC_CACHE_DIR` set empty)."""
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return Path(env).expanduser() if env.strip() else None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "centric"
    try:
        return Path.home() / ".cache" / "centric"
    except RuntimeError:  # no home directory
        return None


def usable_dir(folder: Path | None) -> tuple[Path | None, bool]:
    """(folder, writable) for `folder`, created 0700 when missing; (None, False) when it cannot be used:
    not creatable, not a directory, owned by another user, or open to others (group or other bits)."""
    if folder is None:
        return None, False
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return None, False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        return None, False
    if info.st_mode & 0o077:  # never changed here: CENTRIC_CACHE_DIR=/tmp must not close /tmp
        return None, False
    return folder, os.access(folder, os.W_OK | os.X_OK)


def private_file(path: Path) -> bool:
    """True when `path` is a regular file of this user that no one else can read or write."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def drop(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
