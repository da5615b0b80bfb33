"""Next-quarter value forecast of the refit: the twins' per-family forecasts summed per client
(the method kept by ``bench_insights --value-only``, see docs/insights.md), with an 80 %
interval calibrated on this engine's own forecasts of a quarter ago.

- expected: sum over the client's pairs of the published twins' expected units over their
  horizon x the pair's unit price, scaled to 13 weeks (x 13 / the twins' horizon in weeks);
- a client the twins do not cover gets "same as last quarter" (method ``last_quarter``);
- interval: ``insights.stats.value.empirical_interval`` with the log1p residual quantiles of
  the twins forecasts stored 13-18 weeks ago against what those clients bought since (at
  least :data:`MIN_CALIBRATION` clients), else :data:`insights.stats.value.DEFAULT_TWINS_Q`
  (measured by the benchmark); the fallback's from "last quarter" a quarter ago vs. since;
- room to grow: ``insights.stats.value.room_to_grow`` (forecast >= 1.5 x last quarter and
  >= 1,000 euros above it).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from twins import selectors as twins

from .models import ValueForecast
from .stats import features as F
from .stats import value as V

CENT = Decimal("0.01")
#: Stored forecasts this old are deleted (the calibration reads those of 13-18 weeks ago);
#: those older than :data:`THIN_AFTER_DAYS` are thinned to one refit date a week.
KEEP_DAYS = 140
THIN_AFTER_DAYS = 14
#: Calibration window: the newest stored run between 91 and 91 + this many days ago.
CALIBRATION_SLACK_DAYS = 35
MIN_CALIBRATION = 30


def _money(x):
    return Decimal(str(round(float(x), 2))).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Forecasts:
    frame: pd.DataFrame  # index client id: method, expected, low, high, last_quarter, room
    info: dict = field(default_factory=dict)


def _twins_calibration(as_of, lines):
    """(q, as_of of the calibrating run, clients) from the stored twins forecasts of a quarter
    ago, or None when too few."""
    newest = as_of - dt.timedelta(days=V.HORIZON_DAYS)
    oldest = newest - dt.timedelta(days=CALIBRATION_SLACK_DAYS)
    day = (
        ValueForecast.objects.filter(
            method=ValueForecast.Method.TWINS, as_of__gte=oldest, as_of__lte=newest
        )
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )
    if day is None:
        return None
    rows = ValueForecast.objects.filter(method=ValueForecast.Method.TWINS, as_of=day)
    old = pd.Series(dict(rows.values_list("client_id", "expected")), dtype=float)
    if len(old) < MIN_CALIBRATION:
        return None
    actual = V.future_value(lines, day, old.index)
    return V.residual_quantiles(old.to_numpy(), actual), day, len(old)


def forecast_values(as_of, lines, clients) -> Forecasts:
    """The forecast of each of ``clients`` (ids) as of ``as_of`` from ``lines`` (the refit's
    read) and the published twins."""
    ids = pd.Index(clients)
    last_q = V.last_quarter(lines, as_of, ids)
    tw = twins.forecast_euros_by_client()
    covered = ids.isin(tw.index)
    tw = tw.reindex(ids)
    weeks = tw["weeks"].fillna(13).clip(lower=1).to_numpy(dtype=float)
    twins_e = tw["euros"].fillna(0.0).to_numpy(dtype=float) * 13.0 / weeks
    cal = _twins_calibration(as_of, lines)
    q_twins = cal[0] if cal else V.DEFAULT_TWINS_Q
    # The fallback's interval: "last quarter" a quarter ago against what was bought since.
    before = pd.Timestamp(as_of) - pd.Timedelta(days=V.HORIZON_DAYS)
    active = F.active_clients(lines, before)
    q_last = (
        V.residual_quantiles(
            V.last_quarter(lines, before, active), V.future_value(lines, before, active)
        )
        if len(active)
        else (0.0, 0.0)
    )
    expected = np.where(covered, twins_e, np.maximum(last_q, 0.0))
    lo_t, hi_t = V.empirical_interval(expected, q_twins)
    lo_l, hi_l = V.empirical_interval(expected, q_last)
    frame = pd.DataFrame(
        {
            "method": np.where(
                covered, ValueForecast.Method.TWINS, ValueForecast.Method.LAST_QUARTER
            ),
            "expected": expected,
            "low": np.where(covered, lo_t, lo_l),
            "high": np.where(covered, hi_t, hi_l),
            "last_quarter": last_q,
            "room": V.room_to_grow(expected, last_q),
        },
        index=ids,
    )
    info = {
        "clients": len(ids),
        "twins": int(covered.sum()),
        "last_quarter": int((~covered).sum()),
        "twins_q": [round(q_twins[0], 4), round(q_twins[1], 4)],
        "calibrated_on": str(cal[1]) if cal else "benchmark",
        "calibration_clients": cal[2] if cal else 0,
        "last_quarter_q": [round(q_last[0], 4), round(q_last[1], 4)],
        "room_to_grow": int((frame["room"] > 0).sum()),
    }
    return Forecasts(frame, info)


def _thin(as_of):
    """Keep one stored date per 7-day bucket among those older than THIN_AFTER_DAYS."""
    old = sorted(
        set(
            ValueForecast.objects.filter(
                as_of__lt=as_of - dt.timedelta(days=THIN_AFTER_DAYS)
            ).values_list("as_of", flat=True)
        )
    )
    keep = {}
    for day in old:
        keep[day.toordinal() // 7] = day
    drop = set(old) - set(keep.values())
    if drop:
        ValueForecast.objects.filter(as_of__in=drop).delete()


def publish_value_forecasts(run, as_of, fc: Forecasts):
    """Store ``fc`` as of ``as_of`` (replacing that day's), drop the old ones, and add the
    calibration to the run's ``model_info["value_forecast"]``. Call inside the refit's
    transaction."""
    from .models import InsightsRun

    ValueForecast.objects.filter(as_of=as_of).delete()
    ValueForecast.objects.filter(as_of__lt=as_of - dt.timedelta(days=KEEP_DAYS)).delete()
    _thin(as_of)
    f = fc.frame
    ValueForecast.objects.bulk_create(
        (
            ValueForecast(
                client_id=int(c),
                run=run,
                as_of=as_of,
                method=str(r.method),
                expected=_money(r.expected),
                low=_money(r.low),
                high=_money(r.high),
                last_quarter=_money(r.last_quarter),
                room_to_grow=_money(r.room),
            )
            for c, r in zip(f.index, f.itertuples(index=False), strict=True)
        ),
        batch_size=2000,
    )
    info = InsightsRun.objects.filter(pk=run.pk).values_list("model_info", flat=True).first()
    InsightsRun.objects.filter(pk=run.pk).update(
        model_info={**(info or {}), "value_forecast": fc.info}
    )
