"""Money in another currency, converted to the workspace currency at ingest.

One rule: an order whose currency is not the workspace's is converted at the latest `fx_rates`
row of its currency on or before the order's date (an ASOF join; rate = units of the workspace
currency per unit of the order's currency). The order keeps what the file said in
original_currency and original_total, and the rate in fx_rate; its money columns (total,
discount, shipping, charges) and its lines' unit prices are then in the workspace currency. An
order without a currency is in the workspace currency (rate 1). An order with no usable rate is
quarantined with a reason that names the missing rate and how to supply it: two currencies are
never summed as one.

Conversion happens at ingest, so every analysis reads one currency, and a file whose rates are
missing loads the orders it can convert: load the rates, then ingest the file again (loading the
same file twice changes nothing for the orders already in).
"""

from __future__ import annotations

from centric.store.sqltext import ident, set_variable, var

ORDER_MONEY = ("total", "discount", "shipping", "charges")
FX_COLUMNS = ("original_currency", "original_total", "fx_rate")


def missing_rate_reason(currency_sql: str, day_sql: str) -> str:
    """SQL for the quarantine reason of an order without a rate."""
    return (f"format('no {{}} rate on or before {{}} in fx_rates: load one with "
            f"`centric ingest fx_rates FILE`, then ingest this file again', {currency_sql}, {day_sql})")


def build_rates(con, source: str, key: str, workspace_currency: str, out: str = "_fx") -> None:
    """Table `out`: one row per row of `source` (its `key`, currency, ordered_at) with its rate.

    Columns: _fx_key, original_currency, _fx_day, fx_rate (NULL when no rate is usable).
    """
    set_variable(con, "centric_currency", workspace_currency.upper())
    home = var("centric_currency")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {ident(out)} AS "
        f"SELECT s._fx_key, s.original_currency, s._fx_day, "
        f"CASE WHEN s.original_currency = {home} THEN 1.0 ELSE r.rate END AS fx_rate "
        f"FROM (SELECT {ident(key)} AS _fx_key, coalesce(upper(trim(CAST(currency AS VARCHAR))), {home}) AS original_currency, "
        f"CAST(ordered_at AS DATE) AS _fx_day FROM {source}) s "
        f"ASOF LEFT JOIN (SELECT upper(trim(currency)) AS currency, rate_date, rate FROM fx_rates "
        f"WHERE rate > 0) r ON s.original_currency = r.currency AND s._fx_day >= r.rate_date"
    )


def missing_rows(fx: str = "_fx", line_of: str | None = None) -> str:
    """A select of (_line, column_name, value, reason) for the rows of `fx` without a rate.

    line_of: a table of (_fx_key, _line) giving each key's lines (an order's export lines); by
    default the key is the line itself.
    """
    reason = missing_rate_reason("f.original_currency", "strftime(f._fx_day, '%Y-%m-%d')")
    if line_of is None:
        return (f"SELECT f._fx_key AS _line, 'currency' AS column_name, f.original_currency AS value, "
                f"{reason} AS reason FROM {ident(fx)} f WHERE f.fx_rate IS NULL")
    return (f"SELECT l._line, 'currency' AS column_name, f.original_currency AS value, {reason} AS reason "
            f"FROM {ident(fx)} f JOIN {line_of} l ON l._fx_key = f._fx_key WHERE f.fx_rate IS NULL")


def converted(amount: str, rate: str) -> str:
    """SQL: an amount times a rate, rounded to the cent, as money."""
    return f"CAST(round({amount} * {rate}, 2) AS DECIMAL(18,2))"


def converted_orders(source: str, key: str, fx: str = "_fx", has_charges: bool = True) -> str:
    """A select over `source` with its money converted, currency set to the workspace's, and FX_COLUMNS;
    rows without a rate left out."""
    money = [m for m in ORDER_MONEY if has_charges or m != "charges"]
    replaced = ", ".join(f"{converted('s.' + ident(m), 'f.fx_rate')} AS {ident(m)}" for m in money)
    return (f"(SELECT s.* REPLACE ({replaced}, {var('centric_currency')} AS currency), "
            f"f.original_currency, s.total AS original_total, f.fx_rate "
            f"FROM {source} s JOIN {ident(fx)} f ON f._fx_key = s.{ident(key)} WHERE f.fx_rate IS NOT NULL)")


def converted_lines(source: str) -> str:
    """A select over order lines `source` with unit_price converted at its order's fx_rate (1 when the
    order has none recorded)."""
    return (f"(SELECT s.* REPLACE ({converted('s.unit_price', 'coalesce(o.fx_rate, 1.0)')} AS unit_price) "
            f"FROM {source} s LEFT JOIN (SELECT order_id, fx_rate FROM orders) o ON o.order_id = s.order_id)")
