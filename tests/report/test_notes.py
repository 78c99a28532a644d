"""The customer-value check and the consent exclusions in plain words (report/notes.py): each note is
built from stored facts in the reader's language, with that language's number formats."""

from __future__ import annotations

import pytest

from centric.report import notes

# clv_models rows as the UCI export gives them: the Classifier chosen and validated, BetaGeo on the boundary
VALIDATED = [
    {"model": "BetaGeo", "kind": "model", "holdout_days": 124, "holdout_auc": 0.712, "holdout_brier": 0.21,
     "inner_mae": 2.31, "boundary": True, "validated": False, "chosen": False, "churn_source": False,
     "dropout_share": 4e-9, "same_likelihood_as": "ModifiedBetaGeo, ParetoNBD", "error": None},
    {"model": "Recency", "kind": "baseline", "holdout_days": 124, "holdout_auc": 0.70, "holdout_brier": 0.2,
     "holdout_mae": 2.2, "boundary": False, "validated": True, "chosen": False, "churn_source": False},
    {"model": "Classifier", "kind": "baseline", "holdout_days": 124, "holdout_auc": 0.7531, "holdout_brier": 0.1917,
     "inner_mae": 2.0704, "boundary": False, "validated": True, "chosen": True, "churn_source": True},
]


def test_churn_note_in_catalan_and_spanish_carries_the_figures_in_the_locale():
    en = notes.churn_note(VALIDATED, "en")
    assert "Classifier was chosen on a split inside the calibration period (MAE 2.070 there)" in en
    assert "holdout AUC 0.753, Brier 0.192" in en and "no dropout process" in en
    ca = notes.churn_note(VALIDATED, "ca")
    assert "S'ha triat Classifier" in ca and "MAE de 2,070" in ca and "0,753" in ca and "0,192" in ca
    assert "període de prova" in ca and "was chosen" not in ca and "holdout" not in ca
    es = notes.churn_note(VALIDATED, "es")
    assert "Se eligió Classifier" in es and "2,070" in es and "0,753" in es and "periodo de prueba" in es
    assert "was chosen" not in es


def test_a_source_other_than_the_chosen_model_says_why_in_the_language():
    rows = [dict(r) for r in VALIDATED]
    rows[0].update(chosen=True, churn_source=False, boundary=False, validated=False)
    rows[2].update(chosen=False, churn_source=True, inner_brier=0.19)
    en = notes.churn_note(rows, "en")
    assert "BetaGeo was chosen" in en and "BetaGeo ranks holdout buyers no better" in en
    assert "from the Classifier baseline (the best Brier score" in en
    pt = notes.churn_note(rows, "pt")
    assert "BetaGeo não ordena" in pt and "referência Classifier" in pt and "0,753" in pt


def test_boundary_and_same_likelihood_notes():
    en = notes.boundary_notes(VALIDATED, "en")
    assert len(en) == 1 and "under 0.1%" in en[0] and "a → 0 or b → ∞" in en[0]
    assert "Same likelihood as ModifiedBetaGeo and ParetoNBD" in en[0]
    ca = notes.boundary_notes(VALIDATED, "ca")[0]
    assert "menys del 0,1" in ca and "no es veu cap abandonament" in ca and "ModifiedBetaGeo i ParetoNBD" in ca
    es = notes.boundary_notes(VALIDATED, "es")[0]
    assert "menos del 0,1" in es and "ModifiedBetaGeo y ParetoNBD" in es
    visible = dict(VALIDATED[0], boundary=False, dropout_share=0.234, same_likelihood_as=None)
    assert notes.row_note(visible, "en") == "BetaGeo expects 23% of customers to stop buying over this history."


@pytest.mark.parametrize("rho, words", [(0.2134, "gasten més per comanda"), (-0.31, "gasten menys per comanda")])
def test_spend_note_says_which_way_the_premise_fails(rho, words):
    row = {"kind": "spend", "validated": False, "spend_frequency_correlation": rho,
           "spend_frequency_p_value": 3e-12, "spend_frequency_customers": 2845}
    ca = notes.spend_note(row, "ca")
    assert words in ca and f"{rho:+.2f}".replace(".", ",") in ca and "p < 0,001" in ca and "2.845" in ca
    assert "premise" not in ca
    held = notes.spend_note(dict(row, validated=True, spend_frequency_p_value=0.4), "es")
    assert "se cumple" in held and "p = 0,400" in held
    assert notes.spend_note({"kind": "spend"}, "en").startswith("Too few repeat customers")


def test_no_holdout_names_the_horizon_and_the_boundary():
    rows = [{"model": "BetaGeo", "kind": "model", "chosen": True, "churn_source": True, "boundary": True,
             "dropout_share": 0.0}]
    ca = notes.churn_note(rows, "ca", 90)
    assert "No s'ha pogut reservar un període de prova" in ca and "90 dies" in ca and "menys del 0,1" in ca


def test_consent_line_counts_with_plurals_and_the_locale():
    row = {"analysis": "journey", "purpose": "analytics", "customers_left_out": 1204, "events_left_out": 35210,
           "anonymous_events_left_out": 1}
    assert notes.consent_line(row, "ca") == ("Recorregut: 1.204 clients exclosos: sense consentiment per a analítica "
                                             "(35.210 esdeveniments no registrats amb consentiment, 1 d'ells de "
                                             "visitants anònims que no van acceptar a l'avís de galetes)")
    one = notes.consent_line(dict(row, customers_left_out=1, events_left_out=0), "es")
    assert one.endswith("1 cliente excluido: sin consentimiento para analítica")


def test_persona_stability_verdict_in_the_reader_language():
    from centric.report.personas import localise_partition

    stable = {"case": "stable", "k": 4, "forced": False, "ari": 0.9312, "jaccard": 0.81}
    assert notes.partition_note(stable, "en").startswith("Stable: re-clustering random halves")
    es = notes.partition_note(stable, "es")
    assert es.startswith("Estables") and "0,93" in es and "0,81" in es and "4 buyer personas" in es
    weak = {"case": "unstable", "k": 5, "forced": False, "ari": 0.61, "jaccard": 0.42, "weak": [2, 5]}
    ca = notes.partition_note(weak, "ca")
    assert "les buyer personas 2 i 5 canvien" in ca and "0,42" in ca
    assert "persona 3 changes" in notes.partition_note(dict(weak, weak=[3]), "en")
    cards = [{"stability": {"partition": "Stable: ...", "verdict": stable}}, {"stability": {"partition": "old"}}]
    out = localise_partition(cards, "pt")
    assert out[0]["stability"]["partition_lang"] == "pt" and "Estáveis" in out[0]["stability"]["partition"]
    assert out[1]["stability"] == {"partition": "old", "partition_lang": "en"}  # cards made before the facts
