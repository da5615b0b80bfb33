"""score_pairs: fit every pair's twin and derive its signals, in chunks of pairs.

Three passes, each vectorised over a chunk of pairs (loops run over chunks and families only):
(1) family seasonal index and (2) baseline rates -> family priors, weekly dispersion and campaign
lift, both on an even sample of at most ``SAMPLE_PAIRS`` pairs; (3) over every pair: posteriors,
bands, dropout, signals; then BH (when the batch has queues) and evidence for the alerts.
"""

import multiprocessing as mp
import time

import numpy as np

from . import commodity as cm
from . import dropout, technical
from . import potential as pot_rules
from .clients import client_signals
from .detect import score_chunk
from .evidence import build_evidence
from .fdr import fdr_select
from .fit import Chunk, fit_technical
from .grid import iso_week_number
from .rules import POST_CAMPAIGN_WEEKS
from .types import STATE_NAMES, Context, PairBatch, PairScores, empty_scores

#: Pairs fitted at once: 20k x 156 weeks of float32 is 12 MB, so the temporaries stay in cache.
CHUNK_PAIRS = 20_000
#: Pairs (evenly spaced) used for the family-level estimates: seasonality, priors, dispersion.
SAMPLE_PAIRS = 200_000


def _chunks(n, size=CHUNK_PAIRS):
    """Slices of at most ``size`` consecutive pairs out of ``n``."""
    for lo in range(0, n, size):
        yield slice(lo, min(n, lo + size))


def _masks(units, fam, campaign):
    """(history, valid, campaign) masks of a chunk: valid = after the first purchase and not
    campaign-affected."""
    n_weeks = units.shape[1]
    bought = units > 0
    first = np.where(bought.any(1), bought.argmax(1), n_weeks)
    hist = np.arange(n_weeks)[None, :] >= first[:, None]
    camp_f = campaign.copy()
    for lag in range(1, POST_CAMPAIGN_WEEKS + 1):
        camp_f[:, lag:] |= campaign[:, :-lag]
    camp = campaign[fam]
    # The first purchase only marks where the history starts: a week chosen because it has an
    # order would bias the order frequency and the seasonal index of the first weeks upward.
    after_first = np.arange(n_weeks)[None, :] > first[:, None]
    return hist, after_first & ~camp_f[fam], camp, first


def _future_weeks(week_start, horizon):
    return week_start[-1] + np.arange(1, horizon + 1) * np.timedelta64(7, "D")


def score_pairs(batch: PairBatch, horizon: int = 8, workers: int = 1) -> PairScores:
    """Fit every pair's twin on ``batch`` and derive its candidate signals.

    ``workers`` > 1 forks that many processes for the per-chunk work.
    """
    units = np.asarray(batch.units)
    n_pairs, n_weeks = units.shape
    fam = np.asarray(batch.family, dtype=np.int64)
    cli = np.asarray(batch.client, dtype=np.int64)
    n_fam = batch.n_families or (int(fam.max()) + 1 if n_pairs else 0)
    n_cli = batch.n_clients or (int(cli.max()) + 1 if n_pairs else 0)
    campaign = np.zeros((n_fam, n_weeks), dtype=bool)
    if batch.campaign is not None and np.size(batch.campaign):
        campaign[:] = np.asarray(batch.campaign, dtype=bool)[:n_fam]
    week_start = np.asarray(batch.week_start, dtype="datetime64[D]")
    if n_pairs == 0:
        return empty_scores(0)
    clock = _Clock()
    tech = np.asarray(batch.technical, dtype=bool)
    ctx = _family_context(units, fam, n_fam, campaign, week_start, horizon, clock, tech)
    if batch.potential_reach is not None:
        ctx.potential_reach = np.asarray(batch.potential_reach, dtype=float)
    else:
        ctx.potential_reach = _potential_reach(
            units, np.asarray(batch.euros), fam, batch.potential, n_fam
        )
    # Technical twin over all technical pairs at once (gaps are sparse).
    tech_idx = np.flatnonzero(tech)
    tech_pos = np.full(n_pairs, -1)
    tech_pos[tech_idx] = np.arange(tech_idx.size)
    days = _technical_days(batch.purchase_days, tech_pos, week_start)
    tech_fit = fit_technical(units[tech_idx], fam[tech_idx], n_fam, horizon, days)
    clock("technical")
    chunk_of = _Chunker(
        units, np.asarray(batch.euros), fam, tech, campaign, batch.potential, tech_pos
    )
    out, state = _fit_chunks(chunk_of, n_pairs, ctx, tech_fit, workers)
    clock("commodity_and_signals")
    if batch.queue is not None:
        keep = fdr_select(out.p_value, np.asarray(batch.queue), batch.fdr_q)
        out.alert_kind[~keep] = ""
    _explain(out, state, chunk_of, ctx, tech_fit, workers)
    clock("evidence")
    out.extra = client_signals(
        out, state, fam, cli, units, chunk_of.euros, n_cli, n_fam, horizon, chunk_of.potential
    )
    clock("client_signals")
    out.timings = clock.laps
    return out


def _family_context(units, fam, n_fam, campaign, week_start, horizon, clock, tech=None):
    """Family-level estimates on an even sample of at most SAMPLE_PAIRS pairs: (1) seasonal
    index, (2) baseline rates -> priors, weekly dispersion and campaign lift."""
    n_pairs, n_weeks = units.shape
    recent = min(cm.RECENT_WEEKS, max(n_weeks - 1, 1))
    base_end = n_weeks - recent
    sample = np.arange(0, n_pairs, max(1, -(-n_pairs // SAMPLE_PAIRS)))

    # Pass 1: family mean units per live pair per week -> seasonal index.
    tot = np.zeros((n_fam, n_weeks))
    live = np.zeros((n_fam, n_weeks))
    sample_valid = []  # reused by pass 2
    rfm = []  # (x, tx, n) of the sample for the family dropout fit
    for idx in _sample_chunks(sample):
        u, f = units[idx], fam[idx]
        rfm.append(dropout.rfm_weeks(u))
        _, valid, _, _ = _masks(u, f, campaign)
        sample_valid.append(valid)
        for k in np.unique(f):
            rows = f == k
            v = valid[rows]
            tot[k] += np.where(v, u[rows], 0).sum(0)
            live[k] += v.sum(0)
    index = _index_from_totals(tot, live, week_start)
    clock("seasonality")
    woy = iso_week_number(week_start)
    season = index[:, woy].astype(np.float32)  # (F, W)
    season_next = index[:, iso_week_number(_future_weeks(week_start, horizon))]  # (F, H)

    # Pass 2: baseline rates (no forgetting) of the sample -> priors, dispersion, campaigns.
    parts = [
        _baseline(units[idx], fam[idx], campaign, season, base_end, valid)
        for idx, valid in zip(_sample_chunks(sample), sample_valid, strict=True)
    ]
    del sample_valid
    cols = [np.concatenate(col) for col in zip(*parts, strict=True)]
    rate_hat, expo, rate_mean, rate_var, n_ord, freq, n_val = cols[:7]
    camp_obs, camp_exp, post_obs, post_exp = cols[7:]
    fs = fam[sample]
    a0, b0 = cm.family_prior(rate_hat, expo, fs, n_fam)
    inv_k = cm.family_dispersion(rate_mean, rate_var, n_ord, fs, n_fam)
    c0, d0 = cm.family_beta_prior(freq, n_val, fs, n_fam)
    camp_y = np.bincount(fs, weights=camp_obs, minlength=n_fam)
    camp_e = np.bincount(fs, weights=camp_exp, minlength=n_fam)
    fam_lift = np.where(camp_e > 0, camp_y / np.maximum(camp_e, 1e-9), np.nan)
    post_y = np.bincount(fs, weights=post_obs, minlength=n_fam)
    post_e = np.bincount(fs, weights=post_exp, minlength=n_fam)
    fam_post_lift = np.where(post_e > 0, post_y / np.maximum(post_e, 1e-9), np.nan)
    clock("priors")
    x, tx, n = (np.concatenate(col) for col in zip(*rfm, strict=True))
    # The dropout of the commodity twin (technical pairs have their own gap survival).
    com = np.ones(fs.size, bool) if tech is None else ~tech[sample]
    bgbb = dropout.fit_family_bgbb(x[com], tx[com], n[com], fs[com], n_fam)
    clock("dropout")
    return Context(
        week_start=week_start,
        horizon=horizon,
        recent=recent,
        a0=a0,
        b0=b0,
        c0=c0,
        d0=d0,
        inv_k=inv_k,
        season=season,
        season_next=season_next,
        fam_lift=fam_lift,
        fam_post_lift=fam_post_lift,
        campaign=campaign,
        bgbb=bgbb,
    )


def _technical_days(purchase_days, tech_pos, week_start):
    """The batch's purchase days of its technical pairs as ``(row in the technical fit, day
    from the Monday of column 0)``, sorted; None when the batch carries no purchase days."""
    if purchase_days is None or not len(week_start):
        return None
    pair = np.asarray(purchase_days[0], dtype=np.int64)
    day = (np.asarray(purchase_days[1], dtype="datetime64[D]") - week_start[0]).astype(np.int64)
    n_days = len(week_start) * 7
    keep = (tech_pos[pair] >= 0) & (day >= 0) & (day < n_days)
    row, day = tech_pos[pair[keep]], day[keep]
    order = np.lexsort((day, row))
    return row[order], day[order].astype(float)


def _potential_reach(units, euros, fam, potential, n_fam):
    """(F,) the family reach of stated potentials over the whole batch
    (:func:`twins.stats.potential.family_reach`)."""
    potential = np.asarray(potential, dtype=float)
    has = np.flatnonzero(np.nan_to_num(potential) > 0)
    n_weeks = units.shape[1]
    share = np.full(has.size, np.nan)
    hist = np.zeros(has.size)
    for sl in _chunks(has.size):
        rows = has[sl]
        bought = units[rows] > 0
        first = np.where(bought.any(1), bought.argmax(1), n_weeks)
        hist[sl] = n_weeks - first
        e52, e_long = pot_rules.annual_levels(euros[rows], hist[sl])
        share[sl] = np.where(
            hist[sl] > 0, pot_rules.shares(e52, e_long, potential[rows])[1], np.nan
        )
    return pot_rules.family_reach(share, hist, fam[has], n_fam)


class _Chunker:
    """The batch's per-pair arrays; ``chunker(sl)`` is the :class:`Chunk` of slice ``sl``."""

    def __init__(self, units, euros, fam, tech, campaign, potential, tech_pos):
        self.units, self.euros, self.fam, self.tech = units, euros, fam, tech
        self.campaign, self.tech_pos = campaign, tech_pos
        self.potential = np.asarray(potential, dtype=float)

    def __call__(self, sl):
        _, valid, camp, first = _masks(self.units[sl], self.fam[sl], self.campaign)
        return Chunk(
            units=self.units[sl],
            euros=self.euros[sl],
            family=self.fam[sl],
            technical=self.tech[sl],
            valid=valid,
            camp=camp,
            first=first,
            potential=self.potential[sl],
            tech_pos=self.tech_pos[sl],
        )


def _fit_chunks(chunk_of, n_pairs, ctx, tech_fit, workers):
    """(1) posteriors, bands, dropout and signals of every pair, chunk by chunk, on ``workers``
    processes; returns the scores (without evidence) and the per-pair state."""
    out = empty_scores(n_pairs)
    state = {name: np.zeros(n_pairs) for name in STATE_NAMES}

    def fit(sl):
        """Scores of one chunk, as (slice, local PairScores, local state)."""
        n = sl.stop - sl.start
        local, local_state = empty_scores(n), {k: np.zeros(n) for k in state}
        score_chunk(local, local_state, slice(0, n), ctx, chunk_of(sl), tech_fit)
        local.evidence = None
        return sl, local, local_state

    for sl, local, local_state in _map(fit, list(_chunks(n_pairs)), workers):
        for name in _ARRAY_FIELDS:
            getattr(out, name)[sl] = getattr(local, name)
        for name, arr in local.params.items():
            out.params[name][sl] = arr
        for name, arr in local_state.items():
            state[name][sl] = arr
    return out, state


def _explain(out, state, chunk_of, ctx, tech_fit, workers):
    """Clear the score and stake of pairs without an alert; evidence for those with one."""
    none = out.alert_kind == ""
    out.alert_score[none] = 0.0
    out.at_stake[none] = 0.0
    alerted = np.flatnonzero(~none)
    step = max(1, -(-alerted.size // max(workers, 1)))
    step = min(step, CHUNK_PAIRS // 4)
    units, fam, potential, tech_pos = (
        chunk_of.units,
        chunk_of.fam,
        chunk_of.potential,
        chunk_of.tech_pos,
    )

    def explain(lo):
        return build_evidence(
            out, state, alerted[lo : lo + step], units, fam, potential, ctx, tech_fit, tech_pos
        )

    for part in _map(explain, list(range(0, alerted.size, step)), workers):
        for i, ev in part:
            out.evidence[i] = ev


class _Clock:
    """Seconds per named phase."""

    def __init__(self):
        self.laps = {}
        self.last = time.perf_counter()

    def __call__(self, name):
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 3)
        self.last = now


_ARRAY_FIELDS = (
    "expected_next",
    "band_low",
    "band_high",
    "p_active",
    "forecast_units",
    "mature",
    "alert_kind",
    "alert_score",
    "p_value",
    "at_stake",
)
_TASK = None


def _call(item):
    return _TASK(item)


def _map(func, items, workers):
    """``[func(item) for item in items]``, on ``workers`` forked processes when > 1.

    The children inherit the arrays (copy-on-write), so only results travel back. Falls back to
    the current process where forking is unavailable (e.g. inside a daemonic worker).
    """
    global _TASK
    if workers <= 1 or len(items) <= 1 or "fork" not in mp.get_all_start_methods():
        return [func(item) for item in items]
    _TASK = func
    try:
        with mp.get_context("fork").Pool(min(workers, len(items))) as pool:
            return pool.map(_call, items, chunksize=1)
    except AssertionError:  # daemonic processes are not allowed to have children
        return [func(item) for item in items]
    finally:
        _TASK = None


def _sample_chunks(index):
    """The pair indices of ``index`` in chunks (see :func:`_chunks`)."""
    return (index[sl] for sl in _chunks(index.size))


def _baseline(units, fam, campaign, season, base_end, valid):
    """Per-pair baseline statistics of the weeks before the recent window (no forgetting):
    seasonally adjusted units per order, its exposure (season summed over order weeks), mean
    and variance of the adjusted units per order, orders, order frequency, valid weeks, and
    units and expected units in the campaign weeks and in the post-campaign weeks since the
    first purchase. ``valid``: the weeks a fit may use
    (:func:`_masks`)."""
    vb = valid[:, :base_end]
    s = season[fam]
    sb = s[:, :base_end]
    u = units[:, :base_end]
    # Row sums as float32 dot products (einsum): no temporaries, no slow upcasting sums.
    ob = (vb & (u > 0)).astype(np.float32)
    n = ob.sum(1).astype(float)
    ys = np.einsum("ij,ij->i", u, ob).astype(float) - n  # units beyond the first of each order
    ss = np.einsum("ij,ij->i", sb, ob).astype(float)
    n_val = vb.sum(1).astype(float)
    freq = n / np.maximum(n_val, 1)
    rate = np.where(ss > 0, ys / np.maximum(ss, 1e-9), 0.0)
    z = (u - 1) * ob / sb
    mean = z.sum(1).astype(float) / np.maximum(n, 1)
    var = np.einsum("ij,ij->i", z, z).astype(float) / np.maximum(n, 1) - mean**2
    var = np.where(n > 1, var * n / np.maximum(n - 1, 1), 0.0)
    # Units / expected units of the campaign and post-campaign weeks since the first purchase.
    first = np.where((units > 0).any(1), (units > 0).argmax(1), units.shape[1])
    camp_w, post_w = cm.campaign_weeks(campaign[fam], first, POST_CAMPAIGN_WEEKS)
    camp_obs, post_obs = (np.where(m, units, 0).sum(1, dtype=float) for m in (camp_w, post_w))
    camp_exp, post_exp = (
        freq * (m.sum(1) + rate * np.where(m, s, 0).sum(1, dtype=float)) for m in (camp_w, post_w)
    )
    return rate, ss, mean, var, n, freq, n_val, camp_obs, camp_exp, post_obs, post_exp


def _index_from_totals(tot, live, week_start):
    """Seasonal index from family totals (see commodity.seasonal_index)."""
    n_fam = tot.shape[0]
    fam = np.arange(n_fam)
    mean = np.where(live > 0, tot / np.maximum(live, 1), 0.0)
    return cm.seasonal_index(mean, live > 0, fam, n_fam, week_start)


__all__ = ["score_pairs", "dropout", "technical"]
