"""A message's consent context, mapped to the four categories (essential, personalization, analytics,
marketing). Pure functions: the collector's loader (store/collected.py) calls them for each message.

Two payload shapes:
- Segment (Consent Management): `context.consent.categoryPreferences`, a dict of the shop's consent
  category names or a consent manager's ids to true/false, e.g. {"Analytics": true, "Advertising": false}
  or {"C0002": true}.
- RudderStack: `context.consentManagement` with `allowedConsentIds` and `deniedConsentIds` (lists, or
  for older SDKs a dict of id -> name), e.g. {"provider": "oneTrust", "allowedConsentIds": ["C0001",
  "C0002"], "deniedConsentIds": ["C0004"]}.

A key is read as a category when its name (case-insensitively) is one of the four or a common synonym
(necessary, functional, performance, statistics, advertising, targeting, ...); otherwise through
`[consent.ids]` of centric.toml (id -> category; OneTrust's C0001-C0004 by default). When several keys
of one message map to the same category, the category is granted only if none of them is denied: a
"no" always wins. Keys that map to nothing are returned apart, so the loader can quarantine or log them.

The result is what the loader writes: ledger rows (`consent_rows`) for an identified customer, and for
any event the dict itself under `properties.consent` (queries/consent.py reads an anonymous event's
consent from there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from centric.schema import CONSENT_CATEGORIES

SYNONYMS = {
    "essential": "essential", "necessary": "essential", "strictly_necessary": "essential", "required": "essential",
    "personalization": "personalization", "personalisation": "personalization", "functional": "personalization",
    "preferences": "personalization", "functionality": "personalization",
    "analytics": "analytics", "performance": "analytics", "statistics": "analytics", "measurement": "analytics",
    "marketing": "marketing", "advertising": "marketing", "targeting": "marketing", "ads": "marketing",
}


@dataclass
class ConsentChoice:
    categories: dict[str, bool] = field(default_factory=dict)  # category -> granted
    unmapped: list[str] = field(default_factory=list)  # keys that name no category

    def __bool__(self) -> bool:
        return bool(self.categories)


def category_of(key: str, ids: dict[str, str]) -> str | None:
    """The category a consent key names: a category or synonym, else its `[consent.ids]` entry."""
    name = str(key).strip()
    if name in ids and ids[name] in CONSENT_CATEGORIES:
        return ids[name]
    return SYNONYMS.get(name.lower().replace("-", "_").replace(" ", "_"))


def _merge(pairs, ids: dict[str, str]) -> ConsentChoice:
    out = ConsentChoice()
    for key, granted in pairs:
        category = category_of(key, ids)
        if category is None:
            out.unmapped.append(str(key))
            continue
        out.categories[category] = out.categories.get(category, True) and granted
    return out


def _truth(value) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "granted", "allow", "allowed"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0", "denied", "deny", "refused"):
        return False
    return None


def from_category_preferences(preferences: dict, ids: dict[str, str]) -> ConsentChoice:
    """Segment's categoryPreferences: {name or id: true/false}. A value that is not a yes or no is unmapped."""
    if not isinstance(preferences, dict):
        return ConsentChoice()
    pairs, bad = [], []
    for key, value in preferences.items():
        truth = _truth(value)
        (bad.append(str(key)) if truth is None else pairs.append((key, truth)))
    out = _merge(pairs, ids)
    out.unmapped += bad
    return out


def _ids(value) -> list[str]:
    if isinstance(value, dict):  # older RudderStack SDKs: {id: name}
        return [str(k) for k in value]
    if isinstance(value, (list, tuple)):
        return [str(v.get("consent", v.get("id"))) if isinstance(v, dict) else str(v) for v in value]
    if isinstance(value, str):
        return [v for v in (s.strip() for s in value.split(",")) if v]
    return []


def from_consent_management(management: dict, ids: dict[str, str]) -> ConsentChoice:
    """RudderStack's consentManagement: allowed ids grant their category, denied ids refuse it (a refusal wins)."""
    if not isinstance(management, dict):
        return ConsentChoice()
    allowed = [(k, True) for k in _ids(management.get("allowedConsentIds"))]
    denied = [(k, False) for k in _ids(management.get("deniedConsentIds"))]
    return _merge([*allowed, *denied], ids)


def from_context(context: dict | None, ids: dict[str, str]) -> ConsentChoice:
    """The consent a message's context carries, in either shape; empty when it carries none."""
    if not isinstance(context, dict):
        return ConsentChoice()
    consent = context.get("consent")
    if isinstance(consent, dict) and "categoryPreferences" in consent:
        return from_category_preferences(consent["categoryPreferences"], ids)
    if "consentManagement" in context:
        return from_consent_management(context["consentManagement"], ids)
    return ConsentChoice()


def consent_rows(customer_id: str, choice: ConsentChoice, recorded_at, source: str) -> list[dict]:
    """Rows of the `consents` ledger for an identified customer's choice, one per category it names."""
    return [{"customer_id": customer_id, "category": category, "granted": granted, "recorded_at": recorded_at,
             "source": source} for category, granted in sorted(choice.categories.items())]
