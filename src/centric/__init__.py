"""centric: customer-centric analytics for online shops, on one laptop.

`centric.Workspace(path)` is the Python API; it imports its heavy libraries only when used.
"""

from __future__ import annotations

from centric._version import __version__

__all__ = ["Workspace", "__version__"]


def __getattr__(name: str):
    if name == "Workspace":
        from centric.workspace import Workspace

        return Workspace
    raise AttributeError(f"module 'centric' has no attribute {name!r}")
