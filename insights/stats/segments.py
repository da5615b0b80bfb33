"""Client segmentation: K-Means on standardised RFM and behaviour, k chosen by silhouette,
clusters named from their profiles; and the rule-based RFM quintile scoring it is compared to.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from .threads import limited

#: Features clustered (columns of :func:`insights.stats.features.client_features`); the
#: skewed ones are log-transformed first.
SEGMENT_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "n_families",
    "regularity",
    "trend",
    "recency_ratio",
)
#: Not clustered: the signals (``features.SIGNAL_COLUMNS``), measured both ways (docs/insights.md,
#: "Voice and campaign signals"). With ``campaign_response`` the benchmark's 1,000 generated
#: clients kept their segment from one week to the next 89.5 % of the time instead of 95.1 %
#: (ARI 0.711 instead of 0.834); with ``sentiment_180d`` the seeded 300-client demo, where a
#: third of the clients have recent notes, 61.7 % instead of 83.3 % (ARI 0.207 instead of
#: 0.488), and the silhouette fell in both. The churn model reads them.
LOG_FEATURES = ("recency_days", "frequency", "monetary", "recency_ratio")
K_RANGE = (4, 5, 6)
SEED = 0
SILHOUETTE_SAMPLE = 4000
#: K-Means starts per k: on 20,000 demo clients 4 starts found the same inertia as 10 for
#: k = 4, 5, 6 (one start did not for k = 4), in 40 % of the time.
N_INIT = 4

#: Segment codes, in the order their rules are tried on each cluster (see name_clusters).
NAMES = (
    "lapsed",
    "at_risk",
    "growing",
    "declining",
    "single_family",
    "premium_regulars",
    "occasional",
    "steady",
    "small_regulars",
)


@dataclass
class Segmentation:
    labels: np.ndarray  # (C,) cluster index per client
    codes: list  # (k,) segment code per cluster
    k: int
    silhouettes: dict  # k -> silhouette
    centers: np.ndarray  # (k, d) standardised
    profiles: pd.DataFrame = field(default_factory=pd.DataFrame)  # per code: medians and shares

    def client_codes(self) -> np.ndarray:
        return np.asarray(self.codes, dtype=object)[self.labels]


def design(feats: pd.DataFrame) -> np.ndarray:
    """(C, d) matrix of the segment features, logged where skewed, standardised (z-scores)."""
    X = feats[list(SEGMENT_FEATURES)].to_numpy(dtype=float).copy()
    for j, name in enumerate(SEGMENT_FEATURES):
        if name in LOG_FEATURES:
            X[:, j] = np.log1p(np.maximum(X[:, j], 0.0))
    X = np.nan_to_num(X)
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


@limited
def silhouette(X, labels, seed=SEED) -> float:
    """Silhouette on a fixed sample of at most :data:`SILHOUETTE_SAMPLE` rows (NaN: < 2 groups)."""
    if len(np.unique(labels)) < 2 or len(X) < 3:
        return float("nan")
    n = min(len(X), SILHOUETTE_SAMPLE)
    return float(silhouette_score(X, labels, sample_size=n, random_state=seed))


@limited
def cluster(feats: pd.DataFrame, k_range=K_RANGE, seed=SEED) -> Segmentation:
    """K-Means for each k of ``k_range``, the one with the best silhouette kept, named."""
    X = design(feats)
    best, sils = None, {}
    for k in k_range:
        if len(X) <= k:
            continue
        km = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(X)
        sils[k] = silhouette(X, km.labels_, seed)
        if best is None or sils[k] > sils[best[0]] + 1e-12:
            best = (k, km)
    if best is None:  # fewer clients than the smallest k: one segment
        labels = np.zeros(len(X), dtype=int)
        return Segmentation(labels, ["steady"], 1, sils, np.zeros((1, X.shape[1])))
    k, km = best
    labels = km.labels_.astype(int)
    codes = name_clusters(feats, labels, k)
    seg = Segmentation(labels, codes, k, sils, km.cluster_centers_)
    seg.profiles = profiles(feats, seg.client_codes())
    return seg


def name_clusters(feats: pd.DataFrame, labels: np.ndarray, k: int) -> list:
    """A code of :data:`NAMES` per cluster, from its medians, the first rule that holds:

    *lapsed*: no order for 180+ days; *at risk*: 3+ times its usual gap without an order;
    *growing* / *declining*: last 26 weeks' value at least 16 % above / 26 % below the 26
    weeks before (log ratio +0.15 / -0.3); *single-family*: at most 1.5 families;
    *premium regulars*: 12-month value and orders both at least the median client's;
    *occasional*: at most half the median orders; else *steady* (value at least half the
    median) or *small regulars*. Two clusters may get the same code: they are one segment.
    Each cluster is named from its own medians, so renumbering clusters renames nothing.
    """
    med = feats.groupby(labels).median()
    m50, f50 = feats["monetary"].median(), feats["frequency"].median()
    codes = []
    for c in range(k):
        r = med.loc[c] if c in med.index else feats.median()
        if r["recency_days"] >= 180:
            codes.append("lapsed")
        elif r["recency_ratio"] >= 3:
            codes.append("at_risk")
        elif r["trend"] >= 0.15:
            codes.append("growing")
        elif r["trend"] <= -0.3:
            codes.append("declining")
        elif r["n_families"] <= 1.5:
            codes.append("single_family")
        elif r["monetary"] >= m50 and r["frequency"] >= f50:
            codes.append("premium_regulars")
        elif r["frequency"] <= 0.5 * f50:
            codes.append("occasional")
        else:
            codes.append("steady" if r["monetary"] >= 0.5 * m50 else "small_regulars")
    return codes


def profiles(feats: pd.DataFrame, codes: np.ndarray) -> pd.DataFrame:
    """Per segment code: clients, share of clients, share of revenue, median R, F, M."""
    df = pd.DataFrame(
        {
            "segment": codes,
            "recency_days": feats["recency_days"].to_numpy(),
            "frequency": feats["frequency"].to_numpy(),
            "monetary": feats["monetary"].to_numpy(),
        }
    )
    g = df.groupby("segment")
    total_rev = float(df["monetary"].clip(lower=0).sum()) or 1.0
    out = pd.DataFrame(
        {
            "clients": g.size(),
            "share_clients": g.size() / max(len(df), 1),
            "share_revenue": g["monetary"].apply(lambda s: s.clip(lower=0).sum()) / total_rev,
            "median_recency_days": g["recency_days"].median(),
            "median_frequency": g["frequency"].median(),
            "median_monetary": g["monetary"].median(),
        }
    )
    return out.sort_values("share_revenue", ascending=False)


def quintile(x: np.ndarray) -> np.ndarray:
    """1-5 quintile score of each value by rank (ties share the lower rank's quintile)."""
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return np.zeros(0, dtype=int)
    ranks = pd.Series(x).rank(method="min").to_numpy() - 1
    return (1 + np.floor(5 * ranks / len(x))).astype(int).clip(1, 5)


#: Classic RFM groups from (R, F, M) quintile scores, checked in this order.
RFM_GROUPS = ("champions", "loyal", "at_risk", "new_or_promising", "hibernating", "others")


def rfm_scores(feats: pd.DataFrame) -> pd.DataFrame:
    """Rule-based RFM: quintile scores (5 = best: recent, frequent, high value) and a group."""
    r = 6 - quintile(feats["recency_days"].to_numpy())
    f = quintile(feats["frequency"].to_numpy())
    m = quintile(feats["monetary"].to_numpy())
    fm = (f + m) / 2
    group = np.select(
        [
            (r >= 4) & (fm >= 4),
            (r >= 3) & (fm >= 3),
            (r <= 2) & (fm >= 3),
            (r >= 4) & (fm < 3),
            (r <= 2) & (fm < 3),
        ],
        RFM_GROUPS[:-1],
        default="others",
    )
    return pd.DataFrame({"r": r, "f": f, "m": m, "group": group}, index=feats.index)
