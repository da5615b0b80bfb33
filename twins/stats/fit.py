"""The twin of a chunk of pairs: fitted rates, the loss tests, silence, bands and forecasts.

Each step takes a :class:`Chunk` (and the shared :class:`~twins.stats.types.Context`) and
returns a small dataclass of (n,) or (n, windows) arrays; :mod:`twins.stats.detect` turns them
into signals. Vectorised over the chunk, no loop per pair.
"""

from dataclasses import dataclass

import numpy as np

from . import commodity as cm
from . import dropout, technical


@dataclass
class Chunk:
    """One chunk of pairs: their weekly series, families and fit masks."""

    units: np.ndarray  # (n, W)
    euros: np.ndarray  # (n, W)
    family: np.ndarray  # (n,) family index
    technical: np.ndarray  # (n,) bool
    valid: np.ndarray  # (n, W) weeks a fit may use (after the first purchase, no campaign)
    camp: np.ndarray  # (n, W) campaign weeks of each pair's family
    first: np.ndarray  # (n,) week of the first purchase (W when never)
    potential: np.ndarray  # (n,) annual potential in euros, NaN when unknown
    tech_pos: np.ndarray  # (n,) row in the technical fit, -1 for commodity pairs


@dataclass
class Hurdle:
    """Hurdle posteriors: one baseline per test window plus the whole history (last column)."""

    season: np.ndarray  # (n, W) seasonal index of each pair's family
    inv_k: np.ndarray  # (n,) family dispersion
    wins: np.ndarray  # (windows,) test window lengths in weeks
    yv: np.ndarray  # (n, W) float32 units beyond the first of each order
    so: np.ndarray  # (n, W) float32 season in order weeks
    ov: np.ndarray  # (n, W) float32 order weeks
    vv: np.ndarray  # (n, W) float32 valid weeks
    alpha: np.ndarray  # (n, windows + 1) Gamma posterior of the units rate
    beta: np.ndarray
    c_post: np.ndarray  # (n, windows + 1) Beta posterior of the weekly order probability
    d_post: np.ndarray
    pi: np.ndarray  # (n, windows + 1) posterior mean order probability

    @property
    def n_win(self):
        return self.wins.size


@dataclass
class WindowTest:
    """The most extreme test window (units per order or number of orders fell)."""

    best: np.ndarray  # (n,) index of the tested window
    p_partial: np.ndarray  # (n,) two-test Bonferroni p-value
    magnitude: np.ndarray  # (n,) 1 - observed / expected units in the window
    win_obs: np.ndarray
    win_exp: np.ndarray
    alpha_b: np.ndarray  # (n,) posterior of the tested window's baseline
    beta_b: np.ndarray
    rate_b: np.ndarray
    pi_b: np.ndarray


@dataclass
class Silence:
    silence: np.ndarray  # (n,) weeks since the last purchase (W when never)
    p_zero: np.ndarray  # (n,) P(no order in that many weeks) under the baseline
    p_buy: np.ndarray  # (n,) weekly order probability of that baseline
    p_active: np.ndarray  # (n,) probability the pair is still active
    active_path: np.ndarray  # (n, horizon) probability it is active in each coming week
    p_order: np.ndarray | None = None  # (n,) order probability of an active pair (BG/BB)


@dataclass
class Outlook:
    """Next week's band and the horizon's forecast."""

    expected_next: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    q_low: np.ndarray
    q_high: np.ndarray
    forecast: np.ndarray


@dataclass
class Maturity:
    hist_weeks: np.ndarray  # (n,) weeks since the first purchase
    price: np.ndarray  # (n,) euros per unit over the history
    mature: np.ndarray  # (n,) bool: enough history for loss alerts


def fit_technical(units, fam, n_fam, horizon, days=None):
    """Technical twin of the given pairs: gap model, silence survival, trend, p_active, bands.

    ``days``: optional ``(row, day)`` purchase days of these rows (``technical.purchase_gaps``);
    gaps and the current silence are then measured in days between order dates, the silence up
    to the Sunday that ends the last week. Without it, both count 7 days per week from each
    purchase week's Monday."""
    n, n_weeks = units.shape
    gaps = technical.purchase_gaps(units, days)
    model = technical.gap_model(gaps, fam, n_fam)
    split = technical.recent_split(gaps, model["sigma_f"], fam)
    end = n_weeks * technical.DAYS_PER_WEEK - 1 if gaps.daily else (n_weeks - 1) * 7.0
    silence = np.where(np.isfinite(gaps.last_day), end - gaps.last_day, n_weeks * 7.0)
    silence = np.maximum(silence, 0.0)
    silence_w = silence / technical.DAYS_PER_WEEK
    surv = technical.survival(silence, model)
    p_act = dropout.p_active_survival(surv, silence_w)
    bought = units > 0
    size = np.where(gaps.n_purchases > 0, np.where(bought, units, 0).sum(1), 0.0) / np.maximum(
        gaps.n_purchases, 1
    )
    mean_gap = technical.mean_gap(model)
    nxt = technical.survival(silence + technical.DAYS_PER_WEEK, model)
    hazard = np.where(surv > 0, 1.0 - nxt / np.maximum(surv, 1e-300), 1.0)
    p_buy = p_act * (1 - dropout.WEEKLY_HAZARD) * np.clip(hazard, 0, 1)
    return {
        "gaps": gaps,
        "model": model,
        "silence_days": silence,
        "silence_weeks": silence_w,
        "survival": surv,
        "p_active": p_act,
        "size": size,
        "mean_gap": mean_gap,
        "p75": technical.gap_quantile(0.75, model),
        "p90": technical.gap_quantile(0.90, model),
        "p75_usual": technical.usual_gap_quantile(0.75, split, model),
        "median": technical.gap_quantile(0.5, model),
        "trend": split.trend,
        "trend_se": split.trend_se,
        "p_buy": p_buy,
        "expected_next": p_buy * size,
        "band_low": np.where(p_buy >= 0.95, np.round(size), 0.0),
        "band_high": np.where(p_buy > 0.05, np.round(size), 0.0),
        "forecast": p_act * size * horizon * technical.DAYS_PER_WEEK / np.maximum(mean_gap, 1.0),
    }


def fit_hurdle(ctx, ch: Chunk) -> Hurdle:
    """Hurdle fit: order weeks (valid weeks with units) and units in them, one weighted sum per
    baseline: one baseline per test window (ending where the window starts) plus the whole
    history with forgetting (last column) for the bands and forecasts."""
    u, f, valid = ch.units, ch.family, ch.valid
    n_weeks = u.shape[1]
    s = ctx.season[f]
    inv_k = ctx.inv_k[f]
    a0, b0 = ctx.a0[f], ctx.b0[f]
    order = (u > 0) & valid
    ov = order.astype(np.float32)
    yv = (u - 1).astype(np.float32, copy=False) * ov  # units beyond the first of each order
    so = s.astype(np.float32, copy=False) * ov
    vv = valid.astype(np.float32)
    wins = np.array([m for m in cm.TEST_WINDOWS if m <= max(n_weeks // 3, 1)] or [1])
    weights = np.stack(
        [cm.forgetting_weights(n_weeks, cm.BASELINE_HALF_LIFE_WEEKS, n_weeks - m) for m in wins]
        + [cm.forgetting_weights(n_weeks)],
        axis=1,
    ).astype(np.float32)
    y_sum, s_sum, o_sum, v_sum = (x @ weights for x in (yv, so, ov, vv))
    rate_hat = np.where(s_sum > 0, y_sum / np.maximum(s_sum, 1e-9), 0.0)
    disp = 1.0 + inv_k[:, None] * rate_hat
    alpha, beta = cm.posterior(y_sum / disp, s_sum / disp, a0[:, None], b0[:, None])
    c_post = ctx.c0[f][:, None] + o_sum
    d_post = ctx.d0[f][:, None] + np.maximum(v_sum - o_sum, 0.0)
    pi = c_post / (c_post + d_post)
    return Hurdle(s, inv_k, wins, yv, so, ov, vv, alpha, beta, c_post, d_post, pi)


def window_tests(ch: Chunk, h: Hurdle) -> WindowTest:
    """Lower-tail tests of the recent windows against each window's baseline.

    Size test: the units in each window given the orders placed in it (the units per order
    fell). Count test: the number of order weeks (the orders thinned out), Beta-binomial over
    the window's valid weeks. Every window is tested exactly, and each test combines its
    windows' p-values by the weighted Simes rule (``cm.weighted_simes``, shares
    ``cm.WINDOW_WEIGHTS``): never above the weighted Bonferroni it replaced, smaller when several
    windows fall together, and valid for the nested windows' positively dependent tests (checked
    on stable simulated pairs, docs/twins-accuracy.md). The two tests are then joined by
    Bonferroni (x2). The reported window is the one with the smallest p-value over its share.
    (The window used to be picked by a normal z-score and only that one tested exactly: with
    lumpy units the z picked the wrong one.)
    """
    n = ch.units.shape[0]
    wins, n_win, s, valid = h.wins, h.n_win, h.season, ch.valid
    alpha, beta = h.alpha, h.beta
    weights = cm.window_weights(wins)
    tail_w = int(wins.max())
    # (tail_w, windows) indicator of the last m columns: window sums by one small matmul each.
    last_m = (np.arange(tail_w)[:, None] >= tail_w - wins[None, :]).astype(np.float32)

    def win_sum(x):
        return (x[:, -tail_w:] @ last_m).astype(float)

    y_rev = win_sum(h.yv)
    s1 = win_sum(h.so)
    s2 = win_sum(h.so * h.so)
    r, p = cm.negbin_moments(alpha[:, :n_win], beta[:, :n_win], s1, s2, h.inv_k[:, None])
    rows = np.arange(n)
    best, p_size = cm.weighted_simes(np.where(s1 > 0, cm.nb_cdf(y_rev, r, p), 1.0), weights)
    n_rev = win_sum(h.ov)
    v_rev = win_sum(h.vv)
    sv_rev = win_sum(np.where(valid[:, -tail_w:], s[:, -tail_w:], 0).astype(np.float32))
    cw, dw = h.c_post[:, :n_win], h.d_post[:, :n_win]
    pw = cw / (cw + dw)
    bn, p_count = cm.weighted_simes(
        np.where(v_rev > 0, cm.betabinom_cdf(n_rev, v_rev, cw, dw), 1.0), weights
    )
    use_count = p_count < p_size
    p_partial = np.minimum(1.0, 2.0 * np.minimum(p_size, p_count))
    rate_b = alpha[rows, best] / beta[rows, best]
    rate_n = alpha[rows, bn] / beta[rows, bn]
    units_rev = y_rev + n_rev  # units = orders + units beyond the first
    win_obs = np.where(use_count, units_rev[rows, bn], units_rev[rows, best])
    win_exp = np.where(
        use_count,
        pw[rows, bn] * (v_rev[rows, bn] + sv_rev[rows, bn] * rate_n),
        n_rev[rows, best] + s1[rows, best] * rate_b,
    )
    best = np.where(use_count, bn, best)
    alpha_b, beta_b = alpha[rows, best], beta[rows, best]
    rate_b = alpha_b / beta_b
    magnitude = np.clip(1.0 - win_obs / np.maximum(win_exp, 1e-9), 0.0, 1.0)
    pi_b = h.pi[rows, best]
    return WindowTest(best, p_partial, magnitude, win_obs, win_exp, alpha_b, beta_b, rate_b, pi_b)


def silence_test(ctx, ch: Chunk, h: Hurdle) -> Silence:
    """P(no order in that many weeks) under the baseline of the shortest window that covers the
    silence (fitted before it), and the probability the pair is still active."""
    u, f = ch.units, ch.family
    n, n_weeks = u.shape
    wins, n_win = h.wins, h.n_win
    rows = np.arange(n)
    bought = u > 0
    any_b = bought.any(1)
    last = np.where(any_b, n_weeks - 1 - np.argmax(bought[:, ::-1], 1), -1)
    silence = np.where(any_b, n_weeks - 1 - last, n_weeks)
    zi = np.minimum(np.searchsorted(wins, silence), n_win - 1)
    # The silence's order probability comes from baselines with the shorter half-life: a
    # rhythm that may have drifted is less certain, so chance silences are judged leniently.
    wz = np.stack([cm.forgetting_weights(n_weeks, end=n_weeks - m) for m in wins], axis=1).astype(
        np.float32
    )
    oz, vz = h.ov @ wz, h.vv @ wz
    cz = ctx.c0[f] + oz[rows, zi]
    dz = ctx.d0[f] + np.maximum(vz[rows, zi] - oz[rows, zi], 0.0)
    p_zero = np.where(silence > 0, cm.p_zero_run(cz, dz, silence), 1.0)
    p_buy = cz / (cz + dz)
    p_act = dropout.p_active_weekly(p_buy, silence)
    path = dropout.active_path(p_act, ctx.horizon)
    p_order = None
    fitted = np.zeros(n, bool) if ctx.bgbb is None else np.isfinite(ctx.bgbb[f, 0])
    if fitted.any():
        # The family's heterogeneous dropout (BG/BB) where it could be fitted and is the more
        # pessimistic: a family in which nobody dropped out fits a dropout near zero, and the
        # fixed prior hazard still lets a pair's long silence read as a loss.
        p_order = np.full(n, np.nan)
        rows_f = np.flatnonzero(fitted)
        x, tx, n_after = dropout.rfm_weeks(u[rows_f])
        pa, pth, po = dropout.bgbb_outlook(ctx.bgbb[f[rows_f]], x, tx, n_after, ctx.horizon)
        use = pa < p_act[rows_f]
        rows_f = rows_f[use]
        p_act[rows_f], path[rows_f], p_order[rows_f] = pa[use], pth[use], po[use]
    return Silence(silence, p_zero, p_buy, p_act, path, p_order)


def outlook(ctx, ch: Chunk, h: Hurdle, sil: Silence) -> Outlook:
    """Next week (hurdle band with coverage nearest 90%) and the horizon's expected units."""
    n = ch.units.shape[0]
    tech = ch.technical
    p_act = sil.p_active
    alpha_f, beta_f, pi_f = h.alpha[:, -1], h.beta[:, -1], h.pi[:, -1]
    sn = ctx.season_next[ch.family]
    rn, pn = cm.negbin_moments(alpha_f, beta_f, sn[:, 0], sn[:, 0] ** 2, h.inv_k)
    pa1 = p_act * (1 - dropout.WEEKLY_HAZARD)
    rate_f = alpha_f / beta_f
    expected_next = pa1 * pi_f * (1.0 + sn[:, 0] * rate_f)
    band_low = np.zeros(n)
    band_high = np.zeros(n)
    q_low = np.full(n, np.nan)
    q_high = np.full(n, np.nan)
    c_rows = np.flatnonzero(~tech)
    band_low[c_rows], band_high[c_rows], q_low[c_rows], q_high[c_rows] = cm.hurdle_band(
        rn[c_rows], pn[c_rows], (pa1 * pi_f)[c_rows]
    )
    # An active pair's order probability: BG/BB's posterior mean when the family's dropout was
    # fitted (consistent with its active path), else the hurdle's.
    p_order = pi_f if sil.p_order is None else np.where(np.isnan(sil.p_order), pi_f, sil.p_order)
    per_week = p_order[:, None] * (1.0 + sn * rate_f[:, None])
    forecast = (per_week * sil.active_path).sum(1)
    return Outlook(expected_next, band_low, band_high, q_low, q_high, forecast)


def maturity(ch: Chunk, min_history, min_commodity, min_technical) -> Maturity:
    """Weeks of history, unit price, and whether the pair has enough history for loss alerts."""
    u, e = ch.units, ch.euros
    n_weeks = u.shape[1]
    hist_weeks = n_weeks - ch.first
    n_purch = (u > 0).sum(1)
    units_tot = np.maximum(u, 0).sum(1).astype(float)
    price = np.where(units_tot > 0, e.sum(1).astype(float) / np.maximum(units_tot, 1e-9), 0.0)
    price = np.maximum(price, 0.0)
    mature = (hist_weeks >= min_history) & np.where(
        ch.technical, n_purch >= min_technical, n_purch >= min_commodity
    )
    return Maturity(hist_weeks, price, mature)
