"""Room to grow -> estimated potentials, read by the twins' uncaptured-potential rule.

The twins may not import insights (layers), but they read ``crm.Potential``. For a client
with room to grow (``ValueForecast.room_to_grow`` > 0) the refit records, for each family it
bought in the last 12 months and for which no source states a potential, an **estimated
potential** (source :data:`crm.models.Potential.FORECAST_SOURCE`): the family's twin
forecast at a year's pace (its expected euros over the twins' horizon x 52 / the horizon in
weeks), kept only when above what the pair bought in the last 12 months (an estimate below it
says no more than the purchases, and the twins would judge it "not reliable").

The twins then treat it like any stated potential on their next scoring: the same
reliability rules, and an ``uncaptured_potential`` alert only when the pair's level is under
a quarter of it with 500+ euros a year missing, i.e. when the twins expect the pair to buy at
a pace four times its level. Each refit replaces the estimates: a client without room to
grow, or a pair that got a stated potential since, loses its estimate.
"""

from decimal import Decimal

import pandas as pd

from crm.models import Potential
from twins import selectors as twins

SOURCE = Potential.FORECAST_SOURCE
YEAR_DAYS = 365


def estimate_potentials(as_of, lines, forecasts) -> pd.DataFrame:
    """DataFrame ``client``, ``family``, ``annual`` (euros), ``bought_12m``: the estimated
    potentials of the clients with room to grow in ``forecasts`` (the refit's
    :class:`~insights.value_forecast.Forecasts`) as of ``as_of``, from ``lines`` (the refit's
    order lines)."""
    empty = pd.DataFrame(columns=["client", "family", "annual", "bought_12m"])
    frame = forecasts.frame
    growing = frame.index[frame["room"].to_numpy(dtype=float) > 0]
    if not len(growing):
        return empty
    pairs = twins.forecast_euros_by_pair(growing)
    if not len(pairs):
        return empty
    weeks = pd.to_numeric(pairs["weeks"]).fillna(13).clip(lower=1)
    pairs["annual"] = pairs["euros"].astype(float) * 52.0 / weeks
    t = pd.Timestamp(as_of)
    recent = lines[
        lines["client"].isin(growing)
        & (lines["date"] > t - pd.Timedelta(days=YEAR_DAYS))
        & (lines["date"] <= t)
    ]
    bought = recent.groupby(["client", "family"])["value"].sum()
    keys = pd.MultiIndex.from_arrays([pairs["client"], pairs["family"]])
    pairs["bought_12m"] = bought.reindex(keys).fillna(0.0).to_numpy()
    stated = set(
        Potential.objects.filter(client_id__in=[int(c) for c in growing])
        .exclude(source=SOURCE)
        .values_list("client_id", "family_id")
    )
    pair_keys = zip(pairs["client"], pairs["family"], strict=True)
    has_stated = pd.Series([(int(c), int(f)) in stated for c, f in pair_keys], index=pairs.index)
    keep = (pairs["bought_12m"] > 0) & (pairs["annual"] > pairs["bought_12m"]) & ~has_stated
    return pairs.loc[keep, ["client", "family", "annual", "bought_12m"]].reset_index(drop=True)


def publish_potentials(estimates) -> int:
    """Replace the estimated potentials by ``estimates`` (inside the refit's transaction);
    returns how many there are."""
    Potential.objects.filter(source=SOURCE).delete()
    Potential.objects.bulk_create(
        (
            Potential(
                client_id=int(r.client),
                family_id=int(r.family),
                annual_potential=Decimal(str(round(float(r.annual), 2))),
                source=SOURCE,
            )
            for r in estimates.itertuples(index=False)
        ),
        batch_size=2000,
    )
    return len(estimates)
