"""Technical twin: inter-purchase time.

Gaps in days between purchase days (the order dates when the batch carries them,
``PairBatch.purchase_days``; else between purchase weeks, each counted from its Monday) are
Log-Normal(mu, sigma) with ``mu`` and ``sigma**2`` shrunk toward the family by ``PRIOR_GAPS``
pseudo-gaps. Pairs with fewer than
``MIN_LOGNORMAL_GAPS`` gaps use a Weibull with the family's shape (from the spread of log gaps,
``Var log T = pi**2 / (6 k**2)``) and the pair's shrunk median.
"""

from dataclasses import dataclass

import numpy as np
from scipy import special

PRIOR_GAPS = 3.0
#: The suspicious pause's usual mean log gap is pooled toward its family's (empirical Bayes)
#: where the family has at least this many pairs with a usual law...
POOL_MIN_PAIRS = 5
#: ...with the between-pair spread of usual mean log gaps at least this (log scale).
POOL_MIN_TAU = 0.1
MIN_LOGNORMAL_GAPS = 3
DAYS_PER_WEEK = 7.0


@dataclass
class Gaps:
    pair: np.ndarray  # int (G,) pair of each gap, sorted by pair then time
    days: np.ndarray  # float (G,) gap length in days
    start: np.ndarray  # int (P,) first gap of each pair in the arrays above
    count: np.ndarray  # int (P,) gaps per pair
    n_purchases: np.ndarray  # int (P,) purchase weeks
    first_week: np.ndarray  # int (P,) column of the first purchase, -1 if none
    last_week: np.ndarray  # int (P,) column of the last purchase, -1 if none
    #: float (P,) day of the last purchase, counted from the Monday of column 0 (NaN if none)
    last_day: np.ndarray | None = None
    #: True when the gaps come from order dates, False when from purchase weeks
    daily: bool = False


def purchase_gaps(units, days=None) -> Gaps:
    """Gaps between consecutive purchases of every pair, vectorised.

    ``days``: optional ``(pair, day)`` arrays, every purchase day of the pairs (rows of
    ``units``) counted from the Monday of column 0, sorted by pair then day; the gaps are then
    the days between them (orders 10 and 17 days apart: gaps of 10 and 17 days). Without it,
    the gaps are 7 days per week between purchase weeks. Purchase weeks (``n_purchases``,
    first and last week) always come from ``units``.
    """
    n_pairs, n_weeks = units.shape
    pi, wi = np.nonzero(units > 0)
    n_purchases = np.bincount(pi, minlength=n_pairs)
    first = np.full(n_pairs, -1)
    last = np.full(n_pairs, -1)
    if pi.size:
        has = n_purchases > 0
        ends = np.cumsum(n_purchases)
        first[has] = wi[(ends - n_purchases)[has]]
        last[has] = wi[ends[has] - 1]
    if days is None:
        dp, t = pi, wi * DAYS_PER_WEEK
    else:
        dp, t = np.asarray(days[0], dtype=np.int64), np.asarray(days[1], dtype=float)
    last_day = np.full(n_pairs, np.nan)
    if dp.size:
        is_last = np.r_[dp[1:] != dp[:-1], True]
        last_day[dp[is_last]] = t[is_last]
    same = (dp[1:] == dp[:-1]) & (t[1:] > t[:-1])  # a repeated day is one purchase
    gp = dp[1:][same]
    gap_days = (t[1:] - t[:-1])[same]
    count = np.bincount(gp, minlength=n_pairs)
    start = np.cumsum(count) - count
    return Gaps(
        gp,
        gap_days.astype(float),
        start,
        count,
        n_purchases,
        first,
        last,
        last_day,
        days is not None,
    )


def _per_pair_mean(values, pair, count):
    s = np.bincount(pair, weights=values, minlength=count.size)
    return np.where(count > 0, s / np.maximum(count, 1), 0.0)


def fit_lognormal(gaps: Gaps, family, n_families):
    """Shrunk Log-Normal (mu, sigma) per pair plus the family (mu_f, sigma_f)."""
    logs = np.log(gaps.days)
    n = gaps.count.astype(float)
    m = _per_pair_mean(logs, gaps.pair, gaps.count)
    ss = np.bincount(gaps.pair, weights=(logs - m[gaps.pair]) ** 2, minlength=n.size)
    mu_f = np.full(n_families, np.log(28.0))
    s2_f = np.full(n_families, 0.5**2)
    fam_of_gap = family[gaps.pair]
    for f in range(n_families):
        sel = fam_of_gap == f
        if sel.sum() >= 5:
            mu_f[f] = logs[sel].mean()
            within = ss[(family == f) & (n > 1)].sum()
            dof = (n[(family == f) & (n > 1)] - 1).sum()
            s2_f[f] = max(within / dof if dof > 0 else logs[sel].var(), 0.05**2)
    k = PRIOR_GAPS
    mu = (n * m + k * mu_f[family]) / (n + k)
    s2 = (ss + k * s2_f[family]) / (np.maximum(n - 1, 0) + k)
    return mu, np.sqrt(s2), mu_f, np.sqrt(s2_f)


def weibull_shape(sigma_f):
    """Weibull shape with the family's spread of log gaps."""
    return np.clip(np.pi / (np.sqrt(6.0) * sigma_f), 0.5, 8.0)


def gap_model(gaps: Gaps, family, n_families):
    """Per-pair gap distribution: returns dict(mu, sigma, weibull bool, k, scale)."""
    mu, sigma, _, sigma_f = fit_lognormal(gaps, family, n_families)
    weib = gaps.count < MIN_LOGNORMAL_GAPS
    k = weibull_shape(sigma_f)[family]
    scale = np.exp(mu) / np.log(2.0) ** (1.0 / k)  # Weibull with the Log-Normal's median
    return {
        "mu": mu,
        "sigma": sigma,
        "weibull": weib,
        "k": k,
        "scale": scale,
        "sigma_f": sigma_f[family],
    }


def survival(t, model):
    """P(gap > t days) under each pair's gap model."""
    t = np.maximum(np.asarray(t, dtype=float), 1e-9)
    ln = 0.5 * special.erfc((np.log(t) - model["mu"]) / (model["sigma"] * np.sqrt(2.0)))
    wb = np.exp(-((t / model["scale"]) ** model["k"]))
    return np.where(model["weibull"], wb, ln)


def gap_quantile(q, model):
    """Gap (days) with P(gap <= x) = q."""
    ln = np.exp(model["mu"] + model["sigma"] * np.sqrt(2.0) * special.erfinv(2 * q - 1))
    wb = model["scale"] * (-np.log1p(-q)) ** (1.0 / model["k"])
    return np.where(model["weibull"], wb, ln)


def mean_gap(model):
    ln = np.exp(model["mu"] + model["sigma"] ** 2 / 2)
    wb = model["scale"] * special.gamma(1 + 1 / model["k"])
    return np.where(model["weibull"], wb, ln)


@dataclass
class RecentSplit:
    """Each pair's gaps split into its last ``recent`` ones and the earlier (usual) ones."""

    ok: np.ndarray  # bool (P,): at least recent + 2 gaps (else no trend, no usual law)
    trend: np.ndarray  # mean log of the recent gaps minus that of the usual ones (0 if not ok)
    trend_se: np.ndarray  # its standard error (inf if not ok)
    usual_mu: np.ndarray  # mean log of the usual gaps
    usual_sigma: np.ndarray  # their spread of log gaps, shrunk toward the family's


def recent_split(gaps: Gaps, sigma_f, family=None, recent: int = 2) -> RecentSplit:
    """The suspicious pause's view of a pair's gaps: are the last ``recent`` longer than the
    usual ones before them, and what is the usual law?

    Both spreads are shrunk toward the family's ``sigma_f`` by ``PRIOR_GAPS`` pseudo-gaps. The
    trend's standard error uses the pooled spread *within* the two groups (a two-sample test),
    ``sigma_w * sqrt(1/recent + 1/usual)``: the fitted law's sigma also holds the difference
    being tested, so two much longer gaps would inflate the error meant to judge them. The
    usual law (mean log and spread of the earlier gaps alone) is what a silence is compared
    with: two recent, much longer gaps raise the fitted law's quantiles and would hide the
    pause they announce.

    With ``family`` (each pair's family), the usual mean log gap is pooled toward the family's
    (empirical Bayes, normal-normal): the family's pairs' usual means have a centre ``c`` and a
    between-pair variance ``tau2`` (their variance less the mean sampling variance
    ``sigma_f**2 / n_usual``, at least ``POOL_MIN_TAU**2``); a pair's usual mean becomes
    ``(n m / s2 + c / tau2) / (n / s2 + 1 / tau2)`` (``s2`` its usual spread squared), with
    variance ``1 / (n / s2 + 1 / tau2)``, which replaces ``sigma_w**2 / n_usual`` in the
    trend's error. With 4-25 gaps a pair's own mean is noisy; its family says where such
    means lie. Families with fewer than ``POOL_MIN_PAIRS`` such pairs are not pooled.
    """
    logs = np.log(gaps.days)
    rank = np.arange(gaps.pair.size) - gaps.start[gaps.pair]
    late = gaps.count[gaps.pair] - rank <= recent
    n_pairs = gaps.count.size

    def moments(sel):
        n = np.bincount(gaps.pair[sel], minlength=n_pairs)
        m = np.bincount(gaps.pair[sel], weights=logs[sel], minlength=n_pairs) / np.maximum(n, 1)
        dev = (logs - m[gaps.pair]) ** 2
        return n, m, np.bincount(gaps.pair[sel], weights=dev[sel], minlength=n_pairs)

    n_late, m_late, ss_late = moments(late)
    n_early, m_early, ss_early = moments(~late)
    ok = (gaps.count >= recent + 2) & (n_early > 0)
    k, s2_f = PRIOR_GAPS, np.asarray(sigma_f, dtype=float) ** 2
    dof = np.maximum(n_early - 1, 0) + np.maximum(n_late - 1, 0)
    sigma_w = np.sqrt((ss_early + ss_late + k * s2_f) / (dof + k))
    usual_sigma = np.sqrt((ss_early + k * s2_f) / (np.maximum(n_early - 1, 0) + k))
    var_early = sigma_w**2 / np.maximum(n_early, 1)
    if family is not None:
        m_early, var_early = _pool_usual_means(
            np.asarray(family), ok, n_early, m_early, usual_sigma, s2_f, var_early
        )
    se = np.sqrt(sigma_w**2 / np.maximum(n_late, 1) + var_early)
    return RecentSplit(
        ok=ok,
        trend=np.where(ok, m_late - m_early, 0.0),
        trend_se=np.where(ok, se, np.inf),
        usual_mu=m_early,
        usual_sigma=usual_sigma,
    )


def _pool_usual_means(family, ok, n, m, s, s2_f, var_m):
    """Usual mean log gaps pooled toward their family's (``recent_split``): returns the pooled
    means and their variances (``m`` and ``var_m`` where a family is not pooled)."""
    m, var_m = m.copy(), var_m.copy()
    s2_f = np.broadcast_to(s2_f, m.shape)
    for f in np.unique(family[ok]):
        rows = ok & (family == f)
        if rows.sum() < POOL_MIN_PAIRS:
            continue
        centre = m[rows].mean()
        tau2 = max(m[rows].var() - (s2_f[rows] / n[rows]).mean(), POOL_MIN_TAU**2)
        precision = n[rows] / s[rows] ** 2 + 1 / tau2
        m[rows] = (n[rows] / s[rows] ** 2 * m[rows] + centre / tau2) / precision
        var_m[rows] = 1 / precision
    return m, var_m


def usual_gap_quantile(q, split: RecentSplit, model):
    """Gap (days) with P(gap <= x) = q under the pair's usual (log-normal) law; the fitted
    law's quantile where there is no usual law (fewer than recent + 2 gaps)."""
    z = np.sqrt(2.0) * special.erfinv(2 * q - 1)
    usual = np.exp(split.usual_mu + split.usual_sigma * z)
    return np.where(split.ok, usual, gap_quantile(q, model))
