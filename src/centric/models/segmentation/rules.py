"""Rule segments: a small declarative language over the customer profile, and its plain reading.

A rule is JSON (or the same dicts in Python):

    {"all": [{"field": "country", "op": "in", "value": ["ES", "PT"]},
             {"field": "orders", "op": ">=", "value": 3},
             {"any": [{"field": "tags", "op": "contains", "value": "tech"},
                      {"not": {"field": "nps_group", "op": "=", "value": "detractor"}}]}]}

Combinators: all (true when empty), any (false when empty), not. Conditions name a field of
`customer_profiles` and an operator:
- numbers and times: = != < <= > >= between [low, high] (inclusive), in, not_in;
- text: = != in not_in starts_with;
- lists (tags, categories, themes, ...): contains, contains_any, contains_all, is_empty;
- any field: is_null, not_null.
A condition on a missing (NULL) value is false (except is_null), and `not` negates a definite
truth value: the rules use two-valued logic, so a compiled rule and this reading agree exactly.
`parse` checks the rule against the profile's columns before anything runs; `queries.segment_rule`
compiles it to an Ibis expression (never to SQL text), and `matches` below is the plain reading.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from centric.schema import (BOOLEAN, DATE, INTEGER, MONEY, NUMBER, TEXT_LIST, TIMESTAMP, Table)

ALIASES = {"==": "=", "eq": "=", "ne": "!=", "<>": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}
COMPARE = ("=", "!=", "<", "<=", ">", ">=")
SCALAR_OPS = COMPARE + ("between", "in", "not_in", "is_null", "not_null")
TEXT_OPS = ("=", "!=", "in", "not_in", "starts_with", "is_null", "not_null")
LIST_OPS = ("contains", "contains_any", "contains_all", "is_empty", "is_null", "not_null")
NUMERIC_KINDS = (INTEGER, NUMBER, MONEY)
TIME_KINDS = (TIMESTAMP, DATE)
MAX_DEPTH = 12
MAX_VALUES = 1000


class RuleError(ValueError):
    """The rule is not valid: the message says where and why."""


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: object
    kind: str


@dataclass(frozen=True)
class Group:
    combinator: str  # all, any
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: object


def parse(rule: dict, table: Table):
    """Check a rule against a table's columns and return its tree (Condition, Group, Not)."""
    return _parse(rule, table, "rule", 0)


def _parse(node, table: Table, where: str, depth: int):
    if depth > MAX_DEPTH:
        raise RuleError(f"{where}: rules nest at most {MAX_DEPTH} levels deep")
    if not isinstance(node, dict):
        raise RuleError(f"{where}: expected an object such as {{\"field\": ..., \"op\": ..., \"value\": ...}}, "
                        f"got {type(node).__name__}")
    keys = set(node)
    for combinator in ("all", "any"):
        if combinator in node:
            if keys != {combinator}:
                raise RuleError(f"{where}: '{combinator}' must be the only key of its object")
            parts = node[combinator]
            if not isinstance(parts, list):
                raise RuleError(f"{where}.{combinator}: expected a list of conditions")
            return Group(combinator, tuple(_parse(p, table, f"{where}.{combinator}[{i}]", depth + 1)
                                           for i, p in enumerate(parts)))
    if "not" in node:
        if keys != {"not"}:
            raise RuleError(f"{where}: 'not' must be the only key of its object")
        return Not(_parse(node["not"], table, f"{where}.not", depth + 1))
    return _condition(node, table, where)


def _condition(node: dict, table: Table, where: str) -> Condition:
    unknown = set(node) - {"field", "op", "value"}
    if unknown or "field" not in node or "op" not in node:
        raise RuleError(f"{where}: a condition has 'field', 'op' and (except is_null, not_null, is_empty) 'value'")
    field, op = node["field"], node["op"]
    if not isinstance(field, str) or field not in table.names:
        import difflib

        near = difflib.get_close_matches(str(field), table.names, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise RuleError(f"{where}: unknown field {field!r}{hint}; fields are {', '.join(table.names)}")
    if not isinstance(op, str):
        raise RuleError(f"{where}: op must be text")
    op = ALIASES.get(op.lower(), op.lower())
    kind = table.column(field).kind
    allowed = LIST_OPS if kind == TEXT_LIST else SCALAR_OPS if kind in NUMERIC_KINDS + TIME_KINDS else (
        ("=", "!=", "is_null", "not_null") if kind == BOOLEAN else TEXT_OPS)
    if op not in allowed:
        raise RuleError(f"{where}: {field} does not take '{op}'; use one of {', '.join(allowed)}")
    if op in ("is_null", "not_null", "is_empty"):
        if node.get("value") is not None:
            raise RuleError(f"{where}: '{op}' takes no value")
        return Condition(field, op, None, kind)
    if "value" not in node:
        raise RuleError(f"{where}: '{op}' needs a value")
    return Condition(field, op, _value(node["value"], op, kind, f"{where}.value"), kind)


def _value(value, op: str, kind: str, where: str):
    if op in ("in", "not_in", "contains_any", "contains_all", "between"):
        if not isinstance(value, list) or not value:
            raise RuleError(f"{where}: '{op}' needs a non-empty list")
        if len(value) > MAX_VALUES:
            raise RuleError(f"{where}: at most {MAX_VALUES} values")
        if op == "between" and len(value) != 2:
            raise RuleError(f"{where}: 'between' needs [low, high]")
        scalar_kind = "text" if kind == TEXT_LIST else kind
        return tuple(_scalar(v, scalar_kind, f"{where}[{i}]") for i, v in enumerate(value))
    return _scalar(value, "text" if kind == TEXT_LIST else kind, where)


def _scalar(value, kind: str, where: str):
    if value is None or isinstance(value, (list, dict)):
        raise RuleError(f"{where}: expected a single value, got {value!r} (use is_null for missing values)")
    if kind in NUMERIC_KINDS:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RuleError(f"{where}: expected a number, got {value!r}")
        return float(value) if isinstance(value, float) or kind != INTEGER else int(value)
    if kind in TIME_KINDS:
        try:
            return dt.datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise RuleError(f"{where}: expected a date or time such as 2026-01-31, got {value!r}") from exc
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise RuleError(f"{where}: expected true or false, got {value!r}")
        return value
    if not isinstance(value, str):
        raise RuleError(f"{where}: expected text, got {value!r}")
    return value


def fields_of(tree) -> set[str]:
    """The profile fields a rule reads."""
    if isinstance(tree, Condition):
        return {tree.field}
    if isinstance(tree, Not):
        return fields_of(tree.part)
    return set().union(*(fields_of(p) for p in tree.parts)) if tree.parts else set()


# -- the plain reading ------------------------------------------------------------------------

def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT
    except (TypeError, ValueError):  # arrays
        return False


def matches(tree, record: dict) -> bool:
    """Whether one customer's profile (a dict of field -> value) satisfies the rule."""
    if isinstance(tree, Group):
        results = (matches(p, record) for p in tree.parts)
        return all(results) if tree.combinator == "all" else any(results)
    if isinstance(tree, Not):
        return not matches(tree.part, record)
    value = record.get(tree.field)
    if tree.op == "is_null":
        return _missing(value)
    if _missing(value):
        return False
    if tree.op == "not_null":
        return True
    if tree.kind == TEXT_LIST:
        items = set(value)
        if tree.op == "contains":
            return tree.value in items
        if tree.op == "contains_any":
            return bool(items & set(tree.value))
        if tree.op == "contains_all":
            return set(tree.value) <= items
        return not items  # is_empty
    if tree.kind in TIME_KINDS and not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value))
    op, want = tree.op, tree.value
    if op == "=":
        return value == want
    if op == "!=":
        return value != want
    if op == "<":
        return value < want
    if op == "<=":
        return value <= want
    if op == ">":
        return value > want
    if op == ">=":
        return value >= want
    if op == "between":
        return want[0] <= value <= want[1]
    if op == "in":
        return value in want
    if op == "not_in":
        return value not in want
    if op == "starts_with":
        return str(value).startswith(want)
    raise RuleError(f"unknown operator {op!r}")  # parse never lets one through
