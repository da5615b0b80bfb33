"""The twins' mathematics on hand-computed cases and the signal rules on built histories."""

import json

import numpy as np
import pytest
from scipy import stats

from twins.stats import commodity as cm
from twins.stats import dropout, technical
from twins.stats.api import PairBatch, fdr_select, score_pairs
from twins.stats.grid import iso_week_number, weekly_grid

W = 104
LOSS = {"partial_churn", "full_churn", "technical_deterioration"}


def make_batch(test_rows, technical_rows=None, campaign_weeks=(), n_pop=60, rate=10.0, seed=0):
    """``n_pop`` steady Poisson(rate) commodity pairs (family 0) followed by ``test_rows``."""
    rng = np.random.default_rng(seed)
    pop = rng.poisson(rate, (n_pop, W)).astype(float)
    rows = np.vstack([pop, np.asarray(test_rows, float).reshape(-1, W)])
    n = rows.shape[0]
    tech = np.zeros(n, bool)
    fam = np.zeros(n, int)
    if technical_rows is not None:
        t = np.asarray(technical_rows, float).reshape(-1, W)
        rows = np.vstack([rows, t])
        tech = np.concatenate([tech, np.ones(len(t), bool)])
        fam = np.concatenate([fam, np.ones(len(t), int)])
        n = rows.shape[0]
    campaign = np.zeros((fam.max() + 1, W), bool)
    campaign[0, list(campaign_weeks)] = True
    return PairBatch(
        units=rows,
        euros=rows * 5.0,
        technical=tech,
        family=fam,
        client=np.arange(n),
        campaign=campaign,
        potential=np.full(n, np.nan),
        week_start=np.datetime64("2023-01-02") + np.arange(W) * np.timedelta64(7, "D"),
    )


def steady(value=10.0):
    return np.full(W, value)


# --- mathematics -------------------------------------------------------------------------


def test_weighted_min_p_keeps_the_smallest_weighted_p_value():
    # p / w = [0.01 / 0.35, 0.002 / 0.35, 0.5 / 0.15, 0.3 / 0.15] = [0.0286, 0.0057, 3.33, 2.0]
    # and [0.2 / 0.35, 0.9 / 0.35, 0.001 / 0.15, 1 / 0.15] = [0.571, 2.57, 0.0067, 6.67]
    p = [[0.01, 0.002, 0.5, 0.3], [0.2, 0.9, 0.001, 1.0]]
    best, adj = cm.weighted_min_p(p, [0.35, 0.35, 0.15, 0.15])
    assert best.tolist() == [1, 2]
    assert adj == pytest.approx([0.002 / 0.35, 0.001 / 0.15])
    # Weights are rescaled to sum to 1; nothing large comes out above 1.
    best, adj = cm.weighted_min_p([[0.4, 0.9]], [1.0, 1.0])
    assert best.tolist() == [0] and adj == pytest.approx([0.8])
    assert cm.weighted_min_p([[0.7, 0.9]], [1.0, 1.0])[1] == pytest.approx([1.0])


def test_window_weights_share_the_level_among_the_windows_in_use():
    assert cm.window_weights([3, 6, 13, 26]) == pytest.approx([0.25] * 4)
    # A short history tests only the first windows: their weights are rescaled to sum to 1.
    assert cm.window_weights([3, 6]) == pytest.approx([0.5, 0.5])
    assert cm.window_weights([3, 6, 13]) == pytest.approx([1 / 3] * 3)


def test_weighted_windows_keep_the_loss_test_valid_on_noise():
    # Under the null, P(min_j p_j / w_j <= a) <= a: uniform p-values of 4 windows, a = 0.05.
    rng = np.random.default_rng(3)
    u = rng.random((20_000, 4))
    _, adj = cm.weighted_min_p(u, cm.WINDOW_WEIGHTS)
    assert np.mean(adj <= 0.05) <= 0.05 + 0.005


def test_weighted_simes_rewards_windows_that_agree():
    # Even weights: Simes' min_k 4 p_(k) / k. Four windows at 0.02: 0.02 (Bonferroni: 0.08).
    best, adj = cm.weighted_simes([[0.02, 0.02, 0.02, 0.02], [0.01, 0.02, 0.5, 0.9]], [1] * 4)
    assert best.tolist() == [0, 0]
    assert adj == pytest.approx([0.02, min(0.04, 0.04, 0.5 * 4 / 3, 0.9)])
    # Weighted: sorted by p / w = [0.0286, 0.0857, 2.0, 3.33], cumulated weights 0.35, 0.7,
    # 0.85, 1 -> min(0.01 / 0.35, 0.03 / 0.7, 0.3 / 0.85, 0.5 / 1) = 0.01 / 0.35.
    best, adj = cm.weighted_simes([[0.01, 0.03, 0.5, 0.3]], [0.35, 0.35, 0.15, 0.15])
    assert best.tolist() == [0] and adj == pytest.approx([0.01 / 0.35])
    assert cm.weighted_simes([[0.7, 0.9]], [1.0, 1.0])[1] == pytest.approx([0.9])
    # Never above the weighted Bonferroni, and the same window is reported.
    u = np.random.default_rng(5).random((2_000, 4))
    b_best, b_adj = cm.weighted_min_p(u, [0.4, 0.3, 0.2, 0.1])
    s_best, s_adj = cm.weighted_simes(u, [0.4, 0.3, 0.2, 0.1])
    assert (s_best == b_best).all() and (s_adj <= b_adj + 1e-12).all()


def test_weighted_simes_keeps_nested_windows_valid_on_noise():
    # Lower-tail p-values of the sums of the last 3, 6, 13 and 26 of 26 iid normal weeks (the
    # nested windows: positively dependent) and of independent uniforms: at most 5% below 0.05.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((20_000, 26))
    wins = np.array([3, 6, 13, 26])
    sums = np.stack([x[:, -m:].sum(1) / np.sqrt(m) for m in wins], axis=1)
    nested = stats.norm.cdf(sums)
    for p in (nested, rng.random((20_000, 4))):
        _, adj = cm.weighted_simes(p, cm.WINDOW_WEIGHTS)
        assert np.mean(adj <= 0.05) <= 0.05 + 0.005


def test_forgetting_weights_halve_every_half_life():
    assert cm.forgetting_weights(3, half_life=1.0) == pytest.approx([0.25, 0.5, 1.0])
    assert cm.forgetting_weights(4, half_life=1.0, end=3) == pytest.approx([0.25, 0.5, 1, 0])


def test_posterior_adds_weighted_units_and_weeks():
    w = cm.forgetting_weights(3, half_life=1.0)
    y = np.array([4.0, 2.0, 2.0])
    alpha, beta = cm.posterior(w @ y, w.sum(), 2.0, 1.0)
    assert (alpha, beta) == pytest.approx((2 + 1 + 1 + 2, 1 + 1.75))


def test_gamma_poisson_predictive_is_negbin_and_its_quantiles():
    # Gamma(2, 1) rate, one week: NB(r=2, p=1/2). cdf 0.25, 0.5, 0.6875, 0.8125, 0.890625,
    # 0.9375, 0.96484 for 0..6 -> P5 = 0, median = 1, P95 = 6.
    r, p = cm.negbin_moments(2.0, 1.0, 1.0, 1.0, 0.0)
    assert (float(r), float(p)) == pytest.approx((2.0, 0.5))
    assert cm.nb_ppf([0.05, 0.5, 0.9375, 0.95], r, p).tolist() == [0, 1, 5, 6]
    assert cm.nb_cdf(4, r, p) == pytest.approx(0.890625)


def test_nb_quantiles_and_hurdle_band_agree_with_scipy_everywhere():
    # Small and huge means, tiny and extreme quantiles (the far guesses finish by bisection).
    rng = np.random.default_rng(5)
    r = np.exp(rng.uniform(np.log(0.05), np.log(500), 4000))
    mean = np.exp(rng.uniform(np.log(0.01), np.log(5000), 4000))
    p = r / (r + mean)
    q = np.concatenate([rng.uniform(0, 1, 3000), 1 - 10.0 ** -rng.uniform(3, 12, 1000)])
    x, cdf, pmf = cm.nb_ppf(q, r, p, with_cdf=True)
    exact = stats.nbinom.ppf(q, r, p)
    # Equal, but where the cdf at a quantile of ~1e6 is within rounding (1e-15) of q.
    tie = np.abs(stats.nbinom.cdf(np.minimum(x, exact), r, p) - q) < 1e-14
    assert np.array_equal(x[~tie], exact[~tie])
    assert cdf == pytest.approx(stats.nbinom.cdf(x, r, p), rel=1e-9, abs=1e-12)
    assert pmf == pytest.approx(stats.nbinom.pmf(x, r, p), rel=1e-7, abs=1e-300)
    w = rng.uniform(0.05, 1.0, 4000)
    lo, hi, q_lo, q_hi = cm.hurdle_band(r, p, w)
    assert q_lo == pytest.approx(cm.hurdle_cdf(lo - 1, r, p, w), abs=1e-12)
    assert q_hi == pytest.approx(cm.hurdle_cdf(hi, r, p, w), abs=1e-12)
    assert (lo == cm.hurdle_ppf(0.05, r, p, w)).all() and (hi >= lo).all()


def test_weekly_noise_widens_the_predictive():
    r0, p0 = cm.negbin_moments(50.0, 5.0, 1.0, 1.0, 0.0)
    r1, p1 = cm.negbin_moments(50.0, 5.0, 1.0, 1.0, 0.25)
    mean0, mean1 = r0 * (1 - p0) / p0, r1 * (1 - p1) / p1
    assert mean0 == pytest.approx(10) and mean1 == pytest.approx(10)
    # Var = 10 + 100 / 50 (rate) + 0.25 * 50 * 51 / 25 (weekly noise) = 37.5
    assert mean1 / p1 == pytest.approx(37.5)


def test_zero_run_and_beta_binomial_by_hand():
    # Beta(2, 3) order probability: E[(1 - pi)^2] = (3 * 4) / (5 * 6) = 0.4.
    assert cm.p_zero_run(2.0, 3.0, 2) == pytest.approx(0.4)
    # Beta(1, 1) is uniform: Beta-binomial(2) puts 1/3 on each of 0, 1, 2.
    assert cm.betabinom_cdf(np.array([0, 1, 2]), 2, 1.0, 1.0) == pytest.approx([1 / 3, 2 / 3, 1])


def test_hurdle_band_is_nearest_to_ninety_percent_and_labelled_exactly():
    # Order w.p. 1/2; an order is 1 + Geometric (NB r=1, p=1/2) units. F(0..4) = 0.5, 0.75,
    # 0.875, 0.9375, 0.96875. P5 = 0; F(2) = 0.875 is nearer 0.9 than F(3) = 0.9375.
    assert cm.hurdle_cdf(np.arange(5), 1.0, 0.5, 0.5) == pytest.approx(
        [0.5, 0.75, 0.875, 0.9375, 0.96875]
    )
    lo, hi, q_lo, q_hi = cm.hurdle_band(1.0, 0.5, 0.5)
    assert (float(lo), float(hi), float(q_lo), float(q_hi)) == pytest.approx((0, 2, 0, 0.875))


def test_lognormal_survival_and_quantiles():
    model = {
        "mu": np.array([np.log(30.0)]),
        "sigma": np.array([0.5]),
        "weibull": np.array([False]),
        "k": np.array([2.0]),
        "scale": np.array([10.0]),
    }
    assert technical.survival(30.0, model) == pytest.approx(0.5)
    # ln(t) one sigma above mu: S = 1 - Phi(1) = 0.158655
    assert technical.survival(30.0 * np.exp(0.5), model) == pytest.approx(0.158655, abs=1e-6)
    assert technical.gap_quantile(0.9, model) == pytest.approx(30 * np.exp(0.5 * 1.281552))


def test_weibull_fallback_quantile():
    model = {
        "mu": np.zeros(1),
        "sigma": np.ones(1),
        "weibull": np.array([True]),
        "k": np.array([2.0]),
        "scale": np.array([10.0]),
    }
    assert technical.gap_quantile(0.5, model) == pytest.approx(10 * np.sqrt(np.log(2)))
    assert technical.survival(10.0, model) == pytest.approx(np.exp(-1))


def test_p_active_by_hand():
    # q = 0.9 * 0.5 = 0.45; P(active) = 0.45 / (0.45 + 0.1 * 0.55 / 0.55) = 0.8182
    assert dropout.p_active_weekly(0.5, 1, hazard=0.1) == pytest.approx(0.45 / 0.55)
    frequent = dropout.p_active_weekly(np.array([0.95, 0.2]), 4)
    assert frequent[0] < 0.05 < 0.9 < frequent[1]


def test_weekly_grid_nets_returns_and_drops_incomplete_week():
    dates = np.array(
        ["2024-12-31", "2025-01-05", "2024-12-23", "2025-01-06", "2024-12-22"],
        dtype="datetime64[D]",
    )
    units, euros, weeks = weekly_grid(
        [0, 0, 1, 1, 1], dates, [5, -2, 1, 9, 9], [50, -20, 10, 90, 90], "2025-01-08", 2
    )
    assert weeks.astype(str).tolist() == ["2024-12-23", "2024-12-30"]
    assert units.tolist() == [[0, 3], [1, 0]]
    assert euros.tolist() == [[0, 30], [10, 0]]
    assert iso_week_number(weeks).tolist() == [52, 1]


def test_fdr_select_by_hand():
    p = np.array([0.01, 0.04, 0.03, 0.2, np.nan, 0.01])
    g = np.array([0, 0, 0, 0, 0, 1])
    # Group 0: 0.01 <= .025, 0.03 <= .05, 0.04 <= .075, 0.2 > .1; NaN passes; group 1 alone.
    assert fdr_select(p, g, 0.1).tolist() == [True, True, True, False, True, True]


# --- signal rules ------------------------------------------------------------------------


def score_last(test_rows, **kw):
    batch = make_batch(test_rows, **kw)
    return score_pairs(batch), batch.units.shape[0] - 1


def test_stable_pair_raises_nothing():
    scores, i = score_last(steady())
    assert scores.alert_kind[i] == ""
    assert scores.mature[i]
    assert scores.band_low[i] <= 10 <= scores.band_high[i]
    assert scores.p_active[i] > 0.99


def test_seventy_percent_drop_raises_partial_churn_with_evidence():
    y = steady()
    y[-6:] = 3
    scores, i = score_last(y)
    assert scores.alert_kind[i] == "partial_churn"
    ev = scores.evidence[i]
    json.dumps(ev)
    for key in (
        "kind",
        "family_kind",
        "maturity_weeks",
        "magnitude",
        "expected_units_per_week",
        "recovery_threshold_units_per_week",
        "euros_at_stake",
        "probability",
        "p_value",
        "recent_weeks",
    ):
        assert key in ev
    assert ev["family_kind"] == "commodity" and ev["maturity_weeks"] == W
    assert 0.6 < ev["magnitude"] <= 0.75
    assert len(ev["recent_weeks"]) == 26 and ev["recent_weeks"][-1]["out_of_band"]
    assert ev["expected_units_per_week"] == pytest.approx(10, rel=0.1)
    assert 3 < ev["recovery_threshold_units_per_week"] < 10
    assert scores.at_stake[i] > 0


def test_silent_pair_raises_full_churn():
    y = steady()
    y[-5:] = 0
    scores, i = score_last(y)
    assert scores.alert_kind[i] == "full_churn"
    assert scores.p_active[i] < 0.05
    assert scores.forecast_units[i] < 0.05 * 8 * 10


def test_campaign_weeks_are_no_evidence_of_loss():
    y = steady()
    y[-2:] = 0
    control, i = score_last(y)
    assert control.alert_kind[i] in LOSS
    scores, i = score_last(y, campaign_weeks=(W - 2, W - 1))
    assert scores.alert_kind[i] not in LOSS


def test_immature_pair_gets_no_loss_alert():
    y = np.zeros(W)
    y[-10:-4] = 10  # six weeks of buying, then four silent weeks
    scores, i = score_last(y)
    assert not scores.mature[i]
    assert scores.alert_kind[i] not in LOSS


def test_technical_silence_with_lengthening_gaps():
    def tech_row(gaps_weeks, silence):
        weeks = np.cumsum([0, *gaps_weeks])
        row = np.zeros(W)
        row[W - 1 - silence - (weeks[-1] - weeks)] = 4
        return row

    rng = np.random.default_rng(3)
    pop = [tech_row(rng.choice([3, 4, 4, 5], 20), int(rng.integers(0, 3))) for _ in range(40)]
    regular = tech_row([4] * 20, 1)
    worse = tech_row([4] * 16 + [6, 7], 7)
    batch = make_batch(np.empty((0, W)), technical_rows=np.vstack(pop + [regular, worse]))
    scores = score_pairs(batch)
    assert scores.alert_kind[-2] == ""
    assert scores.alert_kind[-1] == "technical_deterioration"
    ev = scores.evidence[-1]
    json.dumps(ev)
    assert ev["gaps_days"][-2:] == [42, 49] and ev["current_silence_days"] == 49
    assert ev["p75_gap_days"] < ev["p90_gap_days"] < 49
    assert ev["last_purchase"] == str(batch.week_start[W - 8])


def test_long_technical_silence_is_deterioration_until_a_year_has_passed():
    def tech_row(n_gaps, silence):
        row = np.zeros(W)
        row[W - 1 - silence - 4 * np.arange(n_gaps + 1)] = 4
        return row

    rng = np.random.default_rng(3)
    pop = [tech_row(20, int(rng.integers(0, 3))) for _ in range(40)]
    batch = make_batch(
        np.empty((0, W)), technical_rows=np.vstack(pop + [tech_row(20, 16), tech_row(10, 60)])
    )
    scores = score_pairs(batch)
    # Four times the usual gap, steady gaps before: a deterioration with a tiny tail p-value.
    assert scores.alert_kind[-2] == "technical_deterioration"
    assert scores.p_value[-2] < 1e-3
    # Over a year without a purchase, far beyond its rhythm: stopped buying.
    assert scores.alert_kind[-1] == "full_churn"
    assert scores.p_active[-1] < 0.001


def lumpy(every=4, size=40.0):
    """An order of ``size`` units every ``every`` weeks."""
    y = np.zeros(W)
    y[::every] = size
    return y


def test_a_lumpy_buyer_quiet_for_six_weeks_is_not_called_churned():
    y = lumpy()
    y[-7:] = 0  # seven empty weeks (one order missed): (3/4)^7 = 13% by chance
    batch = make_batch(np.vstack([lumpy(), y]))
    scores = score_pairs(batch)
    assert scores.alert_kind[-1] == ""
    # q = 0.995 * 0.75; P(active) = q^7 / (q^7 + 0.005 (1 - q^7) / (1 - q)) = 0.88
    assert scores.p_active[-1] == pytest.approx(0.88, abs=0.02)
    assert scores.params["p_order"][-1] == pytest.approx(0.25, abs=0.03)
    y[-30:] = 0  # thirty weeks is not chance any more
    scores = score_pairs(make_batch(np.vstack([lumpy(), y])))
    assert scores.alert_kind[-1] == "full_churn"
    assert scores.p_active[-1] < 0.2


def test_orders_thinning_out_raise_partial_churn():
    y = steady()
    y[-12::2] = 0  # the same order size, but only every other week for 12 weeks
    scores, i = score_last(y)
    assert scores.alert_kind[i] == "partial_churn"
    assert scores.evidence[i]["magnitude"] == pytest.approx(0.5, abs=0.1)


def test_stated_potential_of_a_family_never_bought_is_a_cross_sell():
    batch = make_batch(np.vstack([steady(), np.zeros(W)]))
    batch.client[-1] = batch.client[-2]
    batch.family[-1] = 1
    batch.campaign = np.zeros((2, W), bool)
    batch.potential[-1] = 5200.0
    scores = score_pairs(batch)
    found = [e for e in scores.extra if e["kind"] == "cross_sell"]
    assert [(e["client"], e["family"]) for e in found] == [(int(batch.client[-1]), 1)]
    assert found[0]["evidence"]["potential_euros"] == 5200.0
    assert scores.alert_kind[-1] == ""


def test_bh_keeps_a_pure_noise_queue_of_300_pairs_quiet():
    batch = make_batch(np.empty((0, W)), n_pop=300, seed=7)
    scores = score_pairs(batch)
    raw = int((scores.p_value < 0.05).sum())
    kept = fdr_select(scores.p_value, np.zeros(300, int), 0.1)
    alerts = int((kept & np.isin(scores.alert_kind, list(LOSS))).sum())
    # The loss p-values are valid (Bonferroni over windows and tests): at most ~5% below 0.05
    # on pure noise, and BH leaves at most one alert in the queue.
    assert raw <= 25
    assert alerts <= 1


def test_uncaptured_potential_only_against_a_reliable_potential():
    batch = make_batch(np.vstack([steady(), steady()]))
    yearly = 10 * 52 * 5.0  # euros bought in the last 52 weeks
    batch.potential[-2:] = [5 * yearly, 0.8 * yearly]  # the second is below actual purchases
    scores = score_pairs(batch)
    assert scores.alert_kind[-2] == "uncaptured_potential"
    ev = scores.evidence[-2]
    assert ev["share_of_wallet"] == pytest.approx(1 / 5, abs=0.01)
    assert scores.at_stake[-2] == pytest.approx(4 * yearly * 8 / 52, rel=0.01)
    assert scores.alert_kind[-1] == ""


def test_client_level_cross_family_decline_and_cross_sell():
    rng = np.random.default_rng(5)
    n_clients = 60
    rows = rng.poisson(10, (3 * n_clients, W)).astype(float)
    fam = np.tile([0, 1, 2], n_clients)
    cli = np.repeat(np.arange(n_clients), 3)
    rows[(cli >= 30) & (fam > 0)] = 0  # half the clients buy family 0 only
    rows[(cli == 0)[:, None] & (np.arange(W) >= W - 6)[None, :]] = 2  # client 0: all fall
    rows[(cli == 1) & (fam == 2)] = 0  # client 1 never bought family 2, unlike its peers
    batch = PairBatch(
        units=rows,
        euros=rows,
        technical=np.zeros(len(rows), bool),
        family=fam,
        client=cli,
        campaign=np.zeros((3, W), bool),
        potential=np.full(len(rows), np.nan),
        week_start=np.datetime64("2023-01-02") + np.arange(W) * np.timedelta64(7, "D"),
    )
    scores = score_pairs(batch)
    extra = {(e["client"], e["family"], e["kind"]) for e in scores.extra}
    assert (0, -1, "cross_family_decline") in extra
    assert (1, 2, "cross_sell") in extra
    assert not any(e["client"] > 1 for e in scores.extra)
    for e in scores.extra:
        json.dumps(e)
        assert {"magnitude", "euros_at_stake", "maturity_weeks"} <= set(e["evidence"])


def test_planted_truth_is_found_and_bands_are_calibrated():
    from bench.twins import quality

    # Precision and recall, pooled over seeds: tests/twins/test_quality_seeds.py.
    _, calib = quality(3000, seed=1)
    # Weekly buyers who stop are all caught within 6 weeks, as the oracles would.
    assert calib["recall_by_order_every"][("full_churn", 1)] == 1.0
    for oracle in calib["oracles"].values():
        assert oracle["full_churn"]["recall_by_order_every"][1] == 1.0
    assert calib["partial_recall_by_drop"]["70%-80%"] > calib["partial_recall_by_drop"]["40%-50%"]
    # Endpoints are chosen so the band's computed coverage is nearest 90% on integer units.
    assert abs(calib["coverage_nominal"] - 0.9) < 0.01
    assert abs(calib["coverage_randomised"] - 0.9) < 0.02
    assert abs(calib["coverage"] - calib["coverage_nominal"]) < 0.02
