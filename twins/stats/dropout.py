"""Probability that a pair's buying relationship is still active (BG/NBD in spirit).

An active pair may drop out in any week with hazard ``h``; a dropped pair never buys again.
Given the current silence of ``s`` weeks, Bayes' rule compares "still active and quiet by chance"
with "dropped out at some week of the silence".
"""

import numpy as np

#: Prior weekly dropout hazard (about 23% a year).
WEEKLY_HAZARD = 0.005


def p_active_weekly(p_buy, silence_weeks, hazard: float = WEEKLY_HAZARD):
    """P(active) after ``silence_weeks`` empty weeks for a pair buying in a week w.p. ``p_buy``.

    ``q = (1 - h)(1 - p_buy)``; P(silence, active) = q**s and
    P(silence, dropped) = sum_j h q**j = h (1 - q**s) / (1 - q).
    """
    s = np.asarray(silence_weeks, dtype=float)
    q = (1.0 - hazard) * (1.0 - np.clip(p_buy, 0.0, 1.0))
    qs = q**s
    dropped = hazard * (1.0 - qs) / np.maximum(1.0 - q, 1e-12)
    return qs / (qs + dropped)


def p_active_survival(surv, silence_weeks, hazard: float = WEEKLY_HAZARD):
    """P(active) when the chance of the current silence under activity is ``surv``.

    Conservatively assumes a dropout happened right after the last purchase.
    """
    keep = (1.0 - hazard) ** np.asarray(silence_weeks, dtype=float)
    alive = keep * np.asarray(surv, dtype=float)
    return alive / (alive + (1.0 - keep) + 1e-300)


def active_path(p_active, horizon: int, hazard: float = WEEKLY_HAZARD):
    """P(active) in each of the next ``horizon`` weeks, shape (P, horizon)."""
    steps = (1.0 - hazard) ** np.arange(1, horizon + 1)
    return np.asarray(p_active, dtype=float)[:, None] * steps[None, :]
