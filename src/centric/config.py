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


class ConfigError(CentricError, ValueError):
    """centric.toml is missing, unreadable or holds a bad value."""


@dataclass
class Settings:
    shop_name: str = "My shop"
    currency: str = "EUR"
    timezone: str = "Europe/Madrid"
    languages: list[str] = field(default_factory=lambda: ["en", "es", "ca", "pt"])
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
    # centric serve: origins (scheme://host[:port]) whose pages may call the server from a browser
    server_cors_origins: list[str] = field(default_factory=list)

    def validate(self) -> "Settings":
        if not self.shop_name.strip():
            raise ConfigError("shop_name must not be empty")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ConfigError(f"currency must be an ISO 4217 code such as EUR, got {self.currency!r}")
        bad = [code for code in self.languages if len(code) != 2 or not code.isalpha()]
        if bad or not self.languages:
            raise ConfigError(f"languages must be ISO 639-1 codes such as en, es, ca, pt; got {bad or '[]'}")
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
        return self

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
        try:
            for key in ("loyal_purchases", "at_risk_days", "lapsed_days", "landmark_days", "window_days"):
                if key in journey:
                    values[f"journey_{key}"] = int(journey[key])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[journey] holds a value that is not a whole number: {exc}") from exc
        if "kpi_targets" in data:
            values["kpi_targets"] = {k: float(v) for k, v in data["kpi_targets"].items()}
        clv = data.get("clv", {})
        try:
            for key, cast in (("margin", float), ("discount_rate", float), ("horizon_days", int)):
                if key in clv:
                    values[f"clv_{key}"] = cast(clv[key])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[clv] holds a value that is not a number: {exc}") from exc
        ingest = data.get("ingest", {})
        if "charge_skus" in ingest:
            skus = ingest["charge_skus"]
            values["ingest_charge_skus"] = [str(x) for x in (skus if isinstance(skus, list) else [skus])]
        server = data.get("server", {})
        if "cors_origins" in server:
            origins = server["cors_origins"]
            values["server_cors_origins"] = [str(x) for x in (origins if isinstance(origins, list) else [origins])]
        rfm = data.get("rfm", {})
        if "cuts" in rfm:
            values["rfm_cuts"] = rfm["cuts"] if isinstance(rfm["cuts"], list) else [rfm["cuts"]]
        return cls(**values).validate()

    def to_toml(self) -> str:
        data = asdict(self)
        lines = ["# centric workspace settings", "[shop]"]
        for key in ("shop_name", "currency", "timezone", "languages"):
            lines.append(f"{key} = {_toml_value(data[key])}")
        lines += ["", "[journey]", f"stages = {_toml_value(self.journey_stages)}",
                  f"loyal_purchases = {self.journey_loyal_purchases}", f"at_risk_days = {self.journey_at_risk_days}",
                  f"lapsed_days = {self.journey_lapsed_days}",
                  "# what drives a move: touchpoints done by day landmark_days of the span, the move in the window_days after",
                  f"landmark_days = {self.journey_landmark_days}", f"window_days = {self.journey_window_days}",
                  "", "[kpi_targets]"]
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in self.kpi_targets.items()]
        lines += ["", "[clv]  # margin: share of revenue kept; discount_rate: per year",
                  f"margin = {_toml_value(self.clv_margin)}", f"discount_rate = {_toml_value(self.clv_discount_rate)}",
                  f"horizon_days = {_toml_value(self.clv_horizon_days)}",
                  "", "[rfm]  # percent-rank cut points of the 1-5 scores", f"cuts = {_toml_value(self.rfm_cuts)}",
                  "", "[ingest]  # sku codes of order lines that are charges, not goods: CODE or CODE=KIND",
                  f"charge_skus = {_toml_value(self.ingest_charge_skus)}",
                  "", "[server]  # centric serve: origins whose pages may call it, e.g. [\"https://shop.example\"]",
                  f"cors_origins = {_toml_value(self.server_cors_origins)}"]
        return "\n".join(lines) + "\n"

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
