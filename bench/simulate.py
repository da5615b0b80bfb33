"""Synthetic (pair x week) histories with planted truth, vectorised (for benchmarks and tests).

Commodity pairs are lumpy, like the demo data: each week they order with probability 1/1..1/4
and an order holds ``NegBin(size 4)`` units with mean ``rate * season * lift / order_prob``; a
family seasonal pattern (August and Christmas dips) and two-week family campaigns (70% of pairs
respond with x1.8, then buy x0.7 the week after). Technical pairs buy after Log-Normal gaps.
Planted events start at week ``onset``: partial churn (units per order x 0.2-0.6), full churn
(no more purchases), technical silence (the last gaps lengthen x1.6, then nothing).
"""

from dataclasses import dataclass

import numpy as np

from twins.stats.api import PairBatch
from twins.stats.grid import iso_week_number

TRUTH_KINDS = ("", "partial_churn", "full_churn", "technical_deterioration")
#: Alert kinds that are not false alarms on a pair with the given planted event.
COMPATIBLE = {
    "partial_churn": {"partial_churn"},
    "full_churn": {"full_churn", "partial_churn", "suspicious_pause", "technical_deterioration"},
    "technical_deterioration": {"technical_deterioration", "suspicious_pause", "full_churn"},
}
FIRST_MONDAY = np.datetime64("2022-01-03")
#: Negative Binomial size of the units of one commodity order.
ORDER_NB_SIZE = 4.0


@dataclass
class Truth:
    kind: np.ndarray  # object (P,) planted event or ""
    onset: int  # column where events start
    drop: np.ndarray  # float (P,) share of demand lost (partial churn), else 0
    order_p: np.ndarray  # float (P,) weekly order probability (commodity), NaN for technical
    #: float (P, W) mean units of an order under normal buying (before the planted factor), NaN
    #: rows for technical pairs; only with ``simulate(..., oracle=True)``.
    order_mean: np.ndarray | None = None


def _season(n_families, week_start, rng):
    woy = iso_week_number(week_start)
    amp = rng.uniform(0.6, 1.2, n_families)[:, None]
    august = np.exp(-0.5 * ((woy - 33) / 1.6) ** 2)
    xmas = np.exp(-0.5 * (np.minimum(np.abs(woy - 52), np.abs(woy + 1)) / 0.8) ** 2)
    wave = 0.08 * np.sin(2 * np.pi * woy / 52.0)
    return np.clip(1.0 + amp * (wave - 0.5 * august - 0.4 * xmas), 0.1, None)


def simulate(
    n_pairs=10_000,
    n_weeks=168,
    onset=156,
    seed=0,
    n_families=8,
    technical_share=0.25,
    pairs_per_client=4,
    events=(0.05, 0.04, 0.05),
    dtype=np.float32,
    oracle=False,
):
    """Return ``(batch, truth)``; ``events`` = shares of partial churn, full churn (commodity
    pairs) and technical silence (technical pairs). ``oracle=True`` also fills
    ``truth.order_mean`` (the random stream is the same either way)."""
    rng = np.random.default_rng(seed)
    week_start = FIRST_MONDAY + np.arange(n_weeks) * np.timedelta64(7, "D")
    fam = rng.integers(0, n_families, n_pairs)
    tech_fam = np.arange(n_families) >= round(n_families * (1 - technical_share))
    tech = tech_fam[fam]
    client = np.arange(n_pairs) // pairs_per_client
    season = _season(n_families, week_start, rng)
    campaign = np.zeros((n_families, n_weeks), bool)
    for f in np.flatnonzero(~tech_fam):
        starts = rng.choice(
            np.arange(4, n_weeks - 2, 20), size=max(1, n_weeks // 40), replace=False
        )
        campaign[f, starts] = True
        campaign[f, starts + 1] = True
    start = np.where(rng.random(n_pairs) < 0.1, rng.integers(0, onset - 8, n_pairs), 0)
    alive = np.arange(n_weeks)[None, :] >= start[:, None]

    kind = np.full(n_pairs, "", dtype=object)
    u = rng.random(n_pairs)
    kind[u < events[0]] = "partial_churn"
    kind[(u >= events[0]) & (u < events[0] + events[1])] = "full_churn"
    kind[tech & (rng.random(n_pairs) < events[2]) & (kind == "")] = "technical_deterioration"
    kind[tech & ((kind == "partial_churn") | (kind == "full_churn"))] = ""
    kind[start > onset - 52] = ""
    drop = np.where(kind == "partial_churn", rng.uniform(0.4, 0.8, n_pairs), 0.0)

    units = np.zeros((n_pairs, n_weeks), dtype=dtype)
    purchase_days = None
    com = np.flatnonzero(~tech)
    rate = np.exp(rng.normal(np.log(10.0), 0.8, com.size))
    responder = rng.random(com.size) < 0.7
    lift = np.ones((com.size, n_weeks))
    cf = campaign[fam[com]]
    after = np.zeros_like(cf)
    after[:, 1:] = cf[:, :-1] & ~cf[:, 1:]
    lift = np.where(cf & responder[:, None], 1.8, lift)
    lift = np.where(after & responder[:, None], 0.7, lift)
    post = np.arange(n_weeks)[None, :] >= onset
    factor = np.where(post, 1.0 - drop[com][:, None], 1.0)
    factor = np.where(post & (kind[com] == "full_churn")[:, None], 0.0, factor)
    # Lumpy purchases: an order in a week with probability 1/1..1/4, then NegBin units.
    order_p = 1.0 / rng.choice([1, 2, 3, 4], size=com.size, p=[0.3, 0.35, 0.2, 0.15])
    pair_order_p = np.full(n_pairs, np.nan)
    pair_order_p[com] = order_p
    mean = rate[:, None] * season[fam[com]] * lift * factor * alive[com] / order_p[:, None]
    order_mean = None
    if oracle:
        order_mean = np.full((n_pairs, n_weeks), np.nan)
        order_mean[com] = rate[:, None] * season[fam[com]] * lift * alive[com] / order_p[:, None]
    qty = rng.negative_binomial(ORDER_NB_SIZE, ORDER_NB_SIZE / (ORDER_NB_SIZE + mean))
    units[com] = np.where(rng.random(mean.shape) < order_p[:, None], qty, 0)

    tix = np.flatnonzero(tech)
    if tix.size:
        med_gap = np.exp(rng.normal(np.log(5.0), 0.35, tix.size))  # weeks
        n_gaps = int(n_weeks / 1.5) + 2
        gaps = np.exp(np.log(med_gap)[:, None] + rng.normal(0, 0.3, (tix.size, n_gaps)))
        t = start[tix, None] + rng.uniform(0, 1, (tix.size, 1)) * med_gap[:, None]
        t = t + np.concatenate([np.zeros((tix.size, 1)), np.cumsum(gaps, 1)[:, :-1]], 1)
        det = (kind[tix] == "technical_deterioration")[:, None]
        stop = (kind[tix] != "")[:, None]
        # Deteriorating pairs: the two purchases before the onset come after lengthened gaps.
        before = (t < onset).sum(1)
        idx = np.arange(n_gaps)[None, :]
        stretch = det & (idx >= before[:, None] - 2) & (idx < before[:, None])
        t = np.where(stretch, t + 0.6 * med_gap[:, None] * (idx - before[:, None] + 3), t)
        week = np.floor(t).astype(np.int64)
        ok = (week < n_weeks) & ~(stop & (week >= onset))
        size = (
            rng.poisson(
                np.exp(rng.normal(np.log(6.0), 0.5, tix.size))[:, None] * np.ones((1, n_gaps))
            )
            + 1
        )
        rows = np.repeat(tix[:, None], n_gaps, 1)
        flat = rows[ok] * n_weeks + week[ok]
        # The order dates: the day of the week within each purchase week.
        day = np.floor(t[ok] * 7).astype(np.int64)
        purchase_days = (rows[ok], week_start[0] + day.astype("timedelta64[D]"))
        units.reshape(-1)[:] += np.bincount(
            flat, weights=size[ok], minlength=n_pairs * n_weeks
        ).astype(dtype)
    price = np.exp(rng.normal(np.log(20.0), 0.5, n_families))[fam]
    potential = np.where(
        rng.random(n_pairs) < 0.2,
        units[:, :52].sum(1) * price * rng.uniform(0.8, 2.2, n_pairs),
        np.nan,
    )
    batch = PairBatch(
        units=units,
        euros=(units * price[:, None]).astype(dtype),
        technical=tech,
        family=fam,
        client=client,
        campaign=campaign,
        potential=potential,
        week_start=week_start,
        n_clients=int(client.max()) + 1,
        n_families=n_families,
        purchase_days=purchase_days,
    )
    truth = Truth(kind=kind, onset=onset, drop=drop, order_p=pair_order_p, order_mean=order_mean)
    return batch, truth


def window(batch: PairBatch, end: int, n_weeks: int = 156) -> PairBatch:
    """The batch as of the week in column ``end - 1`` (the last ``n_weeks`` columns up to it)."""
    lo = max(0, end - n_weeks)
    return PairBatch(
        units=batch.units[:, lo:end],
        euros=batch.euros[:, lo:end],
        technical=batch.technical,
        family=batch.family,
        client=batch.client,
        campaign=batch.campaign[:, lo:end],
        potential=batch.potential,
        week_start=batch.week_start[lo:end],
        n_clients=batch.n_clients,
        n_families=batch.n_families,
        purchase_days=batch.purchase_days,  # score_pairs keeps the days in the window
    )
