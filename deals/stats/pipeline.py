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


def _rise_p(k0, n0, k1, n1):
    """One-sided p-value of a two-proportion z-test that the rate ``k1/n1`` exceeds ``k0/n0``
    (arrays; 1 where the pooled rate leaves no variance)."""
    k0, n0, k1, n1 = (np.asarray(x, dtype=float) for x in (k0, n0, k1, n1))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (k0 + k1) / (n0 + n1)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
        z = (k1 / n1 - k0 / n0) / se
    return np.where(se > 0, sps.norm.sf(z), 1.0)


DROP_COLUMNS = [
    "dimension",
    "segment",
    "n_before",
    "rate_before",
    "n_recent",
    "rate_recent",
    "p",
    "dropped",
]


def win_rate_drops_across(
    closed: pd.DataFrame, dims, since, min_n: int = MIN_N, q: float = 0.1
) -> pd.DataFrame:
    """:func:`win_rate_drops` over several dimensions (``segment``, ``region``, ...) with one
    Benjamini-Hochberg correction over every segment of every dimension tested, so testing
    more breakdowns does not raise more false alarms. Columns: :data:`DROP_COLUMNS`."""
    parts = [
        part.assign(dimension=dim)
        for dim in dims
        if dim in closed.columns and len(part := win_rate_drops(closed, dim, since, min_n, q))
    ]
    if not parts:
        return pd.DataFrame(columns=DROP_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["dropped"] = bh(out["p"].to_numpy(), q)
    return out[DROP_COLUMNS].sort_values("p", ignore_index=True)


def late_loss_rise(closed: pd.DataFrame, reached_late, since, min_n: int = MIN_N) -> dict:
    """Whether deals that reached a late stage are lost more often from ``since`` than before.

    Among closed deals that reached a late stage (won deals count as late, as in the PQS): the
    loss rate of those closed from ``since`` against earlier ones, one-sided two-proportion
    z-test. Returns ``n_before``, ``rate_before``, ``n_recent``, ``rate_recent``, ``p`` (1 when
    either period has fewer than ``min_n`` deals), ``lost_amount_recent`` and ``excess`` (the
    late-stage amount closed recently times the rise of the loss rate, ≥ 0).
    """
    late = np.asarray(reached_late, dtype=bool) | (closed["won"].to_numpy() == 1)
    d = closed.loc[late]
    recent = (d["closed"] >= pd.Timestamp(since)).to_numpy()
    lost = (d["won"] == 0).to_numpy()
    amount = d["amount"].to_numpy(dtype=float)
    n0, n1 = int((~recent).sum()), int(recent.sum())
    k0, k1 = int((lost & ~recent).sum()), int((lost & recent).sum())
    r0 = k0 / n0 if n0 else float("nan")
    r1 = k1 / n1 if n1 else float("nan")
    enough = n0 >= min_n and n1 >= min_n
    p = float(_rise_p(k0, n0, k1, n1)) if enough else 1.0
    rise = max(r1 - r0, 0.0) if enough else 0.0
    return {
        "n_before": n0,
        "rate_before": r0,
        "n_recent": n1,
        "rate_recent": r1,
        "p": p,
        "lost_amount_recent": float(amount[lost & recent].sum()),
        "excess": float(amount[recent].sum() * rise),
    }


def risk_concentration(amounts, p_loss, high: float) -> dict:
    """How much of an open pipeline sits in high-risk deals (``p_loss >= high``).

    Returns ``n``, ``n_high``, ``amount`` (Σ amount), ``amount_high``, ``share`` (amount_high /
    amount; 0 for an empty pipeline), ``expected`` (Σ amount × P(win), the forecast),
    ``expected_high`` (the part of it from high-risk deals) and ``gap_high`` (Σ amount ×
    P(loss) over high-risk deals: what the naive sum of their amounts over-promises).
    """
    a = np.asarray(amounts, dtype=float)
    p = np.clip(np.asarray(p_loss, dtype=float), 0, 1)
    is_high = p >= high
    total = float(a.sum())
    return {
        "n": int(a.size),
        "n_high": int(is_high.sum()),
        "amount": total,
        "amount_high": float(a[is_high].sum()),
        "share": float(a[is_high].sum() / total) if total > 0 else 0.0,
        "expected": float(a @ (1 - p)),
        "expected_high": float(a[is_high] @ (1 - p[is_high])),
        "gap_high": float(a[is_high] @ p[is_high]),
    }


def win_rate_drop_drivers(
    closed: pd.DataFrame, dims, since, min_n: int = MIN_N, q: float = 0.1, max_steps: int = 10
) -> pd.DataFrame:
    """The segments that drive a fall of the win rate, one at a time.

    A segment's drop shows in every breakdown that contains its deals (a Retail drop makes
    each region and each rep with Retail deals fall a little too). So: test every segment of
    every dimension (:func:`win_rate_drops_across`, one Benjamini-Hochberg at ``q``), keep the
    most significant drop, set its deals aside, and test the rest again, until nothing is
    rejected. Each row's figures are those of the step that found it (on the deals not set
    aside before). Columns: :data:`DROP_COLUMNS` plus ``n_tests`` (tests of that step).
    """
    found = []
    rest = closed
    for _ in range(max_steps):
        drops = win_rate_drops_across(rest, dims, since, min_n, q)
        hits = drops.loc[drops["dropped"]]
        if hits.empty:
            break
        top = hits.iloc[0]
        found.append({**top.to_dict(), "n_tests": len(drops)})
        rest = rest.loc[rest[top["dimension"]].astype(str) != top["segment"]]
    return pd.DataFrame(found, columns=[*DROP_COLUMNS, "n_tests"])
