"""How the pipeline-level win-rate alert finds the planted segment drop, against simpler
tests, over many planted-truth pipelines (pure: numpy/pandas; no database).

The planted truth (``seeds.deals``): only ``DRIFT_SEGMENT`` (Retail) loses more in the last
quarter; region, rep, lead source and deal size carry no drift of their own. A flag on any
other segment is either an echo of the Retail drop (regions and reps hold Retail deals) or
chance.
"""

import time

import numpy as np
import pandas as pd

from deals.pipeline_alerts import DIMENSIONS, DROP_FDR, RECENT_DAYS, WINDOW_DAYS
from deals.stats import pipeline as P
from seeds.deals import DRIFT_SEGMENT, generate


def _closed(n, seed, end):
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(14,)))
    deals, _, _ = generate(rng, n, end=end)
    end = pd.Timestamp(end)
    closed = P.closed_deals(deals, as_of=end, start=end - pd.Timedelta(days=WINDOW_DAYS - 1))
    return closed.assign(size=P.size_band(closed["amount"])), end - pd.Timedelta(days=RECENT_DAYS)


def methods(closed, since):
    """``{method: [(dimension, segment), ...]}`` of the segments each method flags."""
    per_dim = []
    for dim in DIMENSIONS:
        d = P.win_rate_drops(closed, dim, since, q=DROP_FDR)
        per_dim += [(dim, s) for s in d.loc[d["dropped"], "segment"]]
    raw = []
    for dim in DIMENSIONS:
        d = P.win_rate_drops(closed, dim, since, q=1.0)
        raw += [(dim, s) for s, p in zip(d["segment"], d["p"], strict=True) if p < 0.05]
    across = P.win_rate_drops_across(closed, DIMENSIONS, since, q=DROP_FDR)
    drivers = P.win_rate_drop_drivers(closed, DIMENSIONS, since, q=DROP_FDR)
    return {
        "p < 0.05 per segment, no correction": raw,
        "BH within each dimension": per_dim,
        "one BH over all dimensions": list(
            zip(
                across.loc[across["dropped"], "dimension"],
                across.loc[across["dropped"], "segment"],
                strict=True,
            )
        ),
        "drivers, one at a time (ours)": list(
            zip(drivers["dimension"], drivers["segment"], strict=True)
        ),
    }


def run(*, sizes=(1000, 2000, 4000), seeds=range(1, 11), end="2026-11-29", out=print):
    start = time.perf_counter()
    planted = ("segment", DRIFT_SEGMENT)
    out(
        f"Win-rate drop alerts on planted-truth pipelines ({len(list(seeds))} seeds per size, "
        f"to {end}; last {RECENT_DAYS} days against the {WINDOW_DAYS - RECENT_DAYS} before; "
        f"FDR {DROP_FDR:g}; planted: {DRIFT_SEGMENT} only)."
    )
    out(f"  {'deals':>5}  {'method':<38} {'Retail found':>12} {'other flags/run':>16}")
    for n in sizes:
        found, other = {}, {}
        for seed in seeds:
            closed, since = _closed(n, seed, end)
            for name, flags in methods(closed, since).items():
                found[name] = found.get(name, 0) + (planted in flags)
                other[name] = other.get(name, 0) + sum(f != planted for f in flags)
        k = len(list(seeds))
        for name in found:
            out(f"  {n:>5}  {name:<38} {found[name]:>7} / {k:<3} {other[name] / k:>16.1f}")
    out(f"({time.perf_counter() - start:.1f} s)")
