"""[consent] in centric.toml: the default and the consent-manager ids, read, checked and written back."""

from __future__ import annotations

import pytest

from centric.config import ConfigError, Settings


def test_consent_settings_round_trip(tmp_path):
    path = tmp_path / "centric.toml"
    path.write_text('[shop]\nshop_name = "S"\n[consent]\ndefault = "granted"\n[consent.ids]\nperf = "analytics"\n')
    s = Settings.load(path)
    assert s.consent_default == "granted" and s.consent_default_granted and s.consent_ids == {"perf": "analytics"}
    s.save(path)
    again = Settings.load(path)
    assert (again.consent_default, again.consent_ids) == ("granted", {"perf": "analytics"})
    assert Settings().consent_default == "denied" and not Settings().consent_default_granted  # opt-in


@pytest.mark.parametrize("text, match", [('[consent]\ndefault = "maybe"\n', "denied"),
                                         ('[consent.ids]\nC9 = "ads"\n', "each id must map")])
def test_bad_consent_settings_are_refused(tmp_path, text, match):
    path = tmp_path / "centric.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        Settings.load(path)


def test_numbers_and_lists_round_trip_and_a_bad_number_names_its_section(tmp_path):
    """The table-driven sections ([journey], [clv], [surveys] numbers; [ingest], [server] lists) read back
    what save wrote, and a value of the wrong kind is refused with its section."""
    path = tmp_path / "centric.toml"
    s = Settings(journey_at_risk_days=45, clv_margin=0.25, clv_horizon_days=180, survey_link_days=7,
                 survey_anonymous_per_minute=2.5, ingest_charge_skus=["SHIP=shipping"],
                 server_cors_origins=["https://shop.example"])
    s.save(path)
    assert Settings.load(path) == s
    path.write_text('[server]\ncors_origins = "https://one.example"\n')
    assert Settings.load(path).server_cors_origins == ["https://one.example"]
    for text, match in (('[journey]\nat_risk_days = "soon"\n', r"\[journey\].*whole number"),
                        ('[clv]\nmargin = "half"\n', r"\[clv\].*a number"),
                        ('[surveys]\nlink_days = "week"\n', r"\[surveys\].*a number")):
        path.write_text(text)
        with pytest.raises(ConfigError, match=match):
            Settings.load(path)
