"""Features of deals as of a date, with no information from after that date.

``deals`` columns: ``id``, ``amount`` (float), ``created``, ``closed`` (NaT while open),
``outcome`` ("open"/"won"/"lost"), ``lead_source``, ``segment``, ``region``, ``owner``,
``expected_close`` (may be NaT). ``changes`` columns: ``deal_id``, ``date``, ``stage``
(name), ``order``, ``late`` (bool), ``qualification`` (bool), ``stage_outcome``
("open"/"won"/"lost"). Dates are ``datetime64[ns]``.

A snapshot of a deal at ``t`` sees the deal's fields known at creation and the stage changes
dated ``<= t``; a deal is in the snapshot only while open at ``t`` (``created <= t <
closed``), so the Won/Lost change (dated on the close) is never seen. Training rows are
snapshots of closed deals on a calendar grid, labelled with the final outcome.
"""

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")
#: Calendar step between training/evaluation snapshots.
SNAPSHOT_DAYS = 14
CATEGORICAL = ("lead_source", "segment", "region")


def _dt(value):
    return pd.Timestamp(value).normalize()


def open_pairs(deals: pd.DataFrame, dates) -> pd.DataFrame:
    """``(deal row index, t)`` for each date ``t`` in ``dates`` at which the deal is open."""
    dates = np.asarray(pd.to_datetime(pd.Index(dates)).values, dtype="datetime64[ns]")
    created = deals["created"].values.astype("datetime64[ns]")
    closed = deals["closed"].values.astype("datetime64[ns]")
    closed = np.where(np.isnat(closed), np.datetime64("2262-01-01"), closed)
    mask = (created[:, None] <= dates[None, :]) & (dates[None, :] < closed[:, None])
    rows, cols = np.nonzero(mask)
    return pd.DataFrame({"row": rows, "t": dates[cols]})


def snapshots(deals: pd.DataFrame, start=None, end=None, step=SNAPSHOT_DAYS) -> pd.DataFrame:
    """Snapshot pairs of ``deals`` on a ``step``-day grid in ``[start, end)`` plus, for deals
    created in that window, their creation day; each with ``weight`` = 1 / snapshots of that
    deal (so every deal counts once, however long it stayed open)."""
    start = _dt(start if start is not None else deals["created"].min())
    end = _dt(end if end is not None else deals["closed"].max() + pd.Timedelta(days=1))
    grid = pd.date_range(start, end - pd.Timedelta(days=1), freq=f"{step}D")
    pairs = open_pairs(deals, grid)
    created = deals["created"]
    born = np.nonzero(((created >= start) & (created < end)).values)[0]
    first = pd.DataFrame({"row": born, "t": created.values[born]})
    pairs = pd.concat([pairs, first], ignore_index=True).drop_duplicates(["row", "t"])
    counts = pairs.groupby("row")["t"].transform("size")
    pairs["weight"] = 1.0 / counts
    return pairs.sort_values(["row", "t"], ignore_index=True)


def _first_dates(changes, mask, name):
    return changes.loc[mask].groupby("deal_id")["date"].min().rename(name)


def features(deals: pd.DataFrame, changes: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per ``(row, t)`` pair: the deal's fields plus its stage state at ``t``.

    Columns: ``deal_id``, ``t``, ``amount``, ``age`` (days open), ``stage``/``stage_order``
    (the last open stage entered by ``t``, the first one when none is recorded),
    ``days_in_stage``, ``n_changes``, ``reached_late``, ``skipped_qualification`` (entered a
    stage past qualification without having been qualified), ``overdue`` (days past the
    expected close), the categorical columns, ``weight`` if the pairs have one.
    """
    base = deals.iloc[pairs["row"].to_numpy()].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "deal_id": base["id"].to_numpy(),
            "t": pairs["t"].to_numpy().astype("datetime64[ns]"),
            "amount": base["amount"].to_numpy(dtype=float),
        }
    )
    out["age"] = (out["t"] - base["created"]).to_numpy() / DAY
    for col in CATEGORICAL + ("owner",):
        out[col] = base[col].fillna("").astype(str).to_numpy()
    expected = base["expected_close"].to_numpy(dtype="datetime64[ns]")
    overdue = (out["t"].to_numpy() - expected) / DAY
    out["overdue"] = np.where(np.isnat(expected), 0.0, np.clip(overdue, 0, None))
    if "weight" in pairs:
        out["weight"] = pairs["weight"].to_numpy()

    ch = changes.loc[changes["stage_outcome"] == "open"]
    ch = ch.assign(date=ch["date"].astype("datetime64[ns]")).sort_values(["date", "deal_id"])
    ch = ch.assign(n_changes=ch.groupby("deal_id").cumcount() + 1)
    # Last open stage entered by t (merge_asof wants both sides sorted on the time key).
    left = out[["deal_id", "t"]].reset_index().sort_values("t")
    right = ch[["deal_id", "date", "stage", "order", "n_changes"]].rename(columns={"date": "t_in"})
    merged = (
        pd.merge_asof(left, right, left_on="t", right_on="t_in", by="deal_id", direction="backward")
        .set_index("index")
        .sort_index()
    )
    first_stage = ch.sort_values("order").iloc[:1]
    default_stage = first_stage["stage"].iloc[0] if len(first_stage) else ""
    default_order = int(first_stage["order"].iloc[0]) if len(first_stage) else 0
    out["stage"] = merged["stage"].fillna(default_stage).to_numpy()
    out["stage_order"] = merged["order"].fillna(default_order).to_numpy(dtype=float)
    entered = merged["t_in"].fillna(base["created"]).to_numpy(dtype="datetime64[ns]")
    out["days_in_stage"] = (out["t"].to_numpy() - entered) / DAY
    out["n_changes"] = merged["n_changes"].fillna(0).to_numpy(dtype=float)

    qual = ch.loc[ch["qualification"].astype(bool)]
    qual_order = qual["order"].min() if len(qual) else np.inf
    firsts = pd.concat(
        [
            _first_dates(ch, ch["late"].astype(bool), "late_at"),
            _first_dates(ch, ch["qualification"].astype(bool), "qual_at"),
            _first_dates(ch, ch["order"] > qual_order, "beyond_at"),
        ],
        axis=1,
    )
    firsts = firsts.reindex(out["deal_id"].to_numpy())
    t = out["t"].to_numpy()
    late_at = firsts["late_at"].to_numpy(dtype="datetime64[ns]")
    qual_at = firsts["qual_at"].to_numpy(dtype="datetime64[ns]")
    beyond_at = firsts["beyond_at"].to_numpy(dtype="datetime64[ns]")
    out["reached_late"] = (~np.isnat(late_at)) & (late_at <= t)
    qualified_first = (~np.isnat(qual_at)) & (qual_at <= beyond_at)
    out["skipped_qualification"] = (~np.isnat(beyond_at)) & (beyond_at <= t) & ~qualified_first
    return out


def features_as_of(deals: pd.DataFrame, changes: pd.DataFrame, as_of) -> pd.DataFrame:
    """Features of the deals open on ``as_of`` (the scoring of an open pipeline)."""
    pairs = open_pairs(deals, [_dt(as_of)])
    return features(deals, changes, pairs)


def labels(deals: pd.DataFrame, feats: pd.DataFrame) -> np.ndarray:
    """1 where the deal of each feature row was finally lost, 0 where won."""
    outcome = deals.set_index("id")["outcome"]
    return (outcome.reindex(feats["deal_id"].to_numpy()).to_numpy() == "lost").astype(int)


def stage_durations(changes: pd.DataFrame, as_of) -> pd.DataFrame:
    """Completed stints in open stages before ``as_of``: ``deal_id``, ``stage``, ``days``.

    A stint ends when the next change (any stage, Won/Lost included) is dated ``<= as_of``.
    """
    ch = changes.loc[changes["date"] <= _dt(as_of)].sort_values(["deal_id", "date", "order"])
    nxt = ch.groupby("deal_id")["date"].shift(-1)
    done = ch.assign(days=(nxt - ch["date"]) / pd.Timedelta(days=1)).dropna(subset=["days"])
    done = done.loc[done["stage_outcome"] == "open"]
    return done[["deal_id", "stage", "days"]].reset_index(drop=True)


def stage_p90(durations: pd.DataFrame, min_n: int = 10) -> dict:
    """``{stage: P90 of completed stint days}`` for stages with at least ``min_n`` stints."""
    grouped = durations.groupby("stage")["days"]
    q = grouped.quantile(0.9)
    n = grouped.size()
    return {stage: float(q[stage]) for stage in q.index if n[stage] >= min_n}


def segment_stage_p90(durations: pd.DataFrame, deals: pd.DataFrame, min_n: int = 10) -> dict:
    """``{(stage, segment): P90 of completed stint days}`` where that pair has ``min_n``
    stints (a stage's typical time may differ between segments)."""
    segment = deals.set_index("id")["segment"].astype(str)
    d = durations.assign(segment=durations["deal_id"].map(segment).fillna(""))
    grouped = d.groupby(["stage", "segment"])["days"]
    q, n = grouped.quantile(0.9), grouped.size()
    return {key: float(q[key]) for key in q.index if n[key] >= min_n}
