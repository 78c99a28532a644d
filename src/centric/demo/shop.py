"""Generate the demo shop: customers, orders, lines, events, feedback, consents and spend, with
the planted truth later analyses are tested against. Pure: returns DataFrames, writes nothing.

Purchases follow BG/NBD per persona (Fader, Hardie & Lee 2005): the first purchase at time 0,
then exponential inter-purchase times with rate lambda ~ Gamma(r, alpha) per day, and after each
repeat purchase the customer drops out with probability p ~ Beta(a, b). Order values follow
Gamma-Gamma: nu ~ Gamma(q, rate v) per customer, value ~ Gamma(p, rate nu) per order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from centric.demo import texts
from centric.queries.transitions import DELIVERY_EVENT
from centric.demo.personas import (CATALOG, DRIVER_EVENT, DRIVER_RATE_IF_NOT, DRIVER_RATE_IF_REPEAT, NON_DRIVER_EVENT,
                                   DELIVERY_DAYS_IF_NOT, DELIVERY_DAYS_IF_REPEAT, DELIVERY_SD,
                                   NON_DRIVER_DAYS, NON_DRIVER_RATE, PERSONAS)

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
    orders, lines = _orders(rng, customers, params)
    say("demo: journey events")
    events, journey = _events(rng, customers, orders)
    say("demo: feedback")
    feedback, feedback_truth = _feedback(rng, customers, orders, lines, params)
    shop.tables = {
        "customers": customers, "orders": orders, "order_lines": lines, "events": events,
        "feedback": feedback, "consents": _consents(rng, customers), "marketing_spend": _spend(rng, customers),
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
    lam = np.zeros(n)
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
        lam[idx] = rng.gamma(b["r"], 1.0 / b["alpha"], m)
        drop[idx] = rng.beta(b["a"], b["b"], m)
        g = p.gamma_gamma
        nu[idx] = rng.gamma(g["q"], 1.0 / g["v"], m)
    ids = np.char.add("C", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    customers = pd.DataFrame({
        "customer_id": ids, "email": np.char.add(np.char.lower(ids.astype(str)), "@example.com"),
        "created_at": created.round("s"), "birth_year": birth_year, **cols,
    })
    params = pd.DataFrame({"customer_id": ids, "persona": [PERSONAS[i].key for i in persona_idx],
                           "lambda_per_day": lam, "p_dropout": drop, "nu": nu})
    return customers, params


def _orders(rng, customers: pd.DataFrame, params: pd.DataFrame):
    n = len(customers)
    created = customers["created_at"].to_numpy()
    end_days = (END - customers["created_at"]).dt.total_seconds().to_numpy() / 86400
    first = rng.exponential(2.0, n)
    buyer = first < end_days
    lam, drop = params["lambda_per_day"].to_numpy(), params["p_dropout"].to_numpy()
    times = [np.where(buyer, first, np.nan)]
    t = first.copy()
    alive = buyer.copy()
    while alive.any():
        t = t + rng.exponential(1.0 / np.maximum(lam, 1e-9))
        alive &= t < end_days
        times.append(np.where(alive, t, np.nan))
        alive &= rng.random(n) >= drop  # dropout after each repeat purchase
    when = np.vstack(times)  # purchase k x customer
    k_idx, c_idx = np.nonzero(~np.isnan(when))
    days = when[k_idx, c_idx]
    order_time = created[c_idx] + pd.to_timedelta(days, unit="D").to_numpy()
    persona_of = params["persona"].to_numpy()
    pmap = {p.key: p for p in PERSONAS}
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
    return orders, lines


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


def _events(rng, customers: pd.DataFrame, orders: pd.DataFrame):
    """Sessions that end in an order, sessions that do not, e-mails, and the planted journey events."""
    buys = orders[orders["status"] == "completed"].sort_values(["customer_id", "ordered_at"])
    frames = []
    # converting sessions: views, adds, checkout, order completed
    n_view = rng.integers(1, 5, len(buys))
    total_steps = n_view + 3
    pos = np.repeat(np.arange(len(buys)), total_steps)
    names = np.concatenate([np.array(["Product Viewed"] * k + ["Product Added", "Checkout Started", "Order Completed"],
                                     dtype=object) for k in n_view]) if len(buys) else np.array([], object)
    offset = np.concatenate([np.arange(k + 3)[::-1] for k in n_view]) if len(buys) else np.array([], int)
    at = buys["ordered_at"].to_numpy()[pos] - pd.to_timedelta(offset * 45, unit="s").to_numpy()
    frames.append(pd.DataFrame({
        "occurred_at": at, "customer_id": buys["customer_id"].to_numpy()[pos],
        "session_id": np.char.add("S", buys["order_id"].to_numpy()[pos].astype(str)), "name": names,
        "channel": buys["channel"].to_numpy()[pos], "order_id": buys["order_id"].to_numpy()[pos],
    }))
    # browsing sessions that do not convert
    n_cust = len(customers)
    per = rng.poisson(9, n_cust)
    cpos = np.repeat(np.arange(n_cust), per)
    start = customers["created_at"].to_numpy()[cpos]
    span = (END.to_datetime64() - start) / np.timedelta64(1, "s")
    sess_start = start + (rng.random(len(cpos)) * span).astype("timedelta64[s]")
    n_ev = rng.integers(1, 4, len(cpos))
    epos = np.repeat(np.arange(len(cpos)), n_ev)
    within = np.concatenate([np.arange(k) for k in n_ev]) if len(n_ev) else np.array([], int)
    names2 = np.where(within == 0, "Product Viewed", np.where(rng.random(len(epos)) < 0.2, "Product Added", "Product Viewed"))
    frames.append(pd.DataFrame({
        "occurred_at": sess_start[epos] + (within * 60).astype("timedelta64[s]"),
        "customer_id": customers["customer_id"].to_numpy()[cpos][epos],
        "session_id": np.char.add("B", np.arange(len(cpos)).astype(str))[epos], "name": names2,
        "channel": np.where(rng.random(len(epos)) < 0.5, "web", "app"), "order_id": None,
    }))
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
    # planted journey: driver between first and second purchase, non-driver at random
    first = buys.groupby("customer_id")["ordered_at"].nth(0)
    second = buys.groupby("customer_id")["ordered_at"].nth(1)
    first = pd.Series(first.to_numpy(), index=buys.loc[first.index, "customer_id"].to_numpy())
    second = pd.Series(second.to_numpy(), index=buys.loc[second.index, "customer_id"].to_numpy())
    journey = pd.DataFrame({"customer_id": first.index, "first_order_at": first.to_numpy()})
    journey["second_order_at"] = journey["customer_id"].map(second)
    has_second = journey["second_order_at"].notna().to_numpy()
    driver = np.where(has_second, rng.random(len(journey)) < DRIVER_RATE_IF_REPEAT,
                      rng.random(len(journey)) < DRIVER_RATE_IF_NOT)
    non_driver = rng.random(len(journey)) < NON_DRIVER_RATE
    gap = np.where(has_second, (journey["second_order_at"] - journey["first_order_at"]).dt.total_seconds(), 30 * 86400.0)
    gap = np.nan_to_num(gap, nan=30 * 86400.0)
    drive_at = journey["first_order_at"] + pd.to_timedelta(rng.uniform(0.1, 0.9, len(journey)) * gap, unit="s")
    nondrive_at = journey["first_order_at"] + pd.to_timedelta(rng.uniform(0.0, NON_DRIVER_DAYS * 86400.0, len(journey)),
                                                               unit="s")
    journey["driver_event"] = driver
    journey["non_driver_event"] = non_driver
    for mask, when, name in ((driver, drive_at, DRIVER_EVENT), (non_driver, nondrive_at, NON_DRIVER_EVENT)):
        ok = mask & (when <= END).to_numpy()
        frames.append(pd.DataFrame({"occurred_at": when[ok].to_numpy(), "customer_id": journey["customer_id"][ok].to_numpy(),
                                    "session_id": None, "name": name, "channel": "web", "order_id": None}))
    frames.append(_deliveries(rng, buys, set(journey["customer_id"][has_second])))
    # anonymous visitors who never identify themselves
    n_anon = n_cust * 4
    anon_at = (END - pd.Timedelta(days=365)).to_datetime64() + (rng.random(n_anon) * 365 * 86400).astype("timedelta64[s]")
    frames.append(pd.DataFrame({"occurred_at": anon_at, "customer_id": None,
                                "session_id": np.char.add("A", np.arange(n_anon).astype(str)), "name": "Product Viewed",
                                "channel": "web", "order_id": None, "anonymous_id": np.char.add("anon-", (np.arange(n_anon) // 2).astype(str))}))
    events = pd.concat(frames, ignore_index=True).sort_values("occurred_at", kind="stable").reset_index(drop=True)
    events["occurred_at"] = pd.to_datetime(events["occurred_at"]).dt.round("s")
    events.insert(0, "event_id", np.char.add("E", np.arange(1, len(events) + 1).astype(str)))
    known = events["customer_id"].notna()
    events.loc[known, "anonymous_id"] = "dev-" + events.loc[known, "customer_id"].astype(str)
    order_prop = events["order_id"].notna()
    events["properties"] = None
    events.loc[order_prop, "properties"] = '{"order_id": "' + events.loc[order_prop, "order_id"].astype(str) + '"}'
    events = events.drop(columns=["order_id"])
    journey["driver"] = DRIVER_EVENT
    journey["non_driver"] = NON_DRIVER_EVENT
    return events, journey


def _deliveries(rng, buys: pd.DataFrame, repeaters: set) -> pd.DataFrame:
    """An "Order Delivered" event per completed order. The first order's delay is planted: shorter for
    customers who buy again (models/journey: slow delivery lowers the chance of a second purchase);
    later orders' delays are drawn around the middle. Drawn from a child stream, so adding them
    moves no other draw of the demo."""
    own = np.random.default_rng(rng.bit_generator.seed_seq.spawn(1)[0])
    first = ~buys["customer_id"].duplicated().to_numpy()
    repeat = buys["customer_id"].isin(repeaters).to_numpy()
    mean = np.where(first, np.where(repeat, DELIVERY_DAYS_IF_REPEAT, DELIVERY_DAYS_IF_NOT),
                    (DELIVERY_DAYS_IF_REPEAT + DELIVERY_DAYS_IF_NOT) / 2)
    days = np.clip(own.normal(mean, DELIVERY_SD), 0.2, None)
    at = buys["ordered_at"] + pd.to_timedelta(days * 86400.0, unit="s")
    ok = (at <= END).to_numpy()
    return pd.DataFrame({"occurred_at": at[ok].to_numpy(), "customer_id": buys["customer_id"].to_numpy()[ok],
                         "session_id": None, "name": DELIVERY_EVENT, "channel": None,
                         "order_id": buys["order_id"].to_numpy()[ok]})


RATING_OF = {
    "review": ("stars_1_5", {"positive": (4, 5), "neutral": (3, 3), "negative": (1, 2)}),
    "survey": ("nps_0_10", {"positive": (9, 10), "neutral": (7, 8), "negative": (0, 6)}),
    "csat": ("csat_1_5", {"positive": (4, 5), "neutral": (3, 3), "negative": (1, 2)}),
}


def _feedback(rng, customers: pd.DataFrame, orders: pd.DataFrame, lines: pd.DataFrame, params: pd.DataFrame):
    """About a third of orders get feedback in the customer's language, with planted themes and sentiment."""
    buys = orders[orders["status"] == "completed"]
    picked = buys.sample(frac=0.33, random_state=int(rng.integers(1 << 30))).reset_index(drop=True)
    cust = customers.set_index("customer_id")
    lang = cust.loc[picked["customer_id"], "language"].to_numpy()
    persona_of = {p.key: p for p in PERSONAS}
    first_product = lines[lines["line_no"] == 1].set_index("order_id")["product_name"]
    products = first_product.reindex(picked["order_id"]).fillna("order").to_numpy()
    persona = params.set_index("customer_id")["persona"].reindex(picked["customer_id"]).to_numpy()
    source = rng.choice(["review", "survey", "ticket", "social", "csat"], size=len(picked), p=[0.4, 0.3, 0.13, 0.1, 0.07])
    rows, truth = [], []
    for i in range(len(picked)):
        p = persona_of[persona[i]]
        k = 2 if rng.random() < 0.3 else 1
        theme_keys = list(p.themes)
        w = np.array([p.themes[t] for t in theme_keys])
        chosen = list(rng.choice(theme_keys, size=k, replace=False, p=w / w.sum()))
        if source[i] == "ticket":
            positive = [False] * k
        else:
            base = rng.random() < p.positivity
            positive = [base] * k if k == 1 or rng.random() < 0.6 else [base, not base]
        sentiment = "positive" if all(positive) else "negative" if not any(positive) else "neutral"
        text = texts.compose(rng, lang[i], chosen, positive, products[i])
        scale, rating = None, None
        if source[i] in RATING_OF:
            scale, ranges = RATING_OF[source[i]]
            lo, hi = ranges[sentiment]
            rating = int(rng.integers(lo, hi + 1))
        src = "survey" if source[i] == "csat" else source[i]
        fid = f"F{i + 1:06d}"
        received = picked["ordered_at"][i] + pd.Timedelta(days=int(rng.integers(2, 15)), hours=int(rng.integers(0, 12)))
        if received > END:
            continue
        rows.append((fid, picked["customer_id"][i], picked["order_id"][i], received, src,
                     {"review": "web", "survey": "email", "ticket": "helpdesk", "social": "twitter", "csat": "widget"}[source[i]],
                     rating, scale, text, lang[i] if rng.random() < 0.5 else None,
                     {"survey": "nps-post-purchase", "csat": "csat-delivery"}.get(source[i])))
        truth.append((fid, lang[i], sentiment, "|".join(chosen),
                      "|".join(f"{t}:{'positive' if pos else 'negative'}" for t, pos in zip(chosen, positive))))
    feedback = pd.DataFrame(rows, columns=["feedback_id", "customer_id", "order_id", "received_at", "source", "channel",
                                           "rating", "rating_scale", "text", "language", "survey_id"])
    feedback["rating"] = feedback["rating"].astype("Int64")
    truth_df = pd.DataFrame(truth, columns=["feedback_id", "language", "sentiment", "themes", "aspects"])
    return feedback, truth_df


def _consents(rng, customers: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for category, share in (("essential", 1.0), ("analytics", 0.8), ("personalization", 0.7), ("marketing", 0.62)):
        granted = rng.random(len(customers)) < share
        rows.append(pd.DataFrame({"customer_id": customers["customer_id"], "category": category,
                                  "granted": np.where(granted, "true", "false"),
                                  "recorded_at": customers["created_at"], "source": "signup"}))
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
