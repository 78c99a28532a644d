"""centric listen on a small demo workspace: the tables are written, consistent and escaped in the CLI."""

import json

import pytest
from click.testing import CliRunner

from centric.cli.main import cli


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_shop):
    """A copy of the session's demo shop (made with `centric demo`, tests/conftest.py): `listen` rewrites it."""
    import shutil

    folder = tmp_path_factory.mktemp("listen") / "shop"
    shutil.copytree(demo_shop, folder, symlinks=True)
    return folder


def test_listen_writes_insights_scores_drivers(demo):
    result = CliRunner().invoke(cli, ["listen", "--workspace", str(demo), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["feedback"] > 500 and set(out["languages"]) <= {"en", "es", "ca", "pt", "none"}
    nps = [s for s in out["scores"] if s["metric"] == "nps"][0]
    assert nps["low"] < nps["value"] < nps["high"]
    assert {m["language"] for m in out["sentiment_models"]} == {"en", "es", "ca", "pt"}
    assert out["drivers"][0]["nps_points_cost"] >= out["drivers"][-1]["nps_points_cost"]
    sql = CliRunner().invoke(cli, ["sql", "SELECT count(*) AS n, count(DISTINCT feedback_id) AS d FROM feedback_insights "
                                   "JOIN feedback USING (feedback_id)", "--workspace", str(demo), "--format", "json"])
    counts = json.loads(sql.output)[0]
    assert counts["n"] == counts["d"] == out["feedback"]


def test_listen_without_feedback_says_what_to_do(tmp_path):
    folder = tmp_path / "empty"
    CliRunner().invoke(cli, ["init", "--workspace", str(folder)])
    result = CliRunner().invoke(cli, ["listen", "--workspace", str(folder)])
    assert result.exit_code == 1 and "centric ingest feedback" in result.output


def test_latin1_feedback_is_quarantined_then_read_and_markup_is_not_interpreted(tmp_path):
    folder = tmp_path / "odd"
    CliRunner().invoke(cli, ["init", "--workspace", str(folder)])
    path = tmp_path / "fb.csv"
    path.write_bytes(b"feedback_id,received_at,text,rating,rating_scale\n"
                     b"F1,2024-01-01,caf\xe9 terrible [bold red]x[/] :smile:,1,stars_1_5\n"
                     b"F2,2024-01-02,\"<script>alert(1)</script> great delivery\",5,stars_1_5\n")
    # read as UTF-8, the Latin-1 line is quarantined with the option that reads it; the other line loads
    assert CliRunner().invoke(cli, ["ingest", "feedback", str(path), "--workspace", str(folder)]).exit_code == 0
    result = CliRunner().invoke(cli, ["sql", "SELECT line, reason FROM quarantine", "--workspace", str(folder),
                                      "--format", "json"])
    [bad] = json.loads(result.output)
    assert bad["line"] == 2 and "--encoding" in bad["reason"]
    assert CliRunner().invoke(cli, ["ingest", "feedback", str(path), "--workspace", str(folder),
                                    "--encoding", "latin-1"]).exit_code == 0
    result = CliRunner().invoke(cli, ["listen", "--workspace", str(folder), "--theme", "delivery", "--no-train"])
    assert result.exit_code == 0, result.output
    assert "<script>alert(1)</script> great delivery" in result.output
    result = CliRunner().invoke(cli, ["sql", "SELECT text FROM feedback WHERE feedback_id = 'F1'", "--workspace",
                                      str(folder), "--format", "json"])
    assert json.loads(result.output)[0]["text"].startswith("café terrible [bold red]x[/] :smile:")


def test_report_listening_section_escapes_what_customers_wrote(demo):
    from centric.services.listen import verbatims
    from centric.services.workspace_files import open_store

    result = CliRunner().invoke(cli, ["listen", "--workspace", str(demo)])
    assert result.exit_code == 0, result.output
    with open_store(demo) as (_, store):
        top = store.query_df("SELECT theme FROM feedback_drivers ORDER BY nps_points_cost DESC LIMIT 1")["theme"][0]
        quoted = verbatims(store, theme=top, sentiment="negative", limit=1)["feedback_id"][0]
        store.con.execute("UPDATE feedback SET text = ? WHERE feedback_id = ?",
                          ['<script>alert("x")</script> late delivery <b>again</b>', quoted])
    result = CliRunner().invoke(cli, ["report", "--workspace", str(demo)])
    assert result.exit_code == 0, result.output
    html = (demo / "report.html").read_text(encoding="utf-8")
    assert 'id="listening"' in html and "Themes that cost NPS points" in html
    assert "&lt;script&gt;alert(" in html and "<script" not in html and "<b>again" not in html


def _shop_with_spanish_reviews_and_catalan_tickets(tmp_path):
    import csv

    import numpy as np

    folder = tmp_path / "botiga"
    assert CliRunner().invoke(cli, ["init", "--workspace", str(folder), "--languages", "es,ca"]).exit_code == 0
    rng = np.random.default_rng(4)
    good, bad = ["excelente", "genial", "perfecto", "rápido", "encantada"], ["roto", "tarde", "horrible", "nunca", "fatal"]
    path = tmp_path / "feedback.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["feedback_id", "received_at", "source", "rating", "rating_scale", "text", "language"])
        for i in range(150):
            stars = int(rng.choice([1, 2, 4, 5]))
            words = " y ".join(rng.choice(good if stars >= 4 else bad, size=2))
            out.writerow([f"R{i}", "2024-03-01", "review", stars, "stars_1_5", f"Pedido {i}: {words}", "es"])
        for i in range(30):
            out.writerow([f"T{i}", "2024-03-02", "ticket", "", "", f"Hola, la comanda {i} encara no ha arribat", "ca"])
    result = CliRunner().invoke(cli, ["ingest", "feedback", str(path), "--workspace", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def test_listen_says_unvalidated_where_no_rated_text_backs_a_figure(tmp_path):
    folder = _shop_with_spanish_reviews_and_catalan_tickets(tmp_path)
    result = CliRunner().invoke(cli, ["listen", "--workspace", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {(m["language"], m["source"]): m for m in json.loads(result.output)["sentiment_models"]}
    assert set(rows) == {("es", "all"), ("es", "review"), ("ca", "all"), ("ca", "ticket")}
    es, ca = rows[("es", "all")], rows[("ca", "all")]
    assert es["validated"] and es["n_test"] >= 10 and 0 < es["expected_f1"] <= 1
    assert rows[("es", "review")]["expected_f1"] == es["expected_f1"]
    for row in (ca, rows[("ca", "ticket")]):
        assert not row["validated"] and row["expected_f1"] is None and row["aspect_agreement"] is None
        assert row["reading"] == "cold_start" and row["n_test"] == 0
    assert rows[("ca", "ticket")]["texts"] == 30 and rows[("ca", "ticket")]["rated_texts"] == 0

    table = CliRunner().invoke(cli, ["listen", "--workspace", str(folder)], env={"COLUMNS": "160"})
    assert table.exit_code == 0, table.output
    lines = {line.split("│")[1].strip(): line for line in table.output.splitlines() if line.count("│") > 5}
    assert "unvalidated" in lines["ca · ticket"] and "unvalidated" in lines["ca"]
    assert "unvalidated" not in lines["es"].split("│")[5] and f"{es['expected_f1']:.3f}" in lines["es"]
