"""The demo shop's planted personas: who they are, how they buy and what they write about.

Purchase timing per persona follows BG/NBD (Fader, Hardie & Lee 2005) with rates per day;
spend follows Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"): a customer's mean spend
is p/nu with nu ~ Gamma(q, scale=1/v), each order's value z ~ Gamma(p, scale=1/nu).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    share: float
    age: tuple[int, int]  # birth-year is drawn so that age at observation end is in this range
    genders: dict[str, float]
    places: tuple[tuple[str, str, str, str], ...]  # (country, region, city, postcode prefix)
    languages: dict[str, float]
    tags: tuple[str, ...]
    channels: dict[str, float]  # acquisition channel weights
    categories: dict[str, float]
    device: dict[str, float]  # order channel: web / app
    bgnbd: dict[str, float]  # r, alpha (per day), a, b
    gamma_gamma: dict[str, float]  # p, q, v
    themes: dict[str, float]  # what they write about
    positivity: float  # share of positive feedback


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "urban_techie", "Urban professional", 0.22, (26, 40), {"female": 0.45, "male": 0.55},
        (("ES", "Catalunya", "Barcelona", "080"), ("ES", "Madrid", "Madrid", "280"), ("PT", "Lisboa", "Lisboa", "11")),
        {"ca": 0.35, "es": 0.4, "pt": 0.1, "en": 0.15}, ("tech", "fitness", "coffee", "travel"),
        {"paid_social": 0.5, "organic": 0.3, "referral": 0.2}, {"electronics": 0.6, "accessories": 0.4},
        {"app": 0.7, "web": 0.3}, {"r": 0.9, "alpha": 40.0, "a": 0.6, "b": 3.5}, {"p": 6.0, "q": 4.0, "v": 60.0},
        {"delivery": 0.35, "website": 0.35, "product_quality": 0.3}, 0.6,
    ),
    Persona(
        "family", "Family shopper", 0.28, (34, 52), {"female": 0.7, "male": 0.3},
        (("ES", "Comunidad Valenciana", "Valencia", "460"), ("ES", "Andalucía", "Sevilla", "410"),
         ("PT", "Porto", "Porto", "40")),
        {"es": 0.7, "pt": 0.25, "ca": 0.05}, ("kids", "home", "cooking"),
        {"email": 0.4, "organic": 0.4, "paid_search": 0.2}, {"home": 0.55, "kids": 0.45},
        {"web": 0.6, "app": 0.4}, {"r": 1.2, "alpha": 60.0, "a": 0.4, "b": 4.0}, {"p": 5.0, "q": 5.0, "v": 80.0},
        {"delivery": 0.5, "stock": 0.25, "customer_service": 0.25}, 0.5,
    ),
    Persona(
        "bargain", "Bargain hunter", 0.25, (19, 30), {"female": 0.5, "male": 0.45, "other": 0.05},
        (("ES", "Madrid", "Madrid", "280"), ("GB", "England", "London", "E1"), ("ES", "Catalunya", "Barcelona", "080")),
        {"es": 0.5, "en": 0.35, "ca": 0.15}, ("deals", "fashion", "gaming"),
        {"paid_search": 0.45, "affiliate": 0.35, "paid_social": 0.2}, {"fashion": 0.7, "accessories": 0.3},
        {"app": 0.5, "web": 0.5}, {"r": 0.5, "alpha": 50.0, "a": 1.2, "b": 1.8}, {"p": 4.0, "q": 6.0, "v": 60.0},
        {"price": 0.55, "returns": 0.3, "website": 0.15}, 0.35,
    ),
    Persona(
        "gift_giver", "Occasional gift buyer", 0.13, (45, 70), {"female": 0.55, "male": 0.45},
        (("GB", "England", "Manchester", "M1"), ("IE", "Leinster", "Dublin", "D0"), ("ES", "Illes Balears", "Palma", "070")),
        {"en": 0.8, "es": 0.2}, ("gardening", "books", "wine"),
        {"organic": 0.5, "referral": 0.3, "email": 0.2}, {"gifts": 0.6, "home": 0.4},
        {"web": 0.9, "app": 0.1}, {"r": 0.3, "alpha": 70.0, "a": 0.5, "b": 2.5}, {"p": 8.0, "q": 4.0, "v": 150.0},
        {"packaging": 0.5, "delivery": 0.3, "customer_service": 0.2}, 0.55,
    ),
    Persona(
        "eco", "Eco-conscious regular", 0.12, (25, 45), {"female": 0.6, "male": 0.35, "other": 0.05},
        (("ES", "Catalunya", "Girona", "170"), ("PT", "Lisboa", "Lisboa", "11"), ("ES", "País Vasco", "Bilbao", "480")),
        {"ca": 0.45, "pt": 0.3, "es": 0.25}, ("sustainability", "outdoors", "yoga", "vegan"),
        {"referral": 0.5, "organic": 0.3, "paid_social": 0.2}, {"outdoor": 0.5, "home": 0.3, "beauty": 0.2},
        {"web": 0.5, "app": 0.5}, {"r": 1.5, "alpha": 45.0, "a": 0.3, "b": 5.0}, {"p": 7.0, "q": 5.0, "v": 90.0},
        {"product_quality": 0.45, "packaging": 0.35, "price": 0.2}, 0.7,
    ),
)

CATALOG: dict[str, tuple[tuple[str, float], ...]] = {
    "electronics": (("Wireless earbuds", 59.0), ("Phone charger 30W", 24.9), ("Smart watch strap", 19.5),
                    ("Bluetooth speaker", 45.0), ("USB-C hub", 39.9), ("Noise-cancelling headphones", 129.0)),
    "accessories": (("Leather wallet", 34.0), ("Laptop sleeve", 29.0), ("Sunglasses", 49.0), ("Backpack", 69.0)),
    "home": (("Linen bed sheets", 79.0), ("Ceramic mug set", 24.0), ("Scented candle", 14.5),
             ("Cast iron pan", 44.0), ("Bath towels", 32.0), ("Storage baskets", 27.5)),
    "kids": (("Wooden puzzle", 18.0), ("Kids raincoat", 35.0), ("Picture book", 12.9), ("Lunch box", 15.5)),
    "fashion": (("Cotton T-shirt", 15.0), ("Denim jacket", 59.0), ("Sneakers", 65.0), ("Knit scarf", 22.0),
                ("Summer dress", 39.0)),
    "gifts": (("Gift box chocolates", 29.0), ("Photo frame", 19.0), ("Wine glasses", 36.0), ("Gift card", 50.0)),
    "outdoor": (("Reusable water bottle", 21.0), ("Hiking socks", 16.0), ("Recycled fleece", 74.0),
                ("Bamboo cutlery set", 12.0)),
    "beauty": (("Solid shampoo bar", 9.5), ("Organic face cream", 26.0), ("Natural deodorant", 11.0)),
}

# The journey's planted driver and non-driver of the move from first to second purchase.
DRIVER_EVENT = "Loyalty Program Joined"  # customers who join are far more likely to buy again
NON_DRIVER_EVENT = "Newsletter Subscribed"  # at random, within NON_DRIVER_DAYS of the first purchase: no effect
NON_DRIVER_DAYS = 2.0  # its time owes nothing to the second purchase, so it drives neither chance nor speed
DRIVER_RATE_IF_REPEAT = 0.65  # share of repeat buyers who joined between their first and second purchase
DRIVER_RATE_IF_NOT = 0.12  # share of one-time buyers who joined within 30 days of their first purchase
NON_DRIVER_RATE = 0.35


# The first order's delivery: days from the order to its delivery event (queries/transitions.py's
# DELIVERY_EVENT), normal with a mean set by whether the customer buys again
DELIVERY_DAYS_IF_REPEAT = 3.0
DELIVERY_DAYS_IF_NOT = 4.0
DELIVERY_SD = 1.2


def planted_delivery_log_odds_per_day() -> float:
    """The log odds ratio of a second purchase per extra day of the first order's delivery.

    The delay depends on the outcome only and is normal with one variance, so (linear discriminant)
    logit P(Y | delay, X) is linear in the delay with slope (mu_repeat - mu_not) / sd^2, whatever the
    customer's other traits."""
    return (DELIVERY_DAYS_IF_REPEAT - DELIVERY_DAYS_IF_NOT) / DELIVERY_SD**2


def planted_driver_odds_ratio() -> float:
    """The odds ratio of a second purchase for joiners against non-joiners that the planting implies.

    The event depends on the outcome only, so P(Y | D, X) has logit P(Y | X) + D log OR with
    OR = (0.65 / 0.35) / (0.12 / 0.88), whatever the customer's other traits: a logistic model
    that adjusts for them recovers log OR as the driver's coefficient."""
    return (DRIVER_RATE_IF_REPEAT / (1 - DRIVER_RATE_IF_REPEAT)) / (DRIVER_RATE_IF_NOT / (1 - DRIVER_RATE_IF_NOT))
