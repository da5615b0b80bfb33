"""The commodity twin's heterogeneous dropout (BG/BB fitted per family)."""

import numpy as np
import pytest

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


# --- the fixed-hazard formulas and BG/BB's pieces, by hand ---------------------------------


def test_p_active_weekly_clips_the_order_probability():
    """q = (1 - h)(1 - p). A pair that never buys (p <= 0, q = 1 - h) is quiet by chance only
    while active: P(active) = (1 - h)^s / ((1 - h)^s + (1 - (1 - h)^s)) = 0.9^3 = 0.729. One
    sure to buy (p >= 1, q = 0) is active with no silence and inactive after one silent week.
    The default hazard 0.005 with p = 0.5 and one silent week: 0.4975 / (0.4975 + 0.005)."""
    assert dropout.p_active_weekly(-0.2, 3, hazard=0.1) == pytest.approx(0.729)
    assert dropout.p_active_weekly(0.0, 3, hazard=0.1) == pytest.approx(0.729)
    assert dropout.p_active_weekly(1.5, np.array([0, 1, 2]), hazard=0.1) == pytest.approx(
        [1.0, 0.0, 0.0]
    )
    assert dropout.p_active_weekly(0.5, 1) == pytest.approx(0.4975 / 0.5025)


def test_p_active_survival_by_hand():
    """keep = (1 - h)^s; P(active) = keep surv / (keep surv + 1 - keep). h = 0.1, s = 2,
    surv = 0.2: 0.162 / (0.162 + 0.19). The default hazard 0.005, s = 10, surv = 0.5:
    keep = 0.995^10 = 0.951110. A silence impossible under activity (surv 0) is 0, a pair
    with no silence 1."""
    assert dropout.p_active_survival(0.2, 2, hazard=0.1) == pytest.approx(0.162 / 0.352)
    keep = 0.995**10
    assert dropout.p_active_survival(0.5, 10) == pytest.approx(0.5 * keep / (0.5 * keep + 1 - keep))
    assert dropout.p_active_survival(np.array([0.0, 1.0]), np.array([3, 0])).tolist() == [0, 1]


def test_active_path_by_hand():
    """P(active) k weeks ahead = P(active now) (1 - h)^k: h = 0.1 over three weeks."""
    path = dropout.active_path(np.array([0.5, 1.0]), 3, hazard=0.1)
    assert path == pytest.approx(np.array([[0.45, 0.405, 0.3645], [0.9, 0.81, 0.729]]))
    assert dropout.active_path(np.array([1.0]), 2) == pytest.approx(np.array([[0.995, 0.995**2]]))


def test_rfm_weeks_by_hand():
    """Orders after the first purchase week (x), the last order's week counted from the first
    (tx) and weeks since the first (n); a week with any units (even a fraction) is one order,
    a row that never bought is (0, 0, -1)."""
    units = np.array(
        [
            [0, 2, 0, 0.5, 0, 0],  # first week 1, orders in weeks 1 and 3
            [0, 0, 0, 0, 0, 0],  # never bought
            [3, 0, 0, 0, 0, 0],  # once, in the first week
            [0, 0, 0, 0, 0, 1],  # once, in the last week
            [1, 1, 1, 1, 1, 1],  # every week
            [0, -1, 0, 4, 0, 0],  # a return is no order
        ]
    )
    x, tx, n = dropout.rfm_weeks(units)
    assert x.tolist() == [1, 0, 0, 0, 5, 0]
    assert tx.tolist() == [2, 0, 0, 0, 5, 0]
    assert n.tolist() == [4, -1, 5, 0, 5, 2]
    assert x.dtype == tx.dtype == n.dtype == np.float64


def bgbb_reference(a, b, g, d, x, tx, n):
    """log of BG/BB's 'active through n' term and of the whole likelihood of one pair (Fader,
    Hardie & Shang 2010, eq. 5), term by term with scipy's log Beta:
    B(a + x, b + n - x) B(g, d + n) / (B(a, b) B(g, d))
    + sum_{i < n - tx} B(a + x, b + tx - x + i) B(g + 1, d + tx + i) / (B(a, b) B(g, d))."""
    from scipy.special import betaln, logsumexp

    base = betaln(a, b) + betaln(g, d)
    terms = [betaln(a + x, b + n - x) + betaln(g, d + n) - base]
    for i in range(int(n - tx)):
        terms.append(betaln(a + x, b + tx - x + i) + betaln(g + 1, d + tx + i) - base)
    return terms[0], logsumexp(terms)


def test_bgbb_likelihood_by_hand():
    """a = b = g = d = 1, one repeat order in week 1, three weeks since the first:
    alive through week 3: B(2, 3) B(1, 4) = 1/12 x 1/4 = 1/48; dropped after week 1:
    B(2, 1) B(2, 2) = 1/2 x 1/6 = 1/12; after week 2: B(2, 2) B(2, 3) = 1/6 x 1/12 = 1/72.
    L = 1/48 + 1/12 + 1/72 = 17/144. a = 1, b = 3, g = 1, d = 3, no repeat order, one week:
    alive 3/4 x 3/4 = 9/16, dropped at once 1/4: L = 13/16."""
    alive, loglik = dropout._bgbb_terms((1.0, 1.0, 1.0, 1.0), *np.array([[1.0], [1.0], [3.0]]))
    assert np.exp(alive) == pytest.approx([1 / 48]) and np.exp(loglik) == pytest.approx([17 / 144])
    alive, loglik = dropout._bgbb_terms((1.0, 3.0, 1.0, 3.0), *np.array([[0.0], [0.0], [1.0]]))
    assert np.exp(alive) == pytest.approx([9 / 16]) and np.exp(loglik) == pytest.approx([13 / 16])


ROWS = np.array(  # (x, tx, n): silences of 0 to 25 weeks, with and without repeat orders
    [[0, 0, 0], [0, 0, 1], [1, 1, 3], [2, 5, 9], [3, 3, 3], [5, 10, 30], [0, 0, 25], [7, 8, 8]],
    dtype=float,
).T


def test_bgbb_likelihood_matches_its_terms_for_one_family_and_per_row():
    """The recursion over consecutive Beta functions (one family: from tables of logs; per-row
    parameters: directly) against each term from scipy's log Beta."""
    params = (0.7, 2.5, 1.3, 6.0)
    ref = np.array([bgbb_reference(*params, *row) for row in ROWS.T])
    alive, loglik = dropout._bgbb_terms(params, *ROWS)
    assert alive == pytest.approx(ref[:, 0], rel=1e-9)
    assert loglik == pytest.approx(ref[:, 1], rel=1e-9)
    index = dropout._silence_index(*ROWS)
    assert dropout._bgbb_terms(params, *ROWS, index)[1] == pytest.approx(ref[:, 1], rel=1e-9)
    rng = np.random.default_rng(0)
    per_row = rng.uniform(0.3, 8.0, (4, ROWS.shape[1]))
    ref = np.array([bgbb_reference(*per_row[:, i], *ROWS[:, i]) for i in range(ROWS.shape[1])])
    alive, loglik = dropout._bgbb_terms(tuple(per_row), *ROWS)
    assert alive == pytest.approx(ref[:, 0], rel=1e-9)
    assert loglik == pytest.approx(ref[:, 1], rel=1e-9)


def test_bgbb_outlook_by_hand():
    """P(active) = alive term / likelihood (the hand cases above: 9/13 and (1/48)/(17/144) =
    3/17; a row that never bought, n = -1, is judged as n = 0: 1). Staying k more weeks:
    E[(1 - theta)^k] under Beta(g, d + n) = B(g, d + n + k) / B(g, d + n), with g = 1:
    (d + n) / (d + n + k). The order probability (a + x) / (a + b + n)."""
    params = np.array([[1, 3, 1, 3], [1, 1, 1, 1], [2, 3, 1, 3]], dtype=float)
    x, tx, n = np.array([0.0, 1, 0]), np.array([0.0, 1, 0]), np.array([1.0, 3, -1])
    p_alive, path, p_buy = dropout.bgbb_outlook(params, x, tx, n, 3)
    assert p_alive == pytest.approx([9 / 13, 3 / 17, 1.0])
    k = np.arange(1, 4)
    stay = np.array([4 / (4 + k), 4 / (4 + k), 3 / (3 + k)])
    assert path == pytest.approx(p_alive[:, None] * stay)
    assert p_buy == pytest.approx([1 / 5, 2 / 5, 2 / 5])


def _rows(n_rows, seed=0):
    """(x, tx, n) of ``n_rows`` pairs with 2 to 40 weeks of history and some repeat orders."""
    rng = np.random.default_rng(seed)
    n = rng.integers(2, 41, n_rows).astype(float)
    tx = np.floor(rng.uniform(0, 1, n_rows) * (n + 1))
    x = np.floor(rng.uniform(0, 1, n_rows) * (tx + 1))
    return x, tx, n


def test_bgbb_needs_thirty_pairs_with_a_history_and_a_repeat_order():
    """Thirty pairs with a week of history or more are fitted; 29, or thirty of which one has
    none yet (n = 0), are not; nor are thirty without any repeat order."""
    x, tx, n = _rows(30)
    n[0], tx[0], x[0] = 1.0, 1.0, 1.0  # one week of history is a history
    assert np.isfinite(dropout.fit_bgbb(x, tx, n)).all()
    assert np.isnan(dropout.fit_bgbb(x[1:], tx[1:], n[1:])).all()
    n0 = n.copy()
    n0[0], tx[0], x[0] = 0.0, 0.0, 0.0
    assert np.isnan(dropout.fit_bgbb(x, tx, n0)).all()
    single_repeats = np.minimum(x, 1.0)  # one repeat order is a repeat order
    assert single_repeats.max() == 1.0
    assert np.isfinite(dropout.fit_bgbb(single_repeats, tx, n)).all()
    too_few = dropout.fit_bgbb(np.zeros(30), tx, n)
    assert len(too_few) == 4 and np.isnan(too_few).all()


def test_bgbb_fit_maximises_the_likelihood():
    """The fitted (a, b, g, d) beat every parameter moved 5% either way on the likelihood
    summed from the term-by-term reference (every pair counted, duplicates included)."""
    x, tx, n = _rows(200, seed=1)
    x[:20], tx[:20], n[:20] = x[20:40], tx[20:40], n[20:40]  # some pairs alike

    def loglik(p):
        return sum(bgbb_reference(*p, *row)[1] for row in zip(x, tx, n, strict=True))

    fitted = np.array(dropout.fit_bgbb(x, tx, n))
    best = loglik(fitted)
    for i in range(4):
        for f in (0.95, 1.05):
            moved = fitted.copy()
            moved[i] *= f
            assert loglik(moved) < best


def test_family_fits_need_thirty_pairs_each():
    """Family 0 (30 pairs) gets its own fit, equal to fitting its rows alone; family 1 (29)
    and family 2 (none) keep NaN."""
    x, tx, n = _rows(59, seed=2)
    family = np.r_[np.zeros(30, int), np.ones(29, int)]
    out = dropout.fit_family_bgbb(x, tx, n, family, 3)
    assert out.shape == (3, 4)
    assert out[0] == pytest.approx(dropout.fit_bgbb(x[:30], tx[:30], n[:30]))
    assert np.isnan(out[1:]).all()
