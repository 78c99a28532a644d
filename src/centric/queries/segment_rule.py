"""Compile a parsed segment rule (models.segmentation.rules) to an Ibis boolean expression.

Values travel as Ibis literals, so the backend binds or quotes them: nothing a user writes in a
rule is pasted into SQL text. Every condition is wrapped in coalesce(..., false), which gives
the two-valued logic the plain reading (`rules.matches`) follows.
"""

from __future__ import annotations


def compile_rule(tree, table):
    """The boolean expression over `table` (customer_profiles) that selects the rule's members.

    tree: a parsed rule, whose nodes are groups (combinator, parts), negations (part) or conditions
    (field, op, value)."""
    import ibis

    if hasattr(tree, "combinator"):
        if not tree.parts:
            return ibis.literal(tree.combinator == "all")
        parts = [compile_rule(p, table) for p in tree.parts]
        out = parts[0]
        for part in parts[1:]:
            out = (out & part) if tree.combinator == "all" else (out | part)
        return out
    if hasattr(tree, "part"):
        return ~compile_rule(tree.part, table)
    return _condition(tree, table[tree.field]).fill_null(False)


def _condition(c, col):
    import ibis

    op, v = c.op, c.value
    if op == "is_null":
        return col.isnull()
    if op == "not_null":
        return col.notnull()
    if op == "contains":
        return col.contains(ibis.literal(v, "string"))
    if op in ("contains_any", "contains_all"):
        parts = [col.contains(ibis.literal(x, "string")) for x in v]
        out = parts[0]
        for part in parts[1:]:
            out = (out | part) if op == "contains_any" else (out & part)
        return out
    if op == "is_empty":
        return col.length() == 0
    if op == "between":
        return col.between(_lit(v[0], col), _lit(v[1], col))
    if op == "in":
        return col.isin([_lit(x, col) for x in v])
    if op == "not_in":
        return col.notnull() & ~col.isin([_lit(x, col) for x in v])
    if op == "starts_with":
        return col.startswith(ibis.literal(v, "string"))
    lit = _lit(v, col)
    return {"=": col == lit, "!=": col != lit, "<": col < lit, "<=": col <= lit, ">": col > lit, ">=": col >= lit}[op]


def _lit(value, col):
    import ibis

    return ibis.literal(value, col.type()) if not col.type().is_numeric() else ibis.literal(value)
