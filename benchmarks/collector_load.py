"""Loading collected messages: `load_collected` of 1M spooled messages against a bare DuckDB read_json.

The spool holds realistic analytics.js-style messages in several sealed files: 60% track (product
and cart events, ~10 properties, 1% Order Completed with products), 30% page, 10% identify, each
with a context (library, page, userAgent, locale, ip), timestamp and sentAt; about 900 bytes a
line, the spool's own format (store/spool.py). Both sides run in this process on the same files,
each into a fresh database file:

- the anchor: `CREATE TABLE spool AS SELECT * FROM read_json([files])` (types detected, no
  validation), what a user would write to get the lines into DuckDB;
- a second reference, printed beside it: read_json with explicit columns and the message kept as
  JSON text (no detection, no typing of the message);
- centric: `load_collected` on a fresh workspace: reads, checks every message, quarantines,
  dedupes on messageId, corrects clocks, writes events, customers, orders and order lines, and
  records its progress, in one transaction.

Target: within 2x of the anchor. The two must agree: every message loaded is an event.
Timings on this shared 2-core machine drift, so each side runs `--repeat` times (alternating) and
the best times are compared; the medians are printed beside them, and each run's own ratio and the
CPU time each side used (every thread; steadier than wall time when other processes share the cores).

With ``--batch N`` centric loads the same messages spooled as batch records of N messages (what
`centric serve` writes for a common ``/v1/batch`` request: store/spool.py; each message without its own
sentAt, the batch's instead), while the anchor still reads the one-message-a-line files: the same
messages, each side in the layout it reads.

    python benchmarks/collector_load.py [--messages 1000000] [--files 5] [--repeat 2] [--batch 100]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from centric.config import Settings
from centric.store.collected import load_collected
from centric.store.connection import Store
from centric.store.spool import SPOOL_DIR

MESSAGE = """
CASE WHEN i % 10 < 6 THEN json_object(
    'type', 'track', 'messageId', 'm-' || i, 'anonymousId', 'anon-' || (hash(i) % 200000),
    'userId', CASE WHEN i % 2 = 0 THEN 'c' || (hash(i) % 100000) END,
    'event', CASE WHEN i % 100 = 0 THEN 'Order Completed' ELSE
        ['Product Viewed', 'Product Added', 'Cart Viewed', 'Checkout Started', 'Product List Viewed'][1 + i % 5] END,
    'properties', CASE WHEN i % 100 = 0 THEN json_object(
        'order_id', 'o-' || i, 'total', 60.5, 'shipping', 4.5, 'tax', 6, 'discount', 0, 'currency', 'EUR',
        'products', [json_object('sku', 'SKU-' || (i % 500), 'name', 'Tee', 'category', 'Apparel', 'price', 25, 'quantity', 1),
                     json_object('sku', 'SKU-' || (i % 300), 'name', 'Mug', 'category', 'Home', 'price', 25, 'quantity', 1)])
      ELSE json_object('product_id', 'p-' || (i % 5000), 'sku', 'SKU-' || (i % 5000), 'category', 'Apparel',
        'name', 'Product ' || (i % 5000), 'brand', 'Acme', 'variant', 'blue', 'price', 19.99 + (i % 50),
        'quantity', 1 + i % 3, 'currency', 'EUR', 'position', i % 20, 'url', 'https://shop.example/p/' || (i % 5000)) END,
    'context', ctx, 'timestamp', ts, 'sentAt', sent, 'integrations', json_object())
WHEN i % 10 < 9 THEN json_object(
    'type', 'page', 'messageId', 'm-' || i, 'anonymousId', 'anon-' || (hash(i) % 200000),
    'userId', CASE WHEN i % 3 = 0 THEN 'c' || (hash(i) % 100000) END, 'name', 'Product',
    'properties', json_object('path', '/p/' || (i % 5000), 'referrer', 'https://www.google.com/', 'search', '',
        'title', 'Product ' || (i % 5000), 'url', 'https://shop.example/p/' || (i % 5000)),
    'context', ctx, 'timestamp', ts, 'sentAt', sent, 'integrations', json_object())
ELSE json_object(
    'type', 'identify', 'messageId', 'm-' || i, 'anonymousId', 'anon-' || (hash(i) % 200000),
    'userId', 'c' || (hash(i) % 100000),
    'traits', json_object('email', 'c' || (hash(i) % 100000) || '@example.com', 'firstName', 'Ana', 'lastName', 'Puig',
        'gender', 'female', 'birthday', '1988-04-0' || (1 + i % 9), 'address', json_object('city', 'Girona', 'country', 'ES',
        'postalCode', '17001'), 'plan', 'gold', 'createdAt', '2025-01-02T10:00:00Z'),
    'context', ctx, 'timestamp', ts, 'sentAt', sent, 'integrations', json_object())
END"""


def cpu_seconds() -> float:
    """CPU time of this process, every thread (user + system): steadier than wall time when the machine is
    shared, as DuckDB's threads then wait for a core more than they work."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def make_spool(folder: Path, messages: int, files: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    per = -(-messages // files)
    paths = []
    for f in range(files):
        lo, hi = f * per, min(messages, (f + 1) * per)
        path = folder / f"1764410000000000000-4242-{f + 1:06d}.jsonl"
        con.execute(f"""COPY (SELECT 'm-' || i AS id, message->>'type' AS kind,
            strftime(TIMESTAMP '2026-11-01' + to_seconds(i // 20), '%Y-%m-%dT%H:%M:%S.%f+00:00') AS received_at,
            'key1' AS source, message FROM (SELECT i, {MESSAGE} AS message FROM (
              SELECT i, json_object('library', json_object('name', 'analytics.js', 'version', 'next-1.70.0'),
                'page', json_object('path', '/p/' || (i % 5000), 'url', 'https://shop.example/p/' || (i % 5000),
                                    'title', 'Shop', 'referrer', ''),
                'userAgent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
                'locale', 'es-ES', 'ip', '203.0.113.' || (i % 250)) AS ctx,
              strftime(TIMESTAMP '2026-11-01' + to_seconds(i // 20) - INTERVAL 2 SECOND, '%Y-%m-%dT%H:%M:%S.%fZ') AS ts,
              strftime(TIMESTAMP '2026-11-01' + to_seconds(i // 20) - INTERVAL 1 SECOND, '%Y-%m-%dT%H:%M:%S.%fZ') AS sent
              FROM range({lo}, {hi}) r(i))) ORDER BY i) TO '{path}' (FORMAT json)""")
        paths.append(path)
    con.close()
    return paths


def make_batch_spool(folder: Path, lines: list[Path], batch: int) -> list[Path]:
    """The messages of ``lines`` (make_spool's files) as batch records of ``batch`` messages each."""
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    paths = []
    for n, source in enumerate(lines, 1):
        path = folder / f"1764410000000000000-4243-{n:06d}.jsonl"
        con.execute(f"""COPY (SELECT 'batch' AS kind, min(received_at) AS received_at, 'key1' AS source,
                max(message->>'sentAt') AS sentAt, list(json_merge_patch(message, '{{"sentAt":null}}') ORDER BY n) AS batch
            FROM (SELECT *, row_number() OVER () AS n FROM read_json(?, format = 'newline_delimited', columns =
                  {{'received_at': 'VARCHAR', 'message': 'JSON'}}))
            GROUP BY (n - 1) // {batch} ORDER BY (n - 1) // {batch}) TO '{path}' (FORMAT json)""", [str(source)])
        paths.append(path)
    con.close()
    return paths


def bare_load(paths: list[Path], db: Path) -> tuple[float, float, int]:
    con = duckdb.connect(str(db))
    t, c = time.perf_counter(), cpu_seconds()
    con.execute("CREATE TABLE spool AS SELECT * FROM read_json(?)", [[str(p) for p in paths]])
    con.execute("CHECKPOINT")
    took, cpu = time.perf_counter() - t, cpu_seconds() - c
    rows = con.execute("SELECT count(*) FROM spool").fetchone()[0]
    con.close()
    return took, cpu, rows


def explicit_load(paths: list[Path], db: Path) -> float:
    """A second reference: read_json with explicit columns and the message kept as JSON text."""
    con = duckdb.connect(str(db))
    t = time.perf_counter()
    con.execute("CREATE TABLE spool AS SELECT * FROM read_json(?, format = 'newline_delimited', columns = "
                "{'id': 'VARCHAR', 'kind': 'VARCHAR', 'received_at': 'VARCHAR', 'source': 'VARCHAR', 'message': 'JSON'})",
                [[str(p) for p in paths]])
    con.execute("CHECKPOINT")
    took = time.perf_counter() - t
    con.close()
    return took


def centric_load(spool: Path, work: Path) -> tuple[float, float, object, dict]:
    settings = Settings(currency="EUR", timezone="Europe/Madrid")
    (work / SPOOL_DIR).symlink_to(spool)
    with Store(work / "centric.duckdb", timezone=settings.timezone) as store:
        t, c = time.perf_counter(), cpu_seconds()
        report = load_collected(store, work, settings)
        store.con.execute("CHECKPOINT")
        took, cpu = time.perf_counter() - t, cpu_seconds() - c
        counts = {t: store.count(t) for t in ("events", "customers", "orders", "order_lines", "quarantine")}
    return took, cpu, report, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--batch", type=int, default=0, help="centric loads batch records of this many messages")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="centric-bench-collector-"))
    try:
        t = time.perf_counter()
        paths = make_spool(root / "spool", args.messages, args.files)
        size = sum(p.stat().st_size for p in paths)
        print(f"spool: {args.messages:,} messages in {len(paths)} files, {size / 1e6:,.0f} MB "
              f"(written in {time.perf_counter() - t:.1f} s)")
        ours_folder = root / "spool"
        if args.batch:
            ours_folder = root / "batched"
            batched = make_batch_spool(ours_folder, paths, args.batch)
            print(f"centric loads them as batch records of {args.batch}: "
                  f"{sum(p.stat().st_size for p in batched) / 1e6:,.0f} MB; the anchor reads the files above")
        bare_times, ours, explicit, bare_cpu, our_cpu = [], [], [], [], []
        for r in range(args.repeat):
            db = root / f"bare{r}.duckdb"
            took, cpu, rows = bare_load(paths, db)
            db.unlink()
            bare_times.append(took)
            bare_cpu.append(cpu)
            explicit.append(explicit_load(paths, db))
            db.unlink()
            work = root / f"ws{r}"
            work.mkdir()
            took, cpu, report, counts = centric_load(ours_folder, work)
            shutil.rmtree(work)
            ours.append(took)
            our_cpu.append(cpu)
            assert rows == args.messages == report.messages_read, (rows, report.messages_read)
            assert counts["events"] == args.messages and counts["quarantine"] == 0, counts
            print(f"run {r + 1}: read_json {bare_times[-1]:.2f} s (CPU {bare_cpu[-1]:.1f} s), load_collected "
                  f"{ours[-1]:.2f} s (CPU {our_cpu[-1]:.1f} s), ratio {ours[-1] / bare_times[-1]:.2f}x; {counts}")
        best_bare, best = min(bare_times), min(ours)
        print(f"bare read_json (anchor): best {best_bare:.2f} s, median {statistics.median(bare_times):.2f} s")
        print(f"read_json, explicit columns, message as JSON text (reference): best {min(explicit):.2f} s")
        print(f"centric load_collected:  best {best:.2f} s, median {statistics.median(ours):.2f} s "
              f"({args.messages / best:,.0f} messages/s)")
        print(f"ratio: {best / best_bare:.2f}x (target <= 2x); CPU time (every thread): anchor best "
              f"{min(bare_cpu):.1f} s, load_collected best {min(our_cpu):.1f} s, {min(our_cpu) / min(bare_cpu):.2f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
