"""Signals of one chunk of pairs: the rules applied to the fitted twin, one alert per pair.

:func:`score_chunk` runs the named steps of :mod:`twins.stats.fit` and of this module and writes
the chunk's rows of a :class:`~twins.stats.types.PairScores` and of the per-pair state that
:mod:`twins.stats.evidence` and :mod:`twins.stats.clients` read afterwards.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from . import commodity as cm
from . import fit, technical
from . import potential as pot_rules
from .rules import (
    ALPHA,
    LENGTHENING,
    LENGTHENING_Z,
    MAX_SHARE_OF_WALLET,
    MIN_COMMODITY_PURCHASES,
    MIN_GAP_EUROS,
    MIN_HISTORY_WEEKS,
    MIN_MAGNITUDE,
    MIN_SILENT_WEEKS,
    MIN_TECHNICAL_PURCHASES,
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
    camp_exp: np.ndarray  # (n,) expected units of the recent campaign weeks
    client_lift: np.ndarray  # (n,) observed / expected units in them
    fam_lift: np.ndarray  # (n,) the family's campaign lift
    e52: np.ndarray  # (n,) euros of the last 52 weeks (annualised when younger)
    share: np.ndarray  # (n,) e52 / potential, NaN when no potential
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
    n, n_weeks = u.shape
    base_end = n_weeks - ctx.recent
    com, mature = ~ch.technical, mat.mature
    full_c = (
        com
        & mature
        & (sil.silence >= MIN_SILENT_WEEKS)
        & (sil.p_active < 0.5)
        & (sil.p_zero <= ALPHA)
    )
    partial = com & mature & ~full_c & (wt.p_partial <= ALPHA) & (wt.magnitude >= MIN_MAGNITUDE)
    # Campaign without response: the units of the recent campaign weeks are in the lower 1%
    # tail of what the family's lift predicts (hurdle: a mixture over the number of orders).
    pi_b, rate_b, s = wt.pi_b, wt.rate_b, h.season
    rc = ch.camp[:, base_end:]
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
        rj, pj = cm.negbin_moments(wt.alpha_b, wt.beta_b, s_j, s_j**2 / max(j, 1), h.inv_k)
        p_camp += w_j * np.where(j > 0, cm.nb_cdf(camp_obs - j, rj, pj), 1.0)
    camp_nr = (
        com & mature & rc.any(1) & (fam_lift >= 1.2) & (client_lift <= 1.0) & (p_camp <= ALPHA)
    )
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
        camp_exp,
        client_lift,
        fam_lift,
        e52,
        share,
        level,
        level_share,
        code,
        reach,
    )


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
        pause = tech & mature & ~full_t & ~det & (t_sil > t["p75"]) & lengthening
    del t["trend_se"]
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
