"""Probability that a pair's buying relationship is still active (BG/NBD in spirit).

An active pair may drop out in any week with hazard ``h``; a dropped pair never buys again.
Given the current silence of ``s`` weeks, Bayes' rule compares "still active and quiet by chance"
with "dropped out at some week of the silence".
"""

import numpy as np
from threadpoolctl import threadpool_limits

#: Prior weekly dropout hazard (about 23% a year).
WEEKLY_HAZARD = 0.005


def p_active_weekly(p_buy, silence_weeks, hazard: float = WEEKLY_HAZARD):
    """P(active) after ``silence_weeks`` empty weeks for a pair buying in a week w.p. ``p_buy``.

    ``q = (1 - h)(1 - p_buy)``; P(silence, active) = q**s and
    P(silence, dropped) = sum_j h q**j = h (1 - q**s) / (1 - q).
    """
    s = np.asarray(silence_weeks, dtype=float)
    q = (1.0 - hazard) * (1.0 - np.clip(p_buy, 0.0, 1.0))
    qs = q**s
    dropped = hazard * (1.0 - qs) / np.maximum(1.0 - q, 1e-12)
    return qs / (qs + dropped)


def p_active_survival(surv, silence_weeks, hazard: float = WEEKLY_HAZARD):
    """P(active) when the chance of the current silence under activity is ``surv``.

    Conservatively assumes a dropout happened right after the last purchase.
    """
    keep = (1.0 - hazard) ** np.asarray(silence_weeks, dtype=float)
    alive = keep * np.asarray(surv, dtype=float)
    return alive / (alive + (1.0 - keep) + 1e-300)


def active_path(p_active, horizon: int, hazard: float = WEEKLY_HAZARD):
    """P(active) in each of the next ``horizon`` weeks, shape (P, horizon)."""
    steps = (1.0 - hazard) ** np.arange(1, horizon + 1)
    return np.asarray(p_active, dtype=float)[:, None] * steps[None, :]


# --- Heterogeneous dropout: the beta-geometric/beta-Bernoulli (BG/BB) model -----------------
#
# The fixed hazard above treats every pair alike, which is too optimistic for one-time and
# lapsed buyers: on real transaction logs (CDNOW, ``python manage.py bench_forecast``) the twin
# over-forecast the holdout by a quarter. BG/BB (Fader, Hardie & Shang 2010) lets both the
# weekly order probability ``p ~ Beta(a, b)`` and the weekly dropout ``theta ~ Beta(g, d)`` vary
# across the pairs of a family; the four parameters are fitted per family by maximum likelihood
# on each pair's (orders after the first purchase week ``x``, week of the last order ``tx``,
# weeks since the first purchase ``n``), so a family whose buyers drop out often gets a
# pessimistic twin and one whose buyers stay gets the old behaviour.

#: Fewest pairs with a history for a family's own BG/BB fit; below it the fixed hazard.
MIN_DROPOUT_PAIRS = 30
#: Pairs (evenly spaced) per family used for the fit.
MAX_DROPOUT_PAIRS = 4_000
#: Relative tolerance of the fit (each family is fitted afresh on every ``score_pairs``
#: call, so once per shard of a scoring run).
FIT_FTOL = 1e-7


def rfm_weeks(units):
    """(x, tx, n) of each row: order weeks after the first purchase week, the last order's
    week counted from the first (0 when none), weeks after the first (-1: never bought)."""
    bought = np.asarray(units) > 0
    n_weeks = bought.shape[1]
    any_b = bought.any(1)
    first = np.where(any_b, bought.argmax(1), n_weeks)
    last = np.where(any_b, n_weeks - 1 - np.argmax(bought[:, ::-1], 1), -1)
    x = np.maximum(bought.sum(1) - 1, 0)
    tx = np.where(any_b, last - first, 0)
    n = np.where(any_b, n_weeks - 1 - first, -1)
    return x.astype(float), tx.astype(float), n.astype(float)


def _silence_index(x, tx, n):
    """Flat index of the weeks a pair may have dropped out in: for each row with a silence
    ``n - tx > 0``, elements ``i = 0 .. silence - 1``. Returns (rows, position in ``rows`` of
    each element, first element of each row, and per element its row, ``tx + i`` and
    ``tx - x + i``)."""
    silence = (n - tx).astype(np.int64)
    rows = np.flatnonzero(silence > 0)
    length = silence[rows]
    starts = np.cumsum(length) - length
    row_of = np.repeat(np.arange(rows.size), length)
    i_of = np.arange(length.sum()) - np.repeat(starts, length)
    r = rows[row_of]
    j = tx.astype(np.int64)[r] + i_of  # weeks from the first purchase to the dropout week
    k = j - x.astype(np.int64)[r]  # of which without an order
    return rows, row_of, starts, r, j, k


def _bgbb_terms(params, x, tx, n, index=None):
    """log of the 'active through n' term and of the likelihood, per row.

    L = B(a + x, b + n - x) B(g, d + n) / (B(a, b) B(g, d))
      + sum_{i < n - tx} B(a + x, b + tx - x + i) B(g + 1, d + tx + i) / (B(a, b) B(g, d)):
    the terms of the sum follow from the first by the ratios of consecutive Beta functions, a
    segmented cumulative sum over the flat index of silent weeks (no special function per
    week). ``index``: :func:`_silence_index` of (tx, n), reused across calls by the fit.
    """
    from scipy.special import betaln

    scalar = all(np.ndim(v) == 0 for v in params)
    a, b, g, d = (np.broadcast_to(np.asarray(v, dtype=float), x.shape) for v in params)
    ab, gd = betaln(a, b), betaln(g, d)
    alive = betaln(a + x, b + n - x) - ab + betaln(g, d + n) - gd
    rows, row_of, starts, r, j, k = _silence_index(x, tx, n) if index is None else index
    if rows.size == 0:
        return alive, alive
    first = (betaln(a + x, b + tx - x) - ab + betaln(g + 1, d + tx) - gd)[rows]
    if scalar:  # one family: the logs come from tables over the (small, integer) week counts
        w = np.arange(int(j.max()) + 1, dtype=float)
        a0, b0, g0, d0 = (float(v) for v in params)
        step = (
            np.log(b0 + w)[k]
            - np.log(a0 + b0 + w)[j]
            + np.log(d0 + w)[j]
            - np.log(g0 + d0 + 1 + w)[j]
        )
    else:
        step = (
            np.log(b[r] + k)
            - np.log(a[r] + b[r] + j)
            + np.log(d[r] + j)
            - np.log(g[r] + d[r] + 1 + j)
        )
    cum = np.cumsum(step) - step  # exclusive cumulative sum over the flat index
    log_t = first[row_of] + cum - cum[starts][row_of]
    top = np.maximum.reduceat(log_t, starts)
    dropped = top + np.log(np.add.reduceat(np.exp(log_t - top[row_of]), starts))
    loglik = alive.copy()
    loglik[rows] = np.logaddexp(alive[rows], dropped)
    return alive, loglik


def fit_bgbb(x, tx, n):
    """Maximum-likelihood (a, b, g, d) of BG/BB on the rows with a history (n >= 1); NaN when
    too few rows (or no repeat order) to fit."""
    from scipy.optimize import minimize

    keep = n >= 1
    x, tx, n = x[keep], tx[keep], n[keep]
    if x.size < MIN_DROPOUT_PAIRS or not (x > 0).any():
        return (np.nan,) * 4
    if x.size > MAX_DROPOUT_PAIRS:
        take = np.linspace(0, x.size - 1, MAX_DROPOUT_PAIRS).astype(int)
        x, tx, n = x[take], tx[take], n[take]
    # Rows with the same (x, tx, n) share a likelihood: fit on the distinct ones, weighted.
    keys, weight = np.unique(np.column_stack([x, tx, n]), axis=0, return_counts=True)
    x, tx, n = (np.ascontiguousarray(col) for col in keys.T)
    index = _silence_index(x, tx, n)

    def nll(logp):
        return -float(weight @ _bgbb_terms(np.exp(logp), x, tx, n, index)[1])

    # One BLAS thread: L-BFGS-B's step is tiny, and threads contending on a busy machine made
    # it cost 5x the likelihood.
    with threadpool_limits(limits=1):
        res = minimize(
            nll,
            np.log([1.0, 3.0, 1.0, 3.0]),
            method="L-BFGS-B",
            bounds=[(-7, 9)] * 4,
            options={"ftol": FIT_FTOL},
        )
    return tuple(float(v) for v in np.exp(res.x)) if np.isfinite(res.fun) else (np.nan,) * 4


def fit_family_bgbb(x, tx, n, family, n_families):
    """(F, 4) BG/BB parameters per family from the rows' :func:`rfm_weeks`; NaN rows for the
    families too small to fit (they keep the fixed hazard)."""
    out = np.full((n_families, 4), np.nan)
    for f in range(n_families):
        sel = family == f
        if sel.sum() >= MIN_DROPOUT_PAIRS:
            out[f] = fit_bgbb(x[sel], tx[sel], n[sel])
    return out


def bgbb_outlook(params, x, tx, n, horizon: int):
    """Per row: P(active through week n), P(active) in each of the next ``horizon`` weeks
    (P, horizon), and the expected order probability of an active pair. ``params``: (P, 4),
    finite."""
    from scipy.special import betaln

    a, b, g, d = (params[:, i] for i in range(4))
    n = np.maximum(n, 0.0)
    tx = np.minimum(tx, n)
    alive, loglik = _bgbb_terms((a, b, g, d), x, tx, n)
    p_alive = np.exp(alive - loglik)
    k = np.arange(1, horizon + 1)[None, :]
    # Surviving k more weeks given active through n: E[(1 - theta)^k | active] under the
    # posterior Beta(g, d + n).
    stay = np.exp(betaln(g[:, None], d[:, None] + n[:, None] + k) - betaln(g, d + n)[:, None])
    p_buy = (a + x) / (a + b + n)
    return np.clip(p_alive, 0.0, 1.0), p_alive[:, None] * stay, p_buy
