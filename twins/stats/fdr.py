"""False discovery rate control over a rep's queue."""

import numpy as np

#: Default level: the expected share of false alarms among a queue's tail-test alerts is at
#: most this. 0.2 gives the most churn recall at precision >= 0.7 on the planted-truth bench
#: (``python -m twins bench`` prints the trade-off); settings.SCORING_FDR_Q repeats it.
DEFAULT_Q = 0.2


def fdr_select(p_values, groups, q: float = DEFAULT_Q) -> np.ndarray:
    """Benjamini-Hochberg at level ``q`` within each group (a rep's queue).

    Returns a boolean mask: True where the test is rejected (the alert is kept). NaN p-values
    (signals that are not tail tests) pass unchanged, i.e. True.
    """
    p = np.asarray(p_values, dtype=float)
    g = np.asarray(groups)
    keep = np.isnan(p)
    tested = ~keep
    pv, gv = p[tested], g[tested]
    if pv.size == 0:
        return keep
    order = np.lexsort((pv, gv))
    gs, ps = gv[order], pv[order]
    _, start, counts = np.unique(gs, return_index=True, return_counts=True)
    grp = np.repeat(np.arange(counts.size), counts)
    rank = np.arange(gs.size) - start[grp] + 1
    passing = np.where(ps <= q * rank / counts[grp], rank, 0)
    k_max = np.zeros(counts.size, dtype=np.int64)
    np.maximum.at(k_max, grp, passing)
    selected = np.empty(pv.size, dtype=bool)
    selected[order] = rank <= k_max[grp]
    keep[tested] = selected
    return keep
