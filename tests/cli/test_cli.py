"""The command line: each command works, errors are one line, every command is documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from centric.cli.main import cli

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "shop"
    result = CliRunner().invoke(cli, ["init", "--workspace", str(path), "--shop-name", "Botiga <b>"])
    assert result.exit_code == 0, result.output
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_ingest_run_sql_report(ws, tmp_path):
    orders = tmp_path / "o.csv"
    orders.write_text("order_id,customer_id,ordered_at,total\nA1,c1,2024-01-01,10\nA2,c1,2024-02-01,20\n"
                      "A3,c2,2024-02-03,5\nA4,=HYPERLINK(\"x\"),2024-02-04,bad\n")
    r = run("ingest", "orders", orders, "--workspace", ws)
    assert r.exit_code == 0, r.output
    assert "1 rows quarantined" in r.output and "total is not an amount" in r.output
    r = run("run", "--workspace", ws)
    assert r.exit_code == 0 and "customer_summary: 2 rows" in r.output
    r = run("sql", "SELECT customer_id, orders FROM customer_summary ORDER BY 1", "--format", "json", "--workspace", ws)
    assert json.loads(r.output) == [{"customer_id": "c1", "orders": 2}, {"customer_id": "c2", "orders": 1}]
    r = run("sql", "SELECT value FROM quarantine", "--format", "csv", "--workspace", ws)
    assert r.output.splitlines()[1] == "bad"
    r = run("report", "--workspace", ws)
    assert r.exit_code == 0
    html = (ws / "report.html").read_text()
    assert "Botiga &lt;b&gt;" in html and "Botiga <b>" not in html


def test_sql_refuses_writes_and_outside_files(ws):
    for query in ("DELETE FROM orders", "CREATE TABLE x AS SELECT 1", "COPY orders TO '/tmp/x.csv'",
                  "SELECT * FROM read_csv('/etc/passwd')", "ATTACH '/tmp/other.duckdb'"):
        r = run("sql", query, "--workspace", ws)
        assert r.exit_code == 1, query
        assert r.output.startswith("Error: ") and "Traceback" not in r.output
        assert len(r.output.strip().splitlines()) == 1


def test_csv_export_neutralises_formulas(ws, tmp_path):
    (tmp_path / "c.csv").write_text('customer_id,city\nc1,"=1+2"\nc2,@SUM(A1)\nc3,-5\n')
    run("ingest", "customers", tmp_path / "c.csv", "--workspace", ws)
    r = run("sql", "SELECT city FROM customers ORDER BY customer_id", "--format", "csv", "--workspace", ws)
    assert r.output.splitlines()[1:] == ["'=1+2", "'@SUM(A1)", "'-5"]


@pytest.mark.parametrize("args,needle", [
    (["ingest", "orders", "/no/such/file.csv"], "no file matches"),
    (["ingest", "nonsense", "x.csv"], "unknown table"),
    (["ingest", "--preset", "magento", "x.csv"], "unknown preset"),
    (["ingest", "orders", "{file}", "--map", "oops"], "--map takes canonical=source"),
    (["sql", "SELEC 1"], "not valid SQL"),
    (["report"], "no customer summary yet"),
])
def test_user_mistakes_give_one_line_and_exit_1(ws, tmp_path, args, needle):
    f = tmp_path / "f.csv"
    f.write_text("order_id,ordered_at\n1,2024-01-01\n")
    r = run(*[a.replace("{file}", str(f)) for a in args], "--workspace", ws)
    assert r.exit_code == 1
    assert needle in r.output and "Traceback" not in r.output


def test_not_a_workspace(tmp_path):
    r = run("run", "--workspace", tmp_path / "nothing")
    assert r.exit_code == 1 and "centric init" in r.output


def test_every_command_has_an_example_and_is_documented():
    docs = DOCS.read_text()
    for name, command in cli.commands.items():
        assert "Example" in (command.help or ""), f"centric {name} --help shows no example"
        assert f"## centric {name}" in docs, f"docs/cli.md does not document centric {name}"
