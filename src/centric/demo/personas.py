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

# The journey's planted driver and non-driver of the move from first to second purchase, planted by
# time (shop.py `_first_gap`): each is an event at a random time after the first purchase, drawn
# independently of everything else, and from that moment on the hazard of the second purchase is
# multiplied by the planted hazard ratio. The hazard before any effect is the persona's BG/NBD
# marginal hazard r / (alpha + t) of the first repeat purchase (a Pareto II time: Fader, Hardie & Lee
# 2005, eq. 6 with no dropout before it), so the ratio is proportional at the population level, the
# scale on which a Cox model that does not know each customer's own rate reads it.
DRIVER_EVENT = "Loyalty Program Joined"  # joiners buy again sooner: planted hazard ratio LOYALTY_HAZARD_RATIO
NON_DRIVER_EVENT = "Newsletter Subscribed"  # at a random time after the first purchase: no effect at all
LOYALTY_SHARE = 0.4  # share of first-time buyers who ever join (at a random time, whatever they do)
LOYALTY_MEAN_DAYS = 45.0  # days from the first purchase to joining: exponential with this mean
LOYALTY_HAZARD_RATIO = 1.8  # hazard of the second purchase, joined / not yet joined
NON_DRIVER_SHARE = 0.35
NON_DRIVER_MEAN_DAYS = 20.0

# The first order's delivery: days from the order to its delivery event (queries/transitions.py's
# DELIVERY_EVENT), normal and independent of everything else; each day more multiplies the hazard
# of the second purchase (from the first purchase on) by DELIVERY_HAZARD_RATIO_PER_DAY.
DELIVERY_MEAN_DAYS = 3.5
DELIVERY_SD = 1.2
DELIVERY_HAZARD_RATIO_PER_DAY = 0.85


def planted_driver_hazard_ratio() -> float:
    """The hazard ratio of the second purchase, after joining the loyalty programme against before."""
    return LOYALTY_HAZARD_RATIO


def planted_delivery_hazard_ratio_per_day() -> float:
    """The hazard ratio of the second purchase per extra day of the first order's delivery."""
    return DELIVERY_HAZARD_RATIO_PER_DAY
