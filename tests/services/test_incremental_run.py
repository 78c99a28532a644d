"""`centric run` recomputes what changed (services/run_ledger.py, services/incremental.py).

Rules under test, on a small demo shop cut at its last days (benchmarks/incremental_data.py):
- after the last days arrive, an incremental run's deterministic outputs equal a full run's on the same
  data exactly (summary and RFM, profiles' own columns, segment members, journey stages and moves,
  KPIs), the old texts' readings are byte for byte those of the run before, and refitted outputs agree
  within the stated tolerances (CLV, churn risk, persona assignments);
- the run says per step what it did and why, and listening, personas and CLV ran incrementally;
- with nothing new, every step is reused and no output changes;
- drift (many new texts) refits the listening models, and --full refits everything;
- the saved listening readings read texts exactly as the fitted ones (models/text/persist.py).
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from benchmarks.incremental_data import build, compare, load, tables
from centric.services.run_ledger import READS

pytestmark = pytest.mark.slow  # one shared fixture: three runs of a 160-customer shop

COMPILES: dict[str, dict] = {}  # run -> compile counts (store/compiled.py), filled by the fixture
OUTPUTS = ["customer_summary", "customer_value", "feedback_insights", "customer_personas", "personas",
           "journey_stages", "kpis", "segment_members"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(incremental workspace, full-run workspace on the same data, workspace before the new days, result)."""
    from centric import Workspace
    from centric.store import compiled

    folder = tmp_path_factory.mktemp("incremental")
    shop, extra = build(folder, 160, seed=5, days_back=3)
    compiled.clear()
    counts = compiled.compile_counts()
    Workspace(shop).run()
    COMPILES["first"] = _counted(counts)
    shutil.copytree(shop, folder / "before")
    load(shop, extra)
    counts = compiled.compile_counts()
    result = Workspace(shop).run()
    COMPILES["incremental"] = _counted(counts)
    shutil.copytree(shop, folder / "full", ignore=shutil.ignore_patterns("run.lock"))
    full = Workspace(folder / "full").run(full=True)
    return shop, folder / "full", folder / "before", result, full


def _counted(before: dict) -> dict:
    from centric.store.compiled import compile_counts

    return {k: v - before[k] for k, v in compile_counts().items()}


def test_the_repeat_run_compiles_fewer_expressions(runs):
    """The incremental run builds many of the first run's expressions again (a segment's rule, a KPI, the
    ledger's reads): their SQL comes from the process's cache (store/compiled.py), not a new compile."""
    first, incremental = COMPILES["first"], COMPILES["incremental"]
    assert first["compiled"] > 50, first
    assert incremental["reused"] >= 20, incremental
    assert incremental["compiled"] < first["compiled"] / 2, (first, incremental)


def test_incremental_equals_full_run(runs):
    shop, full, before, _, _ = runs
    figures = compare(shop, full, before)
    assert figures["customer_summary equal rows"] > 100
    assert figures["old texts' readings unchanged"] > 0


def test_the_run_says_what_it_recomputed_and_why(runs):
    _, _, _, result, full = runs
    modes = {step: d.mode for step, d in result.decisions.items()}
    assert modes["feedback_insights"] == "incremental", result.lines()
    assert "read with the saved models" in result.decisions["feedback_insights"].reason
    assert modes["personas"] == "incremental" and "nearest persona" in result.decisions["personas"].reason
    clv = result.decisions["customer_value"].reason  # a transaction model warm-started, or the Classifier refitted
    assert modes["customer_value"] == "incremental" and ("warm-started" in clv or "Classifier refitted" in clv), clv
    assert modes["customer_summary"] == "full" and "orders +" in result.decisions["customer_summary"].reason
    assert all(full.decisions[step].mode == "full" for step in READS), full.lines()
    assert any(line.startswith("feedback_insights: ") and " rows, incremental" in line for line in result.lines())


def test_nothing_new_reuses_everything(runs, tmp_path):
    """`centric run` with nothing new: a line per step saying it was reused, and no output changes."""
    from click.testing import CliRunner

    from centric.cli.main import cli

    shop, _, _, _, _ = runs
    copy = tmp_path / "again"
    shutil.copytree(shop, copy, ignore=shutil.ignore_patterns("run.lock"))
    before = tables(copy, OUTPUTS)
    out = CliRunner().invoke(cli, ["run", "-w", str(copy)])
    assert out.exit_code == 0, out.output
    for step in READS:
        assert re.search(rf"^{step}: [\d,]+ rows, reused \([\d.]+ s\): nothing new since the last run$", out.output,
                         re.M), out.output
    refused = CliRunner().invoke(cli, ["run", "-w", str(copy), "--full", "--every", "1m"])
    assert refused.exit_code == 2 and "--full recomputes once" in refused.output
    after = tables(copy, OUTPUTS)
    for name in OUTPUTS:
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False)


def test_drift_refits_the_listening_models(runs, tmp_path):
    """Half as many texts again as the models were fitted on: above the 20% the drift check allows."""
    from centric import Workspace

    shop, _, _, _, _ = runs
    copy = tmp_path / "drift"
    shutil.copytree(shop, copy, ignore=shutil.ignore_patterns("run.lock"))
    feedback = tables(copy, ["feedback"])["feedback"]
    more = feedback.sample(frac=0.5, random_state=1).assign(
        feedback_id=lambda f: "again-" + f["feedback_id"].astype(str), record_id=None)
    more = more[[c for c in ("feedback_id", "customer_id", "order_id", "received_at", "source", "channel", "rating",
                             "rating_scale", "text", "language", "survey_id") if c in more.columns]]
    path = tmp_path / "feedback.csv"
    more.to_csv(path, index=False)
    Workspace(copy).ingest("feedback", str(path))
    result = Workspace(copy).run()
    decision = result.decisions["feedback_insights"]
    assert decision.mode == "full" and "drift" in decision.reason and "new or changed texts" in decision.reason


def test_new_words_rewrite_the_lemmas_row_only(runs, tmp_path):
    """The lemmas the readings remember are their own model_states row: the incremental run keeps the
    readings' row as the fit wrote it (6.9 MB on the demo shop) and rewrites the lemmas' row when the new
    texts bring words; an erasure of a text's author drops both (they hold words of customers' texts)."""
    import json

    from centric.services.listen import LEMMAS_MODEL
    from centric.services.workspace_files import open_store
    from centric.store.privacy import remove_text_models

    shop, _, before, _, _ = runs

    def states(workspace) -> dict:
        frame = tables(workspace, ["model_states"])["model_states"]
        return {r["model"]: (r["fitted_at"], json.loads(r["state"])) for r in frame.to_dict("records")}

    old, new = states(before), states(shop)
    assert "lemmas" not in new["listening"][1] and new["listening"] == old["listening"]
    words = {lang: set(found) for lang, found in new[LEMMAS_MODEL][1]["lemmas"]["lemmas"].items()}
    known = {lang: set(found) for lang, found in old[LEMMAS_MODEL][1]["lemmas"]["lemmas"].items()}
    assert all(known[lang] <= words.get(lang, set()) for lang in known) and words != known
    copy = tmp_path / "erased"
    shutil.copytree(shop, copy, ignore=shutil.ignore_patterns("run.lock"))
    with open_store(copy) as (_, store):
        assert remove_text_models(store, {"a text"}) == 1
    assert not {"listening", LEMMAS_MODEL} & set(states(copy))


def test_saved_readings_read_exactly_as_the_fitted_ones():
    from centric.models.text.persist import readings_from_state, readings_state
    from centric.models.text.self_trained import SelfTrainedSentiment
    from centric.models.text.transfer import Reading

    good = ["great product, love it", "fast delivery, very happy", "excellent quality", "works perfectly, thanks"]
    bad = ["broken on arrival", "terrible support, never again", "late and damaged", "awful quality, refund please"]
    meh = ["it is ok", "arrived on tuesday", "average, nothing special", "the box was blue"]
    texts = (good + bad + meh) * 3
    labels = (["positive"] * 4 + ["negative"] * 4 + ["neutral"] * 4) * 3
    model = SelfTrainedSentiment("en").fit(texts, labels)
    readings = {("en", "review"): Reading("self_trained", model), ("en", None): Reading("self_trained", model, True)}
    import json

    loaded = readings_from_state(json.loads(json.dumps(readings_state(readings))))
    assert loaded[("en", "review")].model is loaded[("en", None)].model  # saved once, shared again
    new = ["love the quality", "damaged and late", "it came on monday", "never again, broken"]
    np.testing.assert_array_equal(loaded[("en", "review")].model.predict_proba(new), model.predict_proba(new))
    assert loaded[("en", None)].lean and loaded[("en", None)].label == "self_trained_fallback"


def test_the_drift_check_reads_language_and_label_mix():
    from centric.services.listen_incremental import drift

    fitted = {"texts": 1000, "languages": ["en", "es"], "language_shares": {"en": 0.5, "es": 0.5},
              "label_shares": {"positive": 0.6, "negative": 0.4}}
    same = drift(fitted, None, ["en"] * 50 + ["es"] * 50, ["positive"] * 6 + ["negative"] * 4, 0, 10, ["en", "es"])
    assert same is None
    languages = drift(fitted, None, ["en"] * 80 + ["es"] * 20, ["positive"] * 6 + ["negative"] * 4, 0, 10,
                      ["en", "es"])
    assert languages is not None and "language mix" in languages
    labels = drift(fitted, None, ["en"] * 50 + ["es"] * 50, ["positive"] * 3 + ["negative"] * 7, 0, 10, ["en", "es"])
    assert labels is not None and "labels" in labels
    assert "removed" in drift(fitted, None, ["en"], ["positive"], 3, 0, ["en", "es"])
    assert "new or changed" in drift(fitted, None, ["en"], ["positive"], 0, 201, ["en", "es"])


def test_the_published_snapshot_equals_a_whole_publish(runs, tmp_path):
    """The incremental run patched the snapshot's events and feedback (only appended to) and kept unchanged
    tables; every table of what it published equals, row for row, a whole publish of the same database."""
    from centric.services.dashboard_snapshot import publish_all
    from centric.services.workspace_files import open_store
    from tests.services.test_snapshot_incremental import _tables

    shop, _, _, result, full = runs
    assert result.snapshot["patched"] == ["dash_events", "dash_feedback"], result.snapshot
    assert result.snapshot["kept"] and "dash_events" in full.snapshot["written"], full.snapshot
    assert "dash_feedback" in full.snapshot["written"], full.snapshot
    assert any(line.startswith("snapshot: ") and "dash_events, dash_feedback patched" in line for line in result.lines())
    copy = tmp_path / "whole"
    shutil.copytree(shop, copy, ignore=shutil.ignore_patterns("snapshot", "run.lock"))
    with open_store(copy) as (settings, store):
        publish_all(store, copy, settings)
    assert _tables(shop / "snapshot" / "api.duckdb") == _tables(copy / "snapshot" / "api.duckdb")


def test_a_new_process_reads_the_sql_the_last_run_kept(runs, tmp_path):
    """`centric run` keeps the SQL it compiled in the workspace (store/compiled.py `persisted`): a run after
    the process's cache is emptied (as a new process from cron finds it; the digest's stability across
    processes is tested in tests/store/test_compiled.py) reads it instead of compiling, with the same results."""
    import json

    from centric import Workspace
    from centric.store import compiled

    _, full, _, _, _ = runs
    entries = json.loads((full / compiled.PERSISTED_FILE).read_text())["entries"]
    assert len(entries) > 50
    copy = tmp_path / "again"
    shutil.copytree(full, copy, ignore=shutil.ignore_patterns("run.lock"))
    compiled.clear()
    counts = compiled.compile_counts()
    Workspace(copy).run(full=True)
    counted = _counted(counts)
    assert counted["loaded"] > 50 and counted["compiled"] < counted["loaded"] / 5, counted
    # the same results as the run that compiled them (compare: the deterministic tables row for row, in key
    # order, since rows tied in a query's ORDER BY may come in another order; refitted ones within tolerance)
    figures = compare(copy, full)
    assert figures["customer_summary equal rows"] > 100 and figures["kpis equal rows"] > 100


def test_the_kept_marking_of_the_events_was_updated_and_equals_a_fresh_one(runs):
    """The incremental run updated marked_events (services/marked.py) rather than marking every event
    again, the full run rebuilt it, and both equal marking every event afresh."""
    from centric.services import consent
    from centric.services.workspace_files import open_store

    shop, full, _, _, _ = runs
    for ws, mode in ((shop, "incremental"), (full, "full")):
        with open_store(ws, read_only=True) as (settings, store):
            db = store.ibis()
            t = db.table("run_ledger")
            assert db.execute(t.filter(t.step == "marked_events").mode).tolist() == [mode]
            columns = [*consent.SHARED_COLUMNS, "_consented"]
            kept = db.execute(db.table("marked_events"))[columns]
            fresh = db.execute(consent._marked(store, settings, "analytics").select(*columns))
        key = list(consent.SHARED_COLUMNS)
        pd.testing.assert_frame_equal(kept.sort_values(key).reset_index(drop=True),
                                      fresh.sort_values(key).reset_index(drop=True), check_dtype=False)
        assert len(kept) > 1000
