"""Orders' merchandise, returned and net_merchandise on Spark: store/reversals.py's rules, as Spark SQL.

Rule: the same definitions, links and caps as store/reversals.py (read its docstring): the same
statements, with temporary views for DuckDB's temporary tables and a new version of `orders` for its
UPDATE. tests/store/test_spark_store.py checks both give the same values on the same orders.
Everything is a set operation over whole tables: it runs on the executors, nothing on the driver.
"""

from __future__ import annotations

COUNTED = "('completed', 'refunded')"

STEPS = (
    ("_sr_goods", "SELECT order_id, sum(quantity * unit_price) AS goods FROM order_lines GROUP BY order_id"),
    ("_sr_merch", "SELECT o.order_id, o.customer_id, o.ordered_at, o.status, o.reverses_order_id, "
     "CAST(CASE WHEN g.order_id IS NOT NULL THEN g.goods - coalesce(o.discount, 0) "
     "ELSE coalesce(o.total, 0) - coalesce(o.shipping, 0) - coalesce(o.charges, 0) END AS DECIMAL(18,2)) "
     "AS merchandise FROM orders o LEFT JOIN _sr_goods g ON g.order_id = o.order_id"),
    ("_sr_credits", f"SELECT * FROM _sr_merch WHERE merchandise < 0 AND status IN {COUNTED}"),
    ("_sr_sales", "SELECT * FROM _sr_merch WHERE merchandise > 0 AND status = 'completed'"),
    ("_sr_by_reference", "SELECT c.order_id AS credit_order_id, s.order_id, 'reference' AS matched_by, "
     "CAST(-c.merchandise AS DECIMAL(38,6)) AS amount, c.ordered_at AS credit_at, CAST(0 AS BIGINT) AS credit_line "
     "FROM _sr_credits c JOIN _sr_sales s ON s.order_id = c.reverses_order_id AND s.order_id <> c.order_id"),
    ("_sr_credit_lines", "SELECT c.order_id AS credit_order_id, c.customer_id, c.ordered_at AS credit_at, l.line_no, "
     "l.sku, -l.quantity AS q, l.unit_price FROM _sr_credits c JOIN order_lines l ON l.order_id = c.order_id "
     "WHERE c.reverses_order_id IS NULL AND c.customer_id IS NOT NULL AND l.quantity < 0 AND l.sku IS NOT NULL"),
    ("_sr_line_match", "SELECT * FROM (SELECT cl.*, s.order_id, l.line_no AS sale_line, l.quantity AS sold, "
     "row_number() OVER (PARTITION BY cl.credit_order_id, cl.line_no ORDER BY s.ordered_at DESC, s.order_id DESC, "
     "l.line_no DESC) AS _rank FROM _sr_credit_lines cl JOIN _sr_sales s ON s.customer_id = cl.customer_id "
     "AND s.ordered_at <= cl.credit_at AND s.order_id <> cl.credit_order_id "
     "JOIN order_lines l ON l.order_id = s.order_id AND l.sku = cl.sku AND l.quantity >= cl.q) WHERE _rank = 1"),
    ("_sr_by_line", "SELECT credit_order_id, order_id, 'line' AS matched_by, "
     "CAST(greatest(0, least(q, sold - (taken - q))) * unit_price AS DECIMAL(38,6)) AS amount, credit_at, "
     "CAST(line_no AS BIGINT) AS credit_line FROM (SELECT *, sum(q) OVER (PARTITION BY order_id, sale_line "
     "ORDER BY credit_at, credit_order_id, line_no ROWS UNBOUNDED PRECEDING) AS taken FROM _sr_line_match)"),
    ("_sr_asked", "SELECT * FROM _sr_by_reference UNION ALL SELECT * FROM _sr_by_line"),
    ("_sr_granted", "SELECT a.credit_order_id, a.order_id, a.matched_by, "
     "greatest(0, least(a.amount, s.merchandise - (sum(a.amount) OVER (PARTITION BY a.order_id ORDER BY "
     "a.credit_at, a.credit_order_id, a.credit_line ROWS UNBOUNDED PRECEDING) - a.amount))) AS amount "
     "FROM _sr_asked a JOIN _sr_sales s ON s.order_id = a.order_id"),
    ("_sr_reversals", "SELECT credit_order_id, order_id, any_value(matched_by) AS matched_by, "
     "CAST(sum(amount) AS DECIMAL(18,2)) AS amount FROM _sr_granted GROUP BY credit_order_id, order_id "
     "HAVING sum(amount) > 0"),
    ("_sr_values", "SELECT m.order_id, m.merchandise, "
     "CAST(CASE WHEN m.status = 'refunded' AND m.merchandise >= 0 THEN m.merchandise "
     "ELSE coalesce(r.returned, 0) END AS DECIMAL(18,2)) AS returned, "
     "CAST(CASE WHEN m.status = 'completed' AND m.merchandise >= 0 THEN m.merchandise - coalesce(r.returned, 0) "
     "WHEN m.status IN ('completed', 'refunded') AND m.merchandise < 0 THEN m.merchandise + coalesce(g.given, 0) "
     "ELSE 0 END AS DECIMAL(18,2)) AS net_merchandise FROM _sr_merch m "
     "LEFT JOIN (SELECT order_id, sum(amount) AS returned FROM _sr_reversals GROUP BY order_id) r "
     "ON r.order_id = m.order_id "
     "LEFT JOIN (SELECT credit_order_id AS order_id, sum(amount) AS given FROM _sr_reversals "
     "GROUP BY credit_order_id) g ON g.order_id = m.order_id"),
)


def order_values(spark, count_changed: bool = False):
    """(orders with their three values recomputed, the order_reversals rows, how many orders changed).

    Reads the views orders and order_lines of the session (the caller makes them current); the caller
    commits both frames."""
    for name, sql in STEPS:
        spark.sql(sql).createOrReplaceTempView(name)
    values = spark.table("_sr_values").cache()
    orders = spark.table("orders")
    kept = [c for c in orders.columns if c not in ("merchandise", "returned", "net_merchandise")]
    joined = orders.select(*kept, *(orders[c].alias(f"_old_{c}") for c in ("merchandise", "returned",
                                                                            "net_merchandise"))) \
        .join(values, "order_id", "left")
    changed = joined.where(" OR ".join(f"NOT (_old_{c} <=> {c})" for c in ("merchandise", "returned", "net_merchandise"))
                           ).count() if count_changed else None
    new_orders = joined.select(*orders.columns)
    reversals = spark.table("_sr_reversals")
    return new_orders, reversals, changed
