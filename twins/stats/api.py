"""The contract between the pure statistics and the database scoring.

``twins.scoring`` builds a :class:`PairBatch` from the database (one shard of clients at a
time), calls :func:`score_pairs`, and writes TwinState rows and alerts from the returned
:class:`PairScores`. Nothing here imports Django.

Index conventions: P pairs, W weeks (ISO weeks starting Monday, oldest first; the last column is
the last complete week on or before ``as_of``), F families, C clients (indices local to the
batch; the caller maps them back to database ids).
"""

from dataclasses import dataclass, field

import numpy as np

from .fdr import DEFAULT_Q

#: Alert kinds produced by the statistics (same strings as crm.Alert.Kind).
ALERT_KINDS = (
    "partial_churn",
    "full_churn",
    "technical_deterioration",
    "suspicious_pause",
    "uncaptured_potential",
    "cross_family_decline",
    "campaign_no_response",
    "cross_sell",
)


@dataclass
class PairBatch:
    units: np.ndarray  # float (P, W) net units per week, zero-filled, returns netted
    euros: np.ndarray  # float (P, W) net euros per week
    technical: np.ndarray  # bool (P,) True for technical families
    family: np.ndarray  # int (P,) family index 0..F-1
    client: np.ndarray  # int (P,) client index 0..C-1
    campaign: np.ndarray  # bool (F, W) campaign weeks per family
    potential: np.ndarray  # float (P,) annual potential in euros, NaN when unknown
    week_start: np.ndarray  # datetime64[D] (W,) the Monday of each column
    n_clients: int = 0  # C; 0 means client.max() + 1
    n_families: int = 0  # F; 0 means family.max() + 1
    # Optional int (P,) queue (rep) of each pair. When given, score_pairs applies
    # Benjamini-Hochberg per queue itself (fdr_q) and builds evidence for kept alerts only.
    queue: np.ndarray | None = None
    fdr_q: float = DEFAULT_Q


@dataclass
class PairScores:
    expected_next: np.ndarray  # float (P,) expected units next week
    # Next-week band [band_low, band_high] of integer units: band_low is the P5; band_high is
    # chosen so the band's coverage F(high) - F(low - 1) is nearest 90% (commodity). The exact
    # levels are params["band_low_q"] = F(low - 1) and params["band_high_q"] = F(high).
    band_low: np.ndarray  # float (P,) next-week P5
    band_high: np.ndarray  # float (P,) next-week upper end (coverage nearest 90%)
    p_active: np.ndarray  # float (P,) probability the relationship is still active
    forecast_units: np.ndarray  # float (P,) expected units over the horizon
    mature: np.ndarray  # bool (P,) enough history for loss alerts
    params: dict[str, np.ndarray]  # per-pair fitted parameters, each (P,)
    alert_kind: np.ndarray  # object (P,) one of ALERT_KINDS or "" for none
    alert_score: np.ndarray  # float (P,) probability of the signal (0..1)
    p_value: np.ndarray  # float (P,) tail p-value, NaN where not a tail test
    at_stake: np.ndarray  # float (P,) expected euros at stake (the priority)
    evidence: list  # (P,) JSON-serialisable dict for pairs with an alert, else None
    # Alerts not tied to one pair of the batch: cross-family (family = -1) and cross-sell
    # (a family the client does not buy). Each dict: client, family, kind, score, p_value,
    # at_stake, evidence.
    extra: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)  # seconds per phase of score_pairs


def score_pairs(batch: PairBatch, horizon: int = 8, workers: int = 1) -> PairScores:
    """Fit every pair's twin on ``batch`` and derive its signals. Vectorised, no loop per pair.

    ``alert_kind`` holds *candidate* alerts. ``p_value`` is the tail p-value of each mature
    pair's loss test (whether or not it raised an alert) and NaN for pairs/signals that are not
    tail tests; pass it with each pair's rep to :func:`fdr_select` and keep a candidate only
    where the mask is True (or set ``batch.queue`` and it is done here). ``workers`` > 1
    forks that many processes (falls back to one inside daemonic workers). See
    ``twins.stats.signals`` for the evidence keys.
    """
    from .pipeline import score_pairs as _score

    return _score(batch, horizon, workers)


def fdr_select(p_values: np.ndarray, groups: np.ndarray, q: float = DEFAULT_Q) -> np.ndarray:
    """Benjamini-Hochberg within each group (a rep's queue). NaN p-values pass unchanged.

    Returns a boolean mask, True where the alert is kept.
    """
    from .fdr import fdr_select as _select

    return _select(p_values, groups, q)
