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
