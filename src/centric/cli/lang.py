"""The language of the command line's own messages (what a user reads after running a command).

Rule: the workspace's `language` in centric.toml (`centric init --lang ca`) when the workspace exists,
else the LANGUAGE / LC_ALL / LC_MESSAGES / LANG environment (POSIX order: 'ca_ES.UTF-8' -> ca), else
English. Command help (--help) stays English; messages and errors follow this language.
"""

from __future__ import annotations

import os

from centric.i18n import normalise, translator


def env_language() -> str | None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        for part in value.split(":"):  # LANGUAGE may list several, best first
            code = normalise(part.split(".")[0])
            if code:
                return code
    return None


def ui_language(workspace=None) -> str:
    """The language to talk to the user in, for the workspace folder given (or the default one)."""
    from centric.config import CONFIG_FILE, ConfigError, Settings, resolve_workspace

    try:
        config = resolve_workspace(workspace) / CONFIG_FILE
        if config.exists():
            return Settings.load(config).language
    except (ConfigError, OSError, ValueError):
        pass
    return env_language() or "en"


def gettext_for(workspace=None):
    """`_` for the command's messages."""
    return translator(ui_language(workspace)).gettext
