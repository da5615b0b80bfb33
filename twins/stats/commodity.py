"""Commodity twin: a hurdle on weekly units (whether an order comes, then how many units).

Purchases are lumpy: a pair orders in a week with probability ``pi`` (Beta(c, d) posterior,
empirical-Bayes prior per family). An order holds one unit plus ``y_t`` more, where
``y_t ~ Poisson(lam * s_t * eps_t)``: the deseasonalised extra units per order ``lam`` have a
Gamma(alpha, beta) posterior (shape, rate), ``s_t`` is the family's seasonal index and
``eps_t ~ Gamma(k, k)`` the family's order-to-order noise, so ``y_t`` is Negative Binomial with
size ``k`` fitted per family (``1/k = 0`` gives Poisson). Past weeks are discounted by
exponential forgetting; campaign weeks (and the weeks after) are left out of the fit.
"""

import numpy as np
from scipy import special

from .grid import iso_week_number

HALF_LIFE_WEEKS = 26.0
#: Half-life of the baselines the loss tests compare the recent windows with.
BASELINE_HALF_LIFE_WEEKS = 52.0
#: Weeks before ``as_of`` tested against the baseline fitted on the weeks before them.
RECENT_WEEKS = 8
#: Windows (the last m weeks) of the lower-tail test; each is tested against a baseline fitted
#: on the weeks before it.
TEST_WINDOWS = (3, 6, 13, 26)
#: Share of the loss tests' level given to each window (weighted Bonferroni). Even: a split
#: favouring the short windows (0.35/0.35/0.15/0.15) caught more of the simulated churns that
#: start 1-6 weeks back (python -m bench twins) but fewer of the demo's, which start 6-26 weeks
#: back (bench_demo: partial churn recall 0.38 -> 0.30); see docs/twins-accuracy.md.
WINDOW_WEIGHTS = (0.25, 0.25, 0.25, 0.25)
#: Most pseudo-weeks an empirical-Bayes Beta prior on the order probability may weigh.
MAX_PRIOR_WEEKS = 12.0


def posterior(y_sum, exposure_sum, a0, b0):
    """Gamma posterior (shape, rate) after ``y_sum`` units over ``exposure_sum`` weeks."""
    return a0 + y_sum, b0 + exposure_sum


def p_zero_run(c, d, weeks):
    """P(no order in ``weeks`` weeks) when the order probability has a Beta(c, d) posterior:
    ``E[(1 - pi) ** weeks] = B(c, d + weeks) / B(c, d)``."""
    weeks = np.asarray(weeks, dtype=float)
    return np.exp(
        special.gammaln(d + weeks)
        + special.gammaln(c + d)
        - special.gammaln(d)
        - special.gammaln(c + d + weeks)
    )


def weighted_min_p(p_values, weights):
    """Weighted Bonferroni over the columns of ``p_values`` (n, m): per row, the column ``j``
    with the smallest ``p_j / w_j`` and that ratio capped at 1 (``weights`` are rescaled to sum
    to 1). Valid whatever the dependence between the columns: under the null,
    ``P(min_j p_j / w_j <= a) <= sum_j w_j a = a``. Returns ``(j, adjusted p)``."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    ratio = np.asarray(p_values, dtype=float) / w[None, :]
    best = ratio.argmin(1)
    return best, np.minimum(ratio[np.arange(ratio.shape[0]), best], 1.0)


def weighted_simes(p_values, weights):
    """Weighted Simes combination of the columns of ``p_values`` (n, m) (Benjamini & Hochberg
    1997): per row, sort ``p_j / w_j`` ascending and take ``min_k p_(k) / (w_(1) + ... + w_(k))``
    (``weights`` rescaled to sum to 1), capped at 1. With even weights it is Simes'
    ``min_k m p_(k) / k``: never above the weighted Bonferroni ``min_j p_j / w_j`` (k = 1), and
    smaller when several columns are small together. Valid when the columns are positively
    dependent (PRDS, Sarkar 1998), as the nested test windows of one pair mostly are; not under
    every dependence. Returns ``(j, p)`` with ``j`` the column of the smallest ``p_j / w_j``."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    p = np.asarray(p_values, dtype=float)
    ratio = p / w[None, :]
    # The weight "sorted before" each column: of every column whose p / w is at most its own
    # (a few comparisons per row, faster than sorting rows of 4).
    w_cum = (ratio[:, None, :] <= ratio[:, :, None]) @ w
    return ratio.argmin(1), np.minimum((p / w_cum).min(1), 1.0)


def window_weights(wins):
    """:data:`WINDOW_WEIGHTS` of the test windows ``wins`` in use (an even share for a window
    not in :data:`TEST_WINDOWS`), rescaled to sum to 1."""
    share = dict(zip(TEST_WINDOWS, WINDOW_WEIGHTS, strict=True))
    w = np.array([share.get(int(m), 1.0 / len(TEST_WINDOWS)) for m in wins])
    return w / w.sum()


def betabinom_cdf(k, n, c, d, max_k: int = 200):
    """P(K <= k) for K ~ Beta-binomial(n, c, d), vectorised (pmf recursion from 0)."""
    k, n, c, d = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (k, n, c, d)))
    pmf = p_zero_run(c, d, n)
    cdf = pmf.copy()
    for j in range(int(min(np.max(k, initial=0), max_k))):
        pmf = pmf * np.maximum(n - j, 0) / (j + 1) * (c + j) / np.maximum(d + n - j - 1, 1e-12)
        cdf = cdf + np.where(j + 1 <= k, pmf, 0.0)
    return np.where(k < 0, 0.0, np.minimum(cdf, 1.0))


def hurdle_cdf(x, r, p, w):
    """P(Y <= x) for Y = 0 w.p. ``1 - w``, else ``1 + NB(r, p)`` (``w``: probability of an
    order; an order holds one unit plus NB units beyond it)."""
    x = np.asarray(x, dtype=float)
    return np.where(x < 0, 0.0, (1.0 - w) + w * nb_cdf(x - 1, r, p))


def hurdle_ppf(q, r, p, w, with_cdf: bool = False):
    """Smallest integer x with ``hurdle_cdf(x) >= q``; with ``with_cdf``, ``(x, F(x), F(x - 1))``
    (the cdf values come out of the search, no extra evaluation)."""
    dead = 1.0 - w
    inner = np.clip((q - dead) / np.maximum(w, 1e-12), 0.0, 1.0)
    x, cdf, pmf = nb_ppf(inner, r, p, with_cdf=True)
    none = dead >= q
    x = np.where(none, 0.0, 1.0 + x)
    if not with_cdf:
        return x
    return x, np.where(none, dead, dead + w * cdf), np.where(none, 0.0, dead + w * (cdf - pmf))


def hurdle_band(r, p, w, level: float = 0.90, low_q: float = 0.05):
    """Band ``[lo, hi]`` of the hurdle distribution whose coverage is nearest to ``level``.

    ``lo`` is the ``low_q`` quantile; ``hi`` is whichever of the two integers around the
    quantile at ``F(lo - 1) + level`` gives coverage ``F(hi) - F(lo - 1)`` nearest ``level``
    (never below ``lo``). Returns ``(lo, hi, q_lo, q_hi)`` with ``q_lo = F(lo - 1)`` and
    ``q_hi = F(hi)``: the exact levels of the endpoints (coverage ``q_hi - q_lo``).
    """
    lo, _, q_lo = hurdle_ppf(low_q, r, p, w, with_cdf=True)
    target = np.minimum(q_lo + level, 1.0 - 1e-12)
    up, f_up, f_below = hurdle_ppf(target, r, p, w, with_cdf=True)
    use_below = (up - 1 >= lo) & (np.abs(f_below - target) < np.abs(f_up - target))
    hi = np.where(use_below, up - 1, up)
    return lo, hi, q_lo, np.where(use_below, f_below, f_up)


def hurdle_sum_moments(w, lam, inv_k, weeks):
    """NB (r, p) matching the mean and variance of the units over ``weeks`` weeks, each with an
    order w.p. ``w`` of ``1 + NB`` units (NB mean ``lam``, excess dispersion ``inv_k``)."""
    lam = np.asarray(lam, dtype=float)
    m = 1.0 + lam
    second = lam + inv_k * lam * lam + m * m  # E[X^2] of the units of one order
    mean = weeks * w * m
    var = weeks * (w * second - (w * m) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(var > mean, mean**2 / (var - mean), 1e12)
    r = np.clip(np.nan_to_num(r, nan=1e12), 1e-9, 1e12)
    p = np.where(mean > 0, r / (r + np.maximum(mean, 1e-300)), 1.0)
    return r, np.minimum(p, 1.0)


def negbin_moments(alpha, beta, s1, s2, inv_k):
    """Negative Binomial (r, p) matching the predictive of units over future weeks.

    ``s1`` and ``s2`` are the sum and sum of squares of the seasonal index over those weeks.
    With ``inv_k = 0`` it is exactly NB(alpha, beta / (beta + s1)), the Gamma-Poisson predictive.
    """
    alpha = np.asarray(alpha, dtype=float)
    beta = np.asarray(beta, dtype=float)
    mean = s1 * alpha / beta
    excess = s1**2 * alpha / beta**2 + s2 * inv_k * alpha * (alpha + 1) / beta**2
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(excess > 0, mean**2 / excess, 1e12)
    r = np.clip(np.nan_to_num(r, nan=1e12), 1e-9, 1e12)
    p = np.where(mean > 0, r / (r + np.maximum(mean, 1e-300)), 1.0)
    return r, np.minimum(p, 1.0)


def nb_cdf(x, r, p):
    """P(X <= x) for X ~ NB(r, p) (failures before the r-th success), vectorised."""
    x = np.floor(np.asarray(x, dtype=float))
    pc = np.minimum(p, 1 - 1e-15)
    out = special.betainc(r, np.maximum(x, 0) + 1, pc)
    return np.where(x < 0, 0.0, np.where(p >= 1.0, 1.0, out))


def nb_logpmf(x, r, p):
    return (
        special.gammaln(x + r)
        - special.gammaln(r)
        - special.gammaln(x + 1)
        + r * np.log(p)
        + x * np.log1p(-p)
    )


#: Quantiles guessed below this are found by summing the pmf from 0 instead of betainc.
SUM_FROM_ZERO = 150


#: Steps of the pmf walk up (from 0, or from a guess) and down (from a guess above the
#: quantile) before the elements still moving switch to bisection on the exact cdf.
WALK_UP_STEPS = 1000
WALK_DOWN_STEPS = 16


def nb_ppf(q, r, p, with_cdf: bool = False):
    """Smallest integer x with P(X <= x) >= q for X ~ NB(r, p); with ``with_cdf``,
    ``(x, P(X <= x), P(X = x))``.

    Starts from the Cornish-Fisher approximation: when it is small, from 0 with cdf = pmf(0);
    otherwise there, with the exact cdf (betainc). Then walks to the exact integer with the pmf
    recursion ``f(x + 1) = f(x) (x + r) / (x + 1) (1 - p)``; the few elements whose guess was
    far above (extreme quantiles) finish by bisection on the exact cdf.
    """
    q, r, p = np.broadcast_arrays(np.asarray(q, float), np.asarray(r, float), np.asarray(p, float))
    pc = np.clip(p, 1e-15, 1 - 1e-15)
    mean = r * (1 - pc) / pc
    sd = np.sqrt(mean / pc)
    skew = np.minimum((2 - pc) / np.sqrt(np.maximum(r * (1 - pc), 1e-300)), 10.0)
    z = special.ndtri(np.clip(q, 1e-12, 1 - 1e-12))
    x = np.floor(np.maximum(mean + sd * (z + (z * z - 1) * skew / 6), 0.0))
    x, q, r, pc = x.ravel(), q.ravel(), r.ravel(), pc.ravel()
    # Small quantiles: sum the pmf from 0 (cheap); large ones: exact cdf at the guess (betainc).
    x = np.where(x <= SUM_FROM_ZERO, 0.0, x)
    cdf = np.exp(r * np.log(pc))
    pmf = cdf.copy()

    def exact(idx):  # the cdf and pmf at x of the elements idx, evaluated afresh
        cdf[idx] = nb_cdf(x[idx], r[idx], pc[idx])
        pmf[idx] = np.exp(nb_logpmf(x[idx], r[idx], pc[idx]))

    exact(np.flatnonzero(x > 0))
    # Walk up while the cdf is below q, then down while the cdf one below still reaches q,
    # each time only over the elements still moving (usually 0-2 steps).
    idx = np.flatnonzero(cdf < q)
    for _ in range(WALK_UP_STEPS):
        if idx.size == 0:
            break
        x[idx] += 1
        pmf[idx] *= (x[idx] - 1 + r[idx]) / x[idx] * (1 - pc[idx])
        cdf[idx] += pmf[idx]
        idx = idx[cdf[idx] < q[idx]]
    if idx.size:  # the answer is above x: find a bracket by doubling, then bisect
        lo, hi = x[idx], 2 * x[idx] + 16
        while (below := nb_cdf(hi, r[idx], pc[idx]) < q[idx]).any():
            lo, hi = np.where(below, hi, lo), np.where(below, 2 * hi, hi)
        x[idx] = _bisect(q[idx], r[idx], pc[idx], lo, hi)
        exact(idx)
    idx = np.flatnonzero((x > 0) & (cdf - pmf >= q))
    for _ in range(WALK_DOWN_STEPS):
        if idx.size == 0:
            break
        cdf[idx] -= pmf[idx]
        pmf[idx] *= x[idx] / (x[idx] - 1 + r[idx]) / (1 - pc[idx])
        x[idx] -= 1
        idx = idx[(x[idx] > 0) & (cdf[idx] - pmf[idx] >= q[idx])]
    if idx.size:  # the answer is below x - 1
        x[idx] = _bisect(q[idx], r[idx], pc[idx], np.full(idx.size, -1.0), x[idx] - 1)
        exact(idx)
    one = p >= 1.0  # a point mass at 0
    x = np.where(one, 0.0, x.reshape(p.shape))
    if not with_cdf:
        return x
    return x, np.where(one, 1.0, cdf.reshape(p.shape)), np.where(one, 1.0, pmf.reshape(p.shape))


def _bisect(q, r, pc, lo, hi):
    """Smallest integer x in (lo, hi] with the NB cdf at x >= q, given cdf(lo) < q <= cdf(hi)."""
    while (open_ := hi - lo > 1).any():
        mid = np.floor((lo + hi) / 2)
        reach = nb_cdf(mid, r, pc) >= q
        lo = np.where(open_ & ~reach, mid, lo)
        hi = np.where(open_ & reach, mid, hi)
    return hi


def mixture_ppf(q, r, p, p_active):
    """Quantile of ``p_active * NB(r, p) + (1 - p_active) * (point mass at 0)``."""
    dead = 1.0 - p_active
    inner = np.clip((q - dead) / np.maximum(p_active, 1e-12), 0.0, 1.0)
    return np.where(dead >= q, 0.0, nb_ppf(inner, r, p))


def forgetting_weights(n_weeks: int, half_life: float = HALF_LIFE_WEEKS, end: int | None = None):
    """Weights 0.5 ** (age / half_life) per column; columns from ``end`` on weigh 0."""
    end = n_weeks if end is None else end
    age = (end - 1 - np.arange(n_weeks)).astype(float)
    return np.where(age >= 0, 0.5 ** (age / half_life), 0.0)


def seasonal_index(units, valid, family, n_families, week_start, years_prior: float = 0.25):
    """Multiplicative seasonal index (F, 54) per family and ISO week number (mean 1).

    Each week's mean units per live pair is divided by its centred 52-week moving level; the
    ratios are averaged per ISO week number and shrunk toward 1 by
    ``years / (years + years_prior)`` (family means are precise, so the prior is light); weeks
    never observed take their neighbours' mean.
    """
    n_weeks = units.shape[1]
    woy = iso_week_number(week_start)
    index = np.ones((n_families, 54))
    kernel = np.array([0.25, 0.5, 0.25])
    for f in range(n_families):
        rows = family == f
        if not rows.any():
            continue
        v = valid[rows]
        tot = np.where(v, units[rows], 0).sum(0, dtype=float)
        live = v.sum(0, dtype=float)
        mean = np.where(live > 0, tot / np.maximum(live, 1), np.nan)
        ok = np.isfinite(mean)
        c_val = np.concatenate([[0.0], np.cumsum(np.where(ok, mean, 0.0))])
        c_cnt = np.concatenate([[0.0], np.cumsum(ok)])
        lo = np.clip(np.arange(n_weeks) - 26, 0, n_weeks)
        hi = np.clip(np.arange(n_weeks) + 26, 0, n_weeks)
        level = (c_val[hi] - c_val[lo]) / np.maximum(c_cnt[hi] - c_cnt[lo], 1)
        ratio = np.where(ok & (level > 0), mean / np.where(level > 0, level, 1), np.nan)
        good = np.isfinite(ratio)
        sums = np.bincount(woy[good], weights=ratio[good], minlength=54)
        cnts = np.bincount(woy[good], minlength=54).astype(float)
        seen = cnts[1:] > 0
        raw = np.where(seen, sums[1:] / np.maximum(cnts[1:], 1), 1.0)
        around = np.convolve(np.concatenate([raw[-1:], raw, raw[:1]]), kernel, mode="valid")
        raw = np.where(seen, raw, around)  # weeks never seen (often ISO week 53): neighbours
        idx = 1.0 + cnts[1:] / (cnts[1:] + years_prior) * (raw - 1.0)
        index[f, 1:] = idx / idx[seen].mean() if seen.any() else idx
    return np.clip(index, 0.05, 10.0)


def family_dispersion(rate_mean, rate_var, n_obs, family, n_families, min_weeks: int = 10):
    """Per-family order-to-order excess dispersion ``1/k`` of the units per order (median over
    pairs with at least ``min_weeks`` orders)."""
    inv_k = np.zeros(n_families)
    ok = (n_obs >= min_weeks) & (rate_mean >= 0.5)
    phi = np.where(ok, (rate_var - rate_mean) / np.maximum(rate_mean, 1e-9) ** 2, np.nan)
    for f in range(n_families):
        vals = phi[(family == f) & ok]
        if vals.size >= 5:
            inv_k[f] = float(np.clip(np.median(vals), 0.0, 3.0))
    return inv_k


def family_prior(rate_hat, exposure, family, n_families, min_weeks: int = 8):
    """Empirical-Bayes Gamma prior (a0, b0) per family by the method of moments.

    Between-pair variance of the rates = observed variance minus the mean Poisson sampling
    variance ``rate / exposure``; it is floored at (0.25 * mean) ** 2 so the prior never weighs
    more than a few weeks for a typical pair.
    """
    a0 = np.full(n_families, 0.5)
    b0 = np.full(n_families, 0.5)
    ok = exposure >= min_weeks
    for f in range(n_families):
        sel = ok & (family == f)
        if sel.sum() < 3:
            continue
        r = rate_hat[sel]
        mu = float(r.mean())
        if mu <= 0:
            continue
        tau2 = float(r.var() - np.mean(r / exposure[sel]))
        tau2 = max(tau2, (0.25 * mu) ** 2)
        a0[f], b0[f] = mu * mu / tau2, mu / tau2
    return a0, b0


def family_beta_prior(freq, n_weeks, family, n_families, min_weeks: int = 8):
    """Empirical-Bayes Beta(c0, d0) prior per family on the weekly order probability.

    Method of moments: the between-pair variance of the order frequencies is their variance
    minus the mean binomial sampling variance; the prior's weight ``c0 + d0`` is capped at
    ``MAX_PRIOR_WEEKS`` (and at least 1) so a pair's own weeks soon dominate.
    """
    c0 = np.full(n_families, 0.5)
    d0 = np.full(n_families, 0.5)
    ok = n_weeks >= min_weeks
    for f in range(n_families):
        sel = ok & (family == f)
        if sel.sum() < 3:
            continue
        x = freq[sel]
        m = float(np.clip(x.mean(), 0.01, 0.99))
        tau2 = float(x.var() - np.mean(x * (1 - x) / n_weeks[sel]))
        weight = m * (1 - m) / tau2 - 1 if tau2 > 0 else MAX_PRIOR_WEEKS
        weight = float(np.clip(weight, 1.0, MAX_PRIOR_WEEKS))
        c0[f], d0[f] = m * weight, (1 - m) * weight
    return c0, d0


def campaign_weeks(camp, first, post_weeks):
    """(campaign weeks, post-campaign weeks) of each pair after its first purchase week.

    ``camp`` (n, W): the campaign weeks of each pair's family; post-campaign weeks are the
    ``post_weeks`` weeks after a campaign week that are not campaign weeks themselves (when a
    promotion's pulled-forward purchases are missing).
    """
    post = np.zeros_like(camp)
    for lag in range(1, post_weeks + 1):
        post[:, lag:] |= camp[:, :-lag]
    after = np.arange(camp.shape[1])[None, :] > np.asarray(first)[:, None]
    return camp & after, post & ~camp & after
