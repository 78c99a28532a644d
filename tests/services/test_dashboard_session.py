"""The dashboard's session cookie (services/dashboard_session.py), its filters (services/dashboard.py) and
the language choice (centric.i18n.negotiate, which the dashboard uses), without a browser."""

from __future__ import annotations

import datetime as dt

import pytest

from centric.i18n import negotiate as choose_language
from centric.api.dashboard import _safe_next, _script_json
from centric.services import dashboard_session as sessions
from centric.services.dashboard import DashboardError, Filters

SECRET = "s3cret-of-the-workspace"


def test_a_session_names_its_key_until_it_expires():
    cookie = sessions.issue(SECRET, "k1", now=1_000_000, lifetime=60)
    assert sessions.key_of(SECRET, cookie, now=1_000_030) == "k1"
    assert sessions.key_of(SECRET, cookie, now=1_000_061) is None  # expired
    assert "k1" not in cookie.split(".")[1]


@pytest.mark.parametrize("tamper", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),  # the signature
    lambda c: sessions._b64(b'{"k":"admin","e":9999999999}') + "." + c.split(".")[1],  # the body
    lambda c: c.split(".")[0],  # no signature
    lambda c: "",
])
def test_a_forged_or_broken_cookie_is_no_session(tamper):
    cookie = sessions.issue(SECRET, "k1")
    assert sessions.key_of(SECRET, tamper(cookie)) is None
    assert sessions.key_of("another-workspace", cookie) is None


def test_filters_come_from_the_url_and_refuse_bad_values():
    f = Filters.parse({"from": "2025-01-01", "to": "2025-03-31", "persona": "2", "country": " ES ", "segment": ""})
    assert f == Filters(dt.date(2025, 1, 1), dt.date(2025, 3, 31), None, 2, None, "ES")
    assert f.query() == {"from": "2025-01-01", "to": "2025-03-31", "persona": "2", "country": "ES"}
    with pytest.raises(DashboardError, match="YYYY-MM-DD"):
        Filters.parse({"from": "01/02/2025"})
    with pytest.raises(DashboardError, match="swap"):
        Filters.parse({"from": "2025-02-01", "to": "2025-01-01"})
    with pytest.raises(DashboardError, match="persona"):
        Filters.parse({"persona": "1 OR 1=1"})


def test_language_is_the_query_then_accept_language_then_the_default():
    assert choose_language("pt", "ca-ES,ca;q=0.9", "en") == "pt"
    assert choose_language(None, "fr-FR,fr;q=0.9,ca;q=0.8,es;q=0.7", "en") == "ca"
    assert choose_language(None, "es;q=0.5,pt;q=0.9", "en") == "pt"
    assert choose_language("de", "fr", "es") == "es"


def test_redirects_stay_on_the_server_and_script_json_cannot_close_its_element():
    assert _safe_next("/customers?lang=ca") == "/customers?lang=ca"
    for bad in ("//evil.example/", "https://evil.example/", "/\\evil", None, ""):
        assert _safe_next(bad) == "/"
    text = _script_json({"segment": "</script><script>alert(1)</script>"})
    assert "<" not in text and ">" not in text
