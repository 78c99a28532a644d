"""Compile a parsed segment rule (models.segmentation.rules) to an Ibis boolean expression, and the
reads of the saved segments (their sizes, the listing, members and stays).

Values travel as Ibis literals, so the backend binds or quotes them: nothing a user writes in a
rule (or a segment's name) is pasted into SQL text. Every condition is wrapped in coalesce(...,
false), which gives the two-valued logic the plain reading (`rules.matches`) follows.
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


MEMBER_PROFILE = ("country", "city", "language", "age", "orders", "revenue", "rfm_segment", "predicted_clv",
                  "churn_risk", "marketing_consent")


def size_and_revenue(profiles):
    """One row: n (customers) and revenue (their summed revenue) of a customer_profiles selection."""
    return profiles.aggregate(n=profiles.count(), revenue=profiles.revenue.sum())


def segment_listing(segments):
    """`segments`, rule segments before RFM ones, the largest first, then by name; the rule as its JSON text."""
    listing = segments.mutate(rule=segments.rule.cast("string"))
    return listing.order_by([listing.kind.desc(), listing.customers.desc(), listing.segment])


def segment_names(segments, kind: str):
    """The names of the saved segments of one kind (rule or rfm)."""
    return segments.filter(segments.kind == kind).select("segment")


def segment_row(segments, name: str):
    """The `segments` row of one segment (none when it has not been computed)."""
    return segments.filter(segments.segment == name)


def member_stays(members, name: str):
    """Every stay in a segment (customer_id, entered_at, left_at), in the order they began."""
    stays = members.filter(members.segment == name).select("customer_id", "entered_at", "left_at")
    return stays.order_by(["entered_at", "customer_id"])


def current_members(members, profiles, customers, name: str):
    """A segment's current members (an open stay) with their e-mail and profile, by customer_id."""
    now = members.filter((members.segment == name) & members.left_at.isnull()).select("customer_id", "entered_at")
    joined = now.join(customers.select("customer_id", "email"), "customer_id")
    joined = joined.join(profiles.select("customer_id", *MEMBER_PROFILE), "customer_id")
    return joined.select("customer_id", "entered_at", "email", *MEMBER_PROFILE).order_by("customer_id")
