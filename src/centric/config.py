"""Settings of one workspace, read from and written to its `centric.toml`.

Settings are built explicitly (`Settings.load(path)`) and passed down; there is no global.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from centric.errors import CentricError

CONFIG_FILE = "centric.toml"
DATABASE_FILE = "centric.duckdb"
DEFAULT_WORKSPACE = "centric-workspace"
WORKSPACE_ENV = "CENTRIC_WORKSPACE"


# OneTrust's standard cookie groups, the ids RudderStack's consentManagement sends most often
DEFAULT_CONSENT_IDS = {"C0001": "essential", "C0002": "analytics", "C0003": "personalization", "C0004": "marketing"}
CONSENT_DEFAULTS = ("denied", "granted")


# (section, attribute prefix, ((key, cast), ...), what a bad value is not): the plain numbers of centric.toml,
# [section] key -> Settings.<prefix>_<key>
_NUMBERS = (
    ("journey", "journey", tuple((key, int) for key in ("loyal_purchases", "at_risk_days", "lapsed_days",
                                                         "landmark_days", "window_days")), "a whole number"),
    ("clv", "clv", (("margin", float), ("discount_rate", float), ("horizon_days", int)), "a number"),
    ("surveys", "survey", (("link_days", int), ("anonymous_per_minute", float), ("anonymous_burst", int)), "a number"),
)
# (section, key, attribute): values given as one string or a list of them
_LISTS = (("ingest", "charge_skus", "ingest_charge_skus"), ("server", "cors_origins", "server_cors_origins"))


class ConfigError(CentricError, ValueError):
    """centric.toml is missing, unreadable or holds a bad value."""


@dataclass
class Settings:
    shop_name: str = "My shop"
    currency: str = "EUR"
    timezone: str = "Europe/Madrid"
    languages: list[str] = field(default_factory=lambda: ["en", "es", "ca", "pt"])
    # the language the shop reads centric in (report, dashboard, CLI messages): en, es, ca or pt
    language: str = "en"
    journey_stages: list[str] = field(
        default_factory=lambda: ["visitor", "engaged", "first_purchase", "repeat", "loyal", "advocate"]
    )
    kpi_targets: dict[str, float] = field(default_factory=dict)
    # customer lifetime value: gross margin on revenue, yearly discount rate, horizon in days
    clv_margin: float = 1.0
    clv_discount_rate: float = 0.10
    clv_horizon_days: int = 365
    # journey: purchases that make a customer loyal; days without a purchase before at risk and lapsed
    journey_loyal_purchases: int = 4
    journey_at_risk_days: int = 90
    journey_lapsed_days: int = 180
    # journey drivers, chance of a move: the landmark day of the span at which touchpoints are read, and
    # the days after it in which the move is counted (models/journey/landmark.py)
    journey_landmark_days: int = 30
    journey_window_days: int = 90
    # RFM: percent-rank cut points of the five scores (quintiles by default)
    rfm_cuts: list[float] = field(default_factory=lambda: [0.2, 0.4, 0.6, 0.8])
    # ingest: sku codes of order lines that are charges, not goods ("CODE" or "CODE=KIND")
    ingest_charge_skus: list[str] = field(default_factory=list)
    # surveys: how long an e-mail link works; anonymous answers per client address (token bucket)
    survey_link_days: int = 30
    survey_anonymous_per_minute: float = 10.0
    survey_anonymous_burst: int = 5
    # centric serve: origins (scheme://host[:port]) whose pages may call the server from a browser
    server_cors_origins: list[str] = field(default_factory=list)
    # consent (docs/privacy.md): the state of time no consent record covers, for analytics,
    # personalization and marketing ("denied": opt-in, the GDPR; "granted": consent collected
    # elsewhere); essential is always granted. consent_ids: a consent manager's ids (RudderStack's
    # context.consentManagement, OneTrust's C000n) -> one of the four categories.
    consent_default: str = "denied"
    consent_ids: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CONSENT_IDS))

    def validate(self) -> "Settings":
        if not self.shop_name.strip():
            raise ConfigError("shop_name must not be empty")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ConfigError(f"currency must be an ISO 4217 code such as EUR, got {self.currency!r}")
        bad = [code for code in self.languages if len(code) != 2 or not code.isalpha()]
        if bad or not self.languages:
            raise ConfigError(f"languages must be ISO 639-1 codes such as en, es, ca, pt; got {bad or '[]'}")
        self.language = str(self.language or "en").strip().lower()
        if self.language not in ("en", "es", "ca", "pt"):
            raise ConfigError(f"language must be one of en, es, ca, pt (the languages centric is written in); "
                              f"got {self.language!r}")
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(self.timezone)
        except Exception as exc:  # zoneinfo raises several types
            raise ConfigError(f"unknown time zone {self.timezone!r} (use an IANA name such as Europe/Madrid)") from exc
        if not 0 < self.clv_margin <= 1:
            raise ConfigError(f"[clv] margin must be a share of revenue in (0, 1], got {self.clv_margin!r}")
        if not 0 <= self.clv_discount_rate < 1:
            raise ConfigError(f"[clv] discount_rate must be a yearly rate in [0, 1), got {self.clv_discount_rate!r}")
        if not 1 <= self.clv_horizon_days <= 3650:
            raise ConfigError(f"[clv] horizon_days must be between 1 and 3650, got {self.clv_horizon_days!r}")
        if not 2 <= self.journey_loyal_purchases <= 100:
            raise ConfigError(f"[journey] loyal_purchases must be 2-100, got {self.journey_loyal_purchases!r}")
        if not 1 <= self.journey_at_risk_days < self.journey_lapsed_days <= 3650:
            raise ConfigError("[journey] needs 1 <= at_risk_days < lapsed_days <= 3650, got "
                              f"{self.journey_at_risk_days} and {self.journey_lapsed_days}")
        if not (1 <= self.journey_landmark_days and 1 <= self.journey_window_days
                and self.journey_landmark_days + self.journey_window_days <= 3650):
            raise ConfigError("[journey] needs landmark_days >= 1, window_days >= 1 and their sum <= 3650, got "
                              f"{self.journey_landmark_days} and {self.journey_window_days}")
        from centric.queries.customer_summary import check_cuts

        try:
            self.rfm_cuts = list(check_cuts(self.rfm_cuts))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[rfm] cuts: {exc}") from exc
        if not 1 <= self.survey_link_days <= 3650:
            raise ConfigError(f"[surveys] link_days must be between 1 and 3650, got {self.survey_link_days!r}")
        if not (0 < self.survey_anonymous_per_minute <= 100_000 and 1 <= self.survey_anonymous_burst <= 100_000):
            raise ConfigError("[surveys] needs anonymous_per_minute > 0 and anonymous_burst >= 1, got "
                              f"{self.survey_anonymous_per_minute} and {self.survey_anonymous_burst}")
        self.currency = self.currency.upper()
        from centric.store.charges import parse_charge_skus

        try:
            parse_charge_skus(self.ingest_charge_skus)
        except ValueError as exc:
            raise ConfigError(f"[ingest] charge_skus: {exc}") from exc
        for origin in self.server_cors_origins:
            scheme, sep, host = str(origin).partition("://")
            if not sep or scheme not in ("http", "https") or not host or "/" in host:
                raise ConfigError(f"[server] cors_origins: {origin!r} is not an origin such as https://shop.example")
        if self.consent_default not in CONSENT_DEFAULTS:
            raise ConfigError(f"[consent] default must be \"denied\" or \"granted\", got {self.consent_default!r}")
        from centric.schema import CONSENT_CATEGORIES

        bad = {k: v for k, v in self.consent_ids.items() if v not in CONSENT_CATEGORIES}
        if bad:
            raise ConfigError(f"[consent.ids] maps to {', '.join(map(repr, bad.values()))}: each id must map to one "
                              f"of {', '.join(CONSENT_CATEGORIES)}")
        return self

    @property
    def consent_default_granted(self) -> bool:
        return self.consent_default == "granted"

    @classmethod
    def load(cls, path: Path) -> "Settings":
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{path} not found: run `centric init` first") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
        shop = data.get("shop", {})
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in shop.items() if k in known}
        journey = data.get("journey", {})
        if "stages" in journey:
            values["journey_stages"] = list(journey["stages"])
        if "kpi_targets" in data:
            values["kpi_targets"] = {k: float(v) for k, v in data["kpi_targets"].items()}
        for section, prefix, keys, kind in _NUMBERS:
            table = data.get(section, {})
            try:
                values.update({f"{prefix}_{key}": cast(table[key]) for key, cast in keys if key in table})
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"[{section}] holds a value that is not {kind}: {exc}") from exc
        for section, key, attribute in _LISTS:
            given = data.get(section, {}).get(key)
            if given is not None:
                values[attribute] = [str(x) for x in (given if isinstance(given, list) else [given])]
        rfm = data.get("rfm", {})
        if "cuts" in rfm:
            values["rfm_cuts"] = rfm["cuts"] if isinstance(rfm["cuts"], list) else [rfm["cuts"]]
        consent = data.get("consent", {})
        if "default" in consent:
            values["consent_default"] = str(consent["default"])
        if "ids" in consent:
            if not isinstance(consent["ids"], dict):
                raise ConfigError("[consent.ids] must be a table of id = \"category\" lines")
            values["consent_ids"] = {str(k): str(v) for k, v in consent["ids"].items()}
        return cls(**values).validate()

    def to_toml(self) -> str:
        data = asdict(self)
        lines = ["# centric workspace settings", "[shop]"]
        for key in ("shop_name", "currency", "timezone", "languages", "language"):
            lines.append(f"{key} = {_toml_value(data[key])}")
        lines += ["", "[journey]", f"stages = {_toml_value(self.journey_stages)}",
                  f"loyal_purchases = {self.journey_loyal_purchases}", f"at_risk_days = {self.journey_at_risk_days}",
                  f"lapsed_days = {self.journey_lapsed_days}",
                  "# what drives a move: touchpoints done by day landmark_days of the span, the move in the window_days after",
                  f"landmark_days = {self.journey_landmark_days}", f"window_days = {self.journey_window_days}",
                  "", "[kpi_targets]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in self.kpi_targets.items()]
        lines += ["", "[clv]  # margin: share of revenue kept; discount_rate: per year",
                  *self._lines("clv"),
                  "", "[rfm]  # percent-rank cut points of the 1-5 scores", f"cuts = {_toml_value(self.rfm_cuts)}",
                  "", "[ingest]  # sku codes of order lines that are charges, not goods: CODE or CODE=KIND",
                  f"charge_skus = {_toml_value(self.ingest_charge_skus)}",
                  "", "[surveys]  # link_days: how long an e-mail link works; anonymous answers per client address",
                  *self._lines("surveys"),
                  "", "[server]  # centric serve: origins whose pages may call it, e.g. [\"https://shop.example\"]",
                  f"cors_origins = {_toml_value(self.server_cors_origins)}",
                  "", "[consent]  # time no consent record covers: \"denied\" (opt-in, GDPR) or \"granted\"; "
                  "see docs/privacy.md", f"default = {_toml_value(self.consent_default)}",
                  "", "[consent.ids]  # a consent manager's ids -> essential, personalization, analytics or marketing"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in self.consent_ids.items()]
        return "\n".join(lines) + "\n"

    def _lines(self, section: str) -> list[str]:
        """The `key = value` lines of one section of _NUMBERS, as `load` reads them back."""
        _, prefix, keys, _ = next(entry for entry in _NUMBERS if entry[0] == section)
        return [f"{key} = {_toml_value(getattr(self, f'{prefix}_{key}'))}" for key, _ in keys]

    def save(self, path: Path) -> None:
        path.write_text(self.to_toml(), encoding="utf-8")


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else _toml_value(key)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def resolve_workspace(path: str | os.PathLike | None) -> Path:
    """The workspace folder: the given path, else $CENTRIC_WORKSPACE, else ./centric-workspace."""
    chosen = path or os.environ.get(WORKSPACE_ENV) or DEFAULT_WORKSPACE
    return Path(chosen).expanduser().resolve()
