"""A workspace on Spark gives what the same workspace gives on DuckDB: ingest (rows, merge counts,
quarantine, malformed CSV records), the customer summary, CLV (scored on the executors), the texts'
insights (read on the executors), the journey stages, a funnel and the persona assignments.

One small demo shop (a few bad rows and malformed CSV records added so quarantine is compared too) is loaded into a DuckDB
workspace and into a Spark workspace through `centric.Workspace`, then `run` on both. The Spark master
is a fixture parameter: `local[2]`, and the standalone cluster of tests/spark_cluster.py (fixture
`spark_cluster`) when it is present. Deterministic outputs must be equal; CLV's fitted figures agree
within 1e-6 relative (the fits see the same sufficient statistics; only float summation order differs).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.cluster]  # end to end on Spark: make test-cluster, not the 15-minute suite

TABLES = ("customers", "orders", "order_lines", "events", "feedback", "consents")
CUSTOMERS = 150
FUNNEL = ["Product Viewed", "Product Added", "Order Completed"]


def _cluster_available() -> bool:
    try:
        import tests.spark_cluster  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session", params=["local[2]", "cluster"])
def spark_master(request):
    """The master URL of the Spark the test runs on."""
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: PySpark cannot start (make test installs one with apt-get)")
    if request.param == "cluster":
        if not _cluster_available():
            pytest.skip("the standalone cluster fixture (tests/spark_cluster.py) is not in this tree")
        return request.getfixturevalue("spark_cluster")
    return request.param


@pytest.fixture(scope="session")
def spark(spark_master, tmp_path_factory):
    """One SparkSession per master for every test of the session; stopped after them."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
    if spark_master.startswith("spark://"):
        from tests.spark_cluster import cluster_session

        with cluster_session(spark_master, tmp_path_factory.mktemp("spark-cluster-driver"), conf=_conf()) as session:
            yield session
        return
    from centric.store.spark_store import spark_session

    session = spark_session(spark_master, "centric-engine-test", conf={"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


def _conf() -> dict:
    from centric.store.spark_store import SESSION_CONF

    return {k: v for k, v in SESSION_CONF.items() if not k.startswith("spark.ui")} | {"spark.sql.shuffle.partitions": "2"}


@pytest.fixture(scope="session")
def shop_files(tmp_path_factory):
    """The demo shop's files, with bad rows: a date that is no date, a duplicated order, a negative total
    on a completed order, and an order line of an unknown order."""
    from centric.demo.shop import generate
    from centric.services.demo import write_demo_files

    files = write_demo_files(generate(CUSTOMERS, 7, 1.0), tmp_path_factory.mktemp("spark-shop"))
    orders = pd.read_csv(files["orders"], dtype=str, keep_default_na=False)
    bad = [orders.iloc[0].copy() for _ in range(3)]
    bad[0]["order_id"], bad[0]["ordered_at"] = "BAD-DATE", "not a date"
    bad[2]["order_id"], bad[2]["total"], bad[2]["status"] = "NEG-TOTAL", "-5.00", "completed"
    pd.concat([orders, pd.DataFrame(bad)]).to_csv(files["orders"], index=False)
    lines = pd.read_csv(files["order_lines"], dtype=str, keep_default_na=False)
    stray = lines.iloc[0].copy()
    stray["order_id"] = "NO-SUCH-ORDER"
    pd.concat([lines, pd.DataFrame([stray])]).to_csv(files["order_lines"], index=False)
    # records a CSV parser cannot split into the header's columns: one too many mid-file, one too few at the end
    text = files["customers"].read_text(encoding="utf-8").splitlines()
    width = text[0].count(",") + 1
    text.insert(5, ",".join(["MALFORMED-WIDE"] + ["x"] * width))
    text.append(",".join(["MALFORMED-SHORT"] + ["y"] * (width - 3)))
    files["customers"].write_text("\n".join(text) + "\n", encoding="utf-8")
    return files


def _build(path, files, **engine):
    import centric

    ws = centric.Workspace(path)
    ws.init(shop_name="Test shop", currency="EUR", timezone="Europe/Madrid", **engine)
    reports = {t: ws.ingest(t, str(files[t]))[0] for t in TABLES}
    again = ws.ingest("orders", str(files["orders"]))[0]
    ran = ws.run()
    funnel = ws.funnel(FUNNEL, "7d")
    out = {"reports": reports, "again": again, "ran": ran, "funnel": funnel}
    from centric.services.workspace_files import open_store

    with open_store(ws.path, read_only=True) as (settings, store):
        if not engine:  # the funnel's portable strategy (range joins), the one Spark runs
            from centric.services.funnel import run_funnel

            out["funnel_join"] = run_funnel(store, FUNNEL, "7d", strategy="join", settings=settings)
        db = store.ibis()
        for table in ("customers", "orders", "order_lines", "quarantine", "customer_summary", "customer_value",
                      "journey_stages", "customer_personas", "identities", "feedback_insights"):
            out[table] = db.execute(db.table(table))
    from centric.store.snapshot import Snapshot

    snapshot = Snapshot(ws.path)  # what `centric serve` and the dashboard read, published by the run
    try:
        for table in ("dash_customers", "dash_orders", "dash_events", "dash_stage_moves"):
            out[table] = pd.DataFrame(snapshot.rows(table))
    finally:
        snapshot.close()
    return out


@pytest.fixture(scope="session")
def on_duckdb(shop_files, tmp_path_factory):
    return _build(tmp_path_factory.mktemp("duck") / "ws", shop_files)


@pytest.fixture(scope="session")
def on_spark(spark, spark_master, shop_files, tmp_path_factory):
    root = tmp_path_factory.mktemp("spark")
    return _build(root / "ws", shop_files, engine="spark", spark_master=spark_master, warehouse=str(root / "wh"))


def _sorted(frame: pd.DataFrame, key) -> pd.DataFrame:
    frame = frame.copy()
    for col in frame.columns:  # the same values, whatever each engine's dtype (Decimal / float, NaT / None)
        if frame[col].dtype == object and frame[col].map(lambda v: hasattr(v, "as_tuple")).any():
            frame[col] = frame[col].astype(float)
    return frame.sort_values(list(key)).reset_index(drop=True)


def _equal(a: pd.DataFrame, b: pd.DataFrame, key, rtol: float = 0.0, skip=()):
    a, b = _sorted(a, key), _sorted(b, key)
    assert len(a) == len(b) and len(a) > 0
    for col in a.columns:
        if col in skip:
            continue
        x, y = a[col], b[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(x):
            np.testing.assert_allclose(x.astype(float), y.astype(float), rtol=max(rtol, 1e-9), atol=1e-9,
                                       equal_nan=True, err_msg=col)
        elif pd.api.types.is_datetime64_any_dtype(x) or pd.api.types.is_datetime64_any_dtype(y):
            assert (pd.to_datetime(x).fillna(pd.Timestamp(0)) == pd.to_datetime(y).fillna(pd.Timestamp(0))).all(), col
        else:
            assert [_text(v) for v in x] == [_text(v) for v in y], col


def _text(value):
    """A cell as comparable text: lists (tags) and arrays by their items, every missing value as None."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return str([_text(v) for v in value])
    if value is None or (np.isscalar(value) and pd.isna(value)) or value is pd.NaT:
        return None
    return str(value)


def test_ingest_loads_and_quarantines_the_same_rows(on_duckdb, on_spark):
    for table in TABLES:
        d, s = on_duckdb["reports"][table], on_spark["reports"][table]
        assert s.rows_read == d.rows_read, table
        assert dict(s.quarantined) == dict(d.quarantined), table
        assert {k: vars(v) for k, v in s.tables.items()} == {k: vars(v) for k, v in d.tables.items()}, table
        assert s.customers_created == d.customers_created, table
    assert sum(on_spark["reports"]["orders"].quarantined.values()) >= 3  # the bad rows were caught
    _equal(on_duckdb["quarantine"], on_spark["quarantine"], ["table_name", "line", "reason"], skip=("ingested_at",))
    for table, key in (("customers", ["customer_id"]), ("orders", ["order_id"]), ("order_lines", ["order_id", "line_no"])):
        _equal(on_duckdb[table], on_spark[table], key)


def test_malformed_csv_records_are_quarantined_as_on_duckdb(on_duckdb, on_spark):
    """Spark's PERMISSIVE reader flags the records; DuckDB's reason, line and text are what is stored."""
    def malformed(out):
        q = out["quarantine"]
        return q[q["reason"].str.startswith("malformed CSV record")].sort_values("line").reset_index(drop=True)

    d, s = malformed(on_duckdb), malformed(on_spark)
    assert len(d) == 2 and d["value"].str.startswith("MALFORMED-").all()  # both records, and nothing else
    _equal(d, s, ["line"], skip=("ingested_at",))
    assert dict(on_spark["reports"]["customers"].quarantined) == dict(on_duckdb["reports"]["customers"].quarantined)
    for out in (on_duckdb, on_spark):
        assert not out["customers"]["customer_id"].str.startswith("MALFORMED").any()  # never loaded with empty fields


def test_a_second_ingest_of_the_same_file_changes_nothing(on_duckdb, on_spark):
    for out in (on_duckdb, on_spark):
        counts = out["again"].tables["orders"]
        assert counts.inserted == 0 and counts.updated == 0
        assert counts.unchanged == out["reports"]["orders"].tables["orders"].inserted
    assert dict(on_spark["again"].quarantined) == dict(on_duckdb["again"].quarantined)


def test_summary_stages_personas_and_identities_are_equal(on_duckdb, on_spark):
    _equal(on_duckdb["customer_summary"], on_spark["customer_summary"], ["customer_id"])
    _equal(on_duckdb["journey_stages"], on_spark["journey_stages"], ["customer_id", "entered_at"])
    # profile_hash: the fingerprint an incremental run compares (DuckDB only; engine-specific hash functions)
    _equal(on_duckdb["customer_personas"], on_spark["customer_personas"], ["customer_id"], skip=("profile_hash",))
    _equal(on_duckdb["identities"], on_spark["identities"], ["id_type", "id_value", "customer_id", "valid_from"])


def test_clv_agrees_within_the_stated_tolerance(on_duckdb, on_spark):
    """Every column of customer_value, which Spark's executors compute (mapInPandas) from the models the
    driver fitted on the weighted distinct (frequency, recency, T, monetary_value) rows."""
    d, s = on_duckdb["customer_value"], on_spark["customer_value"]
    assert list(d.columns) == list(s.columns) and d["predicted_clv"].notna().all()
    _equal(d, s, ["customer_id"], rtol=1e-6)


def test_text_insights_are_equal(on_duckdb, on_spark):
    """Language, sentiment, themes and aspects of every text, read on Spark's executors with the readings
    trained on the driver: equal to DuckDB's. input_hash: pandas' hash of each engine's feedback row
    (the rating's type differs), used only by DuckDB's incremental run."""
    d, s = on_duckdb["feedback_insights"], on_spark["feedback_insights"]
    assert d["themes"].map(len).gt(0).any() and d["sentiment"].nunique() > 1  # something was read
    _equal(d, s, ["feedback_id"], skip=("input_hash", "aspects"))
    import json

    def parsed(v):
        return json.loads(v) if isinstance(v, str) else v

    a = _sorted(d, ["feedback_id"])["aspects"].map(parsed)
    b = _sorted(s, ["feedback_id"])["aspects"].map(parsed)
    assert a.tolist() == b.tolist()


def test_the_funnel_is_equal(on_duckdb, on_spark):
    """Who reaches each step is equal to DuckDB's default (ASOF) funnel. The seconds from the first step
    follow the strategy: Spark runs the range-join form, and equals DuckDB running that same form (the
    ASOF and join forms time a step from different first-step events: a queries/funnel.py matter)."""
    d, s, j = on_duckdb["funnel"], on_spark["funnel"], on_duckdb["funnel_join"]
    counts = ["group", "step", "step_name", "users", "conversion_from_previous", "conversion_from_first", "dropped"]
    assert d["users"].iloc[1] > 0  # someone reached the second step
    pd.testing.assert_frame_equal(d[counts].reset_index(drop=True), s[counts].reset_index(drop=True), check_dtype=False)
    pd.testing.assert_frame_equal(j.reset_index(drop=True), s.reset_index(drop=True), check_dtype=False)


def test_the_dashboard_snapshot_is_equal(on_duckdb, on_spark):
    """The run publishes the dashboard's row-level tables on both engines, with the same rows."""
    for table, key in (("dash_customers", ["customer_id"]), ("dash_orders", ["order_id"]),
                       ("dash_events", ["event_id"]), ("dash_stage_moves", ["customer_id", "entered_at"])):
        # user_key, user_check: DuckDB's hashes of the user, stored for its funnel (Spark's funnel hashes as it reads)
        _equal(on_duckdb[table], on_spark[table], key, skip=("user_key", "user_check"))


def test_run_on_spark_names_what_it_skipped(on_duckdb, on_spark):
    from centric.services.run import SPARK_STEPS

    assert set(on_spark["ran"]) == set(on_duckdb["ran"]) & SPARK_STEPS
    assert on_spark["ran"]["customer_summary"] == on_duckdb["ran"]["customer_summary"] > 0


def test_an_ingest_that_fails_before_its_commit_leaves_the_workspace_as_it_was(spark, spark_master, shop_files,
                                                                               tmp_path, monkeypatch):
    import centric
    from centric.store.spark_store import SparkStore
    from centric.store.warehouse import MANIFEST

    ws = centric.Workspace(tmp_path / "ws")
    ws.init(shop_name="Test shop", engine="spark", spark_master=spark_master, warehouse=str(tmp_path / "wh"))
    before = (tmp_path / "wh" / MANIFEST).read_text()
    versions = sorted(p.relative_to(tmp_path) for p in (tmp_path / "wh" / "tables").glob("*/*"))

    def killed(self, staged):
        raise KeyboardInterrupt  # as Ctrl-C between the writes and the commit

    monkeypatch.setattr(SparkStore, "publish", killed)
    with pytest.raises(KeyboardInterrupt):
        ws.ingest("customers", str(shop_files["customers"]))
    assert (tmp_path / "wh" / MANIFEST).read_text() == before
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "wh" / "tables").glob("*/*")) == versions
    monkeypatch.undo()
    report = ws.ingest("customers", str(shop_files["customers"]))[0]
    assert report.tables["customers"].inserted == CUSTOMERS


def test_a_row_update_replaces_only_its_keys_as_on_duckdb(spark, spark_master, tmp_path):
    """RowUpdate (the incremental writes: a saved model's row, new texts' readings, affected customers'
    stages) deletes the rows of its keys and inserts the new ones, keeping every other row, on both engines."""
    import centric
    from centric.services.workspace_files import open_store
    from centric.store.connection import RowUpdate

    def row(model, state):
        return pd.DataFrame({"model": [model], "fitted_at": [pd.Timestamp("2026-11-30 12:00")],
                             "fitted_on": ['{"rows": 1}'], "state": [json.dumps({"value": state})]})

    seen = {}
    for name, engine in (("duckdb", {}), ("spark", {"engine": "spark", "spark_master": spark_master,
                                                     "warehouse": str(tmp_path / "wh")})):
        ws = centric.Workspace(tmp_path / name)
        ws.init(shop_name="Test shop", **engine)
        with open_store(ws.path) as (_settings, store):
            store.replace_table("model_states", RowUpdate("model", ["a"], row("a", "first")))
            store.replace_table("model_states", RowUpdate("model", ["b"], row("b", "other")))
            store.replace_table("model_states", RowUpdate("model", ["a"], row("a", "second")))
            store.replace_table("model_states", RowUpdate("model", ["c"], row("c", "x").iloc[:0]))  # c: none
            db = store.ibis()
            frame = db.execute(db.table("model_states"))
        states = [s if isinstance(s, dict) else json.loads(s) for s in frame["state"]]  # JSON: dict or text
        seen[name] = sorted((m, s["value"]) for m, s in zip(frame["model"], states))
    assert seen["spark"] == seen["duckdb"] == [("a", "second"), ("b", "other")]
