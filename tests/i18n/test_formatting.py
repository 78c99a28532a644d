"""Locale formatting (Babel) and language negotiation."""

from __future__ import annotations

import math

import pytest

from centric.i18n import (fmt_date, fmt_money, fmt_month, fmt_number, fmt_percent, negotiate, transition_label)


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("lang", ["ca", "es"])
def test_money_in_catalan_and_spanish(lang):
    assert _plain(fmt_money(1234.56, "EUR", lang)) == "1.234,56 €"
    assert _plain(fmt_money(1234567.4, "EUR", lang, digits=0)) == "1.234.567 €"


def test_money_in_english_and_portuguese():
    assert fmt_money(1234.56, "GBP", "en") == "£1,234.56"
    assert _plain(fmt_money(1234.56, "EUR", "pt")) == "1 234,56 €"


def test_numbers_percent_dates():
    assert fmt_number(1234, "en") == "1,234" and fmt_number(1234, "ca") == "1.234"
    assert fmt_number(3.14159, "es") == "3,14"
    assert fmt_percent(0.4972, "en") == "49.7%" and fmt_percent(0.4972, "ca") == "49,7%"
    assert fmt_date("2011-12-09T12:50:00", "en") == "9 Dec 2011"
    assert fmt_month("2010-12", "ca") == "des. 2010" and fmt_month("2011-01", "es") == "ene 2011"
    assert fmt_month("2011-05-01", "ca", long=True) == "maig del 2011"


@pytest.mark.parametrize("missing", [None, math.nan])
def test_missing_values_read_as_a_dash(missing):
    assert fmt_money(missing, "EUR", "ca") == fmt_number(missing, "ca") == fmt_percent(missing, "es") == "–"


def test_negotiation_order():
    assert negotiate("ca", "es-ES,es;q=0.9", "en") == "ca"          # ?lang= first
    assert negotiate("fr", "es-ES,es;q=0.9", "en") == "es"          # unsupported ?lang= is skipped
    assert negotiate(None, "fr;q=1, pt-BR;q=0.5, ca;q=0.8", "es") == "ca"  # q-values, not order
    assert negotiate(None, "ca;q=0, de", "es") == "es"              # q=0 refuses; then the default
    assert negotiate(None, "*", "pt") == "pt"
    assert negotiate(None, None, "xx") == "en"


def test_transitions_read_as_words():
    assert transition_label("at_risk -> won_back", "en") == "At risk → Won back"
    assert transition_label("first_purchase -> repeat", "ca") == "Primera compra → Repeteix compra"
