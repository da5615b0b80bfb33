"""The commodity twin's heterogeneous dropout (BG/BB fitted per family)."""

import numpy as np

from twins.stats import dropout
from twins.stats.api import PairBatch, score_pairs


def simulate(n, weeks, seed=0, a=1.0, b=4.0, g=1.0, d=20.0):
    """Weekly order indicators from BG/BB: p ~ Beta(a, b), dropout theta ~ Beta(g, d); every
    pair buys in week 0."""
    rng = np.random.default_rng(seed)
    p = rng.beta(a, b, n)
    theta = rng.beta(g, d, n)
    death = 1 + rng.geometric(theta)  # the first week it no longer buys
    wk = np.arange(weeks)[None, :]
    units = (rng.random((n, weeks)) < p[:, None]) & (wk < death[:, None])
    units[:, 0] = True
    return units.astype(float)


def test_fit_recovers_the_mean_dropout_and_order_probability():
    units = simulate(3000, 60)
    a, b, g, d = dropout.fit_bgbb(*dropout.rfm_weeks(units))
    assert abs(a / (a + b) - 0.2) < 0.04
    assert abs(g / (g + d) - 1 / 21) < 0.02


def test_too_few_pairs_keep_the_fixed_hazard():
    units = simulate(10, 60)
    assert np.isnan(dropout.fit_bgbb(*dropout.rfm_weeks(units))).all()


def batch(units):
    n, w = units.shape
    return PairBatch(
        units=units,
        euros=units * 10.0,
        technical=np.zeros(n, bool),
        family=np.zeros(n, int),
        client=np.arange(n),
        campaign=np.zeros((1, w), bool),
        potential=np.full(n, np.nan),
        week_start=np.datetime64("2024-01-01") + 7 * np.arange(w),
    )


def test_one_time_and_lapsed_buyers_get_a_pessimistic_outlook():
    units = simulate(2000, 52, seed=1)
    once = np.zeros((1, 52))
    once[0, 10] = 1  # bought once, 41 weeks ago
    lapsed = np.zeros((1, 52))
    lapsed[0, 5:30:2] = 1  # bought every other week, silent for 22 weeks
    steady = np.zeros((1, 52))
    steady[0, 5::2] = 1  # still buying every other week
    scores = score_pairs(batch(np.vstack([units, once, lapsed, steady])), horizon=26)
    p_once, p_lapsed, p_steady = scores.p_active[-3:]
    f_once, f_lapsed, f_steady = scores.forecast_units[-3:]
    assert p_steady > 0.9 and p_lapsed < 0.2 and p_once < 0.5
    assert f_steady > 8 and f_lapsed < 1 and f_once < 1
    # The fixed weekly hazard (the old twin) thought the one-time buyer still likely active.
    assert dropout.p_active_weekly(0.02, 41) > 0.5
