"""Find, read and delete everything the database holds about one person (GDPR access and erasure).

Rule: the tables are discovered from the database's catalog, never listed by hand. A table holds a
person's rows when it has a person column (PERSON_COLUMNS: customer_id, user_id, anonymous_id, email)
whose value is one of the person's ids, or when a key links it to such rows (LINKS: order_lines by
order_id, feedback_insights by feedback_id, ...). Tables that hold person data another way are
named in SPECIAL; tables that hold none are named in NO_PERSON_DATA with the reason. A table in
none of these is `unclassified`: it is reported, and tests/services/test_privacy.py fails, so a new
table cannot be forgotten.

The person's ids: the customer id; the e-mail of their customers row; every anonymous id seen on
their events; and, when an `identities` table exists, every id it maps to them (followed until
nothing new turns up). An anonymous id also seen on another customer's events (a shared device)
belongs to both: it is not the person's alone, so neither it nor that other customer's rows are
touched (see docs/privacy.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from centric.store.sqltext import ident

# column -> which of the person's id sets its values are matched against
PERSON_COLUMNS = {"customer_id": "customer_ids", "user_id": "customer_ids", "anonymous_id": "anonymous_ids",
                  "email": "emails"}
# table -> (column, parent table, parent column): rows whose column holds a key of the person's parent rows
LINKS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "orders": (("reverses_order_id", "orders", "order_id"),),
    "order_lines": (("order_id", "orders", "order_id"),),
    "order_charges": (("order_id", "orders", "order_id"),),
    "order_reversals": (("credit_order_id", "orders", "order_id"), ("order_id", "orders", "order_id")),
    "feedback": (("order_id", "orders", "order_id"),),
    "feedback_insights": (("feedback_id", "feedback", "feedback_id"),),
}
# table -> (JSON column, {path in it: which id set}): person rows found inside a message
JSON_PERSON: dict[str, tuple[str, dict[str, str]]] = {
    "spool_pending": ("message", {"$.userId": "customer_ids", "$.customer_id": "customer_ids",
                                  "$.anonymousId": "anonymous_ids", "$.previousId": "anonymous_ids",
                                  "$.traits.email": "emails", "$.context.traits.email": "emails"}),
}
SPECIAL = {
    "quarantine": "rows whose value is one of the person's ids, or contains their e-mail or a long id",
    "personas": "persona cards quote customers' feedback: quotes of the person's texts",
    "model_states": "the saved listening readings hold word n-grams of customers' texts and the lemmas of their "
                    "words: dropped when a person with texts is erased, so the next run refits without them "
                    "(remove_text_models)",
}
NO_PERSON_DATA = {
    "_centric_meta": "schema version",
    "_ingest_log": "files loaded and row counts",
    "marketing_spend": "spend per day and channel",
    "fx_rates": "exchange rates",
    "erasures": "salted hashes of erased ids only",
    "spool_loads": "spool file names and how far each was loaded",
    "consent_exclusions": "counts per analysis of what consent left out",
    "clv_rollups": "sums per segment and channel",
    "clv_models": "model fits (exported as how the person's value was computed)",
    "clv_calibration": "holdout figures per group",
    "clv_tracking": "weekly totals",
    "sentiment_models": "model scores per language",
    "survey_scores": "scores per period and group",
    "feedback_drivers": "figures per theme",
    "feedback_trends": "figures per theme",
    "surveys": "survey definitions",
    "segments": "segment definitions and sizes (memberships are in segment_members)",
    "stage_transitions": "counts per pair of stages",
    "stage_transition_rates": "rates per month",
    "journey_drivers": "model figures per driver",
    "kpis": "figures per month and group",
    "cohorts": "counts per cohort month",
    "repeat_purchase_curve": "shares per day",
    "path_edges": "counts per step",
    "top_paths": "counts per path",
    "run_ledger": "steps, row counts and content digests of the tables each step read",
}


@dataclass
class PersonIds:
    customer_id: str
    customer_ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    anonymous_ids: set[str] = field(default_factory=set)
    identities: set[str] = field(default_factory=set)  # other ids an identities table maps to the person
    shared_anonymous_ids: set[str] = field(default_factory=set)  # also another customer's: kept
    order_ids: set[str] = field(default_factory=set)
    feedback_texts: set[str] = field(default_factory=set)

    def by_kind(self) -> dict[str, set[str]]:
        return {"customer_id": self.customer_ids, "email": self.emails, "anonymous_id": self.anonymous_ids,
                "identity": self.identities, "order_id": self.order_ids}

    def values(self) -> set[str]:
        return {v for values in self.by_kind().values() for v in values}


def catalog(con) -> dict[str, list[str]]:
    """Every table of the workspace database (main schema) and its columns, from the catalog. Read it
    once per request and hand it to the functions below (`tables`)."""
    con = getattr(con, "con", con)  # a Store, or its connection
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def classify(tables: dict[str, list[str]]) -> dict[str, str]:
    """table -> person, linked, special, none or unclassified (see the module's rule), for a `catalog`."""
    out = {}
    for table, columns in tables.items():
        if any(c in PERSON_COLUMNS for c in columns) or table in JSON_PERSON:
            out[table] = "person"
        elif table in LINKS:
            out[table] = "linked"
        elif table in SPECIAL:
            out[table] = "special"
        elif table in NO_PERSON_DATA:
            out[table] = "none"
        else:
            out[table] = "unclassified"
    return out


def find_customer(con, text: str, tables: dict[str, list[str]]) -> str | None:
    """The customer id `text` names: a customer id, else the e-mail of exactly one customer, else an id
    an identities table maps to one customer."""
    con = getattr(con, "con", con)  # a Store, or its connection
    text = text.strip()
    if con.execute("SELECT 1 FROM customers WHERE customer_id = ?", [text]).fetchone():
        return text
    rows = con.execute("SELECT customer_id FROM customers WHERE lower(email) = lower(?)", [text]).fetchall()
    if len(rows) == 1:
        return rows[0][0]
    if "identities" in tables:
        found = {row[0] for row in _identity_rows(con, tables["identities"], None, text)}
        if len(found) == 1:
            return found.pop()
    return None


def _identity_rows(con, columns: list[str], customer_ids: set[str] | None, value: str | None = None) -> list[tuple]:
    """identities rows (of these columns) as (customer_id, {column: text}) of some customers, or that hold `value`."""
    columns = [c for c in columns if c != "customer_id"]
    select = ", ".join(f"CAST({ident(c)} AS VARCHAR)" for c in columns)
    if customer_ids is not None:
        rows = con.execute(f"SELECT customer_id, {select} FROM identities WHERE list_contains(?::VARCHAR[], customer_id)",
                           [sorted(customer_ids)]).fetchall()
    else:
        any_column = " OR ".join(f"CAST({ident(c)} AS VARCHAR) = ?" for c in columns)
        rows = con.execute(f"SELECT customer_id, {select} FROM identities WHERE {any_column}",
                           [value] * len(columns)).fetchall()
    return [(row[0], dict(zip(columns, row[1:]))) for row in rows]


def _identity_ids(row: dict) -> dict[str, set[str]]:
    """The ids one identities row names, by kind (column names, or a kind/type column beside an id/value one)."""
    out: dict[str, set[str]] = {"customer_ids": set(), "emails": set(), "anonymous_ids": set(), "identities": set()}
    kind = next((row[k] for k in ("kind", "id_kind", "id_type", "identity_type", "type") if row.get(k)), None)
    for column, value in row.items():
        if not value or column in ("kind", "id_kind", "id_type", "identity_type", "type"):
            continue
        name = column.lower()
        if "email" in name:
            out["emails"].add(value.strip().lower())
        elif "anonymous" in name:
            out["anonymous_ids"].add(value)
        elif name in ("user_id", "previous_id"):
            out["customer_ids"].add(value)
        elif name in ("id", "value", "identity", "id_value") and kind:
            k = str(kind).lower()
            target = ("emails" if "email" in k else "anonymous_ids" if "anon" in k
                      else "customer_ids" if "user" in k or "customer" in k else "identities")
            out[target].add(value.strip().lower() if target == "emails" else value)
    return out


def person_ids(con, customer_id: str, tables: dict[str, list[str]]) -> PersonIds:
    """Every id of the person (module rule), their order ids and the texts of their feedback."""
    con = getattr(con, "con", con)  # a Store, or its connection
    ids = PersonIds(customer_id, customer_ids={customer_id})
    has_identities = "identities" in tables
    for _ in range(10):  # follow identities until nothing new turns up
        before = (len(ids.customer_ids), len(ids.emails), len(ids.anonymous_ids), len(ids.identities))
        customers = sorted(ids.customer_ids)
        ids.emails |= {r[0].strip().lower() for r in con.execute(
            "SELECT email FROM customers WHERE list_contains(?::VARCHAR[], customer_id) AND email IS NOT NULL",
            [customers]).fetchall()}
        ids.anonymous_ids |= {r[0] for r in con.execute(
            "SELECT DISTINCT anonymous_id FROM events WHERE list_contains(?::VARCHAR[], customer_id) AND anonymous_id IS NOT NULL",
            [customers]).fetchall()}
        if has_identities:
            for _, row in _identity_rows(con, tables["identities"], ids.customer_ids):
                for kind, values in _identity_ids(row).items():
                    getattr(ids, kind).update(values)
        if before == (len(ids.customer_ids), len(ids.emails), len(ids.anonymous_ids), len(ids.identities)):
            break
    ids.shared_anonymous_ids = {r[0] for r in con.execute(
        "SELECT DISTINCT anonymous_id FROM events WHERE list_contains(?::VARCHAR[], anonymous_id) AND customer_id IS NOT NULL "
        "AND NOT list_contains(?::VARCHAR[], customer_id)", [sorted(ids.anonymous_ids), sorted(ids.customer_ids)]).fetchall()}
    ids.anonymous_ids -= ids.shared_anonymous_ids
    where, params = _person_where(tables["orders"], ids)
    ids.order_ids = {r[0] for r in con.execute(f"SELECT order_id FROM orders WHERE {where}", params).fetchall()}
    where, params = _person_where(tables["feedback"], ids)
    ids.feedback_texts = {r[0] for r in con.execute(
        f"SELECT text FROM feedback WHERE ({where}) AND text IS NOT NULL", params).fetchall()}
    return ids


def _person_where(columns: list[str], ids: PersonIds) -> tuple[str, list]:
    parts, params = [], []
    for column in columns:
        kind = PERSON_COLUMNS.get(column)
        if kind is None:
            continue
        values = set(getattr(ids, kind))
        if kind == "customer_ids":  # journeys and funnels name an unknown visitor anon:<anonymous id>
            values |= {f"anon:{a}" for a in ids.anonymous_ids}
        text = f"lower(trim(CAST({ident(column)} AS VARCHAR)))" if kind == "emails" else f"CAST({ident(column)} AS VARCHAR)"
        parts.append(f"list_contains(?::VARCHAR[], {text})")
        params.append(sorted(values))
    return (" OR ".join(parts) or "false"), params


def selections(con, ids: PersonIds, tables: dict[str, list[str]]) -> dict[str, tuple[str, list]]:
    """table -> (WHERE clause, parameters) selecting the person's rows, for every person and linked table.
    Linked rows are selected by the keys of their parents found now, so the selections stay true while
    the tables are deleted from one by one."""
    con = getattr(con, "con", con)  # a Store, or its connection
    kinds = classify(tables)
    out: dict[str, tuple[str, list]] = {}
    keys: dict[tuple[str, str], list[str]] = {("orders", "order_id"): sorted(ids.order_ids)}
    if "feedback" in tables:
        where, params = _person_where(tables["feedback"], ids)
        for column, parent, parent_column in LINKS["feedback"]:
            where += f" OR list_contains(?::VARCHAR[], CAST({ident(column)} AS VARCHAR))"
            params.append(keys[(parent, parent_column)])
        keys[("feedback", "feedback_id")] = sorted(r[0] for r in con.execute(
            f"SELECT feedback_id FROM feedback WHERE {where}", params).fetchall())
    for table, columns in tables.items():
        if kinds[table] not in ("person", "linked"):
            continue
        where, params = _person_where(columns, ids)
        if table in JSON_PERSON:
            column, paths = JSON_PERSON[table]
            for path, kind in paths.items():
                text = f"json_extract_string({ident(column)}, '{path}')"
                if kind == "emails":
                    text = f"lower(trim({text}))"
                where += f" OR list_contains(?::VARCHAR[], {text})"
                params.append(sorted(getattr(ids, kind)))
        for column, parent, parent_column in LINKS.get(table, ()):
            if column in columns and (parent, parent_column) in keys:
                where += f" OR list_contains(?::VARCHAR[], CAST({ident(column)} AS VARCHAR))"
                params.append(keys[(parent, parent_column)])
        out[table] = (where, params)
    return out


def rows(con, table: str, where: str, params: list) -> tuple[list[str], list[tuple]]:
    """The rows a selection picks, as (column names, tuples); JSON cells parsed into Python values."""
    con = getattr(con, "con", con)  # a Store, or its connection
    result = con.execute(f"SELECT * FROM {ident(table)} WHERE {where}", params)
    names = [d[0] for d in result.description]
    json_at = [i for i, d in enumerate(result.description) if str(d[1]) == "JSON"]
    out = []
    for row in result.fetchall():
        if json_at:
            row = list(row)
            for i in json_at:
                if isinstance(row[i], str):
                    try:
                        row[i] = json.loads(row[i])
                    except ValueError:
                        pass
            row = tuple(row)
        out.append(row)
    return names, out


def context(con, segments: list[str], persona_ids: list) -> dict[str, tuple[list[str], list[tuple]]]:
    """What explains the person's derived rows: the CLV models their value and churn risk come from,
    the definitions of their segments and the personas they belong to (without the cards)."""
    con = getattr(con, "con", con)  # a Store, or its connection
    out = {"clv_models": rows(con, "clv_models", "chosen OR churn_source", []),
           "segments": rows(con, "segments", "list_contains(?::VARCHAR[], segment)", [sorted(segments)])}
    result = con.execute("SELECT * EXCLUDE (card) FROM personas WHERE list_contains(?::BIGINT[], persona_id)",
                         [sorted(persona_ids)])
    out["personas"] = ([d[0] for d in result.description], result.fetchall())
    return out


def delete(con, table: str, where: str, params: list) -> int:
    con = getattr(con, "con", con)  # a Store, or its connection
    return con.execute(f"DELETE FROM {ident(table)} WHERE {where}", params).fetchone()[0]


def quarantine_matches(con, ids: PersonIds) -> tuple[list[str], list[tuple], list[int]]:
    """Quarantine rows whose value is one of the person's ids or contains their e-mail or an id of 8 or more
    characters (a duplicate key's message): (columns, rows, rowids)."""
    con = getattr(con, "con", con)  # a Store, or its connection
    exact = sorted(ids.values() | {f"anon:{a}" for a in ids.anonymous_ids})
    emails = sorted({v.lower() for v in ids.values() if "@" in v or len(v) >= 8})  # telling enough to look inside
    result = con.execute(
        "SELECT rowid, * FROM quarantine WHERE list_contains(?::VARCHAR[], trim(value)) "
        "OR len(list_filter(?::VARCHAR[], lambda e: contains(lower(value), e))) > 0", [exact, emails])
    names = [d[0] for d in result.description][1:]
    found = result.fetchall()
    return names, [r[1:] for r in found], [r[0] for r in found]


def delete_rowids(con, table: str, rowids: list[int]) -> int:
    con = getattr(con, "con", con)  # a Store, or its connection
    if not rowids:
        return 0
    return con.execute(f"DELETE FROM {ident(table)} WHERE list_contains(?::BIGINT[], rowid)", [rowids]).fetchone()[0]


def persona_quotes(con, texts: set[str]) -> list[dict]:
    """The person's texts quoted on persona cards: [{persona_id, name, quote}]."""
    con = getattr(con, "con", con)  # a Store, or its connection
    out = []
    if not texts:
        return out
    for persona_id, name, card in con.execute("SELECT persona_id, name, card FROM personas").fetchall():
        for quote in (json.loads(card) if card else {}).get("quotes", []) or []:
            if quote.get("text") in texts:
                out.append({"persona_id": persona_id, "name": name, "quote": quote})
    return out


def remove_persona_quotes(con, texts: set[str]) -> int:
    """Take the person's texts off every persona card; returns the quotes removed."""
    con = getattr(con, "con", con)  # a Store, or its connection
    removed = 0
    if not texts:
        return removed
    for persona_id, card in con.execute("SELECT persona_id, card FROM personas").fetchall():
        data = json.loads(card) if card else {}
        quotes = data.get("quotes") or []
        kept = [q for q in quotes if q.get("text") not in texts]
        if len(kept) != len(quotes):
            removed += len(quotes) - len(kept)
            data["quotes"] = kept
            con.execute("UPDATE personas SET card = ? WHERE persona_id = ?", [json.dumps(data), persona_id])
    return removed


def remove_text_models(con, texts: set[str]) -> int:
    """Drop the saved listening readings (their vocabularies are n-grams of customers' texts) and the
    lemmas remembered with them (words of those texts) when the person wrote any text; the next run
    refits them. Returns the readings' states dropped."""
    con = getattr(con, "con", con)  # a Store, or its connection
    if not texts:
        return 0
    found = con.execute("SELECT count(*) FROM model_states WHERE model = 'listening'").fetchone()[0]
    con.execute("DELETE FROM model_states WHERE model IN ('listening', 'listening_lemmas')")
    return int(found)
