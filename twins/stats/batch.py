"""Order lines -> :class:`~twins.stats.types.PairBatch`: the one reader shared by the offline
command (``python -m twins score``) and the database scoring run (``twins.runs``)."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .grid import weekly_grid
from .types import PairBatch


@dataclass
class OrderPairs:
    """A batch and the labels (CSV codes or database ids) its indices stand for."""

    batch: PairBatch
    pair_client: np.ndarray  # (P,) client label of each pair
    pair_family: np.ndarray  # (P,) family label of each pair
    clients: np.ndarray  # (C,) client label of each client index
    families: np.ndarray  # (F,) family label of each family index


def batch_from_orders(
    orders, as_of, n_weeks, *, families=None, technical=None, extra_pairs=None, sort=False
):
    """The :class:`PairBatch` of the (client, family) pairs of ``orders``.

    ``orders``: DataFrame with columns client, family, date (datetime64), units, value.
    ``families``: sorted family labels that define the family index (every family, also those
    without orders); None: the families of ``orders`` in order of first appearance.
    ``technical``: (F,) bool per family (None: all commodity; the caller may set
    ``batch.technical`` afterwards). ``extra_pairs`` ``(clients, families)`` adds zero-filled
    rows for pairs without orders in the window, such as a stated potential never bought.
    ``sort``: pairs ordered by client, then family index (else in order of first appearance).
    Campaign weeks are left empty and potentials unknown (NaN) for the caller to fill.
    """
    client = orders["client"].to_numpy()
    family = orders["family"].to_numpy()
    if extra_pairs is not None:
        client = np.concatenate([client, np.asarray(extra_pairs[0], dtype=client.dtype)])
        family = np.concatenate([family, np.asarray(extra_pairs[1], dtype=family.dtype)])
    if families is None:
        fam_code, families = pd.factorize(family)
    else:
        families = np.asarray(families)
        fam_code = np.searchsorted(families, family)
    n_families = len(families)
    if sort:
        clients, cli_code = np.unique(client, return_inverse=True)
        pair_keys, pair_code = np.unique(cli_code * n_families + fam_code, return_inverse=True)
    else:
        cli_code, clients = pd.factorize(client)
        pair_code, pair_keys = pd.factorize(cli_code * n_families + fam_code)
    pair_cli, pair_fam = np.divmod(np.asarray(pair_keys, dtype=np.int64), n_families)
    n_rows = len(orders)
    units, euros, starts = weekly_grid(
        pair_code[:n_rows],
        orders["date"].to_numpy().astype("datetime64[D]"),
        orders["units"].to_numpy(dtype=float),
        orders["value"].to_numpy(dtype=float),
        as_of,
        n_weeks,
        n_pairs=len(pair_keys),
    )
    if technical is None:
        technical = np.zeros(n_families, dtype=bool)
    purchase_days = _purchase_days(
        pair_code[:n_rows], orders["date"].to_numpy().astype("datetime64[D]"), orders["units"]
    )
    batch = PairBatch(
        units=units,
        euros=euros,
        technical=np.asarray(technical, dtype=bool)[pair_fam],
        family=pair_fam,
        client=pair_cli,
        campaign=np.zeros((n_families, n_weeks), dtype=bool),
        potential=np.full(len(pair_keys), np.nan),
        week_start=starts,
        n_clients=len(clients),
        n_families=n_families,
        purchase_days=purchase_days,
    )
    clients, families = np.asarray(clients), np.asarray(families)
    return OrderPairs(batch, clients[pair_cli], families[pair_fam], clients, families)


def _purchase_days(pair, dates, units):
    """``(pair, date)`` of every day with net units > 0 (returns netted within the day),
    sorted by pair then date: the technical twin's order dates."""
    frame = pd.DataFrame({"pair": pair, "date": dates, "units": np.asarray(units, dtype=float)})
    net = frame.groupby(["pair", "date"], sort=True)["units"].sum()
    net = net[net > 0]
    return (
        net.index.get_level_values(0).to_numpy(dtype=np.int64),
        net.index.get_level_values(1).to_numpy().astype("datetime64[D]"),
    )
