"""CLV fits: centric against lifetimes 0.11.3 (the anchor), on the same simulated customers, in one run.

Data: customers drawn at the published CDNOW parameters, with CDNOW's shape (first purchases over
the first 12 weeks of a 39-week calibration, times recorded in days, so t_x and T are multiples
of 1/7 week): 1M customers for BG/NBD and Gamma-Gamma (spend simulated at p=6.25, q=3.74,
v=15.44), 100k for Pareto/NBD.

lifetimes needs numpy<2, pandas<2.3, scipy<1.14, setuptools<81, so it runs in its own venv
(`make bench-venv` builds .venv-bench) as a subprocess that reads the same .npz arrays and times
only its fit. centric's time includes everything its fit does (checks, compression, standard
errors). Targets: BG/NBD >= 20x, Pareto/NBD >= 20x, Gamma-Gamma >= 10x, parameters equal to 1e-3.

    python benchmarks/clv.py [--anchor-python .venv-bench/bin/python] [--customers 1000000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from centric.models.clv import BetaGeo, GammaGamma, ParetoNBD
from centric.models.clv.simulate import simulate_beta_geo, simulate_gamma_gamma, simulate_pareto_nbd

CDNOW_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_PNBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
CDNOW_GG = {"p": 6.25, "q": 3.74, "v": 15.44}

ANCHOR = r'''
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
kind, path = sys.argv[1], sys.argv[2]
d = pd.DataFrame(dict(np.load(path)))
t = time.perf_counter()
if kind == "bgnbd":
    m = BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
    params = {k: float(m.params_[k]) for k in ("r", "alpha", "a", "b")}
elif kind == "pareto":
    m = ParetoNBDFitter().fit(d["frequency"], d["recency"], d["T"])
    params = {k: float(m.params_[k]) for k in ("r", "alpha", "s", "beta")}
else:
    d = d[d["frequency"] > 0]
    m = GammaGammaFitter().fit(d["frequency"], d["monetary_value"])
    params = {k: float(m.params_[k]) for k in ("p", "q", "v")}
print(json.dumps({"seconds": time.perf_counter() - t, "params": params}))
'''


def cdnow_like(n: int, simulate, params: dict, rng) -> pd.DataFrame:
    """CDNOW's shape: ages 27-39 weeks in whole days, recency rounded down to whole days."""
    ages = (273 - rng.integers(0, 84, n)) / 7.0
    d = simulate(n, *params.values(), ages, rng)
    d["recency"] = np.floor(d["recency"] * 7.0) / 7.0
    return d


def run_anchor(python: str, kind: str, path: Path) -> dict:
    out = subprocess.run([python, "-c", ANCHOR, kind, str(path)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"lifetimes failed on {kind}:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def timed(fit) -> tuple[float, object]:
    t = time.perf_counter()
    model = fit()
    return time.perf_counter() - t, model


def max_rel_diff(a: dict, b: dict) -> float:
    return max(abs(a[k] - b[k]) / abs(b[k]) for k in b)


def report(name: str, ours: float, theirs: float, ours_params: dict, their_params: dict, target: float) -> bool:
    ratio = theirs / ours
    diff = max_rel_diff(ours_params, their_params)
    ok = ratio >= target and diff <= 1e-3
    print(f"{name:<26} centric {ours:7.3f} s   lifetimes {theirs:7.2f} s   {ratio:6.1f}x (target >= {target:.0f}x)"
          f"   params max rel diff {diff:.1e} {'OK' if ok else 'MISSED'}")
    print(f"{'':<26} centric   {json.dumps({k: round(v, 5) for k, v in ours_params.items()})}")
    print(f"{'':<26} lifetimes {json.dumps({k: round(v, 5) for k, v in their_params.items()})}")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--anchor-python", default=str(Path(__file__).resolve().parents[1] / ".venv-bench" / "bin" / "python"))
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--pareto-customers", type=int, default=100_000)
    args = ap.parse_args()
    if not Path(args.anchor_python).exists():
        sys.exit(f"no anchor interpreter at {args.anchor_python}: run `make bench-venv` first")
    rng = np.random.default_rng(2026)
    work = Path(tempfile.mkdtemp(prefix="centric-clv-bench-"))
    try:
        bg = cdnow_like(args.customers, simulate_beta_geo, CDNOW_BG, rng)
        bg["monetary_value"] = simulate_gamma_gamma(bg["frequency"], *CDNOW_GG.values(), rng)
        pnbd = cdnow_like(args.pareto_customers, simulate_pareto_nbd, CDNOW_PNBD, rng)
        np.savez(work / "bg.npz", **{c: bg[c].to_numpy() for c in bg.columns})
        np.savez(work / "pnbd.npz", **{c: pnbd[c].to_numpy() for c in pnbd.columns})
        print(f"data: {len(bg):,} customers (BG/NBD, {int((bg.frequency > 0).sum()):,} repeaters for Gamma-Gamma), "
              f"{len(pnbd):,} (Pareto/NBD); {len(bg.groupby(['frequency', 'recency', 'T'])):,} unique (x, t_x, T) rows")

        results = []
        ours_t, ours = timed(lambda: BetaGeo().fit(bg))
        anchor = run_anchor(args.anchor_python, "bgnbd", work / "bg.npz")
        results.append(report(f"BG/NBD, {len(bg):,}", ours_t, anchor["seconds"], ours.params_, anchor["params"], 20))

        ours_t, ours = timed(lambda: ParetoNBD().fit(pnbd))
        anchor = run_anchor(args.anchor_python, "pareto", work / "pnbd.npz")
        results.append(report(f"Pareto/NBD, {len(pnbd):,}", ours_t, anchor["seconds"], ours.params_, anchor["params"], 20))

        repeaters = bg[bg["frequency"] > 0]
        ours_t, ours = timed(lambda: GammaGamma().fit(repeaters))
        anchor = run_anchor(args.anchor_python, "gg", work / "bg.npz")
        results.append(report(f"Gamma-Gamma, {len(repeaters):,}", ours_t, anchor["seconds"], ours.params_,
                              anchor["params"], 10))
        print("all targets met" if all(results) else "some targets missed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
