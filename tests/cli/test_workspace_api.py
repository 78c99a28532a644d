"""Issue 19: centric.Workspace is the one library object. Every `centric` command (sub-commands of every
group included) is a Workspace method, and the command calls it: the CLI is a shell over the library."""

from __future__ import annotations

import inspect

import click
import pytest

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


@pytest.fixture
def shop(tmp_path):
    from click.testing import CliRunner

    orders = tmp_path / "o.csv"
    orders.write_text("order_id,customer_id,ordered_at,total\nA1,c1,2024-01-01,10\nA2,c1,2024-02-01 18:00,20\n"
                      "A3,c2,2024-02-03,5\nA4,c3,2024-02-01 18:00,7\n")
    ws = Workspace(tmp_path / "shop")
    ws.init(shop_name="Shop")
    ws.ingest("orders", str(orders))
    return ws, CliRunner()


def test_a_method_and_its_command_give_the_same_answer(shop):
    import json

    ws, runner = shop
    got = ws.segment_movement("2024-01-15", "2024-02-01")  # a date alone: the end of that day, as the CLI reads it
    out = runner.invoke(cli, ["segments", "movement", "--from", "2024-01-15", "--to", "2024-02-01", "--format", "json",
                              "-w", str(ws.path)])
    assert out.exit_code == 0, out.output
    assert json.loads(got.to_json(orient="records")) == json.loads(out.output)
    assert got["customers"].sum() == 2  # c1, and c3 whose first order came at 18:00 on the last day
    assert ws.segment_movement("2024-01-15", "2024-02-01 00:00")["customers"].sum() == 1
    sql = "SELECT customer_id, count(*) AS n FROM orders GROUP BY 1 ORDER BY 1"
    out = runner.invoke(cli, ["sql", sql, "--format", "json", "-w", str(ws.path)])
    assert json.loads(ws.sql(sql).to_json(orient="records")) == json.loads(out.output) == [
        {"customer_id": "c1", "n": 2}, {"customer_id": "c2", "n": 1}, {"customer_id": "c3", "n": 1}]


def test_open_holds_one_database_for_several_calls(shop, monkeypatch):
    from centric.services import workspace_files

    ws, _ = shop
    opened = []
    real = workspace_files.open_store

    def counting(path, read_only=False):
        opened.append(read_only)
        return real(path, read_only=read_only)

    monkeypatch.setattr(workspace_files, "open_store", counting)
    with ws.open(read_only=True):
        assert len(ws.sql("SELECT * FROM orders")) == 4 and len(ws.table("orders")) == 4
        assert ws.consent_messages() == []
        with pytest.raises(workspace_files.WorkspaceError, match="read-only"):
            ws.survey_close("nps")  # a write, refused before it starts
        with pytest.raises(workspace_files.WorkspaceError, match="already open"):
            with ws.open():
                pass
    assert opened == [True]
    ws.table("orders")
    assert opened == [True, True]  # outside the block, each call opens (and closes) its own
    with ws.open():
        with pytest.raises(workspace_files.WorkspaceError, match="outside"):
            ws.demo(customers=10)
    assert len(ws.table("orders")) == 4
