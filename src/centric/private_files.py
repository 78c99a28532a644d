"""Files readable by their owner only: the one check and the one atomic writer every layer uses (the
workspace's keys and request status, the SQL kept between runs, the text models' cache)."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def private_file(path: Path) -> bool:
    """True when `path` is a regular file of this user that no one else can read or write."""
    try:
        info = os.stat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def write_private_json(path: Path, data) -> None:
    """Write JSON readable by its owner only (0600), replaced atomically and fsync'd: a reader sees the
    old file or the new one, never half of one (keys.json, a privacy request's status.json)."""
    import json
    import secrets

    path = Path(path)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
