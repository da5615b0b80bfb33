"""Order lines -> one row of client features as of a date (RFM, behaviour, per-family recency).

``lines``: DataFrame with columns ``client`` (label), ``family`` (label), ``date``
(datetime64) and ``value`` (net euros, negative for returns). An *order* is a client's
positive-value purchases on one date. Only lines on or before ``as_of`` are read.
"""

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")

#: Columns of :func:`client_features`, in order.
COLUMNS = (
    "recency_days",  # days since the last order
    "frequency",  # orders (distinct dates) in the last 365 days
    "monetary",  # net value in the last 365 days (euros)
    "n_families",  # families bought in the last 365 days
    "median_gap_days",  # median days between the client's orders (last two years)
    "regularity",  # coefficient of variation of those gaps (0 = clockwork)
    "recency_ratio",  # recency / the client's own median gap
    "trend",  # log ratio of the last 26 weeks' value to the 26 weeks before
    "trend_13w",  # log ratio of the last 13 weeks' value to the mean 13 weeks of the year
    "orders_90d",  # orders in the last 90 days
    "family_overdue_max",  # max over families of recency / the family's own median gap
    "family_overdue_mean",  # mean of the same over the families bought in two years
    "families_silent",  # share of families silent for more than twice their usual gap
    "tenure_days",  # days since the first order
    "share_of_wallet",  # last-365-day value / stated annual potential (NaN when none)
)


def _orders(lines, as_of):
    """One row per (client, date) with its positive value; lines after ``as_of`` dropped."""
    as_of = np.datetime64(pd.Timestamp(as_of).date(), "D")
    d = lines.loc[lines["date"].to_numpy().astype("datetime64[D]") <= as_of]
    return d, as_of


def client_features(lines, as_of, clients=None, potential=None) -> pd.DataFrame:
    """The features of :data:`COLUMNS` per client as of ``as_of`` (index: client label).

    ``clients``: the labels to return (default: every client with a line by ``as_of``); a
    client without orders gets recency and tenure of 10 years and zeros.
    ``potential``: Series of stated annual potential per client (euros), optional.
    """
    d, as_of = _orders(lines, as_of)
    dates = d["date"].to_numpy().astype("datetime64[D]")
    age = (as_of - dates) / DAY  # days before as_of, >= 0
    d = d.assign(_age=age)
    if clients is None:
        clients = pd.Index(pd.unique(d["client"]))
    else:
        clients = pd.Index(clients)
    out = pd.DataFrame(index=clients)
    out.index.name = "client"

    pos = d.loc[d["value"] > 0]
    orders = pos.groupby(["client", "_age"], sort=False)["value"].sum().reset_index()
    g = orders.groupby("client")["_age"]
    out["recency_days"] = g.min().reindex(clients).fillna(3650.0)
    out["tenure_days"] = g.max().reindex(clients).fillna(3650.0)
    last_year = orders.loc[orders["_age"] < 365]
    out["frequency"] = last_year.groupby("client").size().reindex(clients).fillna(0.0)
    out["orders_90d"] = (
        orders.loc[orders["_age"] < 90].groupby("client").size().reindex(clients).fillna(0.0)
    )
    year = d.loc[d["_age"] < 365]
    out["monetary"] = year.groupby("client")["value"].sum().reindex(clients).fillna(0.0)
    out["n_families"] = (
        year.loc[year["value"] > 0].groupby("client")["family"].nunique().reindex(clients)
    ).fillna(0.0)

    # Gaps between successive orders over the last two years.
    two = orders.loc[orders["_age"] < 730].sort_values(["client", "_age"])
    gaps = two.assign(gap=two.groupby("client")["_age"].diff()).dropna(subset=["gap"])
    gg = gaps.groupby("client")["gap"]
    med = gg.median().reindex(clients)
    cv = (gg.std(ddof=0) / gg.mean()).reindex(clients)
    out["median_gap_days"] = med.fillna(365.0)
    out["regularity"] = cv.fillna(1.0)
    out["recency_ratio"] = out["recency_days"] / np.maximum(out["median_gap_days"], 1.0)

    # Trends of value.
    def window(lo, hi):
        w = d.loc[(d["_age"] >= lo) & (d["_age"] < hi)]
        return w.groupby("client")["value"].sum().reindex(clients).fillna(0.0).clip(lower=0)

    last26, prev26 = window(0, 182), window(182, 364)
    out["trend"] = np.log1p(last26) - np.log1p(prev26)
    last13 = window(0, 91)
    out["trend_13w"] = np.log1p(last13) - np.log1p(out["monetary"].clip(lower=0) / 4.0)

    # Per-family recency against the family's own gap.
    fam_orders = (
        pos.loc[pos["_age"] < 730].groupby(["client", "family", "_age"], sort=False).size()
    ).reset_index()[["client", "family", "_age"]]
    fam_orders = fam_orders.sort_values(["client", "family", "_age"])
    key = [fam_orders["client"], fam_orders["family"]]
    fam_orders["gap"] = fam_orders.groupby(key)["_age"].diff()
    per = fam_orders.groupby(["client", "family"]).agg(
        rec=("_age", "min"), gap=("gap", "median"), n=("_age", "size")
    )
    # A family bought once: its gap is unknown; use the client's median gap, at least 90 days.
    fallback = med.reindex(per.index.get_level_values(0)).to_numpy()
    gap = per["gap"].to_numpy()
    gap = np.where(np.isfinite(gap), gap, np.maximum(np.nan_to_num(fallback, nan=365.0), 90.0))
    per["ratio"] = per["rec"].to_numpy() / np.maximum(gap, 7.0)
    per["silent"] = (per["ratio"] > 2.0).astype(float)
    pg = per.groupby(level=0)
    out["family_overdue_max"] = pg["ratio"].max().reindex(clients).fillna(10.0)
    out["family_overdue_mean"] = pg["ratio"].mean().reindex(clients).fillna(10.0)
    out["families_silent"] = pg["silent"].mean().reindex(clients).fillna(1.0)

    if potential is not None:
        pot = pd.Series(potential).reindex(clients).astype(float)
        out["share_of_wallet"] = np.where(pot > 0, out["monetary"] / pot, np.nan)
    else:
        out["share_of_wallet"] = np.nan
    return out[list(COLUMNS)].astype(float)


def no_order_within(lines, as_of, clients, days=90) -> np.ndarray:
    """(C,) bool: True where the client has no positive-value line in (as_of, as_of + days]."""
    start = np.datetime64(pd.Timestamp(as_of).date(), "D")
    dates = lines["date"].to_numpy().astype("datetime64[D]")
    sel = (dates > start) & (dates <= start + days * DAY) & (lines["value"].to_numpy() > 0)
    bought = pd.Index(pd.unique(lines.loc[sel, "client"]))
    return ~pd.Index(clients).isin(bought)


def active_clients(lines, as_of, days=365) -> pd.Index:
    """Clients with a positive-value line in the ``days`` up to ``as_of``."""
    d, as_of = _orders(lines, as_of)
    dates = d["date"].to_numpy().astype("datetime64[D]")
    sel = ((as_of - dates) / DAY < days) & (d["value"].to_numpy() > 0)
    return pd.Index(pd.unique(d.loc[sel, "client"]))
