"""Signals of one chunk of pairs: the rules applied to the fitted twin, one alert per pair.

:func:`score_chunk` runs the named steps of :mod:`twins.stats.fit` and of this module and writes
the chunk's rows of a :class:`~twins.stats.types.PairScores` and of the per-pair state that
:mod:`twins.stats.evidence` and :mod:`twins.stats.clients` read afterwards.
"""

from dataclasses import dataclass

import numpy as np

from . import commodity as cm
from . import fit, technical
from . import potential as pot_rules
from .rules import (
    ALPHA,
    CAMPAIGN_ODDS,
    LENGTHENING,
    LENGTHENING_Z,
    MAX_SHARE_OF_WALLET,
    MIN_COMMODITY_PURCHASES,
    MIN_FAMILY_LIFT,
    MIN_GAP_EUROS,
    MIN_HISTORY_WEEKS,
    MIN_MAGNITUDE,
    MIN_SILENT_WEEKS,
    MIN_TECHNICAL_PURCHASES,
    POST_CAMPAIGN_WEEKS,
    PRECEDENCE,
    TECH_FULL_P_ACTIVE,
    TECH_FULL_SILENCE_WEEKS,
)


@dataclass
class CommoditySignals:
    full: np.ndarray  # (n,) bool: stopped buying
    partial: np.ndarray  # (n,) bool: buys clearly less
    no_response: np.ndarray  # (n,) bool: campaign without response
    uncaptured: np.ndarray  # (n,) bool: small share of a stated potential
    camp_exp: np.ndarray  # (n,) expected units of one campaign (usual level, no lift)
    client_lift: np.ndarray  # (n,) observed / expected units in every campaign since the first
    fam_lift: np.ndarray  # (n,) the family's campaign lift
    e52: np.ndarray  # (n,) euros of the last 52 weeks (annualised when younger)
    share: np.ndarray  # (n,) e52 / potential, NaN when no potential
    campaign_llr: np.ndarray  # (n,) log likelihood ratio of "buys as usual in campaigns"
    level: np.ndarray | None = None  # (n,) max(e52, average annual euros over the history)
    level_share: np.ndarray | None = None  # (n,) level / potential, NaN when no potential
    reliability: np.ndarray | None = None  # (n,) potential.RELIABLE / ABOVE_PURCHASES / ...
    reach: np.ndarray | None = None  # (n,) the family's reach (potential.family_reach)


@dataclass
class TechnicalSignals:
    """Technical twin values of the chunk's rows (defaults on commodity rows) and their flags."""

    survival: np.ndarray
    silence_days: np.ndarray
    p75: np.ndarray
    p90: np.ndarray
    trend: np.ndarray
    median: np.ndarray
    p_active: np.ndarray
    size: np.ndarray
    mean_gap: np.ndarray
    full: np.ndarray  # (n,) bool: stopped buying
    deteriorating: np.ndarray  # (n,) bool: silence past the P90 gap
    pause: np.ndarray  # (n,) bool: past P75 with lengthening gaps


@dataclass
class Alerts:
    """One alert per pair (kind "" for none), its probability, magnitude and euros at stake."""

    kind: np.ndarray
    prob: np.ndarray
    mag: np.ndarray
    stake: np.ndarray
    weekly: np.ndarray  # (n,) normal units per week
    p_value: np.ndarray  # (n,) the pair's p-value as published (NaN for rule-based signals)
    loss_mag: np.ndarray  # (n,) magnitude of the loss test (commodity or technical)


def commodity_signals(ctx, ch, h, wt, sil, mat):
    """Full churn, partial churn, campaign without response and uncaptured potential."""
    u, e, f, potential = ch.units, ch.euros, ch.family, ch.potential
    n = u.shape[0]
    com, mature = ~ch.technical, mat.mature
    full_c = (
        com
        & mature
        & (sil.silence >= MIN_SILENT_WEEKS)
        & (sil.p_active < 0.5)
        & (sil.p_zero <= ALPHA)
    )
    partial = com & mature & ~full_c & (wt.p_partial <= ALPHA) & (wt.magnitude >= MIN_MAGNITUDE)
    # Campaign without response: over every campaign since the first purchase, the client's
    # campaign and post-campaign weeks are CAMPAIGN_ODDS times likelier if it buys as usual
    # than if it moves like the family (its lifts), and its campaign lift is nearer 1 than the
    # family's: the client buys as usual through the campaigns. One campaign is rarely enough
    # (docs/twins-accuracy.md); the evidence adds up over the history's campaigns.
    camp_w, post_w = cm.campaign_weeks(ch.camp, ch.first, POST_CAMPAIGN_WEEKS)
    fam_lift = ctx.fam_lift[f]
    post_lift = getattr(ctx, "fam_post_lift", None)
    post_lift = np.ones(n) if post_lift is None else np.nan_to_num(post_lift[f], nan=1.0)
    camp_obs = np.where(camp_w, u, 0).sum(1).astype(float)
    n_camp = camp_w.sum(1)
    s_camp = np.where(camp_w, h.season, 0).sum(1).astype(float)
    camp_exp = wt.pi_b * (n_camp + s_camp * wt.rate_b)  # at the usual level
    client_lift = np.where(camp_exp > 0, camp_obs / np.maximum(camp_exp, 1e-9), np.nan)
    # Log likelihood ratio of "buys as usual" against "responds like the family", week by week.
    llr = _week_llr(camp_w, u, h, wt, np.nan_to_num(fam_lift, nan=1.0)) + _week_llr(
        post_w, u, h, wt, post_lift
    )
    camp_nr = (
        com
        & mature
        & (n_camp > 0)
        & (fam_lift >= MIN_FAMILY_LIFT)
        & (client_lift <= (1.0 + fam_lift) / 2.0)
        & (llr >= np.log(CAMPAIGN_ODDS))
    )
    starts = camp_w & ~np.pad(camp_w, ((0, 0), (1, 0)))[:, :-1]
    n_campaigns = starts.sum(1)
    # Uncaptured potential: the pair's level (the higher of its last 52 weeks, annualised when
    # younger, and its average year over the history) is a small share of a stated potential
    # that is reliable, and the gap is material.
    hist_weeks = mat.hist_weeks
    e52, e_long = pot_rules.annual_levels(e, hist_weeks)
    share = np.where(potential > 0, e52 / np.where(potential > 0, potential, 1), np.nan)
    level, level_share = pot_rules.shares(e52, e_long, potential)
    fam_reach = getattr(ctx, "potential_reach", None)
    reach = np.full(n, np.nan) if fam_reach is None else np.asarray(fam_reach)[f]
    code = pot_rules.reliability(e52, e_long, potential, hist_weeks, reach)
    gap_eur = np.nan_to_num(potential - level)
    uncaptured = (
        (hist_weeks >= pot_rules.MIN_JUDGED_WEEKS)
        & np.isfinite(level_share)
        & (level_share < MAX_SHARE_OF_WALLET)
        & (gap_eur >= MIN_GAP_EUROS)
        & (code == pot_rules.RELIABLE)
    )
    return CommoditySignals(
        full_c,
        partial,
        camp_nr,
        uncaptured,
        camp_exp / np.maximum(n_campaigns, 1),
        client_lift,
        fam_lift,
        e52,
        share,
        llr,
        level,
        level_share,
        code,
        reach,
    )


def _week_llr(mask, u, h, wt, lift):
    """Sum over the weeks in ``mask`` of log P(units | usual) - log P(units | ``lift`` x usual).

    A week's units are 0 (no order) or one plus Negative Binomial units beyond the first; the
    lift scales the units of an order (as a promotion does: bigger orders, as often), so weeks
    without an order say nothing either way.
    """
    rows, cols = np.nonzero(mask & (u > 0))
    if not rows.size:
        return np.zeros(mask.shape[0])
    rate, s = wt.rate_b[rows], h.season[rows, cols].astype(float)
    x = u[rows, cols].astype(float) - 1.0
    out = np.zeros(rows.size)
    for sign, lf in ((1.0, np.ones(rows.size)), (-1.0, lift[rows])):
        per_order = np.maximum(lf * (1.0 + s * rate) - 1.0, 1e-6) / np.maximum(rate, 1e-9)
        r, p = cm.negbin_moments(
            wt.alpha_b[rows], wt.beta_b[rows], per_order, per_order**2, h.inv_k[rows]
        )
        out += sign * cm.nb_logpmf(np.maximum(x, 0), r, np.clip(p, 1e-12, 1 - 1e-12))
    return np.bincount(rows, weights=out, minlength=mask.shape[0])


def technical_signals(ch, tfit, mature):
    """Deterioration, suspicious pause and full churn of the chunk's technical rows."""
    tech = ch.technical
    n = tech.size
    t_rows = np.flatnonzero(tech)
    tp = ch.tech_pos[t_rows]
    full_t = np.zeros(n, bool)
    det = np.zeros(n, bool)
    pause = np.zeros(n, bool)
    t = {
        name: np.full(n, default)
        for name, default in (
            ("survival", 1.0),
            ("silence_days", 0.0),
            ("p75", 0.0),
            ("p90", 0.0),
            ("p75_usual", 0.0),
            ("trend", 0.0),
            ("median", 1.0),
            ("trend_se", 0.0),
            ("p_active", 1.0),
            ("size", 0.0),
            ("mean_gap", 1.0),
        )
    }
    if t_rows.size:
        for name, arr in t.items():
            arr[t_rows] = tfit[name][tp]
        t_sil, t_p90 = t["silence_days"], t["p90"]
        past90 = tech & mature & (t_sil > t_p90)
        # Recent gaps significantly longer than the earlier ones (one-sided z test, 10%).
        lengthening = (t["trend"] >= LENGTHENING) & (t["trend"] >= LENGTHENING_Z * t["trend_se"])
        # A silence past P90 is a deterioration (its survival is the tail p-value the queue's
        # BH judges); "stopped buying" only once activity is all but ruled out.
        full_t = (
            past90
            & (t["survival"] <= ALPHA)
            & (t["p_active"] < TECH_FULL_P_ACTIVE)
            & (t_sil >= TECH_FULL_SILENCE_WEEKS * technical.DAYS_PER_WEEK)
        )
        det = past90 & ~full_t
        # A suspicious pause: lengthening gaps and a silence already past the P75 of the
        # pair's usual gaps (those before the lengthening), not yet past the fitted P90.
        pause = tech & mature & ~full_t & ~det & (t_sil > t["p75_usual"]) & lengthening
    del t["trend_se"], t["p75_usual"]
    return TechnicalSignals(**t, full=full_t, deteriorating=det, pause=pause)


def use_technical_twin(ch, tfit, sil, look):
    """Replace the commodity twin's p_active, band and forecast by the technical twin's on the
    technical rows (in place)."""
    t_rows = np.flatnonzero(ch.technical)
    if not t_rows.size:
        return
    tp = ch.tech_pos[t_rows]
    sil.p_active[t_rows] = tfit["p_active"][tp]
    look.expected_next[t_rows] = tfit["expected_next"][tp]
    look.band_low[t_rows] = tfit["band_low"][tp]
    look.band_high[t_rows] = tfit["band_high"][tp]
    look.forecast[t_rows] = tfit["forecast"][tp]


def pick_alerts(ctx, ch, h, wt, sil, mat, cs, ts):
    """One alert per pair (PRECEDENCE), its probability, magnitude and euros at stake."""
    n, n_weeks = ch.units.shape
    base_end = n_weeks - ctx.recent
    tech, com = ch.technical, ~ch.technical
    flags = {
        "full_churn": cs.full | ts.full,
        "partial_churn": cs.partial,
        "technical_deterioration": ts.deteriorating,
        "suspicious_pause": ts.pause,
        "campaign_no_response": cs.no_response,
        "uncaptured_potential": cs.uncaptured,
    }
    kind = np.full(n, "", dtype=object)
    for k in reversed(PRECEDENCE):
        kind[flags[k]] = k
    weekly_c = np.where(com, wt.pi_b * (1.0 + h.season[:, base_end:].mean(1) * wt.rate_b), 0.0)
    weekly = np.where(
        tech, ts.size * technical.DAYS_PER_WEEK / np.maximum(ts.mean_gap, 1.0), weekly_c
    )
    # Tail p-value of each mature pair's loss test (the BH input); NaN for non-tail signals.
    p_loss = np.where(
        com, np.minimum(wt.p_partial, np.where(sil.silence >= 2, sil.p_zero, 1.0)), ts.survival
    )
    p_value = np.where(mat.mature, p_loss, np.nan)
    t_mag = np.clip(1.0 - ts.median / np.maximum(ts.silence_days, 1e-9), 0.0, 1.0)
    prob = np.zeros(n)
    mag = np.zeros(n)
    prob = np.where(kind == "partial_churn", 1.0 - wt.p_partial, prob)
    mag = np.where(kind == "partial_churn", wt.magnitude, mag)
    is_full = kind == "full_churn"
    prob = np.where(is_full, 1.0 - sil.p_active, prob)
    mag = np.where(is_full & com, 1.0, np.where(is_full, t_mag, mag))
    tk = (kind == "technical_deterioration") | (kind == "suspicious_pause")
    prob = np.where(tk, 1.0 - ts.survival, prob)
    mag = np.where(tk, t_mag, mag)
    is_c = kind == "campaign_no_response"
    fam_lift, client_lift = cs.fam_lift, cs.client_lift
    gap = np.clip(1.0 - client_lift / np.where(fam_lift > 0, fam_lift, 1), 0, 1)
    prob = np.where(is_c, gap, prob)
    mag = np.where(is_c, gap, mag)
    is_u = kind == "uncaptured_potential"
    prob = np.where(is_u, 1.0 - np.nan_to_num(cs.level_share), prob)
    mag = np.where(is_u, 1.0 - np.nan_to_num(cs.level_share), mag)
    price, horizon = mat.price, ctx.horizon
    stake = prob * mag * weekly * horizon * price
    stake = np.where(
        is_c,
        (np.nan_to_num(fam_lift) - np.nan_to_num(client_lift)).clip(0) * cs.camp_exp * price,
        stake,
    )
    stake = np.where(is_u, np.nan_to_num(ch.potential - cs.level).clip(0) * horizon / 52.0, stake)
    # Suspicious pauses and the other rule-based signals carry no p-value of their own.
    rule_based = (kind == "suspicious_pause") | is_c | is_u
    pair_p = np.where(rule_based, np.nan, p_value)
    loss_mag = np.where(com, wt.magnitude, t_mag)
    return Alerts(kind, prob, mag, stake, weekly, pair_p, loss_mag)


@dataclass
class ChunkResult:
    """Every step's result for one chunk."""

    hurdle: fit.Hurdle
    window: fit.WindowTest
    silence: fit.Silence
    outlook: fit.Outlook
    maturity: fit.Maturity
    commodity: CommoditySignals
    technical: TechnicalSignals
    alerts: Alerts


def score_chunk(out, state, sl, ctx, ch: fit.Chunk, tfit):
    """Fit the chunk's twins, derive their signals and fill ``out[sl]`` and ``state[sl]``."""
    h = fit.fit_hurdle(ctx, ch)
    wt = fit.window_tests(ch, h)
    sil = fit.silence_test(ctx, ch, h)
    look = fit.outlook(ctx, ch, h, sil)
    mat = fit.maturity(ch, MIN_HISTORY_WEEKS, MIN_COMMODITY_PURCHASES, MIN_TECHNICAL_PURCHASES)
    cs = commodity_signals(ctx, ch, h, wt, sil, mat)
    ts = technical_signals(ch, tfit, mat.mature)
    use_technical_twin(ch, tfit, sil, look)
    alerts = pick_alerts(ctx, ch, h, wt, sil, mat, cs, ts)
    result = ChunkResult(h, wt, sil, look, mat, cs, ts, alerts)
    _write_scores(out, sl, ch, result, tfit)
    _write_state(state, sl, ctx.horizon, result)


def _write_scores(out, sl, ch, r: ChunkResult, tfit):
    h, wt, sil, look, mat, ts, alerts = (
        r.hurdle,
        r.window,
        r.silence,
        r.outlook,
        r.maturity,
        r.technical,
        r.alerts,
    )
    out.expected_next[sl] = look.expected_next
    out.band_low[sl] = look.band_low
    out.band_high[sl] = look.band_high
    out.p_active[sl] = sil.p_active
    out.forecast_units[sl] = look.forecast
    out.mature[sl] = mat.mature
    out.alert_kind[sl] = alerts.kind
    out.alert_score[sl] = np.clip(alerts.prob, 0, 1)
    out.p_value[sl] = alerts.p_value
    out.at_stake[sl] = alerts.stake
    prm = out.params
    com = ~ch.technical
    for name, val in (
        ("alpha", h.alpha[:, -1]),
        ("beta", h.beta[:, -1]),
        ("alpha_base", wt.alpha_b),
        ("beta_base", wt.beta_b),
        ("inv_k", h.inv_k),
        ("p_buy", sil.p_buy),
        ("p_order", h.pi[:, -1]),
        ("p_order_base", wt.pi_b),
        ("band_low_q", look.q_low),
        ("band_high_q", look.q_high),
        ("silence_weeks", sil.silence),
        ("unit_price", mat.price),
    ):
        prm[name][sl] = np.where(com | (name in ("silence_weeks", "unit_price")), val, np.nan)
    cs = r.commodity
    known = np.isfinite(cs.reliability)
    prm["potential_level"][sl] = np.where(known, cs.level, np.nan)
    prm["potential_share"][sl] = np.where(known, cs.level_share, np.nan)
    prm["potential_reliability"][sl] = cs.reliability
    prm["potential_family_reach"][sl] = np.where(known, cs.reach, np.nan)
    prm["history_weeks"][sl] = r.maturity.hist_weeks
    t_rows = np.flatnonzero(ch.technical)
    if t_rows.size:
        tp = ch.tech_pos[t_rows]
        model = tfit["model"]
        g = sl.start + t_rows
        prm["mu"][g] = model["mu"][tp]
        prm["sigma"][g] = model["sigma"][tp]
        prm["weibull"][g] = model["weibull"][tp].astype(float)
        prm["weibull_k"][g] = model["k"][tp]
        prm["weibull_scale"][g] = model["scale"][tp]
        prm["p75_gap_days"][g] = ts.p75[t_rows]
        prm["p90_gap_days"][g] = ts.p90[t_rows]
        prm["silence_days"][g] = ts.silence_days[t_rows]
        prm["gap_trend"][g] = ts.trend[t_rows]


def _write_state(state, sl, horizon, r: ChunkResult):
    h, wt, mat, cs, ts, alerts = r.hurdle, r.window, r.maturity, r.commodity, r.technical, r.alerts
    for name, val in (
        ("hist_weeks", mat.hist_weeks),
        ("mag", alerts.mag),
        ("weekly", alerts.weekly),
        ("prob", alerts.prob),
        ("win_len", h.wins[wt.best] + 1),
        ("win_obs", wt.win_obs),
        ("win_exp", wt.win_exp),
        ("share", cs.share),
        ("e52", cs.e52),
        ("fam_lift", cs.fam_lift),
        ("client_lift", cs.client_lift),
        ("t_med", ts.median),
        ("t_size", ts.size),
        ("drop", alerts.loss_mag),
        ("loss_stake", alerts.loss_mag * alerts.weekly * horizon * mat.price),
    ):
        state[name][sl] = val
