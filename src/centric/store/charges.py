"""Order lines that are not goods become order charges, not products.

Postage, bank charges, marketplace fees, manual adjustments, discounts, samples and vouchers sold
are lines in many exports. They are not merchandise: they must not count as products or
categories (personas and categories read order_lines), nor as revenue (revenue is net
merchandise). A line is a charge when, first match wins:

1. its sku is one of the charge codes: the preset's own list (UCI: POST, DOT, C2, BANK CHARGES,
   AMAZONFEE, CRUK, D, M, S, B, ...) and the user's (`centric ingest --charge-sku CODE[=KIND]`,
   or `charge_skus` under [ingest] in centric.toml), compared without case;
2. its sku matches one of the preset's patterns (UCI's gift vouchers `gift_0001_10` ...);
3. its category is itself a charge kind (shipping, discount, fee, manual, sample, adjustment,
   voucher).

A charge line goes to `order_charges` with its kind and amount (quantity x unit price). In an
order export, an order's shipping, discount and charges columns add up its charge lines
(shipping lines to shipping; discount lines to discount, as a positive amount when they reduce
the bill; the other kinds to charges), on top of what the export's order fields say.
"""

from __future__ import annotations

from centric import schema as S
from centric.store.sqltext import ident
from centric.store.upsert import merge

DEFAULT_KIND = "fee"


def parse_charge_skus(values) -> dict[str, str]:
    """CODE or CODE=KIND texts (a kind among schema.CHARGE_KINDS; fee when not given) -> {CODE: kind}."""
    codes = {}
    for value in values or ():
        code, _, kind = str(value).partition("=")
        code, kind = code.strip().upper(), (kind.strip().lower() or DEFAULT_KIND)
        if not code:
            raise ValueError(f"a charge sku needs a code, got {value!r} (e.g. --charge-sku SHIP=shipping)")
        if kind not in S.CHARGE_KINDS:
            raise ValueError(f"charge sku {value!r}: the kind must be one of {', '.join(S.CHARGE_KINDS)}")
        codes[code] = kind
    return codes


def register(con, codes: dict[str, str], patterns: dict[str, str] | None = None) -> None:
    """Temp tables _charge_codes (code, kind) and _charge_patterns (pattern, kind): bound values, never SQL text."""
    con.execute("CREATE OR REPLACE TEMP TABLE _charge_codes (code VARCHAR, kind VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE _charge_patterns (pattern VARCHAR, kind VARCHAR)")
    if codes:
        con.executemany("INSERT INTO _charge_codes VALUES (?, ?)", [(c.upper(), k) for c, k in codes.items()])
    if patterns:
        con.executemany("INSERT INTO _charge_patterns VALUES (?, ?)",
                        [(p.upper(), k) for p, k in patterns.items()])


def with_kind(source: str) -> str:
    """A select over `source` (with sku and category) adding _charge_kind (NULL for goods)."""
    kinds = ", ".join(f"'{k}'" for k in S.CHARGE_KINDS)  # centric's own constants
    return (
        f"(SELECT s.*, coalesce((SELECT any_value(c.kind) FROM _charge_codes c WHERE c.code = upper(trim(CAST(s.sku AS VARCHAR)))), "
        f"(SELECT min(p.kind) FROM _charge_patterns p WHERE upper(trim(CAST(s.sku AS VARCHAR))) LIKE p.pattern), "
        f"CASE WHEN lower(CAST(s.category AS VARCHAR)) IN ({kinds}) THEN lower(CAST(s.category AS VARCHAR)) END) AS _charge_kind FROM {source} s)"
    )


def split_lines(con, view: str, codes: dict[str, str], report) -> str:
    """Move the charge lines of a view of typed order lines to order_charges; return a view of the goods.

    A line that was loaded before under the other kind (a code added since) moves over.
    """
    register(con, codes)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _split AS SELECT * FROM {with_kind(view)}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _charge_rows AS SELECT order_id, line_no, sku, product_name AS description, "
        "_charge_kind AS kind, quantity, CAST(quantity * unit_price AS DECIMAL(18,2)) AS amount "
        "FROM _split WHERE _charge_kind IS NOT NULL"
    )
    store_charges(con, "_charge_rows", report)
    con.execute("DELETE FROM order_charges c WHERE EXISTS (SELECT 1 FROM _split s WHERE s._charge_kind IS NULL "
                "AND s.order_id = c.order_id AND s.line_no = c.line_no)")
    con.execute("CREATE OR REPLACE TEMP VIEW _checked_goods AS SELECT * EXCLUDE (_charge_kind) FROM _split "
                "WHERE _charge_kind IS NULL")
    return "_checked_goods"


def store_charges(con, rows: str, report) -> None:
    """Merge charge rows (the columns of order_charges) and take them out of order_lines."""
    con.execute(f"DELETE FROM order_lines l WHERE EXISTS (SELECT 1 FROM {ident(rows)} r "
                "WHERE r.order_id = l.order_id AND r.line_no = l.line_no)")
    report.add("order_charges", merge(con, S.ORDER_CHARGES, ident(rows), S.ORDER_CHARGES.names))
