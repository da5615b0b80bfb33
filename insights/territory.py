"""Territory and province ranking: the refit stores each unit's figures at the last four
quarter ends (:func:`unit_figures`, :func:`publish`); pages and the API score them with the
weights and tier bounds of the admin when read (:func:`ranking`), so an edited weight shows
at once. The statistics are in :mod:`insights.stats.territory`.

Units come from the clients: ``Client.territory`` (code, named after the territory) and
``Client.province``; a client without one is in no unit of that level. Potentials: the
stated annual potential per (client, family), the most recently updated source winning.
"""

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.db.models import FloatField
from django.db.models.functions import Cast

from crm.models import Client, Potential, Territory

from .models import TerritoryFigure, TerritoryWeights
from .stats import territory as T

CENT = Decimal("0.01")
LEVELS = (TerritoryFigure.Level.TERRITORY, TerritoryFigure.Level.PROVINCE)


def _money(x):
    return Decimal(str(round(float(x), 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def _potentials():
    rows = (
        Potential.objects.exclude(source=Potential.FORECAST_SOURCE)  # stated potentials only
        .order_by("updated_at")
        .annotate(p=Cast("annual_potential", FloatField()))
        .values_list("client_id", "family_id", "p")
    )
    latest = {(c, f): p for c, f, p in rows}
    if not latest:
        return pd.Series(dtype=float)
    return pd.Series(latest, dtype=float)


def unit_figures(lines, as_of):
    """{level: figures DataFrame indexed (as_of, unit)} at the four quarter ends to ``as_of``,
    from ``lines`` (the refit's order lines) and the clients' territory and province."""
    clients = pd.DataFrame.from_records(
        list(Client.objects.values_list("pk", "territory__code", "province")),
        columns=["client", "territory", "province"],
    ).set_index("client")
    clients["province"] = clients["province"].where(clients["province"] != "")
    potential = _potentials()
    dates = T.quarter_ends(as_of)
    return {level: T.unit_figures(lines, clients[level], potential, dates) for level in LEVELS}


def publish(run, figures):
    """Replace the stored figures by ``figures`` (inside the refit's transaction)."""
    names = dict(Territory.objects.values_list("code", "name"))
    TerritoryFigure.objects.all().delete()
    rows = []
    for level, f in figures.items():
        for (day, unit), r in f.iterrows():
            rows.append(
                TerritoryFigure(
                    run=run,
                    level=level,
                    unit=unit,
                    name=names.get(unit, unit) if level == "territory" else unit,
                    as_of=day,
                    revenue=_money(r["revenue"]),
                    revenue_prev=_money(r["revenue_prev"]),
                    active_clients=int(r["active_clients"]),
                    captured=_money(r["captured"]),
                    potential=_money(r["potential"]),
                )
            )
    TerritoryFigure.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def visible_units(clients_q, level):
    """The units of ``level`` that hold a client of ``clients_q`` (None: every unit)."""
    if clients_q is None:
        return None
    field = "territory__code" if level == "territory" else "province"
    return set(clients_q.exclude(**{f"{field}__isnull": True}).values_list(field, flat=True))


def ranking(level="territory", clients_q=None):
    """The ranking of ``level`` as of the latest stored quarter end, with the current weights.

    Every unit is scored against all the others (the company-wide rank); only the units that
    hold a client of ``clients_q`` are returned (None: all). Returns ``{"as_of", "dates",
    "weights", "rows"}``; each row: unit, name, rank, score, tier, the four components
    (``revenue_score``, ``clients_score``, ``growth_score``, ``potential_score``; None when
    missing), growth_rate, share_captured, revenue, revenue_prev, active_clients, potential,
    and ``trend`` (the score at each of ``dates``, oldest first).
    """
    settings = TerritoryWeights.load()
    qs = TerritoryFigure.objects.filter(level=level).values(
        "unit",
        "name",
        "as_of",
        "revenue",
        "revenue_prev",
        "active_clients",
        "captured",
        "potential",
    )
    df = pd.DataFrame.from_records(list(qs))
    if df.empty:
        return {"as_of": None, "dates": [], "weights": settings, "rows": []}
    for col in ("revenue", "revenue_prev", "captured", "potential"):
        df[col] = df[col].astype(float)
    names = df.drop_duplicates("unit").set_index("unit")["name"].to_dict()
    scored = T.score_over_time(
        df.drop(columns="name").set_index(["as_of", "unit"]),
        settings.as_dict(),
        premium_above=settings.premium_above,
        underperforming_below=settings.underperforming_below,
    )
    dates = sorted(scored.index.get_level_values("as_of").unique())
    last = scored.xs(dates[-1], level="as_of")
    raw = df[df["as_of"] == dates[-1]].set_index("unit")
    trend = scored["score"].unstack("as_of").reindex(columns=dates)
    keep = visible_units(clients_q, level)
    rows = []
    for unit, r in last.iterrows():
        if keep is not None and unit not in keep:
            continue
        rows.append(
            {
                "unit": unit,
                "name": names.get(unit, unit),
                "rank": int(r["rank"]),
                "score": float(r["score"]),
                "tier": r["tier"],
                **{f"{c}_score": _num(r[c]) for c in T.COMPONENTS},
                "growth_rate": _num(r["growth_rate"]),
                "share_captured": _num(r["share_captured"]),
                "revenue": float(raw.loc[unit, "revenue"]),
                "revenue_prev": float(raw.loc[unit, "revenue_prev"]),
                "active_clients": int(raw.loc[unit, "active_clients"]),
                "potential": float(raw.loc[unit, "potential"]),
                "trend": [_num(v) for v in trend.loc[unit].tolist()],
            }
        )
    return {"as_of": dates[-1], "dates": dates, "weights": settings, "rows": rows}


def _num(x):
    x = float(x)
    return None if x != x else x
