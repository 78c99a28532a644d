"""A message's consent context mapped to the four categories, in Segment's and RudderStack's shapes."""

from __future__ import annotations

from centric.config import DEFAULT_CONSENT_IDS
from centric.store.consent_context import (consent_rows, from_category_preferences, from_consent_management,
                                           from_context)

IDS = dict(DEFAULT_CONSENT_IDS)


def test_segment_category_preferences_by_name_synonym_and_id():
    choice = from_category_preferences({"Analytics": True, "Advertising": False, "C0003": True, "Functional": True,
                                        "SocialMedia": True}, IDS)
    assert choice.categories == {"analytics": True, "marketing": False, "personalization": True}
    assert choice.unmapped == ["SocialMedia"]


def test_a_no_wins_when_two_keys_name_one_category():
    assert from_category_preferences({"C0002": True, "Analytics": False}, IDS).categories == {"analytics": False}
    assert from_category_preferences({"Analytics": "yes", "Marketing": "no"}, IDS).categories == {
        "analytics": True, "marketing": False}
    assert from_category_preferences({"Analytics": "maybe"}, IDS).unmapped == ["Analytics"]


def test_rudderstack_allowed_and_denied_ids_through_the_shop_table():
    ids = {**IDS, "perf-cookies": "analytics"}
    cm = {"provider": "oneTrust", "allowedConsentIds": ["C0001", "perf-cookies"], "deniedConsentIds": ["C0004", "C0009"]}
    choice = from_consent_management(cm, ids)
    assert choice.categories == {"essential": True, "analytics": True, "marketing": False}
    assert choice.unmapped == ["C0009"]
    # older SDKs send {id: name}; a denial of an id that another allowed id maps to still denies
    old = from_consent_management({"allowedConsentIds": {"C0002": "Performance"},
                                   "deniedConsentIds": {"perf-cookies": "Perf"}}, ids)
    assert old.categories == {"analytics": False}


def test_from_context_picks_the_shape_and_rows_for_the_ledger():
    seg = {"consent": {"categoryPreferences": {"Analytics": True}}}
    rud = {"consentManagement": {"allowedConsentIds": ["C0004"], "deniedConsentIds": ["C0002"]}}
    assert from_context(seg, IDS).categories == {"analytics": True}
    assert from_context(rud, IDS).categories == {"analytics": False, "marketing": True}
    assert not from_context({"page": {}}, IDS) and not from_context(None, IDS)
    rows = consent_rows("c1", from_context(rud, IDS), "2026-01-01T00:00:00", "rudderstack")
    assert [(r["category"], r["granted"]) for r in rows] == [("analytics", False), ("marketing", True)]
    assert {r["customer_id"] for r in rows} == {"c1"} and {r["source"] for r in rows} == {"rudderstack"}
