"""The contract between the pure statistics and the database scoring.

``twins.runs`` builds a :class:`PairBatch` from the database (one shard of clients at a
time), calls :func:`score_pairs`, and writes TwinState rows and alerts from the returned
:class:`PairScores`. Nothing here imports Django.

Index conventions: P pairs, W weeks (ISO weeks starting Monday, oldest first; the last column is
the last complete week on or before ``as_of``), F families, C clients (indices local to the
batch; the caller maps them back to database ids).
"""

import numpy as np

from . import pipeline
from .fdr import DEFAULT_Q
from .fdr import fdr_select as _fdr_select
from .types import ALERT_KINDS, PairBatch, PairScores

__all__ = ["ALERT_KINDS", "PairBatch", "PairScores", "fdr_select", "score_pairs"]


def score_pairs(batch: PairBatch, horizon: int = 8, workers: int = 1) -> PairScores:
    """Fit every pair's twin on ``batch`` and derive its signals. Vectorised, no loop per pair.

    ``alert_kind`` holds *candidate* alerts. ``p_value`` is the tail p-value of each mature
    pair's loss test (whether or not it raised an alert) and NaN for pairs/signals that are not
    tail tests; pass it with each pair's rep to :func:`fdr_select` and keep a candidate only
    where the mask is True (or set ``batch.queue`` and it is done here). ``workers`` > 1
    forks that many processes (falls back to one inside daemonic workers). See
    ``twins.stats.evidence`` for the evidence keys.
    """
    return pipeline.score_pairs(batch, horizon, workers)


def fdr_select(p_values: np.ndarray, groups: np.ndarray, q: float = DEFAULT_Q) -> np.ndarray:
    """Benjamini-Hochberg within each group (a rep's queue). NaN p-values pass unchanged.

    Returns a boolean mask, True where the alert is kept.
    """
    return _fdr_select(p_values, groups, q)
