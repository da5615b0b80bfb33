"""Benchmark of the twins: detection quality on planted truth, band calibration and speed.

``python -m twins bench [--quick]`` and ``python manage.py bench_twins`` both call :func:`run`.
"""

import time

import numpy as np
from scipy import stats

from bench.oracle import churn_ceiling
from bench.simulate import COMPATIBLE, simulate, window
from twins.stats import commodity as cm
from twins.stats import dropout
from twins.stats.api import PairBatch, score_pairs
from twins.stats.fdr import DEFAULT_Q

HISTORY_WEEKS = 156
PAIRS_PER_REP = 300
#: The production default (settings.SCORING_FDR_Q) and the levels of the trade-off table.
FDR_Q = DEFAULT_Q
FDR_LEVELS = (0.05, 0.1, 0.2, 0.3)
#: The issue's target: recall within 6 weeks of the onset at least this, at this precision.
TARGET_RECALL = 0.8
TARGET_PRECISION = 0.7
CHURN_KINDS = ("partial_churn", "full_churn")
#: Weeks in which the oracles that do not know the onset look for a change point.
ONSET_LOOKBACK = 26
#: The oracles of bench.oracle.churn_ceiling, from the fair yardstick to the ceiling.
ORACLES = {
    "oracle rescored weekly": {"known_onset": False, "weekly": True},
    # The same, its precision counted as this detector's is (neutral: a partial-churn alert on
    # a full churn is neither right nor wrong, see churn_ceiling).
    "  same, precision as here": {"known_onset": False, "weekly": True, "neutral": True},
    "oracle, once at week 6": {"known_onset": False},
    "oracle knowing the onset": {"known_onset": True},
}
#: Fresh planted events in the speed data (1% partial, 1% full churn, 1% technical silence).
SPEED_EVENTS = (0.01, 0.01, 0.01)
LOSS_KINDS = ("partial_churn", "full_churn", "technical_deterioration")


def with_queues(batch, fdr_q: float = FDR_Q):
    """Give the batch rep queues of ``PAIRS_PER_REP`` pairs (BH then runs inside score_pairs)."""
    batch.queue = np.arange(batch.units.shape[0]) // PAIRS_PER_REP
    batch.fdr_q = fdr_q
    return batch


def quality(
    n_pairs: int,
    seed: int = 1,
    weeks_after: int = 8,
    max_delay: int = 6,
    fdr_q: float = FDR_Q,
    oracles: bool = True,
):
    """Replay weekly scorings from the week before the planted onsets; return table rows and
    calibration figures, with three oracles on the same histories (``oracles``: rescored weekly
    without the onset, once at week ``max_delay`` without it, once with it: the ceiling; none
    with ``oracles=False``)."""
    onset = HISTORY_WEEKS
    batch, truth = simulate(
        n_pairs, n_weeks=onset + weeks_after + 1, onset=onset, seed=seed, oracle=oracles
    )
    first_seen = {k: np.full(n_pairs, np.inf) for k in LOSS_KINDS}
    flagged = {k: np.zeros(n_pairs, bool) for k in LOSS_KINDS}
    inside = inside_pit = total = 0
    nominal = 0.0
    stable = (truth.kind == "") & ~batch.technical
    rng = np.random.default_rng(seed)
    for d in range(0, weeks_after + 1):
        view = with_queues(window(batch, onset + d, HISTORY_WEEKS), fdr_q)
        scores = score_pairs(view)
        kinds = scores.alert_kind
        if d < weeks_after:  # next-week band against the realised week
            y = batch.units[:, onset + d].astype(float)
            m = stable & scores.mature
            lo, hi = scores.band_low[m], scores.band_high[m]
            inside += int(((y[m] >= lo) & (y[m] <= hi)).sum())
            inside_pit += int(_pit_inside(scores, y, m, rng).sum())
            q_lo, q_hi = scores.params["band_low_q"][m], scores.params["band_high_q"][m]
            nominal += float(np.nansum(q_hi - q_lo))
            total += int(m.sum())
        if d == 0:
            continue
        for k in LOSS_KINDS:
            hit = kinds == k
            if d <= max_delay:
                flagged[k] |= hit
            new = hit & ~np.isfinite(first_seen[k])
            first_seen[k][new] = d
    rows = []
    for k in LOSS_KINDS:
        planted = truth.kind == k
        tp = (flagged[k] & planted).sum()
        ok = np.array([k in COMPATIBLE.get(t, ()) for t in truth.kind])
        fp = (flagged[k] & ~ok).sum()
        any_loss = (flagged[k] & (truth.kind != "")).sum()
        delays = first_seen[k][planted]
        within = np.isfinite(delays) & (delays <= max_delay)
        rows.append(
            {
                "kind": k,
                "planted": int(planted.sum()),
                "alerts": int(flagged[k].sum()),
                "precision": tp / max(tp + fp, 1),
                # The precision's numerator and denominator, for pooling over seeds.
                "true_alerts": int(tp),
                "judged_alerts": int(tp + fp),
                "caught": int(within.sum()),
                "loss_precision": any_loss / max(flagged[k].sum(), 1),
                "recall": within.mean() if planted.any() else 0.0,
                "recall_all": np.isfinite(delays).mean() if planted.any() else 0.0,
                "median_delay": float(np.median(delays[within])) if within.any() else float("nan"),
            }
        )
    partial = truth.kind == "partial_churn"
    caught = first_seen["partial_churn"][partial] <= max_delay
    by_drop = {
        f"{lo:.0%}-{lo + 0.1:.0%}": float(
            caught[(truth.drop[partial] >= lo) & (truth.drop[partial] < lo + 0.1)].mean()
        )
        for lo in (0.4, 0.5, 0.6, 0.7)
    }
    by_freq = {}
    for k in ("partial_churn", "full_churn"):
        planted = truth.kind == k
        for op in (1.0, 0.5, 1 / 3, 0.25):
            sel = planted & np.isclose(truth.order_p, op)
            by_freq[(k, round(1 / op))] = float((first_seen[k][sel] <= max_delay).mean())
    calib = {
        "recall_by_order_every": by_freq,
        "pairs_weeks": total,
        "coverage": inside / max(total, 1),
        "coverage_randomised": inside_pit / max(total, 1),
        "coverage_nominal": nominal / max(total, 1),
        "partial_recall_by_drop": by_drop,
        "oracles": {name: _oracle(batch, truth, max_delay, **kw) for name, kw in ORACLES.items()}
        if oracles
        else {},
    }
    return rows, calib


def _oracle(batch, truth, delay, **kw):
    rows = churn_ceiling(
        batch, truth, delay=delay, min_precision=TARGET_PRECISION, lookback=ONSET_LOOKBACK, **kw
    )
    return {r["kind"]: r for r in rows}


def _pit_inside(scores, y, m, rng):
    """Randomised PIT of the outcome inside [0.05, 0.95]: exactly 90% under a calibrated model."""
    a, b = scores.params["alpha"][m], scores.params["beta"][m]
    pa = scores.p_active[m] * (1 - dropout.WEEKLY_HAZARD)
    w = pa * scores.params["p_order"][m]
    # next week's seasonal factor, from expected_next = w (1 + s a / b)
    s = (scores.expected_next[m] / np.maximum(w, 1e-12) - 1.0) / np.maximum(a / b, 1e-12)
    r, p = cm.negbin_moments(a, b, s, s**2, scores.params["inv_k"][m])
    ym = y[m]
    below = cm.hurdle_cdf(ym - 1, r, p, w)
    at = cm.hurdle_cdf(ym, r, p, w) - below
    u = below + rng.random(ym.size) * at
    return (u >= 0.05) & (u <= 0.95)


def speed(sizes, n_weeks: int = HISTORY_WEEKS, seed: int = 2, workers: int = 2):
    """Fit + score time for each size (pairs tiled from one simulated block)."""
    block, _ = simulate(
        min(max(sizes), 100_000), n_weeks=n_weeks, onset=n_weeks - 4, seed=seed, events=SPEED_EVENTS
    )
    rows = []
    for n in sizes:
        batch = with_queues(_tile(block, n))
        t0 = time.perf_counter()
        score_pairs(batch, workers=workers)
        dt = time.perf_counter() - t0
        rows.append({"pairs": n, "seconds": dt, "pairs_per_second": n / dt})
        del batch
    return rows


def _tile(block, n):
    reps = -(-n // block.units.shape[0])
    idx = np.tile(np.arange(block.units.shape[0]), reps)[:n]
    shift = np.repeat(np.arange(reps), block.units.shape[0])[:n] * block.n_clients
    return PairBatch(
        units=block.units[idx],
        euros=block.euros[idx],
        technical=block.technical[idx],
        family=block.family[idx],
        client=block.client[idx] + shift,
        campaign=block.campaign,
        potential=block.potential[idx],
        week_start=block.week_start,
        n_clients=int(reps * block.n_clients),
        n_families=block.n_families,
    )


def loop_baseline(batch, horizon: int = 8):
    """A straightforward per-pair loop over scipy.stats doing the same core work: the hurdle's
    Beta and Gamma posteriors, the next-week band, the size and order-count tail tests per
    window, the zero-run probability (commodity); Log-Normal fit, survival and P75 / P90
    (technical)."""
    n_pairs, n_weeks = batch.units.shape
    windows = [m for m in cm.TEST_WINDOWS if m <= n_weeks // 3]
    w_all = 0.5 ** (np.arange(n_weeks)[::-1] / cm.HALF_LIFE_WEEKS)
    for i in range(n_pairs):
        y = batch.units[i].astype(float)
        if batch.technical[i]:
            weeks = np.flatnonzero(y > 0)
            gaps = np.diff(weeks) * 7.0
            if gaps.size >= 2:
                shape, _, scale = stats.lognorm.fit(gaps, floc=0)
                silence = (n_weeks - 1 - weeks[-1]) * 7.0
                stats.lognorm.sf(silence, shape, 0, scale)
                stats.lognorm.ppf([0.75, 0.9], shape, 0, scale)
            continue
        order = y > 0
        c = 1.0 + (w_all * order).sum()
        d = 1.0 + (w_all * ~order).sum()
        alpha = 1.0 + (w_all * np.where(order, y - 1, 0)).sum()
        beta = 1.0 + (w_all * order).sum()
        pi = c / (c + d)
        inner = np.clip((np.array([0.05, 0.95]) - (1 - pi)) / pi, 0, 1)
        stats.nbinom.ppf(inner, alpha, beta / (beta + 1.0))
        for m in windows:
            w = 0.5 ** (np.arange(n_weeks - m)[::-1] / cm.HALF_LIFE_WEEKS)
            base, recent = y[: n_weeks - m], y[n_weeks - m :]
            bo = base > 0
            cm_, dm = 1.0 + (w * bo).sum(), 1.0 + (w * ~bo).sum()
            am = 1.0 + (w * np.where(bo, base - 1, 0)).sum()
            bm = 1.0 + (w * bo).sum()
            n_ord = int((recent > 0).sum())
            extra = (recent[recent > 0] - 1).sum()
            stats.nbinom.cdf(extra, am, bm / (bm + max(n_ord, 1)))
            stats.betabinom.cdf(n_ord, m, cm_, dm)
        silence = n_weeks - 1 - np.flatnonzero(order)[-1] if order.any() else n_weeks
        stats.betabinom.pmf(0, silence, c, d)


def _pr(row):
    return f"{row['precision']:.3f} / {row['recall']:.3f}"


def run(quick: bool = False, out=print, workers: int = 1):
    """Run the whole benchmark and print its tables."""
    n_quality = 3_000 if quick else 30_000
    sizes = (2_000, 10_000) if quick else (10_000, 100_000, 1_000_000)
    n_loop = 1_000 if quick else 10_000
    out(
        f"Detection on planted truth: {n_quality} pairs x {HISTORY_WEEKS} weeks, rescored weekly "
        f"for 8 weeks after the onset, BH q={FDR_Q} per {PAIRS_PER_REP}-pair queue"
    )
    rows, calib = quality(n_quality)
    oracles = calib["oracles"]
    out(
        f"{'alert kind':<25}{'planted':>8}{'alerts<=6w':>11}{'precision':>10}{'any-loss':>9}"
        f"{'recall<=6w':>11}{'recall<=8w':>11}{'median delay (w)':>17}"
    )
    for r in rows:
        out(
            f"{r['kind']:<25}{r['planted']:>8}{r['alerts']:>11}{r['precision']:>10.3f}"
            f"{r['loss_precision']:>9.3f}{r['recall']:>11.3f}{r['recall_all']:>11.3f}"
            f"{r['median_delay']:>17.1f}"
        )
    drops = ", ".join(f"{k}: {v:.2f}" for k, v in calib["partial_recall_by_drop"].items())
    out(f"Partial churn recall within 6 weeks by size of the drop: {drops}")
    for k in CHURN_KINDS:
        by_freq = calib["recall_by_order_every"]
        yard = [o[k]["recall_by_order_every"] for o in oracles.values()]
        freq = ", ".join(
            f"every {n} w: {v:.2f} (oracles {'/'.join(f'{y[n]:.2f}' for y in yard)})"
            for (kk, n), v in by_freq.items()
            if kk == k
        )
        out(f"{k} recall within 6 weeks by order frequency (an order every n weeks): {freq}")
    out(
        f"Band calibration (stable mature commodity pairs, {calib['pairs_weeks']} pair-weeks): "
        f"share of next-week units inside the band = {calib['coverage']:.3f}; the band's own "
        f"coverage as computed (endpoints chosen nearest 90% on integer units, mean of "
        f"F(hi) - F(lo - 1)) = {calib['coverage_nominal']:.3f}; randomised-PIT share in "
        f"[0.05, 0.95] = {calib['coverage_randomised']:.3f}"
    )
    out("")
    out(
        f"Churn recall within 6 weeks against precision, by the BH level q of each queue "
        f"(target: recall >= {TARGET_RECALL} at precision >= {TARGET_PRECISION}):"
    )
    out(f"{'':<28}" + "".join(f"{k + ' P / R':>26}" for k in CHURN_KINDS))
    best = {k: (float("nan"), None) for k in CHURN_KINDS}
    for q in FDR_LEVELS:
        by_kind = {
            r["kind"]: r
            for r in (rows if q == FDR_Q else quality(n_quality, fdr_q=q, oracles=False)[0])
        }
        cells = []
        for k in CHURN_KINDS:
            r = by_kind[k]
            cells.append(_pr(r))
            if r["precision"] >= TARGET_PRECISION and not r["recall"] <= best[k][0]:
                best[k] = (r["recall"], q)
        out(f"{f'this detector, q={q}':<28}" + "".join(f"{c:>26}" for c in cells))
    out(
        f"{f'best at precision >= {TARGET_PRECISION}':<28}"
        + "".join(f"{f'{best[k][0]:.3f} (q={best[k][1]})':>26}" for k in CHURN_KINDS)
    )
    for name, oracle in oracles.items():
        out(f"{name:<28}" + "".join(f"{_pr(oracle[k]):>26}" for k in CHURN_KINDS))
    out(
        "The oracles (bench/oracle.py) know every pair's true order probability and order "
        "sizes, the law of the drop and the shares of planted events, and flag on the exact "
        "posterior at the threshold with the most recall at precision 0.7. The first three do "
        f"not know the onset (a change in any of the last {ONSET_LOOKBACK} weeks, equally "
        "likely): the first is rescored every week and its alerts stay, as this detector's do "
        "(the fair yardstick), and counts a partial-churn alert on a full churn as right; the "
        "second ('same, precision as here') counts it neither way, as this table does; the "
        "third looks once, at week 6. The last also knows the onset: no detector at all can "
        "beat it (the ceiling)."
    )
    out("")
    out(f"Speed, fit + score (workers={workers}), {HISTORY_WEEKS} weeks per pair:")
    out(f"{'pairs':>10}{'seconds':>10}{'pairs/s':>12}")
    speeds = speed(sizes, workers=workers)
    for r in speeds:
        out(f"{r['pairs']:>10}{r['seconds']:>10.2f}{r['pairs_per_second']:>12.0f}")
    block, _ = simulate(
        n_loop, n_weeks=HISTORY_WEEKS, onset=HISTORY_WEEKS - 4, seed=3, events=SPEED_EVENTS
    )
    t0 = time.perf_counter()
    loop_baseline(block)
    t_loop = time.perf_counter() - t0
    t_vec = float("inf")
    for _ in range(3):  # best of three (the loop runs once: 10k pairs average themselves)
        t0 = time.perf_counter()
        score_pairs(with_queues(block), workers=workers)
        t_vec = min(t_vec, time.perf_counter() - t0)
    loop_rate = n_loop / t_loop
    out(
        f"Per-pair scipy.stats loop on {n_loop} pairs: {t_loop:.2f} s ({loop_rate:.0f} pairs/s). "
        f"Vectorised on the same {n_loop} pairs (best of 3): {t_vec:.2f} s, "
        f"x{t_loop / t_vec:.0f}; at "
        f"{speeds[-1]['pairs']} pairs: x{speeds[-1]['pairs_per_second'] / loop_rate:.0f}"
    )
