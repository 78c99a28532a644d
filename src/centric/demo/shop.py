"""Generate the demo shop: customers, orders, lines, events, feedback, consents and spend, with
the planted truth later analyses are tested against. Pure: returns DataFrames, writes nothing.

Purchases follow BG/NBD per persona (Fader, Hardie & Lee 2005): the first purchase at time 0,
then exponential inter-purchase times with rate lambda ~ Gamma(r, alpha) per day, and after each
repeat purchase the customer drops out with probability p ~ Beta(a, b). The first repeat purchase
carries the journey's planted effects (`_first_gap`): the persona's marginal hazard r / (alpha + t),
multiplied from the moment a customer joins the loyalty programme (a random time, drawn
independently of everything) by its hazard ratio, and by a hazard ratio per day of the first
order's delivery. Order values follow Gamma-Gamma: nu ~ Gamma(q, rate v) per customer, value ~
Gamma(p, rate nu) per order.

Events: each order comes with its own path (views, an add, a checkout, the order: minutes apart,
or back at a cart hours or days later); customers and anonymous visitors browse in sessions that
stop at every step of the funnel; anonymous visitors carry their cookie-banner choice (about 80%
yes to analytics) in properties.consent. Feedback: see writer.py, and `RATING_OF` and `RATING_HABIT`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from centric.demo import writer
from centric.queries.transitions import DELIVERY_EVENT
from centric.demo.personas import (CATALOG, DELIVERY_HAZARD_RATIO_PER_DAY, DELIVERY_MEAN_DAYS, DELIVERY_SD,
                                   DRIVER_EVENT, LOYALTY_HAZARD_RATIO, LOYALTY_MEAN_DAYS, LOYALTY_SHARE,
                                   NON_DRIVER_EVENT, NON_DRIVER_MEAN_DAYS, NON_DRIVER_SHARE, PERSONAS)

END = pd.Timestamp("2026-10-31 23:59:00")
OTHER_TAGS = ("music", "pets", "photography", "cycling", "reading")


@dataclass
class DemoShop:
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)


def _pick(rng, weights: dict[str, float], n: int) -> np.ndarray:
    keys = list(weights)
    w = np.array([weights[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=w / w.sum())]


def generate(n_customers: int = 20_000, seed: int = 7, years: float = 2.0, progress=None) -> DemoShop:
    rng = np.random.default_rng(seed)
    shop = DemoShop()
    say = progress or (lambda *a, **k: None)
    say("demo: customers")
    customers, params = _customers(rng, n_customers, years)
    say("demo: purchases")
    orders, lines, plan = _orders(rng, customers, params)
    say("demo: journey events")
    events, journey = _events(rng, customers, orders, plan)
    say("demo: feedback")
    # a stream of its own, so that how texts are written does not move the tables drawn after them
    feedback, feedback_truth = _feedback(np.random.default_rng(rng.integers(1 << 62)), customers, orders, lines, params)
    shop.tables = {
        "customers": customers, "orders": orders, "order_lines": lines, "events": events,
        "feedback": feedback, "consents": _consents(rng, customers, events), "marketing_spend": _spend(rng, customers),
    }
    shop.truth = {
        "personas": _persona_table(), "customers": params, "journey": journey, "feedback": feedback_truth,
    }
    return shop


def _persona_table() -> pd.DataFrame:
    rows = []
    for p in PERSONAS:
        rows.append({
            "persona": p.key, "name": p.name, "share": p.share, "age_min": p.age[0], "age_max": p.age[1],
            "tags": "|".join(p.tags), "languages": "|".join(p.languages), "channels": "|".join(p.channels),
            "categories": "|".join(p.categories), "themes": "|".join(p.themes), "positivity": p.positivity,
            **{f"bgnbd_{k}": v for k, v in p.bgnbd.items()}, **{f"gg_{k}": v for k, v in p.gamma_gamma.items()},
        })
    return pd.DataFrame(rows)


def _customers(rng, n: int, years: float):
    shares = np.array([p.share for p in PERSONAS])
    persona_idx = rng.choice(len(PERSONAS), size=n, p=shares / shares.sum())
    start = END - pd.Timedelta(days=int(365 * years))
    span_days = (END - start).days - 14
    created = start + pd.to_timedelta(rng.uniform(0, span_days, n), unit="D")
    cols = {k: np.empty(n, dtype=object) for k in ("gender", "country", "region", "city", "postcode", "language",
                                                    "acquisition_channel", "tags")}
    birth_year = np.zeros(n, dtype=int)
    drop = np.zeros(n)
    nu = np.zeros(n)
    for i, p in enumerate(PERSONAS):
        idx = np.flatnonzero(persona_idx == i)
        m = len(idx)
        birth_year[idx] = END.year - rng.integers(p.age[0], p.age[1] + 1, m)
        cols["gender"][idx] = _pick(rng, p.genders, m)
        place = rng.integers(len(p.places), size=m)
        for j, key in enumerate(("country", "region", "city")):
            cols[key][idx] = np.array([pl[j] for pl in p.places], dtype=object)[place]
        prefix = np.array([pl[3] for pl in p.places], dtype=object)[place]
        cols["postcode"][idx] = prefix + pd.Series(rng.integers(10, 99, m)).astype(str).to_numpy()
        cols["language"][idx] = _pick(rng, p.languages, m)
        cols["acquisition_channel"][idx] = _pick(rng, p.channels, m)
        tags = []
        for _ in range(m):
            chosen = list(rng.choice(p.tags, size=rng.integers(2, 4), replace=False))
            if rng.random() < 0.15:
                chosen.append(OTHER_TAGS[rng.integers(len(OTHER_TAGS))])
            tags.append("|".join(chosen))
        cols["tags"][idx] = tags
        b = p.bgnbd
        drop[idx] = rng.beta(b["a"], b["b"], m)
        g = p.gamma_gamma
        nu[idx] = rng.gamma(g["q"], 1.0 / g["v"], m)
    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    customers = pd.DataFrame({
        "customer_id": ids, "email": np.char.add(np.char.lower(ids.astype(str)), "@example.com"),
        "created_at": created.round("s"), "birth_year": birth_year, **cols,
    })
    params = pd.DataFrame({"customer_id": ids, "persona": [PERSONAS[i].key for i in persona_idx],
                           "lambda_per_day": np.nan, "p_dropout": drop, "nu": nu})
    return customers, params


def _journey_plan(rng, n: int) -> pd.DataFrame:
    """Per customer, days after the first purchase to the planted events (inf: never), and the first
    order's delivery days: all drawn independently of everything else."""
    joins = np.where(rng.random(n) < LOYALTY_SHARE, rng.exponential(LOYALTY_MEAN_DAYS, n), np.inf)
    news = np.where(rng.random(n) < NON_DRIVER_SHARE, rng.exponential(NON_DRIVER_MEAN_DAYS, n), np.inf)
    delivery = np.clip(rng.normal(DELIVERY_MEAN_DAYS, DELIVERY_SD, n), 0.5, None)
    return pd.DataFrame({"join_after_days": joins, "newsletter_after_days": news, "first_delivery_days": delivery})


def _first_gap(rng, r: np.ndarray, alpha: np.ndarray, plan: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Days from the first to the second purchase under the planted effects.

    Hazard h(t) = m c^[t > J] r / (alpha + t): the persona's BG/NBD marginal hazard of the first
    repeat purchase, m = DELIVERY_HAZARD_RATIO_PER_DAY^(delivery days - mean) and c the loyalty
    hazard ratio from joining (J) on. Drawn by inverting the cumulative hazard at an Exp(1) draw;
    also returns the gap the same draw gives without the effects (m = c = 1)."""
    m = DELIVERY_HAZARD_RATIO_PER_DAY ** (plan["first_delivery_days"].to_numpy() - DELIVERY_MEAN_DAYS)
    join = plan["join_after_days"].to_numpy()
    draw = rng.exponential(1.0, len(r))
    e = draw / m
    before = r * np.log1p(np.where(np.isfinite(join), join, 0.0) / alpha)  # cumulative hazard at joining / m
    early = ~np.isfinite(join) | (e <= before)
    with np.errstate(over="ignore"):
        gap_early = alpha * np.expm1(e / r)
        gap_late = (alpha + np.where(np.isfinite(join), join, 0.0)) * np.exp((e - before) / (LOYALTY_HAZARD_RATIO * r)) - alpha
        untouched = alpha * np.expm1(draw / r)
    return np.minimum(np.where(early, gap_early, gap_late), 1e7), np.minimum(untouched, 1e7)


def _orders(rng, customers: pd.DataFrame, params: pd.DataFrame):
    n = len(customers)
    created = customers["created_at"].to_numpy()
    end_days = (END - customers["created_at"]).dt.total_seconds().to_numpy() / 86400
    first = rng.exponential(2.0, n)
    buyer = first < end_days
    pmap = {p.key: p for p in PERSONAS}
    persona_of = params["persona"].to_numpy()
    r = np.array([pmap[k].bgnbd["r"] for k in persona_of])
    alpha = np.array([pmap[k].bgnbd["alpha"] for k in persona_of])
    plan = _journey_plan(rng, n)
    gap, untouched = _first_gap(rng, r, alpha, plan)
    # the customer's own rate for later purchases, given the first gap the customer would have had
    # without the planted effects (Gamma(r + 1, alpha + gap), the BG/NBD posterior): that gap and the
    # rate are then distributed as BG/NBD draws them, and the rate is Gamma(r, alpha) as planted
    lam = rng.gamma(r + 1.0, 1.0 / (alpha + untouched))
    params["lambda_per_day"] = lam
    drop = params["p_dropout"].to_numpy()
    times = [np.where(buyer, first, np.nan)]
    t = first + gap
    alive = buyer & (t < end_days)
    times.append(np.where(alive, t, np.nan))
    alive &= rng.random(n) >= drop  # dropout after each repeat purchase
    while alive.any():
        t = t + rng.exponential(1.0 / np.maximum(lam, 1e-9))
        alive &= t < end_days
        times.append(np.where(alive, t, np.nan))
        alive &= rng.random(n) >= drop
    when = np.vstack(times)  # purchase k x customer
    k_idx, c_idx = np.nonzero(~np.isnan(when))
    days = when[k_idx, c_idx]
    order_time = created[c_idx] + pd.to_timedelta(days, unit="D").to_numpy()
    gg_p = np.array([pmap[k].gamma_gamma["p"] for k in persona_of])
    value = rng.gamma(gg_p[c_idx], 1.0 / params["nu"].to_numpy()[c_idx])
    value = np.maximum(np.round(value, 2), 1.0)
    m = len(c_idx)
    order_ids = np.char.add("O", np.char.zfill(np.arange(1, m + 1).astype(str), 7))
    device = np.empty(m, dtype=object)
    for p in PERSONAS:
        sel = persona_of[c_idx] == p.key
        device[sel] = _pick(rng, p.device, int(sel.sum()))
    shipping = np.where((value > 20) & (value < 50), 3.95, 0.0)
    orders = pd.DataFrame({
        "order_id": order_ids, "customer_id": customers["customer_id"].to_numpy()[c_idx],
        "ordered_at": pd.to_datetime(order_time).round("s"), "status": "completed", "currency": "EUR",
        "total": value, "discount": 0.0, "shipping": shipping, "channel": device,
    }).sort_values("ordered_at", kind="stable").reset_index(drop=True)
    lines = _lines(rng, orders, params)
    returns, return_lines = _returns(rng, orders, lines)
    cancelled = orders.sample(frac=0.02, random_state=int(rng.integers(1 << 30))).copy()
    cancelled["order_id"] = cancelled["order_id"].str.replace("O", "X", n=1)
    cancelled["ordered_at"] = cancelled["ordered_at"] - pd.Timedelta(hours=2)
    cancelled["status"] = "cancelled"
    orders = pd.concat([orders, returns, cancelled], ignore_index=True)
    lines = pd.concat([lines, return_lines], ignore_index=True)
    plan.insert(0, "customer_id", customers["customer_id"].to_numpy())
    return orders, lines, plan


def _lines(rng, orders: pd.DataFrame, params: pd.DataFrame) -> pd.DataFrame:
    persona = orders["customer_id"].map(params.set_index("customer_id")["persona"]).to_numpy()
    pmap = {p.key: p for p in PERSONAS}
    n_lines = rng.choice([1, 2, 3, 4], size=len(orders), p=[0.35, 0.3, 0.2, 0.15])
    order_pos = np.repeat(np.arange(len(orders)), n_lines)
    line_no = np.concatenate([np.arange(1, k + 1) for k in n_lines]) if len(n_lines) else np.array([], int)
    category = np.empty(len(order_pos), dtype=object)
    for key, p in pmap.items():
        sel = persona[order_pos] == key
        category[sel] = _pick(rng, p.categories, int(sel.sum()))
    product = np.empty(len(order_pos), dtype=object)
    base_price = np.zeros(len(order_pos))
    sku = np.empty(len(order_pos), dtype=object)
    for cat, items in CATALOG.items():
        sel = np.flatnonzero(category == cat)
        pick = rng.integers(len(items), size=len(sel))
        product[sel] = np.array([it[0] for it in items], dtype=object)[pick]
        base_price[sel] = np.array([it[1] for it in items])[pick]
        sku[sel] = np.char.add(f"{cat[:3].upper()}-", np.char.zfill((pick + 1).astype(str), 3))
    qty = rng.choice([1, 1, 1, 2, 3], size=len(order_pos))
    goods = (orders["total"].to_numpy() - orders["shipping"].to_numpy())
    raw = qty * base_price
    scale = goods[order_pos] / np.bincount(order_pos, weights=raw, minlength=len(orders))[order_pos]
    unit = np.maximum(np.round(base_price * scale, 2), 0.01)
    return pd.DataFrame({"order_id": orders["order_id"].to_numpy()[order_pos], "line_no": line_no, "sku": sku,
                         "product_name": product, "category": category, "quantity": qty, "unit_price": unit})


def _returns(rng, orders: pd.DataFrame, lines: pd.DataFrame):
    """About 4% of orders have one line returned 3 to 20 days later: a refunded order, negative total."""
    picked = orders.sample(frac=0.04, random_state=int(rng.integers(1 << 30)))
    first_lines = lines[lines["line_no"] == 1].set_index("order_id").loc[picked["order_id"]]
    ret = pd.DataFrame({
        "order_id": picked["order_id"].str.replace("O", "R", n=1).to_numpy(),
        "customer_id": picked["customer_id"].to_numpy(),
        "ordered_at": (picked["ordered_at"] + pd.to_timedelta(rng.integers(3, 21, len(picked)), unit="D")).to_numpy(),
        "status": "refunded", "currency": "EUR",
        "total": -np.round(first_lines["quantity"].to_numpy() * first_lines["unit_price"].to_numpy(), 2),
        "discount": 0.0, "shipping": 0.0, "channel": picked["channel"].to_numpy(),
    })
    ret = ret[ret["ordered_at"] <= END]
    fl = first_lines.loc[ret["order_id"].str.replace("R", "O", n=1)]
    ret_lines = pd.DataFrame({"order_id": ret["order_id"].to_numpy(), "line_no": 1, "sku": fl["sku"].to_numpy(),
                              "product_name": fl["product_name"].to_numpy(), "category": fl["category"].to_numpy(),
                              "quantity": -fl["quantity"].to_numpy(), "unit_price": fl["unit_price"].to_numpy()})
    return ret, ret_lines


# The shopping funnel (Product Viewed -> Product Added -> Checkout Started -> Order Completed):
# sessions that do not end in an order stop at each step with these chances of going on.
ADD_RATE = 0.2  # a browsing session adds to the cart
CHECKOUT_RATE = 0.3  # an abandoned cart reaches the checkout
ANONYMOUS_VISITORS = 5  # visitors who never sign in, per customer
COME_BACK_SHARE = 0.3  # orders whose checkout comes back to a cart left hours or days earlier


def _lognormal(rng, median_seconds: float, sigma: float, n: int) -> np.ndarray:
    return median_seconds * np.exp(sigma * rng.standard_normal(n))


def _session_events(rng, who: np.ndarray, start: np.ndarray, session: np.ndarray, add_rate: float,
                    checkout_rate: float, who_column: str = "customer_id", most_views: int = 3) -> pd.DataFrame:
    """Sessions that end without an order: 1 to most_views views, then an add and a checkout with the given chances."""
    n = len(who)
    views = rng.integers(1, most_views + 1, n)
    added = rng.random(n) < add_rate
    checkout = added & (rng.random(n) < checkout_rate)
    steps = views + added + checkout
    pos = np.repeat(np.arange(n), steps)
    within = np.arange(len(pos)) - np.repeat(np.cumsum(steps) - steps, steps)
    name = np.where(within < views[pos], "Product Viewed", np.where(within == views[pos], "Product Added",
                                                                   "Checkout Started"))
    gaps = _lognormal(rng, 75.0, 0.9, len(pos))
    gaps[within == 0] = 0.0
    cumulative = np.cumsum(gaps)
    elapsed = cumulative - cumulative[np.repeat(np.cumsum(steps) - steps, steps)]
    out = pd.DataFrame({"occurred_at": start[pos] + elapsed.astype("timedelta64[s]"), "customer_id": None,
                        "session_id": session[pos], "name": name, "order_id": None})
    out[who_column] = who[pos]
    return out


def _buying_events(rng, buys: pd.DataFrame) -> pd.DataFrame:
    """Each order's own path: 1-4 views and an add, then a checkout minutes later (or, for some, hours
    to days later, back at a cart left open) and the order a few minutes after the checkout."""
    n = len(buys)
    views = rng.integers(1, 5, n)
    later = rng.random(n) < COME_BACK_SHARE
    to_checkout = np.where(later, np.clip(_lognormal(rng, 8 * 3600.0, 1.1, n), 3600, 6 * 86400),
                           np.clip(_lognormal(rng, 150.0, 0.9, n), 20, 1800))
    to_order = np.clip(_lognormal(rng, 120.0, 0.7, n), 20, 1800)
    steps = views + 3
    pos = np.repeat(np.arange(n), steps)
    within = np.arange(len(pos)) - np.repeat(np.cumsum(steps) - steps, steps)
    back = steps[pos] - 1 - within  # 0: the order, 1: checkout, 2: add, 3...: views
    name = np.select([back == 0, back == 1, back == 2], ["Order Completed", "Checkout Started", "Product Added"],
                     "Product Viewed")
    browse = _lognormal(rng, 75.0, 0.9, len(pos))  # seconds from this view or add to the next step
    gap_after = np.where(back == 0, 0.0, np.where(back == 1, to_order[pos], np.where(back == 2, to_checkout[pos], browse)))
    cumulative = np.cumsum(gap_after)
    last = np.repeat(np.cumsum(steps) - 1, steps)
    before = cumulative[last] - cumulative + gap_after  # seconds from each event to its order
    order_ids = buys["order_id"].to_numpy()
    session = np.where(later[pos] & (back <= 1), np.char.add(np.char.add("S", order_ids[pos].astype(str)), "b"),
                       np.char.add("S", order_ids[pos].astype(str)))
    return pd.DataFrame({
        "occurred_at": buys["ordered_at"].to_numpy()[pos] - (before * 1e9).astype("timedelta64[ns]"),
        "customer_id": buys["customer_id"].to_numpy()[pos], "session_id": session, "name": name,
        "channel": buys["channel"].to_numpy()[pos], "order_id": order_ids[pos],
    })


def _events(rng, customers: pd.DataFrame, orders: pd.DataFrame, plan: pd.DataFrame):
    """Sessions that end in an order, sessions that do not, e-mails, and the planted journey events."""
    buys = orders[orders["status"] == "completed"].sort_values(["customer_id", "ordered_at"])
    frames = [_buying_events(rng, buys)]
    # browsing sessions of customers that do not end in an order
    n_cust = len(customers)
    per = rng.poisson(9, n_cust)
    cpos = np.repeat(np.arange(n_cust), per)
    start = customers["created_at"].to_numpy()[cpos]
    span = (END.to_datetime64() - start) / np.timedelta64(1, "s")
    sess_start = start + (rng.random(len(cpos)) * span).astype("timedelta64[s]")
    browse = _session_events(rng, customers["customer_id"].to_numpy()[cpos], sess_start,
                             np.char.add("B", np.arange(len(cpos)).astype(str)), ADD_RATE, CHECKOUT_RATE)
    browse["channel"] = np.where(rng.random(len(browse)) < 0.5, "web", "app")
    frames.append(browse)
    # e-mails opened
    n_mail = rng.poisson(6, n_cust)
    mpos = np.repeat(np.arange(n_cust), n_mail)
    mstart = customers["created_at"].to_numpy()[mpos]
    mspan = (END.to_datetime64() - mstart) / np.timedelta64(1, "s")
    frames.append(pd.DataFrame({
        "occurred_at": mstart + (rng.random(len(mpos)) * mspan).astype("timedelta64[s]"),
        "customer_id": customers["customer_id"].to_numpy()[mpos], "session_id": None,
        "name": np.where(rng.random(len(mpos)) < 0.3, "Email Clicked", "Email Opened"), "channel": "email",
        "order_id": None,
    }))
    # the planted journey: events at their planted days after the first purchase (shop.py _journey_plan)
    first = buys.drop_duplicates("customer_id").set_index("customer_id")["ordered_at"]
    second = buys[buys["customer_id"].duplicated()].drop_duplicates("customer_id").set_index("customer_id")["ordered_at"]
    journey = pd.DataFrame({"customer_id": first.index, "first_order_at": first.to_numpy()})
    journey["second_order_at"] = journey["customer_id"].map(second)
    planned = plan.set_index("customer_id").loc[journey["customer_id"]]
    for column, after, name in (("driver", "join_after_days", DRIVER_EVENT),
                                ("non_driver", "newsletter_after_days", NON_DRIVER_EVENT)):
        days = planned[after].to_numpy()
        when = journey["first_order_at"] + pd.to_timedelta(np.where(np.isfinite(days), days, 0.0) * 86400.0, unit="s")
        ok = np.isfinite(days) & (when <= END).to_numpy()
        journey[f"{column}_at"] = when.where(ok)
        journey[f"{column}_event"] = ok
        frames.append(pd.DataFrame({"occurred_at": when[ok].to_numpy(), "customer_id": journey["customer_id"][ok].to_numpy(),
                                    "session_id": None, "name": name, "channel": "web", "order_id": None}))
    journey["first_delivery_days"] = planned["first_delivery_days"].to_numpy()
    frames.append(_deliveries(rng, buys, planned["first_delivery_days"]))
    # anonymous visitors who never sign in: they view, some add to the cart, a few reach the checkout
    n_anon = n_cust * ANONYMOUS_VISITORS
    visits = 1 + rng.poisson(0.2, n_anon)
    visitor = np.repeat(np.arange(n_anon), visits)
    anon_at = (END - pd.Timedelta(days=365)).to_datetime64() + (rng.random(len(visitor)) * 365 * 86400).astype("timedelta64[s]")
    anon = _session_events(rng, np.char.add("anon-", visitor.astype(str)).astype(object), anon_at,
                           np.char.add("A", np.arange(len(visitor)).astype(str)), ADD_RATE, CHECKOUT_RATE,
                           who_column="anonymous_id", most_views=2)
    anon["channel"] = "web"
    frames.append(anon)
    events = pd.concat(frames, ignore_index=True).sort_values("occurred_at", kind="stable").reset_index(drop=True)
    events["occurred_at"] = pd.to_datetime(events["occurred_at"]).dt.round("s")
    events.insert(0, "event_id", np.char.add("E", np.arange(1, len(events) + 1).astype(str)))
    known = events["customer_id"].notna()
    events.loc[known, "anonymous_id"] = "dev-" + events.loc[known, "customer_id"].astype(str)
    order_prop = events["order_id"].notna()
    events["properties"] = None
    events.loc[order_prop, "properties"] = '{"order_id": "' + events.loc[order_prop, "order_id"].astype(str) + '"}'
    events = events.drop(columns=["order_id"])
    _banner_choices(events)
    journey["driver"] = DRIVER_EVENT
    journey["non_driver"] = NON_DRIVER_EVENT
    return events, journey


ANONYMOUS_BANNER_YES = {"analytics": 0.8, "personalization": 0.7, "marketing": 0.6}


def _banner_choices(events: pd.DataFrame) -> None:
    """Anonymous visitors' cookie-banner choice, in properties.consent as the collector stores it
    (docs/privacy.md): one choice per visitor, about 80% yes to analytics. Drawn from a generator of
    its own so the rest of the shop (and its planted truth) is the same as without it."""
    anon = events["customer_id"].isna()
    visitors = pd.Index(events.loc[anon, "anonymous_id"].unique())
    rng = np.random.default_rng([len(visitors), 2026])
    choice = {c: rng.random(len(visitors)) < share for c, share in ANONYMOUS_BANNER_YES.items()}
    text = pd.Series(['{"consent": {' + ", ".join(f'"{c}": {"true" if choice[c][i] else "false"}' for c in choice)
                      + "}}" for i in range(len(visitors))], index=visitors)
    events.loc[anon, "properties"] = text.reindex(events.loc[anon, "anonymous_id"]).to_numpy()


def _deliveries(rng, buys: pd.DataFrame, first_days: pd.Series) -> pd.DataFrame:
    """An "Order Delivered" event per completed order: the first order's at its planted delay
    (_journey_plan), later orders' drawn from the same distribution."""
    first = ~buys["customer_id"].duplicated().to_numpy()
    days = np.clip(rng.normal(DELIVERY_MEAN_DAYS, DELIVERY_SD, len(buys)), 0.5, None)
    days[first] = first_days.reindex(buys["customer_id"].to_numpy()[first]).to_numpy()
    at = buys["ordered_at"] + pd.to_timedelta(days * 86400.0, unit="s")
    ok = (at <= END).to_numpy()
    return pd.DataFrame({"occurred_at": at[ok].to_numpy(), "customer_id": buys["customer_id"].to_numpy()[ok],
                         "session_id": None, "name": DELIVERY_EVENT, "channel": None,
                         "order_id": buys["order_id"].to_numpy()[ok]})


# The rating that comes with a text: drawn from what the text says, but not a copy of it (a 4-star
# lukewarm review, a complaint scored 7): source -> (scale, sentiment -> {rating: chance}). The
# self-trained sentiment learns from these ratings as weak labels.
RATING_OF = {
    "review": ("stars_1_5", {"positive": {5: 0.68, 4: 0.3, 3: 0.01, 2: 0.005, 1: 0.005},
                             "neutral": {3: 0.8, 4: 0.09, 2: 0.09, 5: 0.01, 1: 0.01},
                             "negative": {1: 0.65, 2: 0.33, 3: 0.01, 4: 0.005, 5: 0.005}}),
    "survey": ("nps_0_10", {"positive": {10: 0.5, 9: 0.4, 8: 0.08, 7: 0.02},
                            "neutral": {8: 0.42, 7: 0.42, 6: 0.08, 9: 0.08},
                            "negative": {0: 0.15, 1: 0.1, 2: 0.13, 3: 0.17, 4: 0.15, 5: 0.13, 6: 0.12, 7: 0.03, 8: 0.02}}),
}
RATING_OF["csat"] = ("csat_1_5", RATING_OF["review"][1])
# Some customers rate harder or kinder than they write, every time: a kind review with 3 stars, a
# complaint with 3. Habit -> share of customers; a habit moves each rating by its steps on the scale.
RATING_HABIT = {-1: 0.12, 0: 0.76, 1: 0.12}
HABIT_STEP = {"stars_1_5": 1, "csat_1_5": 1, "nps_0_10": 2}
SCALE_RANGE = {"stars_1_5": (1, 5), "csat_1_5": (1, 5), "nps_0_10": (0, 10)}
NEUTRAL_SHARE = 0.15  # texts about one theme that neither praise nor complain
MIXED_SHARE = 0.4  # texts about two themes that praise one and complain about the other


def _rating(rng, source: str, sentiment: str, habit: int):
    """The rating a customer with ``habit`` gives with a text that says ``sentiment``: (scale, rating)."""
    scale, chances = RATING_OF[source]
    values = list(chances[sentiment])
    weights = np.array(list(chances[sentiment].values()))
    rating = int(values[rng.choice(len(values), p=weights / weights.sum())]) + habit * HABIT_STEP[scale]
    low, high = SCALE_RANGE[scale]
    return scale, min(max(rating, low), high)


def _feedback(rng, customers: pd.DataFrame, orders: pd.DataFrame, lines: pd.DataFrame, params: pd.DataFrame):
    """About a third of orders get feedback in the customer's language, with planted themes and
    sentiment; writer.write says what each text says, and that is the truth kept."""
    buys = orders[orders["status"] == "completed"]
    picked = buys.sample(frac=0.33, random_state=int(rng.integers(1 << 30))).reset_index(drop=True)
    cust = customers.set_index("customer_id")
    lang = cust.loc[picked["customer_id"], "language"].to_numpy()
    persona_of = {p.key: p for p in PERSONAS}
    first_product = lines[lines["line_no"] == 1].set_index("order_id")["product_name"]
    products = first_product.reindex(picked["order_id"]).fillna("order").to_numpy()
    persona = params.set_index("customer_id")["persona"].reindex(picked["customer_id"]).to_numpy()
    habits = pd.Series(rng.choice(list(RATING_HABIT), size=len(customers), p=list(RATING_HABIT.values())),
                       index=customers["customer_id"].to_numpy())
    habit = habits.reindex(picked["customer_id"]).to_numpy()
    source = rng.choice(["review", "survey", "ticket", "social", "csat"], size=len(picked), p=[0.4, 0.3, 0.13, 0.1, 0.07])
    rows, truth = [], []
    for i in range(len(picked)):
        p = persona_of[persona[i]]
        k = 2 if rng.random() < 0.3 else 1
        theme_keys = list(p.themes)
        w = np.array([p.themes[t] for t in theme_keys])
        chosen = list(rng.choice(theme_keys, size=k, replace=False, p=w / w.sum()))
        if k == 1 and rng.random() < NEUTRAL_SHARE:
            polarity = ["neutral"]
        else:
            base = "negative" if source[i] == "ticket" or rng.random() >= p.positivity else "positive"
            other = "positive" if base == "negative" else "negative"
            mixed = k == 2 and source[i] != "ticket" and rng.random() < MIXED_SHARE
            polarity = [base, other] if mixed else [base] * k
        written = writer.write(rng, lang[i], chosen, polarity, products[i], source[i])
        scale, rating = _rating(rng, source[i], written.sentiment, int(habit[i])) if source[i] in RATING_OF else (None, None)
        src = "survey" if source[i] == "csat" else source[i]
        fid = f"F{i + 1:06d}"
        received = picked["ordered_at"][i] + pd.Timedelta(days=int(rng.integers(2, 15)), hours=int(rng.integers(0, 12)))
        if received > END:
            continue
        rows.append((fid, picked["customer_id"][i], picked["order_id"][i], received, src,
                     {"review": "web", "survey": "email", "ticket": "helpdesk", "social": "twitter", "csat": "widget"}[source[i]],
                     rating, scale, written.text, lang[i] if rng.random() < 0.5 else None,
                     {"survey": "nps-post-purchase", "csat": "csat-delivery"}.get(source[i])))
        truth.append((fid, written.language, written.sentiment, "|".join(written.themes),
                      "|".join(f"{t}:{pol}" for t, pol in written.aspects), "|".join(written.traits)))
    feedback = pd.DataFrame(rows, columns=["feedback_id", "customer_id", "order_id", "received_at", "source", "channel",
                                           "rating", "rating_scale", "text", "language", "survey_id"])
    feedback["rating"] = feedback["rating"].astype("Int64")
    truth_df = pd.DataFrame(truth, columns=["feedback_id", "language", "sentiment", "themes", "aspects", "traits"])
    return feedback, truth_df


def _consents(rng, customers: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Each customer's banner choice, recorded when they first arrived: their first event or, without an
    earlier one, their sign-up (the choice then holds for everything they did, docs/privacy.md)."""
    first = events.dropna(subset=["customer_id"]).groupby("customer_id")["occurred_at"].min()
    arrived = np.minimum(customers["created_at"], first.reindex(customers["customer_id"]).fillna(
        customers["created_at"].max()).to_numpy())
    rows = []
    for category, share in (("essential", 1.0), ("analytics", 0.8), ("personalization", 0.7), ("marketing", 0.62)):
        granted = rng.random(len(customers)) < share
        rows.append(pd.DataFrame({"customer_id": customers["customer_id"], "category": category,
                                  "granted": np.where(granted, "true", "false"),
                                  "recorded_at": arrived, "source": "banner"}))
    return pd.concat(rows, ignore_index=True)


CAC = {"paid_social": 28.0, "paid_search": 35.0, "affiliate": 18.0, "email": 6.0, "organic": 0.0, "referral": 9.0}


def _spend(rng, customers: pd.DataFrame) -> pd.DataFrame:
    """Daily spend per paid channel: acquisitions that day times the channel's cost, with noise."""
    day = customers["created_at"].dt.normalize()
    counts = customers.groupby([day, "acquisition_channel"]).size().rename("n").reset_index()
    counts = counts[counts["acquisition_channel"].map(CAC).fillna(0) > 0]
    amount = counts["n"] * counts["acquisition_channel"].map(CAC) * rng.uniform(0.8, 1.2, len(counts))
    return pd.DataFrame({"spent_on": counts["created_at"].dt.date, "channel": counts["acquisition_channel"],
                         "campaign": counts["acquisition_channel"] + "-always-on", "amount": amount.round(2),
                         "currency": "EUR"})
