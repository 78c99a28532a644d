"""Personas on real demographics and spend (../shared/data/customer_personality): stable, dirty values reported."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from centric.models.segmentation.cluster_frame import cluster_frame
from centric.models.segmentation.personas import build_cards
from tests.conftest import shared_file

SPEND = ["MntWines", "MntFruits", "MntMeatProducts", "MntFishProducts", "MntSweetProducts", "MntGoldProds"]
CHANNELS = ["NumDealsPurchases", "NumWebPurchases", "NumCatalogPurchases", "NumStorePurchases", "NumWebVisitsMonth"]
NUMERIC = ["Year_Birth", "Income", "kids", "Recency", *SPEND, *CHANNELS]
CATEGORICAL = ["Education", "Marital_Status"]
RANGES = {"Year_Birth": (1901, 2005), "Income": (0, None)}


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    df = pd.read_csv(shared_file("customer_personality", "marketing_campaign.csv"), sep="\t")
    return df.assign(kids=df["Kidhome"] + df["Teenhome"], revenue=df[SPEND].sum(axis=1),
                     customer_id=df["ID"].astype(str))


@pytest.mark.parametrize("n_clusters", [None, 4])
def test_clusters_are_stable_across_seeds(customers, n_clusters):
    runs = [cluster_frame(customers, NUMERIC, CATEGORICAL, [], n_clusters=n_clusters, random_state=seed, ranges=RANGES)
            for seed in (0, 1)]
    assert runs[0].model.n_clusters_ == runs[1].model.n_clusters_
    assert adjusted_rand_score(runs[0].labels, runs[1].labels) >= 0.9


def test_dirty_values_are_reported_and_not_used(customers):
    result = cluster_frame(customers, NUMERIC, CATEGORICAL, [], random_state=0, ranges=RANGES)
    q = result.quality
    flagged = set(zip(q["column"], q["value"].astype(str)))
    assert {("Marital_Status", "YOLO"), ("Marital_Status", "Absurd"), ("Income", "666666.0")} <= flagged
    assert {v for c, v in flagged if c == "Year_Birth"} >= {"1893.0", "1899.0", "1900.0"}
    assert int(q[(q["column"] == "Income") & (q["reason"] == "missing in the data")]["count"].iloc[0]) == 24
    clean = result.frame
    assert not clean["Marital_Status"].isin(["YOLO", "Absurd"]).any()
    assert clean["Year_Birth"].min() >= 1901 and clean["Income"].max() < 666_666
    assert len(result.labels) == len(customers)  # every customer is assigned, dirty values or not


def test_persona_cards_describe_the_real_groups(customers):
    result = cluster_frame(customers, NUMERIC, CATEGORICAL, [], n_clusters=4, random_state=0, ranges=RANGES)
    cards = build_cards(result.frame, result.labels, result.numeric, result.categorical)
    assert [c["persona_id"] for c in cards] == [1, 2, 3, 4]
    assert sum(c["customers"] for c in cards) == len(customers)
    assert sum(c["revenue_share"] for c in cards) == pytest.approx(1.0, abs=1e-3)
    for card in cards:
        assert card["traits"] and card["summary"].startswith(f"{card['customers']:,} customers")
    # the group that spends most per customer is told apart by its spend, named in its traits
    top = max(cards, key=lambda c: c["value"]["revenue_per_customer"])
    assert {"MntWines", "MntMeatProducts"} & {t["variable"] for t in top["traits"] if t["effect"] > 0}


def test_personas_are_stable_and_named_from_their_own_members(customers):
    import re

    from centric.models.segmentation.naming import age_band_of

    result = cluster_frame(customers, NUMERIC, CATEGORICAL, [], random_state=0, ranges=RANGES)
    model = result.model
    assert model.n_clusters_ >= 2 and model.stable_  # spend level is a real, stable split
    assert min(model.stability_["jaccard"]) >= 0.75
    frame = result.frame.assign(age=2014 - result.frame["Year_Birth"])  # the data were collected in 2014
    for labels, k in ((result.labels, model.n_clusters_),
                      (cluster_frame(customers, NUMERIC, CATEGORICAL, [], n_clusters=6, random_state=0,
                                     ranges=RANGES).labels, 6)):
        cards = build_cards(frame, labels, result.numeric, result.categorical)
        names = [c["name"] for c in cards]
        assert len(set(names)) == len(names) == k, names
        for card in cards:
            band = re.search(r"\d\d-\d\d|65\+", card["name"])
            if band:
                assert band.group(0) == age_band_of(card["demographics"]["age_median"]), card["name"]
