"""The dashboard speaks the shop's language through centric.i18n (no browser): its `_` comes from the
catalogues, numbers and money from Babel per locale, CSAT (stored 0-100) reads as a percentage of it,
raw names through centric.i18n.label, and the page's language follows ?lang=, Accept-Language, then
the workspace's `[shop] language`."""

from __future__ import annotations

import pytest

from centric.api import dash_views
from centric.api.dash_views import Formatter, gettext_for


def test_underscore_comes_from_the_catalogues():
    assert gettext_for("ca")("Download CSV") == "Baixa el CSV"
    assert gettext_for("es")("Revenue per month (%(currency)s)", currency="EUR") == "Ventas por mes (EUR)"
    assert gettext_for("en")("Revenue per month (%(currency)s)", currency="EUR") == "Revenue per month (EUR)"
    # a literal % in a message without values stays one %
    assert "95%" in gettext_for("pt")("Monthly score with its 95% interval (shaded); months with few answers "
                                      "have wide intervals.")


def test_formats_follow_the_locale():
    ca, en = Formatter("ca", "EUR"), Formatter("en", "EUR")
    assert ca.money(1234.56, 2).replace("\xa0", " ") == "1.234,56 €" and en.money(1234.56, 2) == "€1,234.56"
    assert ca.count(12345) == "12.345" and en.count(12345) == "12,345"
    assert ca.month("2010-12") != en.month("2010-12") and "2010" in ca.month("2010-12")


@pytest.mark.parametrize("lang", ["en", "es", "ca", "pt"])
def test_csat_is_a_percentage_of_its_0_to_100_scale(lang):
    fmt = Formatter(lang, "EUR")
    text = fmt.kpi("csat", 49.72)
    assert "49" in text and "%" in text and "4.972" not in text and "4,972" not in text
    # a low score is not mistaken for a share (0.8 on 0-100 is 0.8 %, not 80 %)
    assert "80" not in fmt.kpi("csat", 0.8)


def test_raw_names_are_labelled():
    fmt = Formatter("ca", "EUR")
    assert fmt.label("paid_social") == "Xarxes socials de pagament"
    assert fmt.label("first_purchase") != "first_purchase" and fmt.kpi_name("aov") != "aov"
    assert fmt.label("my_own_channel") == "My own channel"
    # RFM groups kept as segments, and a segment's kind
    assert fmt.label("rfm:At risk") == fmt.label("At risk") != "At risk"
    assert fmt.label("rfm") == "Grup RFM"


def test_every_dash_js_string_is_translated():
    for lang in ("es", "ca", "pt"):
        english, local = dash_views.strings(gettext_for("en")), dash_views.strings(gettext_for(lang))
        assert set(english) == set(local)
        untranslated = [k for k in english if english[k] == local[k] and english[k] not in ("CSV",)]
        # a few words are the same in both languages (Idioma is not Language, but Valor is Value in ca/es/pt)
        assert len(untranslated) <= 1, (lang, untranslated)


def test_value_page_says_the_holdout_check_in_the_page_language():
    """The value page's notes are the report's (report/notes.py), from clv_models rows as the snapshot
    gives them (NaN for a missing figure)."""
    import numpy as np

    from centric.api.dash_views_more import _model_notes

    nan = float("nan")
    rows = [
        {"model": "BetaGeo", "kind": "model", "holdout_days": np.int64(124), "holdout_auc": 0.712,
         "holdout_brier": 0.21, "inner_mae": 2.31, "boundary": True, "validated": False, "chosen": False,
         "churn_source": False, "dropout_share": 1e-9, "same_likelihood_as": None, "error": None},
        {"model": "Classifier", "kind": "baseline", "holdout_days": np.int64(124), "holdout_auc": np.float64(0.7531),
         "holdout_brier": 0.1917, "inner_mae": 2.0704, "boundary": False, "validated": True, "chosen": True,
         "churn_source": True, "dropout_share": nan},
        {"model": "GammaGamma", "kind": "spend", "validated": False, "spend_frequency_correlation": 0.2134,
         "spend_frequency_p_value": 1e-20, "spend_frequency_customers": nan, "holdout_days": nan},
    ]
    ca = [b["text"] for b in _model_notes(rows, "ca")]
    assert len(ca) == 3 and all(b["type"] == "text" for b in _model_notes(rows, "ca"))
    assert "MAE de 2,070" in ca[0] and "0,753" in ca[0] and "període de prova" in ca[0]
    assert "menys del 0,1" in ca[1] and "+0,21" in ca[2] and "premissa" in ca[2]
    assert "–" not in ca[2], "a missing count leaves its clause out"
    en = [b["text"] for b in _model_notes(rows, "en")]
    assert en[0].startswith("Classifier was chosen") and "0.753" in en[0] and en != ca
