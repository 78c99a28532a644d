"""`centric personas`: cluster the customer profiles on every variable that matters and write a card per group.

Clustering variables (defaults below) are the traits that make a persona and change slowly: profile
and places, lifestyle tags, consumption habits (categories, basket, channel, time, discounts) and
the themes customers write about. States that change month to month (recency, P(alive), churn
risk, CLV, sentiment, NPS, RFM segment) describe each persona on its card but do not define it: a
customer who goes quiet stays the same kind of person. On the demo shop adding those states as
clustering variables drowns the planted personas (ARI 0.83 instead of 0.99). Any profile column
can be chosen instead with --numeric/--categorical/--multi. Variables with no values yet (themes
before `centric listen`) are left out and named. Dirty values are audited and set aside
(models/segmentation/quality.py). Writes `personas` and `customer_personas`.

Personas are behaviour analytics (services/consent.py, docs/privacy.md): they cluster only customers
who held analytics consent at some moment up to the observation end, and their behaviour columns
count only events recorded under it (customer_profiles). Customers left out are counted and written to
consent_exclusions. centric does not personalise with personas; a shop that does must read
customer_personas through personalization consent (docs/privacy.md).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from centric.errors import CentricError

NUMERIC = ("age", "aov", "orders", "app_share", "items_per_order", "evening_share", "discount_share")
CATEGORICAL = ("gender", "country", "city", "language", "acquisition_channel")
MULTI = ("tags", "categories", "themes")
DESCRIBE_NUMERIC = ("revenue", "days_since_last_order", "predicted_clv", "p_alive", "sentiment_score", "nps",
                    "weekend_share", "returns_share")
DESCRIBE_CATEGORICAL = ("age_band", "region", "top_category", "rfm_segment", "churn_risk", "nps_group", "sentiment")
RANGES = {"age": (14, 110), "aov": (0, None), "orders": (0, None), "days_since_last_order": (0, None)}
EXPLAIN_SAMPLE = 60_000


class PersonaError(CentricError):
    """Too few customers, or a bad option, to build personas."""


@dataclass
class PersonaResult:
    cards: list[dict]
    n_clusters: int
    silhouettes: dict[int, float]
    variables: dict[str, list[str]]
    skipped: dict[str, str] = field(default_factory=dict)
    quality: pd.DataFrame | None = None
    customers: int = 0
    stable: bool = False  # the personas were found again in every resample (see stability_note)
    stability_note: str = ""
    stabilities: dict = field(default_factory=dict)  # k -> stability of each candidate k
    consent: object = None  # services/consent.py Exclusion: customers left out for want of analytics consent


def _split(names: str | None, default: tuple) -> tuple:
    return default if not names else tuple(n.strip() for n in names.split(",") if n.strip())


def _feedback(store) -> pd.DataFrame | None:
    if not store.has_rows("feedback_insights"):
        return None
    db = store.ibis()
    f, i = db.table("feedback"), db.table("feedback_insights")
    f = f.filter(f.customer_id.notnull()).select("customer_id", "feedback_id", "text")
    i = i.select("feedback_id", "language", "sentiment", "sentiment_score", "themes")
    return db.execute(f.join(i, "feedback_id"))


def build_personas(store, settings, n_clusters: int | None = None, seed: int = 0, numeric: str | None = None,
                   categorical: str | None = None, multi: str | None = None, rebuild_profiles: bool = True,
                   progress=None) -> PersonaResult:
    from centric.models.sampling import sample_positions
    from centric.models.segmentation.clustering import ClusteringError
    from centric.models.segmentation.cluster_frame import cluster_frame
    from centric.models.segmentation.features import FeatureError
    from centric.models.segmentation.personas import build_cards
    from centric.models.segmentation.stability import Stability, verdict as stability_verdict
    from centric.report.notes import partition_note
    say = progress or (lambda *_: None)
    if n_clusters is not None and not 2 <= n_clusters <= 30:
        raise PersonaError(f"--clusters must be between 2 and 30, got {n_clusters}")
    say("personas: building customer profiles")
    profiles, left_out = persona_input(store, settings, rebuild_profiles)
    if len(profiles) < 20 and left_out.customers_left_out:
        raise PersonaError(f"{len(profiles)} customers with analytics consent are too few for personas (at least "
                           f"20): {left_out.message()}")
    if len(profiles) < 20:
        raise PersonaError(f"{len(profiles)} customers are too few for personas (at least 20): load more with "
                           "`centric ingest`, or try `centric demo`")
    num, cat, mul = _split(numeric, NUMERIC), _split(categorical, CATEGORICAL), _split(multi, MULTI)
    unknown = [c for c in (*num, *cat, *mul) if c not in profiles.columns]
    if unknown:
        raise PersonaError(f"unknown variable {', '.join(unknown)}: use columns of customer_profiles "
                           "(see docs/data-model.md)")
    try:
        result = cluster_frame(profiles, num, cat, mul, n_clusters=n_clusters, random_state=seed, ranges=RANGES,
                               progress=say)
    except (ClusteringError, FeatureError) as exc:
        raise PersonaError(str(exc)) from exc
    model = result.model
    chosen = None if model.stability_ is None else Stability.from_dict(model.stability_)
    facts = stability_verdict(chosen, model.best_rejected(), model.n_clusters_, forced=n_clusters is not None)
    verdict = partition_note(facts, "en")
    say("personas: writing the cards")
    idx = sample_positions(len(profiles), EXPLAIN_SAMPLE, seed)
    described = result.frame.iloc[idx].reset_index(drop=True)
    cards = build_cards(described, result.labels[idx], result.numeric, [*result.categorical, *result.multi],
                        feedback=_feedback(store), describe_numeric=DESCRIBE_NUMERIC,
                        describe_categorical=DESCRIBE_CATEGORICAL,
                        stability=None if chosen is None else chosen.jaccard)
    for card in cards:
        card["stability"]["partition"] = verdict
        card["stability"]["verdict"] = facts
        card["stability"]["stable"] = model.stable_
    _scale_counts(cards, result.labels, profiles)
    variables = {"numeric": result.numeric, "categorical": result.categorical, "multi": result.multi}
    _write(store, cards, profiles["customer_id"], result.labels, result.distances,
           fingerprints(store, profiles, [*result.numeric, *result.categorical, *result.multi]))
    save_state(store, result, variables, len(profiles), float(np.mean(result.distances)))
    from centric.services.consent import record

    record(store, left_out)
    return PersonaResult(cards, model.n_clusters_, model.silhouettes_,
                         {"numeric": result.numeric, "categorical": result.categorical, "multi": result.multi},
                         result.skipped, result.quality, len(profiles), model.stable_, verdict, model.stabilities_,
                         left_out)


def persona_input(store, settings, rebuild_profiles: bool = True):
    """What personas cluster: the profiles of customers who held analytics consent at some moment up to
    the observation end (their behaviour columns count only events recorded under it), and what was left
    out (customers whole; events from the profiles' event read)."""
    from centric.services.profiles import load_profiles

    profiles = load_profiles(store, rebuild=rebuild_profiles, settings=settings)
    return consenting(store, settings, profiles)


def consenting(store, settings, profiles: pd.DataFrame):
    """(the rows of `profiles` (with customer_id and observed_until) whose customer held analytics consent
    at some moment up to the observation end, what was left out)."""
    from centric.services import consent

    if profiles.empty:
        return profiles, consent.Exclusion("personas", consent.PURPOSES["personas"])
    end = pd.Timestamp(profiles["observed_until"].iloc[0]).to_pydatetime()
    allowed = set(consent.customers_with_purpose(store, settings, consent.PURPOSES["personas"], end)["customer_id"])
    # a set lookup per id: Series.isin over Arrow-backed strings costs ten times more on 20k customers
    keep = pd.Series([c in allowed for c in profiles["customer_id"].to_numpy(dtype=object)], index=profiles.index)
    left_out = consent.count_events_left_out(store, settings, "personas")
    left_out.customers_left_out = int((~keep).sum())
    return profiles[keep].reset_index(drop=True), left_out


def fingerprints(store, profiles: pd.DataFrame, variables) -> np.ndarray:
    """Each row's fingerprint of its clustering variables (queries/personas.py), in the order of `profiles`."""
    from centric.queries.personas import fingerprints as query

    db = store.ibis()
    found = db.execute(query(db.table("customer_profiles"), list(variables)))
    by_id = dict(zip(found["customer_id"].to_numpy(dtype=object), found["profile_hash"].to_numpy(dtype=object)))
    return np.array([by_id.get(c) for c in profiles["customer_id"].to_numpy(dtype=object)], dtype=object)


def save_state(store, result, variables: dict, customers: int, mean_distance: float) -> None:
    from centric.services.run_ledger import save_model

    encoder = json.loads(result.encoder.to_json())
    state = {"encoder": encoder, "centers": result.model.cluster_centers_.tolist(),
             "silhouettes": {str(k): float(v) for k, v in result.model.silhouettes_.items()}}
    from centric.queries.personas import FINGERPRINT

    save_model(store, "personas", {"customers": int(customers), "variables": variables,
                                   "mean_distance": float(mean_distance), "fingerprint": FINGERPRINT}, state)


def _scale_counts(cards: list[dict], labels: np.ndarray, profiles: pd.DataFrame) -> None:
    """Sizes and revenue shares from every customer, not the explained sample."""
    from centric.models.segmentation.personas import narrative

    counts = np.bincount(labels, minlength=len(cards))
    revenue = pd.to_numeric(profiles["revenue"], errors="coerce").fillna(0).to_numpy()
    by_group = np.bincount(labels, weights=revenue, minlength=len(cards))
    for card in cards:
        g = card["persona_id"] - 1
        card["customers"] = int(counts[g])
        card["customer_share"] = round(float(counts[g]) / len(labels), 4)
        card["revenue_share"] = round(float(by_group[g] / revenue.sum()), 4) if revenue.sum() else None
        card["summary"] = narrative(card)


def _write(store, cards, customer_ids, labels, distances, hashes=None) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    personas = pd.DataFrame([{
        "persona_id": c["persona_id"], "name": c["name"], "customers": c["customers"],
        "customer_share": c["customer_share"], "revenue_share": c["revenue_share"], "summary": c["summary"],
        "stability": c["stability"]["jaccard"], "stability_note": c["stability"]["partition"],
        "traits": json.dumps(c["traits"], ensure_ascii=False, default=_json_default),
        "card": json.dumps(c, ensure_ascii=False, default=_json_default), "computed_at": now,
    } for c in cards])
    members = pd.DataFrame({"customer_id": customer_ids.to_numpy(), "persona_id": labels.astype("int64") + 1,
                            "distance": distances.astype(float), "profile_hash": hashes, "assigned": "clustered"})
    store.replace_tables({"personas": personas, "customer_personas": members})


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return str(value)


def persona_names(store) -> pd.DataFrame | None:
    """customer_id -> persona name, or None before `centric personas`."""
    if not store.has_rows("customer_personas"):
        return None
    db = store.ibis()
    personas = db.table("personas").select("persona_id", persona="name")
    return db.execute(db.table("customer_personas").join(personas, "persona_id").select("customer_id", "persona"))


def load_cards(store) -> list[dict]:
    if not store.has_rows("personas"):
        raise PersonaError("no personas yet: run `centric personas` first")
    db = store.ibis()
    personas = db.table("personas").order_by("persona_id")
    frame = db.execute(personas.select(card=personas.card.cast("string")))
    return [json.loads(c) for c in frame["card"]]
