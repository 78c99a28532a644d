"""Personas and segments on the demo shop: the planted personas are recovered and the cards name them."""

from __future__ import annotations

import json
from html import escape

import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

from centric.cli.main import cli
from centric.demo.personas import PERSONAS
from centric.services.workspace_files import open_store


@pytest.fixture(scope="module")
def demo(demo_shop):
    path = demo_shop  # run_demo ran every analysis, personas included
    with open_store(path) as (_, store):
        members = store.query_df("SELECT * FROM customer_personas")
        cards = [json.loads(c) for c in store.query_df("SELECT card FROM personas ORDER BY persona_id")["card"]]
    truth = pd.read_csv(path / "ground_truth" / "customers.csv")[["customer_id", "persona"]]
    return path, truth.merge(members, on="customer_id", how="left"), cards


def test_planted_personas_are_recovered(demo):
    from tests.consent_checks import EVER_GRANTED

    path, joined, cards = demo
    with open_store(path) as (_, store):
        consenting = set(store.query_df(EVER_GRANTED)["customer_id"])
    has = joined["customer_id"].isin(consenting)
    assert 0 < (~has).sum() < has.sum()
    # every customer who granted analytics has a persona; nobody who refused it has one
    assert joined.loc[has, "persona_id"].notna().all() and joined.loc[~has, "persona_id"].isna().all()
    assert len(cards) == len(PERSONAS)
    joined = joined[has]
    assert adjusted_rand_score(joined["persona"], joined["persona_id"]) >= 0.8


def test_each_card_names_its_planted_traits_and_themes(demo):
    _, joined, cards = demo
    majority = joined.groupby("persona_id")["persona"].agg(lambda s: s.value_counts().index[0])
    planted = {p.key: p for p in PERSONAS}
    for card in cards:
        p = planted[majority[card["persona_id"]]]
        tags = {t["value"] for t in card["lifestyle"]["tags"]}
        assert len(tags & set(p.tags)) >= min(2, len(p.tags)), (p.key, tags)
        assert not tags - set(p.tags), (p.key, tags)  # no trait of another persona
        themes = [t["theme"] for t in card["voice"]["themes"]]
        assert set(themes[:2]) <= set(p.themes), (p.key, themes)
        categories = {c["value"] for c in card["habits"]["categories"]}
        assert categories & set(p.categories)
        assert card["quotes"] and all(q["text"] for q in card["quotes"])
        for tag in list(tags)[:1]:
            assert tag in card["summary"]


def test_shares_add_up_and_sizes_match_members(demo):
    _, joined, cards = demo
    sizes = joined["persona_id"].value_counts()
    for card in cards:
        assert card["customers"] == sizes[card["persona_id"]]
    assert sum(c["customer_share"] for c in cards) == pytest.approx(1.0, abs=1e-3)
    assert sum(c["revenue_share"] for c in cards) == pytest.approx(1.0, abs=1e-3)


def test_report_and_exports_show_the_cards_escaped(demo, tmp_path):
    path, _, cards = demo
    html = (path / "report.html").read_text(encoding="utf-8")
    assert 'id="personas"' in html and escape(cards[0]["name"]) in html
    assert 'id="kpis"' in html and 'id="listening"' in html and "<script" not in html
    hostile = dict(cards[0], name="<script>alert(1)</script>",
                   quotes=[{"text": "<img src=x onerror=alert(1)> | **bold**", "language": "en", "theme": None}])
    from centric.report.personas import to_html, to_markdown

    for text in (to_html([hostile]), to_markdown([hostile])):
        assert "<script>" not in text and "<img" not in text and "&lt;img" in text
    for suffix in ("md", "html", "json"):
        out = tmp_path / f"cards.{suffix}"
        result = CliRunner().invoke(cli, ["personas", "-w", str(path), "--clusters", "5", "--export", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000


def test_rfm_segments_are_kept_with_history(demo):
    path, _, _ = demo
    with open_store(path) as (_, store):
        seg = store.query_df("SELECT * FROM segments WHERE kind = 'rfm'")
        summary = store.query_df("SELECT rfm_segment, count(*) AS n FROM customer_summary GROUP BY 1")
    got = dict(zip(seg["segment"].str.removeprefix("rfm:"), seg["customers"]))
    want = dict(zip(summary["rfm_segment"], summary["n"]))
    assert {k: v for k, v in got.items() if v} == want


def test_rule_segment_membership_history_and_safe_export(demo, tmp_path):
    path, _, _ = demo
    run = CliRunner().invoke
    rule = json.dumps({"all": [{"field": "language", "op": "=", "value": "ca"},
                               {"field": "orders", "op": ">=", "value": 3}]})
    preview = run(cli, ["segments", "preview", "-w", str(path), "--rule", rule, "--format", "json"])
    assert preview.exit_code == 0, preview.output
    n = json.loads(preview.output)["customers"]
    with open_store(path) as (_, store):
        want = store.query_df("SELECT count(*) AS n FROM customer_profiles WHERE language = 'ca' AND orders >= 3")
    assert n == int(want["n"][0]) > 0
    created = run(cli, ["segments", "create", "Catalan regulars", "-w", str(path), "--rule", rule])
    assert created.exit_code == 0, created.output
    again = run(cli, ["segments", "create", "Catalan regulars", "-w", str(path), "--rule", rule])
    assert again.exit_code == 1 and "--replace" in again.output
    narrower = json.dumps({"all": [{"field": "language", "op": "=", "value": "ca"},
                                   {"field": "orders", "op": ">=", "value": 5}]})
    replaced = run(cli, ["segments", "create", "Catalan regulars", "-w", str(path), "--rule", narrower, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    with open_store(path) as (_, store):
        history = store.query_df("SELECT * FROM segment_members WHERE segment = 'Catalan regulars'")
        now = store.query_df("SELECT count(*) AS n FROM customer_profiles WHERE language = 'ca' AND orders >= 5")
        row = store.query_df("SELECT * FROM segments WHERE segment = 'Catalan regulars'").iloc[0]
    current = history[history["left_at"].isna()]
    assert len(current) == int(now["n"][0]) == row["customers"]
    assert len(history) == n and int(history["left_at"].notna().sum()) == n - len(current) == row["left"]
    # a customer whose e-mail starts with = is exported as text, not as a formula
    with open_store(path) as (_, store):
        store.con.execute("UPDATE customers SET email = '=HYPERLINK(\"http://x\")' WHERE customer_id = ?",
                          [current["customer_id"].iloc[0]])
    out = tmp_path / "members.csv"
    exported = run(cli, ["segments", "export", "Catalan regulars", "-w", str(path), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and len(text.strip().splitlines()) == len(current) + 1
    deleted = run(cli, ["segments", "delete", "Catalan regulars", "-w", str(path)])
    assert deleted.exit_code == 0
    with open_store(path) as (_, store):
        assert store.query_df("SELECT count(*) AS n FROM segment_members WHERE segment = 'Catalan regulars' "
                              "AND left_at IS NULL")["n"][0] == 0


def test_segment_and_persona_mistakes_are_one_line_errors(demo):
    path, _, _ = demo
    run = CliRunner().invoke
    bad = run(cli, ["segments", "preview", "-w", str(path), "--rule", '{"field": "ordrs", "op": ">", "value": 1}'])
    assert bad.exit_code == 1 and "did you mean orders" in bad.output and "Traceback" not in bad.output
    bad = run(cli, ["segments", "preview", "-w", str(path), "--rule", "{not json"])
    assert bad.exit_code == 1 and "not valid JSON" in bad.output
    bad = run(cli, ["segments", "members", "nobody", "-w", str(path)])
    assert bad.exit_code == 1 and "centric segments refresh" in bad.output
    bad = run(cli, ["personas", "-w", str(path), "--numeric", "shoe_size"])
    assert bad.exit_code == 1 and "unknown variable shoe_size" in bad.output
    bad = run(cli, ["segments", "movement", "-w", str(path), "--from", "2026-10-01", "--to", "2026-01-01"])
    assert bad.exit_code == 1 and "must come before" in bad.output


def test_the_python_api_does_what_the_cli_does(demo):
    import centric

    path, joined, _ = demo
    ws = centric.Workspace(path)
    got = ws.segment_preview({"field": "tags", "op": "contains", "value": "vegan"})
    with open_store(path) as (_, store):
        want = store.query_df("SELECT count(*) AS n FROM customer_profiles WHERE list_contains(tags, 'vegan')")
    assert got.customers == int(want["n"][0]) > 0
    table = ws.create_segment("Vegans", {"field": "tags", "op": "contains", "value": "vegan"})
    assert int(table.set_index("segment").loc["Vegans", "customers"]) == got.customers
    assert len(ws.segment_members("Vegans")) == got.customers
    cards = ws.personas(n_clusters=5, seed=1).cards  # the PersonaResult, as `centric personas` prints it
    again = ws.table("customer_personas").merge(joined[["customer_id", "persona_id"]], on="customer_id")
    assert len(cards) == 5
    assert adjusted_rand_score(again["persona_id_x"], again["persona_id_y"]) >= 0.9  # another seed, same personas


def test_names_are_unique_follow_the_members_and_stability_is_stored(demo):
    import re

    from centric.models.segmentation.naming import age_band_of

    path, _, cards = demo
    names = [c["name"] for c in cards]
    assert len(set(names)) == len(names), names
    for card in cards:
        band = re.search(r"\d\d-\d\d|65\+", card["name"])
        if band:  # the band named holds the members' median age
            assert band.group(0) == age_band_of(card["demographics"]["age_median"]), card["name"]
        assert card["stability"]["jaccard"] >= 0.75 and card["stability"]["note"]
    with open_store(path) as (_, store):
        stored = store.query_df("SELECT stability, stability_note FROM personas")
    assert stored["stability"].notna().all() and stored["stability_note"].str.startswith("Stable").all()
