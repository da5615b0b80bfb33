"""Pipeline metrics: win rates with Wilson intervals, cycle lengths, PQS, SEI, forecast, and
a test of a segment's win rate in the last period against the earlier ones."""

import numpy as np
import pandas as pd
from scipy import stats as sps

#: A segment with fewer closed deals than this says "too few deals" instead of a rate.
MIN_N = 15
Z95 = 1.959963984540054


def wilson(k, n, z: float = Z95):
    """Wilson score interval ``(lo, hi)`` for ``k`` successes in ``n`` trials (arrays)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    lo = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return lo, hi


def closed_deals(deals: pd.DataFrame, as_of=None, start=None) -> pd.DataFrame:
    """Deals won or lost by ``as_of`` (and from ``start``), with ``cycle`` days and ``won``."""
    d = deals.loc[deals["outcome"].isin(["won", "lost"]) & deals["closed"].notna()]
    if as_of is not None:
        d = d.loc[d["closed"] <= pd.Timestamp(as_of)]
    if start is not None:
        d = d.loc[d["closed"] >= pd.Timestamp(start)]
    return d.assign(
        cycle=(d["closed"] - d["created"]) / pd.Timedelta(days=1),
        won=(d["outcome"] == "won").astype(int),
    )


def size_band(amount, edges=None):
    """Deal-size band labels ("<10k", "10k-50k", ...) from amounts (euros)."""
    edges = edges or [0, 10_000, 50_000, 150_000, np.inf]
    labels = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        labels.append(f"≥{_k(lo)}" if np.isinf(hi) else f"{_k(lo)}–{_k(hi)}")
    return pd.cut(np.asarray(amount, dtype=float), edges, labels=labels, right=False).astype(str)


def _k(x):
    return f"{x / 1000:g}k" if x else "0"


def win_rates(closed: pd.DataFrame, by: str | None = None, min_n: int = MIN_N) -> pd.DataFrame:
    """Win rate per value of ``by`` (overall when ``None``): ``segment``, ``n``, ``won``,
    ``rate``, ``lo``, ``hi``, ``too_few`` (rate and interval are NaN when too few)."""
    if by is None:
        g = pd.DataFrame({"segment": ["all"], "n": [len(closed)], "won": [closed["won"].sum()]})
    else:
        g = closed.groupby(by, dropna=False)["won"].agg(n="size", won="sum").reset_index()
        g = g.rename(columns={by: "segment"})
    g["too_few"] = g["n"] < min_n
    lo, hi = wilson(g["won"], g["n"])
    g["rate"] = np.where(g["too_few"], np.nan, g["won"] / g["n"].clip(lower=1))
    g["lo"] = np.where(g["too_few"], np.nan, lo)
    g["hi"] = np.where(g["too_few"], np.nan, hi)
    return g.sort_values(["too_few", "n"], ascending=[True, False], ignore_index=True)


def cycle_stats(closed: pd.DataFrame) -> dict:
    """Median, P75 and P90 of the sales cycle (days) of won and of all closed deals."""
    out = {"n": int(len(closed))}
    for name, part in (("all", closed), ("won", closed.loc[closed["won"] == 1])):
        c = part["cycle"].to_numpy(dtype=float)
        q = np.quantile(c, [0.5, 0.75, 0.9]) if c.size else [np.nan] * 3
        out[name] = {"median": float(q[0]), "p75": float(q[1]), "p90": float(q[2])}
    return out


def stage_duration_stats(durations: pd.DataFrame) -> pd.DataFrame:
    """Per stage: ``n`` completed stints and the median/P75/P90 of their days."""
    g = durations.groupby("stage")["days"]
    return pd.DataFrame(
        {
            "n": g.size(),
            "median": g.median(),
            "p75": g.quantile(0.75),
            "p90": g.quantile(0.9),
        }
    ).reset_index()


def pqs_sei(closed: pd.DataFrame, reached_late, by: str | None = None) -> pd.DataFrame:
    """Pipeline Quality Score (won / deals that reached a late stage) and Sales Efficiency
    Index (revenue won / total cycle days), overall or per ``by``.

    ``reached_late``: a boolean per row of ``closed`` (won deals count as late).
    """
    d = closed.assign(
        late=np.asarray(reached_late, dtype=bool) | (closed["won"] == 1),
        revenue=np.where(closed["won"] == 1, closed["amount"], 0.0),
    )
    key = by if by is not None else (lambda _: "all")
    g = d.groupby(key).agg(
        n=("won", "size"),
        won=("won", "sum"),
        late=("late", "sum"),
        revenue=("revenue", "sum"),
        days=("cycle", "sum"),
    )
    g["pqs"] = g["won"] / g["late"].replace(0, np.nan)
    g["sei"] = g["revenue"] / g["days"].replace(0, np.nan)
    return g.reset_index().rename(columns={g.index.name or "index": "segment"})


def forecast(amounts, p_win, n_sims: int = 4000, seed: int = 0, level: float = 0.9) -> dict:
    """Expected revenue ``sum(amount * p_win)`` and a ``level`` interval from simulating each
    deal's outcome independently (``n_sims`` draws)."""
    a = np.asarray(amounts, dtype=float)
    p = np.clip(np.asarray(p_win, dtype=float), 0, 1)
    expected = float(a @ p)
    if a.size == 0:
        return {"expected": 0.0, "lo": 0.0, "hi": 0.0, "n": 0}
    rng = np.random.default_rng(seed)
    totals = np.empty(n_sims)
    chunk = max(1, 2_000_000 // a.size)
    for start in range(0, n_sims, chunk):
        stop = min(n_sims, start + chunk)
        wins = rng.random((stop - start, a.size)) < p
        totals[start:stop] = wins @ a
    tail = (1 - level) / 2
    lo, hi = np.quantile(totals, [tail, 1 - tail])
    return {"expected": expected, "lo": float(lo), "hi": float(hi), "n": int(a.size)}


def bh(p_values, q: float = 0.1) -> np.ndarray:
    """Benjamini-Hochberg: True where a p-value is rejected at false discovery rate ``q``."""
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p)
    ranks = np.arange(1, p.size + 1)
    passing = p[order] <= q * ranks / p.size
    k = ranks[passing].max() if passing.any() else 0
    out = np.zeros(p.size, dtype=bool)
    out[order[:k]] = True
    return out


def win_rate_drops(
    closed: pd.DataFrame, by: str, since, min_n: int = MIN_N, q: float = 0.1
) -> pd.DataFrame:
    """Per value of ``by``: the win rate of deals closed from ``since`` against earlier ones,
    a one-sided two-proportion z-test (lower now), and Benjamini-Hochberg over segments.

    Columns: ``segment``, ``n_before``, ``rate_before``, ``n_recent``, ``rate_recent``, ``p``,
    ``dropped`` (rejected at ``q``); segments with fewer than ``min_n`` deals in either period
    are left out.
    """
    recent = closed["closed"] >= pd.Timestamp(since)
    g = (
        closed.assign(recent=recent)
        .groupby([by, "recent"])["won"]
        .agg(["size", "sum"])
        .unstack("recent", fill_value=0)
    )
    if g.empty or (True not in g["size"].columns) or (False not in g["size"].columns):
        return pd.DataFrame(
            columns=[
                "segment",
                "n_before",
                "rate_before",
                "n_recent",
                "rate_recent",
                "p",
                "dropped",
            ]
        )
    n0, k0 = g["size"][False].to_numpy(float), g["sum"][False].to_numpy(float)
    n1, k1 = g["size"][True].to_numpy(float), g["sum"][True].to_numpy(float)
    keep = (n0 >= min_n) & (n1 >= min_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (k0 + k1) / (n0 + n1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
        z = (k0 / n0 - k1 / n1) / se
    p = np.where(se > 0, sps.norm.sf(z), 1.0)
    out = pd.DataFrame(
        {
            "segment": g.index.astype(str),
            "n_before": n0.astype(int),
            "rate_before": k0 / np.maximum(n0, 1),
            "n_recent": n1.astype(int),
            "rate_recent": k1 / np.maximum(n1, 1),
            "p": p,
        }
    ).loc[keep]
    out["dropped"] = bh(out["p"].to_numpy(), q)
    return out.sort_values("p", ignore_index=True)
