"""A plain SQL reading of the consent rule (docs/privacy.md) for tests that check analyses against the
raw tables: an event counts for analytics when its customer's latest analytics record at the event's
time grants it (before any record, the banner answer the event carries; else denied: the default), an
anonymous event when its banner said yes."""

CONSENTED = (
    "(CASE WHEN e.customer_id IS NULL THEN coalesce(json_extract(e.properties, '$.consent.analytics')::BOOLEAN, false) "
    "ELSE coalesce((SELECT c.granted FROM consents c WHERE c.customer_id = e.customer_id "
    "AND c.category = 'analytics' AND c.recorded_at <= e.occurred_at ORDER BY c.recorded_at DESC LIMIT 1), "
    "json_extract(e.properties, '$.consent.analytics')::BOOLEAN, false) END)"
)

# customers who granted analytics at some moment (the demo records one choice per customer, on arrival)
EVER_GRANTED = "SELECT DISTINCT customer_id FROM consents WHERE category = 'analytics' AND granted"
