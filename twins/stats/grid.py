"""Order lines -> (pair x ISO week) matrices."""

import numpy as np

#: numpy's day 0 (1970-01-01) is a Thursday; adding 3 makes Monday 0.
_MONDAY_SHIFT = 3


def monday_of(dates) -> np.ndarray:
    """The Monday (datetime64[D]) of the ISO week holding each date."""
    d = np.asarray(dates, dtype="datetime64[D]")
    return d - ((d.astype(np.int64) + _MONDAY_SHIFT) % 7).astype("timedelta64[D]")


def last_complete_monday(as_of) -> np.datetime64:
    """Monday of the last ISO week that ends (Sunday) on or before ``as_of``."""
    return monday_of(np.datetime64(as_of, "D") + 1) - np.timedelta64(7, "D")


def week_starts(as_of, n_weeks: int) -> np.ndarray:
    """The Mondays of the ``n_weeks`` complete weeks ending on or before ``as_of``, oldest first."""
    last = last_complete_monday(as_of)
    return last - np.arange(n_weeks - 1, -1, -1).astype("timedelta64[W]").astype("timedelta64[D]")


def iso_week_number(week_start) -> np.ndarray:
    """ISO week number (1..53) of each Monday."""
    thursday = np.asarray(week_start, dtype="datetime64[D]") + 3
    jan1 = thursday.astype("datetime64[Y]").astype("datetime64[D]")
    return ((thursday - jan1).astype(np.int64) // 7 + 1).astype(np.int64)


def weekly_grid(pair_index, dates, units, euros, as_of, n_weeks, n_pairs=None):
    """Net ``units`` and ``euros`` per (pair, ISO week), zero-filled.

    Lines after ``as_of`` or before the first week are ignored; returns (negative units) net
    against purchases of the same week. Returns ``(units[P, W], euros[P, W], week_start[W])``
    where the last column is the last complete week on or before ``as_of``.
    """
    pair_index = np.asarray(pair_index, dtype=np.int64)
    n_pairs = int(pair_index.max()) + 1 if n_pairs is None and pair_index.size else n_pairs or 0
    start = week_starts(as_of, n_weeks)
    col = (monday_of(dates) - start[0]).astype(np.int64) // 7
    keep = (col >= 0) & (col < n_weeks)
    flat = pair_index[keep] * n_weeks + col[keep]
    size = n_pairs * n_weeks
    u = np.bincount(flat, weights=np.asarray(units, float)[keep], minlength=size)
    e = np.bincount(flat, weights=np.asarray(euros, float)[keep], minlength=size)
    return u.reshape(n_pairs, n_weeks), e.reshape(n_pairs, n_weeks), start
