"""Money is what the customer kept: credit notes netted against the orders they reverse.

After every ingest of orders or order lines, each order gets three derived columns:

- merchandise: the value of its goods, in the workspace currency: its product lines
  (sum of quantity x unit_price; charge lines are in order_charges, not among them) less its
  discount; for an order loaded without lines, total - shipping - charges. Negative on a credit
  note.
- returned: the value of later credit notes netted against it (positive).
- net_merchandise: what counts as revenue. For a completed order, merchandise - returned; for a
  credit note (merchandise < 0, status completed or refunded), the part of it linked to no order
  (zero or negative: an unlinked refund is negative revenue of its customer on its own date);
  for an order whose own status is refunded with a non-negative value, 0 (returned holds its
  merchandise); for cancelled and pending orders, 0.

A credit note is linked to the orders it reverses in two ways, the first that applies:

1. by reference: its reverses_order_id names an order of the same workspace (an order that is
   not a completed purchase with goods takes nothing); its whole value is netted against it;
2. line by line, when it names none (exports such as UCI's `C...` invoices): each returned line
   (quantity -q of sku s) matches the latest purchase line, at or before the credit note's time,
   of the same customer with sku s and a quantity >= q (ties: the later order id, then the later
   line). A credit note may so reverse several orders. Lines of guest orders, lines without a sku
   and lines with no such purchase line stay unlinked.

Caps, so that no order is reversed beyond what it sold: a purchase line gives back at most its
own quantity, credit lines taking it in the order they happened; an order gives back at most its
merchandise, credit notes taking it in the order they happened. What a cap refuses stays on the
credit note as unlinked. So every unit of money is counted once: the sum of net_merchandise over
all orders equals the sum of merchandise over completed and refunded orders.

The table order_reversals lists each (credit note, order) pair and the amount netted. The
values are recomputed for every order (rows already right are left untouched), so they reflect
every credit note loaded so far, also one dated after an analysis's cut-off. Because links go to
the latest purchase at or before a credit note's time and caps are taken in time order, the credit
notes dated up to a day are allocated exactly as if the later ones did not exist: a backtest reads
the values as known at its cut-off from order_reversals (queries/revenue.py, orders_as_of).
"""

from __future__ import annotations

COUNTED = "('completed', 'refunded')"


def refresh_order_values(con) -> int:
    """Recompute merchandise, returned and net_merchandise of every order and rebuild order_reversals.

    Returns how many orders changed. Run inside the ingest's transaction.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _goods AS SELECT order_id, sum(quantity * unit_price) AS goods "
        "FROM order_lines GROUP BY order_id"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _merch AS SELECT o.order_id, o.customer_id, o.ordered_at, o.status, "
        "o.reverses_order_id, CAST(CASE WHEN g.order_id IS NOT NULL THEN g.goods - coalesce(o.discount, 0) "
        "ELSE coalesce(o.total, 0) - coalesce(o.shipping, 0) - coalesce(o.charges, 0) END AS DECIMAL(18,2)) "
        "AS merchandise, g.order_id IS NOT NULL AS has_lines FROM orders o LEFT JOIN _goods g USING (order_id)"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _credits AS SELECT * FROM _merch WHERE merchandise < 0 AND status IN {COUNTED}"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sales AS SELECT * FROM _merch WHERE merchandise > 0 AND status = 'completed'"
    )
    # 1. by reference
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _asked AS SELECT c.order_id AS credit_order_id, s.order_id, "
        "'reference' AS matched_by, -c.merchandise AS amount, c.ordered_at AS credit_at, 0 AS credit_line "
        "FROM _credits c JOIN _sales s ON s.order_id = c.reverses_order_id AND s.order_id <> c.order_id"
    )
    # 2. line by line, for credit notes that name no order
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _credit_lines AS SELECT c.order_id AS credit_order_id, c.customer_id, "
        "c.ordered_at AS credit_at, l.line_no, l.sku, -l.quantity AS q, l.unit_price "
        "FROM _credits c JOIN order_lines l USING (order_id) "
        "WHERE c.reverses_order_id IS NULL AND c.customer_id IS NOT NULL AND l.quantity < 0 AND l.sku IS NOT NULL"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _line_match AS SELECT * FROM ("
        "SELECT cl.*, s.order_id, l.line_no AS sale_line, l.quantity AS sold, row_number() OVER ("
        "PARTITION BY cl.credit_order_id, cl.line_no ORDER BY s.ordered_at DESC, s.order_id DESC, l.line_no DESC) AS _rank "
        "FROM _credit_lines cl JOIN _sales s ON s.customer_id = cl.customer_id AND s.ordered_at <= cl.credit_at "
        "AND s.order_id <> cl.credit_order_id "
        "JOIN order_lines l ON l.order_id = s.order_id AND l.sku = cl.sku AND l.quantity >= cl.q"
        ") WHERE _rank = 1"
    )
    # a purchase line gives back at most the units it sold, to the credit lines in the order they happened
    con.execute(
        "INSERT INTO _asked SELECT credit_order_id, order_id, 'line', "
        "greatest(0, least(q, sold - (taken - q))) * unit_price, credit_at, line_no FROM ("
        "SELECT *, sum(q) OVER (PARTITION BY order_id, sale_line ORDER BY credit_at, credit_order_id, line_no "
        "ROWS UNBOUNDED PRECEDING) AS taken FROM _line_match)"
    )
    # an order gives back at most its merchandise, to the credit notes in the order they happened
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _granted AS SELECT a.credit_order_id, a.order_id, a.matched_by, "
        "greatest(0, least(a.amount, s.merchandise - (sum(a.amount) OVER (PARTITION BY a.order_id ORDER BY "
        "a.credit_at, a.credit_order_id, a.credit_line ROWS UNBOUNDED PRECEDING) - a.amount))) AS amount "
        "FROM _asked a JOIN _sales s USING (order_id)"
    )
    con.execute("DELETE FROM order_reversals")
    con.execute(
        "INSERT INTO order_reversals SELECT credit_order_id, order_id, any_value(matched_by), "
        "CAST(sum(amount) AS DECIMAL(18,2)) FROM _granted GROUP BY credit_order_id, order_id HAVING sum(amount) > 0"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _values AS SELECT m.order_id, m.merchandise, "
        "CAST(CASE WHEN m.status = 'refunded' AND m.merchandise >= 0 THEN m.merchandise "
        "ELSE coalesce(r.returned, 0) END AS DECIMAL(18,2)) AS returned, "
        "CAST(CASE WHEN m.status = 'completed' AND m.merchandise >= 0 THEN m.merchandise - coalesce(r.returned, 0) "
        "WHEN m.status IN ('completed', 'refunded') AND m.merchandise < 0 THEN m.merchandise + coalesce(g.given, 0) "
        "ELSE 0 END AS DECIMAL(18,2)) AS net_merchandise "
        "FROM _merch m "
        "LEFT JOIN (SELECT order_id, sum(amount) AS returned FROM order_reversals GROUP BY order_id) r USING (order_id) "
        "LEFT JOIN (SELECT credit_order_id AS order_id, sum(amount) AS given FROM order_reversals "
        "GROUP BY credit_order_id) g USING (order_id)"
    )
    changed = con.execute(
        "UPDATE orders SET merchandise = v.merchandise, returned = v.returned, net_merchandise = v.net_merchandise "
        "FROM _values v WHERE orders.order_id = v.order_id AND (orders.merchandise IS DISTINCT FROM v.merchandise "
        "OR orders.returned IS DISTINCT FROM v.returned OR orders.net_merchandise IS DISTINCT FROM v.net_merchandise)"
    ).fetchone()[0]
    for t in ("_goods", "_merch", "_credits", "_sales", "_asked", "_credit_lines", "_line_match", "_granted", "_values"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return changed
