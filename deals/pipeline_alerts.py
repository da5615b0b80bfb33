"""Pipeline-level alerts to each manager: a segment whose win rate dropped, late-stage losses
rising, and a quarter's forecast leaning on high-risk deals.

They are about a manager's team, not one client: published with ``Alert.client`` empty and
``Alert.recipient`` the manager, so they land in that manager's queue (and the team page) and
nowhere else; an admin sees them all. The statistics are :mod:`deals.stats.pipeline`'s; this
module picks each team's deals and turns the results into alert candidates for the scoring run
(:func:`deals.services.score_pipeline`), which publishes them with the deal alerts.
"""

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm.models import User

from . import alert_kinds
from .reports import quarter_end
from .stats import pipeline as P

#: Closed deals of this many days back feed the tests; the last RECENT_DAYS are "recent".
WINDOW_DAYS = 365
RECENT_DAYS = 91
#: Breakdowns whose segments are tested for a drop (one Benjamini-Hochberg over all; the
#: segments driving a fall are found one at a time, see ``win_rate_drop_drivers``).
DIMENSIONS = ("segment", "region", "lead_source", "size", "owner")
#: False discovery rate of the win-rate drops, and significance of the late-loss test.
DROP_FDR = 0.1
LATE_ALPHA = 0.05
#: The forecast is "over-concentrated" when at least this share of the quarter's open amount
#: sits in high-risk deals (P(loss) at the "deal at risk" threshold) and at least
#: CONCENTRATION_MIN_DEALS deals are high-risk.
CONCENTRATION_SHARE = 0.4
CONCENTRATION_MIN_DEALS = 3


@dataclass
class Candidate:
    """A pipeline alert to publish: its dedup key, recipient, kind, evidence and figures."""

    key: str
    recipient: User
    kind: str
    evidence: dict
    at_stake: float
    score: float
    p_value: float | None = None


def _team(manager):
    return {str(pk) for pk in User.objects.filter(manager=manager).values_list("pk", flat=True)} | {
        str(manager.pk)
    }


def _names():
    return {
        str(pk): (f"{first} {last}".strip() or username)
        for pk, first, last, username in User.objects.values_list(
            "pk", "first_name", "last_name", "username"
        )
    }


def _reached_late(changes, deal_ids):
    late = changes.loc[changes["late"] & (changes["stage_outcome"] == "open"), "deal_id"]
    return np.isin(np.asarray(deal_ids), late.to_numpy())


def candidates(deals: pd.DataFrame, changes: pd.DataFrame, scored, as_of, risk_threshold):
    """Pipeline alert candidates of every active manager's team as of ``as_of``.

    ``deals``/``changes``: the frames of :mod:`deals.selectors` (stage changes up to
    ``as_of``); ``scored``: the run's :class:`deals.services.Scored` (P(loss) of open deals);
    ``risk_threshold``: the P(loss) from which a deal counts as high-risk.
    """
    as_of = pd.Timestamp(as_of)
    since = as_of - pd.Timedelta(days=RECENT_DAYS)
    closed = P.closed_deals(deals, as_of=as_of, start=as_of - pd.Timedelta(days=WINDOW_DAYS - 1))
    closed = closed.assign(size=P.size_band(closed["amount"]))
    late = _reached_late(changes.loc[changes["date"] <= as_of], closed["id"])
    p_loss = pd.Series(scored.p_loss, index=scored.feats["deal_id"].astype(int).to_numpy())
    end = quarter_end(as_of.date())
    names = _names()
    out = []
    for manager in User.objects.filter(role=User.Role.MANAGER, is_active=True).order_by("pk"):
        team = _team(manager)
        mine = closed["owner"].isin(team).to_numpy()
        team_closed = closed.loc[mine]
        base = {"manager": manager.get_username(), "recent_days": RECENT_DAYS}
        base["since"] = since.date().isoformat()
        base["as_of"] = as_of.date().isoformat()
        out += _drops(manager, team_closed, since, names, base)
        out += _late(manager, team_closed, late[mine], since, base)
        open_team = deals.loc[
            deals["owner"].isin(team)
            & (deals["expected_close"].isna() | (deals["expected_close"] <= pd.Timestamp(end)))
            & deals["id"].isin(p_loss.index)
        ]
        out += _concentration(
            manager, open_team, p_loss, risk_threshold, scored.model.has_signal, end, base
        )
    return out


def _drops(manager, closed, since, names, base):
    drops = P.win_rate_drop_drivers(closed, DIMENSIONS, since, q=DROP_FDR)
    out = []
    for row in drops.itertuples(index=False):
        recent = closed.loc[(closed[row.dimension].astype(str) == row.segment)]
        recent = recent.loc[recent["closed"] >= since]
        gap = max(row.rate_before - row.rate_recent, 0.0) * float(recent["amount"].sum())
        label = names.get(row.segment, row.segment) if row.dimension == "owner" else row.segment
        evidence = {
            **base,
            "dimension": row.dimension,
            "segment": label,
            "subject_label": label,
            "n_before": int(row.n_before),
            "rate_before": round(float(row.rate_before), 4),
            "n_recent": int(row.n_recent),
            "rate_recent": round(float(row.rate_recent), 4),
            "p_value": float(row.p),
            "fdr": DROP_FDR,
            "n_tests": int(row.n_tests),
            "at_stake": round(gap, 2),
        }
        key = f"pipeline:{manager.pk}:{alert_kinds.WIN_RATE_DROP}:{row.dimension}={row.segment}"
        out.append(
            Candidate(
                key[:200], manager, alert_kinds.WIN_RATE_DROP, evidence, gap, 1 - row.p, row.p
            )
        )
    return out


def _late(manager, closed, reached_late, since, base):
    if not len(closed):
        return []
    test = P.late_loss_rise(closed, reached_late, since)
    if test["p"] >= LATE_ALPHA:
        return []
    evidence = {
        **base,
        "n_before": test["n_before"],
        "rate_before": round(test["rate_before"], 4),
        "n_recent": test["n_recent"],
        "rate_recent": round(test["rate_recent"], 4),
        "p_value": test["p"],
        "lost_amount_recent": round(test["lost_amount_recent"], 2),
        "at_stake": round(test["excess"], 2),
    }
    key = f"pipeline:{manager.pk}:{alert_kinds.LATE_LOSSES}"
    return [
        Candidate(
            key,
            manager,
            alert_kinds.LATE_LOSSES,
            evidence,
            test["excess"],
            1 - test["p"],
            test["p"],
        )
    ]


def _concentration(manager, open_deals, p_loss, threshold, has_signal, end, base):
    if not has_signal or not len(open_deals):
        return []
    p = p_loss.reindex(open_deals["id"].astype(int)).to_numpy(dtype=float)
    c = P.risk_concentration(open_deals["amount"].to_numpy(dtype=float), p, threshold)
    if c["share"] < CONCENTRATION_SHARE or c["n_high"] < CONCENTRATION_MIN_DEALS:
        return []
    evidence = {
        **base,
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in c.items()},
        "threshold": round(float(threshold), 4),
        "quarter_end": end.isoformat() if isinstance(end, dt.date) else str(end),
        "at_stake": round(c["gap_high"], 2),
    }
    key = f"pipeline:{manager.pk}:{alert_kinds.RISK_CONCENTRATION}"
    return [
        Candidate(key, manager, alert_kinds.RISK_CONCENTRATION, evidence, c["gap_high"], c["share"])
    ]
