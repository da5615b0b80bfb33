"""Alert evidence: the JSON a narrative is rendered from, vectorised over the alerted pairs.

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
  ``current_silence_days``, ``last_purchase`` (ISO date: the order date when the batch carries
  purchase days, else the Monday of that week, ``last_purchase_is_week`` True),
  ``gap_trend`` (ratio of recent gaps to earlier ones);
- ``p_active``; kind-specific extras: ``share_of_wallet``, ``potential_euros``,
  ``purchases_52w_euros`` (uncaptured potential); ``family_lift``, ``client_lift``
  (campaign without response); ``families`` (cross-family decline); ``support``,
  ``typical_annual_euros`` and ``potential_euros`` (cross-sell; the stated potential of a family
  never bought, else None). ``purchases_52w_euros`` is annualised for pairs younger than a year.
"""

import numpy as np

from . import commodity as cm
from . import technical
from .rules import RECENT_SHOWN


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
            ev["observed_units"] = rounded(st["win_obs"][i])
            ev["expected_units"] = rounded(st["win_exp"][i])
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
            recovery_threshold_units_per_week=rounded(
                st["t_size"][i] * technical.DAYS_PER_WEEK / max(p90, 1.0)
            ),
            gaps_days=[int(x) for x in gaps.days[gaps.start[k] : gaps.start[k] + gaps.count[k]]],
            median_gap_days=rounded(st["t_med"][i]),
            p75_gap_days=rounded(prm["p75_gap_days"][r]),
            p90_gap_days=rounded(p90),
            current_silence_days=int(prm["silence_days"][r]),
            last_purchase=_last_purchase(ctx.week_start, gaps, k, lst),
            last_purchase_is_week=not gaps.daily,
            gap_trend=rounded(float(np.exp(prm["gap_trend"][r]))),
        )
        _kind_extras(ev, i, common["kind"][i], *extras)
        result.append((int(r), ev))
    return result


def _last_purchase(week_start, gaps, k, last_week):
    """ISO date of the last purchase: the order date when the gaps come from order dates, else
    the Monday of its week; None when the pair never bought."""
    if gaps.daily and np.isfinite(gaps.last_day[k]):
        return str(week_start[0] + np.timedelta64(int(gaps.last_day[k]), "D"))
    return str(week_start[last_week]) if last_week >= 0 else None


def rounded(x, digits=2):
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
            share_of_wallet=rounded(share[i], 3),
            potential_euros=rounded(potential[i]),
            purchases_52w_euros=rounded(e52[i]),
        )
    elif kind == "campaign_no_response":
        ev.update(family_lift=rounded(fam_lift[i], 3), client_lift=rounded(client_lift[i], 3))
