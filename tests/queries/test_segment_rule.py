"""A compiled segment rule selects exactly what the plain-Python reading of the same rule selects.

Random profiles (with NULLs, empty lists and hostile text) and random rule trees from hypothesis;
values full of quotes, semicolons and SQL stay inert.
"""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centric.models.segmentation.rules import RuleError, matches, parse
from centric.queries.segment_rule import compile_rule
from centric.schema import CUSTOMER_PROFILES

HOSTILE = ["ES", "PT", "ca", "O'Brien", "x'; DROP TABLE customers; --", '"quoted"', "a;b", "%_", "\\", "é", ""]
TAGS = ["tech", "home", "deals", "it's", "; DELETE FROM orders", "%"]
SEGMENTS = ["Champions", "Lost", "Can't lose them", "At risk"]
START = dt.datetime(2025, 1, 1)

texts = st.one_of(st.none(), st.sampled_from(HOSTILE))
lists = st.one_of(st.none(), st.lists(st.sampled_from(TAGS), max_size=3, unique=True))
numbers = st.one_of(st.none(), st.integers(-3, 12))
reals = st.one_of(st.none(), st.sampled_from([-1.0, -0.2, 0.0, 0.05, 0.5, 1.0]))
bools = st.one_of(st.none(), st.booleans())
times = st.one_of(st.none(), st.integers(0, 400).map(lambda d: START + dt.timedelta(days=d, hours=d % 24)))

row = st.fixed_dictionaries({
    "country": texts, "city": texts, "rfm_segment": st.one_of(st.none(), st.sampled_from(SEGMENTS)),
    "tags": lists, "themes": lists, "orders": numbers, "sentiment_score": reals,
    "marketing_consent": bools, "created_at": times,
})

FIELDS = {
    "country": texts.filter(lambda v: v is not None), "city": texts.filter(lambda v: v is not None),
    "rfm_segment": st.sampled_from(SEGMENTS), "orders": st.integers(-3, 12),
    "sentiment_score": st.sampled_from([-1.0, -0.2, 0.0, 0.05, 0.5, 1.0]),
    "marketing_consent": st.booleans(),
    "created_at": st.integers(0, 400).map(lambda d: (START + dt.timedelta(days=d)).isoformat()),
}
LIST_FIELDS = ("tags", "themes")


@st.composite
def conditions(draw):
    if draw(st.integers(0, 3)) == 0:
        field = draw(st.sampled_from(LIST_FIELDS))
        op = draw(st.sampled_from(["contains", "contains_any", "contains_all", "is_empty", "is_null", "not_null"]))
        if op in ("is_empty", "is_null", "not_null"):
            return {"field": field, "op": op}
        if op == "contains":
            return {"field": field, "op": op, "value": draw(st.sampled_from(TAGS))}
        return {"field": field, "op": op, "value": draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=3))}
    field = draw(st.sampled_from(sorted(FIELDS)))
    value = FIELDS[field]
    kind = CUSTOMER_PROFILES.column(field).kind
    ops = ["=", "!=", "in", "not_in", "is_null", "not_null"]
    if kind in ("integer", "number", "timestamp"):
        ops += ["<", "<=", ">", ">=", "between"]
    if kind == "text":
        ops += ["starts_with"]
    if kind == "boolean":
        ops = ["=", "!=", "is_null", "not_null"]
    op = draw(st.sampled_from(ops))
    if op in ("is_null", "not_null"):
        return {"field": field, "op": op}
    if op in ("in", "not_in"):
        return {"field": field, "op": op, "value": draw(st.lists(value, min_size=1, max_size=3))}
    if op == "between":
        return {"field": field, "op": op, "value": sorted(draw(st.lists(value, min_size=2, max_size=2)))}
    if op == "starts_with":
        return {"field": field, "op": op, "value": draw(st.sampled_from(["E", "O'", "x'; DROP", "%", "_", ""]))}
    return {"field": field, "op": op, "value": draw(value)}


rules = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def con():
    return ibis.duckdb.connect()


def _table(con, rows):
    df = pd.DataFrame(rows)
    df.insert(0, "customer_id", [f"c{i}" for i in range(len(df))])
    schema = ibis.schema({"customer_id": "string", "country": "string", "city": "string", "rfm_segment": "string",
                          "tags": "array<string>", "themes": "array<string>", "orders": "int64",
                          "sentiment_score": "float64", "marketing_consent": "boolean", "created_at": "timestamp"})
    df["orders"] = df["orders"].astype("Int64")
    df["marketing_consent"] = df["marketing_consent"].astype("boolean")
    df["created_at"] = pd.to_datetime(df["created_at"])
    return df, ibis.memtable(df, schema=schema)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row, min_size=1, max_size=25), rule=rules)
def test_compiled_rule_selects_what_the_plain_reading_selects(con, rows, rule):
    tree = parse(rule, CUSTOMER_PROFILES)
    df, table = _table(con, rows)
    got = set(con.execute(table.filter(compile_rule(tree, table)).select("customer_id"))["customer_id"])
    want = {cid for cid, record in zip(df["customer_id"], rows) if matches(tree, record)}
    assert got == want


def test_sql_in_values_is_inert(con):
    rows = [{"country": v, "city": None, "rfm_segment": None, "tags": [v], "themes": None, "orders": 1,
             "sentiment_score": None, "marketing_consent": None, "created_at": None} for v in HOSTILE]
    df, table = _table(con, rows)
    for value in HOSTILE:
        tree = parse({"any": [{"field": "country", "op": "=", "value": value},
                              {"field": "tags", "op": "contains", "value": value}]}, CUSTOMER_PROFILES)
        got = con.execute(table.filter(compile_rule(tree, table)).select("country"))["country"].tolist()
        assert got == [value]
    assert con.execute(table.count()) == len(HOSTILE)  # nothing was dropped or deleted


@pytest.mark.parametrize("rule, message", [
    ({"field": "shoe_size", "op": "=", "value": 3}, "unknown field"),
    ({"field": "orders", "op": "contains", "value": 3}, "does not take"),
    ({"field": "orders", "op": ">=", "value": "3; DROP"}, "expected a number"),
    ({"field": "tags", "op": "contains_any", "value": []}, "non-empty list"),
    ({"field": "orders", "op": "between", "value": [1]}, "low, high"),
    ({"all": {"field": "orders"}}, "list of conditions"),
    ({"all": [], "any": []}, "only key"),
    ({"field": "created_at", "op": ">", "value": "last tuesday"}, "date or time"),
    ({"field": "country", "op": "=", "value": None}, "is_null"),
    ("orders > 3", "expected an object"),
])
def test_bad_rules_say_where_and_why(rule, message):
    with pytest.raises(RuleError, match=message):
        parse(rule, CUSTOMER_PROFILES)
