"""Incremental `centric run`: one extra day of orders, events and feedback on the demo shop costs <= 15% of a full run.

Steps: the demo shop (centric.demo.shop.generate, 20k customers by default) is cut at its last day
(benchmarks/incremental_data.py); the base is loaded through the ingest users use and a full run is
timed; the last day is ingested (orders, lines, events, feedback) and the incremental run is timed;
a copy of that workspace is then run with --full on the same data, timed, and the two are compared:
deterministic outputs exactly, refitted ones within the stated tolerances (incremental_data.compare).
Prints wall-clock and CPU seconds (CPU: this process and its threads, steadier when the machine is
shared) of each run and the ratio incremental / full on the same data; target <= 0.15.

A single pair of runs swings by about a second of CPU either way on this 2-core machine (the full run
alone by 15%): `--rounds N` repeats the pair N times from the same saved base (the base copied back,
the last day ingested, the incremental run, then the full run on a copy) and prints each round's
ratio and the ratio of the medians.

`--cold` runs every `centric run` as cron does: a new process each time (`python -m centric.cli.main run`),
so each pays Python's imports, the first compiles that the SQL kept in the workspace does not serve
(store/compiled.py `persisted`) and the text models' loading; CPU is then the child process's (user +
system). Without it the runs share this process, which has imported and compiled before the incremental
run starts (the full run on the base comes first): the in-process figure, the one a `centric run --every`
loop or the server sees.

`--warm-days K` measures the day as a shop that runs every day meets it: the K days before it are left
out of the base too, and after the full run on the base they are ingested and run incrementally
(timed, not in the ratio), so the measured run is not the first incremental run after a full one. What that first run
pays and later ones do not: compiling the incremental path's expressions (a full run compiles other
ones, and the SQL kept in the workspace then serves them from the second run on). It also checks that
a chain of incremental runs still equals a full run on the same data.

    python benchmarks/incremental.py [--customers 20000] [--folder /tmp/centric-incremental] [--days 1] [--rounds 1] [--cold] [--warm-days 0]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET = 0.15


def timed(label: str, fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label}: {wall:8.1f} s wall, {cpu:8.1f} s CPU", flush=True)
    return result, wall, cpu


def _child_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def run_in_new_process(shop: Path, full: bool = False):
    """`centric run` in a new Python process (as from cron); returns its output's step lines."""
    command = [sys.executable, "-m", "centric.cli.main", "run", "-w", str(shop), *(["--full"] if full else [])]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return _Lines(done.stdout.splitlines())


class _Lines(list):
    def lines(self):
        return list(self)


def timed_cold(label: str, shop: Path, full: bool = False):
    wall, cpu = time.perf_counter(), _child_cpu()
    result = run_in_new_process(shop, full)
    wall, cpu = time.perf_counter() - wall, _child_cpu() - cpu
    print(f"{label} (new process): {wall:8.1f} s wall, {cpu:8.1f} s CPU", flush=True)
    return result, wall, cpu


def main() -> None:
    from benchmarks.incremental_data import build, compare, files_in, load
    from centric import Workspace

    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--folder", default="/tmp/centric-incremental")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="Keep the base and extra files a previous call loaded.")
    parser.add_argument("--rounds", type=int, default=1, help="Pairs of runs (incremental, full) from the same base.")
    parser.add_argument("--cold", action="store_true", help="Every run in a new process, as cron runs it.")
    parser.add_argument("--warm-days", type=int, default=0,
                        help="Days before the measured one, run incrementally (not in the ratio) after the full run on the base.")
    args = parser.parse_args()

    def run(label, path, full):
        if args.cold:
            return timed_cold(label, path, full)
        return timed(label, lambda: Workspace(path).run(full=full))

    folder = Path(args.folder)
    if args.reuse:  # the base again: the previous call's copy made before the last day was ingested
        if (folder / "before").is_dir():
            shutil.rmtree(folder / "shop")
            (folder / "before").rename(folder / "shop")
        shutil.rmtree(folder / "full", ignore_errors=True)
        (folder / "shop" / "run.lock").unlink(missing_ok=True)
        shop, extra = folder / "shop", files_in(folder / "extra")
    else:
        shutil.rmtree(folder, ignore_errors=True)
        (shop, extra), _, _ = timed(f"demo shop of {args.customers:,} customers, base loaded",
                                    lambda: build(folder, args.customers, days_back=args.days,
                                                  warm_days=args.warm_days))
    warm = files_in(folder / "warm")
    if bool(warm) != bool(args.warm_days):  # only with --reuse: the folder was built with another --warm-days
        raise SystemExit(f"{folder} was built {'with' if warm else 'without'} --warm-days: pass the same, "
                         "or build anew without --reuse")
    if warm and args.reuse:
        # the base kept by the last call holds the warm-up days, and its kept SQL (the workspace's file,
        # which a full run adds to and does not empty) the incremental path's expressions
        first, full_wall, full_cpu = run("full run on the base and the warm-up days", shop, True)
    else:
        first, full_wall, full_cpu = run("full run on the base", shop, True)
        if warm:
            timed(f"ingest of the {args.warm_days} warm-up day(s)", lambda: load(shop, warm))
            run(f"incremental run of the {args.warm_days} warm-up day(s) (not in the ratio)", shop, False)
    shutil.copytree(shop, folder / "before")
    pairs = []
    for k in range(args.rounds):
        if k:  # the base again, as the first round found it
            shutil.rmtree(shop)
            shutil.copytree(folder / "before", shop)
            shutil.rmtree(folder / "full", ignore_errors=True)
            print(f"round {k + 1}:", flush=True)
        timed(f"ingest of the last {args.days} day(s)", lambda: load(shop, extra))
        steps, inc_wall, inc_cpu = run("incremental run", shop, False)
        print("\n".join("  " + line for line in steps.lines()), flush=True)
        shutil.copytree(shop, folder / "full", ignore=shutil.ignore_patterns("run.lock"))
        # the full run on the same data starts from the incremental run's workspace, its ledger ignored
        again, same_wall, same_cpu = run("full run on the same data", folder / "full", True)
        figures = compare(shop, folder / "full", folder / "before")
        for name, value in figures.items():
            print(f"  {name}: {value:.4g}" if isinstance(value, float) else f"  {name}: {value}")
        print(f"incremental / full on the same data: {inc_wall / same_wall:.3f} wall, {inc_cpu / same_cpu:.3f} CPU "
              f"(target <= {TARGET}); incremental / first full run: {inc_wall / full_wall:.3f} wall", flush=True)
        pairs.append((inc_wall, inc_cpu, same_wall, same_cpu))
    if len(pairs) > 1:
        med = [statistics.median(p[i] for p in pairs) for i in range(4)]
        print(f"medians of {len(pairs)} rounds: incremental {med[0]:.1f} s wall / {med[1]:.1f} s CPU, full "
              f"{med[2]:.1f} s wall / {med[3]:.1f} s CPU; ratio of the medians {med[0] / med[2]:.3f} wall, "
              f"{med[1] / med[3]:.3f} CPU (target <= {TARGET})")
    print("results: deterministic outputs equal, refitted ones within tolerance (incremental_data.compare)")


if __name__ == "__main__":
    main()
