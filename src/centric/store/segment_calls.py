"""Segment calls (identify, track, page, screen, group, alias) into events, customers and orders.

The rules, after the Segment spec (https://segment.com/docs/connections/spec/):

- Every call is one `events` row: event_id = messageId, customer_id = userId, anonymous_id =
  anonymousId, session_id = context.sessionId (RudderStack) or properties.session_id, channel =
  context.channel or the message's channel (client, browser, web and server read as web; mobile,
  ios, android as app; a screen call without one is app, any other call web), context = the
  message's context. name is a track call's own `event`; the other calls are named by
  schema.CALL_EVENT_NAMES (page: Page Viewed, screen: Screen Viewed, identify: Identified, alias:
  Alias, group: Group). properties are a track's properties, a page's or screen's properties with
  its name and category, an identify's traits, a group's traits with its groupId, an alias's
  previousId.
- occurred_at corrects the client's clock as Segment does: timestamp = receivedAt - (sentAt -
  originalTimestamp) when the message has sentAt and a timestamp (originalTimestamp, else
  timestamp); else its timestamp; else when the collector received it. It is stored in the shop's
  time zone, as every ingested time.
- identify traits fill `customers` (email, createdAt, birthday or age -> birth_year, gender,
  address or top-level country/state/city/postalCode, language or the context's locale,
  acquisition_channel, tags; every other trait into attributes). They are validated with the
  customers rules of a file ingest; a later identify only overwrites what it carries (attributes
  are merged), so a column the message does not carry is never wiped.
- track "Order Completed" (eCommerce v2) with an order_id becomes an `orders` row (total, else
  revenue + shipping + tax; discount, shipping, currency; status completed) and its `products` the
  order's `order_lines` (sku or product_id, name, category, quantity (1 when absent), price),
  validated, converted (store/fx.py), split into charges (store/charges.py) and valued
  (store/reversals.py) as a file's orders are. An order already present (from a file, or an earlier
  message) is left as it is; orders.event_id keeps the message that created it.
- A message whose messageId is already in events.event_id or orders.event_id is a duplicate.
- Quarantined (table events) with a one-line reason: no userId and no anonymousId, an id that is
  not text or holds a control character, a track without an event name, a timestamp, sentAt or
  received_at that is not a date and time or lies outside 1900-2200, properties, traits or
  context that are not JSON objects, an Order Completed without order_id.
"""

from __future__ import annotations

from centric import schema as S
from centric.store import charges, fx
from centric.store.identify_traits import load_identify_traits
from centric.store.ingest import drop_staging, load_typed, validated
from centric.store.reversals import refresh_order_values
from centric.store.sqltext import constant, set_variable, var
from centric.store.upsert import MergeCounts
from centric.store.validate import Check, Rules

# top-level fields of a message: column of the staging select -> key
FIELDS = {
    "_user": "userId", "_anon": "anonymousId", "_event": "event", "_timestamp": "timestamp",
    "_originalts": "originalTimestamp", "_sentat": "sentAt", "_props": "properties", "_traits": "traits",
    "_ctx": "context", "_chan": "channel", "_pname": "name", "_pcategory": "category", "_group": "groupId",
    "_previous": "previousId",
}
SCALARS = "('VARCHAR', 'NUMBER')"
ORDER_COMPLETED = "Order Completed"
MAX_PRODUCTS = 10_000  # an order line's _line is its message's _seq * MAX_PRODUCTS + its position


def _kind_of(col: str) -> str:
    """The JSON type of a field's compact JSON text, from its first character (no parse)."""
    return (f"CASE WHEN {col} IS NOT NULL THEN CASE left({col}, 1) WHEN '{{' THEN 'OBJECT' WHEN '[' THEN 'ARRAY' "
            f"WHEN '\"' THEN 'VARCHAR' WHEN 'n' THEN 'NULL' WHEN 't' THEN 'BOOLEAN' WHEN 'f' THEN 'BOOLEAN' "
            f"ELSE 'NUMBER' END END")


def _text(col: str) -> str:
    """A scalar field as trimmed text (NULL when absent, null or blank); a string without escapes is
    unquoted without a parse."""
    value = (f"CASE WHEN left({col}, 1) = '\"' THEN CASE WHEN contains({col}, '\\') THEN CAST({col} AS JSON)->>'$' "
             f"ELSE {col}[2:-2] END WHEN {col} = 'null' THEN NULL ELSE {col} END")
    return f"nullif(trim({value}), '')"


def _nested(col: str, key: str) -> str:
    """A string field of an object field (e.g. context.sessionId); parsed only when the key occurs."""
    return f"CASE WHEN contains({col}, {constant(chr(34) + key + chr(34))}) THEN nullif(trim(json_extract_string({col}, {constant('$.' + key)})), '') END"


CONTROL = "'[\\x00-\\x1f\\x7f]'"


def call_checks() -> list[Check]:
    checks = [Check("user_id IS NULL AND anonymous_id IS NULL", "userId", "NULL",
                    constant("no userId and no anonymousId"))]
    for col, name in (("user_id", "userId"), ("anonymous_id", "anonymousId")):
        checks.append(Check(f"{col} IS NOT NULL AND _type_{col} NOT IN {SCALARS}", name, col,
                            constant(f"{name} is not a string")))
        checks.append(Check(f"regexp_matches({col}, {CONTROL})", name, col,
                            constant(f"{name} holds a control character (NUL, tab or line break)")))
    checks += [
        Check("kind = 'track' AND (event IS NULL OR _type_event <> 'VARCHAR')", "event", "event",
              constant("track call without an event name")),
        Check("kind = 'track' AND (length(event) > 200 OR regexp_matches(event, " + CONTROL + "))", "event",
              "event", constant("event name longer than 200 characters or holding a control character")),
        Check("_original_text IS NOT NULL AND _original IS NULL", "timestamp", "_original_text",
              constant("timestamp is not a date and time")),
        Check("_sent_text IS NOT NULL AND _sent IS NULL", "sentAt", "_sent_text",
              constant("sentAt is not a date and time")),
        Check("_received IS NULL", "received_at", "received_at", constant("received_at is not a date and time")),
        Check("year(occurred_at) NOT BETWEEN 1900 AND 2200", "timestamp", "occurred_at",
              constant("timestamp is outside the years 1900-2200")),
    ]
    for name in ("properties", "traits", "context"):
        checks.append(Check(f"_type_{name} IS NOT NULL AND _type_{name} NOT IN ('OBJECT', 'NULL')", name, f"_type_{name}",
                            constant(f"{name} is not a JSON object")))
    checks += [
        Check(f"name = {constant(ORDER_COMPLETED)} AND order_id IS NULL", "order_id", "NULL",
              constant("Order Completed without order_id")),
        Check(f"regexp_matches(order_id, {CONTROL})", "order_id", "order_id",
              constant("order_id holds a control character (NUL, tab or line break)")),
    ]
    return checks


def _channel() -> str:
    given = f"lower(coalesce({_nested('_ctx', 'channel')}, {_text('_chan')}))"
    return (f"CASE WHEN {given} IN ('client', 'browser', 'web', 'server') THEN 'web' "
            f"WHEN {given} IN ('mobile', 'ios', 'android', 'app') THEN 'app' WHEN {given} IS NOT NULL THEN {given} "
            f"WHEN kind = 'screen' THEN 'app' ELSE 'web' END")


def _name() -> str:
    whens = " ".join(f"WHEN {constant(k)} THEN {constant(v)}" for k, v in S.CALL_EVENT_NAMES.items())
    return f"CASE kind WHEN 'track' THEN {_text('_event')} {whens} END"


def _properties(field, kind: str) -> str:
    """SQL of an event's properties from a message's JSON fields: field(col) is the SQL of the field
    that FIELDS names col (_props, _traits, _ctx, _pname, _pcategory, _group, _previous), kind the SQL
    of the call's kind. The fields are used as they are, never cast and so never re-parsed, except
    where a page's name is merged in."""
    props_in, traits_in, ctx = field("_props"), field("_traits"), field("_ctx")
    pname, pcategory, group, previous = field("_pname"), field("_pcategory"), field("_group"), field("_previous")
    props = f"CASE WHEN {_kind_of(props_in)} = 'OBJECT' THEN {props_in} ELSE '{{}}'::JSON END"
    traits = f"CASE WHEN {_kind_of(traits_in)} = 'OBJECT' THEN {traits_in} ELSE '{{}}'::JSON END"
    page_extra = (f"CASE WHEN {pname} IS NOT NULL AND {pcategory} IS NOT NULL THEN "
                  f"json_object('name', {pname}, 'category', {pcategory}) "
                  f"WHEN {pname} IS NOT NULL THEN json_object('name', {pname}) "
                  f"WHEN {pcategory} IS NOT NULL THEN json_object('category', {pcategory}) END")
    # RudderStack's SDKs send an identify's traits only in context.traits
    identify = (f"CASE WHEN {_kind_of(traits_in)} = 'OBJECT' THEN {traits_in} "
                f"WHEN json_type({ctx}, '$.traits') = 'OBJECT' THEN json_extract({ctx}, '$.traits') ELSE '{{}}'::JSON END")
    grouped = (f"CASE WHEN {group} IS NOT NULL THEN json_merge_patch({traits}, json_object('groupId', {group})) "
               f"ELSE {traits} END")
    return (f"CASE {kind} WHEN 'track' THEN {props} "
            f"WHEN 'identify' THEN {identify} WHEN 'group' THEN {grouped} "
            f"WHEN 'alias' THEN json_object('previousId', {previous}) "
            f"ELSE CASE WHEN {pname} IS NULL AND {pcategory} IS NULL THEN {props} "
            f"ELSE json_merge_patch({props}, {page_extra}) END END")


def build_calls(con, records: str, timezone: str) -> None:
    """Temp table _calls: each record's event columns (properties and context included), its identify
    traits and order fields, _fail (the first failed check) and _dup (already loaded). One scan of the
    records: top-level fields are map lookups (the spool scan parsed each message once); an object is
    parsed again only for a key it holds (context.sessionId, properties.order_id of an Order
    Completed). The events are written from this table alone: joining the records again on _seq to
    build properties and context there cost more than copying them here (a hash join of every
    message, about a sixth of the load on 1M messages). _consent_context: the context of the few calls
    whose context text holds a consent key (the scan re-serialised it, so a key is never escaped
    there), the only contexts the consent step parses."""
    set_variable(con, "centric_tz", timezone)
    tz = var("centric_tz")
    instant = ("CASE WHEN _original IS NOT NULL AND _sent IS NOT NULL THEN _received - (_sent - _original) "
               "ELSE coalesce(_original, _received) END")
    # each field looked up once, as JSON (col_json, what properties and context are built from: no cast,
    # so no parse) and as its text (col, what the checks and columns read)
    # sentAt: a batch record's message without its own takes the batch's (_batch_sent: spool.expand)
    raw = ", ".join(f"_map[{constant(key)}] AS {col}_json" if key != "sentAt" else
                    f"CASE WHEN _batch_sent IS NULL OR map_contains(_map, 'sentAt') THEN _map['sentAt'] "
                    f"ELSE _batch_sent END AS {col}_json" for col, key in FIELDS.items())
    text = ", ".join(f"CAST({col}_json AS VARCHAR) AS {col}" for col in FIELDS)
    order_id = (f"CASE WHEN kind = 'track' AND {_text('_event')} = {constant(ORDER_COMPLETED)} THEN "
                f"coalesce({_nested('_props', 'order_id')}, {_nested('_props', 'orderId')}) END")
    fields = (
        f"SELECT _seq, id, kind, received_at, "
        f"{_text('_user')} AS user_id, {_text('_anon')} AS anonymous_id, {_kind_of('_user')} AS _type_user_id, "
        f"{_kind_of('_anon')} AS _type_anonymous_id, {_text('_event')} AS event, {_kind_of('_event')} AS _type_event, "
        f"coalesce({_text('_originalts')}, {_text('_timestamp')}) AS _original_text, {_text('_sentat')} AS _sent_text, "
        f"coalesce({_nested('_ctx', 'sessionId')}, {_nested('_props', 'session_id')}) AS session_id, "
        f"{_name()} AS name, {_channel()} AS channel, "
        f"{_kind_of('_props')} AS _type_properties, {_kind_of('_traits')} AS _type_traits, "
        f"{_kind_of('_ctx')} AS _type_context, {order_id} AS order_id, "
        f"CASE WHEN kind = 'identify' THEN {_nested('_ctx', 'locale')} END AS locale, "
        f"{_properties(lambda col: col + '_json', 'kind')} AS properties, "
        f"CASE WHEN {_kind_of('_ctx')} = 'OBJECT' THEN _ctx_json END AS context, "
        f"CASE WHEN {_kind_of('_ctx')} = 'OBJECT' AND (contains(_ctx, '\"categoryPreferences\"') OR "
        f"contains(_ctx, '\"consentManagement\"')) THEN CAST(_ctx AS JSON) END AS _consent_context "
        f"FROM (SELECT *, {text} FROM (SELECT _seq, id, kind, received_at, {raw} FROM {records}))"
    )
    times = (f"SELECT *, timezone({tz}, {instant}) AS occurred_at FROM (SELECT *, "
             f"try_cast(_original_text AS TIMESTAMPTZ) AS _original, try_cast(_sent_text AS TIMESTAMPTZ) AS _sent, "
             f"try_cast(received_at AS TIMESTAMPTZ) AS _received FROM ({fields}))")
    fail = Rules(checks=call_checks()).reason_struct()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _calls AS SELECT _seq, id, kind, user_id, anonymous_id, session_id, name, "
        f"channel, occurred_at, order_id, locale, properties, context, _consent_context, {fail} AS _fail, "
        f"(id IN (SELECT event_id FROM events) OR id IN (SELECT event_id FROM orders WHERE event_id IS NOT NULL)) AS _dup "
        f"FROM ({times})"
    )


def load_calls(con, records: str, ctx) -> None:
    """The Segment handler of store/collected.py: load the calls of view `records`, from the table
    _calls its `prepare` step built before the loader's transaction (the loader drops it).

    It runs inside the loader's transaction: its other temp tables and views are dropped when it
    succeeds, and go with the transaction's rollback when anything fails (a DROP in an aborted
    transaction would fail too and hide the error)."""
    ctx.quarantine("events", "SELECT _seq, _fail.column_name AS column_name, _fail.value AS value, "
                             "_fail.reason AS reason FROM _calls WHERE _fail IS NOT NULL")
    ctx.report.duplicates += con.execute("SELECT count(*) FROM _calls WHERE _fail IS NULL AND _dup").fetchone()[0]
    # _good: the calls to load; the steps that read a few calls (identifies with a userId, Order
    # Completed, contexts holding consent) see as context only _consent_context (no step parses
    # every context)
    con.execute("CREATE OR REPLACE TEMP VIEW _good AS SELECT * EXCLUDE (context, _consent_context), "
                "_consent_context AS context FROM _calls WHERE _fail IS NULL AND NOT _dup")
    load_identify_traits(con, ctx)
    load_orders(con, ctx)
    con.execute("CREATE OR REPLACE TEMP VIEW _events AS SELECT _seq AS _line, id AS event_id, occurred_at, "
                "anonymous_id, user_id AS customer_id, session_id, name, channel, properties, context FROM _calls "
                "WHERE _fail IS NULL AND NOT _dup")
    load_typed(con, S.EVENTS, "_events", ctx.report, "spool", new_keys=True)  # unique, none loaded before (_dup)
    load_consent_context(con, ctx)
    for view in ("_events", "_good"):
        con.execute(f"DROP VIEW IF EXISTS {view}")
    for table in ("_calls", "_ord_load", "_lines_typed"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _money(props: str, key: str) -> str:
    return f"nullif(trim({props}->>{constant('$.' + key)}), '')"


def load_orders(con, ctx) -> None:
    """Order Completed messages into orders and order_lines (module docstring)."""
    report = ctx.report
    first = ("SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY _seq) AS _n FROM _good "
             f"WHERE name = {constant(ORDER_COMPLETED)}) WHERE _n = 1")
    if not con.execute(f"SELECT EXISTS (SELECT 1 FROM _good WHERE name = {constant(ORDER_COMPLETED)})").fetchone()[0]:
        return
    p = "properties"
    total = (f"coalesce({_money(p, 'total')}, CAST(try_cast({_money(p, 'revenue')} AS DECIMAL(18,2)) + "
             f"coalesce(try_cast({_money(p, 'shipping')} AS DECIMAL(18,2)), 0) + "
             f"coalesce(try_cast({_money(p, 'tax')} AS DECIMAL(18,2)), 0) AS VARCHAR))")
    mapped = ", ".join(f"{constant(k)}, NULL" for k in ("order_id", "orderId", "total", "currency", "discount",
                                                         "shipping", "products"))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _ord_text AS SELECT _seq AS _line, order_id, user_id AS customer_id, "
        f"strftime(occurred_at, '%Y-%m-%d %H:%M:%S.%f') AS ordered_at, 'completed' AS status, "
        f"{_money(p, 'currency')} AS currency, {total} AS total, {_money(p, 'discount')} AS discount, "
        f"{_money(p, 'shipping')} AS shipping, channel, NULL::VARCHAR AS charges, NULL::VARCHAR AS reverses_order_id, "
        f"CAST(nullif(json_merge_patch({p}, json_object({mapped})), '{{}}'::JSON) AS VARCHAR) AS attributes "
        f"FROM ({first}) f WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = f.order_id)"
    )
    known = con.execute(f"SELECT count(*) FROM _good WHERE name = {constant(ORDER_COMPLETED)}").fetchone()[0]
    new = con.execute("SELECT count(*) FROM _ord_text").fetchone()[0]
    validated(con, ctx, S.ORDERS, "_ord_text")
    con.execute("CREATE OR REPLACE TEMP TABLE _ord_typed AS SELECT c.*, g.id AS event_id FROM _checked c "
                "JOIN _calls g ON g._seq = c._line")
    drop_staging(con)
    if ctx.currency:
        fx.build_rates(con, "_ord_typed", "_line", ctx.currency)
        ctx.quarantine("orders", f"SELECT _line AS _seq, column_name, value, reason FROM ({fx.missing_rows()})")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _ord_load AS SELECT * FROM {fx.converted_orders('_ord_typed', '_line')}")
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE _ord_load AS SELECT *, upper(currency) AS original_currency, "
                    "total AS original_total, 1.0 AS fx_rate FROM _ord_typed")
    loaded = con.execute("SELECT count(*) FROM _ord_load").fetchone()[0]
    load_typed(con, S.ORDERS, "_ord_load", report, "spool", fx.FX_COLUMNS + ("event_id",))
    if known > new:  # already present, or a second message for the same order: left as it was
        report.add("orders", MergeCounts(unchanged=known - new))
    _load_lines(con, ctx)
    if loaded:
        refresh_order_values(con)
    for t in ("_ord_typed", "_fx"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    con.execute("DROP TABLE IF EXISTS _ord_text")


def _load_lines(con, ctx) -> None:
    """The products of the orders just loaded, as their order_lines (and order_charges)."""
    item = "_p"
    mapped = ", ".join(f"{constant(k)}, NULL" for k in ("sku", "product_id", "name", "category", "quantity", "price"))
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _lines_text AS SELECT _seq * {MAX_PRODUCTS} + _i AS _line, order_id, "
        f"CAST(_i AS VARCHAR) AS line_no, coalesce({_money(item, 'sku')}, {_money(item, 'product_id')}) AS sku, "
        f"{_money(item, 'name')} AS product_name, {_money(item, 'category')} AS category, "
        f"coalesce({_money(item, 'quantity')}, '1') AS quantity, {_money(item, 'price')} AS unit_price, "
        f"CAST(nullif(json_merge_patch({item}, json_object({mapped})), '{{}}'::JSON) AS VARCHAR) AS attributes "
        f"FROM (SELECT g._seq, l.order_id, unnest(g._products) AS {item}, generate_subscripts(g._products, 1) AS _i "
        f"FROM (SELECT _seq, CAST(CASE WHEN json_type(properties, '$.products') = 'ARRAY' THEN "
        f"json_extract(properties, '$.products') END AS JSON[]) AS _products FROM _good "
        f"WHERE name = {constant(ORDER_COMPLETED)}) g JOIN _ord_load l ON l._line = g._seq) "
        f"WHERE _i < {MAX_PRODUCTS}"
    )
    validated(con, ctx, S.ORDER_LINES, "_lines_text", f"_line // {MAX_PRODUCTS}", ("unknown order_id",))
    con.execute("CREATE OR REPLACE TEMP TABLE _lines_typed AS SELECT * FROM _checked")
    drop_staging(con)
    con.execute("DROP VIEW IF EXISTS _lines_text")
    con.execute(f"CREATE OR REPLACE TEMP VIEW _lines_fx AS SELECT * FROM {fx.converted_lines('_lines_typed')}")
    goods = charges.split_lines(con, "_lines_fx", ctx.charge_skus, ctx.report)
    load_typed(con, S.ORDER_LINES, goods, ctx.report, "spool")
    for view in ("_checked_goods", "_lines_fx"):
        con.execute(f"DROP VIEW IF EXISTS {view}")
    con.execute("DROP TABLE IF EXISTS _split")


def load_consent_context(con, ctx) -> int:
    """Consent carried by the messages just loaded (Segment's context.consent.categoryPreferences,
    RudderStack's context.consentManagement; store/consent_context.py): ledger rows in `consents` for an
    identified sender, and the choice under `properties.consent` of the event itself (how an anonymous
    event's banner answer is read: queries/consent.py). Returns the ledger rows added.

    The mapping runs in Python once per distinct consent payload, not once per event (a banner's few
    answers repeat on every event of a session); the events and the ledger are written in SQL."""
    import json

    from centric.store.consent_context import from_context

    prefs = "json_exists(g.context, '$.consent.categoryPreferences')"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _consent_src AS SELECT g.id AS event_id, g.user_id, g.occurred_at, "
        # the part of the context consent_context.from_context reads, as a context of its own
        f"CAST(CASE WHEN {prefs} THEN json_object('consent', json_object('categoryPreferences', "
        "json_extract(g.context, '$.consent.categoryPreferences'))) "
        "ELSE json_object('consentManagement', json_extract(g.context, '$.consentManagement')) END AS VARCHAR) AS payload "
        f"FROM _good g WHERE g.context IS NOT NULL AND ({prefs} OR json_exists(g.context, '$.consentManagement')) "
        "AND g.id IN (SELECT event_id FROM events)")
    # temp tables made here go with the loader's transaction if anything fails (no finally: a DROP in an
    # aborted transaction would hide the error)
    marks, categories = [], []
    for (payload,) in con.execute("SELECT DISTINCT payload FROM _consent_src").fetchall():
        choice = from_context(json.loads(payload), ctx.consent_ids)
        if choice:
            marks.append((payload, json.dumps({"consent": choice.categories})))
            categories += [(payload, category, granted) for category, granted in sorted(choice.categories.items())]
    added = 0
    if marks:
        con.execute("CREATE OR REPLACE TEMP TABLE _consent_marks (payload VARCHAR, patch JSON)")
        con.executemany("INSERT INTO _consent_marks VALUES (?, ?)", marks)
        con.execute("CREATE OR REPLACE TEMP TABLE _consent_categories (payload VARCHAR, category VARCHAR, granted BOOLEAN)")
        con.executemany("INSERT INTO _consent_categories VALUES (?, ?, ?)", categories)
        con.execute("UPDATE events SET properties = json_merge_patch(coalesce(events.properties, '{}'::JSON), m.patch) "
                    "FROM (SELECT s.event_id, m.patch FROM _consent_src s JOIN _consent_marks m USING (payload)) m "
                    "WHERE events.event_id = m.event_id")
        added = con.execute(
            "INSERT INTO consents (customer_id, category, granted, recorded_at, source) SELECT DISTINCT s.user_id, "
            "c.category, c.granted, s.occurred_at, 'collector' FROM _consent_src s JOIN _consent_categories c USING (payload) "
            "WHERE s.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM consents k WHERE k.customer_id = s.user_id AND "
            "k.category = c.category AND k.recorded_at = s.occurred_at)").fetchone()[0]
    for table in ("_consent_src", "_consent_marks", "_consent_categories"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return added


def prepare_calls(con, records: str, ctx) -> None:
    """load_calls' `prepare` step: _calls, built before the loader's transaction (a temp table made
    inside it stays in its local storage, which DuckDB scans with one thread)."""
    build_calls(con, records, ctx.timezone)


load_calls.prepare = prepare_calls
