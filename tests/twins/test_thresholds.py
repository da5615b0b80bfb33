"""Every detection threshold of the twins pinned by a case just inside and one just outside it.

The rule functions of :mod:`twins.stats.detect` are fed hand-built statistics (a p-value of
0.0099 or 0.0101, a drop of 19% or 21%, ...), so moving a threshold in ``twins.stats.rules``
(or dropping a condition) flips one of the two outcomes. The statistics themselves are checked
against scipy and hand computations in ``test_stats.py``; the end-to-end cases at the bottom
show that the suspicious pause and the campaign without response are raised by ``score_pairs``
on built histories, and that BH runs over a rep's whole queue (several clients).
"""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats as sps

from twins.stats import detect, rules, technical
from twins.stats import potential as pot
from twins.stats.api import PairBatch, score_pairs

W = 60


# --- builders: n pairs with neutral statistics (no signal), then overridden per test --------


def commodity_inputs(n, **over):
    """Inputs of ``detect.commodity_signals`` for ``n`` mature commodity pairs that raise
    nothing: steady 100 euros a week, no campaign, p-values of 1, no drop, no potential.
    Keyword overrides replace one (n,) statistic: p_partial, magnitude, silence, p_active,
    p_zero, potential, euros_per_week, hist_weeks."""
    v = {
        "p_partial": 1.0,
        "magnitude": 0.0,
        "silence": 0,
        "p_active": 1.0,
        "p_zero": 1.0,
        "potential": np.nan,
        "euros_per_week": 100.0,
        "hist_weeks": W,
    }
    v.update(over)
    col = {k: np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy() for k, x in v.items()}
    units = np.full((n, W), 10.0)
    ch = SimpleNamespace(
        units=units,
        euros=np.repeat(col["euros_per_week"][:, None], W, axis=1),
        family=np.zeros(n, int),
        potential=col["potential"],
        technical=np.zeros(n, bool),
        camp=np.zeros((n, W), bool),
        first=np.full(n, -1),
    )
    ctx = SimpleNamespace(recent=8, fam_lift=np.array([np.nan]), fam_post_lift=np.array([1.0]))
    h = SimpleNamespace(season=np.ones((n, W)), inv_k=np.full(n, 0.1))
    wt = SimpleNamespace(
        p_partial=col["p_partial"],
        magnitude=col["magnitude"],
        pi_b=np.full(n, 0.9),
        rate_b=np.full(n, 10.0),
        alpha_b=np.full(n, 100.0),
        beta_b=np.full(n, 10.0),
    )
    sil = SimpleNamespace(
        silence=col["silence"].astype(int), p_active=col["p_active"], p_zero=col["p_zero"]
    )
    mat = SimpleNamespace(mature=np.ones(n, bool), hist_weeks=col["hist_weeks"])
    return ctx, ch, h, wt, sil, mat


def technical_inputs(rows):
    """Inputs of ``detect.technical_signals`` for one mature technical pair per dict of
    ``rows`` (keys of the technical fit: survival, silence_days, p75, p90, p75_usual, trend,
    trend_se, p_active; the rest neutral; p75_usual defaults to the row's p75)."""
    n = len(rows)
    defaults = {
        "survival": 0.5,
        "silence_days": 14.0,
        "p75": 32.0,
        "p90": 36.0,
        "trend": 0.0,
        "median": 28.0,
        "trend_se": 0.1,
        "p_active": 0.99,
        "size": 4.0,
        "mean_gap": 28.0,
    }
    tfit = {k: np.array([r.get(k, d) for r in rows], dtype=float) for k, d in defaults.items()}
    tfit["p75_usual"] = np.array([r.get("p75_usual", r.get("p75", 32.0)) for r in rows])
    ch = SimpleNamespace(technical=np.ones(n, bool), tech_pos=np.arange(n))
    return ch, tfit, np.ones(n, bool)


# --- commodity: partial churn (per-pair tail level 0.01, minimum drop 20%) -----------------


def test_partial_churn_needs_a_p_value_at_most_one_percent():
    cs = detect.commodity_signals(
        *commodity_inputs(3, p_partial=[0.0099, 0.0101, 0.049], magnitude=0.5)
    )
    assert cs.partial.tolist() == [True, False, False]


def test_partial_churn_needs_a_drop_of_at_least_twenty_percent():
    cs = detect.commodity_signals(*commodity_inputs(3, p_partial=1e-6, magnitude=[0.21, 0.19, 0.0]))
    assert cs.partial.tolist() == [True, False, False]


def test_partial_churn_at_exactly_one_percent_and_exactly_twenty_percent():
    """Both thresholds are inclusive: p = 0.01 with a 50% drop, and a 20% drop at p = 1e-6."""
    cs = detect.commodity_signals(
        *commodity_inputs(2, p_partial=[0.01, 1e-6], magnitude=[0.5, 0.2])
    )
    assert cs.partial.tolist() == [True, True]


# --- commodity: full churn (3 silent weeks, P(no order that long) <= 1%, P(active) < 0.5) ---


def test_full_churn_needs_three_silent_weeks_a_one_percent_tail_and_p_active_below_half():
    cs = detect.commodity_signals(
        *commodity_inputs(
            6,
            silence=[5, 2, 5, 5, 5, 3],
            p_zero=[0.0099, 0.001, 0.0101, 0.001, 0.001, 0.001],
            p_active=[0.49, 0.1, 0.1, 0.51, 0.9, 0.2],
        )
    )
    # inside; too short; tail too likely; still probably active (twice); exactly 3 weeks.
    assert cs.full.tolist() == [True, False, False, False, False, True]
    # A full churn is not also called partial.
    cs = detect.commodity_signals(
        *commodity_inputs(1, silence=5, p_zero=0.001, p_active=0.1, p_partial=1e-6, magnitude=1)
    )
    assert cs.full.tolist() == [True] and cs.partial.tolist() == [False]


def test_full_churn_needs_p_active_strictly_below_half():
    """P(active) exactly 0.5 is not "below half": no full churn (0.4999 is)."""
    cs = detect.commodity_signals(
        *commodity_inputs(2, silence=5, p_zero=0.001, p_active=[0.5, 0.4999])
    )
    assert cs.full.tolist() == [False, True]
    # A tail of exactly 1% is "at most 1%".
    cs = detect.commodity_signals(*commodity_inputs(1, silence=5, p_zero=0.01, p_active=0.1))
    assert cs.full.tolist() == [True]


# --- commodity: campaign without response (family lift >= 1.2, odds >= 7, lift <= midpoint) -


def campaign_inputs(units, fam_lift=3.0, post_lift=1.0):
    """One pair per value of ``units``: it bought ``units`` in each of the last two weeks, the
    family's campaign weeks (no post-campaign weeks yet), and 10 a week before; its usual week
    is 0.9 x (1 + 10) = 9.9 units."""
    inputs = commodity_inputs(len(units))
    ctx, ch, _, _, _, _ = inputs
    ch.camp[:, -2:] = True
    ch.units[:, -2:] = np.asarray(units, dtype=float)[:, None]
    ctx.fam_lift = np.array([fam_lift])
    ctx.fam_post_lift = np.array([post_lift])
    return inputs


def week_llr(x, lift, rate=10.0, alpha=100.0, beta=10.0, inv_k=0.1):
    """log P(x units | usual) - log P(x units | lift x usual) of one week with an order (season
    1): one unit plus Negative Binomial units beyond the first, whose mean is scaled so the
    week's mean is ``lift`` x the usual 1 + rate, with the moments of a Gamma(alpha, beta) rate
    and weekly dispersion inv_k: mean m = s alpha / beta, variance m + s^2 (alpha + inv_k
    alpha (alpha + 1)) / beta^2, by scipy."""

    def logpmf(lf):
        s = (lf * (1 + rate) - 1) / rate  # season-units of the order's extra units
        m = s * alpha / beta
        excess = s**2 * (alpha + inv_k * alpha * (alpha + 1)) / beta**2
        r = m**2 / excess
        return sps.nbinom.logpmf(x - 1, r, r / (r + m))

    return logpmf(1.0) - logpmf(lift)


def test_campaign_without_response_needs_odds_of_seven_and_a_lift_below_the_midpoint():
    """Two campaign weeks of x units each against a family lift of 3: the log likelihood ratio
    of "buys as usual" is 2 x week_llr(x); an alert needs it >= log 7 and a client lift
    (2x / 19.8) at most (1 + 3) / 2 = 2."""
    xs = np.arange(5, 41)
    cs = detect.commodity_signals(*campaign_inputs(xs))
    llr = 2 * week_llr(xs, 3.0)
    lift = 2 * xs / 19.8
    assert cs.campaign_llr == pytest.approx(llr, rel=1e-6)
    assert cs.client_lift == pytest.approx(lift, rel=1e-9)
    expected = (llr >= np.log(7.0)) & (lift <= 2.0)
    assert cs.no_response.tolist() == expected.tolist()
    # Both edges are met within the range: 10 a week (usual) is called, 30 (the family's) not.
    assert cs.no_response[xs == 10].all() and not cs.no_response[xs == 30].any()
    # The odds edge: the last x called has odds >= 7, the next one below.
    last = xs[cs.no_response].max()
    assert llr[xs == last][0] >= np.log(7.0) > llr[xs == last + 1][0]


def test_campaign_without_response_needs_a_family_lift_of_1_2():
    cs = detect.commodity_signals(*campaign_inputs([0], fam_lift=1.19))
    assert cs.no_response.tolist() == [False]
    cs = detect.commodity_signals(*campaign_inputs([0], fam_lift=1.21))
    assert cs.no_response.tolist() == [False]  # no order at all: no evidence either way
    cs = detect.commodity_signals(*campaign_inputs([10], fam_lift=1.19))
    assert cs.no_response.tolist() == [False]


def test_one_campaign_week_can_be_enough_evidence():
    """A single campaign week of 5 units against a family lift of 3: log odds week_llr(5, 3)
    = 5.35 >= log 7, client lift 5 / 9.9 = 0.51 <= 2: called."""
    assert week_llr(5.0, 3.0) >= np.log(7.0)
    inputs = campaign_inputs([5])
    inputs[1].camp[:, -2] = False
    cs = detect.commodity_signals(*inputs)
    assert cs.client_lift == pytest.approx([5 / 9.9])
    assert cs.no_response.tolist() == [True]


def test_campaign_without_response_at_a_family_lift_of_exactly_1_2():
    """Eight campaign weeks of 9 units: log odds 8 x week_llr(9, 1.2) = 2.18 >= log 7 (1.19:
    2.05), client lift 72 / (0.9 x 88) = 0.91 below the midpoint 1.1. A family lift of exactly
    1.2 is enough; 1.19 is not."""
    assert 8 * week_llr(9.0, 1.19) >= np.log(7.0)
    for lift, called in ((1.2, True), (1.19, False)):
        inputs = campaign_inputs([9], fam_lift=lift)
        inputs[1].camp[:, -8:] = True
        inputs[1].units[:, -8:] = 9.0
        cs = detect.commodity_signals(*inputs)
        assert cs.campaign_llr == pytest.approx([8 * week_llr(9.0, lift)], rel=1e-6)
        assert cs.no_response.tolist() == [called]


def test_campaign_without_response_at_a_client_lift_of_exactly_the_midpoint():
    """Usual week 0.5 x (1 + 3) = 2 units (rate 3: Gamma(30, 10)); three campaign weeks,
    family lift 3, midpoint (1 + 3) / 2 = 2. Buying 4, 4, 4 is a client lift of 12 / 6 = 2.0
    exactly (log odds 3 x week_llr(4) = 6.07): called. Buying 4, 4, 5 (13 / 6 = 2.17, log odds
    5.35) is not: nearer the family's lift than the midpoint allows."""
    k = {"rate": 3.0, "alpha": 30.0, "beta": 10.0}
    for last, called in ((4.0, True), (5.0, False)):
        inputs = campaign_inputs([4.0])
        _, ch, _, wt, _, _ = inputs
        ch.camp[:, -3:] = True
        ch.units[:, -3:] = [4.0, 4.0, last]
        wt.pi_b[:], wt.rate_b[:], wt.alpha_b[:], wt.beta_b[:] = 0.5, 3.0, 30.0, 10.0
        cs = detect.commodity_signals(*inputs)
        llr = 2 * week_llr(4.0, 3.0, **k) + week_llr(last, 3.0, **k)
        assert cs.campaign_llr == pytest.approx([llr], rel=1e-6) and llr >= np.log(7.0)
        assert cs.client_lift.tolist() == [(8.0 + last) / 6.0]
        assert cs.no_response.tolist() == [called]


def test_expected_units_of_one_campaign_divide_by_the_number_of_campaigns():
    """Usual week 0.9 x (1 + 10) = 9.9 units. One 3-week campaign: 29.7 units per campaign;
    two 2-week campaigns (39.6 units in all): 19.8 each; no campaign: 0."""
    inputs = commodity_inputs(3)
    ch = inputs[1]
    ch.camp[0, -3:] = True
    ch.camp[1, [-7, -6, -3, -2]] = True
    cs = detect.commodity_signals(*inputs)
    assert cs.camp_exp == pytest.approx([29.7, 19.8, 0.0])


def test_a_family_without_a_measured_lift_gives_no_campaign_evidence():
    """A family whose campaign lift is unknown (NaN) is taken to buy as usual in campaigns:
    both hypotheses are the same, so the log odds of any campaign week are 0, and no alert."""
    cs = detect.commodity_signals(*campaign_inputs([5, 30], fam_lift=np.nan))
    assert cs.campaign_llr.tolist() == [0.0, 0.0]
    assert not cs.no_response.any()


def test_post_campaign_weeks_count_as_evidence():
    """Campaign weeks then four post-campaign weeks: a client whose post-campaign weeks are as
    usual (10 each) while the family's are at half is likelier not to have bought ahead."""
    inputs = commodity_inputs(2)
    ctx, ch, _, _, _, _ = inputs
    ch.camp[:, -6:-4] = True
    ch.units[0, -6:-4] = 16.0  # a weak response in the campaign weeks
    ch.units[1, -6:-4] = 16.0
    ch.units[1, -4:] = 5.0  # and half the usual level after it, like the family
    ctx.fam_lift = np.array([3.0])
    ctx.fam_post_lift = np.array([0.5])
    cs = detect.commodity_signals(*inputs)
    post_llr = 4 * (week_llr(10.0, 0.5) - week_llr(5.0, 0.5))
    assert cs.campaign_llr[0] - cs.campaign_llr[1] == pytest.approx(post_llr, rel=1e-6)
    assert post_llr > 0


def test_post_campaign_weeks_weigh_nothing_without_a_family_post_campaign_lift():
    """The same two pairs as above (post-campaign weeks at 10 or 5 units), but the family's
    post-campaign lift unknown (NaN) or not computed at all (None): the post-campaign weeks
    are taken as usual weeks for both hypotheses, so both pairs have the log odds of their two
    campaign weeks only, 2 x week_llr(16, 3)."""
    for post_lift in (np.array([np.nan]), None):
        inputs = commodity_inputs(2)
        ctx, ch, _, _, _, _ = inputs
        ch.camp[:, -6:-4] = True
        ch.units[:, -6:-4] = 16.0
        ch.units[1, -4:] = 5.0
        ctx.fam_lift = np.array([3.0])
        ctx.fam_post_lift = post_lift
        cs = detect.commodity_signals(*inputs)
        assert cs.campaign_llr == pytest.approx([2 * week_llr(16.0, 3.0)] * 2, rel=1e-6)


def test_client_lift_needs_an_expected_campaign_and_is_not_floored_at_one_unit():
    """A pair without campaign weeks has no campaign lift (NaN); one that orders rarely (0.01
    a week, 1 + 10 units an order) expects 0.01 x 2 x 11 = 0.22 units over two campaign weeks,
    so 11 units in each week is a lift of 100."""
    inputs = campaign_inputs([11, 11])
    _, ch, _, wt, _, _ = inputs
    ch.camp[0] = False
    wt.pi_b[:] = 0.01
    cs = detect.commodity_signals(*inputs)
    assert np.isnan(cs.client_lift[0])
    assert cs.client_lift[1] == pytest.approx(22 / 0.22)


# --- commodity: uncaptured potential (share of wallet < 25%, gap >= 500 euros) -------------


def test_uncaptured_potential_needs_a_share_below_a_quarter_and_500_euros_missing():
    # 100 euros a week: 5,200 euros over the last 52 weeks.
    e52 = 5200.0
    potential = [e52 / 0.249, e52 / 0.251, e52 / 0.5, e52 / 0.1]
    cs = detect.commodity_signals(*commodity_inputs(4, potential=potential))
    assert cs.share == pytest.approx([0.249, 0.251, 0.5, 0.1])
    assert cs.uncaptured.tolist() == [True, False, False, True]
    # 1 euro a week: 52 euros bought; a potential of 260 (share 20%) misses only 208 euros.
    cs = detect.commodity_signals(
        *commodity_inputs(3, euros_per_week=1.0, potential=[260.0, 551.0, 553.0])
    )
    assert cs.uncaptured.tolist() == [False, False, True]  # gaps 208, 499, 501


def test_share_of_a_stated_potential_needs_a_positive_potential():
    """5,200 euros over the last 52 weeks: the share of a 26,000-euro potential is 0.2, of a
    potential of half a euro 10,400; no potential, a zero or a negative one give NaN."""
    cs = detect.commodity_signals(*commodity_inputs(5, potential=[np.nan, 0.0, -5.0, 0.5, 26000.0]))
    assert cs.share.dtype == np.float64
    assert np.isnan(cs.share[:3]).all()
    assert cs.share[3:] == pytest.approx([10400.0, 0.2])


def test_uncaptured_potential_at_exactly_a_quarter_and_exactly_500_euros():
    """A share of exactly 25% (5,200 of 20,800) is not "below a quarter"; a gap of exactly
    500 euros (52 bought of a 552 potential) is enough."""
    cs = detect.commodity_signals(*commodity_inputs(1, potential=20800.0))
    assert cs.level_share.tolist() == [0.25] and cs.uncaptured.tolist() == [False]
    cs = detect.commodity_signals(*commodity_inputs(1, euros_per_week=1.0, potential=552.0))
    assert cs.level.tolist() == [52.0] and cs.uncaptured.tolist() == [True]


def test_uncaptured_potential_annualises_young_pairs_and_needs_a_quarter_of_history():
    """26 weeks of history buying 100 euros a week: 2,600 euros, annualised x 52/26 = 5,200,
    a share of 24% of a 21,667-euro potential. The same purchases over a pair said to be 12
    weeks old are annualised as 13 weeks (x 4 = 10,400, a 48% share), and 12 weeks is too
    young anyway."""
    inputs = commodity_inputs(2, potential=5200.0 / 0.24, hist_weeks=[26, 12])
    inputs[1].euros[:, :-26] = 0.0
    cs = detect.commodity_signals(*inputs)
    assert cs.e52 == pytest.approx([5200.0, 10400.0])
    assert cs.uncaptured.tolist() == [True, False]


# --- technical: deterioration past P90, full churn, suspicious pause past P75 ---------------

# The P75 and P90 of a Log-Normal gap with a 28-day median and sigma 0.2, by scipy.
GAP = sps.lognorm(s=0.2, scale=28.0)
P75, P90 = float(GAP.ppf(0.75)), float(GAP.ppf(0.90))


def test_scipy_quantiles_of_the_example_gap():
    assert P75 == pytest.approx(28 * np.exp(0.2 * 0.674490), rel=1e-6)  # 32.04 days
    assert P90 == pytest.approx(28 * np.exp(0.2 * 1.281552), rel=1e-6)  # 36.23 days


def test_technical_deterioration_starts_past_the_p90_gap_not_the_p75():
    rows = [
        {"silence_days": P90 + 0.1, "survival": 0.099},
        {"silence_days": P90 - 0.1, "survival": 0.101},
        {"silence_days": (P75 + P90) / 2, "survival": 0.15},
    ]
    ts = detect.technical_signals(*technical_inputs([r | {"p75": P75, "p90": P90} for r in rows]))
    assert ts.deteriorating.tolist() == [True, False, False]
    assert not ts.full.any()


def test_technical_full_churn_needs_survival_p_active_and_a_year_of_silence():
    year = 52 * 7.0
    base = {"p75": P75, "p90": P90}
    rows = [
        {"silence_days": year, "survival": 0.0099, "p_active": 0.00099},  # inside
        {"silence_days": year - 7, "survival": 1e-6, "p_active": 1e-6},  # under a year
        {"silence_days": year, "survival": 0.0101, "p_active": 1e-6},  # survival too high
        {"silence_days": year, "survival": 1e-6, "p_active": 0.00101},  # maybe active
    ]
    ts = detect.technical_signals(*technical_inputs([base | r for r in rows]))
    assert ts.full.tolist() == [True, False, False, False]
    # Past P90 but not stopped: a deterioration instead.
    assert ts.deteriorating.tolist() == [False, True, True, True]


def test_suspicious_pause_needs_silence_past_p75_and_significantly_lengthening_gaps():
    """Lengthening: recent log-gaps longer than earlier ones by log(1.2) = 0.18232 and by at
    least z = 1.2816 (one-sided 10%) standard errors."""
    mid = (P75 + P90) / 2
    base = {"p75": P75, "p90": P90, "silence_days": mid}
    rows = [
        {"trend": 0.19, "trend_se": 0.1},  # inside: 0.19 >= 0.1823 and >= 0.128
        {"trend": 0.18, "trend_se": 0.1},  # under log(1.2)
        {"trend": 0.30, "trend_se": 0.2340},  # 1.2816 x 0.2340 = 0.29989 <= 0.30
        {"trend": 0.30, "trend_se": 0.2342},  # 1.2816 x 0.2342 = 0.30015 > 0.30
        {"trend": 0.5, "trend_se": 0.1, "silence_days": P75 - 0.1},  # not past P75
        {"trend": 0.5, "trend_se": 0.1, "silence_days": P75 + 0.1},  # just past P75
        {"trend": 0.5, "trend_se": 0.1, "silence_days": P90 + 0.1},  # past P90: deterioration
    ]
    ts = detect.technical_signals(*technical_inputs([base | r for r in rows]))
    assert ts.pause.tolist() == [True, False, True, False, False, True, False]
    assert ts.deteriorating.tolist() == [False] * 6 + [True]


def test_suspicious_pause_compares_the_silence_with_the_usual_gaps_p75():
    """Two long recent gaps raise the fitted law's P75; the pause is judged against the P75 of
    the usual gaps before them (``p75_usual``): just past it is a pause, just under it is not,
    wherever the fitted P75 lies."""
    base = {"p75": 40.0, "p90": P90 + 10, "p75_usual": P75, "trend": 0.5, "trend_se": 0.1}
    rows = [base | {"silence_days": P75 + 0.1}, base | {"silence_days": P75 - 0.1}]
    ts = detect.technical_signals(*technical_inputs(rows))
    assert ts.pause.tolist() == [True, False]


def test_a_silence_of_exactly_the_usual_p75_is_no_pause_yet():
    """The pause needs a silence *past* the usual P75: 30 days against a P75 of exactly 30 is
    not one, 30.01 is."""
    base = {"p75": 30.0, "p90": 40.0, "p75_usual": 30.0, "trend": 0.5, "trend_se": 0.1}
    rows = [base | {"silence_days": 30.0}, base | {"silence_days": 30.01}]
    ts = detect.technical_signals(*technical_inputs(rows))
    assert ts.pause.tolist() == [False, True]


def test_technical_edges_exactly_at_p90_and_at_a_trend_of_exactly_the_lengthening():
    """A silence of exactly P90 (36 days) is not past it; a trend of exactly LENGTHENING (with
    a small standard error) is lengthening: a pause."""
    base = {"p75": 30.0, "p90": 36.0, "survival": 0.1}
    rows = [base | {"silence_days": 36.0}, base | {"silence_days": 36.01}]
    assert detect.technical_signals(*technical_inputs(rows)).deteriorating.tolist() == [
        False,
        True,
    ]
    row = base | {"silence_days": 33.0, "trend": rules.LENGTHENING, "trend_se": 0.01}
    assert detect.technical_signals(*technical_inputs([row])).pause.tolist() == [True]


def test_technical_edges_of_the_z_test_and_of_full_churn():
    """A trend of exactly z x its standard error (1.2816 x 0.25) is significant: a pause. Full
    churn after a year of silence takes a survival of exactly 1% (inclusive) and a P(active)
    below TECH_FULL_P_ACTIVE (exactly it is not below)."""
    row = {"p75": 30.0, "p90": 36.0, "silence_days": 33.0}
    row |= {"trend": rules.LENGTHENING_Z * 0.25, "trend_se": 0.25}
    assert detect.technical_signals(*technical_inputs([row])).pause.tolist() == [True]
    year = {"p75": 30.0, "p90": 36.0, "silence_days": 52 * 7.0}
    rows = [
        year | {"survival": 0.01, "p_active": 1e-6},
        year | {"survival": 1e-6, "p_active": rules.TECH_FULL_P_ACTIVE},
    ]
    assert detect.technical_signals(*technical_inputs(rows)).full.tolist() == [True, False]


def test_technical_rows_read_their_own_fit_through_tech_pos():
    """A chunk of three rows, the middle one a commodity pair; the technical fit lists the
    third row's pair first and the first row's second. Only the first row's silence (40 days)
    is past its P90 (36)."""
    tfit = {
        "survival": np.array([0.5, 0.1]),
        "silence_days": np.array([10.0, 40.0]),
        "p75": np.array([30.0, 30.0]),
        "p90": np.array([36.0, 36.0]),
        "p75_usual": np.array([30.0, 30.0]),
        "trend": np.zeros(2),
        "median": np.array([28.0, 28.0]),
        "trend_se": np.full(2, 0.1),
        "p_active": np.array([0.99, 0.99]),
        "size": np.array([4.0, 4.0]),
        "mean_gap": np.array([28.0, 28.0]),
    }
    ch = SimpleNamespace(technical=np.array([True, False, True]), tech_pos=np.array([1, -1, 0]))
    ts = detect.technical_signals(ch, tfit, np.ones(3, bool))
    assert ts.deteriorating.tolist() == [True, False, False]
    assert ts.silence_days.tolist() == [40.0, 0.0, 10.0]


def test_recent_split_hand_example():
    """Six gaps of 28 days then two of 56: trend log 2; the usual law is the six 28-day gaps,
    whose own spread is 0, shrunk toward the family's sigma_f = 0.3 by 3 pseudo-gaps:
    sqrt(3 x 0.09 / (5 + 3)); the trend's error uses the pooled spread within both groups,
    sqrt(3 x 0.09 / (5 + 1 + 3)) x sqrt(1/2 + 1/6)."""
    weeks = np.cumsum([0, 4, 4, 4, 4, 4, 4, 8, 8])
    units = np.zeros((1, 60))
    units[0, weeks] = 1
    gaps = technical.purchase_gaps(units)
    split = technical.recent_split(gaps, np.array([0.3]))
    assert split.trend[0] == pytest.approx(np.log(2.0))
    assert split.usual_mu[0] == pytest.approx(np.log(28.0))
    assert split.usual_sigma[0] == pytest.approx(np.sqrt(3 * 0.09 / 8))
    assert split.trend_se[0] == pytest.approx(np.sqrt(3 * 0.09 / 9) * np.sqrt(1 / 2 + 1 / 6))
    fitted = {
        "mu": np.zeros(1),
        "sigma": np.ones(1),
        "weibull": np.array([False]),
        "scale": 1,
        "k": 1,
    }
    p75 = technical.usual_gap_quantile(0.75, split, fitted)
    assert p75[0] == pytest.approx(sps.lognorm(s=np.sqrt(3 * 0.09 / 8), scale=28.0).ppf(0.75))
    # Fewer than four gaps: no trend, and the fitted law's quantile instead.
    short = technical.recent_split(technical.purchase_gaps(units[:, :13]), np.array([0.3]))
    assert (short.trend[0], short.trend_se[0]) == (0.0, np.inf)


def _split_of(usual_weeks, recent_weeks=(8, 8), sigma_f=0.3):
    """``recent_split`` of one family's pairs: four usual gaps of ``usual_weeks[i]`` weeks each,
    then the ``recent_weeks``."""
    units = np.zeros((len(usual_weeks), 104))
    for i, w in enumerate(usual_weeks):
        units[i, np.cumsum([0, w, w, w, w, *recent_weeks])] = 1
    gaps = technical.purchase_gaps(units)
    n = len(usual_weeks)
    return technical.recent_split(gaps, np.full(n, sigma_f), np.zeros(n, int))


def test_recent_split_pools_the_usual_mean_toward_the_family():
    """Five pairs (POOL_MIN_PAIRS) with four usual gaps of 3, 4, 4, 5, 6 weeks, no spread of
    their own: usual spread s^2 = 3 x 0.09 / (3 + 3) = 0.045; the family's usual means m_i =
    log(7 w_i) have centre c = mean(m) and between-pair variance tau^2 = var(m) - 0.09 / 4
    (var(m) = 0.0548, so tau^2 = 0.0322, above POOL_MIN_TAU^2 = 0.01). Each mean becomes
    (4 m_i / s^2 + c / tau^2) / (4 / s^2 + 1 / tau^2); the trend's error uses its variance
    1 / (4 / s^2 + 1 / tau^2) instead of sigma_w^2 / 4."""
    w = np.array([3, 4, 4, 5, 6])
    split = _split_of(w)
    m = np.log(7.0 * w)
    s2, tau2 = 3 * 0.09 / 6, m.var() - 0.09 / 4
    assert tau2 == pytest.approx(0.03224, abs=1e-5)
    precision = 4 / s2 + 1 / tau2
    assert split.usual_mu == pytest.approx((4 * m / s2 + m.mean() / tau2) / precision)
    assert split.usual_sigma == pytest.approx(np.full(5, np.sqrt(s2)))
    sigma_w2 = 3 * 0.09 / (3 + 1 + 3)
    assert split.trend_se == pytest.approx(np.sqrt(sigma_w2 / 2 + 1 / precision))
    assert split.trend == pytest.approx(np.log(56.0) - split.usual_mu)


def test_recent_split_pools_only_families_with_enough_pairs_and_floors_tau():
    """Four pairs (one under POOL_MIN_PAIRS): each keeps its own usual mean and the error
    sigma_w * sqrt(1/2 + 1/4). Five pairs with the same usual gaps: var(m) = 0, so tau^2 is the
    floor POOL_MIN_TAU^2 = 0.01 (the mean stays log 28, the error shrinks)."""
    four = _split_of([3, 4, 5, 6])
    assert four.usual_mu == pytest.approx(np.log(7.0 * np.array([3, 4, 5, 6])))
    sigma_w = np.sqrt(3 * 0.09 / 7)
    assert four.trend_se == pytest.approx(np.full(4, sigma_w * np.sqrt(1 / 2 + 1 / 4)))
    same = _split_of([4] * 5)
    assert same.usual_mu == pytest.approx(np.full(5, np.log(28.0)))
    precision = 4 / (3 * 0.09 / 6) + 1 / technical.POOL_MIN_TAU**2
    assert technical.POOL_MIN_TAU == 0.1
    assert same.trend_se == pytest.approx(np.full(5, np.sqrt(sigma_w**2 / 2 + 1 / precision)))


# --- end to end: score_pairs raises the two rule-based kinds on built histories -------------

WEEKS = 104


def _batch(rows, technical, campaign=None):
    rows = np.asarray(rows, float)
    n = rows.shape[0]
    return PairBatch(
        units=rows,
        euros=rows * 5.0,
        technical=technical,
        family=technical.astype(int),
        client=np.arange(n),
        campaign=campaign if campaign is not None else np.zeros((2, WEEKS), bool),
        potential=np.full(n, np.nan),
        week_start=np.datetime64("2023-01-02") + np.arange(WEEKS) * np.timedelta64(7, "D"),
        n_families=2,
    )


def _tech_row(gaps_weeks, silence):
    weeks = np.cumsum([0, *gaps_weeks])
    row = np.zeros(WEEKS)
    row[WEEKS - 1 - silence - (weeks[-1] - weeks)] = 4
    return row


def test_score_pairs_raises_a_suspicious_pause_between_p75_and_p90_with_lengthening_gaps():
    """Peers buy every 3-5 weeks; the tested pair bought every 4 weeks, then after 6 and 7
    (log-gap trend ~0.48): 4 silent weeks (28 days) are within its P75, 5 (35 days) are past
    P75 but not P90 (a pause), 6 (42 days) are past P90 (a deterioration)."""
    rng = np.random.default_rng(3)
    pop = [_tech_row(rng.choice([3, 4, 4, 5], 20), int(rng.integers(0, 3))) for _ in range(40)]
    kinds = []
    for silence in (4, 5, 6):
        rows = np.vstack(pop + [_tech_row([4] * 14 + [6, 7], silence)])
        scores = score_pairs(_batch(rows, np.ones(len(rows), bool)))
        p75, p90 = scores.params["p75_gap_days"][-1], scores.params["p90_gap_days"][-1]
        model = sps.lognorm(s=scores.params["sigma"][-1], scale=np.exp(scores.params["mu"][-1]))
        assert (p75, p90) == pytest.approx((model.ppf(0.75), model.ppf(0.9)), rel=1e-6)
        assert 28 < p75 < 35 < p90 < 42
        kinds.append(scores.alert_kind[-1])
    assert kinds == ["", "suspicious_pause", "technical_deterioration"]


def test_score_pairs_raises_a_pause_below_the_fitted_p75_when_past_the_usual_one():
    """Peers buy every 3-5 weeks. The pair bought every 4 weeks, then after 9 and 9: those two
    gaps lift its fitted P75 above 35 days, but 5 silent weeks (35 days) are past the P75 of
    its usual 4-week gaps: a pause (the rule before judged it against the fitted P75)."""
    rng = np.random.default_rng(3)
    pop = [_tech_row(rng.choice([3, 4, 4, 5], 20), int(rng.integers(0, 3))) for _ in range(40)]
    rows = np.vstack(pop + [_tech_row([4] * 14 + [9, 9], 5)])
    scores = score_pairs(_batch(rows, np.ones(len(rows), bool)))
    assert scores.params["p75_gap_days"][-1] > 35.0
    assert scores.alert_kind[-1] == "suspicious_pause"


def test_score_pairs_raises_campaign_without_response_only_when_the_client_ignores_it():
    """Sixty peers buy ~10 units a week and ~30 in the four campaign weeks (lift ~3). A client
    buying its usual 10 in them (lift ~1) did not respond; one buying 30 did; one buying 24
    (lift ~2.4, below the family's but nearer it than its own normal) responded partly: not
    called a non-response. One buying 16 (lift ~1.6, nearer its normal) is called."""
    rng = np.random.default_rng(0)
    camp = [WEEKS - 4, WEEKS - 3, WEEKS - 2, WEEKS - 1]
    pop = rng.poisson(10, (60, WEEKS)).astype(float)
    pop[:, camp] = rng.poisson(30, (60, 4))
    campaign = np.zeros((2, WEEKS), bool)
    campaign[0, camp] = True
    ignored = rng.poisson(10, WEEKS).astype(float)
    ignored[camp] = 10
    answered = ignored.copy()
    answered[camp] = 30
    partly = ignored.copy()
    partly[camp] = 24
    weakly = ignored.copy()
    weakly[camp] = 16
    rows = np.vstack([pop, ignored, answered, partly, weakly])
    scores = score_pairs(_batch(rows, np.zeros(len(rows), bool), campaign))
    assert scores.alert_kind[-4] == "campaign_no_response"
    ev = scores.evidence[-4]
    assert ev["family_lift"] > 2.5 and ev["client_lift"] < 1.0
    assert scores.alert_kind[-3] == ""
    assert scores.alert_kind[-2] == ""
    assert scores.alert_kind[-1] == "campaign_no_response"
    # The rest of the family responded: no false alarms among the peers.
    assert (scores.alert_kind[:60] == "campaign_no_response").sum() <= 1


def test_campaign_without_response_needs_a_family_lift_of_at_least_1_2():
    """The same client, with peers whose campaign weeks are not above normal: nothing to miss."""
    rng = np.random.default_rng(0)
    camp = [WEEKS - 4, WEEKS - 3, WEEKS - 2, WEEKS - 1]
    pop = rng.poisson(10, (60, WEEKS)).astype(float)
    campaign = np.zeros((2, WEEKS), bool)
    campaign[0, camp] = True
    ignored = rng.poisson(10, WEEKS).astype(float)
    ignored[camp] = 10
    scores = score_pairs(_batch(np.vstack([pop, ignored]), np.zeros(61, bool), campaign))
    assert scores.alert_kind[-1] != "campaign_no_response"


# --- Benjamini-Hochberg over a rep's whole queue, several clients per rep --------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("p", "kept"), [(0.019, True), (0.021, False)])
def test_bh_runs_over_the_reps_queue_not_per_client(settings, p, kept):
    """Rep R serves clients X and Y: X has one falling pair (p-value ``p``), Y nine quiet ones
    (p = 0.9). BH at q = 0.2 over R's ten tests keeps X's pair iff p <= 0.2 x 1/10 = 0.02.
    Per client X's single test would pass at any p <= 0.2; per pair, likewise."""
    from crm.models import Alert, Client, User
    from twins import runs

    settings.SCORING_FDR_Q = 0.2
    rep = User.objects.create_user("r", role="rep")
    x = Client.objects.create(code="X", rep=rep)
    y = Client.objects.create(code="Y", rep=rep)
    columns = {
        "client": np.array([x.pk] + [y.pk] * 9),
        "family": np.arange(1, 11),
        "p_value": np.array([p] + [0.9] * 9),
    }
    churn = {"kind": "partial_churn", "p_value": p, "at_stake": 10.0, "pair": True}
    selected = runs.select_alerts([churn | {"client": x.pk, "family": 1}], columns)
    assert (Alert.make_dedup_key(x.pk, 1, "partial_churn") in selected) is kept


def test_bh_on_a_queue_with_a_single_test_is_the_plain_level():
    """One tested pair in a queue: BH keeps it iff p <= q (rank 1 of 1)."""
    from twins.stats.api import fdr_select

    assert fdr_select(np.array([0.19, 0.21, np.nan]), np.array([0, 1, 2]), 0.2).tolist() == [
        True,
        False,
        True,
    ]
    assert fdr_select(np.array([0.05]), np.array([3]), 0.2).tolist() == [True]


@pytest.mark.django_db
def test_two_candidates_for_one_alert_keep_the_larger_euros_at_stake(settings):
    from crm.models import Alert, Client, User
    from twins import runs

    settings.SCORING_FDR_Q = 0.2
    x = Client.objects.create(code="X", rep=User.objects.create_user("r2", role="rep"))
    columns = {"client": np.array([x.pk]), "family": np.array([1]), "p_value": np.array([0.01])}
    base = {"kind": "partial_churn", "p_value": 0.01, "pair": True, "client": x.pk, "family": 1}
    selected = runs.select_alerts([base | {"at_stake": 5.0}, base | {"at_stake": 9.0}], columns)
    assert selected[Alert.make_dedup_key(x.pk, 1, "partial_churn")]["at_stake"] == 9.0


def test_uncaptured_potential_needs_thirteen_weeks_of_history_exactly():
    """13 weeks is a quarter of a year: enough to annualise (x 4); 12 is not."""
    inputs = commodity_inputs(2, potential=5200.0 / 0.2, hist_weeks=[13, 12])
    inputs[1].euros[:, :-13] = 0.0
    cs = detect.commodity_signals(*inputs)
    assert cs.e52 == pytest.approx([5200.0, 5200.0])
    assert cs.uncaptured.tolist() == [True, False]


# --- uncaptured potential: the pair's level and a reliable potential ------------------------


def test_a_last_year_below_the_pairs_own_history_is_no_uncaptured_potential():
    """60 weeks: 8 weeks at 1,000 euros, then 52 at 100. The last 52 weeks (5,200) are 20% of
    a 26,000 potential, but the pair's average year is (8,000 + 5,200) x 52 / 60 = 11,440, 44%
    of it: a dip below its own history, not a small share. The same potential against a pair
    steady at 100 a week is an alert."""
    inputs = commodity_inputs(2, potential=26000.0)
    inputs[1].euros[0, :8] = 1000.0
    cs = detect.commodity_signals(*inputs)
    assert cs.e52 == pytest.approx([5200.0, 5200.0])
    assert cs.level == pytest.approx([11440.0, 5200.0])
    assert cs.level_share == pytest.approx([0.44, 0.2])
    assert cs.uncaptured.tolist() == [False, True]


def test_a_potential_no_higher_than_purchases_is_not_reliable():
    """Steady 100 euros a week: 5,200 a year, in the last 52 weeks and on average. A potential
    of exactly 5,200 (or less) is not reliable; 5,201 is (a 99.98% share, so no alert)."""
    cs = detect.commodity_signals(*commodity_inputs(3, potential=[5200.0, 5201.0, 2600.0]))
    assert cs.reliability.tolist() == [pot.ABOVE_PURCHASES, pot.RELIABLE, pot.ABOVE_PURCHASES]
    assert not cs.uncaptured.any()


def test_buying_more_than_the_potential_must_hold_last_year_and_on_average():
    """e52 5,200 and an average year of 11,440 (a dip, as above): a potential of 6,000 is
    below the average but above the last year, so it is not contradicted (reliable)."""
    inputs = commodity_inputs(2, potential=[6000.0, 5200.0])
    inputs[1].euros[:, :8] = 1000.0
    cs = detect.commodity_signals(*inputs)
    assert cs.reliability.tolist() == [pot.RELIABLE, pot.ABOVE_PURCHASES]


def test_a_potential_unreached_by_the_familys_steady_buyers_is_not_reliable():
    """A pair at 20% of its potential alerts when nine in ten comparable clients reach 25.1% or
    more of theirs, and is "not reliable" when they stay below 24.9%."""
    for reach, code, alert in ((0.251, pot.RELIABLE, True), (0.249, pot.UNREACHED, False)):
        inputs = commodity_inputs(1, potential=26000.0)
        inputs[0].potential_reach = np.array([reach])
        cs = detect.commodity_signals(*inputs)
        assert cs.level_share == pytest.approx([0.2])
        assert cs.reliability.tolist() == [code]
        assert cs.uncaptured.tolist() == [alert]


def test_an_unreached_family_judges_only_pairs_below_a_quarter():
    """In a family whose buyers reach at most 10%, a pair at 24.9% of its potential is "not
    reliable", one at 25.1% is reliable (it raises no alert either: it is above a quarter)."""
    inputs = commodity_inputs(2, potential=[5200.0 / 0.249, 5200.0 / 0.251])
    inputs[0].potential_reach = np.array([0.1])
    cs = detect.commodity_signals(*inputs)
    assert cs.reliability.tolist() == [pot.UNREACHED, pot.RELIABLE]


def test_family_reach_is_the_p90_share_of_ten_or_more_steady_buyers():
    """Shares 1%..10% of ten buyers with 52 weeks of history: P90 (linear) = 9.1%. Nine buyers,
    or a tenth with 51 weeks of history, are too few to judge the family (NaN). Pairs without
    a potential do not count."""
    shares = np.arange(1, 11) / 100.0
    reach = pot.family_reach(shares, np.full(10, 52), np.zeros(10, int), 2)
    assert reach[0] == pytest.approx(0.091)
    assert np.isnan(reach[1])
    hist = np.r_[np.full(9, 52), 51]
    assert np.isnan(pot.family_reach(shares, hist, np.zeros(10, int), 1)[0])
    with_unknown = np.r_[shares[:9], np.nan]
    assert np.isnan(pot.family_reach(with_unknown, np.full(10, 52), np.zeros(10, int), 1)[0])


def test_annual_levels_annualise_the_last_year_and_the_whole_history():
    """104 weeks: 52 at 200 euros, then 52 at 100: e52 = 5,200, the average year 15,600 / 2 =
    7,800. A pair 26 weeks old at 100 a week: both 2,600 x 2 = 5,200."""
    euros = np.zeros((2, 104))
    euros[0, :52], euros[0, 52:] = 200.0, 100.0
    euros[1, -26:] = 100.0
    e52, e_long = pot.annual_levels(euros, np.array([104, 26]))
    assert e52 == pytest.approx([5200.0, 5200.0])
    assert e_long == pytest.approx([7800.0, 5200.0])


def test_score_pairs_marks_a_family_whose_potentials_nobody_reaches():
    """Twelve steady buyers of family 0 with potentials ten times their purchases (a share of
    10%: nobody reaches a quarter) raise no uncaptured potential and are "not reliable"; the
    same buyers in family 1, where the others reach 67%, keep the one pair at 10% as an alert."""
    rng = np.random.default_rng(1)
    n = 12
    units = rng.poisson(10, (2 * n, 104)).astype(float)
    units[:, 0] = 10
    yearly = units[:, -52:].sum(1) * 5.0
    potential = np.r_[10 * yearly[:n], 1.5 * yearly[n:]]
    potential[-1] = 10 * yearly[-1]
    batch = PairBatch(
        units=units,
        euros=units * 5.0,
        technical=np.zeros(2 * n, bool),
        family=np.repeat([0, 1], n),
        client=np.tile(np.arange(n), 2),
        campaign=np.zeros((2, 104), bool),
        potential=potential,
        week_start=np.datetime64("2024-01-01") + 7 * np.arange(104),
    )
    scores = score_pairs(batch)
    code = scores.params["potential_reliability"]
    assert code[:n].tolist() == [pot.UNREACHED] * n
    assert scores.params["potential_family_reach"][0] == pytest.approx(0.1, abs=0.02)
    assert not (scores.alert_kind[:n] == "uncaptured_potential").any()
    assert code[n:].tolist() == [pot.RELIABLE] * n
    assert scores.alert_kind[-1] == "uncaptured_potential"
    assert not (scores.alert_kind[n:-1] == "uncaptured_potential").any()
