"""Scale: `centric run` on shops of 1x, 10x and 100x the demo, each stage's time and peak memory.

1x is the demo shop (src/centric/demo: 20,000 customers, about 1.4M events), drawn once by the demo
generator and cached as Parquet. The demo generator is a faithful simulation but slow (it draws
every customer's life in Python), so a k-times shop is k copies of the 1x shop with every id
relabelled (customer, order, event, session, anonymous and feedback ids, e-mails, order ids inside
event properties; copy 0 keeps the original ids) and marketing spend multiplied by k: written by
DuckDB straight from the cached Parquet, at disk speed. The copies share dates and texts, so every
distribution (orders per customer, funnel shares, languages) is the demo's; only the counts grow.

Each size runs in a fresh Python process: the workspace is created (`Workspace.init`), every
table ingested through the validated ingest (`Workspace.ingest`, timed per table), then
`Workspace.run` with on_step marking each stage: a stage's time is from its start to the next
one's (the last one, kpis, includes publishing the server's snapshot). Peak memory per stage is
the process's resident high-water mark (VmHWM, reset through /proc/self/clear_refs as each stage
starts) plus the peak of its child processes (a Spark JVM), sampled every 0.1 s. CPU seconds per
stage (all threads of the process, DuckDB's included) are printed beside the wall seconds: on a
shared machine they are the steadier measure, and docs/scale.md's growth exponents use them.

The anchor, run in the same process on the same data: the customer summary as one hand-written
DuckDB query over the workspace's orders (the design guide's anchor: 0.55 s for 10M orders on a
quiet machine). Ratios to it survive a loaded machine better than seconds.

    python benchmarks/scale.py --sizes 1,10             # a quick look (an hour under load; listening is most of it)
    python benchmarks/scale.py --sizes 1,10,100         # the 2M-customer shop too (hours)
    python benchmarks/scale.py --sizes 100 --tables customers,orders --stages customer_summary,customer_value
    python benchmarks/scale.py --sizes 100 --event-parts 10   # the 142M events as ten files of 14M, one after another
    python benchmarks/scale.py --sizes 1 --engine spark  # on Spark local
    python benchmarks/scale.py --sizes 10 --keep && \
      python benchmarks/scale.py --profile /tmp/centric-scale/ws-10x-duckdb journey   # one stage, profiled

--engine spark is the hook for the Spark engine (`centric init --engine spark`, branch `spark`): it
passes engine="spark", spark_master (--spark-master, default local[2]) and warehouse
(<workspace>/warehouse) to Workspace.init, the Settings fields that branch adds, and refuses with a
one-line message while Settings has no `engine` field. The child JVM's memory is counted in each
stage's peak. docs/scale.md has the figures and what they mean.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_CUSTOMERS = 20_000
SEED = 7
TABLES = ("customers", "orders", "order_lines", "events", "feedback", "consents", "marketing_spend")
# the input each stage's work is proportional to, for its per-row cost
DRIVER = {
    "customers": "customers", "orders": "orders", "order_lines": "order_lines", "events": "events",
    "feedback": "feedback", "consents": "consents", "marketing_spend": "marketing_spend",
    "collected": "events", "identities": "events", "privacy_requests": "customers",
    "customer_summary": "orders", "customer_value": "customers", "feedback_insights": "feedback",
    "customer_profiles": "events", "segments": "customers", "personas": "customers",
    "journey": "events", "kpis": "events",
}


# -- the shops -------------------------------------------------------------------------------------
def base_shop(cache: Path, customers: int = BASE_CUSTOMERS) -> tuple[Path, float | None]:
    """The 1x demo shop as Parquet (generated once, then cached); (folder, seconds to generate or None)."""
    folder = cache / f"demo-{customers}-seed{SEED}"
    if all((folder / f"{t}.parquet").exists() for t in TABLES):
        return folder, None
    from centric.demo.shop import generate

    tmp = folder.with_suffix(".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    t = time.perf_counter()
    shop = generate(customers, SEED)
    took = time.perf_counter() - t
    for name in TABLES:
        shop.tables[name].to_parquet(tmp / f"{name}.parquet", index=False)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    (folder / "generated.json").write_text(json.dumps({"seconds": took}))
    return folder, took


def _tag(col: str) -> str:
    """col for copy 0, col~r for copy r (NULL stays NULL)."""
    return f"CASE WHEN r = 0 THEN {col} ELSE {col} || '~' || r END"


# per table: the columns replaced in each copy (SQL over the base table `b` and the copy number `r`)
RELABEL = {
    "customers": {"customer_id": _tag("customer_id"),
                  "email": "CASE WHEN r = 0 THEN email ELSE replace(email, '@', '+r' || r || '@') END"},
    "orders": {"order_id": _tag("order_id"), "customer_id": _tag("customer_id")},
    "order_lines": {"order_id": _tag("order_id")},
    "events": {"event_id": _tag("event_id"), "customer_id": _tag("customer_id"), "session_id": _tag("session_id"),
               "anonymous_id": _tag("anonymous_id"),
               # the demo's properties name an order as the whole object {"order_id": "O..."}
               "properties": "CASE WHEN r = 0 OR NOT starts_with(properties, '{\"order_id\": \"') THEN properties "
                             "ELSE left(properties, -2) || '~' || r || '\"}' END"},
    "feedback": {"feedback_id": _tag("feedback_id"), "customer_id": _tag("customer_id"), "order_id": _tag("order_id")},
    "consents": {"customer_id": _tag("customer_id")},
}


def event_parts(k: int, parts: int) -> list[tuple[int, int]]:
    """The copy ranges [lo, hi) of each part of the events when they load in `parts` files."""
    edges = [round(i * k / parts) for i in range(parts + 1)]
    return [(lo, hi) for lo, hi in zip(edges, edges[1:]) if hi > lo]


def part_files(folder: Path, k: int, parts: int) -> list[Path]:
    return [folder / f"events-part{lo:03d}-{hi:03d}.parquet" for lo, hi in event_parts(k, parts)]


def scaled_shop(base: Path, k: int, out: Path, tables=TABLES, parts: int = 1) -> dict[str, Path]:
    """k copies of the base shop's `tables` with relabelled ids (see the module's docstring), as Parquet;
    parts > 1 writes the events as that many files of whole copies (events-partLO-HI.parquet), the
    way a shop too large to load its events at once loads them (each file is atomic on its own)."""
    import duckdb

    if k == 1:
        return {t: base / f"{t}.parquet" for t in TABLES}
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    files = {}
    for table in tables:
        src, dst = base / f"{table}.parquet", out / f"{table}.parquet"
        files[table] = dst
        if table == "events" and parts > 1:
            for (lo, hi), dst in zip(event_parts(k, parts), part_files(out, k, parts)):
                if not dst.exists():
                    _copy(con, src, dst, table, lo, hi)
            continue
        if dst.exists():
            continue
        cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(src)]).fetchall()]
        if table == "marketing_spend":  # one row per day and campaign: the shop spends k times as much
            select = ", ".join(f"round(amount * {k}, 2) AS amount" if c == "amount" else c for c in cols)
            sql = f"SELECT {select} FROM read_parquet('{src}')"
            con.execute(f"COPY ({sql}) TO '{dst}.part' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
            os.replace(f"{dst}.part", dst)
        else:
            _copy(con, src, dst, table, 0, k)
    con.close()
    return files


def _copy(con, src: Path, dst: Path, table: str, lo: int, hi: int) -> None:
    """Copies lo..hi-1 of the base table `src`, relabelled, written to `dst`."""
    cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(src)]).fetchall()]
    swap = RELABEL[table]
    select = ", ".join(f"{swap[c]} AS {c}" if c in swap else c for c in cols)
    sql = f"SELECT {select} FROM read_parquet('{src}') b, range({lo}, {hi}) t(r)"
    con.execute(f"COPY ({sql}) TO '{dst}.part' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    os.replace(f"{dst}.part", dst)


def input_rows(folder: Path, base: Path | None = None, k: int = 1) -> dict[str, int]:
    """Rows per input file (from the Parquet footers); a table not written (--tables) counts k times
    the base shop's rows, as it would have."""
    import pyarrow.parquet as pq

    def rows(path):
        return pq.ParquetFile(path).metadata.num_rows

    return {t: rows(folder / f"{t}.parquet") if (folder / f"{t}.parquet").exists()
            else (1 if t == "marketing_spend" else k) * rows(base / f"{t}.parquet") for t in TABLES}


# -- memory ------------------------------------------------------------------------------------------
def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            m = re.search(r"VmRSS:\s+(\d+)", f.read())
        return int(m.group(1)) if m else 0
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


class Memory:
    """Peak resident memory of this process (VmHWM, reset per stage) and of its children (sampled)."""

    def __init__(self):
        self.child_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        me = os.getpid()
        while not self._stop.wait(0.1):
            self.child_peak = max(self.child_peak, sum(_rss_kb(p) for p in _children(me)))

    @staticmethod
    def _hwm_kb() -> int:
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))

    def reset(self):
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current RSS (Linux >= 4.0)
        except OSError:
            pass
        self.child_peak = 0

    def peak_mb(self) -> float:
        return (self._hwm_kb() + self.child_peak) / 1024

    def close(self):
        self._stop.set()


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process, all its threads (DuckDB's too), and of its children
    (a Spark JVM: those that have ended are counted by the kernel; a running JVM is not, so on Spark
    the CPU column is the Python side only). Under load CPU seconds are the steadier measure: wall
    seconds grow with the other processes' share of the cores, CPU seconds much less."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


# -- one size, in its own process -----------------------------------------------------------------
def init_kwargs(engine: str, workspace: Path, spark_master: str) -> dict:
    settings = {"shop_name": "Scale benchmark", "currency": "EUR", "timezone": "Europe/Madrid"}
    if engine == "duckdb":
        return settings
    from centric.config import Settings

    if "engine" not in getattr(Settings, "__dataclass_fields__", {}):
        raise SystemExit("scale.py: this checkout has no Spark engine yet (Settings has no `engine`): "
                         "run with --engine duckdb, or on a branch with `centric init --engine spark`")
    return {**settings, "engine": "spark", "spark_master": spark_master, "warehouse": str(workspace / "warehouse")}


def anchor_summary(workspace: Path) -> float:
    """Seconds of the hand-written DuckDB customer summary over the workspace's orders (the anchor)."""
    import duckdb

    con = duckdb.connect(str(workspace / "centric.duckdb"), read_only=True)
    t = time.perf_counter()
    con.execute("""
        WITH buys AS (SELECT customer_id, ordered_at, ordered_at::DATE AS day, net_merchandise AS value
                      FROM orders WHERE status = 'completed' AND customer_id IS NOT NULL AND net_merchandise > 0),
        days AS (SELECT customer_id, day, sum(value) AS v FROM buys GROUP BY ALL),
        per AS (SELECT customer_id, count(*) - 1 AS frequency, max(day) - min(day) AS recency,
                       min(day) AS first_day, (sum(v) - arg_min(v, day)) / greatest(count(*) - 1, 1) AS monetary
                FROM days GROUP BY customer_id)
        SELECT count(*), sum(frequency), sum(recency), sum(monetary) FROM per""").fetchall()
    took = time.perf_counter() - t
    con.close()
    return took


def run_one(k: int, data: Path, workspace: Path, engine: str, spark_master: str, out: Path,
            tables=TABLES, stages_wanted=None, resume: bool = False) -> dict:
    """Init, ingest `tables` and run every stage (or only `stages_wanted`, in run order, driven from
    services/run.py STEPS as run_all does, without publishing the snapshot); resume: keep the
    workspace and its data and only run the stages."""
    from centric import Workspace

    if not resume:
        shutil.rmtree(workspace, ignore_errors=True)
    ws = Workspace(workspace)
    if not resume:
        ws.init(**init_kwargs(engine, workspace, spark_master))
    mem = Memory()
    stages, order = {}, []
    previous = json.loads(Path(out).read_text()).get("stages", {}) if resume and Path(out).exists() else {}

    def mark(name):
        now, cpu = time.perf_counter(), cpu_seconds()
        if order:
            prev = order[-1]
            stages[prev] = {"seconds": now - stages[prev]["start"], "peak_mb": mem.peak_mb(),
                            "cpu_seconds": cpu - stages[prev]["cpu"], "load": os.getloadavg()[0]}
            print(f"  {k}x {prev:<26}{stages[prev]['seconds']:9.2f} s{stages[prev]['peak_mb']:8.0f} MB"
                  f"{stages[prev]['cpu_seconds']:9.2f} s CPU  load {stages[prev]['load']:.1f}", flush=True)
            partial = {**previous, **{n: stages[n] for n in order}}  # done so far, should the run be cut short
            Path(out).write_text(json.dumps({"k": k, "engine": engine, "partial": True, "stages": partial}))
        mem.reset()
        order.append(name)
        stages[name] = {"start": now, "cpu": cpu}

    parts = []  # the events loaded in parts: each part's seconds and peak
    for table in (() if resume else tables):
        mark(f"ingest:{table}")
        files = data[table] if isinstance(data[table], list) else [data[table]]
        if len(files) == 1:
            ws.ingest(table, str(files[0]))
            continue

        def part_started(path, started=[None]):  # noqa: B006 - the start of the part before
            now, cpu = time.perf_counter(), cpu_seconds()
            if started[0] is not None:
                parts.append({"file": started[0][0], "seconds": now - started[0][1], "peak_mb": mem.peak_mb(),
                              "cpu_seconds": cpu - started[0][2], "load": os.getloadavg()[0]})
                print(f"  {k}x   part {len(parts)}/{len(files)}{parts[-1]['seconds']:9.2f} s"
                      f"{parts[-1]['peak_mb']:8.0f} MB{parts[-1]['cpu_seconds']:9.2f} s CPU", flush=True)
                Path(out).with_suffix(".parts.json").write_text(json.dumps(parts))
            started[0] = (Path(path).name, now, cpu) if path is not None else None

        ws.ingest(table, *map(str, files), on_file=part_started)
        part_started(None)
    t_run = time.perf_counter()
    if stages_wanted is None:
        ws.run(on_step=mark)
    else:
        from centric.services.run import STEPS
        from centric.services.workspace_files import open_store

        with open_store(workspace) as (settings, store):
            for name, step in STEPS:
                if name in stages_wanted:
                    mark(name)
                    step(store, settings, workspace)
    mark("end")
    run_seconds = time.perf_counter() - t_run
    order.pop()
    stages.pop("end")
    mem.close()
    try:
        counts = {t: int(ws.sql(f"SELECT count(*) AS n FROM {t}")["n"].iloc[0]) for t in TABLES}
    except Exception:  # noqa: BLE001 - an engine whose `centric sql` differs: the counts are only shown
        counts = {}
    anchor = anchor_summary(workspace) if engine == "duckdb" and counts.get("orders") else None
    db = workspace / "centric.duckdb"
    done = {n: {key: stages[n][key] for key in ("seconds", "peak_mb", "cpu_seconds", "load")} for n in order}
    return {
        "k": k, "engine": engine, "rows": counts, "stages": {**previous, **done},
        "partial": stages_wanted is not None or tuple(tables) != TABLES or bool(previous),
        "run_seconds": run_seconds if stages_wanted is None else None, "anchor_summary_seconds": anchor,
        "database_mb": db.stat().st_size / 2**20 if db.exists() else None,
        "load": os.getloadavg(), "event_parts": parts,
    }


def profile_stage(workspace: Path, stage: str, top: int = 25) -> None:
    """Run one stage of `centric run` again on an existing workspace under cProfile; print the top
    functions by cumulative time (how the stages that grow worse than linearly were found)."""
    import cProfile
    import pstats

    from centric.services.run import STEPS
    from centric.services.workspace_files import open_store

    steps = dict(STEPS)
    if stage not in steps:
        raise SystemExit(f"scale.py: unknown stage {stage!r}: choose one of {', '.join(steps)}")
    with open_store(workspace) as (settings, store):
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.runcall(steps[stage], store, settings, workspace)
        print(f"{stage}: {time.perf_counter() - t:.2f} s")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


# -- the table ----------------------------------------------------------------------------------------
def report(results: list[dict], generated: dict) -> str:
    lines = []
    if generated.get("base_seconds"):
        lines.append(f"demo generator: {generated['customers']:,} customers in {generated['base_seconds']:.0f} s")
    for k, s in sorted(generated.get("copies", {}).items()):
        lines.append(f"{k}x shop written by copying the 1x Parquet: {s:.1f} s")
    head = f"{'stage':<26}" + "".join(f"{str(r['k']) + 'x s':>10}{'MB':>7}{'us/row':>10}{'cpu s':>9}{'cpu us/row':>11}"
                                      for r in results)
    if len(results) > 1:
        head += f"{'growth':>8}{'cpu gr.':>8}"
    lines += ["", f"engine: {results[0]['engine']}   input rows: " + "; ".join(
        f"{r['k']}x " + ", ".join(f"{t}={n:,}" for t, n in r["input_rows"].items()) for r in results), head]
    stages = list(dict.fromkeys(n for r in results for n in r["stages"]))
    nan = {"seconds": float("nan"), "peak_mb": float("nan")}
    for stage in stages:
        row = f"{stage:<26}"
        for r in results:
            s = r["stages"].get(stage, nan)
            n = r["input_rows"][DRIVER.get(stage.split(":")[-1], "events")]
            cpu = s.get("cpu_seconds", float("nan"))
            row += (f"{s['seconds']:>10.2f}{s['peak_mb']:>7.0f}{1e6 * s['seconds'] / max(n, 1):>10.1f}"
                    f"{cpu:>9.2f}{1e6 * cpu / max(n, 1):>11.1f}")
        if len(results) > 1:
            row += f"{growth(results, stage):>8.2f}{growth(results, stage, 'cpu_seconds'):>8.2f}"
        lines.append(row)
    done = [r for r in results if not r.get("partial")]
    lines.append(f"{'run (all stages)':<26}" + "".join(
        f"{r.get('run_seconds') or float('nan'):>10.1f}{'':>37}" for r in results))
    if any(r.get("anchor_summary_seconds") for r in done):
        lines.append(f"{'anchor: DuckDB summary':<26}" + "".join(
            f"{r.get('anchor_summary_seconds') or float('nan'):>10.3f}{'':>37}" for r in results))
        lines.append(f"{'summary / anchor':<26}" + "".join(
            f"{r['stages'].get('customer_summary', nan)['seconds'] / (r.get('anchor_summary_seconds') or float('nan')):>10.1f}{'':>37}"
            for r in results))
    lines.append("CPU: seconds of this process's threads and its ended children (steadier than wall seconds under load)")
    lines.append("load average (1 min) at the end of each size: " + ", ".join(
        f"{r['k']}x {r['load'][0]:.1f}" for r in results if r.get("load")))
    if len(done) < len(results):
        lines.append("cut short: " + ", ".join(f"{r['k']}x" for r in results if r.get("partial")))
    lines.append("growth: exponent b of time ~ rows^b between the two largest sizes with the stage (1 = linear)")
    return "\n".join(lines)


def growth(results: list[dict], stage: str, key: str = "seconds") -> float:
    have = [r for r in results if r["stages"].get(stage, {}).get(key) is not None]
    if len(have) < 2:
        return float("nan")
    a, b = have[-2], have[-1]  # the two largest: at 1x fixed costs hide the slope
    ta, tb = a["stages"][stage][key], b["stages"][stage][key]
    if ta <= 0.05 or tb <= 0:  # too short to tell
        return float("nan")
    return math.log(tb / ta) / math.log(b["k"] / a["k"])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="1,10", help="multiples of the demo shop, comma separated (1,10,100)")
    p.add_argument("--engine", default="duckdb", choices=["duckdb", "spark"])
    p.add_argument("--spark-master", default="local[2]")
    p.add_argument("--workdir", default="/tmp/centric-scale", help="shops and workspaces (tens of GB at 100x)")
    p.add_argument("--cache", default=None, help="where the 1x demo shop is cached (default: WORKDIR/cache)")
    p.add_argument("--keep", action="store_true", help="keep each size's workspace")
    p.add_argument("--customers", type=int, default=BASE_CUSTOMERS, help="customers of the 1x shop (the demo's 20,000)")
    p.add_argument("--json", default=None, help="also write the figures to this file")
    p.add_argument("--timeout", type=float, default=None, help="seconds per size; a size cut short reports its finished stages")
    p.add_argument("--tables", default=None, help="ingest only these tables (comma separated; default all)")
    p.add_argument("--stages", default=None, help="run only these stages of `centric run` (default all)")
    p.add_argument("--event-parts", type=int, default=1,
                   help="load the events in this many files of whole copies, one after another (for a shop whose "
                        "events do not fit one load; 10 at 100x is 14M events a file)")
    p.add_argument("--resume", action="store_true",
                   help="keep each size's workspace as it is (a --keep of an earlier run) and only run the stages")
    p.add_argument("--tabulate", action="store_true", help="print the table of the sizes' earlier result files")
    p.add_argument("--profile", nargs=2, metavar=("WORKSPACE", "STAGE"),
                   help="rerun one stage on a kept workspace (--keep) under cProfile")
    p.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)  # internal: run one size here
    p.add_argument("--data", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    workdir = Path(args.workdir)

    if args.profile:
        profile_stage(Path(args.profile[0]), args.profile[1])
        return
    if args.one is not None:
        data = {t: Path(args.data) / f"{t}.parquet" for t in TABLES}
        if args.event_parts > 1:
            data["events"] = part_files(Path(args.data), args.one, args.event_parts)
        result = run_one(args.one, data, workdir / f"ws-{args.one}x-{args.engine}", args.engine, args.spark_master,
                         Path(args.out), tables=tuple(args.tables.split(",")) if args.tables else TABLES,
                         stages_wanted=args.stages.split(",") if args.stages else None, resume=args.resume)
        Path(args.out).write_text(json.dumps(result))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    if args.tabulate:  # the table of earlier runs, from their result files
        results = []
        for k in sizes:
            result = json.loads((workdir / f"result-{k}x-{args.engine}.json").read_text())
            base = workdir / "cache" / f"demo-{args.customers}-seed{SEED}"
            result["input_rows"] = input_rows(base if k == 1 else workdir / f"shop-{k}x", base, k)
            results.append(result)
        print(report(results, {}))
        return
    cache = Path(args.cache) if args.cache else workdir / "cache"
    base, took = base_shop(cache, args.customers)
    if took is None and (base / "generated.json").exists():
        took = json.loads((base / "generated.json").read_text())["seconds"]
    generated = {"base_seconds": took, "customers": args.customers, "copies": {}}
    print(f"1x demo shop: {base}" + (f" (demo generator: {took:.0f} s)" if took else ""), flush=True)
    results = []
    for k in sizes:
        t = time.perf_counter()
        folder = base if k == 1 else workdir / f"shop-{k}x"
        scaled_shop(base, k, folder, tuple(args.tables.split(",")) if args.tables else TABLES, args.event_parts)
        if k > 1:
            generated["copies"][k] = time.perf_counter() - t
        out = workdir / f"result-{k}x-{args.engine}.json"
        print(f"{k}x: running ({args.engine}) ...", flush=True)
        cmd = [sys.executable, __file__, "--one", str(k), "--data", str(folder), "--out", str(out),
               "--workdir", str(workdir), "--engine", args.engine, "--spark-master", args.spark_master]
        cmd += [f"--{o}={getattr(args, o)}" for o in ("tables", "stages") if getattr(args, o)]
        cmd += [f"--event-parts={args.event_parts}"] if args.event_parts > 1 and k > 1 else []
        cmd += ["--resume"] if args.resume else []
        if not args.resume:
            out.unlink(missing_ok=True)
        child = subprocess.Popen(cmd)
        try:
            child.wait(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            child.kill()  # the stages done so far are in `out`
            child.wait()
            print(f"{k}x: stopped after {args.timeout:.0f} s; the stages done so far follow", flush=True)
        if not out.exists():
            raise SystemExit(f"{k}x: the run failed before its first stage (exit code {child.returncode})")
        result = json.loads(out.read_text())
        result["input_rows"] = input_rows(folder, base, k)
        results.append(result)
        if not args.keep and not args.resume:
            shutil.rmtree(workdir / f"ws-{k}x-{args.engine}", ignore_errors=True)
        print(report(results, generated), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"generated": generated, "results": results}, indent=1))


if __name__ == "__main__":
    main()
