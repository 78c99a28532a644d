"""A small planted shop for the privacy tests: 60 customers, one to erase and one to keep, with
distinctive ids so a byte search of the workspace cannot match them by chance."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

TARGET = {"customer_id": "cust-erase-4f1c9a", "email": "erase.me.7d2b@example.org",
          "anonymous_ids": ["anon-erase-91ab3c", "anon-erase-77de20"]}
KEEPER = {"customer_id": "cust-keep-3e8b1d", "email": "keep.me.5a6c@example.org",
          "anonymous_ids": ["anon-keep-1c2d3e"]}
SHARED_ANON = "anon-shared-5566aa"  # a device both TARGET and KEEPER used
TARGET_TEXT = "The parcel for erase-me arrived late and the box was crushed, very disappointing service."


def write_inputs(folder: Path, n: int = 60, seed: int = 3) -> dict[str, Path]:
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1)
    folder.mkdir(parents=True, exist_ok=True)
    people = [(TARGET["customer_id"], TARGET["email"]), (KEEPER["customer_id"], KEEPER["email"])]
    people += [(f"c{i:03d}", f"shopper{i:03d}@example.com") for i in range(n - 2)]
    customers = ["customer_id,email,created_at,birth_year,gender,country,city,language,acquisition_channel,tags"]
    orders = ["order_id,customer_id,ordered_at,status,currency,total,discount,shipping,channel"]
    lines = ["order_id,line_no,sku,product_name,category,quantity,unit_price"]
    events = ["event_id,occurred_at,anonymous_id,customer_id,session_id,name,channel"]
    feedback = ["feedback_id,customer_id,order_id,received_at,source,rating,rating_scale,text"]
    consents = ["customer_id,category,granted,recorded_at,source"]
    texts = ["Great quality, fast delivery, will buy again.", "Too expensive for what it is.",
             "Customer service was helpful and kind.", "The size guide is wrong, had to return it.",
             "Lovely packaging and the product works perfectly."]
    for k, (cid, email) in enumerate(people):
        created = start + dt.timedelta(days=rng.randint(0, 200))
        customers.append(f"{cid},{email},{created:%Y-%m-%d},{rng.randint(1950, 2004)},{rng.choice('fm')},"
                         f"{rng.choice(['ES', 'PT', 'FR'])},{rng.choice(['Girona', 'Porto', 'Lyon'])},"
                         f"{rng.choice(['es', 'pt', 'en'])},{rng.choice(['organic', 'paid_search'])},sport|home")
        anons = TARGET["anonymous_ids"] if k == 0 else KEEPER["anonymous_ids"] if k == 1 else [f"a{k:03d}x"]
        anons = anons + [SHARED_ANON] if k < 2 else anons
        when = created
        for j in range(rng.randint(2, 6) if k > 1 else 5):
            when += dt.timedelta(days=rng.randint(5, 90))
            oid = f"ord-erase-{j}" if k == 0 else f"o{k:03d}-{j}"
            price = rng.choice([12.5, 20, 35.9, 49])
            qty = rng.randint(1, 3)
            orders.append(f"{oid},{cid},{when:%Y-%m-%d %H:%M:%S},completed,EUR,{price * qty + 4:.2f},0,4,web")
            lines.append(f"{oid},1,SKU{rng.randint(1, 9)},Product,shoes,{qty},{price}")
            for e, name in enumerate(("Product Viewed", "Product Added", "Order Completed")):
                anon = anons[(j + e) % len(anons)]
                who = cid if e == 2 or anon != SHARED_ANON else ""
                events.append(f"ev-{k}-{j}-{e},{when - dt.timedelta(minutes=10 - e):%Y-%m-%d %H:%M:%S},{anon},"
                              f"{who},s-{k}-{j},{name},web")
            if rng.random() < 0.6 or k < 2:
                text = TARGET_TEXT if k == 0 and j == 0 else rng.choice(texts)
                feedback.append(f"fb-{k}-{j},{cid},{oid},{when + dt.timedelta(days=3):%Y-%m-%d},review,"
                                f"{rng.randint(1, 5)},stars_1_5,\"{text}\"")
        # an anonymous visit before the account: only the anonymous id
        events.append(f"ev-{k}-pre,{created - dt.timedelta(days=1):%Y-%m-%d %H:%M:%S},{anons[0]},,s-{k}-pre,"
                      "Product Viewed,web")
        for category in ("analytics", "marketing"):
            consents.append(f"{cid},{category},{str(rng.random() < 0.7).lower()},{created:%Y-%m-%d},banner")
    # a duplicate key of the target's in the orders file: quarantined with its order id in the value
    orders.append(orders[1])
    files = {}
    for name, rows in (("customers", customers), ("orders", orders), ("order_lines", lines), ("events", events),
                       ("feedback", feedback), ("consents", consents)):
        files[name] = folder / f"{name}.csv"
        files[name].write_text("\n".join(rows) + "\n")
    return files


def plant_models(store) -> None:
    """customer_value, clv_models, personas, customer_personas and journey_stages as `centric clv`,
    `centric personas` and `centric journey` write them (fitting them takes too long on so small a shop; the privacy rules only read the rows)."""
    import json

    con = store.con
    con.execute("DELETE FROM customer_value")
    con.execute("INSERT INTO customer_value (customer_id, model, p_alive, expected_orders_365d, predicted_clv, "
                "churn_source, churn_risk, computed_at) SELECT customer_id, 'BetaGeo', 0.8, 1.5, revenue * 0.5, "
                "'BetaGeo', 'low', observed_until FROM customer_summary")
    con.execute("DELETE FROM clv_models")
    con.execute("INSERT INTO clv_models (model, kind, chosen, churn_source, validated, params, note) VALUES "
                "('BetaGeo', 'model', true, true, true, '{\"r\": 0.24, \"alpha\": 4.4, \"a\": 0.79, \"b\": 2.4}', "
                "'chosen'), ('ParetoNBD', 'model', false, false, true, '{}', 'not chosen')")
    con.execute("DELETE FROM personas")
    quotes = [{"text": TARGET_TEXT, "language": "en", "theme": "delivery", "sentiment": "negative"},
              {"text": "Great quality, fast delivery, will buy again.", "language": "en", "theme": None,
               "sentiment": "positive"}]
    for pid, name in ((1, "Sporty savers"), (2, "Home lovers")):
        con.execute("INSERT INTO personas (persona_id, name, customers, summary, card) VALUES (?, ?, 30, 'x', ?)",
                    [pid, name, json.dumps({"quotes": quotes if pid == 1 else quotes[1:]})])
    con.execute("DELETE FROM journey_stages")  # as `centric journey` writes it (its models take 10 s here)
    con.execute("INSERT INTO journey_stages SELECT customer_id, 'first_purchase', first_order_at, NULL, 'active' "
                "FROM customer_summary")
    con.execute("DELETE FROM customer_personas")
    con.execute("INSERT INTO customer_personas (customer_id, persona_id, distance) SELECT customer_id, "
                "1 + (row_number() OVER (ORDER BY customer_id)) % 2, "
                "0.5 FROM customers")


def build_workspace(root: Path) -> Path:
    """The planted shop loaded, analysed (summary, listening, profiles, segments, the kept marking of the
    events), models and journey planted, the read snapshot published."""
    from centric.services.consent import counted_once, shared_marked
    from centric.services.listen import listen
    from centric.services.profiles import build_customer_profiles
    from centric.services.segments import refresh
    from centric.services.summary import build_customer_summary
    from centric.services.workspace_files import init_workspace, open_store
    from centric.store.snapshot import publish_snapshot
    from centric.workspace import Workspace

    files = write_inputs(root / "inputs")
    path = root / "ws"
    init_workspace(path)
    ws = Workspace(path)
    for name in ("customers", "orders", "order_lines", "events", "feedback", "consents"):
        ws.ingest(name, str(files[name]))
    with open_store(path) as (settings, store):
        build_customer_summary(store, cuts=settings.rfm_cuts)
        listen(store, settings)
        plant_models(store)
        build_customer_profiles(store, settings)
        refresh(path, store, settings, rebuild_profiles=False)
        # the events marked by consent, kept between runs as `centric run` keeps them (services/marked.py)
        with counted_once():
            shared_marked(store, settings, "customer_profiles")
        publish_snapshot(store, path)
    return path
