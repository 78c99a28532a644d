"""Persona names and summaries in the reader's language (i18n/persona_text.py)."""

from __future__ import annotations

from centric.i18n.persona_text import persona_name, persona_summary

CARD = {"customers": 2191, "customer_share": 0.501, "revenue_share": 0.722,
        "demographics": {"age_median": 41.0, "genders": [{"value": "female", "share": 0.64}]},
        "places": {"cities": [{"value": "Girona", "share": 0.4}], "languages": [{"value": "ca", "share": 0.8}]},
        "lifestyle": {"tags": [{"value": "gardening"}]},
        "habits": {"categories": [], "aov": 475.2, "orders": 5.1, "acquisition_channels": [{"value": "paid_social"}]},
        "value": {"predicted_clv": 4148.0, "high_churn_risk_share": 0.22}, "voice": {"themes": []}}


def test_names_are_translated_part_by_part_and_keep_the_shops_words():
    assert persona_name("Gardening & cooking lovers, 45-54, in Girona, Lleida & Reus", "ca") == \
        "Amants de gardening & cooking, 45-54, a Girona, Lleida & Reus"
    assert persona_name("Big baskets, outside GB", "es") == "Cestas grandes, fuera de GB"
    assert persona_name("Frequent buyers, women (2)", "pt") == "Compradores frequentes, mulheres (2)"
    assert persona_name("Big baskets, in GB", "en") == "Big baskets, in GB"
    assert persona_name("Something new, 25-34", "ca") == "Something new, 25-34"  # unknown parts stay


def test_summaries_carry_currency_and_the_locales_numbers():
    ca = persona_summary(CARD, "ca", "EUR")
    assert "2.191 clients" in ca and "475\xa0€ per comanda" in ca and "Xarxes socials de pagament" in ca
    assert "català" in ca and "4.148\xa0€" in ca
    en = persona_summary(CARD, "en", "GBP")
    assert "£475 per order" in en and "£4,148" in en
