"""Client-level alerts: several families of one client falling together (cross-family decline)
and a family the client does not buy while similar clients do (cross-sell)."""

import numpy as np
from scipy import stats

from .evidence import rounded
from .rules import ALPHA, CROSS_SELL_Z


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
                    "magnitude": rounded(float(state["drop"][rows].mean()), 3),
                    "expected_units_per_week": rounded(weekly),
                    # 80% of the normal rate summed over the falling families.
                    "recovery_threshold_units_per_week": rounded(0.8 * weekly),
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
