"""What the pipeline page shows, for the deals a user may see: win rates with intervals,
cycle lengths, PQS and SEI, the quarter's forecast against the naive late-stage sum, the
riskiest open deals with their drivers, and segments whose win rate fell."""

import datetime as dt
import math

import numpy as np
import pandas as pd

from . import narratives, selectors
from .models import DealRun, DealScore, Outcome
from .stats import features as F
from .stats import pipeline as P

#: Dimensions a manager may break the win rate down by.
DIMENSIONS = ("segment", "region", "lead_source", "owner", "size", "family")
#: Closed deals of this many days back feed the win rates.
WINDOW_DAYS = 365
RECENT_DAYS = 91


def quarter_end(day):
    """The last day of ``day``'s calendar quarter."""
    last_month = (day.month - 1) // 3 * 3 + 3
    if last_month == 12:
        return dt.date(day.year, 12, 31)
    return dt.date(day.year, last_month + 1, 1) - dt.timedelta(days=1)


def _nan_none(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _rows(frame):
    return [
        {k: (_nan_none(v) if isinstance(v, float) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def win_rate_table(user, by="segment", *, as_of=None):
    """Rows ``segment, n, won, rate, lo, hi, too_few`` over closed deals of the window."""
    as_of = as_of or dt.date.today()
    by = by if by in DIMENSIONS else "segment"
    qs = selectors.opportunities_visible_to(user).filter(
        outcome__in=[Outcome.WON, Outcome.LOST],
        closed_date__gt=as_of - dt.timedelta(days=WINDOW_DAYS),
        closed_date__lte=as_of,
    )
    deals = selectors.deals_frame(qs)
    closed = P.closed_deals(deals)
    if by == "size":
        closed = closed.assign(size=P.size_band(closed["amount"]))
    elif by == "family":
        names = dict(qs.values_list("pk", "family__name"))
        closed = closed.assign(family=closed["id"].map(names).fillna("—"))
    elif by == "owner":
        names = {
            str(pk): (f"{first} {last}".strip() or username)
            for pk, first, last, username in qs.values_list(
                "owner_id", "owner__first_name", "owner__last_name", "owner__username"
            ).distinct()
        }
        closed = closed.assign(owner=closed["owner"].map(names).fillna("—"))
    overall = _rows(P.win_rates(closed))[0] if len(closed) else None
    rows = _rows(P.win_rates(closed, by)) if len(closed) else []
    return {"by": by, "overall": overall, "rows": rows, "min_n": P.MIN_N}


def monthly(visible, closed, late, as_of, months=12):
    """Per calendar month of the window: deals created (count, euros), won and lost, PQS and
    SEI of the deals closed that month; oldest first."""
    first = (pd.Timestamp(as_of).to_period("M") - (months - 1)).to_timestamp()
    created = selectors.deals_frame(visible.filter(created_date__gte=first.date()))
    index = pd.period_range(first, pd.Timestamp(as_of), freq="M")
    new = created.groupby(created["created"].dt.to_period("M"))["amount"].agg(["size", "sum"])
    new = new.reindex(index, fill_value=0)
    c = closed.assign(late=np.asarray(late, dtype=bool), month=closed["closed"].dt.to_period("M"))
    c = c.loc[c["month"] >= index[0]]
    rows = []
    for period in index:
        part = c.loc[c["month"] == period]
        ratios = P.pqs_sei(part, part["late"].to_numpy()).iloc[0] if len(part) else None
        rows.append(
            {
                "month": str(period),
                "created": int(new.loc[period, "size"]),
                "created_amount": float(new.loc[period, "sum"]),
                "won": int(part["won"].sum()),
                "lost": int(len(part) - part["won"].sum()),
                "pqs": _nan_none(float(ratios["pqs"])) if ratios is not None else None,
                "sei": _nan_none(float(ratios["sei"])) if ratios is not None else None,
            }
        )
    return rows


def summary(user, *, as_of=None, top=10):
    """The pipeline page's figures (see the module docstring)."""
    as_of = as_of or dt.date.today()
    visible = selectors.opportunities_visible_to(user)
    start = as_of - dt.timedelta(days=WINDOW_DAYS)
    closed_qs = visible.filter(
        outcome__in=[Outcome.WON, Outcome.LOST], closed_date__gt=start, closed_date__lte=as_of
    )
    deals = selectors.deals_frame(closed_qs)
    closed = P.closed_deals(deals)
    changes = selectors.changes_frame(closed["id"].tolist()) if len(closed) else None
    late = np.zeros(len(closed), dtype=bool)
    durations = pd.DataFrame(columns=["deal_id", "stage", "days"])
    if changes is not None and len(changes):
        late_ids = set(
            changes.loc[changes["late"] & (changes["stage_outcome"] == "open"), "deal_id"]
        )
        late = closed["id"].isin(late_ids).to_numpy()
        durations = F.stage_durations(changes, pd.Timestamp(as_of))
    pqs = _rows(P.pqs_sei(closed, late)) if len(closed) else []
    pqs_segment = _rows(P.pqs_sei(closed, late, by="segment")) if len(closed) else []
    months = monthly(visible, closed, late, as_of)
    drops = (
        _rows(P.win_rate_drops(closed, "segment", pd.Timestamp(as_of - dt.timedelta(RECENT_DAYS))))
        if len(closed)
        else []
    )

    end = quarter_end(as_of)
    open_qs = visible.filter(outcome=Outcome.OPEN).select_related("stage", "score", "client")
    in_quarter = [
        d for d in open_qs if d.expected_close_date is None or d.expected_close_date <= end
    ]
    scored = [d for d in in_quarter if hasattr(d, "score")]
    amounts = [float(d.amount) for d in scored]
    p_win = [1.0 - d.score.p_loss for d in scored]
    forecast = P.forecast(amounts, p_win, seed=as_of.toordinal())
    naive = sum(float(d.amount) for d in in_quarter if d.stage.is_late)

    run = DealRun.objects.filter(status=DealRun.Status.SUCCEEDED).order_by("-started_at").first()
    risky = list(
        DealScore.objects.filter(opportunity__in=visible.filter(outcome=Outcome.OPEN))
        .select_related(
            "opportunity", "opportunity__client", "opportunity__stage", "opportunity__owner"
        )
        .order_by("-at_stake")[:top]
    )
    return {
        "as_of": as_of,
        "window_start": start,
        "n_closed": len(closed),
        "cycle": P.cycle_stats(closed) if len(closed) else None,
        "stage_durations": _rows(P.stage_duration_stats(durations)) if len(durations) else [],
        "pqs": pqs[0] if pqs else None,
        "pqs_by_segment": pqs_segment,
        "months": months,
        "average_deal": float(closed["amount"].mean()) if len(closed) else None,
        "drops": [d for d in drops if d["dropped"]],
        "quarter_end": end,
        "forecast": forecast,
        "naive": naive,
        "unscored": len(in_quarter) - len(scored),
        "run": run,
        "has_signal": bool(run and run.model_info.get("has_signal")),
        "risky": risky,
    }


def drivers_in_words(score, language):
    return narratives.drivers_text(score.drivers, language)
