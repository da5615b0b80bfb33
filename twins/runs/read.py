"""Reading one shard from the database: order lines, families, campaigns, potentials -> batch."""

from datetime import timedelta

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import FloatField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from crm.models import Campaign, OrderLine, Potential, ProductFamily
from twins.stats.batch import batch_from_orders
from twins.stats.grid import week_starts

ORDER_COLUMNS = ["client", "family", "date", "units", "value"]


def read_orders(as_of, weeks, lo=None, hi=None):
    """Order lines of clients ``lo <= id < hi`` in the grid's weeks, as a DataFrame with
    columns client, family, date (datetime64[D]), units, value (floats)."""
    starts = week_starts(as_of, weeks)
    first = starts[0].astype(object)
    last = starts[-1].astype(object) + timedelta(days=6)
    qs = OrderLine.objects.filter(date__gte=first, date__lte=last)
    if lo is not None:
        qs = qs.filter(client_id__gte=lo)
    if hi is not None:
        qs = qs.filter(client_id__lt=hi)
    qs = qs.order_by().annotate(u=Cast("units", FloatField()), v=Cast("net_value", FloatField()))
    if connection.vendor == "postgresql":
        # Days since 1970-01-01 computed by the database, fetched without per-row converters.
        days = RawSQL(f"({OrderLine._meta.db_table}.date - DATE '1970-01-01')", [])
        sql, params = (
            qs.annotate(d=days).values_list("client_id", "family_id", "d", "u", "v").query
        ).sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            data = np.array(cursor.fetchall(), dtype=float).reshape(-1, 5)
        frame = pd.DataFrame(data, columns=ORDER_COLUMNS)
        frame["date"] = data[:, 2].astype(np.int64).astype("datetime64[D]")
    else:
        rows = qs.values_list("client_id", "family_id", "date", "u", "v")
        frame = pd.DataFrame.from_records(rows.iterator(chunk_size=20000), columns=ORDER_COLUMNS)
    return frame.astype(
        {"client": "int64", "family": "int64", "date": "datetime64[s]"}
        | {"units": float, "value": float}
    )


def families():
    """All families as (ids, technical flags), in the index order used by every batch."""
    rows = list(ProductFamily.objects.order_by("pk").values_list("pk", "kind"))
    ids = np.array([pk for pk, _ in rows], dtype=np.int64)
    technical = np.array([kind == ProductFamily.Kind.TECHNICAL for _, kind in rows], dtype=bool)
    return ids, technical


def campaign_weeks(family_ids, starts):
    """(F, W) flags: does a campaign promoting the family overlap the week?"""
    flags = np.zeros((len(family_ids), len(starts)), dtype=bool)
    first, last = starts[0].astype(object), starts[-1].astype(object) + timedelta(days=6)
    position = {pk: k for k, pk in enumerate(family_ids.tolist())}
    campaigns = Campaign.objects.filter(start__lte=last, end__gte=first).prefetch_related(
        "families"
    )
    for campaign in campaigns:
        weeks = (starts + 6 >= np.datetime64(campaign.start)) & (
            starts <= np.datetime64(campaign.end)
        )
        rows = [position[f.pk] for f in campaign.families.all() if f.pk in position]
        flags[rows if rows else slice(None)] |= weeks
    return flags


def potentials(client_ids, family_ids):
    """Annual potential in euros per (client, family) pair, NaN when unknown.

    With several sources for one pair, the most recently updated wins.
    """
    out = np.full(len(client_ids), np.nan)
    if not len(client_ids):
        return out
    rows = (
        Potential.objects.filter(client_id__gte=client_ids.min(), client_id__lte=client_ids.max())
        .order_by("updated_at")
        .annotate(p=Cast("annual_potential", FloatField()))
        .values_list("client_id", "family_id", "p")
    )
    latest = {(c, f): p for c, f, p in rows}
    if latest:
        keys = pd.MultiIndex.from_arrays([client_ids, family_ids])
        known = pd.Series(latest)
        out = known.reindex(keys).to_numpy(dtype=float)
    return out


def potential_pairs(lo=None, hi=None):
    """``(client ids, family ids)`` of the pairs with a stated potential, for clients in
    ``lo <= id < hi``."""
    qs = Potential.objects.filter(annual_potential__gt=0).order_by()  # 0: nothing to capture
    if lo is not None:
        qs = qs.filter(client_id__gte=lo)
    if hi is not None:
        qs = qs.filter(client_id__lt=hi)
    rows = np.array(list(qs.values_list("client_id", "family_id").distinct()), dtype=np.int64)
    rows = rows.reshape(-1, 2)
    return rows[:, 0], rows[:, 1]


def build_batch(frame, as_of, weeks, family_ids, technical, extra_pairs=None):
    """The :class:`PairBatch` of the (client, family) pairs in ``frame``, with their ids.

    ``extra_pairs`` (client ids, family ids) adds zero-filled rows for pairs without orders in
    the window, such as a stated potential never bought (a cross-sell candidate).

    Returns ``(batch, pair_client_ids, pair_family_ids, client_ids)``: the batch's client index
    points into ``client_ids``, its family index into ``family_ids``; pairs are ordered by
    client id, then family.
    """
    pairs = batch_from_orders(
        frame,
        as_of,
        weeks,
        families=family_ids,
        technical=technical,
        extra_pairs=extra_pairs,
        sort=True,
    )
    batch = pairs.batch
    batch.campaign = campaign_weeks(family_ids, batch.week_start)
    batch.potential = potentials(pairs.pair_client, pairs.pair_family)
    return batch, pairs.pair_client, pairs.pair_family, pairs.clients
