"""The dashboard's reads of the published snapshot (never the workspace database).

Rule: every filter reaches SQL as a bound parameter; the one shape of a filtered read is "the
customers the filters keep" (``_kept``: country, acquisition channel, persona, current segment
membership) joined to a fact table cut to the date range [date_from, date_to] (whole days, UTC). A
filter left empty keeps everything. Functions take a cursor from ``Snapshot.cursor()`` and a filter
dict (services/dashboard.py builds it) and return plain rows (dicts).
"""

from __future__ import annotations

import datetime as dt

from centric.store.sqltext import ident


def _rows(cur, sql: str, params: list) -> list[dict]:
    result = cur.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row)) for row in result.fetchall()]


def has_table(cur, table: str) -> bool:
    return cur.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'snapshot' "
                       "AND table_name = ?", [table]).fetchone()[0] > 0


def has_column(cur, table: str, column: str) -> bool:
    return cur.execute("SELECT count(*) FROM duckdb_columns() WHERE database_name = 'snapshot' "
                       "AND table_name = ? AND column_name = ?", [table, column]).fetchone()[0] > 0


def table_rows(cur, table: str, order_by: str | None = None, limit: int = 5000) -> list[dict]:
    sql = f"SELECT * FROM snapshot.{ident(table)}" + (f" ORDER BY {ident(order_by)}" if order_by else "")
    return _rows(cur, sql + " LIMIT ?", [limit])


CUSTOMER_FILTERS = (("country", "country"), ("channel", "acquisition_channel"), ("persona", "persona_id"))


def _kept(f: dict) -> tuple[str | None, list]:
    """SQL selecting the customer_id of the customers the filters keep, and its parameters; None when
    no customer filter is set (everyone is kept). Only the filters set reach the SQL, each as a bound
    parameter."""
    where, params = [], []
    for key, column in CUSTOMER_FILTERS:
        if f.get(key) is not None:
            where.append(f"{column} = ?")
            params.append(f[key])
    if f.get("segment") is not None:
        where.append("customer_id IN (SELECT customer_id FROM snapshot.segment_members WHERE segment = ? "
                     "AND left_at IS NULL)")
        params.append(f["segment"])
    if not where:
        return None, []
    return "SELECT customer_id FROM snapshot.dash_customers WHERE " + " AND ".join(where), params


def _customers_in(f: dict, column: str = "customer_id") -> tuple[str, list]:
    kept, params = _kept(f)
    return ("TRUE", []) if kept is None else (f"{column} IN ({kept})", params)


def _days(f: dict) -> list:
    """[start, end) timestamps of the date range (None: open)."""
    start = f.get("date_from")
    end = f.get("date_to")
    return [dt.datetime.combine(start, dt.time()) if start else None,
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time()) if end else None]


def _in_range(column: str, f: dict) -> tuple[str, list]:
    start, end = _days(f)
    where, params = [], []
    if start is not None:
        where.append(f"{column} >= ?")
        params.append(start)
    if end is not None:
        where.append(f"{column} < ?")
        params.append(end)
    return (" AND ".join(where) or "TRUE"), params


def _where(f: dict, time_column: str | None, column: str = "customer_id") -> tuple[str, list]:
    """The customer filters on `column` and the date range on `time_column`, joined with AND."""
    who, p1 = _customers_in(f, column)
    if time_column is None:
        return who, p1
    when, p2 = _in_range(time_column, f)
    return f"{who} AND {when}", p1 + p2


def filter_options(cur) -> dict:
    """The values each filter can take."""
    def values(sql):
        return [r[0] for r in cur.execute(sql).fetchall()]
    return {
        "country": values("SELECT DISTINCT country FROM snapshot.dash_customers WHERE country IS NOT NULL ORDER BY 1"),
        "channel": values("SELECT DISTINCT acquisition_channel FROM snapshot.dash_customers "
                          "WHERE acquisition_channel IS NOT NULL ORDER BY 1"),
        "segment": values("SELECT segment FROM snapshot.segments ORDER BY kind, segment"),
        "persona": _rows(cur, "SELECT persona_id AS id, name FROM snapshot.personas ORDER BY persona_id", []),
        "span": _rows(cur, "SELECT min(ordered_at)::DATE AS first, max(ordered_at)::DATE AS last "
                           "FROM snapshot.dash_orders", [])[0],
    }


def monthly_sales(cur, f: dict) -> list[dict]:
    """Per month: purchases, buyers, revenue (net) of the kept customers in the range."""
    where, params = _where(f, "ordered_at")
    sql = ("SELECT strftime(month, '%Y-%m') AS month, count(*) FILTER (WHERE is_purchase) AS orders, "
           "count(DISTINCT customer_id) FILTER (WHERE is_purchase) AS buyers, sum(net) AS revenue "
           f"FROM snapshot.dash_orders WHERE {where} GROUP BY month ORDER BY month")
    return _rows(cur, sql, params)


def sales_totals(cur, f: dict) -> dict:
    where, params = _where(f, "ordered_at")
    sql = ("SELECT count(*) FILTER (WHERE is_purchase) AS orders, count(DISTINCT customer_id) FILTER "
           "(WHERE is_purchase) AS buyers, coalesce(sum(net), 0) AS revenue, max(ordered_at) AS last_order_at "
           f"FROM snapshot.dash_orders WHERE {where}")
    return _rows(cur, sql, params)[0]


def sales_by_month_and_total(cur, f: dict) -> tuple[list[dict], dict]:
    """monthly_sales and sales_totals from one scan of the kept orders (GROUPING SETS)."""
    where, params = _where(f, "ordered_at")
    sql = ("SELECT grouping(month) AS overall, strftime(month, '%Y-%m') AS month, "
           "count(*) FILTER (WHERE is_purchase) AS orders, count(DISTINCT customer_id) FILTER (WHERE is_purchase) "
           "AS buyers, sum(net) AS revenue, max(ordered_at) AS last_order_at "
           f"FROM snapshot.dash_orders WHERE {where} GROUP BY GROUPING SETS ((month), ()) ORDER BY overall, month")
    months, totals = [], None
    for row in _rows(cur, sql, params):
        if row.pop("overall"):
            totals = {"orders": row["orders"], "buyers": row["buyers"], "revenue": row["revenue"] or 0,
                      "last_order_at": row["last_order_at"]}
        else:
            row.pop("last_order_at")
            months.append(row)
    return months, totals


def data_end(cur):
    """The last order's time in the whole snapshot: where the data stops (a partial month ends there)."""
    return cur.execute("SELECT max(ordered_at) FROM snapshot.dash_orders").fetchone()[0]


def kpi_board(cur) -> list[dict]:
    return _rows(cur, "SELECT * FROM snapshot.kpis WHERE dimension = 'all' AND period LIKE 'latest:%' "
                      "ORDER BY kpi", [])


def kpi_months(cur) -> list[dict]:
    return _rows(cur, "SELECT kpi, period, value FROM snapshot.kpis WHERE dimension = 'all' "
                      "AND regexp_matches(period, '^[0-9]{4}-[0-9]{2}$') ORDER BY kpi, period", [])


def customer_counts(cur, f: dict) -> dict:
    where, params = _where(f, None)
    sql = ("SELECT count(*) AS customers, count(*) FILTER (WHERE orders > 0) AS buyers, "
           "coalesce(sum(predicted_clv), 0) AS total_clv, avg(p_alive) AS mean_p_alive "
           f"FROM snapshot.dash_customers WHERE {where}")
    return _rows(cur, sql, params)[0]


def segment_movement(cur, f: dict) -> list[dict]:
    """Per segment: current members kept by the filters, and those who entered and left in the range."""
    who, p1 = _customers_in(f, "m.customer_id")
    entered, p2 = _in_range("m.entered_at", f)
    left, p3 = _in_range("m.left_at", f)
    sql = ("SELECT s.segment, s.kind, s.description, count(m.customer_id) FILTER (WHERE m.left_at IS NULL) AS members, "
           f"count(m.customer_id) FILTER (WHERE {entered}) AS entered, "
           f"count(m.customer_id) FILTER (WHERE m.left_at IS NOT NULL AND {left}) AS left_ "
           f"FROM snapshot.segments s LEFT JOIN snapshot.segment_members m ON m.segment = s.segment AND {who} "
           "GROUP BY ALL ORDER BY s.kind, members DESC")
    return _rows(cur, sql, p2 + p3 + p1)


def group_values(cur, f: dict, column: str) -> list[dict]:
    """Kept customers by a dash_customers column (rfm_segment, persona, churn_risk): size and value."""
    where, params = _where(f, None)
    col = ident(column)
    sql = (f"SELECT coalesce({col}::VARCHAR, '(none)') AS group_name, count(*) AS customers, "
           "coalesce(sum(revenue), 0) AS revenue, avg(predicted_clv) AS mean_clv, "
           "coalesce(sum(predicted_clv), 0) AS total_clv, avg(p_alive) AS mean_p_alive, "
           "avg(CASE WHEN churn_risk = 'high' THEN 1.0 WHEN churn_risk IS NULL THEN NULL ELSE 0.0 END) "
           f"AS high_churn_share FROM snapshot.dash_customers WHERE {where} "
           "GROUP BY 1 ORDER BY total_clv DESC")
    return _rows(cur, sql, params)


def value_groups(cur, f: dict, columns: list[str]) -> dict:
    """group_values for each of `columns` and customer_counts, from one scan of the kept customers
    (GROUPING SETS): the filters are evaluated once, not once per table of the value page."""
    where, params = _where(f, None)
    cols = [ident(c) for c in columns]
    which = "CASE " + " ".join(f"WHEN grouping({c}) = 0 THEN {i}" for i, c in enumerate(cols)) + " ELSE -1 END"
    name = "CASE " + " ".join(f"WHEN grouping({c}) = 0 THEN coalesce({c}::VARCHAR, '(none)')" for c in cols) + " END"
    sql = (f"SELECT {which} AS _set, {name} AS group_name, count(*) AS customers, "
           "count(*) FILTER (WHERE orders > 0) AS buyers, "
           "coalesce(sum(revenue), 0) AS revenue, avg(predicted_clv) AS mean_clv, "
           "coalesce(sum(predicted_clv), 0) AS total_clv, avg(p_alive) AS mean_p_alive, "
           "avg(CASE WHEN churn_risk = 'high' THEN 1.0 WHEN churn_risk IS NULL THEN NULL ELSE 0.0 END) "
           f"AS high_churn_share FROM snapshot.dash_customers WHERE {where} "
           f"GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in cols)}, ()) ORDER BY _set, total_clv DESC")
    rows = _rows(cur, sql, params)
    out = {c: [] for c in columns}
    counts = {"customers": 0, "buyers": 0, "total_clv": 0, "mean_p_alive": None}
    for row in rows:
        kind = row.pop("_set")
        if kind < 0:
            counts = {k: row[k] for k in counts}
        else:
            row.pop("buyers")
            out[columns[kind]].append(row)
    return {"counts": counts, "groups": out}


def top_customers(cur, f: dict, limit: int = 25) -> list[dict]:
    where, params = _where(f, None)
    sql = ("SELECT customer_id, country, acquisition_channel, rfm_segment, persona, orders, revenue, "
           f"predicted_clv, p_alive, churn_risk FROM snapshot.dash_customers WHERE {where} "
           "ORDER BY predicted_clv DESC NULLS LAST, revenue DESC, customer_id LIMIT ?")
    return _rows(cur, sql, params + [limit])


def persona_sizes(cur, f: dict) -> dict:
    where, params = _where(f, None)
    rows = cur.execute(f"SELECT persona_id, count(*) FROM snapshot.dash_customers WHERE {where} "
                       "GROUP BY 1", params).fetchall()
    return {r[0]: r[1] for r in rows}


def customer(cur, customer_id: str) -> dict:
    """Everything the customer page shows: the row, the timeline's facts, the scores."""
    def one(table):
        rows = _rows(cur, f"SELECT * FROM snapshot.{ident(table)} WHERE customer_id = ?", [customer_id])
        return rows[0] if rows else None
    return {
        "customer": one("dash_customers"), "summary": one("customer_summary"), "value": one("customer_value"),
        "orders": _rows(cur, "SELECT order_id, ordered_at AS at, status, channel, net FROM snapshot.dash_orders "
                             "WHERE customer_id = ? ORDER BY ordered_at", [customer_id]),
        "events": _rows(cur, "SELECT occurred_at AS at, name, channel FROM snapshot.dash_events "
                             "WHERE customer_id = ? ORDER BY occurred_at DESC LIMIT 200", [customer_id]),
        "feedback": _rows(cur, "SELECT received_at AS at, source, rating, rating_scale, text, language, sentiment, "
                               "themes FROM snapshot.dash_feedback WHERE customer_id = ? ORDER BY received_at",
                          [customer_id]),
        "consents": _rows(cur, "SELECT recorded_at AS at, category, granted, source FROM snapshot.consents "
                               "WHERE customer_id = ? ORDER BY recorded_at", [customer_id]),
        "segments": [r[0] for r in cur.execute("SELECT segment FROM snapshot.segment_members WHERE customer_id = ? "
                                                "AND left_at IS NULL ORDER BY segment", [customer_id]).fetchall()],
    }


def _feedback_kept(f: dict) -> tuple[str, list]:
    """Feedback of the kept customers when a customer filter is set (anonymous answers count only
    without one), in the date range."""
    return _where(f, "received_at")


def scores(cur, f: dict, monthly: bool) -> list[dict]:
    """NPS (points), CSAT (% 4-5 of 5) and CES (mean 1-7) of the kept feedback, with the standard error
    (normal approximation: the NPS variance is p+ + p- - (p+ - p-)^2), per month or overall."""
    where, params = _feedback_kept(f)
    month = "strftime(date_trunc('month', received_at), '%Y-%m')" if monthly else "'all'"
    sql = (f"WITH a AS (SELECT {month} AS period, rating_scale, count(*) AS n, avg((rating >= 9)::INT) AS pro, "
           "avg((rating <= 6)::INT) AS det, avg((rating >= 4)::INT) AS sat, avg(rating) AS mean, "
           "coalesce(stddev_samp(rating), 0) AS sd FROM snapshot.dash_feedback WHERE rating IS NOT NULL "
           f"AND rating_scale IN ('nps_0_10', 'csat_1_5', 'ces_1_7') AND {where} GROUP BY 1, 2) "
           "SELECT period, CASE rating_scale WHEN 'nps_0_10' THEN 'nps' WHEN 'csat_1_5' THEN 'csat' ELSE 'ces' END "
           "AS metric, n, CASE rating_scale WHEN 'nps_0_10' THEN 100 * (pro - det) WHEN 'csat_1_5' THEN 100 * sat "
           "ELSE mean END AS value, CASE rating_scale WHEN 'nps_0_10' THEN 100 * sqrt(greatest(pro + det - "
           "pow(pro - det, 2), 0) / n) WHEN 'csat_1_5' THEN 100 * sqrt(sat * (1 - sat) / n) ELSE sd / sqrt(n) END "
           "AS se FROM a ORDER BY metric, period")
    return _rows(cur, sql, params)


def scores_monthly_and_overall(cur, f: dict) -> tuple[list[dict], list[dict]]:
    """scores(monthly=True) and scores(monthly=False) from one scan of the kept feedback (GROUPING SETS)."""
    where, params = _feedback_kept(f)
    sql = ("WITH a AS (SELECT CASE WHEN grouping(m) = 1 THEN 'all' ELSE m END AS period, grouping(m) AS overall, "
           "rating_scale, count(*) AS n, avg((rating >= 9)::INT) AS pro, avg((rating <= 6)::INT) AS det, "
           "avg((rating >= 4)::INT) AS sat, avg(rating) AS mean, coalesce(stddev_samp(rating), 0) AS sd FROM "
           "(SELECT strftime(date_trunc('month', received_at), '%Y-%m') AS m, rating_scale, rating "
           "FROM snapshot.dash_feedback WHERE rating IS NOT NULL "
           f"AND rating_scale IN ('nps_0_10', 'csat_1_5', 'ces_1_7') AND {where}) "
           "GROUP BY GROUPING SETS ((m, rating_scale), (rating_scale))) "
           "SELECT overall, period, CASE rating_scale WHEN 'nps_0_10' THEN 'nps' WHEN 'csat_1_5' THEN 'csat' ELSE 'ces' END "
           "AS metric, n, CASE rating_scale WHEN 'nps_0_10' THEN 100 * (pro - det) WHEN 'csat_1_5' THEN 100 * sat "
           "ELSE mean END AS value, CASE rating_scale WHEN 'nps_0_10' THEN 100 * sqrt(greatest(pro + det - "
           "pow(pro - det, 2), 0) / n) WHEN 'csat_1_5' THEN 100 * sqrt(sat * (1 - sat) / n) ELSE sd / sqrt(n) END "
           "AS se FROM a ORDER BY metric, period")
    monthly, overall = [], []
    for row in _rows(cur, sql, params):
        (overall if row.pop("overall") else monthly).append(row)
    return monthly, overall


def themes(cur, f: dict) -> list[dict]:
    where, params = _feedback_kept(f)
    sql = ("SELECT theme, count(*) AS mentions, avg((sentiment = 'negative')::INT) AS negative_share, "
           "avg(sentiment_score) AS mean_sentiment FROM (SELECT unnest(themes) AS theme, sentiment, sentiment_score "
           f"FROM snapshot.dash_feedback WHERE {where}) GROUP BY 1 ORDER BY mentions DESC")
    return _rows(cur, sql, params)


def verbatims(cur, f: dict, search: str | None, language: str | None, limit: int = 25) -> dict:
    """The newest texts of the kept feedback containing `search` (case-insensitive, a plain substring)
    in `language`, and the count by language of those matching the search.

    One scan: the matching feedback (its id, time and language only) is materialised once, counted by
    language, and only the `limit` newest of it are joined back for their text; a condition left
    empty is left out of the SQL rather than bound as NULL (which would keep DuckDB from pushing it)."""
    where, params = _feedback_kept(f)
    if search is not None:  # search_text: the text lower-cased at publish (a snapshot before it had none)
        lowered = "search_text" if has_column(cur, "dash_feedback", "search_text") else "lower(text)"
        where += f" AND contains({lowered}, lower(?))"
        params = params + [search]
    pick, extra = ("language = ?", [language]) if language is not None else ("TRUE", [])
    sql = (f"WITH m AS MATERIALIZED (SELECT feedback_id, received_at, language FROM snapshot.dash_feedback "
           f"WHERE text IS NOT NULL AND {where}), "
           f"top AS (SELECT feedback_id, received_at FROM m WHERE {pick} ORDER BY received_at DESC, feedback_id "
           "LIMIT ?) "
           "SELECT 0 AS part, d.feedback_id, d.customer_id, d.received_at, d.source, d.rating, d.rating_scale, "
           "d.text, d.language, d.sentiment, d.themes, NULL::BIGINT AS n FROM top JOIN snapshot.dash_feedback d "
           "USING (feedback_id) "
           "UNION ALL SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, coalesce(language, '?'), NULL, NULL, "
           "count(*) FROM m GROUP BY coalesce(language, '?')")
    rows, languages = [], []
    for row in _rows(cur, sql, params + extra + [limit]):
        if row.pop("part"):
            languages.append({"language": row["language"], "n": row["n"]})
        else:
            row.pop("n")
            rows.append(row)
    rows.sort(key=lambda r: r["feedback_id"])
    rows.sort(key=lambda r: r["received_at"], reverse=True)  # stable: equal times stay by feedback_id
    languages.sort(key=lambda r: -r["n"])
    return {"rows": rows, "languages": languages}


def survey_responses(cur, f: dict) -> list[dict]:
    where, params = _feedback_kept(f)
    sql = ("SELECT s.survey_id, s.kind, s.status, s.created_at, s.closed_at, count(d.feedback_id) AS responses, "
           "avg(d.rating) AS mean_rating, count(d.text) AS comments FROM snapshot.surveys s LEFT JOIN "
           f"(SELECT * FROM snapshot.dash_feedback WHERE {where}) d ON d.survey_id = s.survey_id "
           "GROUP BY ALL ORDER BY s.created_at")
    return _rows(cur, sql, params)


def stage_flow(cur, f: dict) -> dict:
    """Moves between lifecycle stages made in the range by the kept customers (dash_stage_moves), and
    where they are now."""
    where, params = _where(f, "entered_at")
    links = _rows(cur, "SELECT source, target, count(*) AS customers FROM snapshot.dash_stage_moves "
                       f"WHERE {where} GROUP BY ALL ORDER BY customers DESC", params)
    who, p2 = _customers_in(f)
    now = _rows(cur, "SELECT stage, count(*) AS customers FROM snapshot.journey_stages "
                     f"WHERE left_at IS NULL AND {who} GROUP BY 1", p2)
    return {"links": links, "current": now}


def event_names(cur) -> list[str]:
    return [r[0] for r in cur.execute("SELECT name FROM snapshot.dash_events GROUP BY 1 ORDER BY count(*) DESC "
                                      "LIMIT 60").fetchall()]


def funnel_events(cur):
    """Every snapshot event with a user and a time, for the dashboard's in-memory funnel
    (models/journey/funnel_index.py), as an Arrow table sorted by (user, time, event_id): user (the
    customer, else "anon:" + anonymous_id), ts (microseconds since the epoch), name, channel, known
    (the customer is set: the customer filters keep only these)."""
    user = "coalesce(customer_id, 'anon:' || anonymous_id)"
    return cur.execute(f"SELECT {user} AS user, epoch_us(occurred_at) AS ts, name, channel, "
                       "customer_id IS NOT NULL AS known FROM snapshot.dash_events "
                       f"WHERE {user} IS NOT NULL AND occurred_at IS NOT NULL "
                       "ORDER BY 1, occurred_at, event_id").to_arrow_table()


def customer_columns(cur, columns: list[str]):
    """customer_id and `columns` of every dash_customers row, as an Arrow table (the funnel's breakdowns)."""
    cols = ", ".join(ident(c) for c in columns)
    return cur.execute(f"SELECT customer_id, {cols} FROM snapshot.dash_customers").to_arrow_table()


def kept_customer_ids(cur, f: dict) -> list | None:
    """The customer_id of every customer the filters keep; None when no customer filter is set."""
    kept, params = _kept(f)
    if kept is None:
        return None
    return [r[0] for r in cur.execute(kept, params).fetchall()]
