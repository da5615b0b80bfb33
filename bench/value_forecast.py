"""bench_insights --value-only: next-quarter net value per client on held-out quarters.

Same world as the churn benchmark (the demo generator with planted whole-client churn, see
``bench.insights``). Rolling origin: for each test date (the starts of the last ``quarters``
13-week spans whose outcome is known), every model is trained or calibrated only on what was
known on that date (snapshots every 28 days whose 13 weeks ended by it), then scored on the
clients with an order in the year before the test date.
"""

import time

import numpy as np
import pandas as pd

from insights.stats import value as V
from seeds import generator as gen
from twins.stats.api import score_pairs
from twins.stats.batch import batch_from_orders

from .insights import HISTORY_WEEKS, demo_lines, plant_client_churn

HORIZON_WEEKS = 13
METHODS = (
    "gradient boosting (quantile, CQR)",
    "twins sum (13-week euros)",
    "twins sum (8 weeks x 13/8, as stored)",
    "same as last quarter",
    "seasonal naive (same quarter last year)",
)


def twins_forecast(lines, as_of, technical, clients, horizon=HORIZON_WEEKS):
    """(C,) the twins' expected euros over the next 13 weeks, summed over each client's pairs
    (from their ``horizon``-week forecast scaled by 13 / ``horizon``)."""
    d = lines.loc[lines["date"] <= pd.Timestamp(as_of)]
    pairs = batch_from_orders(
        d,
        pd.Timestamp(as_of),
        HISTORY_WEEKS,
        families=np.arange(len(technical)),
        technical=technical,
        sort=True,
    )
    scores = score_pairs(pairs.batch, horizon=horizon)
    s = V.twins_sum(
        pairs.pair_client,
        scores.forecast_units,
        scores.params["unit_price"],
        scale=HORIZON_WEEKS / horizon,
    )
    return s.reindex(pd.Index(clients)).fillna(0.0).to_numpy()


def test_dates(end, quarters):
    last = pd.Timestamp(end) - pd.Timedelta(days=V.HORIZON_DAYS)
    return [last - pd.Timedelta(days=V.HORIZON_DAYS * i) for i in range(quarters - 1, -1, -1)]


def run(clients=1000, weeks=156, seed=7, end="2026-11-22", quarters=4, out=print, twins=True):
    t0 = time.perf_counter()
    raw, cal = demo_lines(clients, weeks, seed, end)
    lines, _ = plant_client_churn(raw, end, seed)
    technical = np.array([f.kind == "technical" for f in gen.FAMILIES])
    dates = test_dates(cal.end, quarters)
    out(
        f"value forecast: {clients} clients, {weeks} weeks to {cal.end}, {len(lines):,} lines "
        f"(planted whole-client churn as in the churn benchmark); {quarters} held-out quarters "
        f"starting {', '.join(str(d.date()) for d in dates)} ({time.perf_counter() - t0:.1f} s)"
    )
    cache = {}

    def frame(t):
        if t not in cache:
            cache[t] = V.training_frame(lines, [t])
        return cache[t]

    res = {m: [] for m in METHODS}
    n_train = []
    t_fit = t_twins = 0.0
    twins_q = {}
    for t in dates:
        train = V.snapshot_dates(t, n=10, step_days=28)
        parts = [frame(d) for d in train]
        Xtr = pd.concat([p[0].assign(snapshot=i) for i, p in enumerate(parts)])
        ytr = np.concatenate([p[1] for p in parts])
        Xte, yte = frame(t)
        n_train.append(len(ytr))
        tick = time.perf_counter()
        model = V.fit(Xtr, ytr)
        e, lo, hi = model.predict(Xte)
        t_fit += time.perf_counter() - tick
        res[METHODS[0]].append((yte, e, lo, hi))
        # The baselines' interval: residual quantiles over the training snapshots.
        for name, col in (
            (METHODS[3], "value_last_quarter"),
            (METHODS[4], "value_same_quarter_last_year"),
        ):
            q = V.residual_quantiles(Xtr[col].to_numpy(), ytr)
            p = np.maximum(Xte[col].to_numpy(), 0.0)
            res[name].append((yte, p, *V.empirical_interval(p, q)))
        if twins:
            # Calibrated on the newest date whose 13 weeks are known (one quarter before).
            tick = time.perf_counter()
            c = train[-1]
            Xc, yc = frame(c)
            for name, h in ((METHODS[1], HORIZON_WEEKS), (METHODS[2], 8)):
                q = V.residual_quantiles(twins_forecast(lines, c, technical, Xc.index, h), yc)
                p = twins_forecast(lines, t, technical, Xte.index, h)
                res[name].append((yte, p, *V.empirical_interval(p, q)))
                twins_q.setdefault(name, []).append(q)
            t_twins += time.perf_counter() - tick
    n_test = sum(len(r[0]) for r in res[METHODS[0]])
    out(
        f"train: 10 snapshots 28 days apart per test quarter ({min(n_train):,}-{max(n_train):,}"
        f" client-snapshots); test: {n_test:,} client-quarters"
    )
    out("")
    out(
        f"{'next-13-week net value':40s} {'MAE €':>8s} {'MAPE':>7s} {'WAPE':>6s}"
        f" {'80% cover':>9s} {'width €':>8s}"
    )
    figures = {}
    for name in METHODS:
        if not res[name]:
            continue
        y, e, lo, hi = (np.concatenate(x) for x in zip(*res[name], strict=True))
        m = V.metrics(y, e, lo, hi)
        m["width"] = float(np.median(hi - lo))
        figures[name] = m
        out(
            f"{name:40s} {m['mae']:8.0f} {m['mape']:7.1%} {m['wape']:6.1%}"
            f" {m['coverage']:9.1%} {m['width']:8.0f}"
        )
    y = np.concatenate([r[0] for r in res[METHODS[0]]])
    out(
        f"(MAPE over the {int((y > 0).sum()):,} client-quarters with a positive actual of "
        f"{len(y):,}; median actual {np.median(y):,.0f} €; width: median of high - low; "
        f"boosting {t_fit:.1f} s, twins {t_twins:.1f} s)"
    )
    for name, qs in twins_q.items():
        out(
            f"{name}: log1p residual quantiles (10 %, 90 %) per quarter: "
            + ", ".join(f"({a:+.2f}, {b:+.2f})" for a, b in qs)
        )
    # Room to grow on the last test quarter, from the forecast with the lowest MAE: how often
    # the flag's promise came true.
    best = min(figures, key=lambda k: figures[k]["mae"])
    y, e, lo, hi = res[best][-1]
    last_q = frame(dates[-1])[0]["value_last_quarter"].to_numpy()
    room = V.room_to_grow(e, last_q)
    flagged = room > 0
    if flagged.any():
        grew = y[flagged] >= V.ROOM_RATIO * np.maximum(last_q[flagged], 0)
        out(
            f"room to grow (forecast >= {V.ROOM_RATIO}x last quarter and >= "
            f"{V.ROOM_MIN_EUROS:.0f} € above it; {best}) as of {dates[-1].date()}: "
            f"{int(flagged.sum())}"
            f" clients; {grew.mean():.0%} of them did buy >= {V.ROOM_RATIO}x last quarter"
        )
    else:
        out(f"room to grow as of {dates[-1].date()}: no client flagged")
    return figures
