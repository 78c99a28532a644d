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
    "postcode", "cancelled_at",
)
ORDER_FIELDS = ("customer_id", "email", "ordered_at", "status", "currency", "total", "discount", "shipping",
                "channel", "country", "region", "city", "postcode", "cancelled_at")


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


NON_PRODUCT_CODES = (
    "CASE upper({sku}) WHEN 'POST' THEN 'shipping' WHEN 'DOT' THEN 'shipping' WHEN 'C2' THEN 'shipping' "
    "WHEN 'BANK CHARGES' THEN 'fee' WHEN 'AMAZONFEE' THEN 'fee' WHEN 'CRUK' THEN 'fee' "
    "WHEN 'D' THEN 'discount' WHEN 'M' THEN 'manual' WHEN 'S' THEN 'sample' WHEN 'B' THEN 'adjustment' "
    "ELSE {category} END"
)

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
        "category": NON_PRODUCT_CODES,
    },
    total_from_lines=True,
    notes="Invoices starting with C are credit notes: loaded as refunded orders with negative totals "
          "(returns). Lines without a CustomerID are guest orders: loaded with an empty customer_id, counted "
          "in shop revenue and left out of per-customer analyses. Exact duplicate lines, and lines with a "
          "zero or negative price, are quarantined with their reason.",
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
