"""Presets: how the exports of common shop systems map onto centric's tables.

An order-export preset reads a file with one row per order line, where order-level fields are
repeated on every line (or given on the first line of an order only), and fills customers,
orders and order_lines. Each field lists the headers it may come under, first match wins, and a
transform (SQL over the field texts, written here by us) adapts the system's conventions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXPORT_FIELDS = (
    "order_id", "customer_id", "email", "ordered_at", "status", "currency", "total", "discount", "shipping",
    "channel", "sku", "product_name", "category", "quantity", "unit_price", "country", "region", "city",
    "postcode", "cancelled_at", "charges", "reverses_order_id",
)
ORDER_FIELDS = ("customer_id", "email", "ordered_at", "status", "currency", "total", "discount", "shipping",
                "channel", "country", "region", "city", "postcode", "cancelled_at", "charges", "reverses_order_id")


@dataclass(frozen=True)
class OrderExportPreset:
    name: str
    description: str
    fields: dict[str, tuple[str, ...]]
    transforms: dict[str, str] = field(default_factory=dict)  # field -> SQL using {field} placeholders
    order_fields_on_first_line_only: bool = False
    exact_duplicates_are_errors: bool = True
    total_from_lines: bool = False
    notes: str = ""
    charge_codes: dict[str, str] = field(default_factory=dict)  # sku -> charge kind (store/charges.py)
    charge_patterns: dict[str, str] = field(default_factory=dict)  # sku LIKE pattern -> charge kind


# Stock codes of UCI Online Retail that are not goods (store/charges.py): code -> charge kind.
NON_PRODUCT_CODES = {
    "POST": "shipping", "DOT": "shipping", "C2": "shipping", "BANK CHARGES": "fee", "AMAZONFEE": "fee",
    "CRUK": "fee", "D": "discount", "M": "manual", "S": "sample", "B": "adjustment",
}
# Gift vouchers sold (gift_0001_10, ...): money taken for later goods, not goods.
GIFT_VOUCHERS = {"GIFT_0%": "voucher"}

ONLINE_RETAIL = OrderExportPreset(
    name="online_retail",
    description="UCI Online Retail export (InvoiceNo, StockCode, Description, Quantity, InvoiceDate, "
                "UnitPrice, CustomerID, Country): one line per invoice line.",
    fields={
        "order_id": ("InvoiceNo", "Invoice"), "sku": ("StockCode",), "product_name": ("Description",),
        "quantity": ("Quantity",), "ordered_at": ("InvoiceDate",), "unit_price": ("UnitPrice", "Price"),
        "customer_id": ("CustomerID", "Customer ID"), "country": ("Country",),
    },
    transforms={
        "status": "CASE WHEN upper({order_id}) LIKE 'C%' THEN 'refunded' ELSE 'completed' END",
        "currency": "'GBP'",
        "channel": "'online'",
    },
    total_from_lines=True,
    charge_codes=NON_PRODUCT_CODES,
    charge_patterns=GIFT_VOUCHERS,
    notes="Invoices starting with C are credit notes: loaded as refunded orders with negative totals "
          "(returns). Lines without a CustomerID are guest orders: loaded with an empty customer_id, counted "
          "in shop revenue and left out of per-customer analyses. Exact duplicate lines, and lines with a "
          "zero or negative price, are quarantined with their reason. Postage (POST, DOT, C2), fees (BANK "
          "CHARGES, AMAZONFEE, CRUK), discounts (D), manual adjustments (M), samples (S), bad-debt adjustments (B) "
          "and gift vouchers are order charges, not products. Credit notes name no invoice: they are netted line "
          "by line against the customer's latest earlier purchase of the sku (store/reversals.py).",
)

SHOPIFY = OrderExportPreset(
    name="shopify",
    description="Shopify orders export (Name, Email, Financial Status, Created at, Lineitem ...): one row per "
                "line item, order fields on the first row of each order.",
    fields={
        "order_id": ("Name", "Order Name", "Id"), "email": ("Email",), "customer_id": ("Customer ID", "Email"),
        "ordered_at": ("Created at", "Paid at"), "status": ("Financial Status",), "currency": ("Currency",),
        "total": ("Total",), "discount": ("Discount Amount",), "shipping": ("Shipping",), "channel": ("Source",),
        "sku": ("Lineitem sku",), "product_name": ("Lineitem name",), "quantity": ("Lineitem quantity",),
        "unit_price": ("Lineitem price",), "country": ("Billing Country", "Shipping Country"),
        "region": ("Billing Province", "Shipping Province"), "city": ("Billing City", "Shipping City"),
        "postcode": ("Billing Zip", "Shipping Zip"), "cancelled_at": ("Cancelled at",),
    },
    transforms={
        "customer_id": "lower({customer_id})",
        "status": "CASE WHEN {cancelled_at} IS NOT NULL THEN 'cancelled' ELSE {status} END",
    },
    order_fields_on_first_line_only=True,
    exact_duplicates_are_errors=False,
    notes="Customers are keyed by Customer ID when the export has it, else by lower-cased e-mail.",
)

WOOCOMMERCE = OrderExportPreset(
    name="woocommerce",
    description="WooCommerce order export with one row per item (Advanced Order Export defaults, or the "
                "snake_case columns of the Customer/Order CSV export).",
    fields={
        "order_id": ("Order Number", "Order ID", "order_number", "order_id"),
        "customer_id": ("Customer User ID", "Customer ID", "customer_id", "customer_user"),
        "email": ("Email (Billing)", "Billing Email", "billing_email"),
        "ordered_at": ("Order Date", "order_date", "Date"), "status": ("Order Status", "status"),
        "currency": ("Order Currency", "order_currency", "Currency"),
        "total": ("Order Total Amount", "Order Total", "order_total"),
        "discount": ("Cart Discount Amount", "cart_discount", "Discount Amount"),
        "shipping": ("Order Shipping Amount", "shipping_total", "Shipping"),
        "channel": ("Created Via", "created_via"),
        "sku": ("SKU", "sku"), "product_name": ("Item Name", "item_name", "Product Name"),
        "quantity": ("Quantity", "Qty", "quantity"), "unit_price": ("Item Cost", "item_cost", "Item Price"),
        "country": ("Country Code (Billing)", "Billing Country", "billing_country"),
        "region": ("State Code (Billing)", "Billing State", "billing_state"),
        "city": ("City (Billing)", "Billing City", "billing_city"),
        "postcode": ("Postcode (Billing)", "Billing Postcode", "billing_postcode"),
    },
    transforms={"customer_id": "coalesce(nullif({customer_id}, '0'), lower({email}))"},
    exact_duplicates_are_errors=False,
    notes="Guest checkouts (customer id 0 or empty) are keyed by lower-cased e-mail.",
)

PRESETS: dict[str, OrderExportPreset] = {p.name: p for p in (ONLINE_RETAIL, SHOPIFY, WOOCOMMERCE)}
PRESET_TABLES = ("customers", "orders", "order_lines")


# -- presets that fill one table -----------------------------------------------------------------

@dataclass(frozen=True)
class TablePreset:
    """How another tool's export of one kind of record maps onto one canonical table.

    `fields` lists, per field, the headers it may come under (first match wins, any case); a field
    is a canonical column or a helper that a transform reads. `transforms` are SQL templates over
    the fields' texts ({name}), applied in order, each seeing the ones before. The file's columns
    that feed no canonical column directly are kept in the row's attributes.
    """

    name: str
    table: str
    description: str
    fields: dict[str, tuple[str, ...]]
    transforms: dict[str, str] = field(default_factory=dict)
    notes: str = ""


def _joined(*names: str) -> str:
    """The fields' texts joined by '. ' (subject and description, title and body); NULL when all are."""
    return "nullif(concat_ws('. ', " + ", ".join(f"{{{n}}}" for n in names) + "), '')"


# A JSON export nests some fields ({"channel": "email"}); a CSV export gives the word itself.
def _nested(field_name: str, key: str) -> str:
    return (f"CASE WHEN {{{field_name}}} LIKE '{{{{%' THEN json_extract_string({{{field_name}}}, '$.{key}') "
            f"ELSE {{{field_name}}} END")


ZENDESK = TablePreset(
    name="zendesk",
    table="feedback",
    description="Zendesk tickets: a view exported as CSV, or the tickets API/incremental export as JSON Lines.",
    fields={
        "feedback_id": ("id", "ID", "Ticket ID", "ticket_id"),
        "received_at": ("created_at", "Created at", "Created", "Requested"),
        "customer_id": ("external_id", "Requester external id", "requester_external_id", "Customer ID"),
        "order_id": ("Order ID", "order_id", "Order number"),
        "language": ("locale", "Requester language", "Language"),
        "subject": ("subject", "Subject"),
        "description": ("description", "Description", "Comment"),
        "channel": ("via", "Via", "Channel"),
        "satisfaction": ("satisfaction_rating", "Satisfaction", "Satisfaction Score", "Satisfaction rating"),
    },
    transforms={
        "source": "'ticket'",
        "text": _joined("subject", "description"),
        "channel": f"coalesce(lower({_nested('channel', 'channel')}), 'zendesk')",
        "rating": f"CASE lower({_nested('satisfaction', 'score')}) WHEN 'good' THEN '5' WHEN 'bad' THEN '1' END",
        "rating_scale": "CASE WHEN {rating} IS NOT NULL THEN 'csat_1_5' END",
    },
    notes="Text is subject + description. Zendesk's satisfaction rating is good or bad: loaded as CSAT 5 "
          "(satisfied) or 1 (not satisfied); offered or unoffered loads no rating.",
)

# Freshdesk's API gives the ticket source as a number.
FRESHDESK_SOURCES = {"1": "email", "2": "portal", "3": "phone", "7": "chat", "9": "feedback_widget",
                     "10": "outbound_email"}

FRESHDESK = TablePreset(
    name="freshdesk",
    table="feedback",
    description="Freshdesk tickets: the ticket export (CSV) or the tickets API (JSON Lines).",
    fields={
        "feedback_id": ("Ticket ID", "id", "ticket_id"),
        "received_at": ("Created time", "created_at", "Created Time", "Created at"),
        "customer_id": ("Unique External ID", "unique_external_id", "Customer ID", "customer_id"),
        "order_id": ("Order ID", "order_id", "cf_order_id"),
        "language": ("Language", "language"),
        "subject": ("Subject", "subject"),
        "description": ("Description", "description_text", "description"),
        "channel": ("Source", "source"),
    },
    transforms={
        "source": "'ticket'",
        "text": _joined("subject", "description"),
        "channel": "coalesce(CASE {channel} "
                   + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in FRESHDESK_SOURCES.items())
                   + " ELSE replace(lower({channel}), ' ', '_') END, 'freshdesk')",
    },
    notes="Text is subject + description; the source (Email, Portal, Phone, Chat or the API's number) "
          "becomes the channel.",
)

SOCIAL = TablePreset(
    name="social",
    table="feedback",
    description="Social posts and mentions exported from a network or a listening tool (X/Twitter, "
                "Instagram, Facebook, TikTok, ...), as CSV or JSON Lines.",
    fields={
        "feedback_id": ("post_id", "tweet_id", "message_id", "id", "Post ID", "ID"),
        "received_at": ("created_at", "tweet_created", "published_at", "date", "timestamp", "Created At", "Date"),
        "text": ("text", "full_text", "message", "content", "body", "Text", "Message"),
        "channel": ("platform", "network", "Platform", "Network"),
        "customer_id": ("customer_id",),
        "language": ("lang", "language", "Language"),
    },
    transforms={"source": "'social'", "channel": "coalesce(lower({channel}), 'social')"},
    notes="The author and every other column stay in attributes.",
)

REVIEWS = TablePreset(
    name="reviews",
    table="feedback",
    description="Product or shop reviews with stars (Judge.me, Trustpilot, Google, a marketplace), as CSV "
                "or JSON Lines.",
    fields={
        "feedback_id": ("review_id", "Review ID", "id", "ID"),
        "received_at": ("review_date", "Review Created (UTC)", "created_at", "date", "Date"),
        "customer_id": ("customer_id", "Reference Id", "reviewer_id"),
        "order_id": ("order_id", "Order ID"),
        "language": ("language", "Review Language", "lang"),
        "title": ("title", "review_title", "Review Title"),
        "body": ("body", "review_body", "Review Content", "content", "text"),
        "rating": ("rating", "stars", "Review Stars", "score"),
        "channel": ("source", "platform", "site"),
    },
    transforms={
        "source": "'review'",
        "text": _joined("title", "body"),
        "rating_scale": "CASE WHEN {rating} IS NOT NULL THEN 'stars_1_5' END",
        "channel": "coalesce(lower({channel}), 'reviews')",
    },
    notes="Text is title + body; stars are on a 1-5 scale.",
)

TABLE_PRESETS: dict[str, TablePreset] = {p.name: p for p in (ZENDESK, FRESHDESK, SOCIAL, REVIEWS)}
