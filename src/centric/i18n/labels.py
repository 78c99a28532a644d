"""Labels for the product's own names: metrics, RFM segments, journey stages and statuses, churn bands,
acquisition channels, feedback sources and sentiments. The report and the dashboard both read them here,
so a raw name such as `aov`, `first_purchase`, `at_risk -> won_back` or `paid_social` never reaches a
reader.

Rule: `label(key, lang)` translates a known key; an unknown key (a shop's own channel or tag) is shown
as the shop wrote it, with underscores read as spaces and the first letter capitalised, never dropped.
"""

from __future__ import annotations

from centric.i18n.catalog import N_, translator

LABELS = {
    # customer summary and KPIs
    "aov": N_("Average order value"),
    "revenue": N_("Revenue"),
    "returns": N_("Returns"),
    "orders": N_("Orders"),
    "customers": N_("Customers"),
    "buyers": N_("Customers who bought"),
    "frequency": N_("Repeat purchases"),
    "recency": N_("Days from first to last purchase"),
    "T": N_("Days since first purchase"),
    "repeat_rate": N_("Repeat-purchase rate"),
    "p_alive": N_("Chance still a customer"),
    "clv": N_("Customer lifetime value"),
    "predicted_clv": N_("Predicted lifetime value"),
    "churn_risk": N_("Churn risk"),
    "purchase_frequency": N_("Orders per buyer"),
    "repeat_customer_rate": N_("Repeat-customer rate"),
    "retention_rate": N_("Retention rate"),
    "churn_rate": N_("Churn rate"),
    "days_between_orders": N_("Days between orders"),
    "high_churn_risk": N_("Customers at high churn risk"),
    "cac": N_("Customer acquisition cost"),
    "clv_to_cac": N_("Lifetime value to acquisition cost"),
    "first_to_repeat_conversion": N_("First to second purchase"),
    "on track": N_("on track"),
    "off track": N_("off track"),
    "no target": N_("no target"),
    "nps": N_("NPS"),
    "csat": N_("CSAT"),
    "ces": N_("CES"),
    "all": N_("All customers"),
    # RFM segments
    "Champions": N_("Champions"),
    "Loyal": N_("Loyal"),
    "Loyal customers": N_("Loyal customers"),
    "Potential loyalists": N_("Potential loyalists"),
    "Potential loyalist": N_("Potential loyalists"),
    "New": N_("New customers"),
    "New customers": N_("New customers"),
    "Recent customers": N_("Recent customers"),
    "Promising": N_("Promising"),
    "Need attention": N_("Need attention"),
    "Needs attention": N_("Need attention"),
    "About to sleep": N_("About to sleep"),
    "At risk": N_("At risk"),
    "Cannot lose them": N_("Cannot lose them"),
    "Can't lose them": N_("Cannot lose them"),
    "Hibernating": N_("Hibernating"),
    "Lost": N_("Lost"),
    "Unclassified": N_("Unclassified"),
    # journey stages and statuses
    "visitor": N_("Visitor"),
    "engaged": N_("Engaged"),
    "first_purchase": N_("First purchase"),
    "repeat": N_("Repeat buyer"),
    "loyal": N_("Loyal"),
    "advocate": N_("Advocate"),
    "prospect": N_("Prospect"),
    "active": N_("Active"),
    "at_risk": N_("At risk"),
    "lapsed": N_("Lapsed"),
    "won_back": N_("Won back"),
    "churned": N_("Churned"),
    # churn-risk bands
    "low": N_("Low"),
    "medium": N_("Medium"),
    "high": N_("High"),
    # acquisition and marketing channels
    "organic": N_("Organic search"),
    "organic_search": N_("Organic search"),
    "paid_search": N_("Paid search"),
    "paid_social": N_("Paid social"),
    "social": N_("Social"),
    "organic_social": N_("Organic social"),
    "email": N_("E-mail"),
    "referral": N_("Referral"),
    "affiliate": N_("Affiliates"),
    "affiliates": N_("Affiliates"),
    "direct": N_("Direct"),
    "display": N_("Display"),
    "marketplace": N_("Marketplace"),
    "influencer": N_("Influencers"),
    "store": N_("Shop"),
    "web": N_("Website"),
    "app": N_("App"),
    "unknown": N_("Unknown"),
    "(none)": N_("Unknown"),  # a group of rows with no value (a customer with no channel, no risk band)
    # Segment eCommerce events (funnels and paths)
    "Product Viewed": N_("Viewed a product"),
    "Product Added": N_("Added to basket"),
    "Checkout Started": N_("Started checkout"),
    "Order Completed": N_("Completed an order"),
    "Products Searched": N_("Searched"),
    "Product List Viewed": N_("Viewed a list"),
    "Cart Viewed": N_("Viewed the basket"),
    "Product Removed": N_("Removed from basket"),
    "Email Opened": N_("Opened an e-mail"),
    "Email Link Clicked": N_("Clicked an e-mail link"),
    "Page Viewed": N_("Viewed a page"),
    "Signed Up": N_("Signed up"),
    "Review Submitted": N_("Wrote a review"),
    "Order Delivered": N_("Order delivered"),
    "Email Clicked": N_("Clicked an e-mail"),
    "Loyalty Program Joined": N_("Joined the loyalty programme"),
    "Newsletter Subscribed": N_("Subscribed to the newsletter"),
    # surveys
    "open": N_("open"),
    "closed": N_("closed"),
    "rating": N_("Rating"),
    "text": N_("Free text"),
    "single_choice": N_("Single choice"),
    "multiple_choice": N_("Multiple choice"),
    # feedback
    "survey": N_("Survey"),
    "review": N_("Review"),
    "ticket": N_("Support ticket"),
    "chat": N_("Chat"),
    "other": N_("Other"),
    "negative": N_("Negative"),
    "neutral": N_("Neutral"),
    "positive": N_("Positive"),
    # feedback themes (models/text)
    "delivery": N_("Delivery"),
    "price": N_("Price and value"),
    "product_quality": N_("Product quality"),
    "customer_service": N_("Customer service"),
    "website": N_("Website and checkout"),
    "packaging": N_("Packaging"),
    "stock": N_("Stock and availability"),
    "sizing": N_("Sizing"),
    # consent categories
    "essential": N_("Essential"),
    "personalization": N_("Personalisation"),
    "analytics": N_("Analytics"),
    "marketing": N_("Marketing"),
}


def label(key, lang: str | None) -> str:
    """The reader's word for one of the product's names; a name it does not know, tidied."""
    if key is None:
        return "–"
    text = str(key)
    if text in LABELS:
        return translator(lang).gettext(LABELS[text])
    lowered = text.lower()
    if lowered in LABELS:
        return translator(lang).gettext(LABELS[lowered])
    tidy = text.replace("_", " ").strip()
    return tidy[:1].upper() + tidy[1:] if tidy else text


def transition_label(text, lang: str | None) -> str:
    """'at_risk -> won_back' -> 'At risk → Won back' (each side through label)."""
    if text is None:
        return "–"
    for arrow in ("->", "→"):
        if arrow in str(text):
            left, right = str(text).split(arrow, 1)
            return f"{label(left.strip(), lang)} → {label(right.strip(), lang)}"
    return label(text, lang)
