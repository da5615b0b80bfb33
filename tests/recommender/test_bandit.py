"""The pure bandit: backoff posteriors, Thompson sampling, propensities, off-policy estimates."""

import numpy as np
import pytest

from bench import bandit_sim as simulation
from recommender import bandit


def test_backoff_params_hand_computed():
    # Action 0: context 0 saw 3 successes / 1 failure, context 1 saw 1 / 5.
    succ = np.array([[3.0], [1.0]])
    fail = np.array([[1.0], [5.0]])
    pooled_a, pooled_b = bandit.pooled_params(succ, fail, 1.0, 1.0)
    assert (pooled_a[0], pooled_b[0]) == (5.0, 7.0)
    alpha, beta = bandit.backoff_params(succ, fail, pooled_a, pooled_b, strength=4.0)
    # Context 0 borrows the pooled posterior without its own evidence, Beta(2, 6), shrunk to
    # 4 pseudo-observations, Beta(1, 3), then adds its own 3 / 1.
    assert alpha[0, 0] == pytest.approx(4.0) and beta[0, 0] == pytest.approx(4.0)
    # Context 1: Beta(4, 2) shrunk to Beta(8/3, 4/3), plus 1 / 5.
    assert alpha[1, 0] == pytest.approx(11 / 3) and beta[1, 0] == pytest.approx(19 / 3)


def test_empirical_strength_hand_computed():
    # Action 0: 3/10 and 7/10 successes. N = 20, p = 0.5, spread S = 0.9 + 4.9 - 5 = 0.8,
    # binomial noise (k - 1) p (1 - p) = 0.25, N - sum n^2 / N = 10, so tau2 = 0.055 and
    # kappa = 0.25 / 0.055 - 1 = 39 / 11. Action 1: 4/10 and 6/10 vary less than binomial noise
    # alone would, so the contexts look alike: the cap. Action 2: one context only, the fallback.
    succ = np.array([[3.0, 4.0, 5.0], [7.0, 6.0, 0.0]])
    fail = np.array([[7.0, 6.0, 5.0], [3.0, 4.0, 0.0]])
    kappa = bandit.empirical_strength(succ, fail, fallback=10.0, cap=50.0)
    np.testing.assert_allclose(kappa, [39 / 11, 50.0, 10.0])


def test_empirical_strength_recovers_the_spread_of_rates():
    # 400 contexts whose rates are Beta(2, 8) draws (kappa = 10), 200 trials each.
    rng = np.random.default_rng(3)
    rates = rng.beta(2.0, 8.0, size=(400, 1))
    succ = rng.binomial(200, rates).astype(float)
    kappa = bandit.empirical_strength(succ, 200 - succ, fallback=1.0)
    assert 8.0 < kappa[0] < 12.5


def test_random_effects_mean_hand_computed():
    # One action: 2/10, 6/10 and 52/80 successes; pooled p = 0.6, p (1 - p) = 0.24. With
    # strength 3, tau2 = 0.24 / 4 = 0.06; weights 1 / (0.06 + 0.24 / n): 1 / 0.084 for the two
    # small contexts, 1 / 0.063 for the busy one, i.e. 3 : 3 : 4.
    succ = np.array([[2.0], [6.0], [52.0]])
    fail = np.array([[8.0], [4.0], [28.0]])
    mean = bandit.random_effects_mean(succ, fail, np.array([3.0]))
    # Context 1 borrows (0.2 x 3 + 0.65 x 4) / 7 = 3.2 / 7, where pooling all trials of the
    # others would give 54 / 90 = 0.6: the busy context counts like one context, not 80 trials.
    np.testing.assert_allclose(mean[:, 0], [4.4 / 7, 3.2 / 7, 0.4])
    pooled = bandit.pooled_params(succ, fail, 1.0, 1.0)
    alpha, beta = bandit.backoff_params(succ, fail, *pooled, np.array([3.0]), mean=mean)
    # Context 1: 3 pseudo-observations at mean 3.2 / 7, plus its own 6 / 4.
    assert alpha[1, 0] == pytest.approx(3 * 3.2 / 7 + 6)
    assert beta[1, 0] == pytest.approx(3 * 3.8 / 7 + 4)


def test_hierarchical_params_before_two_contexts_have_evidence():
    # Only context 0 has evidence (3 / 1): the strength is the fallback, 4. Context 1 borrows
    # context 0's rate 0.75 with min(4, 2 + 4 pooled pseudo-observations) = 4: Beta(3, 1).
    # Context 0 has no other context to borrow from: the pooled prior Beta(1, 1), plus 3 / 1.
    succ, fail = np.array([[3.0], [0.0]]), np.array([[1.0], [0.0]])
    alpha, beta = bandit.hierarchical_params(succ, fail, 1.0, 1.0, fallback_strength=4.0)
    np.testing.assert_allclose(alpha[:, 0], [4.0, 3.0])
    np.testing.assert_allclose(beta[:, 0], [2.0, 1.0])


def test_explicit_prior_replaces_the_borrowed_one():
    succ, fail = np.array([[3.0], [1.0]]), np.array([[1.0], [5.0]])
    pooled = bandit.pooled_params(succ, fail, 1.0, 1.0)
    prior_a = np.array([[np.nan], [2.0]])
    prior_b = np.array([[np.nan], [2.0]])
    alpha, beta = bandit.backoff_params(succ, fail, *pooled, 4.0, prior_a, prior_b)
    assert (alpha[1, 0], beta[1, 0]) == (3.0, 7.0)
    assert alpha[0, 0] == pytest.approx(4.0)


def test_a_context_holding_all_the_evidence_borrows_only_the_prior():
    """Jeffreys prior Beta(0.5, 0.5); context 0 saw 3 / 1, context 1 nothing. Context 0's
    pooled posterior without its own evidence is the prior, 1 pseudo-observation (under the
    strength 4): Beta(0.5 + 3, 0.5 + 1). Context 1 borrows Beta(3.5, 1.5) shrunk to 4: (2.8,
    1.2)."""
    succ, fail = np.array([[3.0], [0.0]]), np.array([[1.0], [0.0]])
    pooled = bandit.pooled_params(succ, fail, 0.5, 0.5)
    alpha, beta = bandit.backoff_params(succ, fail, *pooled, strength=4.0)
    np.testing.assert_allclose(alpha[:, 0], [3.5, 2.8])
    np.testing.assert_allclose(beta[:, 0], [1.5, 1.2])


def test_a_borrowed_mean_of_zero_or_one_is_kept_inside_the_unit_interval():
    """A context without evidence borrowing a mean of exactly 1 (or 0) with strength 3 gets
    Beta(3 (1 - 1e-6), 3e-6) (or its mirror): a proper Beta on both sides."""
    zeros = np.zeros((2, 1))
    mean = np.array([[1.0], [0.0]])
    alpha, beta = bandit.backoff_params(zeros, zeros, 5.0, 5.0, np.array([3.0]), mean=mean)
    assert alpha[:, 0] == pytest.approx([3 * (1 - 1e-6), 3e-6], rel=1e-9)
    assert beta[:, 0] == pytest.approx([3e-6, 3 * (1 - 1e-6)], rel=1e-9)


def test_cold_start_is_the_prior():
    zeros = np.zeros((3, 2))
    pooled = bandit.pooled_params(zeros, zeros, np.array([2.0, 1.0]), np.array([8.0, 1.0]))
    alpha, beta = bandit.backoff_params(zeros, zeros, *pooled, strength=50.0)
    np.testing.assert_allclose(alpha, [[2, 1]] * 3)
    np.testing.assert_allclose(beta, [[8, 1]] * 3)


def test_propensities_sum_to_one_and_skip_ineligible_actions():
    rng = np.random.default_rng(0)
    alpha = rng.uniform(1, 20, size=(50, 5))
    beta = rng.uniform(1, 20, size=(50, 5))
    eligible = rng.random((50, 5)) < 0.6
    eligible[0] = False
    eligible[1] = [False, False, True, False, False]
    chosen, props = bandit.thompson_sample(alpha, beta, eligible, rng, n_samples=300)
    assert chosen[0] == -1 and props[0].sum() == 0
    assert chosen[1] == 2 and props[1, 2] == 1.0
    rows = eligible.any(axis=1)
    np.testing.assert_allclose(props[rows].sum(axis=1), 1.0)
    assert (props[~eligible] == 0).all()
    assert eligible[rows.nonzero()[0], chosen[rows]].all()
    assert (props[rows.nonzero()[0], chosen[rows]] >= 1 / 300).all()


def test_propensity_matches_the_exact_thompson_probability():
    # X ~ Beta(2, 1) beats Y ~ Beta(1, 2) with probability 5/6.
    _, props = bandit.thompson_sample(
        np.array([[2.0, 1.0]]),
        np.array([[1.0, 2.0]]),
        np.ones((1, 2), bool),
        np.random.default_rng(1),
        n_samples=20_000,
    )
    assert props[0, 0] == pytest.approx(5 / 6, abs=0.01)


def test_cold_start_optimistic_sampling_is_uniform():
    # Beta(1, 1) arms: half the draws are clamped to the mean 0.5; ties must not favour
    # the first action.
    ones = np.ones((1, 3))
    props = bandit.policy_probabilities(
        ones, ones, ones.astype(bool), np.random.default_rng(6), 30_000, optimistic=True
    )
    np.testing.assert_allclose(props[0], 1 / 3, atol=0.015)


def test_decisions_sharing_a_context_get_independent_draws():
    rows = np.zeros(4000, dtype=int)
    chosen, props = bandit.thompson_sample(
        np.ones((1, 2)),
        np.ones((1, 2)),
        np.ones((1, 2), bool),
        np.random.default_rng(2),
        n_samples=100,
        rows=rows,
    )
    assert 0.45 < chosen.mean() < 0.55
    assert props.shape == (4000, 2)
    np.testing.assert_allclose(props.sum(axis=1), 1.0)


def test_optimistic_sampling_tries_a_probably_worse_arm_less():
    alpha, beta = np.array([[30.0, 2.0]]), np.array([[70.0, 4.0]])
    rng = np.random.default_rng(3)
    plain = bandit.policy_probabilities(alpha, beta, np.ones((1, 2), bool), rng, 20_000)
    optimistic = bandit.policy_probabilities(
        alpha, beta, np.ones((1, 2), bool), rng, 20_000, optimistic=True
    )
    # Arm 1 (mean 1/3) is about as good as arm 0 (mean 0.3) but far less certain.
    assert optimistic[0, 1] > plain[0, 1]
    np.testing.assert_allclose(optimistic.sum(axis=1), 1.0)


def test_off_policy_estimates_hand_computed():
    # Uniform logging over two actions; action 0 always pays, action 1 never does.
    logged = np.array([0, 1, 0, 1])
    rewards = np.array([1.0, 0.0, 1.0, 0.0])
    propensity = np.full(4, 0.5)
    target = np.tile([1.0, 0.0], (4, 1))  # always action 0
    q_hat = np.full((4, 2), 0.5)
    est = bandit.off_policy_estimates(rewards, logged, propensity, target, q_hat)
    assert est["IPS"][0] == pytest.approx(1.0)
    assert est["SNIPS"][0] == pytest.approx(1.0)
    # DR terms: 0.5 + 2 * (1 - 0.5) = 1.5 for action 0, 0.5 + 0 = 0.5 for action 1.
    assert est["DR"][0] == pytest.approx(1.0)
    low, high = est["DR"][1:]
    assert low < 1.0 < high


def test_most_common_policy_falls_back_to_an_eligible_action():
    eligible = np.array([[True, True, True], [False, True, True]])
    probs = bandit.most_common_policy(np.array([0, 0, 0, 2, 2]), eligible)
    np.testing.assert_array_equal(probs, [[1, 0, 0], [0, 0, 1]])


def test_backoff_thompson_learns_in_a_simulated_world():
    rng = np.random.default_rng(4)
    eligible = np.ones((12, 4), dtype=bool)
    world = simulation.make_world(eligible, rng)
    ours = simulation.simulate(world, simulation.BackoffThompson(eligible, n_samples=50), 6000, rng)
    uniform = simulation.simulate(world, simulation.UniformRandom(eligible), 6000, rng)
    assert ours.regret[-1] < 0.5 * uniform.regret[-1]
    np.testing.assert_array_less(0, ours.propensities)


def test_groups_drawn_in_several_batches_keep_their_own_posteriors(monkeypatch):
    """A draw budget of two groups per batch (k = 10 draws x 2 arms x 2 groups): groups 0, 2,
    3, 4, 5 and 6 have decisions (group 1 none, group 3 nothing eligible), in shuffled order,
    so the batches are (0, 2), (3, 4), (5, 6). Each group has one arm all but sure to win
    (Beta(10^4, 1) against Beta(1, 10^4): it loses with probability about 10^-8000), not the
    same arm in every batch: every decision takes its group's arm with propensity 1, whatever
    batch its group falls in; group 3's decision gets -1 and zeros."""
    monkeypatch.setattr(bandit, "_DRAW_BUDGET", 40)
    g = 7
    sure = np.array([1, 0, 0, 1, 1, 1, 0])
    alpha = np.ones((g, 2))
    beta = np.ones((g, 2))
    alpha[np.arange(g), sure] = 1e4
    beta[np.arange(g), 1 - sure] = 1e4
    eligible = np.ones((g, 2), bool)
    eligible[3] = False
    rows = np.random.default_rng(5).permutation([0, 0, 0, 2, 3, 4, 4, 5, 6, 6, 6, 6])
    rng = np.random.default_rng(0)
    chosen, props = bandit.thompson_sample(alpha, beta, eligible, rng, 10, rows=rows)
    ok = rows != 3
    assert chosen[ok].tolist() == sure[rows[ok]].tolist()
    assert props[ok].tolist() == np.eye(2)[sure[rows[ok]]].tolist()
    assert chosen[~ok].tolist() == [-1] and props[~ok].tolist() == [[0.0, 0.0]]


def test_a_group_with_more_decisions_than_samples_draws_one_per_decision():
    """Twelve decisions of one group with n_samples = 5: k = 12 draws, one per decision, so the
    propensities are multiples of 1/12 and match the chosen actions' shares exactly."""
    ones = np.ones((1, 3))
    chosen, props = bandit.thompson_sample(
        ones, ones, ones.astype(bool), np.random.default_rng(7), 5, rows=np.zeros(12, int)
    )
    shares = np.bincount(chosen, minlength=3) / 12
    assert props == pytest.approx(np.tile(shares, (12, 1)))


def test_an_eligibility_mask_of_zeros_and_ones_is_a_boolean_mask():
    """Eligibility given as 0/1 integers: each row's only eligible arm is taken (propensity
    1), although the other arm's posterior is all but sure to beat it."""
    alpha = np.array([[1.0, 1e4], [1e4, 1.0]])
    beta = np.array([[1e4, 1.0], [1.0, 1e4]])
    eligible = np.array([[1, 0], [0, 1]])
    chosen, props = bandit.thompson_sample(alpha, beta, eligible, np.random.default_rng(0), 50)
    assert chosen.tolist() == [0, 1]
    assert props.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_no_decisions_give_empty_results():
    ones = np.ones((2, 3))
    chosen, props = bandit.thompson_sample(
        ones, ones, ones.astype(bool), np.random.default_rng(0), 10, rows=np.array([], int)
    )
    assert chosen.shape == (0,) and props.shape == (0, 3)
    # Nor does a request without any context.
    none = np.ones((0, 3))
    chosen, props = bandit.thompson_sample(
        none, none, none.astype(bool), np.random.default_rng(0), 10
    )
    assert chosen.shape == (0,) and props.shape == (0, 3)
