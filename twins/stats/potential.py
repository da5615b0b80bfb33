"""Stated potentials: how much of it a pair captures, and whether the potential is reliable.

A pair's **level** is the higher of its last 52 weeks of purchases (annualised when younger)
and its average annual purchases over its whole history in the grid (up to three years): a
last year that dipped below the pair's own longer history is not a small share of its
potential (a loss, if anything, is judged by the loss rules), so both must be small for an
uncaptured-potential alert.

A stated potential is **not reliable** (no alert; the client page says so and why) when:

- ``ABOVE_PURCHASES``: the pair buys more than the potential, both over the last 52 weeks and
  on average over its history (a potential below actual purchases is stale or wrong);
- ``UNREACHED``: the pair captures less than ``MAX_SHARE_OF_WALLET`` of it, and so do nine in
  ten comparable clients, i.e. the family's steady buyers (52+ weeks of history) with a stated
  potential, at least ``MIN_COMPARABLE`` of them: the source overstates the family's potentials,
  since no comparable client reaches them.

Pure numpy; codes are floats so that they travel with the other per-pair parameters (NaN: no
potential, or a pair too young to judge).
"""

import numpy as np

from .rules import MAX_SHARE_OF_WALLET, MIN_COMPARABLE, REACH_QUANTILE, STEADY_WEEKS

RELIABLE, ABOVE_PURCHASES, UNREACHED = 0.0, 1.0, 2.0
#: Weeks of history before a pair's purchases are compared with a potential (a quarter).
MIN_JUDGED_WEEKS = 13


def annual_levels(euros, hist_weeks):
    """``(e52, e_long)``: euros of the last 52 weeks (annualised for pairs younger than 52
    weeks, at least 13) and the average annual euros over the whole history in the grid."""
    euros = np.asarray(euros, dtype=float)
    hist = np.asarray(hist_weeks, dtype=float)
    e52 = euros[:, -52:].sum(1) * 52.0 / np.clip(hist, MIN_JUDGED_WEEKS, 52)
    span = np.clip(hist, MIN_JUDGED_WEEKS, euros.shape[1])
    e_long = euros.sum(1) * 52.0 / span
    return e52, e_long


def shares(e52, e_long, potential):
    """``(level, share)``: the pair's level (the higher of the two) and level / potential
    (NaN without a positive potential)."""
    level = np.maximum(e52, e_long)
    pot = np.asarray(potential, dtype=float)
    known = np.nan_to_num(pot) > 0
    share = np.where(known, level / np.where(known, pot, 1.0), np.nan)
    return level, share


def family_reach(share, hist_weeks, family, n_families):
    """(F,) the ``REACH_QUANTILE`` of the share of their potential that the family's steady
    buyers (``STEADY_WEEKS``+ weeks of history, a stated potential) capture; NaN for a family
    with fewer than ``MIN_COMPARABLE`` of them."""
    share = np.asarray(share, dtype=float)
    family = np.asarray(family, dtype=np.int64)
    ok = np.isfinite(share) & (np.asarray(hist_weeks) >= STEADY_WEEKS)
    reach = np.full(n_families, np.nan)
    if not ok.any():
        return reach
    fam, val = family[ok], share[ok]
    order = np.lexsort((val, fam))
    fam, val = fam[order], val[order]
    counts = np.bincount(fam, minlength=n_families)
    starts = np.cumsum(counts) - counts
    for f in np.flatnonzero(counts >= MIN_COMPARABLE):
        reach[f] = np.quantile(val[starts[f] : starts[f] + counts[f]], REACH_QUANTILE)
    return reach


def judge_families(share, hist_weeks, family, code):
    """Family reach over a whole set of pairs (a scoring run's shards together) and the codes
    with ``UNREACHED`` where it applies: ``(code, reach per pair)``. ``family``: any labels
    (database ids); ``code``: the codes judged without a family reach."""
    labels, fam = np.unique(np.asarray(family), return_inverse=True)
    reach = family_reach(share, hist_weeks, fam, labels.size)[fam]
    code = np.asarray(code, dtype=float).copy()
    unreached = (
        (code == RELIABLE)
        & (np.asarray(share, dtype=float) < MAX_SHARE_OF_WALLET)
        & (reach < MAX_SHARE_OF_WALLET)
    )
    code[unreached] = UNREACHED
    return code, np.where(np.isfinite(code), reach, np.nan)


def reliability(e52, e_long, potential, hist_weeks, reach):
    """Per pair: ``RELIABLE``, ``ABOVE_PURCHASES`` or ``UNREACHED`` (see the module), NaN
    without a positive potential or with under ``MIN_JUDGED_WEEKS`` weeks of history.
    ``reach``: (n,) the family reach of each pair (``family_reach(...)[family]``)."""
    pot = np.asarray(potential, dtype=float)
    known = (np.nan_to_num(pot) > 0) & (np.asarray(hist_weeks) >= MIN_JUDGED_WEEKS)
    _, share = shares(e52, e_long, pot)
    above = np.minimum(e52, e_long) >= pot
    unreached = (share < MAX_SHARE_OF_WALLET) & (np.asarray(reach) < MAX_SHARE_OF_WALLET)
    code = np.where(above, ABOVE_PURCHASES, np.where(unreached, UNREACHED, RELIABLE))
    return np.where(known, code, np.nan)
