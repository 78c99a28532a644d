"""Issue 19: centric.Workspace is the one library object. Every `centric` command (sub-commands of every
group included) is a Workspace method, and the command calls it: the CLI is a shell over the library."""

from __future__ import annotations

import inspect

import click

from centric.cli.main import cli
from centric.workspace import Workspace

# command path -> Workspace method, where the method is not the path joined by "_" ("survey add" ->
# survey_add, "keys create" -> keys_create)
METHOD_OF = {
    "segments list": "segments_refresh",
    "segments preview": "segment_preview",
    "segments create": "create_segment",
    "segments show": "segment_show",
    "segments members": "segment_members",
    "segments export": "segment_export",
    "segments delete": "segment_delete",
    "segments movement": "segment_movement",
}
# an option that is a command of its own
OPTION_METHODS = {("ingest", "--collected"): "ingest_collected"}


def commands(group: click.Group, prefix: tuple[str, ...] = ()):
    """(path, command) of every leaf command under `group`, however deep."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


def method_for(path: str) -> str:
    return METHOD_OF.get(path, path.replace(" ", "_").replace("-", "_"))


def missing_methods(group: click.Group, workspace_class=Workspace) -> list[str]:
    """Commands without a Workspace method, or whose code does not call it."""
    missing = []
    for path, command in commands(group):
        method = method_for(path)
        if not callable(getattr(workspace_class, method, None)):
            missing.append(f"centric {path}: no Workspace.{method}")
        elif f".{method}(" not in inspect.getsource(command.callback):
            missing.append(f"centric {path}: does not call Workspace.{method}")
    return missing


def test_the_walk_reaches_every_group():
    found = {path for path, _ in commands(cli)}
    assert {"init", "survey add", "privacy erase", "keys revoke", "identity split", "segments movement"} <= found
    assert len(found) >= 30 and not any(isinstance(c, click.Group) for _, c in commands(cli))


def test_every_command_is_a_workspace_method():
    assert missing_methods(cli) == []
    assert not set(METHOD_OF) - {path for path, _ in commands(cli)}, "METHOD_OF names a command that is gone"


def test_options_that_are_commands_have_their_method():
    for (path, option), method in OPTION_METHODS.items():
        command = dict(commands(cli))[path]
        assert option in {o for p in command.params for o in p.opts}
        assert callable(getattr(Workspace, method))
        assert f".{method}(" in inspect.getsource(inspect.getmodule(command.callback))


def test_an_unmapped_command_fails():
    @click.group()
    def extra():
        """A group with a command no Workspace method backs."""

    @extra.group()
    def survey():
        pass

    @survey.command("resend")
    def resend():
        Workspace(None).survey_list()

    @extra.command("sql")
    def sql():
        print("works alone, past the Workspace")

    assert missing_methods(extra) == ["centric sql: does not call Workspace.sql",
                                      "centric survey resend: no Workspace.survey_resend"]


def test_every_workspace_method_is_documented():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "python.md").read_text()
    public = [name for name in dir(Workspace) if not name.startswith("_")]
    assert len(public) > 40
    undocumented = [name for name in public if f"ws.{name}" not in docs]
    assert undocumented == [], f"docs/python.md does not document Workspace.{undocumented}"
