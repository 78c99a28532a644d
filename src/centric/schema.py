"""The canonical tables of a centric workspace: pure data, the product's public interface.

Every table, column, key and allowed value that users write SQL against is declared here once.
`store/migrations.py` creates the tables from these declarations, `store/validate.py` derives
its validation from them, and `docs/data-model.md` is tested against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds. Each kind has a DuckDB type and a parse/validate rule in store/validate.py.
TEXT = "text"
ID = "id"  # an identifier: text, trimmed; "17850.0" style floats are normalised to "17850"
TIMESTAMP = "timestamp"
DATE = "date"
MONEY = "money"
NUMBER = "number"
INTEGER = "integer"
BOOLEAN = "boolean"
COUNTRY = "country"
LANGUAGE = "language"
EMAIL = "email"
TEXT_LIST = "text_list"
JSON = "json"

DUCKDB_TYPES = {
    TEXT: "VARCHAR",
    ID: "VARCHAR",
    TIMESTAMP: "TIMESTAMP",
    DATE: "DATE",
    MONEY: "DECIMAL(18,2)",
    NUMBER: "DOUBLE",
    INTEGER: "BIGINT",
    BOOLEAN: "BOOLEAN",
    COUNTRY: "VARCHAR",
    LANGUAGE: "VARCHAR",
    EMAIL: "VARCHAR",
    TEXT_LIST: "VARCHAR[]",
    JSON: "JSON",
}


# Age bands of customer_profiles.age_band (whole years, both ends included), then "65+".
AGE_BANDS = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64))


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    description: str
    required: bool = False
    unit: str = ""
    allowed: tuple[str, ...] = ()  # closed vocabulary, checked on ingest
    minimum: float | None = None  # inclusive lower bound for numbers
    positive: bool = False  # strictly greater than zero
    nonzero: bool = False
    system: bool = False  # written by centric, never read from input files

    @property
    def sql_type(self) -> str:
        return DUCKDB_TYPES[self.kind]


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    extras: str | None = None  # JSON column that keeps input columns with no canonical home
    is_input: bool = True
    parents: dict[str, str] = field(default_factory=dict)  # column -> parent table it refers to

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def input_columns(self) -> list[Column]:
        return [c for c in self.columns if not c.system]


ORDER_STATUSES = ("completed", "cancelled", "refunded", "pending")
FEEDBACK_SOURCES = ("survey", "review", "ticket", "social", "chat", "other")
RATING_SCALES = ("nps_0_10", "csat_1_5", "ces_1_7", "stars_1_5")
RATING_RANGES = {"nps_0_10": (0, 10), "csat_1_5": (1, 5), "ces_1_7": (1, 7), "stars_1_5": (1, 5)}
CONSENT_CATEGORIES = ("essential", "personalization", "analytics", "marketing")
CUSTOMER_ORIGINS = ("import", "order", "event", "feedback", "consent")
# the customer journey: lifecycle stages in order, and the purchase status beside them
LIFECYCLE_STAGES = ("visitor", "engaged", "first_purchase", "repeat", "loyal", "advocate")
JOURNEY_STATUSES = ("prospect", "active", "at_risk", "lapsed")

_ORIGIN = Column(
    "origin", TEXT, "How the customer came to exist: import (a customers file) or the table that "
    "first referred to it (order, event, feedback, consent).", allowed=CUSTOMER_ORIGINS, system=True,
)
_ATTRIBUTES = Column("attributes", JSON, "Input columns with no canonical home, as a JSON object.")

CUSTOMERS = Table(
    "customers",
    "One row per known customer.",
    (
        Column("customer_id", ID, "The shop's customer identifier.", required=True),
        Column("email", EMAIL, "E-mail address, lower-cased."),
        Column("created_at", TIMESTAMP, "When the customer account was created (shop time zone)."),
        Column("birth_year", INTEGER, "Year of birth.", unit="year", minimum=1900),
        Column("gender", TEXT, "Gender as the shop records it."),
        Column("country", COUNTRY, "Country, ISO 3166-1 alpha-2 (names of common countries are converted)."),
        Column("region", TEXT, "Region, province or state."),
        Column("city", TEXT, "City."),
        Column("postcode", TEXT, "Postal code."),
        Column("language", LANGUAGE, "Preferred language, ISO 639-1."),
        Column("acquisition_channel", TEXT, "Channel that brought the customer (organic, paid_search, ...)."),
        Column("tags", TEXT_LIST, "Lifestyle and interest tags: a JSON array or values separated by |."),
        _ATTRIBUTES,
        _ORIGIN,
    ),
    key=("customer_id",),
    extras="attributes",
)

ORDERS = Table(
    "orders",
    "One row per order, return or credit note.",
    (
        Column("order_id", ID, "The shop's order identifier.", required=True),
        Column("customer_id", ID, "Customer who placed it; empty for a guest order (counted in shop "
               "revenue, left out of per-customer analyses)."),
        Column("ordered_at", TIMESTAMP, "When the order was placed (shop time zone).", required=True),
        Column("status", TEXT, "completed, cancelled, refunded or pending (completed when not given). A "
               "return or credit note is 'refunded' with a negative total.", allowed=ORDER_STATUSES),
        Column("currency", TEXT, "ISO 4217 currency code."),
        Column("total", MONEY, "Amount charged, after discount, with shipping; negative for a return.",
               unit="currency"),
        Column("discount", MONEY, "Discount granted.", unit="currency", minimum=0),
        Column("shipping", MONEY, "Shipping charged.", unit="currency", minimum=0),
        Column("channel", TEXT, "Sales channel (web, app, marketplace, store, ...)."),
        Column("charges", MONEY, "Charges that are not goods, shipping or discount (bank charges, marketplace "
               "fees, manual adjustments, samples, vouchers sold); from an export's charge lines "
               "(see order_charges). Negative on a credit note.", unit="currency"),
        Column("reverses_order_id", ID, "For a refund, credit note, return or cancellation: the order it "
               "reverses, when the export names it. Its value is netted against that order."),
        _ATTRIBUTES,
        Column("original_currency", TEXT, "The currency the file gave (ISO 4217); money columns of the "
               "row are converted to the workspace currency.", system=True),
        Column("original_total", MONEY, "total in original_currency, as the file gave it.",
               unit="original_currency", system=True),
        Column("fx_rate", NUMBER, "Rate used to convert the order: units of the workspace currency per "
               "unit of original_currency (the latest fx_rates row on or before the order's date; 1 "
               "when the currencies are the same).", system=True),
        Column("merchandise", MONEY, "Value of the goods: the order's product lines less its discount, "
               "or, without lines, total - shipping - charges. Negative on a credit note.",
               unit="currency", system=True),
        Column("returned", MONEY, "Value of later credit notes netted against this order (positive; its "
               "whole merchandise for an order whose own status is refunded).", unit="currency", system=True),
        Column("net_merchandise", MONEY, "What the customer kept of the goods: merchandise - returned for "
               "an order; for a credit note, the part linked to no order (negative); 0 for cancelled and "
               "pending orders. Revenue is the sum of this column.", unit="currency", system=True),
        Column("event_id", ID, "For an order collected live: the messageId of the Order Completed message "
               "that created it (events.event_id); empty for an order loaded from a file.", system=True),
    ),
    key=("order_id",),
    extras="attributes",
    parents={"customer_id": "customers"},
)

ORDER_LINES = Table(
    "order_lines",
    "One row per line of an order.",
    (
        Column("order_id", ID, "Order the line belongs to.", required=True),
        Column("line_no", INTEGER, "Position of the line in its order, from 1.", required=True, minimum=1),
        Column("sku", TEXT, "Stock-keeping unit."),
        Column("product_name", TEXT, "Product name."),
        Column("category", TEXT, "Product category. A line whose category is a charge kind (shipping, "
               "discount, fee, manual, sample, adjustment, voucher) or whose sku is a charge code is not a "
               "product: it goes to order_charges, not here."),
        Column("quantity", INTEGER, "Units; negative for a return.", required=True, nonzero=True),
        Column("unit_price", MONEY, "Price of one unit, in the workspace currency (converted at the order's "
               "fx_rate).", unit="currency", required=True, positive=True),
        _ATTRIBUTES,
    ),
    key=("order_id", "line_no"),
    extras="attributes",
)

EVENTS = Table(
    "events",
    "Behaviour events, named after the Segment eCommerce spec where one exists.",
    (
        Column("event_id", ID, "Event identifier.", required=True),
        Column("occurred_at", TIMESTAMP, "When it happened (shop time zone).", required=True),
        Column("anonymous_id", ID, "Device or cookie identifier."),
        Column("customer_id", ID, "Customer, once known."),
        Column("session_id", ID, "Session identifier."),
        Column("name", TEXT, "Event name: Product Viewed, Product Added, Checkout Started, Order "
               "Completed, Email Opened, ...", required=True),
        Column("channel", TEXT, "Channel (web, app, email, ...)."),
        Column("properties", JSON, "Event properties, and input columns with no canonical home."),
        Column("context", JSON, "For a collected message: Segment's context object as the client sent it "
               "(page, userAgent, ip, locale, campaign, consent, ...)."),
    ),
    key=("event_id",),
    extras="properties",
    parents={"customer_id": "customers"},
)

FEEDBACK = Table(
    "feedback",
    "Everything customers tell the shop: survey answers, reviews, tickets, social posts.",
    (
        Column("feedback_id", ID, "Feedback identifier.", required=True),
        Column("customer_id", ID, "Customer who wrote it, when known."),
        Column("order_id", ID, "Order it is about, when known."),
        Column("received_at", TIMESTAMP, "When it was received (shop time zone).", required=True),
        Column("source", TEXT, "survey, review, ticket, social, chat or other (other when not given).",
               allowed=FEEDBACK_SOURCES),
        Column("channel", TEXT, "Where it came from (email, widget, web, twitter, zendesk, ...)."),
        Column("rating", NUMBER, "The score given, on rating_scale."),
        Column("rating_scale", TEXT, "nps_0_10, csat_1_5, ces_1_7 or stars_1_5.", allowed=RATING_SCALES),
        Column("text", TEXT, "What the customer wrote (untrusted: escaped wherever shown)."),
        Column("language", LANGUAGE, "Language of the text, ISO 639-1, when the source knows it."),
        Column("survey_id", ID, "Survey it answers."),
        _ATTRIBUTES,
        Column("record_id", ID, "For answers collected live: the spool record that last wrote the row (its "
               "answer or follow-up comment); makes loading the spool twice harmless.", system=True),
    ),
    key=("feedback_id",),
    extras="attributes",
    parents={"customer_id": "customers"},
)

FEEDBACK_HISTORY = Table(
    "feedback_history",
    "Survey answers that a later answer (or comment) replaced: one answer per customer per survey send, "
    "and per anonymous response, stays in `feedback`; every earlier version is kept here.",
    (
        Column("feedback_id", ID, "The feedback row this was a version of."),
        Column("customer_id", ID, "Customer who wrote it, when known."),
        Column("order_id", ID, "Order it is about, when known."),
        Column("received_at", TIMESTAMP, "When this version was received (shop time zone)."),
        Column("source", TEXT, "survey."),
        Column("channel", TEXT, "email or widget."),
        Column("rating", NUMBER, "The score of this version, on rating_scale."),
        Column("rating_scale", TEXT, "nps_0_10, csat_1_5, ces_1_7 or stars_1_5."),
        Column("text", TEXT, "The text of this version (untrusted: escaped wherever shown)."),
        Column("language", LANGUAGE, "Language of the answer."),
        Column("survey_id", ID, "Survey it answers."),
        Column("record_id", ID, "Spool record that wrote this version."),
        Column("replaced_at", TIMESTAMP, "When the version that replaced it was received (shop time zone)."),
        Column("replaced_by", ID, "Spool record that replaced it."),
    ),
    is_input=False,
)

MARKETING_SPEND = Table(
    "marketing_spend",
    "Marketing spend per day, channel and campaign.",
    (
        Column("spent_on", DATE, "Day of the spend.", required=True),
        Column("channel", TEXT, "Acquisition channel, matching customers.acquisition_channel.", required=True),
        Column("campaign", TEXT, "Campaign name ('' when none)."),
        Column("amount", MONEY, "Amount spent.", unit="currency", required=True, minimum=0),
        Column("currency", TEXT, "ISO 4217 currency code."),
    ),
    key=("spent_on", "channel", "campaign"),
)

FX_RATES = Table(
    "fx_rates",
    "Exchange rates into the workspace currency. An amount in another currency is converted at ingest "
    "at the latest rate on or before its date.",
    (
        Column("rate_date", DATE, "Day the rate applies from.", required=True),
        Column("currency", TEXT, "ISO 4217 code of the foreign currency (e.g. GBP).", required=True),
        Column("rate", NUMBER, "Units of the workspace currency per unit of `currency`.", required=True,
               positive=True),
    ),
    key=("rate_date", "currency"),
)

CONSENTS = Table(
    "consents",
    "Consent decisions; the latest per customer and category is in force.",
    (
        Column("customer_id", ID, "Customer.", required=True),
        Column("category", TEXT, "essential, personalization, analytics or marketing.", required=True,
               allowed=CONSENT_CATEGORIES),
        Column("granted", BOOLEAN, "Whether consent was granted (true/false, yes/no, 1/0).", required=True),
        Column("recorded_at", TIMESTAMP, "When the decision was recorded.", required=True),
        Column("source", TEXT, "Where it was recorded (banner, checkout, email, ...)."),
    ),
    key=("customer_id", "category", "recorded_at"),
    parents={"customer_id": "customers"},
)

IDENTITY_TYPES = ("anonymous_id", "user_id", "email")

IDENTITIES = Table(
    "identities",
    "Every anonymous id, user id and e-mail and the customer it belongs to, with the message that merged "
    "it (rebuilt from events and customers on every ingest; see docs/privacy.md#identity). An anonymous "
    "id belongs to one customer per span of time: a shared device identified as A, later as B, gives two "
    "rows and never merges A and B.",
    (
        Column("id_type", TEXT, "anonymous_id, user_id or email.", allowed=IDENTITY_TYPES),
        Column("id_value", TEXT, "The id (e-mails lower-cased and trimmed)."),
        Column("customer_id", ID, "The customer it resolves to."),
        Column("valid_from", TIMESTAMP, "Start of the span (NULL: all earlier history, e.g. the anonymous "
               "visits before the first identify)."),
        Column("valid_to", TIMESTAMP, "End of the span, exclusive (NULL: open)."),
        Column("merged_by", TEXT, "The message (event_id) that merged it: an identify, alias, or an event "
               "carrying both ids; NULL for a customer's own ids."),
        Column("merged_at", TIMESTAMP, "When that message happened."),
    ),
    is_input=False,
)

IDENTITY_SPLITS = Table(
    "identity_splits",
    "Merges undone with `centric identity split`: links between these ids are ignored from then on.",
    (
        Column("anonymous_id", ID, "The anonymous id (or alias previousId) split off."),
        Column("customer_id", ID, "The customer it is no longer merged into."),
        Column("split_at", TIMESTAMP, "When the split was made."),
        Column("note", TEXT, "Why (free text)."),
    ),
    is_input=False,
)

CHARGE_KINDS = ("shipping", "discount", "fee", "manual", "sample", "adjustment", "voucher")

ORDER_CHARGES = Table(
    "order_charges",
    "Lines of an order export that are not goods (postage, bank charges, fees, manual adjustments, "
    "discounts, samples, vouchers): kept here, out of order_lines, and summed into the order's "
    "shipping, discount and charges.",
    (
        Column("order_id", ID, "Order the line belongs to."),
        Column("line_no", INTEGER, "Position of the line in its order (numbered with the goods lines)."),
        Column("sku", TEXT, "The charge's code in the export (POST, M, BANK CHARGES, ...)."),
        Column("description", TEXT, "The line's product name or description."),
        Column("kind", TEXT, "shipping, discount, fee, manual, sample, adjustment or voucher.",
               allowed=CHARGE_KINDS),
        Column("quantity", INTEGER, "Units as the export gave them."),
        Column("amount", MONEY, "quantity x unit price, in the workspace currency.", unit="currency"),
    ),
    key=("order_id", "line_no"),
    is_input=False,
)

ORDER_REVERSALS = Table(
    "order_reversals",
    "How each credit note was netted: one row per (credit note, order it reverses). Rebuilt after "
    "every ingest of orders or order lines.",
    (
        Column("credit_order_id", ID, "The refund, credit note or return."),
        Column("order_id", ID, "The order it reverses."),
        Column("matched_by", TEXT, "reference (the credit note names the order) or line (same customer, "
               "sku and at least the quantity, latest earlier purchase).", allowed=("reference", "line")),
        Column("amount", MONEY, "Value netted against the order (positive).", unit="currency"),
    ),
    is_input=False,
)

QUARANTINE = Table(
    "quarantine",
    "Every input row that was not loaded, with its reason.",
    (
        Column("table_name", TEXT, "Table the row was meant for."),
        Column("source_file", TEXT, "File it came from (absolute path)."),
        Column("line", INTEGER, "Line of the record in the file (the header is line 1; a record with "
               "quoted newlines counts once)."),
        Column("column_name", TEXT, "Column at fault, when one is."),
        Column("value", TEXT, "The offending value as it was read."),
        Column("reason", TEXT, "Why the row was not loaded."),
        Column("ingested_at", TIMESTAMP, "When the ingest ran."),
    ),
    is_input=False,
)

# The events row each Segment call type becomes (a track call is named by its own `event`).
CALL_EVENT_NAMES = {"page": "Page Viewed", "screen": "Screen Viewed", "identify": "Identified",
                    "alias": "Alias", "group": "Group"}
SEGMENT_CALLS = ("track", "page", "screen", "identify", "alias", "group")

SPOOL_LOADS = Table(
    "spool_loads",
    "How far each file of the collector's spool has been loaded (written in the same transaction as "
    "the rows it loaded, so a crash neither loses nor repeats a message).",
    (
        Column("file", TEXT, "Spool file name without its .open suffix (<started>-<pid>-<seq>.jsonl)."),
        Column("bytes_loaded", INTEGER, "Leading bytes of the file loaded (whole lines).", unit="bytes"),
        Column("lines_loaded", INTEGER, "Lines those bytes hold (a batch record, one line, holds many messages)."),
        Column("sealed", BOOLEAN, "Whether the file was sealed (never written again) when loaded."),
        Column("loaded_at", TIMESTAMP, "When the load ran."),
    ),
    key=("file",),
    is_input=False,
)

SPOOL_PENDING = Table(
    "spool_pending",
    "Spooled records of a kind no loader handles yet (e.g. survey answers before their loader exists): "
    "kept whole, neither loaded nor quarantined, and loaded by the first `centric ingest --collected` "
    "that has a handler for their kind.",
    (
        Column("file", TEXT, "Spool file name (as in spool_loads)."),
        Column("line", INTEGER, "Line of the record in that file, from 1."),
        Column("message_id", ID, "The record's id (messageId)."),
        Column("kind", TEXT, "The record's kind."),
        Column("received_at", TEXT, "When the collector received it (ISO 8601, UTC)."),
        Column("source", TEXT, "The key id or 'survey' it came with."),
        Column("message", JSON, "The message as the client sent it."),
    ),
    is_input=False,
)

PRIVACY_ACTIONS = ("export", "erase")
PRIVACY_STATUSES = ("pending", "done", "failed")

PRIVACY_REQUESTS = Table(
    "privacy_requests",
    "Privacy requests received over the API (`POST /api/privacy/export|erase`): loaded from the spool by "
    "`centric ingest --collected`, which then carries each out once. An erase request keeps no id of the "
    "person, only its hash.",
    (
        Column("request_id", ID, "The request's id (given by the client or generated by the server)."),
        Column("action", TEXT, "export or erase.", allowed=PRIVACY_ACTIONS),
        Column("customer_id", TEXT, "The person: as given (customer id or e-mail) while pending; the resolved "
               "customer id once an export is done; empty once an erase ran or a request failed."),
        Column("customer_hash", TEXT, "id_hash of the id given (as in erasures), set when the request is carried out."),
        Column("requested_at", TIMESTAMP, "When the server received it (UTC)."),
        Column("requested_by", TEXT, "Id of the API key that sent it (centric keys list)."),
        Column("status", TEXT, "pending, done or failed.", allowed=PRIVACY_STATUSES),
        Column("done_at", TIMESTAMP, "When it was carried out or failed (UTC)."),
        Column("note", TEXT, "What was done, or why it failed (one line)."),
    ),
    key=("request_id",),
    is_input=False,
)

ERASURE_ID_KINDS = ("customer_id", "email", "anonymous_id", "order_id", "identity")

ERASURES = Table(
    "erasures",
    "What remains of an erased person (`centric privacy erase`): one row per erased identifier, as a salted "
    "hash, never the identifier itself. Ingest, the loader and the collector drop anything that carries one "
    "of these hashes (suppression).",
    (
        Column("id_hash", TEXT, "sha256 of the workspace secret, ':' and the identifier (trimmed; lower-cased "
               "when it holds an @), as 64 hex digits."),
        Column("id_kind", TEXT, "customer_id, email, anonymous_id, order_id or identity (another id an "
               "identities row merged into the person).", allowed=ERASURE_ID_KINDS),
        Column("subject_hash", TEXT, "id_hash of the customer id the request named: groups the rows of one person."),
        Column("request_id", TEXT, "The request it answers (--request-id: the ticket or case number), when given."),
        Column("erased_at", TIMESTAMP, "When the erasure ran (UTC)."),
    ),
    is_input=False,
)

CUSTOMER_SUMMARY = Table(
    "customer_summary",
    "Per customer purchase history, in days, with RFM scores (recomputed by `centric run`).",
    (
        Column("customer_id", ID, "Customer."),
        Column("first_order_at", TIMESTAMP, "First purchase."),
        Column("last_order_at", TIMESTAMP, "Last purchase."),
        Column("orders", INTEGER, "Purchases: completed orders with a positive net_merchandise (fully "
               "reversed, cancelled and pending orders and credit notes excluded)."),
        Column("revenue", MONEY, "Net merchandise revenue: what the customer kept of the goods bought "
               "(orders.net_merchandise summed: purchases net of the credit notes linked to them, plus "
               "credit notes linked to no order, at their dates).", unit="currency"),
        Column("gross_revenue", MONEY, "Goods value of the customer's orders before returns (merchandise "
               "of completed and refunded orders with a positive value).", unit="currency"),
        Column("returns", MONEY, "gross_revenue - revenue: value returned, refunded or credited, positive.",
               unit="currency"),
        Column("net_revenue", MONEY, "The same as revenue (kept for SQL written before revenue was net).",
               unit="currency"),
        Column("aov", NUMBER, "Average order value: revenue / orders.", unit="currency"),
        Column("frequency", INTEGER, "Repeat purchases: distinct purchase days - 1 (BTYD frequency x)."),
        Column("recency", NUMBER, "Days from first to last purchase (BTYD recency t_x).", unit="days"),
        Column("T", NUMBER, "Days from first purchase to the end of observation (BTYD age T).", unit="days"),
        Column("monetary_value", NUMBER, "Mean value of a repeat purchase day (0 without repeats).",
               unit="currency"),
        Column("days_since_last_order", NUMBER, "Days from last purchase to the end of observation.",
               unit="days"),
        Column("r_score", INTEGER, "Recency score 1-5 (5 = most recent quantile; cut points in [rfm] of centric.toml)."),
        Column("f_score", INTEGER, "Frequency score 1-5 (orders)."),
        Column("m_score", INTEGER, "Monetary score 1-5 (revenue)."),
        Column("rfm_score", TEXT, "The three scores, e.g. '545'."),
        Column("rfm_segment", TEXT, "Named segment from the R and F scores (Champions, Loyal, Potential "
               "loyalists, New, Promising, Need attention, About to sleep, At risk, Can't lose them, "
               "Hibernating, Lost; see docs/segments.md)."),
        Column("observed_until", TIMESTAMP, "End of observation the figures refer to."),
    ),
    is_input=False,
)

CUSTOMER_VALUE = Table(
    "customer_value",
    "Per customer expected future purchases, P(alive), predicted CLV and churn risk (`centric clv`).",
    (
        Column("customer_id", ID, "Customer."),
        Column("model", TEXT, "Transaction model used (BetaGeo, ModifiedBetaGeo or ParetoNBD)."),
        Column("p_alive", NUMBER, "Probability the customer is still active at the end of observation (0..1), from "
               "a model the holdout validates; NULL when none does (e.g. a boundary fit: no dropout visible)."),
        Column("expected_orders_90d", NUMBER, "Expected purchase days in the next 90 days."),
        Column("expected_orders_365d", NUMBER, "Expected purchase days in the next 365 days."),
        Column("expected_order_value", NUMBER, "Expected value of a future purchase (Gamma-Gamma).",
               unit="currency"),
        Column("predicted_clv", NUMBER, "Discounted margin of the purchases expected over the CLV horizon.",
               unit="currency"),
        Column("p_no_purchase", NUMBER, "Calibrated probability of no purchase in the next churn_horizon_days (0..1)."),
        Column("churn_horizon_days", NUMBER, "Horizon of p_no_purchase: the holdout's length it was validated on.",
               unit="days"),
        Column("churn_source", TEXT, "What p_no_purchase comes from: the chosen model when the holdout validates it, "
               "else the Recency, PastRate or Classifier baseline (see clv_models.note)."),
        Column("churn_risk", TEXT, "Churn-risk band from p_no_purchase: high (>= 0.7), medium (0.3-0.7), low (< 0.3).",
               allowed=("low", "medium", "high")),
        Column("computed_at", TIMESTAMP, "End of observation the figures refer to."),
    ),
    is_input=False,
)

CLV_ROLLUPS = Table(
    "clv_rollups",
    "Customer value summed by RFM segment and by acquisition channel, with CAC and CLV:CAC per channel.",
    (
        Column("dimension", TEXT, "What the rows group by: rfm_segment or acquisition_channel."),
        Column("group_name", TEXT, "The segment or channel."),
        Column("customers", INTEGER, "Customers in the group."),
        Column("revenue", NUMBER, "Revenue to date.", unit="currency"),
        Column("mean_p_alive", NUMBER, "Mean P(alive)."),
        Column("mean_clv", NUMBER, "Mean predicted CLV.", unit="currency"),
        Column("total_clv", NUMBER, "Sum of predicted CLV.", unit="currency"),
        Column("high_churn_risk_share", NUMBER, "Share of customers in the high churn-risk band."),
        Column("marketing_spend", NUMBER, "Spend of the channel (acquisition channels only).", unit="currency"),
        Column("new_customers", INTEGER, "Customers acquired by the channel in the spend's period."),
        Column("cac", NUMBER, "Customer acquisition cost: spend / new customers.", unit="currency"),
        Column("clv_to_cac", NUMBER, "Mean (historic + predicted) value of the channel's new customers / CAC."),
    ),
    is_input=False,
)

CLV_MODELS = Table(
    "clv_models",
    "The transaction models and three baselines checked on a calibration/holdout split, the one chosen, the "
    "churn source, and the spend model with its premise check.",
    (
        Column("model", TEXT, "BetaGeo, ModifiedBetaGeo, ParetoNBD; baselines Recency, PastRate and Classifier; GammaGamma (spend)."),
        Column("kind", TEXT, "model, baseline or spend.", allowed=("model", "baseline", "spend")),
        Column("log_likelihood", NUMBER, "Log-likelihood on the calibration period."),
        Column("bic", NUMBER, "Bayesian information criterion (lower is better)."),
        Column("holdout_from", DATE, "First day of the holdout (calibration is every day before it)."),
        Column("holdout_days", INTEGER, "Length of the holdout.", unit="days"),
        Column("holdout_actual", NUMBER, "Repeat purchase days in the holdout of the customers acquired before it."),
        Column("holdout_predicted", NUMBER, "Repeat purchase days the model or baseline expected in the holdout."),
        Column("holdout_mae", NUMBER, "Mean absolute error of each customer's holdout purchases."),
        Column("holdout_auc", NUMBER, "AUC of the probability of buying again in the holdout (0.5 is chance)."),
        Column("holdout_brier", NUMBER, "Brier score of that probability (mean squared error, lower is better)."),
        Column("inner_mae", NUMBER, "Per-customer MAE on the split inside the calibration period (its last holdout-length "
               "stretch held out), on which the model is chosen before the holdout is looked at."),
        Column("inner_auc", NUMBER, "AUC of buying again on that inner split."),
        Column("inner_brier", NUMBER, "Brier score on that inner split (picks the churn-source baseline)."),
        Column("dropout_share", NUMBER, "Share of customers the fit expects to stop buying over the calibration history."),
        Column("boundary", BOOLEAN, "The fit sits on the edge of its parameters (no dropout visible): P(alive) is not "
               "informative."),
        Column("validated", BOOLEAN, "Models: works on this shop (not on the boundary, AUC >= 0.6 and >= the recency "
               "baseline's). GammaGamma: its premise (spend independent of frequency) holds."),
        Column("chosen", BOOLEAN, "The model used for customer_value (and the spend model): chosen on the inner split, "
               "not on the holdout (a transaction model or the Classifier)."),
        Column("churn_source", BOOLEAN, "The model or baseline customer_value's churn risk comes from."),
        Column("note", TEXT, "What the row means, in plain English (boundary fit, same likelihood, why the churn "
               "source), built from the row's other columns (report/notes.py); the report and dashboard build it "
               "in the reader's language."),
        Column("params", JSON, "Fitted parameters (on the full history for the chosen model; the Classifier's "
               "coefficients as fitted for the holdout check)."),
        Column("error", TEXT, "Why a model could not be fitted, if it could not."),
        Column("spend_frequency_correlation", NUMBER, "GammaGamma: Spearman correlation of frequency and mean spend "
               "among repeat customers."),
        Column("spend_frequency_p_value", NUMBER, "GammaGamma: p-value of that correlation."),
        Column("spend_frequency_customers", INTEGER, "GammaGamma: repeat customers that correlation is measured on."),
        Column("same_likelihood_as", TEXT, "Transaction models: the other models whose log-likelihood agrees with "
               "this one's (comma-separated; the data cannot tell them apart), else NULL."),
    ),
    is_input=False,
)

CLV_CALIBRATION = Table(
    "clv_calibration",
    "The holdout check in detail: conditional expectations by calibration frequency (Fader, Hardie & Lee 2005, "
    "Figure 4) and the observed no-purchase share per churn-risk band.",
    (
        Column("kind", TEXT, "frequency (holdout purchases by calibration frequency) or churn_band.",
               allowed=("frequency", "churn_band")),
        Column("group_name", TEXT, "Calibration repeat purchases (0, 1, ... '7+') or the band (low, medium, high)."),
        Column("group_order", INTEGER, "Sort order of the groups."),
        Column("source", TEXT, "Model or baseline whose prediction `predicted` is."),
        Column("customers", INTEGER, "Customers in the group."),
        Column("actual", NUMBER, "frequency: mean holdout repeat purchases; churn_band: share with no holdout purchase."),
        Column("predicted", NUMBER, "frequency: mean expected holdout purchases; churn_band: mean calibrated "
               "P(no purchase)."),
    ),
    is_input=False,
)

CLV_TRACKING = Table(
    "clv_tracking",
    "Weekly repeat purchases, actual vs expected, over calibration and holdout (the tracking plot).",
    (
        Column("week", INTEGER, "Week since the first purchase in the data."),
        Column("actual", NUMBER, "Repeat purchases that week."),
        Column("predicted", NUMBER, "Repeat purchases the calibration fit expected that week."),
        Column("actual_cumulative", NUMBER, "Repeat purchases up to that week."),
        Column("predicted_cumulative", NUMBER, "Expected repeat purchases up to that week."),
        Column("in_holdout", BOOLEAN, "The week is after the end of calibration."),
    ),
    is_input=False,
)

FEEDBACK_INSIGHTS = Table(
    "feedback_insights",
    "Per feedback: language, sentiment, themes and the sentiment of each aspect (written by `centric listen`).",
    (
        Column("feedback_id", ID, "Feedback analysed."),
        Column("language", LANGUAGE, "Language of the text among the workspace's languages (NULL: no letters)."),
        Column("language_confidence", NUMBER, "Confidence of the language, 0-1 (1 when the source gave it)."),
        Column("sentiment", TEXT, "negative, neutral or positive (neutral also for mixed texts).",
               allowed=("negative", "neutral", "positive")),
        Column("sentiment_score", NUMBER, "Sentiment from -1 (most negative) to 1 (most positive)."),
        Column("themes", TEXT_LIST, "Taxonomy themes mentioned (delivery, price, product_quality, ...)."),
        Column("aspects", JSON, "Sentiment per theme: a list of {theme, sentiment, score}."),
        Column("discovered_theme", TEXT, "A theme found in the data beyond the taxonomy, when the text has one."),
        Column("sentiment_model", TEXT, "cold_start (lexicon and rules), self_trained (this workspace's model for the "
               "language), cross_language (a model on the other languages' rated text), or either model with "
               "_fallback (a source without held-out ratings: the cold start's label stands unless the model gives "
               "another more than even odds)."),
        Column("text_chars", INTEGER, "Length of the text in characters."),
        Column("truncated", BOOLEAN, "Only the first 5,000 characters were analysed."),
        Column("input_hash", TEXT, "Fingerprint of what the reading read (text, language given, source, rating): an "
               "incremental `centric run` reads again only rows whose fingerprint changed (services/run_ledger.py)."),
    ),
    is_input=False,
)

SENTIMENT_MODELS = Table(
    "sentiment_models",
    "Per language, and per source within it: the sentiment reading used and the figures it reached on "
    "held-out rated feedback (None and validated false where there is nothing to measure on).",
    (
        Column("language", LANGUAGE, "Language."),
        Column("source", TEXT, "all (the language as a whole) or a feedback source: survey, review, ticket, social, "
               "chat, other."),
        Column("texts", INTEGER, "Feedback texts of this language and source."),
        Column("rated_texts", INTEGER, "Of them, texts with a rating (stars, NPS, CSAT, CES: weak labels)."),
        Column("n_train", INTEGER, "Rated texts the language's trained model learned from (for cross_language, "
               "the other languages' rated texts)."),
        Column("n_test", INTEGER, "Held-out rated texts of this language and source the figures are measured on "
               "(all the rated texts where the cold start is used: it learned from none)."),
        Column("cold_start_f1", NUMBER, "Macro-F1 of the cold start on the held-out texts."),
        Column("self_trained_f1", NUMBER, "Macro-F1 of the trained model's own reading on the held-out texts (on the "
               "language row where the model lost: on its own 20% split)."),
        Column("chosen", TEXT, "The language's model: cold_start, self_trained (its own rated text) or "
               "cross_language (the other languages' rated text).",
               allowed=("cold_start", "self_trained", "cross_language")),
        Column("reading", TEXT, "How this source's texts are read: the chosen model, the cold start, or "
               "<model>_fallback (no held-out rated texts of the source: the cold start's label stands unless "
               "the model gives another label more than even odds)."),
        Column("expected_f1", NUMBER, "Macro-F1 of the reading used on the held-out texts: the accuracy to "
               "expect; None when unvalidated."),
        Column("validated", BOOLEAN, "At least 10 held-out rated texts back expected_f1; false: unvalidated."),
        Column("aspect_texts", INTEGER, "Held-out rated texts that mention exactly one aspect (delivery, price, "
               "quality, service, returns, ...)."),
        Column("aspect_agreement", NUMBER, "Share of those whose aspect sentiment equals the rating's label; None "
               "when fewer than 10 (unvalidated)."),
    ),
    is_input=False,
)

SURVEY_SCORES = Table(
    "survey_scores",
    "NPS, CSAT and CES overall, per month and per group, with 95% intervals.",
    (
        Column("metric", TEXT, "nps (points -100..100), csat (% satisfied, 4-5 of 5) or ces (mean 1-7).",
               allowed=("nps", "csat", "ces")),
        Column("period", TEXT, "Month (YYYY-MM) or 'all'."),
        Column("dimension", TEXT, "What the group is: all, channel, source, rfm_segment, ..."),
        Column("group", TEXT, "Value of the dimension ('all' for totals)."),
        Column("n", INTEGER, "Answers."),
        Column("value", NUMBER, "The score."),
        Column("low", NUMBER, "Lower end of the 95% interval."),
        Column("high", NUMBER, "Upper end of the 95% interval."),
    ),
    is_input=False,
)

FEEDBACK_DRIVERS = Table(
    "feedback_drivers",
    "Themes that move NPS: detractors who mention them and the NPS points they cost.",
    (
        Column("theme", TEXT, "Theme."),
        Column("mentions", INTEGER, "NPS answers whose text mentions it."),
        Column("detractor_mentions", INTEGER, "Detractors (0-6) who mention it."),
        Column("detractor_share", NUMBER, "Share of all detractors who mention it, 0-1."),
        Column("nps_points_cost", NUMBER, "NPS points gained if those detractors had been passives.", unit="points"),
        Column("nps_with", NUMBER, "NPS of the answers that mention it.", unit="points"),
        Column("nps_without", NUMBER, "NPS of the answers that do not.", unit="points"),
    ),
    is_input=False,
)

FEEDBACK_TRENDS = Table(
    "feedback_trends",
    "Negative mentions per theme: the last 30 days against the 30 before, with a two-proportion z-test; "
    "one row per theme with a negative mention in either window.",
    (
        Column("theme", TEXT, "Theme."),
        Column("recent_share", NUMBER, "Share of recent feedback with a negative mention of it, 0-1."),
        Column("previous_share", NUMBER, "The same share in the window before, 0-1."),
        Column("recent_n", INTEGER, "Feedback in the recent window."),
        Column("previous_n", INTEGER, "Feedback in the window before."),
        Column("z", NUMBER, "z statistic of the difference."),
        Column("p_value", NUMBER, "Two-sided p-value."),
        Column("rising", BOOLEAN, "Rising at the 5% level."),
    ),
    is_input=False,
)

SURVEYS = Table(
    "surveys",
    "Surveys defined in the workspace (`centric survey add`): questions, translations, targeting.",
    (
        Column("survey_id", ID, "Survey identifier (used in links and the widget)."),
        Column("kind", TEXT, "nps, csat, ces, rating, text, single_choice or multiple_choice."),
        Column("status", TEXT, "open or closed.", allowed=("open", "closed")),
        Column("definition", JSON, "The whole definition: questions per language, follow-up, targeting."),
        Column("created_at", TIMESTAMP, "When it was added."),
        Column("closed_at", TIMESTAMP, "When it was closed (empty while open): answers received before "
               "this time are still loaded."),
    ),
    is_input=False,
)

CUSTOMER_PROFILES = Table(
    "customer_profiles",
    "One wide row per customer: profile, behaviour, consumption, value and voice. Segment rules and "
    "clustering read it (`centric segments`, `centric personas`).",
    (
        Column("customer_id", ID, "Customer."),
        Column("created_at", TIMESTAMP, "When the customer was created."),
        Column("age", INTEGER, "Age in years at the end of observation (from birth_year).", unit="years"),
        Column("age_band", TEXT, "18-24, 25-34, 35-44, 45-54, 55-64 or 65+."),
        Column("gender", TEXT, "As given in customers."),
        Column("country", COUNTRY, "ISO 3166 alpha-2."),
        Column("region", TEXT, "Region or province."),
        Column("city", TEXT, "City."),
        Column("language", LANGUAGE, "Preferred language (ISO 639-1)."),
        Column("acquisition_channel", TEXT, "Channel that brought the customer."),
        Column("tags", TEXT_LIST, "Lifestyle and interest tags."),
        Column("orders", INTEGER, "Completed purchases (0 for a customer who never bought)."),
        Column("revenue", NUMBER, "Sum of completed purchases.", unit="currency"),
        Column("aov", NUMBER, "Average order value.", unit="currency"),
        Column("days_since_last_order", NUMBER, "Days from the last purchase to the end of observation.",
               unit="days"),
        Column("rfm_segment", TEXT, "RFM segment (see customer_summary)."),
        Column("categories", TEXT_LIST, "Product categories bought."),
        Column("top_category", TEXT, "Category with the most revenue."),
        Column("order_channels", TEXT_LIST, "Channels the customer ordered on (web, app, store, ...)."),
        Column("app_share", NUMBER, "Share of orders placed on the app (0-1)."),
        Column("discount_share", NUMBER, "Share of orders with a discount (0-1): discount sensitivity."),
        Column("items_per_order", NUMBER, "Mean units per order (basket size)."),
        Column("evening_share", NUMBER, "Share of orders placed from 18:00 to 23:59 (0-1)."),
        Column("weekend_share", NUMBER, "Share of orders placed on Saturday or Sunday (0-1)."),
        Column("returns_share", NUMBER, "Value returned / value bought (0-1)."),
        Column("event_names", TEXT_LIST, "Names of the events the customer did (Product Viewed, Email Opened, ...)."),
        Column("events", INTEGER, "Events recorded for the customer."),
        Column("p_alive", NUMBER, "P(alive) from customer_value (NULL before `centric clv`)."),
        Column("predicted_clv", NUMBER, "Predicted CLV from customer_value.", unit="currency"),
        Column("churn_risk", TEXT, "low, medium or high, from customer_value."),
        Column("feedback_count", INTEGER, "Feedback the customer gave."),
        Column("nps", INTEGER, "Latest NPS answer, 0-10."),
        Column("nps_group", TEXT, "promoter (9-10), passive (7-8) or detractor (0-6), from the latest NPS answer."),
        Column("sentiment_score", NUMBER, "Mean sentiment of the customer's feedback, -1..1 (after `centric listen`)."),
        Column("sentiment", TEXT, "negative, neutral or positive: the mean sentiment score in bands of +-0.05."),
        Column("themes", TEXT_LIST, "Themes the customer mentioned (after `centric listen`)."),
        Column("marketing_consent", BOOLEAN, "The latest marketing consent is granted."),
        Column("observed_until", TIMESTAMP, "End of observation the figures refer to."),
    ),
    is_input=False,
)

SEGMENTS = Table(
    "segments",
    "Saved segments (rule segments from the workspace's segments/ folder and the RFM segments) with their size.",
    (
        Column("segment", TEXT, "Segment name (unique)."),
        Column("kind", TEXT, "rule or rfm.", allowed=("rule", "rfm")),
        Column("description", TEXT, "What the segment is for."),
        Column("rule", JSON, "The rule, as written in the segment file."),
        Column("customers", INTEGER, "Members now."),
        Column("customer_share", NUMBER, "Members / customers (0-1)."),
        Column("revenue_share", NUMBER, "Members' revenue / all revenue (0-1)."),
        Column("entered", INTEGER, "Customers who entered at the last computation."),
        Column("left", INTEGER, "Customers who left at the last computation."),
        Column("computed_at", TIMESTAMP, "When the membership was last computed (UTC)."),
    ),
    is_input=False,
)

SEGMENT_MEMBERS = Table(
    "segment_members",
    "Membership history: one row per stay of a customer in a segment. Current members have no left_at.",
    (
        Column("segment", TEXT, "Segment name."),
        Column("customer_id", ID, "Customer."),
        Column("entered_at", TIMESTAMP, "Computation at which the customer entered (UTC)."),
        Column("left_at", TIMESTAMP, "Computation at which the customer left (NULL: still a member)."),
    ),
    is_input=False,
)

PERSONAS = Table(
    "personas",
    "Buyer personas: one card per customer cluster (`centric personas`).",
    (
        Column("persona_id", INTEGER, "Cluster number, 1 = largest."),
        Column("name", TEXT, "A short name made from what sets the members apart from the rest, unique among "
               "the personas (rules in docs/segments.md)."),
        Column("customers", INTEGER, "Customers in the persona."),
        Column("customer_share", NUMBER, "Customers / all clustered customers (0-1)."),
        Column("revenue_share", NUMBER, "Share of revenue (0-1)."),
        Column("summary", TEXT, "The card's narrative, in plain words."),
        Column("stability", NUMBER, "How stable the persona is (0-1): its mean Jaccard coefficient with the most "
               "similar cluster when random halves of the customers are re-clustered (Hennig 2007); 0.75 and "
               "above is stable, under 0.5 the group dissolves. NULL for a single 'All customers' persona."),
        Column("stability_note", TEXT, "The stability verdict on the whole set of personas, in plain English "
               "(the same on every row): stable, partly unstable, or no stable grouping (one persona); the card's "
               "stability.verdict holds its facts, which the report says in the reader's language."),
        Column("traits", JSON, "Distinguishing traits: variable, value, share or mean in the persona and in "
               "the shop, lift."),
        Column("card", JSON, "The whole card: demographics, places, habits, value, stage mix, voice, quotes."),
        Column("computed_at", TIMESTAMP, "When the personas were computed (UTC)."),
    ),
    is_input=False,
)

CUSTOMER_PERSONAS = Table(
    "customer_personas",
    "Which persona each customer belongs to.",
    (
        Column("customer_id", ID, "Customer."),
        Column("persona_id", INTEGER, "Persona (see personas)."),
        Column("distance", NUMBER, "Distance to the persona's centre in the scaled feature space (lower = more typical)."),
        Column("profile_hash", TEXT, "Fingerprint of the customer's clustering variables when assigned: an incremental "
               "run assigns again only customers whose fingerprint changed (services/run_ledger.py)."),
        Column("assigned", TEXT, "clustered (by the last re-clustering) or nearest (assigned to the nearest existing "
               "persona by an incremental run)."),
    ),
    is_input=False,
)

RUN_LEDGER = Table(
    "run_ledger",
    "What each step of the last `centric run` computed from, and what it did (services/run_ledger.py): one row "
    "per step, rewritten when the step runs.",
    (
        Column("step", TEXT, "The step of `centric run` (customer_summary, customer_value, feedback_insights, ...)."),
        Column("mode", TEXT, "full (recomputed from scratch), incremental (only new or changed rows, fitted "
               "models reused or warm-started) or reused (inputs unchanged: the last output kept).",
               allowed=("full", "incremental", "reused")),
        Column("reason", TEXT, "Why, in words (nothing new; 12 new feedback texts, models reused; drift: ...)."),
        Column("inputs", JSON, "Per input table the step reads, [rows, content digest], and the settings' "
               "fingerprint: the state the step last computed from."),
        Column("rows", INTEGER, "Rows the step wrote (as `centric run` prints)."),
        Column("seconds", NUMBER, "Wall-clock time of the step.", unit="s"),
        Column("ran_at", TIMESTAMP, "When the step ran (UTC)."),
    ),
    key=("step",),
    is_input=False,
)

MODEL_STATES = Table(
    "model_states",
    "Fitted models an incremental run reuses, as JSON (never pickle): the listening readings (vectoriser "
    "vocabularies and coefficients, per language and source), the persona encoder and centres, with what "
    "they were fitted on (for the drift checks of services/run_ledger.py). Replaced at every refit; "
    "a run after an erasure refits the listening models (removed texts count as drift).",
    (
        Column("model", TEXT, "listening, listening_lemmas (the words already lemmatised), personas, clv, journey "
                                   "(the journey drivers' fit: only its observation end) or journey_stages (the stages' "
                                   "settings and observation end)."),
        Column("fitted_at", TIMESTAMP, "When it was fitted (UTC)."),
        Column("fitted_on", JSON, "What it was fitted on: row counts, label and language shares, variables."),
        Column("state", JSON, "The fitted state."),
    ),
    key=("model",),
    is_input=False,
)

JOURNEY_STAGES = Table(
    "journey_stages",
    "Each customer's journey over time (`centric journey`), as rows that partition it: at any moment from the "
    "customer's first stage on, exactly one row holds [entered_at, left_at), and exactly one row is open "
    "(left_at NULL). A row is a stretch with one lifecycle stage and one status; a new row starts when either "
    "changes, so a stay in a stage can span several rows (one per status).",
    (
        Column("customer_id", ID, "Customer."),
        Column("stage", TEXT, "Lifecycle stage: visitor, engaged, first_purchase, repeat, loyal or advocate.",
               allowed=LIFECYCLE_STAGES),
        Column("entered_at", TIMESTAMP, "Start of the row: the customer entered the stage, or its status changed."),
        Column("left_at", TIMESTAMP, "End of the row (exclusive): the next stage or status change; NULL for the "
               "customer's one current row. Equal to entered_at for a stage passed through in an instant."),
        Column("status", TEXT, "Purchase status during the row: prospect (no purchase yet), active, at_risk (no "
               "purchase for [journey] at_risk_days since the last) or lapsed (for lapsed_days); a purchase ends "
               "at_risk or lapsed (won_back in stage_transitions).", allowed=JOURNEY_STATUSES),
    ),
    is_input=False,
)

JOURNEY_INPUTS = Table(
    "journey_inputs",
    "What each customer's journey_stages rows were computed from (queries/journey_inputs.py): the customer's "
    "input rows read (the customers row, orders, events recorded under analytics consent, feedback) and a "
    "digest of them. An incremental `centric run` recomputes the stages of the customers whose rows or digest "
    "changed, and of those whose status changes only because time passed; it keeps the others' rows.",
    (
        Column("customer_id", ID, "Customer."),
        Column("rows", INTEGER, "Input rows of the customer the journey read."),
        Column("digest", TEXT, "BIT_XOR of DuckDB's hash of each of those rows (a decimal number)."),
    ),
    key=("customer_id",),
    is_input=False,
)

PATH_VISITS = Table(
    "path_visits",
    "Visits per visitor and path (queries/paths.py user_paths): summed over visitors they give path_edges and "
    "top_paths. Kept per visitor so that an incremental `centric run` recounts only the visitors whose events "
    "changed (path_inputs).",
    (
        Column("user_id", ID, "The customer, else anon: and the anonymous id (as paths name a visitor)."),
        Column("path", TEXT, "The visit's first steps' event names, joined by the unit separator (U+001F)."),
        Column("sessions", INTEGER, "The visitor's visits that took the path."),
    ),
    is_input=False,
)

PATH_INPUTS = Table(
    "path_inputs",
    "What each visitor's path_visits were counted from: their events recorded under analytics consent, as rows "
    "and a digest (queries/journey_inputs.py user_digests).",
    (
        Column("user_id", ID, "The customer, else anon: and the anonymous id."),
        Column("rows", INTEGER, "The visitor's events read."),
        Column("digest", TEXT, "BIT_XOR of DuckDB's hash of each of those events (a decimal number)."),
    ),
    key=("user_id",),
    is_input=False,
)

MARKED_EVENTS = Table(
    "marked_events",
    "Every event marked with whether it was recorded under analytics consent, as `centric run`'s profiles, "
    "personas and journey read it (services/marked.py): anonymous events carry the customer their visitor was "
    "merged into. Kept between runs and updated in proportion to what changed (new events; the events of "
    "customers whose consent records changed and of visitors whose identity spans changed); always equal to "
    "marking every event afresh. Derived: an erasure deletes the person's rows like any other table's.",
    (
        Column("event_id", ID, "Event identifier (events.event_id)."),
        Column("occurred_at", TIMESTAMP, "When it happened (shop time zone)."),
        Column("customer_id", ID, "The event's customer, or the customer its anonymous visitor was merged into."),
        Column("anonymous_id", ID, "Device or cookie identifier."),
        Column("name", TEXT, "Event name."),
        Column("channel", TEXT, "Channel."),
        Column("_consented", BOOLEAN, "Whether the event was recorded under analytics consent (docs/privacy.md)."),
    ),
    is_input=False,
)

MARKED_INPUTS = Table(
    "marked_inputs",
    "What marked_events was last marked from besides the events: the analytics consent records and the "
    "anonymous ids' identity spans, as they were. An incremental `centric run` compares them with the "
    "consents and identities now to find the customers and visitors whose events it marks again.",
    (
        Column("source", TEXT, "consents or identities.", allowed=("consents", "identities")),
        Column("customer_id", ID, "The customer of the consent record, or the one the span resolves to."),
        Column("anonymous_id", ID, "For a span: the anonymous id (identities.id_value); NULL for a consent record."),
        Column("granted", BOOLEAN, "For a consent record: whether consent was granted; NULL for a span."),
        Column("valid_from", TIMESTAMP, "A consent record's recorded_at; a span's valid_from."),
        Column("valid_to", TIMESTAMP, "A span's valid_to (NULL: open); NULL for a consent record."),
    ),
    is_input=False,
)

STAGE_TRANSITIONS = Table(
    "stage_transitions",
    "Moves between journey stages: how many, which share of those who entered the stage, how fast.",
    (
        Column("from_stage", TEXT, "Stage moved from."),
        Column("to_stage", TEXT, "Stage moved to (won_back: a purchase ended an at-risk or lapsed stay)."),
        Column("customers", INTEGER, "Moves made (once per customer between lifecycle stages; a customer can be "
               "at risk and won back more than once)."),
        Column("share", NUMBER, "Moves / stays in from_stage (0-1). A stay in at_risk or lapsed is one run of "
               "journey_stages rows with that status."),
        Column("median_days", NUMBER, "Median days from entering from_stage to the move.", unit="days"),
    ),
    is_input=False,
)

STAGE_TRANSITION_RATES = Table(
    "stage_transition_rates",
    "Transition rates over time (`centric journey`): per calendar month, of the stays in a stage at any time in "
    "the month, how many moved to the next stage in it.",
    (
        Column("month", DATE, "First day of the calendar month."),
        Column("from_stage", TEXT, "Stage moved from."),
        Column("to_stage", TEXT, "Stage moved to."),
        Column("in_stage", INTEGER, "Stays in from_stage at any time in the month."),
        Column("moved", INTEGER, "Moves from from_stage to to_stage made in the month."),
        Column("rate", NUMBER, "moved / in_stage (0-1)."),
    ),
    is_input=False,
)

JOURNEY_DRIVERS = Table(
    "journey_drivers",
    "What raises or lowers the chance of a move (adjusted logistic model read at a landmark: odds ratios of moving "
    "in the window_days after day landmark_days of the span, among those still waiting then, for what they had done by "
    "then) and its speed (Cox model with touchpoints that switch on when they happen: hazard ratios), for first "
    "purchase -> repeat, repeat -> loyal and at_risk -> won_back.",
    (
        Column("transition", TEXT, "The move modelled: first_purchase -> repeat, repeat -> loyal or "
               "at_risk -> won_back."),
        Column("label", TEXT, "The driver in words."),
        Column("driver", TEXT, "Variable, or variable=level."),
        Column("kind", TEXT, "binary (has it or not), per_sd (per standard deviation) or 'vs LEVEL' (against the most "
               "common level)."),
        Column("customers_with", INTEGER, "Customers at the landmark who have it (a touchpoint: done by the landmark)."),
        Column("moved_share_with", NUMBER, "Share who moved within the window among those at the landmark with it "
               "(unadjusted)."),
        Column("moved_share_without", NUMBER, "Share who moved within the window among those at the landmark without "
               "it (unadjusted)."),
        Column("odds_ratio", NUMBER, "Adjusted odds ratio of moving within the window_days after the landmark, among "
               "customers still waiting at the landmark, for having it by then (> 1 raises the chance)."),
        Column("odds_ratio_low", NUMBER, "95% interval, low end."),
        Column("odds_ratio_high", NUMBER, "95% interval, high end."),
        Column("p_value", NUMBER, "Wald test."),
        Column("p_adjusted", NUMBER, "Holm-adjusted over the drivers."),
        Column("significant", BOOLEAN, "p_adjusted < 0.05."),
        Column("median_days_with", NUMBER, "Those at the landmark with it who moved within the window: median days "
               "from the span's start to the move.", unit="days"),
        Column("median_days_without", NUMBER, "The same, without it.", unit="days"),
        Column("hazard_ratio", NUMBER, "Adjusted hazard ratio of moving (> 1: sooner); a touchpoint counts from the "
               "moment it happened, per event so far when it recurs (e-mails)."),
        Column("hazard_ratio_low", NUMBER, "95% interval, low end."),
        Column("hazard_ratio_high", NUMBER, "95% interval, high end."),
        Column("speed_p_adjusted", NUMBER, "Holm-adjusted Wald p-value of the hazard ratio."),
        Column("speed_significant", BOOLEAN, "speed_p_adjusted < 0.05."),
        Column("flags", TEXT, "What stands in the way of a causal reading."),
        Column("landmark_days", NUMBER, "The chance model's landmark: days after the span starts at which customers "
               "still waiting are taken and their touchpoints so far read ([journey] landmark_days).", unit="days"),
        Column("window_days", NUMBER, "The chance model's outcome window: the move counts if it comes within this many "
               "days after the landmark ([journey] window_days).", unit="days"),
        Column("customers_at_landmark", INTEGER, "Customers in the chance model: not moved by the landmark and watched "
               "until its window ended."),
    ),
    is_input=False,
)

KPIS = Table(
    "kpis",
    "The KPI board (`centric kpis`): each KPI per month and overall, with its target, status and trend.",
    (
        Column("kpi", TEXT, "buyers, orders, revenue, aov, purchase_frequency, repeat_customer_rate, retention_rate, "
               "churn_rate, days_between_orders, clv, p_alive, cac, clv_to_cac, first_to_repeat_conversion, nps, csat, "
               "ces."),
        Column("period", TEXT, "A month (YYYY-MM), 'all' (whole history), or 'latest:YYYY-MM' (the last complete "
               "month, the board's value of a monthly KPI)."),
        Column("dimension", TEXT, "all, acquisition_channel or persona."),
        Column("group", TEXT, "The channel or persona ('all' for the whole shop)."),
        Column("value", NUMBER, "The KPI's value (shares are 0-1)."),
        Column("target", NUMBER, "Target from [kpi_targets] in centric.toml (board rows only)."),
        Column("status", TEXT, "on track, off track or no target (lower is better for churn_rate, "
               "days_between_orders and cac)."),
        Column("trend", TEXT, "up, down or flat (within 2%): the latest month against the mean of the three before."),
        Column("unit", TEXT, "What the value counts."),
    ),
    is_input=False,
)

COHORTS = Table(
    "cohorts",
    "Cohort retention by first-purchase month (`centric journey`): buyers and revenue in each later month.",
    (
        Column("cohort", DATE, "Month of the first purchase."),
        Column("month_offset", INTEGER, "Months since the first purchase (0 = that month)."),
        Column("cohort_size", INTEGER, "Customers whose first purchase was in the cohort month."),
        Column("active", INTEGER, "Of them, customers who bought in that month."),
        Column("retention", NUMBER, "active / cohort_size (0-1)."),
        Column("revenue", NUMBER, "Their purchases in that month.", unit="currency"),
    ),
    is_input=False,
)

REPEAT_PURCHASE_CURVE = Table(
    "repeat_purchase_curve",
    "Share of first-time buyers who bought again within each number of days of their first purchase "
    "(`centric journey`): Kaplan-Meier, so recent buyers count only for as long as they have been watched.",
    (
        Column("dimension", TEXT, "all or acquisition_channel."),
        Column("group", TEXT, "The channel ('all' for the whole shop)."),
        Column("day", INTEGER, "Days since the first purchase.", unit="days"),
        Column("customers_waiting", INTEGER, "First-time buyers watched that long who had not bought again before."),
        Column("repeated_share", NUMBER, "Estimated share who bought again within `day` days (0-1)."),
        Column("low", NUMBER, "95% interval, low end (Greenwood, log-log)."),
        Column("high", NUMBER, "95% interval, high end."),
        Column("median_days", NUMBER, "Days until half the group has bought again (the same on every row of the "
               "group; NULL while fewer than half have).", unit="days"),
    ),
    is_input=False,
)

PATH_EDGES = Table(
    "path_edges",
    "The routes through a visit as Sankey links (`centric journey`): visits are a user's events with no gap over "
    "30 minutes, back-to-back repeats of an event are one step, the first 5 steps count.",
    (
        Column("step", INTEGER, "Step of the visit the link leaves (1 = the first)."),
        Column("source", TEXT, "Event at that step."),
        Column("target", TEXT, "Event at the next step."),
        Column("sessions", INTEGER, "Visits that went from source to target there."),
    ),
    is_input=False,
)

TOP_PATHS = Table(
    "top_paths",
    "The most common paths through a visit (`centric journey`), their first 5 steps.",
    (
        Column("path", TEXT, "Events in order, joined by ' > '."),
        Column("steps", INTEGER, "Steps in the path."),
        Column("sessions", INTEGER, "Visits that took it."),
        Column("share", NUMBER, "Of all visits (0-1)."),
    ),
    is_input=False,
)

CONSENT_EXCLUSIONS = Table(
    "consent_exclusions",
    "What each analysis left out for want of consent (docs/privacy.md): one row per analysis, rewritten each "
    "time it runs.",
    (
        Column("analysis", TEXT, "journey and personas (each run), segment_export (each --marketing-only export), "
               "funnel (run from Python on a writable workspace; `centric funnel` reads it read-only and prints the "
               "count instead)."),
        Column("purpose", TEXT, "The consent category the analysis needs: analytics, marketing, personalization."),
        Column("customers_left_out", INTEGER, "Customers left out whole: none of their data was recorded under "
               "consent (for an export: no consent at export time)."),
        Column("events_left_out", INTEGER, "Events not recorded under consent (customers' and anonymous)."),
        Column("anonymous_events_left_out", INTEGER, "Of them, events of anonymous visitors without a banner yes."),
        Column("computed_at", TIMESTAMP, "When the analysis ran (UTC)."),
    ),
    key=("analysis",),
    is_input=False,
)

INPUT_TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, ORDERS, ORDER_LINES, EVENTS, FEEDBACK, MARKETING_SPEND, CONSENTS, FX_RATES)
}
OUTPUT_TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMER_SUMMARY, CUSTOMER_VALUE, CLV_ROLLUPS, CLV_MODELS, CLV_CALIBRATION, CLV_TRACKING, FEEDBACK_INSIGHTS,
                        SENTIMENT_MODELS, SURVEY_SCORES, FEEDBACK_DRIVERS, FEEDBACK_TRENDS, SURVEYS, CUSTOMER_PROFILES,
                        SEGMENTS, SEGMENT_MEMBERS, PERSONAS, CUSTOMER_PERSONAS, JOURNEY_STAGES, JOURNEY_INPUTS, PATH_VISITS, PATH_INPUTS,
                        MARKED_EVENTS, MARKED_INPUTS,
                        STAGE_TRANSITIONS,
                        STAGE_TRANSITION_RATES, JOURNEY_DRIVERS, KPIS, COHORTS, REPEAT_PURCHASE_CURVE,
                        PATH_EDGES, TOP_PATHS, IDENTITIES, IDENTITY_SPLITS, CONSENT_EXCLUSIONS, RUN_LEDGER,
                        MODEL_STATES)
}
ALL_TABLES: dict[str, Table] = {**INPUT_TABLES, "quarantine": QUARANTINE, "order_charges": ORDER_CHARGES,
                                "order_reversals": ORDER_REVERSALS, "feedback_history": FEEDBACK_HISTORY,
                                "spool_loads": SPOOL_LOADS, "spool_pending": SPOOL_PENDING, "erasures": ERASURES,
                                "privacy_requests": PRIVACY_REQUESTS,
                                **OUTPUT_TABLES}

# Output tables later analyses fill; named here so that the contract is visible in one place.
PLANNED_OUTPUT_TABLES: tuple[str, ...] = ()
