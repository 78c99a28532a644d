"""The demo shop end to end (small), its planted truth, and the report.

Read off the session's demo shop (tests/conftest.py: demo_shop, made with `centric demo`, which calls run_demo),
not a second one: these tests only read it."""

from __future__ import annotations

import pandas as pd
import pytest

from centric.services.workspace_files import open_store
from tests.conftest import DEMO_CUSTOMERS


@pytest.fixture(scope="module")
def demo(demo_shop):
    return demo_shop, demo_shop / "report.html"  # what run_demo returned


def test_demo_loads_everything_without_quarantine(demo):
    path, _ = demo
    with open_store(path) as (_, store):
        counts = {t: store.count(t) for t in ("customers", "orders", "order_lines", "events", "feedback",
                                              "consents", "marketing_spend", "customer_summary")}
        assert store.count("quarantine") == 0
        assert counts["customers"] == DEMO_CUSTOMERS
        assert counts["events"] > 50 * DEMO_CUSTOMERS / 2
        assert counts["feedback"] > DEMO_CUSTOMERS
        assert counts["customer_summary"] > DEMO_CUSTOMERS * 14 / 15
        langs = set(store.query_df("SELECT DISTINCT c.language FROM feedback f JOIN customers c USING (customer_id)")["language"])
        assert langs == {"en", "es", "ca", "pt"}


def test_ground_truth_is_written_and_consistent(demo):
    path, _ = demo
    truth = path / "ground_truth"
    for name in ("personas", "customers", "journey", "feedback"):
        assert (truth / f"{name}.csv").exists()
    personas = pd.read_csv(truth / "personas.csv")
    assert len(personas) == 5
    journey = pd.read_csv(truth / "journey.csv", parse_dates=["first_order_at", "second_order_at", "driver_at",
                                                              "non_driver_at"])
    second = journey["second_order_at"].notna()
    # the planted events happen at a time of their own after the first purchase, not placed by the
    # outcome: many joiners who bought again joined only after their second purchase
    for kind in ("driver", "non_driver"):
        done = journey[journey[f"{kind}_event"]]
        assert (done[f"{kind}_at"] > done["first_order_at"]).all()
        assert done[f"{kind}_at"].notna().all() and journey.loc[~journey[f"{kind}_event"], f"{kind}_at"].isna().all()
    joined = journey[journey.driver_event & second]
    assert 0.2 < (joined["driver_at"] > joined["second_order_at"]).mean() < 0.8
    # the planted driver goes with buying again, the non-driver does not
    assert journey.loc[journey.driver_event, "second_order_at"].notna().mean() > second.mean() + 0.04
    assert abs(journey.loc[journey.non_driver_event, "second_order_at"].notna().mean() - second.mean()) < 0.05
    fb = pd.read_csv(truth / "feedback.csv")
    assert set(fb["sentiment"]) == {"positive", "neutral", "negative"}


def test_texts_vary(demo):
    path, _ = demo
    texts = pd.read_csv(path / "data" / "feedback.csv")["text"]
    assert texts.nunique() > 0.3 * len(texts)


def test_report_has_the_sections(demo):
    _, report = demo
    html = report.read_text()
    for needle in ('id="overview"', 'id="rfm"', 'id="customers"', "<svg", "Champions", "Revenue by month"):
        assert needle in html
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_planted_bgnbd_parameters_hold_in_the_generated_purchases(demo):
    """The demo's per-customer purchase rates are drawn from the persona's Gamma(r, alpha): each
    persona's mean rate is within four standard errors (sqrt(r) / alpha / sqrt(n)) of r / alpha."""
    path, _ = demo
    params = pd.read_csv(path / "ground_truth" / "customers.csv")
    personas = pd.read_csv(path / "ground_truth" / "personas.csv").set_index("persona")
    for key, g in params.groupby("persona"):
        r, alpha = personas.loc[key, "bgnbd_r"], personas.loc[key, "bgnbd_alpha"]
        se = r**0.5 / alpha / len(g) ** 0.5
        assert abs(g["lambda_per_day"].mean() - r / alpha) < 4 * se, (key, g["lambda_per_day"].mean(), r / alpha)
