"""`centric survey audience` and `link` as a user runs them: a fresh process in which pytz cannot be
imported (a clean install has none; DuckDB needs it to hand a TIMESTAMPTZ to Python)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
BLOCK_PYTZ = """
import sys
class _NoPytz:
    def find_spec(self, name, path=None, target=None):
        if name == "pytz" or name.startswith("pytz."):
            raise ModuleNotFoundError("No module named 'pytz' (blocked: a clean install has none)")
sys.meta_path.insert(0, _NoPytz())
sys.modules.pop("pytz", None)
"""


def _centric(*args, cwd=None) -> subprocess.CompletedProcess:
    code = BLOCK_PYTZ + "from centric.cli.main import cli\ncli(prog_name='centric')\n"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


def test_the_blocker_would_catch_a_timestamptz():
    """The guard of the test below can fail: with pytz blocked, a TIMESTAMPTZ reaching Python crashes."""
    code = BLOCK_PYTZ + "import duckdb\nprint(duckdb.connect().execute('SELECT now()').fetchone())\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "pytz" in out.stderr


@pytest.fixture
def shop(tmp_path):
    from centric.services.surveys import add_survey
    from centric.services.workspace_files import init_workspace, open_store

    folder = tmp_path / "shop"
    init_workspace(folder)
    (tmp_path / "nps.json").write_text(json.dumps({"survey_id": "nps", "kind": "nps",
                                                   "target": {"days_after_order": 7, "min_days_between_asks": 90}}))
    last = dt.datetime(2026, 6, 30, 12)
    # C1 ordered 10 days before the last order (in the 7-13 day window), C2 today, C3 answered last week
    rows = [("C1", "ca", last - dt.timedelta(days=10)), ("C2", "es", last), ("C3", "en", last - dt.timedelta(days=8)),
            ("C4", None, last - dt.timedelta(days=9))]
    with open_store(folder) as (settings, store):
        add_survey(store, settings, tmp_path / "nps.json")
        for customer, language, at in rows:
            store.con.execute("INSERT INTO customers (customer_id, language) VALUES (?, ?)", [customer, language])
            store.con.execute("INSERT INTO customer_summary (customer_id, last_order_at, rfm_segment) VALUES (?, ?, ?)",
                              [customer, at, "loyal"])
            # an e-mail audience holds only customers with marketing consent (docs/privacy.md)
            store.con.execute("INSERT INTO consents VALUES (?, 'marketing', true, ?, 'checkout')",
                              [customer, last - dt.timedelta(days=100)])
        store.con.execute("INSERT INTO orders (order_id, customer_id, ordered_at, status, total) "
                          "VALUES ('O1', 'C2', ?, 'completed', 10)", [last])
        store.con.execute("INSERT INTO feedback (feedback_id, customer_id, received_at, source, survey_id, rating) "
                          "VALUES ('f3', 'C3', ?, 'survey', 'nps', 9)", [last - dt.timedelta(days=2)])
    return folder


def test_audience_runs_without_pytz(shop):
    out = _centric("survey", "audience", "nps", "--workspace", shop)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["customer_id"] for r in rows] == ["C1", "C4"]
    assert rows[0]["last_order_at"].startswith("2026-06-20")


def test_audience_links_are_signed_for_one_send(shop):
    from centric.services.surveys import Answer, check_link, workspace_secret

    out = _centric("survey", "audience", "nps", "--links", "--valid-days", "14", "--base-url", "https://shop.example/c",
                   "--workspace", shop)
    assert out.returncode == 0, out.stderr
    send = next(line for line in out.stderr.splitlines() if line.startswith("send id:")).rsplit(" ", 1)[-1]
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(rows) == 2
    secret = workspace_secret(shop)
    for row in rows:
        query = {k: v[0] for k, v in parse_qs(urlsplit(row["link"]).query).items()}
        assert row["link"].startswith("https://shop.example/c/s/nps?") and query["n"] == send
        assert query["c"] == row["customer_id"] and 13.9 * 86_400 < int(query["e"]) - time.time() <= 14 * 86_400
        check_link(secret, Answer("nps", customer_id=query["c"], token=query["t"], expires=int(query["e"]),
                                  send=query["n"]))
    assert "lang=ca" in rows[0]["link"] and "lang" not in rows[1]["link"]


def test_link_command_uses_the_configured_validity(shop):
    (shop / "centric.toml").write_text((shop / "centric.toml").read_text().replace("link_days = 30", "link_days = 3"))
    out = _centric("survey", "link", "nps", "--customer", "C1", "--score", "9", "--workspace", shop)
    assert out.returncode == 0, out.stderr
    query = parse_qs(urlsplit(out.stdout.strip()).query)
    assert 2.9 * 86_400 < int(query["e"][0]) - time.time() <= 3 * 86_400 and query["score"] == ["9"]
