"""Personas between re-clusterings: new and changed customers join the nearest existing persona.

Rules:
- A full `build_personas` saves its encoder (scales, levels) and persona centres (`model_states`,
  model "personas") and a fingerprint of each customer's clustering variables (customer_personas.
  profile_hash: the engine's hash of them, queries/personas.py; fingerprints of another definition are
  not compared: the personas are re-clustered once).
- An incremental run reads every customer's fingerprint and numeric and categorical variables (the
  audit's fences and rare levels are the whole column's, as in the fit), and the list variables (tags,
  categories, themes) of the new and changed customers only; it encodes them exactly as the fit did (the
  same encoder, models/segmentation/features.py) and gives each customer whose fingerprint is new or
  changed the persona with the nearest centre (customer_personas.assigned = nearest). Everyone else keeps their persona and
  distance; customers no longer among the profiles (erased, or consent withdrawn) leave. Persona sizes and
  shares are recounted; the cards' descriptions stay those of the last clustering.
- Re-cluster (the full `build_personas`) on drift, or when asked (`centric personas --refit`, `centric
  run --full`). Drift is: no saved model, or the clustering variables changed; new and changed customers
  above NEW_SHARE (20%) of those clustered; or the newly assigned customers' mean distance to their
  centre above DISTANCE_RATIO (1.5) times the clustered customers' mean distance (they fit no persona).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

NEW_SHARE = 0.20
DISTANCE_RATIO = 1.5


def _current(store, settings, variables: dict):
    """The customers personas may cluster now (analytics consent, as services/personas.persona_input), in
    customer_id order: customer_id, observed_until, revenue, the numeric and categorical clustering
    variables and profile_hash; and what consent left out. The list variables are not read here (only the
    new and changed customers' are: `_lists`)."""
    from centric.queries.personas import fingerprint
    from centric.services.personas import consenting

    db = store.ibis()
    t = db.table("customer_profiles")
    names = [*variables["numeric"], *variables["categorical"], *variables["multi"]]
    if any(c not in t.columns for c in names):
        return None, None
    scalars = [*variables["numeric"], *variables["categorical"]]
    frame = db.execute(t.select("customer_id", "observed_until", "revenue", *scalars,
                                profile_hash=fingerprint(t, names)).order_by("customer_id"))
    return consenting(store, settings, frame)


def _lists(store, ids, columns) -> pd.DataFrame:
    """The list clustering variables of the customers `ids`, in that order."""
    import ibis

    from centric.queries.personas import of_customers

    db = store.ibis()
    wanted = ibis.memtable(pd.DataFrame({"customer_id": pd.Series(ids, dtype=object).astype(str)}),
                           schema={"customer_id": "string"})
    rows = db.execute(of_customers(db.table("customer_profiles"), list(columns), wanted))
    return rows.set_index("customer_id").reindex(pd.Index(ids, dtype=object))


def assign_incremental(store, settings, progress=None):
    """(PersonaResult, reason) after assigning new and changed customers; (None, why) when a re-clustering
    is due (the caller then runs build_personas)."""
    from centric.models.segmentation.clustering import _nearest
    from centric.models.segmentation.features import MixedEncoder
    from centric.models.segmentation.quality import audit
    from centric.queries.personas import FINGERPRINT
    from centric.services.consent import record
    from centric.services.personas import RANGES, PersonaResult, _scale_counts, load_cards
    from centric.services.run_ledger import load_model

    say = progress or (lambda *_: None)
    saved = load_model(store, "personas")
    if saved is None or not store.has_rows("customer_personas"):
        return None, "no saved personas"
    fitted_on, state = saved
    if fitted_on.get("fingerprint") != FINGERPRINT:
        return None, "customers' fingerprints saved by an older version"
    variables = fitted_on["variables"]
    num, cat, mul = variables["numeric"], variables["categorical"], variables["multi"]
    say("personas: assigning new and changed customers")
    profiles, left_out = _current(store, settings, variables)
    if profiles is None or len(profiles) < 20:
        return None, "the clustering variables changed"
    db = store.ibis()
    members = db.execute(db.table("customer_personas"))
    if members["profile_hash"].isna().any():
        return None, "personas written before fingerprints were kept"
    hashes = profiles["profile_hash"].to_numpy(dtype=object)
    known = dict(zip(members["customer_id"].to_numpy(dtype=object), members["profile_hash"].to_numpy(dtype=object)))
    fresh = np.array([known.get(c) != h for c, h in zip(profiles["customer_id"].to_numpy(dtype=object), hashes)],
                     dtype=bool)
    clustered = max(int(fitted_on.get("customers", 0)), 1)
    if fresh.sum() / clustered > NEW_SHARE:
        return None, f"drift: {int(fresh.sum()):,} new or changed customers, more than {NEW_SHARE:.0%} of {clustered:,}"
    encoder = MixedEncoder(num, cat, mul)
    encoder.params_ = state["encoder"]["params"]
    centers = np.asarray(state["centers"], dtype=np.float64)
    # the audit sets dirty values aside from every customer's numeric and categorical columns, as the fit did
    clean, _ = audit(profiles, num, cat, ranges=RANGES)
    changed = clean.loc[fresh].reset_index(drop=True)
    if mul and len(changed):
        lists = _lists(store, changed["customer_id"].to_numpy(dtype=object), mul)
        for col in mul:
            changed[col] = lists[col].to_numpy(dtype=object)
    X = encoder.transform(changed) if len(changed) else np.zeros((0, centers.shape[1]))
    labels_new = _nearest(X, centers) if len(X) else np.zeros(0, dtype=np.int64)
    dist_new = np.sqrt(((X - centers[labels_new]) ** 2).sum(axis=1)) if len(X) else np.zeros(0)
    if len(X) and dist_new.mean() > DISTANCE_RATIO * float(fitted_on.get("mean_distance") or np.inf):
        return None, (f"drift: new customers lie {dist_new.mean():.2f} from their persona's centre, more than "
                      f"{DISTANCE_RATIO} x the clustered customers' {fitted_on['mean_distance']:.2f}")
    old = members.set_index("customer_id")
    ids = profiles["customer_id"].to_numpy()
    out = pd.DataFrame({"customer_id": ids})
    stay = ~fresh
    out.loc[stay, "persona_id"] = old.loc[ids[stay], "persona_id"].to_numpy()
    out.loc[stay, "distance"] = old.loc[ids[stay], "distance"].to_numpy()
    out.loc[stay, "assigned"] = old.loc[ids[stay], "assigned"].to_numpy()
    out.loc[fresh, "persona_id"] = labels_new + 1
    out.loc[fresh, "distance"] = dist_new
    out.loc[fresh, "assigned"] = "nearest"
    out["persona_id"] = out["persona_id"].astype("int64")
    out["distance"] = out["distance"].astype(float)
    out["profile_hash"] = hashes
    cards = load_cards(store)
    _scale_counts(cards, out["persona_id"].to_numpy() - 1, profiles)
    p = db.table("personas")
    personas = db.execute(p.mutate(traits=p.traits.cast("string"), card=p.card.cast("string")).order_by("persona_id"))
    by_id = {c["persona_id"]: c for c in cards}
    for col in ("customers", "customer_share", "revenue_share", "summary"):
        personas[col] = [by_id[p][col] for p in personas["persona_id"]]
    personas["card"] = [json.dumps(by_id[p], ensure_ascii=False, default=str) for p in personas["persona_id"]]
    store.replace_tables({"personas": personas, "customer_personas": out})
    record(store, left_out)
    present = set(ids)
    gone = sum(1 for c in members["customer_id"].to_numpy(dtype=object) if c not in present)
    reason = (f"{int(fresh.sum()):,} new or changed customers assigned to the nearest persona"
              + (f", {gone:,} left" if gone else "") + "; no drift")
    silhouettes = {int(k): v for k, v in state.get("silhouettes", {}).items()}
    return PersonaResult(cards, len(cards), silhouettes, variables, customers=len(profiles), consent=left_out), reason
