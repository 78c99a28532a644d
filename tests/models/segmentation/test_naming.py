"""Persona names follow from the members' own figures and never repeat."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from centric.models.segmentation.naming import age_band_of, name_groups
from centric.models.segmentation.personas import build_cards


def shop(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three groups: two gardeners who differ only by how often they buy, and tech buyers."""
    rng = np.random.default_rng(seed)
    labels = np.repeat([0, 1, 2], n // 3)
    gardening = [["gardening"]] * (2 * n // 3)
    tech = [["tech"]] * (n // 3)
    orders = np.concatenate([rng.poisson(8, n // 3), rng.poisson(1, n // 3) + 1, rng.poisson(3, n // 3) + 1])
    # the gardeners' ages: many 45-54 (a distinguishing band), but the median is in 55-64
    age = np.concatenate([rng.integers(50, 66, n // 3), rng.integers(50, 66, n // 3), rng.integers(20, 40, n // 3)])
    return pd.DataFrame({"categories": gardening + tech, "orders": orders, "age": age,
                         "city": rng.choice(["Girona", "Vic"], n), "top_category": [None] * n}), labels


def test_age_band_named_is_the_band_of_the_median_age():
    frame, labels = shop()
    names = name_groups(frame, labels, ["orders", "age"], ["categories", "city"])
    for g, name in names.items():
        band = re.search(r"\d\d-\d\d|65\+", name)
        if band:
            assert band.group(0) == age_band_of(float(frame["age"][labels == g].median())), name
    assert age_band_of(57) == "55-64" and age_band_of(54.9) == "45-54" and age_band_of(70) == "65+"


def test_names_are_unique_by_the_next_trait_not_by_a_number():
    frame, labels = shop()
    names = name_groups(frame, labels, ["orders", "age"], ["categories", "city"])
    assert len(set(names.values())) == 3
    assert names[0].startswith("Gardening lovers") and "frequent buyers" in names[0]
    assert names[1].startswith("Gardening lovers") and "frequent" not in names[1]
    assert names[2].startswith("Tech lovers")
    assert not any(re.search(r"\(\d\)$", n) for n in names.values())
    assert "Vic" not in " ".join(names.values()) and "Girona" not in " ".join(names.values())  # not distinguishing


def test_groups_nothing_tells_apart_get_a_number_as_last_resort():
    frame = pd.DataFrame({"categories": [["books"]] * 40 + [["toys"]] * 20, "orders": [2] * 60})
    labels = np.array([0] * 20 + [1] * 20 + [2] * 20)
    names = name_groups(frame, labels, ["orders"], ["categories"])
    assert len(set(names.values())) == 3
    assert names[2] == "Toys lovers" and {names[0], names[1]} == {"Books lovers", "Books lovers (2)"}


def test_unknown_or_empty_categories_never_name_a_persona():
    rng = np.random.default_rng(5)
    n = 600
    labels = np.repeat([0, 1], n // 2)
    cats = [[""] if rng.random() < 0.8 else ["unknown"] for _ in range(n // 2)] + [["kitchen"]] * (n // 2)
    frame = pd.DataFrame({"categories": cats, "orders": rng.poisson(3, n), "top_category": ["Unknown"] * (n // 2)
                          + ["kitchen"] * (n // 2)})
    cards = build_cards(frame, labels, ["orders"], ["categories"], describe_categorical=["top_category"])
    for card in cards:
        assert "nknown" not in card["name"] and not card["name"].startswith(" lovers")
        assert not {t["value"] for t in card["traits"]} & {"", "unknown", "Unknown"}
        assert not {c["value"] for c in card["habits"]["categories"]} & {"", "unknown"}
    assert cards[1]["name"].startswith("Kitchen lovers")


def test_a_single_group_is_all_customers():
    frame, _ = shop()
    assert name_groups(frame, np.zeros(len(frame), dtype=int), ["orders"], ["categories"]) == {0: "All customers"}
