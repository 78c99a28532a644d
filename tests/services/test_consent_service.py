"""Consent obeyed end to end on a small shop loaded through ingest: a customer who withdraws analytics
leaves the funnel, journey and persona inputs for data after the withdrawal and keeps the data
before; one who grants later counts from then; the left-out counts are right and shown by the CLI and
the report; a marketing export holds only people with marketing consent at export time; orders,
revenue and CLV inputs do not move."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from click.testing import CliRunner

import centric
from centric.cli.main import cli
from centric.services.kpis import build_kpis
from centric.services.summary import build_customer_summary
from centric.services.workspace_files import open_store

N = 30
JAN, FEB, MAR, APR = "2026-01-01 09:00:00", "2026-02-01 10:00:00", "2026-03-01 00:00:00", "2026-04-01 10:00:00"
W, L, R = "c01", "c02", "c03"  # withdraws analytics on 1 March; grants it on 1 March; never grants it


def _shop(folder) -> dict[str, pd.DataFrame]:
    ids = [f"c{i:02d}" for i in range(1, N + 1)]
    customers = pd.DataFrame({"customer_id": ids, "email": [f"{c}@example.com" for c in ids], "created_at": JAN,
                              "country": ["ES", "PT", "FR"] * (N // 3), "language": ["es", "pt", "fr"] * (N // 3),
                              "birth_year": [1960 + i for i in range(N)]})
    orders, events = [], []
    for i, c in enumerate(ids):
        for k, when in enumerate((FEB, APR)):
            at = pd.Timestamp(when) + pd.Timedelta(hours=i % 7)
            orders.append({"order_id": f"o{c}{k}", "customer_id": c, "ordered_at": at + pd.Timedelta(minutes=20),
                           "status": "completed", "currency": "EUR", "total": 20.0 + 3 * i + 5 * k})
            events.append({"event_id": f"v{c}{k}", "occurred_at": at, "customer_id": c, "name": "Product Viewed"})
            events.append({"event_id": f"a{c}{k}", "occurred_at": at + pd.Timedelta(minutes=2), "customer_id": c,
                           "name": "Product Added"})
    for c, name, when in ((W, "Coupon Viewed", FEB), (W, "Wishlist Viewed", APR), (L, "Gift Viewed", FEB),
                          (L, "Review Read", APR)):
        events.append({"event_id": f"{name[:3]}{c}", "occurred_at": pd.Timestamp(when) + pd.Timedelta(minutes=5),
                       "customer_id": c, "name": name})
    # anonymous visitors: a banner yes, a banner no, and one without a banner (the default: denied)
    for j, choice in enumerate((True, False, None)):
        events.append({"event_id": f"anon{j}", "occurred_at": pd.Timestamp(FEB), "customer_id": None,
                       "anonymous_id": f"dev-{j}", "name": "Product Viewed",
                       "consent": None if choice is None else json.dumps({"analytics": choice})})
    consents = []
    for c in ids:
        consents.append((c, "analytics", c not in (L, R), JAN))
        consents.append((c, "marketing", c != "c05", JAN))  # c05 refused marketing
    consents += [(W, "analytics", False, MAR), (L, "analytics", True, MAR), (W, "marketing", False, MAR)]
    consents = [row for row in consents if not (row[0] == "c06" and row[1] == "marketing")]  # c06: no record
    return {"customers": customers, "orders": pd.DataFrame(orders), "events": pd.DataFrame(events),
            "consents": pd.DataFrame(consents, columns=["customer_id", "category", "granted", "recorded_at"])}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("consent-shop")
    ws = centric.Workspace(folder / "ws")
    ws.init(shop_name="Consent shop", currency="EUR", timezone="UTC")
    data = _shop(folder)
    events = data["events"].copy()
    # the collector keeps a banner choice in properties.consent; a CSV column "consent" holding JSON lands in
    # properties too, so write the properties column directly
    events["properties"] = [None if pd.isna(v) else json.dumps({"consent": json.loads(v)}) for v in events.pop("consent")]
    data["events"] = events
    for name in ("customers", "orders", "events", "consents"):
        path = folder / f"{name}.csv"
        data[name].to_csv(path, index=False)
        ws.ingest(name, str(path))
    result = CliRunner().invoke(cli, ["run", "-w", str(ws.path)])
    assert result.exit_code == 0, result.output
    return ws, data, result.output


def _funnel(ws, steps):
    from centric.services.funnel import run_funnel

    with open_store(ws.path) as (settings, store):
        table = run_funnel(store, steps, "1d", settings=settings)
    return table[table["group"] == "(all)"].set_index("step")["users"].tolist(), table.attrs["consent"]


def test_funnel_keeps_data_before_a_withdrawal_and_after_a_grant(shop):
    ws, _, _ = shop
    assert _funnel(ws, ["Coupon Viewed"])[0] == [1]  # W before withdrawing
    assert _funnel(ws, ["Wishlist Viewed"])[0] == [0]  # W after withdrawing
    assert _funnel(ws, ["Gift Viewed"])[0] == [0]  # L before granting
    assert _funnel(ws, ["Review Read"])[0] == [1]  # L after granting
    users, left_out = _funnel(ws, ["Product Viewed", "Product Added"])
    # everyone but R; the anonymous visitor with a banner yes only
    assert users == [N - 1 + 1, N - 1]
    assert (left_out.customers_left_out, left_out.events_left_out, left_out.anonymous_events_left_out) == (
        1, 4 + 3 + 3 + 2, 2)  # R's 4; W's 3 after; L's 3 before; two anonymous without a yes


def test_journey_inputs_follow_the_time_rule(shop):
    ws, _, _ = shop
    names = set(ws.sql("SELECT source AS n FROM path_edges UNION SELECT target FROM path_edges")["n"])
    names |= {n for p in ws.sql("SELECT path FROM top_paths")["path"] for n in p.split(" > ")}
    assert {"Coupon Viewed", "Review Read"} <= names
    assert not names & {"Wishlist Viewed", "Gift Viewed"}
    row = ws.sql("SELECT * FROM consent_exclusions WHERE analysis = 'journey'").iloc[0]
    assert (row["purpose"], row["customers_left_out"], row["events_left_out"]) == ("analytics", 1, 12)
    engaged = ws.sql("SELECT customer_id FROM journey_stages WHERE stage = 'engaged'")["customer_id"]
    assert R not in set(engaged)  # R's cart events were not recorded under consent


def test_persona_inputs_follow_the_time_rule(shop):
    ws, data, _ = shop
    from centric.services.personas import persona_input

    with open_store(ws.path) as (settings, store):
        profiles, left_out = persona_input(store, settings, rebuild_profiles=False)
    events = profiles.set_index("customer_id")["events"]
    assert R not in events.index and left_out.customers_left_out == 1
    assert events[W] == 3 and events[L] == 3 and events["c10"] == 4  # W: before only; L: after only
    names = profiles.set_index("customer_id")["event_names"]
    assert "Coupon Viewed" in list(names[W]) and "Wishlist Viewed" not in list(names[W])
    assert ws.sql("SELECT count(*) AS n FROM customer_personas WHERE customer_id = 'c03'")["n"][0] == 0


def test_marketing_export_holds_only_consent_at_export_time(shop, tmp_path):
    ws, _, _ = shop
    ws.create_segment("everyone", {"field": "orders", "op": ">=", "value": 1})
    out = tmp_path / "mailing.csv"
    result = CliRunner().invoke(cli, ["segments", "export", "everyone", "-w", str(ws.path), "--out", str(out),
                                      "--marketing-only"])
    assert result.exit_code == 0, result.output
    exported = set(pd.read_csv(out)["customer_id"])
    # W granted then withdrew; c05 refused; c06 has no record (the default, denied)
    assert not exported & {W, "c05", "c06"} and len(exported) == N - 3
    assert "3 customers left out: no marketing consent" in result.output
    row = ws.sql("SELECT * FROM consent_exclusions WHERE analysis = 'segment_export'").iloc[0]
    assert row["customers_left_out"] == 3
    # before W's withdrawal W was in; at export time is what counts
    from centric.services.segments import export_members

    with open_store(ws.path, read_only=True) as (settings, store):
        earlier, _ = export_members(store, settings, "everyone", True, at=dt.datetime(2026, 2, 15))
    assert W in set(earlier["customer_id"]) and "c05" not in set(earlier["customer_id"])


def test_cli_and_report_say_what_was_left_out(shop):
    ws, _, _ = shop
    runner = CliRunner()
    result = runner.invoke(cli, ["funnel", "-w", str(ws.path), "--steps", "Product Viewed,Product Added",
                                 "--window", "1d"])
    assert result.exit_code == 0, result.output
    assert "1 customer left out: no analytics consent (12 events" in result.output
    result = runner.invoke(cli, ["journey", "-w", str(ws.path)])
    assert result.exit_code == 0, result.output
    assert "1 customer left out: no analytics consent" in result.output
    run_output = shop[2]
    assert "journey: 1 customer left out: no analytics consent" in run_output
    assert "personas: 1 customer left out: no analytics consent" in run_output
    path = ws.report()
    html = path.read_text()
    # the report says it in the reader's language (report/notes.py consent_line)
    assert 'id="consent"' in html and "Journey: 1 customer left out: no consent for analytics" in html


def test_essential_data_does_not_move(shop, tmp_path):
    """Orders, revenue and the customer summary CLV reads are the same whatever the analytics consent."""
    ws, data, _ = shop
    before = ws.sql("SELECT customer_id, orders, revenue, frequency, recency, \"T\" FROM customer_summary "
                    "ORDER BY customer_id")
    assert len(before) == N and R in set(before["customer_id"])
    other = centric.Workspace(tmp_path / "ws2")
    other.init(shop_name="Everyone refused", currency="EUR", timezone="UTC")
    refused = data["consents"].assign(granted=False)
    for name, frame in (("customers", data["customers"]), ("orders", data["orders"]), ("consents", refused)):
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
        other.ingest(name, str(tmp_path / f"{name}.csv"))
    with open_store(other.path) as (settings, store):
        build_customer_summary(store, cuts=settings.rfm_cuts)
        build_kpis(store, settings)
    after = other.sql("SELECT customer_id, orders, revenue, frequency, recency, \"T\" FROM customer_summary "
                      "ORDER BY customer_id")
    pd.testing.assert_frame_equal(before, after)
    kpis = "SELECT kpi, period, value FROM kpis WHERE kpi IN ('revenue', 'orders', 'buyers') ORDER BY 1, 2"
    pd.testing.assert_frame_equal(ws.sql(kpis), other.sql(kpis))


def test_survey_email_audience_holds_only_marketing_consent_at_sending_time(shop, tmp_path):
    ws, _, _ = shop
    from centric.services.surveys import add_survey, audience

    (tmp_path / "ask.json").write_text(json.dumps({"survey_id": "ask-all", "kind": "nps",
                                                   "target": {"sample_percent": 100}}))
    with open_store(ws.path) as (settings, store):
        add_survey(store, settings, tmp_path / "ask.json")
        now = audience(store, "ask-all", settings=settings)
        february = audience(store, "ask-all", settings=settings, consent_at=dt.datetime(2026, 2, 15))
    assert not set(now["customer_id"]) & {W, "c05", "c06"} and len(now) == N - 3
    assert now.attrs["consent"].customers_left_out == 3
    assert W in set(february["customer_id"])  # W had marketing consent then; the sending time is what counts
    result = CliRunner().invoke(cli, ["survey", "audience", "ask-all", "-w", str(ws.path)])
    assert result.exit_code == 0 and "3 customers left out: no marketing consent" in result.output
    assert W not in set(pd.read_csv(__import__("io").StringIO(result.stdout))["customer_id"])


def test_the_api_snapshot_publishes_what_was_left_out(shop):
    ws, _, _ = shop
    from centric.store.snapshot import Snapshot, publish_snapshot

    with open_store(ws.path) as (_, store):
        publish_snapshot(store, ws.path)
    rows = Snapshot(ws.path).rows("consent_exclusions", analysis="personas")
    assert [(r["purpose"], r["customers_left_out"]) for r in rows] == [("analytics", 1)]


def test_without_any_consent_record_the_default_decides_and_says_what_to_do(shop, tmp_path):
    _, data, _ = shop
    from centric.services.funnel import run_funnel
    from centric.services.personas import PersonaError, build_personas

    for default in ("denied", "granted"):
        ws = centric.Workspace(tmp_path / default)
        ws.init(shop_name="No ledger", currency="EUR", timezone="UTC", consent_default=default)
        for name in ("customers", "orders", "events"):
            data[name].to_csv(tmp_path / f"{name}.csv", index=False)
            ws.ingest(name, str(tmp_path / f"{name}.csv"))
        with open_store(ws.path) as (settings, store):
            table = run_funnel(store, ["Product Viewed"], "1d", settings=settings)
            left_out = table.attrs["consent"]
            if default == "denied":
                assert table["users"].iloc[0] == 1 and left_out.customers_left_out == N  # the banner yes
                assert 'set [consent] default = "granted"' in left_out.message()
                with pytest.raises(PersonaError, match="with analytics consent are too few"):
                    build_personas(store, settings)
            else:
                # anonymous visitors too, but not the one whose banner said no
                assert table["users"].iloc[0] == N + 2 and left_out.customers_left_out == 0
                assert "0 customers left out" in left_out.message() and "consent]" not in left_out.message()


def test_a_run_marks_the_events_once_for_its_analyses(shop, monkeypatch):
    """Within a run's analyses (consent.counted_once) the events marked by analytics consent are
    materialised once and shared by profiles, personas' left-out count and the journey: the same profiles
    and counts as each marking them itself. For analytics the table is marked_events, kept between runs
    (services/marked.py): the block leaves no temporary table behind."""
    from centric.queries.consent import left_out_of
    from centric.services import consent
    from centric.services.journey import journey_reads
    from centric.services.profiles import build_customer_profiles

    ws, _, _ = shop
    calls = []
    marked = consent._marked
    monkeypatch.setattr(consent, "_marked", lambda *a, **k: calls.append(k.get("events")) or marked(*a, **k))

    def temporary(store) -> set:
        return set(store.query_df("SELECT table_name FROM duckdb_tables() WHERE temporary")["table_name"])

    with open_store(ws.path) as (settings, store):
        build_customer_profiles(store, settings)
        alone = store.query_df("SELECT * FROM customer_profiles ORDER BY customer_id")
        left_alone = store.ibis().execute(left_out_of(consent.marked_events(store, settings, "personas"))).iloc[0]
        before, calls[:] = temporary(store), []
        with consent.counted_once():
            build_customer_profiles(store, settings)
            left = consent.count_events_left_out(store, settings, "personas")
            reads = journey_reads(store, settings)
            assert reads.cached is None  # the journey read the shared table: nothing of its own to release
            reads.release()
            # analytics: marked once, into the table kept between runs (services/marked.py), no TEMP table left
            assert len(calls) == 1 and temporary(store) == before and store.has_rows("marked_events")
        assert temporary(store) == before
        together = store.query_df("SELECT * FROM customer_profiles ORDER BY customer_id")
    pd.testing.assert_frame_equal(together.drop(columns="computed_at", errors="ignore"),
                                  alone.drop(columns="computed_at", errors="ignore"))
    assert (left.customers_left_out, left.events_left_out, left.anonymous_events_left_out) == tuple(
        int(left_alone[c]) for c in ("customers_left_out", "events_left_out", "anonymous_events_left_out"))


def test_a_withdrawal_between_runs_changes_the_shared_marks(shop, tmp_path):
    """The shared marked events are taken anew in each run: a withdrawal recorded since the last run
    un-marks the customer's later events in the next one."""
    import shutil

    from centric.services import consent

    ws, _, _ = shop
    copy = tmp_path / "ws"
    shutil.copytree(ws.path, copy, ignore=shutil.ignore_patterns("run.lock"))

    def marks() -> dict:
        with open_store(copy) as (settings, store), consent.counted_once():
            shared = consent.shared_marked(store, settings, "journey")
            frame = store.ibis().execute(shared.filter(shared.customer_id == "c10"))
        return dict(zip(frame["event_id"], frame["_consented"]))

    assert marks() == {"vc100": True, "ac100": True, "vc101": True, "ac101": True}
    path = tmp_path / "withdrawal.csv"
    pd.DataFrame({"customer_id": ["c10"], "category": ["analytics"], "granted": [False],
                  "recorded_at": [MAR]}).to_csv(path, index=False)
    centric.Workspace(copy).ingest("consents", str(path))
    assert marks() == {"vc100": True, "ac100": True, "vc101": False, "ac101": False}
