"""Signal rules and alert evidence, vectorised over a chunk of pairs.

Evidence keys (every alert; JSON-serialisable, floats rounded):

- ``kind``: the alert kind; ``family_kind``: "commodity" or "technical";
- ``maturity_weeks``: int weeks since the pair's first purchase;
- ``magnitude``: 0..1 relative size of the deviation (1 - observed / expected for commodity
  losses, 1 - median gap / current silence for technical ones, 1 - share of wallet ...);
- ``expected_units_per_week``: the twin's normal rate;
- ``recovery_threshold_units_per_week``: weekly level that counts as back inside the band
  (commodity: 4-week P5 / 4; technical: one typical order within the P90 gap);
- ``euros_at_stake``; ``probability`` (0..1) and ``p_value`` (tail p-value or None);
- ``horizon_weeks``, ``unit_price``;
- commodity: ``recent_weeks``: up to 26 dicts {week_start, units, expected, p5, p95, campaign,
  out_of_band} under the baseline twin (``p5`` / ``p95``: the week's band, P5 and the upper end
  whose coverage is nearest 90%, see ``commodity.hurdle_band``); ``window_weeks``,
  ``observed_units``, ``expected_units`` of the tested window (for the size test, the expected
  units given the orders placed in it);
  ``silence_weeks`` (weeks since the last purchase);
- technical: ``gaps_days`` (list), ``median_gap_days``, ``p75_gap_days``, ``p90_gap_days``,
  ``current_silence_days``, ``last_purchase`` (ISO date of the Monday of that week),
  ``gap_trend`` (ratio of recent gaps to earlier ones);
- ``p_active``; kind-specific extras: ``share_of_wallet``, ``potential_euros``,
  ``purchases_52w_euros`` (uncaptured potential); ``family_lift``, ``client_lift``
  (campaign without response); ``families`` (cross-family decline); ``support``,
  ``typical_annual_euros`` and ``potential_euros`` (cross-sell; the stated potential of a family
  never bought, else None). ``purchases_52w_euros`` is annualised for pairs younger than a year.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from . import commodity as cm
from . import dropout, technical
from .api import PairScores

#: Per-pair tail level for a candidate loss alert (the queue-level BH comes after).
ALPHA = 0.01
MIN_HISTORY_WEEKS = 26
MIN_COMMODITY_PURCHASES = 8
MIN_TECHNICAL_PURCHASES = 4
MIN_MAGNITUDE = 0.2
#: Uncaptured potential: share of wallet below this, and at least this many euros a year missing.
MAX_SHARE_OF_WALLET = 0.25
MIN_GAP_EUROS = 500.0
#: One-sided z of "buyers of an owned family buy this one more than clients at large".
CROSS_SELL_Z = 3.0
#: Technical pairs are called "stopped buying" (rather than deteriorating) only below this
#: probability of still being active...
TECH_FULL_P_ACTIVE = 0.001
#: ...and after at least a year without a purchase.
TECH_FULL_SILENCE_WEEKS = 52
#: Empty weeks before a commodity pair can be called a full churn.
MIN_SILENT_WEEKS = 3
LENGTHENING = np.log(1.2)
#: One-sided z of a significant lengthening of the recent gaps (10%).
LENGTHENING_Z = 1.2816
RECENT_SHOWN = 26
#: Longest zero run (weeks) used in the full-churn tail probability.
ZERO_RUN_WEEKS = 26
#: Alert precedence within a pair (first wins).
PRECEDENCE = (
    "full_churn",
    "partial_churn",
    "technical_deterioration",
    "suspicious_pause",
    "campaign_no_response",
    "uncaptured_potential",
)


@dataclass
class Context:
    week_start: np.ndarray
    horizon: int
    recent: int
    a0: np.ndarray
    b0: np.ndarray
    c0: np.ndarray  # (F,) Beta prior of the weekly order probability
    d0: np.ndarray
    inv_k: np.ndarray
    season: np.ndarray  # (F, W)
    season_next: np.ndarray  # (F, H)
    fam_lift: np.ndarray  # (F,) campaign lift of the family in the recent weeks
    campaign: np.ndarray  # (F, W)


PARAM_NAMES = (
    "alpha",
    "beta",
    "alpha_base",
    "beta_base",
    "inv_k",
    "p_buy",
    "silence_weeks",
    "mu",
    "sigma",
    "weibull",
    "weibull_k",
    "weibull_scale",
    "p75_gap_days",
    "p90_gap_days",
    "silence_days",
    "gap_trend",
    "unit_price",
    "p_order",
    "p_order_base",
    "band_low_q",
    "band_high_q",
)


def empty_scores(n: int) -> PairScores:
    z = np.zeros(n)
    return PairScores(
        expected_next=z.copy(),
        band_low=z.copy(),
        band_high=z.copy(),
        p_active=np.ones(n),
        forecast_units=z.copy(),
        mature=np.zeros(n, bool),
        params={k: np.full(n, np.nan) for k in PARAM_NAMES},
        alert_kind=np.full(n, "", dtype=object),
        alert_score=z.copy(),
        p_value=np.full(n, np.nan),
        at_stake=z.copy(),
        evidence=[None] * n,
        extra=[],
    )


def fit_technical(units, fam, n_fam, horizon):
    """Technical twin of the given pairs: gap model, silence survival, trend, p_active, bands."""
    n, n_weeks = units.shape
    gaps = technical.purchase_gaps(units)
    model = technical.gap_model(gaps, fam, n_fam)
    trend, trend_se = technical.gap_trend(gaps, model["sigma"])
    silence_w = np.where(gaps.last_week >= 0, n_weeks - 1 - gaps.last_week, n_weeks)
    silence = silence_w * technical.DAYS_PER_WEEK
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
        "median": technical.gap_quantile(0.5, model),
        "trend": trend,
        "trend_se": trend_se,
        "p_buy": p_buy,
        "expected_next": p_buy * size,
        "band_low": np.where(p_buy >= 0.95, np.round(size), 0.0),
        "band_high": np.where(p_buy > 0.05, np.round(size), 0.0),
        "forecast": p_act * size * horizon * technical.DAYS_PER_WEEK / np.maximum(mean_gap, 1.0),
    }


def score_chunk(
    out,
    state,
    sl,
    ctx,
    u,
    e,
    f,
    tech,
    hist,
    valid,
    camp,
    first,
    potential,
    tfit,
    tpos,
):
    """Fill ``out[sl]`` for one chunk of pairs."""
    n, n_weeks = u.shape
    rec = ctx.recent
    base_end = n_weeks - rec
    horizon = ctx.horizon
    s = ctx.season[f]
    inv_k = ctx.inv_k[f]
    a0, b0 = ctx.a0[f], ctx.b0[f]
    # Hurdle fit: order weeks (valid weeks with units) and units in them, one weighted sum per
    # baseline: one baseline per test window (ending where the window starts) plus the whole
    # history with forgetting (last column) for the bands and forecasts.
    order = (u > 0) & valid
    ov = order.astype(np.float32)
    yv = (u - 1).astype(np.float32, copy=False) * ov  # units beyond the first of each order
    so = s.astype(np.float32, copy=False) * ov
    vv = valid.astype(np.float32)
    wins = np.array([m for m in cm.TEST_WINDOWS if m <= max(n_weeks // 3, 1)] or [1])
    n_win = wins.size
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
    alpha_f, beta_f, pi_f = alpha[:, -1], beta[:, -1], pi[:, -1]

    # Lower-tail test of the units in each window given the orders placed in it (the units per
    # order fell), against that window's baseline. The window with the most extreme
    # standardised deficit is tested exactly; the Bonferroni factor over the windows keeps the
    # test valid.
    tail_w = int(wins.max())
    # (tail_w, windows) indicator of the last m columns: window sums by one small matmul each.
    last_m = (np.arange(tail_w)[:, None] >= tail_w - wins[None, :]).astype(np.float32)

    def win_sum(x):
        return (x[:, -tail_w:] @ last_m).astype(float)

    y_rev = win_sum(yv)
    s1 = win_sum(so)
    s2 = win_sum(so * so)
    r, p = cm.negbin_moments(alpha[:, :n_win], beta[:, :n_win], s1, s2, inv_k[:, None])
    mean = r * (1 - p) / p
    z = np.where(s1 > 0, (y_rev - mean) / np.sqrt(np.maximum(mean / p, 1e-12)), np.inf)
    best = z.argmin(1)
    rows = np.arange(n)
    rb, pb, yb = r[rows, best], p[rows, best], y_rev[rows, best]
    p_one = np.where(s1[rows, best] > 0, cm.nb_cdf(yb, rb, pb), 1.0)
    p_size = np.minimum(1.0, p_one * n_win)
    # Lower-tail test of the number of order weeks in each window (the orders thinned out):
    # Beta-binomial over the window's valid weeks, most extreme window, Bonferroni.
    n_rev = win_sum(ov)
    v_rev = win_sum(vv)
    sv_rev = win_sum(np.where(valid[:, -tail_w:], s[:, -tail_w:], 0).astype(np.float32))
    cw, dw = c_post[:, :n_win], d_post[:, :n_win]
    pw = cw / (cw + dw)
    var_n = v_rev * pw * (1 - pw) * (cw + dw + v_rev) / (cw + dw + 1)
    zn = np.where(v_rev > 0, (n_rev - v_rev * pw) / np.sqrt(np.maximum(var_n, 1e-12)), np.inf)
    bn = zn.argmin(1)
    p_count = np.minimum(
        1.0, cm.betabinom_cdf(n_rev[rows, bn], v_rev[rows, bn], cw[rows, bn], dw[rows, bn]) * n_win
    )
    use_count = p_count < p_size
    p_partial = np.minimum(1.0, 2.0 * np.minimum(p_size, p_count))
    alpha_b, beta_b = alpha[rows, best], beta[rows, best]
    rate_b = alpha_b / beta_b
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

    # Silence: P(no order in that many weeks) under the baseline of the shortest window that
    # covers the silence (fitted before it), and the probability the pair is still active.
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
    oz, vz = ov @ wz, vv @ wz
    cz = ctx.c0[f] + oz[rows, zi]
    dz = ctx.d0[f] + np.maximum(vz[rows, zi] - oz[rows, zi], 0.0)
    p_zero = np.where(silence > 0, cm.p_zero_run(cz, dz, silence), 1.0)
    p_buy = cz / (cz + dz)
    p_act = dropout.p_active_weekly(p_buy, silence)

    # Next week (hurdle band with coverage nearest 90%) and horizon.
    sn = ctx.season_next[f]
    rn, pn = cm.negbin_moments(alpha_f, beta_f, sn[:, 0], sn[:, 0] ** 2, inv_k)
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
    per_week = pi_f[:, None] * (1.0 + sn * rate_f[:, None])
    forecast = (per_week * dropout.active_path(p_act, horizon)).sum(1)
    # Maturity and unit price.
    hist_weeks = n_weeks - first
    n_purch = bought.sum(1)
    units_tot = np.maximum(u, 0).sum(1).astype(float)
    price = np.where(units_tot > 0, e.sum(1).astype(float) / np.maximum(units_tot, 1e-9), 0.0)
    price = np.maximum(price, 0.0)
    mature = (hist_weeks >= MIN_HISTORY_WEEKS) & np.where(
        tech, n_purch >= MIN_TECHNICAL_PURCHASES, n_purch >= MIN_COMMODITY_PURCHASES
    )
    com = ~tech

    # Commodity signals.
    full_c = com & mature & (silence >= MIN_SILENT_WEEKS) & (p_act < 0.5) & (p_zero <= ALPHA)
    partial = com & mature & ~full_c & (p_partial <= ALPHA) & (magnitude >= MIN_MAGNITUDE)
    # Campaign without response: the units of the recent campaign weeks are in the lower 1%
    # tail of what the family's lift predicts (hurdle: a mixture over the number of orders).
    pi_b = pi[rows, best]
    rc = camp[:, base_end:]
    sc = np.where(rc, s[:, base_end:], 0).astype(float)
    n_camp = rc.sum(1)
    camp_exp = pi_b * (n_camp + sc.sum(1) * rate_b)
    camp_obs = np.where(rc, u[:, base_end:], 0).sum(1).astype(float)
    client_lift = np.where(camp_exp > 0, camp_obs / np.maximum(camp_exp, 1e-9), np.nan)
    fam_lift = ctx.fam_lift[f]
    lift = np.nan_to_num(fam_lift, nan=1.0)
    s_bar = sc.sum(1) / np.maximum(n_camp, 1)
    p_camp = np.zeros(n)
    for j in range(int(n_camp.max()) + 1 if n else 0):
        w_j = stats.binom.pmf(j, n_camp, pi_b)
        # j orders of lifted size: j plus NB units beyond the first of each.
        s_j = j * np.maximum(lift * (1.0 + s_bar * rate_b) - 1.0, 0.0) / np.maximum(rate_b, 1e-9)
        rj, pj = cm.negbin_moments(alpha_b, beta_b, s_j, s_j**2 / max(j, 1), inv_k)
        p_camp += w_j * np.where(j > 0, cm.nb_cdf(camp_obs - j, rj, pj), 1.0)
    camp_nr = (
        com & mature & rc.any(1) & (fam_lift >= 1.2) & (client_lift <= 1.0) & (p_camp <= ALPHA)
    )
    # Uncaptured potential: the last 52 weeks (annualised when the pair is younger) are a small
    # share of a stated potential, and the gap is material.
    e52 = e[:, -52:].sum(1).astype(float) * 52.0 / np.clip(hist_weeks, 13, 52)
    share = np.where(potential > 0, e52 / np.where(potential > 0, potential, 1), np.nan)
    gap_eur = np.nan_to_num(potential - e52)
    uncaptured = (
        (hist_weeks >= 13)
        & np.isfinite(share)
        & (share < MAX_SHARE_OF_WALLET)
        & (gap_eur >= MIN_GAP_EUROS)
    )

    # Technical signals (rows of this chunk that are technical).
    t_rows = np.flatnonzero(tech)
    tp = tpos[t_rows]
    full_t = np.zeros(n, bool)
    det = np.zeros(n, bool)
    pause = np.zeros(n, bool)
    t_surv = np.ones(n)
    t_sil = np.zeros(n)
    t_p75 = np.zeros(n)
    t_p90 = np.zeros(n)
    t_trend = np.zeros(n)
    t_med = np.ones(n)
    t_trend_se = np.zeros(n)
    t_pact = np.ones(n)
    if t_rows.size:
        t_surv[t_rows] = tfit["survival"][tp]
        t_sil[t_rows] = tfit["silence_days"][tp]
        t_p75[t_rows] = tfit["p75"][tp]
        t_p90[t_rows] = tfit["p90"][tp]
        t_trend[t_rows] = tfit["trend"][tp]
        t_med[t_rows] = tfit["median"][tp]
        t_trend_se[t_rows] = tfit["trend_se"][tp]
        t_pact[t_rows] = tfit["p_active"][tp]
        past90 = tech & mature & (t_sil > t_p90)
        # Recent gaps significantly longer than the earlier ones (one-sided z test, 10%).
        lengthening = (t_trend >= LENGTHENING) & (t_trend >= LENGTHENING_Z * t_trend_se)
        # A silence past P90 is a deterioration (its survival is the tail p-value the queue's
        # BH judges); "stopped buying" only once activity is all but ruled out.
        full_t = (
            past90
            & (t_surv <= ALPHA)
            & (t_pact < TECH_FULL_P_ACTIVE)
            & (t_sil >= TECH_FULL_SILENCE_WEEKS * technical.DAYS_PER_WEEK)
        )
        det = past90 & ~full_t
        pause = tech & mature & ~full_t & ~det & (t_sil > t_p75) & lengthening
        p_act[t_rows] = t_pact[t_rows]
        expected_next[t_rows] = tfit["expected_next"][tp]
        band_low[t_rows] = tfit["band_low"][tp]
        band_high[t_rows] = tfit["band_high"][tp]
        forecast[t_rows] = tfit["forecast"][tp]

    # Pick one alert per pair, score it and put a price on it.
    flags = {
        "full_churn": full_c | full_t,
        "partial_churn": partial,
        "technical_deterioration": det,
        "suspicious_pause": pause,
        "campaign_no_response": camp_nr,
        "uncaptured_potential": uncaptured,
    }
    kind = np.full(n, "", dtype=object)
    for k in reversed(PRECEDENCE):
        kind[flags[k]] = k
    weekly_c = np.where(com, pi_b * (1.0 + s[:, base_end:].mean(1) * rate_b), 0.0)
    t_size = np.zeros(n)
    t_mean_gap = np.ones(n)
    if t_rows.size:
        t_size[t_rows] = tfit["size"][tp]
        t_mean_gap[t_rows] = tfit["mean_gap"][tp]
    weekly = np.where(
        tech, t_size * technical.DAYS_PER_WEEK / np.maximum(t_mean_gap, 1.0), weekly_c
    )
    # Tail p-value of each mature pair's loss test (the BH input); NaN for non-tail signals.
    p_loss = np.where(com, np.minimum(p_partial, np.where(silence >= 2, p_zero, 1.0)), t_surv)
    p_value = np.where(mature, p_loss, np.nan)
    t_mag = np.clip(1.0 - t_med / np.maximum(t_sil, 1e-9), 0.0, 1.0)
    prob = np.zeros(n)
    mag = np.zeros(n)
    prob = np.where(kind == "partial_churn", 1.0 - p_partial, prob)
    mag = np.where(kind == "partial_churn", magnitude, mag)
    is_full = kind == "full_churn"
    prob = np.where(is_full, 1.0 - p_act, prob)
    mag = np.where(is_full & com, 1.0, np.where(is_full, t_mag, mag))
    tk = (kind == "technical_deterioration") | (kind == "suspicious_pause")
    prob = np.where(tk, 1.0 - t_surv, prob)
    mag = np.where(tk, t_mag, mag)
    is_c = kind == "campaign_no_response"
    gap = np.clip(1.0 - client_lift / np.where(fam_lift > 0, fam_lift, 1), 0, 1)
    prob = np.where(is_c, gap, prob)
    mag = np.where(is_c, gap, mag)
    is_u = kind == "uncaptured_potential"
    prob = np.where(is_u, 1.0 - np.nan_to_num(share), prob)
    mag = np.where(is_u, 1.0 - np.nan_to_num(share), mag)
    stake = prob * mag * weekly * horizon * price
    stake = np.where(
        is_c,
        (np.nan_to_num(fam_lift) - np.nan_to_num(client_lift)).clip(0) * camp_exp * price,
        stake,
    )
    stake = np.where(is_u, np.nan_to_num(potential - e52).clip(0) * horizon / 52.0, stake)
    # Suspicious pauses and the other rule-based signals carry no p-value of their own.
    rule_based = (kind == "suspicious_pause") | is_c | is_u
    pair_p = np.where(rule_based, np.nan, p_value)

    o = out
    o.expected_next[sl] = expected_next
    o.band_low[sl] = band_low
    o.band_high[sl] = band_high
    o.p_active[sl] = p_act
    o.forecast_units[sl] = forecast
    o.mature[sl] = mature
    o.alert_kind[sl] = kind
    o.alert_score[sl] = np.clip(prob, 0, 1)
    o.p_value[sl] = pair_p
    o.at_stake[sl] = stake
    prm = o.params
    for name, val in (
        ("alpha", alpha_f),
        ("beta", beta_f),
        ("alpha_base", alpha_b),
        ("beta_base", beta_b),
        ("inv_k", inv_k),
        ("p_buy", p_buy),
        ("p_order", pi_f),
        ("p_order_base", pi_b),
        ("band_low_q", q_low),
        ("band_high_q", q_high),
        ("silence_weeks", silence),
        ("unit_price", price),
    ):
        prm[name][sl] = np.where(com | (name in ("silence_weeks", "unit_price")), val, np.nan)
    if t_rows.size:
        model = tfit["model"]
        g = sl.start + t_rows
        prm["mu"][g] = model["mu"][tp]
        prm["sigma"][g] = model["sigma"][tp]
        prm["weibull"][g] = model["weibull"][tp].astype(float)
        prm["weibull_k"][g] = model["k"][tp]
        prm["weibull_scale"][g] = model["scale"][tp]
        prm["p75_gap_days"][g] = t_p75[t_rows]
        prm["p90_gap_days"][g] = t_p90[t_rows]
        prm["silence_days"][g] = t_sil[t_rows]
        prm["gap_trend"][g] = t_trend[t_rows]

    st = state
    for name, val in (
        ("hist_weeks", hist_weeks),
        ("mag", mag),
        ("weekly", weekly),
        ("prob", prob),
        ("win_len", wins[best] + 1),
        ("win_obs", win_obs),
        ("win_exp", win_exp),
        ("share", share),
        ("e52", e52),
        ("fam_lift", fam_lift),
        ("client_lift", client_lift),
        ("t_med", t_med),
        ("t_size", t_size),
        ("drop", np.where(com, magnitude, t_mag)),
        ("loss_stake", np.where(com, magnitude, t_mag) * weekly * horizon * price),
    ):
        st[name][sl] = val


STATE_NAMES = (
    "hist_weeks",
    "mag",
    "weekly",
    "prob",
    "win_len",
    "win_obs",
    "win_exp",
    "share",
    "e52",
    "fam_lift",
    "client_lift",
    "t_med",
    "t_size",
    "drop",
    "loss_stake",
)


def build_evidence(out, state, rows, units, fam, potential, ctx, tfit, tpos):
    """``[(pair, evidence dict)]`` for the given pairs (global indices), vectorised over them."""
    prm = out.params
    n_weeks = units.shape[1]
    base_end = n_weeks - ctx.recent
    st = {k: v[rows] for k, v in state.items()}
    common = _common_lists(
        {
            "hist_weeks": st["hist_weeks"],
            "mag": st["mag"],
            "weekly": st["weekly"],
            "stake": out.at_stake[rows],
            "prob": st["prob"],
            "p_value": out.p_value[rows],
            "p_active": out.p_active[rows],
            "price": prm["unit_price"][rows],
            "kind": out.alert_kind[rows],
        }
    )
    result = []
    extras = (st["share"], potential[rows], st["e52"], st["fam_lift"], st["client_lift"])
    is_tech = np.isnan(prm["alpha"][rows])
    ca = np.flatnonzero(~is_tech)
    if ca.size:
        g = rows[ca]
        shown = min(RECENT_SHOWN, n_weeks)
        cols = np.arange(n_weeks - shown, n_weeks)
        s = ctx.season[fam[g]]
        ss = s[:, cols].astype(float)
        a, b, ik = prm["alpha_base"][g], prm["beta_base"][g], prm["inv_k"][g]
        pb = prm["p_order_base"][g]
        rr, pp = cm.negbin_moments(a[:, None], b[:, None], ss, ss**2, ik[:, None])
        lo, hi, _, _ = cm.hurdle_band(rr, pp, pb[:, None])
        s4 = s[:, base_end:].mean(1)
        r4, p4 = cm.hurdle_sum_moments(pb, s4 * a / b, ik, 4)
        rec_l = np.round(cm.nb_ppf(0.05, r4, p4) / 4, 2).tolist()
        wk = ctx.week_start[cols].astype(str).tolist()
        uu = units[g][:, cols].astype(float)
        oob = ((uu < lo) | (uu > hi)).tolist()
        cflag = ctx.campaign[fam[g]][:, cols].tolist()
        uu_l = np.round(uu, 2).tolist()
        exp_l = np.round(pb[:, None] * (1.0 + ss * (a / b)[:, None]), 2).tolist()
        lo_l, hi_l = lo.tolist(), hi.tolist()
        for j, i in enumerate(ca):
            ev = _common_evidence(i, common, ctx.horizon, "commodity")
            ev["recovery_threshold_units_per_week"] = rec_l[j]
            ev["window_weeks"] = int(st["win_len"][i])
            ev["silence_weeks"] = int(prm["silence_weeks"][g[j]])
            ev["observed_units"] = _r(st["win_obs"][i])
            ev["expected_units"] = _r(st["win_exp"][i])
            ev["recent_weeks"] = [
                {
                    "week_start": w,
                    "units": x,
                    "expected": e,
                    "p5": lw,
                    "p95": hg,
                    "campaign": c,
                    "out_of_band": o,
                }
                for w, x, e, lw, hg, c, o in zip(
                    wk, uu_l[j], exp_l[j], lo_l[j], hi_l[j], cflag[j], oob[j], strict=True
                )
            ]
            _kind_extras(ev, i, common["kind"][i], *extras)
            result.append((int(g[j]), ev))
    gaps = tfit["gaps"] if tfit is not None else None
    for i in np.flatnonzero(is_tech):
        r = rows[i]
        k = tpos[r]
        ev = _common_evidence(i, common, ctx.horizon, "technical")
        lst = gaps.last_week[k]
        p90 = prm["p90_gap_days"][r]
        ev.update(
            recovery_threshold_units_per_week=_r(
                st["t_size"][i] * technical.DAYS_PER_WEEK / max(p90, 1.0)
            ),
            gaps_days=[int(x) for x in gaps.days[gaps.start[k] : gaps.start[k] + gaps.count[k]]],
            median_gap_days=_r(st["t_med"][i]),
            p75_gap_days=_r(prm["p75_gap_days"][r]),
            p90_gap_days=_r(p90),
            current_silence_days=int(prm["silence_days"][r]),
            last_purchase=str(ctx.week_start[lst]) if lst >= 0 else None,
            gap_trend=_r(float(np.exp(prm["gap_trend"][r]))),
        )
        _kind_extras(ev, i, common["kind"][i], *extras)
        result.append((int(r), ev))
    return result


def _r(x, digits=2):
    x = float(x)
    return round(x, digits) if np.isfinite(x) else None


def _rl(values, digits=2):
    """Rounded Python list of an array, None where not finite."""
    v = np.asarray(values, dtype=float)
    out = np.round(v, digits).tolist()
    if not np.isfinite(v).all():
        out = [x if np.isfinite(x) else None for x in out]
    return out


def _sig3(values):
    """Three significant digits (p-values), None where not finite."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & (v > 0)
    digits = np.where(ok, 2 - np.floor(np.log10(np.where(ok, v, 1.0))), 0).astype(int)
    return [
        round(x, d) if o else (0.0 if x == 0 else None)
        for x, d, o in zip(v.tolist(), digits.tolist(), ok.tolist(), strict=True)
    ]


def _common_lists(c):
    """Per-alert JSON-ready lists of the fields every alert carries."""
    return {
        "kind": [str(k) for k in c["kind"]],
        "maturity_weeks": np.asarray(c["hist_weeks"]).astype(int).tolist(),
        "magnitude": _rl(c["mag"], 3),
        "expected_units_per_week": _rl(c["weekly"]),
        "euros_at_stake": _rl(c["stake"]),
        "probability": _rl(c["prob"], 4),
        "p_value": _sig3(c["p_value"]),
        "p_active": _rl(c["p_active"], 4),
        "unit_price": _rl(c["price"]),
    }


def _common_evidence(i, c, horizon, family_kind):
    return {
        "kind": c["kind"][i],
        "family_kind": family_kind,
        "maturity_weeks": c["maturity_weeks"][i],
        "magnitude": c["magnitude"][i],
        "expected_units_per_week": c["expected_units_per_week"][i],
        "euros_at_stake": c["euros_at_stake"][i],
        "probability": c["probability"][i],
        "p_value": c["p_value"][i],
        "p_active": c["p_active"][i],
        "horizon_weeks": int(horizon),
        "unit_price": c["unit_price"][i],
    }


def _kind_extras(ev, i, kind, share, potential, e52, fam_lift, client_lift):
    if kind == "uncaptured_potential":
        ev.update(
            share_of_wallet=_r(share[i], 3),
            potential_euros=_r(potential[i]),
            purchases_52w_euros=_r(e52[i]),
        )
    elif kind == "campaign_no_response":
        ev.update(family_lift=_r(fam_lift[i], 3), client_lift=_r(client_lift[i], 3))


def client_signals(out, state, fam, cli, units, euros, n_cli, n_fam, horizon, potential=None):
    """Client-level alerts: cross-family decline (family -1) and cross-sell.

    Cross-sell comes from a family the client never bought while buyers of its families buy it
    clearly more than clients at large, or from a pair of the batch that was never bought but
    carries a stated potential (``potential``, (P,) euros a year)."""
    extra = []
    # Cross-family decline: two or more families of one client falling together (Fisher).
    ev_p = np.where(out.mature, out.p_value, np.nan)
    falling = (
        out.mature
        & (ev_p <= 0.05)
        & np.isin(out.alert_kind, ("partial_churn", "full_churn", "technical_deterioration"))
    )
    n_fall = np.bincount(cli[falling], minlength=n_cli)
    n_mature = np.bincount(cli[out.mature], minlength=n_cli)
    # Fisher over all the client's mature families (not only the falling ones, which would
    # select small p-values and void the test).
    tested = out.mature & np.isfinite(ev_p)
    chi = np.bincount(
        cli[tested], weights=-2 * np.log(np.maximum(ev_p[tested], 1e-300)), minlength=n_cli
    )
    comb = stats.chi2.sf(chi, 2 * np.maximum(np.bincount(cli[tested], minlength=n_cli), 1))
    hit = np.flatnonzero((n_fall >= 2) & (2 * n_fall >= n_mature) & (comb <= ALPHA))
    fall_rows = np.flatnonzero(falling & np.isin(cli, hit))
    fall_rows = fall_rows[np.argsort(cli[fall_rows], kind="stable")]
    bounds = np.searchsorted(cli[fall_rows], hit)
    for c, lo in zip(hit, bounds, strict=True):
        rows = fall_rows[lo : lo + n_fall[c]]
        stake = float(state["loss_stake"][rows].sum())
        weekly = float(state["weekly"][rows].sum())
        extra.append(
            {
                "client": int(c),
                "family": -1,
                "kind": "cross_family_decline",
                "score": round(1.0 - float(comb[c]), 4),
                "p_value": float(f"{comb[c]:.3g}"),
                "at_stake": round(stake, 2),
                "evidence": {
                    "kind": "cross_family_decline",
                    "family_kind": "mixed",
                    "maturity_weeks": int(state["hist_weeks"][rows].max()),
                    "magnitude": _r(float(state["drop"][rows].mean()), 3),
                    "expected_units_per_week": _r(weekly),
                    # 80% of the normal rate summed over the falling families.
                    "recovery_threshold_units_per_week": _r(0.8 * weekly),
                    "euros_at_stake": round(stake, 2),
                    "probability": round(1 - float(comb[c]), 4),
                    "p_value": float(f"{comb[c]:.3g}"),
                    "families_falling": int(n_fall[c]),
                    "families_mature": int(n_mature[c]),
                    "families": [
                        {
                            "family": int(fam[r]),
                            "p_value": float(f"{out.p_value[r]:.3g}"),
                            "kind": str(out.alert_kind[r]),
                        }
                        for r in rows
                    ],
                },
            }
        )
    # Cross-sell: item-item co-occurrence among buyers.
    bought = units.sum(1) > 0
    buy = np.zeros((n_cli, n_fam), dtype=np.float32)
    buy[cli[bought], fam[bought]] = 1.0
    co = buy.T @ buy  # (F, F)
    n_buyers = np.diag(co).copy()
    cond = np.where(n_buyers[None, :] > 0, co / np.maximum(n_buyers[None, :], 1), 0.0)
    n_own = buy.sum(1)
    score = (buy @ cond.T) / np.maximum(n_own, 1)[:, None]  # mean P(f | g) over owned g
    raw = np.maximum(score, n_buyers[None, :] / max(n_cli, 1))
    # Similar clients must buy f clearly more than clients at large: for some owned g, the
    # buyers of g buy f CROSS_SELL_Z binomial standard errors above the base rate of f.
    base = n_buyers / max(n_cli, 1)
    sd = np.sqrt(n_buyers[None, :] * base[:, None] * (1 - base[:, None]))
    z_fg = np.where(sd > 0, (co - n_buyers[None, :] * base[:, None]) / np.maximum(sd, 1e-9), 0.0)
    z_best = np.full((n_cli, n_fam), -np.inf)
    for g in range(n_fam):
        owner = buy[:, g] > 0
        z_best[owner] = np.maximum(z_best[owner], z_fg[:, g][None, :])
    score[z_best < CROSS_SELL_Z] = 0.0
    score[buy > 0] = 0.0
    score[:, n_buyers < 20] = 0.0
    best = score.argmax(1)
    top = score[np.arange(n_cli), best]
    annual = np.zeros(n_fam)
    e52 = euros[:, -52:].sum(1)
    for f in range(n_fam):
        v = e52[(fam == f) & bought]
        annual[f] = float(np.median(v)) if v.size else 0.0
    stated = np.zeros((n_cli, n_fam))
    if potential is not None:
        never = ~bought & (np.nan_to_num(potential) > 0)
        stated[cli[never], fam[never]] = potential[never]
    stated[buy > 0] = 0.0
    pairs = [(c, int(best[c]), float(top[c])) for c in np.flatnonzero((n_own >= 2) & (top >= 0.5))]
    pairs = [(c, f, t) for c, f, t in pairs if stated[c, f] <= 0]
    sc_, sf_ = np.nonzero(stated > 0)
    pairs += [(c, f, float(raw[c, f])) for c, f in zip(sc_, sf_, strict=True)]
    for c, f, prob in pairs:
        pot = float(stated[c, f])
        yearly = pot if pot > 0 else annual[f]
        stake = yearly * prob * horizon / 52.0
        extra.append(
            {
                "client": int(c),
                "family": f,
                "kind": "cross_sell",
                "score": round(prob, 4),
                "p_value": None,
                "at_stake": round(stake, 2),
                "evidence": {
                    "kind": "cross_sell",
                    "family_kind": None,
                    "maturity_weeks": 0,
                    "magnitude": round(prob, 3),
                    "expected_units_per_week": None,
                    "recovery_threshold_units_per_week": None,
                    "euros_at_stake": round(stake, 2),
                    "probability": round(prob, 4),
                    "p_value": None,
                    "support": int(n_buyers[f]),
                    "typical_annual_euros": round(annual[f], 2),
                    "potential_euros": round(pot, 2) if pot > 0 else None,
                },
            }
        )
    return extra
