"""A workspace with customers only, and no date at all (no orders, no `created_at`): `centric run` builds
the profiles with no observation end (NULL), as before the end became a bound variable (Store.moment), and
fails on nothing."""

from __future__ import annotations


def test_a_customers_only_workspace_without_dates_runs(tmp_path):
    from centric import Workspace

    path = tmp_path / "customers.csv"
    path.write_text("customer_id,birth_year\n" + "".join(f"C{i:03d},{1950 + i}\n" for i in range(30)),
                    encoding="utf-8")
    ws = Workspace(tmp_path / "shop")
    ws.init(shop_name="No dates", currency="EUR")
    ws.ingest("customers", str(path))
    ws.run()
    profiles = ws.sql("SELECT count(*) AS n, count(observed_until) AS ends, count(age) AS ages FROM customer_profiles")
    assert profiles.iloc[0].tolist() == [30, 0, 0]  # no end: no age either (it is counted at the end)


def test_a_moment_of_none_is_a_null_timestamp(tmp_path):
    import datetime as dt

    import ibis

    from centric.store.connection import Store

    with Store(tmp_path / "m.duckdb") as store:
        db = store.ibis()
        at = store.moment("nothing", None)
        rows = db.execute(ibis.memtable({"t": [dt.datetime(2024, 1, 1)]}).mutate(
            before=lambda t: t.t <= at, year=at.year(), end=at))
        assert rows["before"].isna().all() and rows["year"].isna().all() and rows["end"].isna().all()
