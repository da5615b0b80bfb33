"""Off-policy estimators (``recommender.bandit.off_policy_estimates``) against their formulas.

The hand example is built so that IPS, self-normalised IPS and doubly robust all differ: an
estimator replaced by another (e.g. SNIPS or DR returning plain IPS) fails it.
"""

import numpy as np
import pytest

from recommender.bandit import most_common_policy, off_policy_estimates, uniform_policy

# Three logged decisions over two actions.
REWARDS = np.array([1.0, 0.0, 1.0])
LOGGED = np.array([0, 1, 0])
PROPENSITY = np.array([0.5, 0.25, 0.8])
TARGET = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]])
Q_HAT = np.array([[0.6, 0.3], [0.4, 0.2], [0.7, 0.5]])


def test_ips_snips_and_dr_differ_and_match_their_formulas_by_hand():
    """Weights w = pi(a|x) / p = (0.9/0.5, 0.5/0.25, 0.2/0.8) = (1.8, 2.0, 0.25).

    IPS   = mean(w r)              = (1.8 + 0 + 0.25) / 3            = 0.683333
    SNIPS = sum(w r) / sum(w)      = 2.05 / 4.05                     = 0.506173
    DR    = mean(sum_a pi q + w (r - q[a_logged]))
          = (0.57 + 1.8*0.4, 0.30 + 2.0*(-0.2), 0.54 + 0.25*0.3) / 3
          = (1.29 - 0.10 + 0.615) / 3                                = 0.601667
    IPS CI: sd(1.8, 0, 0.25; ddof 1) = 0.975107, se = 0.562978, half-width 1.96 se = 1.103437.
    SNIPS CI (delta method): sqrt(sum w^2 (r - SNIPS)^2) / sum w = 1.352856 / 4.05 = 0.334039.
    """
    est = off_policy_estimates(REWARDS, LOGGED, PROPENSITY, TARGET, Q_HAT)
    ips, snips, dr = est["IPS"], est["SNIPS"], est["DR"]
    assert ips[0] == pytest.approx(0.683333, abs=1e-6)
    assert snips[0] == pytest.approx(0.506173, abs=1e-6)
    assert dr[0] == pytest.approx(0.601667, abs=1e-6)
    assert ips[1] == pytest.approx(0.683333 - 1.103437, abs=1e-5)
    assert ips[2] == pytest.approx(0.683333 + 1.103437, abs=1e-5)
    assert snips[1] == pytest.approx(0.506173 - 1.96 * 0.334039, abs=1e-5)
    assert snips[2] == pytest.approx(0.506173 + 1.96 * 0.334039, abs=1e-5)
    # DR terms (1.29, -0.10, 0.615): squared deviations sum 0.966317, sd (ddof 1) 0.695096,
    # se 0.401314.
    assert dr[2] - dr[0] == pytest.approx(1.96 * 0.401314, abs=1e-5)


def test_dr_with_a_perfect_reward_model_and_snips_with_constant_rewards():
    """DR's correction term vanishes where q_hat equals the reward: DR = the model's value.
    SNIPS of rewards that are all 1 is exactly 1 whatever the weights (IPS is mean(w))."""
    q = np.array([[1.0, 0.0], [0.3, 0.0], [1.0, 0.6]])  # q[i, logged[i]] == reward[i]
    est = off_policy_estimates(REWARDS, LOGGED, PROPENSITY, TARGET, q)
    assert est["DR"][0] == pytest.approx((0.9 + 0.15 + (0.2 + 0.48)) / 3)
    ones = off_policy_estimates(np.ones(3), LOGGED, PROPENSITY, TARGET, Q_HAT)
    assert ones["SNIPS"][0] == pytest.approx(1.0)
    assert ones["IPS"][0] == pytest.approx(4.05 / 3)


def test_no_logged_decisions_is_an_error():
    with pytest.raises(ValueError, match="No logged decisions"):
        off_policy_estimates(np.array([]), np.array([], int), np.array([]), TARGET[:0], Q_HAT[:0])


def _simulate(rng, n, reps):
    """``reps`` logs of ``n`` decisions: 4 contexts, 3 actions, logging uniform at random,
    Bernoulli rewards; the target policy always plays the best action of each context."""
    means = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.4], [0.3, 0.3, 0.8], [0.5, 0.7, 0.2]])
    target = np.eye(3)[means.argmax(1)]
    true_value = means.max(1).mean()
    out = {"IPS": [], "SNIPS": [], "DR": []}
    for _ in range(reps):
        ctx = rng.integers(0, 4, n)
        logged = rng.integers(0, 3, n)
        rewards = (rng.random(n) < means[ctx, logged]).astype(float)
        # A reward model learnt from an independent log of the same size (not the truth).
        c2, a2 = rng.integers(0, 4, n), rng.integers(0, 3, n)
        r2 = rng.random(n) < means[c2, a2]
        s = np.zeros((4, 3))
        k = np.zeros((4, 3))
        np.add.at(s, (c2, a2), r2)
        np.add.at(k, (c2, a2), 1)
        q_hat = ((s + 1) / (k + 2))[ctx]
        est = off_policy_estimates(rewards, logged, np.full(n, 1 / 3), target[ctx], q_hat)
        for name in out:
            out[name].append(est[name][0])
    return true_value, {k: np.array(v) for k, v in out.items()}


def test_doubly_robust_has_lower_variance_than_ips_and_both_are_unbiased():
    """500 simulated logs of 200 decisions. Uniform logging over 3 actions makes each IPS term
    3 r when the logged action is the target's and 0 otherwise, so E[term^2] = 9 v / 3 and
    Var(IPS) = (3 v - v^2) / n with v = 0.65 (the mean of the best arms): 1.5275 / 200 =
    7.64e-3. DR with a reward model fitted on an independent log removes most of it. With 500
    logs a sample variance is within about +-13% (2 sd) of its value, far from the asserted
    factor of two; the means are checked within 4 standard errors of the true value."""
    true_value, est = _simulate(np.random.default_rng(2024), 200, 500)
    var_ips, var_dr = est["IPS"].var(ddof=1), est["DR"].var(ddof=1)
    assert var_ips == pytest.approx((3 * 0.65 - 0.65**2) / 200, rel=0.25)
    assert var_dr < 0.5 * var_ips
    for name in ("IPS", "DR"):
        se = est[name].std(ddof=1) / np.sqrt(est[name].size)
        assert abs(est[name].mean() - true_value) < 4 * se


def test_confidence_intervals_need_two_decisions_and_snips_needs_some_weight():
    one = off_policy_estimates(REWARDS[:1], LOGGED[:1], PROPENSITY[:1], TARGET[:1], Q_HAT[:1])
    assert one["IPS"] == (pytest.approx(1.8), -np.inf, np.inf)
    assert one["DR"] == (pytest.approx(1.29), -np.inf, np.inf)
    two = off_policy_estimates(REWARDS[:2], LOGGED[:2], PROPENSITY[:2], TARGET[:2], Q_HAT[:2])
    # IPS terms (1.8, 0): sd 1.272792, se 0.9; finite with two decisions.
    assert two["IPS"][0] == pytest.approx(0.9)
    assert two["IPS"][2] - two["IPS"][0] == pytest.approx(1.96 * 0.9)
    # A target that never plays the logged actions: SNIPS (0 / 0) is undefined, and so is its
    # interval.
    never = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    est = off_policy_estimates(REWARDS, LOGGED, PROPENSITY, never, Q_HAT)
    assert np.isnan(est["SNIPS"]).all()
    assert est["IPS"][0] == 0.0
    # Total weight below 1 (0.1 / 0.5 = 0.2) still gives SNIPS = the reward.
    small = off_policy_estimates(
        np.array([1.0]), np.array([0]), np.array([0.5]), np.array([[0.1, 0.9]]), Q_HAT[:1]
    )
    assert small["SNIPS"][0] == pytest.approx(1.0)


def test_no_logged_decisions_error_says_so():
    with pytest.raises(ValueError, match=r"^No logged decisions to evaluate\.$"):
        off_policy_estimates(np.array([]), np.array([], int), np.array([]), TARGET[:0], Q_HAT[:0])


def test_uniform_policy_spreads_over_each_rows_eligible_actions():
    eligible = np.array([[True, True, False], [True, False, False], [False, False, False]])
    assert uniform_policy(eligible).tolist() == [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0] * 3]


def test_most_common_policy_breaks_ties_to_the_lower_index_and_counts_every_action():
    both = np.ones((1, 2), bool)
    assert most_common_policy(np.array([0, 1]), both).tolist() == [[1.0, 0.0]]
    assert most_common_policy(np.array([0, 1, 1]), both).tolist() == [[0.0, 1.0]]
    # Only action 0 was ever logged, out of three; where it is not eligible, the next one.
    eligible = np.array([[True, True, True], [False, True, True]])
    assert most_common_policy(np.array([0, 0]), eligible).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert most_common_policy(np.array([1, 1]), eligible).tolist() == [[0, 1, 0], [0, 1, 0]]
