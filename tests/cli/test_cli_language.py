"""The command line speaks the workspace's language: `centric init --lang ca` stores it, the messages a
command prints after it runs and its one-line errors follow it, and `centric report --lang` writes the
report in the language asked for, with a matching <html lang>."""

from __future__ import annotations

import re

from click.testing import CliRunner

from centric.cli.main import cli


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def test_init_lang_sets_the_messages_and_the_report(tmp_path):
    ws = tmp_path / "botiga"
    r = run("init", "--workspace", ws, "--lang", "ca", "--currency", "EUR")
    assert r.exit_code == 0 and "Espai de treball a punt" in r.output
    assert 'language = "ca"' in (ws / "centric.toml").read_text()
    orders = tmp_path / "o.csv"
    orders.write_text("order_id,customer_id,ordered_at,total\nA1,c1,2024-01-01,1234.56\nA2,c1,2024-02-01,20\n"
                      "A3,c2,2024-02-03,5\n")
    assert run("ingest", "orders", orders, "--workspace", ws).exit_code == 0
    assert run("run", "--workspace", ws).exit_code == 0
    r = run("report", "--workspace", ws)
    assert r.exit_code == 0 and "Informe desat a" in r.output
    html = (ws / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ca">' in html and "Índex" in html and "Vendes per mes" in html
    assert re.search(r"1\.2\d\d(,\d\d)?\xa0€", html), "money reads the Catalan way"
    r = run("report", "--workspace", ws, "--lang", "es", "-o", tmp_path / "es.html")
    assert r.exit_code == 0 and "Informe desat a" in r.output  # the message follows the workspace
    spanish = (tmp_path / "es.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in spanish and "Ventas por mes" in spanish and "Vendes per mes" not in spanish


def test_errors_follow_the_workspace_language(tmp_path):
    ws = tmp_path / "botiga"
    assert run("init", "--workspace", ws, "--lang", "es").exit_code == 0
    r = run("ingest", "orders", tmp_path / "missing.csv", "--workspace", ws)
    assert r.exit_code == 1 and re.search(r"^Error: no file matches", r.output, re.M)
    pt = tmp_path / "loja"
    assert run("init", "--workspace", pt, "--lang", "pt").exit_code == 0
    r = run("ingest", "orders", tmp_path / "missing.csv", "--workspace", pt)
    assert r.exit_code == 1 and re.search(r"^Erro: no file matches", r.output, re.M)
    assert not re.search(r"^Error: ", r.output, re.M)


def test_without_lang_the_environment_decides(tmp_path):
    r = run("init", "--workspace", tmp_path / "a", env={"LANG": "pt_PT.UTF-8", "LANGUAGE": "", "LC_ALL": "",
                                                         "LC_MESSAGES": ""})
    assert r.exit_code == 0 and "Espaço de trabalho pronto" in r.output
    assert 'language = "pt"' in (tmp_path / "a" / "centric.toml").read_text()
    r = run("init", "--workspace", tmp_path / "b", env={"LANG": "C.UTF-8", "LANGUAGE": "", "LC_ALL": "",
                                                         "LC_MESSAGES": ""})
    assert 'language = "en"' in (tmp_path / "b" / "centric.toml").read_text() and "Workspace ready" in r.output
